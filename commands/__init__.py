"""The single table of what Alinea answers: slash subcommands, actions, views and events.

Every listener acks first and only then opens a unit of work (`with factory.begin()`), so
the work of a request is committed, or rolled back, as one.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.errors import LOCALE_KEY
from bot.middleware import runtime_of
from commands import help, lifecycle
from commands.context import CommandRequest, Subcommand, resolve_scope
from domain.commands import split_command
from domain.slack_text import decode_entities

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


def on_slash_command(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond) -> None:
    ack()
    runtime = runtime_of(context)
    scope = resolve_scope(
        runtime, client, slack_team_id=body["team_id"], user_id=body["user_id"], channel_id=body.get("channel_id")
    )
    context[LOCALE_KEY] = scope.locale  # the error handler answers in the same language
    parsed = split_command(decode_entities(body.get("text") or ""))
    request = CommandRequest(
        runtime=runtime, client=client, scope=scope, user_id=body["user_id"], channel_id=body.get("channel_id"),
        word=parsed.word, args=parsed.rest, now=runtime.clock(),
    )
    if not parsed.word:
        reply = help.show(request, SUBCOMMANDS)
    elif (entry := find_subcommand(parsed.word)) is not None:
        reply = entry.handler(request)
    else:
        reply = help.unknown(request, SUBCOMMANDS)
    respond(**reply.as_ephemeral())
