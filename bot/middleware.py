"""Bolt middleware: puts the runtime (settings, session factory, clock) in the context.

No I/O happens here: middleware runs before the listener acks, and Slack's 3-second clock
is already ticking. The unit of work is opened by the listener wrapper after the ack
(see commands/registry.py).
"""

from __future__ import annotations

from typing import Any, Callable

from slack_bolt import BoltContext
from slack_bolt.request import payload_utils

from bot.logs import REQUEST_KIND, WORKSPACE
from bot.runtime import Runtime

RUNTIME_KEY = "alinea_runtime"


def runtime_middleware(runtime: Runtime) -> Callable[..., None]:
    def inject_runtime(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002 (Bolt's name)
        context[RUNTIME_KEY] = runtime
        next()

    return inject_runtime


def request_context(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002
    """The workspace and kind of a verified request, for log lines and the ack metric
    (bot/logs.py, bot/http.py); runs on the HTTP thread, so the listener's copy carries them."""
    WORKSPACE.set(context.team_id or context.enterprise_id)  # always: Socket Mode reuses its threads
    REQUEST_KIND.set(request_kind(body))
    next()


def request_kind(body: dict[str, Any]) -> str:
    if payload_utils.is_slash_command(body):
        return "slash-command"
    if payload_utils.is_view(body):
        return "view"
    if payload_utils.is_event(body):
        return "event"
    if payload_utils.is_action(body) or payload_utils.is_options(body) or payload_utils.is_shortcut(body):
        return "action"
    return "other"


def runtime_of(context: BoltContext) -> Runtime:
    return context[RUNTIME_KEY]
