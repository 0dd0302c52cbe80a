"""The single table of what Alinea answers: slash subcommands, actions, views and events.

Listeners reserve room on the work queue, ack, and do the rest there (bot/workqueue.py
says why). The work opens its own units of work (`with factory.begin()`), so what a request
writes is committed, or rolled back, as one.
"""

from __future__ import annotations

from typing import Any, Callable

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.errors import report_failure
from bot.middleware import runtime_of
from bot.runtime import Runtime
from bot.workqueue import WorkQueueFull
from commands import help, lifecycle
from commands.context import CommandRequest, Scope, Subcommand, resolve_scope, slack_user_locale
from domain.commands import split_command
from domain.slack_text import decode_entities
from services.i18n import t

SLASH_COMMAND = "/alinea"

SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", ("ayuda",), lambda request: help.show(request, SUBCOMMANDS), "help.cmd.help", "help.cmd.help.example"),
)

EVENTS = {
    "app_uninstalled": lifecycle.on_app_uninstalled,
    "tokens_revoked": lifecycle.on_tokens_revoked,
}


def register(app: App) -> None:
    app.command(SLASH_COMMAND)(on_slash_command)
    for event_type, handler in EVENTS.items():
        app.event(event_type)(lifecycle.claimed(handler))


def find_subcommand(word: str) -> Subcommand | None:
    return next((entry for entry in SUBCOMMANDS if word in entry.words()), None)


def ack_then(runtime: Runtime, ack: Ack, name: str, work: Callable[[], None]) -> None:
    """Ack at once and run `work` on the bounded queue; a full queue is answered in the ack."""
    try:
        slot = runtime.work.reserve(name)
    except WorkQueueFull:
        ack(text=t(runtime.settings.default_locale, "error.busy"), response_type="ephemeral")
        return
    ack()
    slot.run(work)


def on_slash_command(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond) -> None:
    runtime = runtime_of(context)
    ack_then(runtime, ack, "slash-command", lambda: answer_command(runtime, body, client, respond))


def answer_command(runtime: Runtime, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    scope: Scope | None = None
    try:
        scope = resolve_scope(
            runtime, client, slack_team_id=body["team_id"], user_id=body["user_id"], channel_id=body.get("channel_id")
        )
        parsed = split_command(decode_entities(body.get("text") or ""))
        request = CommandRequest(
            runtime=runtime, client=client, scope=scope, user_id=body["user_id"], channel_id=body.get("channel_id"),
            word=parsed.word, args=parsed.rest, now=runtime.clock(),
        )
        respond(**route(request).as_ephemeral())
    except Exception as error:  # the one error handler, for work that runs after the ack
        report_failure(error, locale=locale_after_failure(runtime, client, body, scope), respond=respond)


def locale_after_failure(runtime: Runtime, client: WebClient, body: dict[str, Any], scope: Scope | None) -> str:
    """The scope's language; if the database failed before we knew it, the person's Slack locale."""
    if scope is not None:
        return scope.locale
    return slack_user_locale(client, body["user_id"]) or runtime.settings.default_locale


def route(request: CommandRequest):
    if not request.word:
        return help.show(request, SUBCOMMANDS)
    entry = find_subcommand(request.word)
    if entry is None:
        return help.unknown(request, SUBCOMMANDS)
    return entry.handler(request)
