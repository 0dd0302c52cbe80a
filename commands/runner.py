"""How every listener runs: reserve room on the work queue, ack, then do the work there.

Slash commands and buttons answer the person through the response_url (a button on the App
Home has none: there, in the person's DM with the app). A modal submission
is validated before the ack (pure checks only, so the modal can show errors beside the
fields); what follows the ack answers with an ephemeral message in the modal's channel.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.blocks import Reply
from bot.blocks import home as home_blocks
from bot.blocks.native import is_native, without_native
from bot.errors import outcome_of, report_failure
from bot.middleware import runtime_of
from bot.runtime import Runtime
from bot.workqueue import WorkQueueFull
from commands import home
from commands.context import FieldErrors, Interaction, InteractionHandler, Scope, ViewValidator, cached_user_locale, resolve_scope
from commands.modal_state import submitted
from services.i18n import t

logger = logging.getLogger(__name__)


def ack_then(
    runtime: Runtime, ack: Ack, name: str, work: Callable[[], None], *, on_busy: Callable[[str], None] | None = None
) -> bool:
    """Ack at once and run `work` on the bounded queue. When the queue is full the person is
    told at once: in the ack itself, or through `on_busy` (modals cannot carry a message).
    False when the queue was full and `work` was not queued."""
    try:
        slot = runtime.work.reserve(name)
    except WorkQueueFull:
        busy = t(runtime.settings.default_locale, "error.busy")
        if on_busy is None:
            ack(text=busy, response_type="ephemeral")
        else:
            ack()
            on_busy(busy)
        return False
    ack()
    slot.run(work)
    return True


def answer(
    runtime: Runtime, client: WebClient, *, team_id: str, user_id: str, channel_id: str | None,
    reply_to: Callable[[Reply, str], None], build: Callable[[Scope], Reply | None], fallback_locale: str | None = None,
) -> str:
    """Resolve the scope, run `build`, deliver its reply; the one error handler for all of it.
    Returns the outcome the metrics count: ok, user_error, busy or failed (bot/errors.py)."""
    scope: Scope | None = None
    try:
        scope = resolve_scope(runtime, client, slack_team_id=team_id, user_id=user_id, channel_id=channel_id)
        reply = build(scope)
        if reply is not None:
            reply_to(reply, scope.locale)
        return "ok"
    except Exception as error:
        locale = scope.locale if scope else (fallback_locale or cached_user_locale(runtime, client, team_id, user_id) or runtime.settings.default_locale)
        report_failure(error, locale=locale, respond=lambda **fields: reply_to(Reply(fields["text"]), locale))
        return outcome_of(error)


def via_response_url(respond: Respond, *, on_native_refused: Callable[[], None] | None = None) -> Callable[[Reply, str], None]:
    """The reply through the response_url. A Slack without native chart or table blocks answers
    `invalid_blocks` (and shows nothing): the reply is sent again without them (their numbers are
    in its text) and `on_native_refused` remembers it for the workspace."""

    def send(reply: Reply, _locale: str) -> None:
        response = respond(**reply.as_ephemeral())
        if getattr(response, "body", None) == "invalid_blocks" and any(is_native(block) for block in reply.blocks):
            if on_native_refused is not None:
                on_native_refused()
            respond(**Reply(reply.text, without_native(reply.blocks)).as_ephemeral())

    return send


def via_ephemeral(client: WebClient, channel_id: str | None, user_id: str) -> Callable[[Reply, str], None]:
    def send(reply: Reply, _locale: str) -> None:
        if channel_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=reply.text, blocks=reply.blocks)
        else:  # no channel to whisper in: the app's DM with the person
            client.chat_postMessage(channel=user_id, text=reply.text, blocks=reply.blocks)

    return send


def action_listener(name: str, handler: InteractionHandler) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond) -> None:
        runtime = runtime_of(context)
        action = (body.get("actions") or [{}])[0]
        channel_id = _channel_of(body, action)
        user_id = body["user"]["id"]
        from_home = (body.get("view") or {}).get("type") == "home"

        def build(scope: Scope) -> Reply | None:
            return handler(Interaction(
                runtime, client, scope, user_id, channel_id, action.get("value"),
                (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts"),
                body.get("trigger_id"), runtime.clock(), bool((body.get("container") or {}).get("is_ephemeral")), from_home,
                body.get("message"),
            ))

        # A button on the App Home has no response_url: its answers go to the person's DM with the app.
        has_response_url = bool(body.get("response_url") or body.get("response_urls"))
        reply_to = via_response_url(respond) if has_response_url else via_ephemeral(client, None, user_id)
        ack_then(runtime, ack, name, then_home(runtime, client, from_home, team_id=_team_id(body), user_id=user_id, work=lambda: answer(
            runtime, client, team_id=_team_id(body), user_id=user_id, channel_id=channel_id,
            reply_to=reply_to, build=build,
        )))

    listener.__name__ = f"action_{name}"
    return listener


def _channel_of(body: dict[str, Any], action: dict[str, Any]) -> str | None:
    """The channel a button was pressed in. The App Home has none: there the button's block id
    names its team's channel (bot/blocks/home.py), so the handler acts in that team."""
    found = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    if found is None and (body.get("view") or {}).get("type") == "home":
        found = home_blocks.channel_of_block(action.get("block_id"))
    return found


def view_listener(name: str, validate: ViewValidator, handler: InteractionHandler) -> Callable[..., None]:
    def listener(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        runtime = runtime_of(context)
        view = body["view"]
        metadata = json.loads(view.get("private_metadata") or "{}")
        locale = metadata.get("locale") or runtime.settings.default_locale
        try:
            submission = validate(submitted(view), metadata)
        except FieldErrors as invalid:
            ack(response_action="errors", errors=invalid.texts(locale))
            return
        user_id, channel_id = body["user"]["id"], metadata.get("channel_id")
        from_home = bool(metadata.get("home"))

        def build(scope: Scope) -> Reply | None:
            return handler(Interaction(runtime, client, scope, user_id, channel_id, submission, None, None, runtime.clock(), from_home=from_home))

        reply_to = via_ephemeral(client, channel_id, user_id)
        ack_then(
            runtime, ack, name,
            then_home(runtime, client, from_home, team_id=_team_id(body), user_id=user_id, work=lambda: answer(
                runtime, client, team_id=_team_id(body), user_id=user_id, channel_id=channel_id,
                reply_to=reply_to, build=build, fallback_locale=locale,
            )),
            on_busy=lambda text: reply_to(Reply(text), locale),
        )

    listener.__name__ = f"view_{name}"
    return listener


def then_home(runtime: Runtime, client: WebClient, from_home: bool, *, team_id: str, user_id: str, work: Callable[[], Any]) -> Callable[[], None]:
    """`work`, then, for what was pressed on the App Home (or submitted in a modal opened there),
    the person's Home published again in the same queued task: Slack shows a Home as last
    published, so it would otherwise keep an acknowledged breach's button until the next open."""
    if not from_home:
        return work

    def work_then_home() -> None:
        try:
            work()
        finally:
            home.publish_home(runtime, client, slack_team_id=team_id, user_id=user_id)

    return work_then_home


def _team_id(body: dict[str, Any]) -> str:
    return (body.get("team") or {}).get("id") or body["user"].get("team_id")
