"""The one error handler: typed errors become short localized private messages.

A UserError is the person's mistake and says what to type instead. A database outage
becomes "try again in a moment". Anything else is a bug: logged with a reference id that the
person also sees, so support can find the traceback.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import BoltContext
from sqlalchemy import exc as sa_exc

from bot.blocks import escape_mrkdwn
from bot.workqueue import WorkQueueFull
from domain.errors import UserError
from services.i18n import t

logger = logging.getLogger("alinea.errors")
LOCALE_KEY = "alinea_locale"


def is_database_outage(error: BaseException) -> bool:
    """Connection refused, server gone, pool exhausted, SQLite locked past busy_timeout."""
    if isinstance(error, (sa_exc.OperationalError, sa_exc.TimeoutError, sa_exc.InterfaceError)):
        return True
    return isinstance(error, sa_exc.DBAPIError) and bool(error.connection_invalidated)


def new_reference() -> str:
    return uuid.uuid4().hex[:8].upper()


def describe(error: BaseException, locale: str | None) -> str:
    """The text a person sees for `error`, in `locale`'s language (mrkdwn, parameters escaped)."""
    if isinstance(error, UserError):
        # Which refusal, never its parameters (they may carry what the person typed).
        logger.info("refused: %s", error.message_id)
        params = {k: escape_mrkdwn(v) if isinstance(v, str) else v for k, v in error.params.items()}
        return t(locale, error.message_id, **params)
    if isinstance(error, WorkQueueFull):
        logger.warning("work queue full; refused %s", error)
        return t(locale, "error.busy")
    if is_database_outage(error):
        logger.warning("database unavailable: %s", type(error).__name__)
        return t(locale, "error.db_unavailable")
    reference = new_reference()
    logger.error("unexpected error, reference %s", reference, exc_info=error)
    return t(locale, "error.unexpected", reference=reference)


def outcome_of(error: BaseException) -> str:
    """How a failed request is counted (bot/metrics.py): the person's mistake, a full queue, or
    a failure of ours (a database outage included)."""
    if isinstance(error, UserError):
        return "user_error"
    if isinstance(error, WorkQueueFull):
        return "busy"
    return "failed"


def locale_for_error(context: BoltContext) -> str:
    locale = context.get(LOCALE_KEY)
    if locale:
        return locale
    runtime = context.get("alinea_runtime")
    return runtime.settings.default_locale if runtime else "es"


def report_failure(error: BaseException, *, locale: str | None, respond: Any) -> None:
    """Tell the person privately what went wrong, in their language (or only log, when there
    is nobody to answer, as for events)."""
    text = describe(error, locale)
    if respond is None:
        return
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:  # Slack unreachable: the log line written by describe() is all we can do
        logger.warning("could not deliver an error message to the user", exc_info=True)


def handle_listener_error(error: Exception, body: dict[str, Any], context: BoltContext, respond: Any) -> None:
    """Registered with `app.error`; Bolt calls it for anything a listener raised."""
    has_response_url = bool(body.get("response_url") or body.get("response_urls"))
    report_failure(error, locale=locale_for_error(context), respond=respond if has_response_url else None)
