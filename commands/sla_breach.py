"""SLA breaches in Slack: the Acknowledge and Add action plan buttons and their modals, a thread
reply `ack <reason> [note]` / `recibido <razón> [nota]`, `/alinea sla breaches` and
`/alinea sla close B3 NOTE`.

Thread replies: every message in a channel Alinea is in reaches the one `message` listener
(commands/threads.py), which filters cheaply first (a reply in a thread, written by a person, that
starts like an acknowledgement: `looks_like_ack`) and only then hands it to
`handle_thread_reply`, which touches the database. Replies that are not acknowledgements, replies
in other threads and Alinea's own messages are left alone. The event id is claimed in the same
transaction as the acknowledgement, so Slack's retries change nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks import Reply
from bot.blocks.sla_breach import (
    ACK_VIEW,
    ACKNOWLEDGE,
    ADD_PLAN,
    NOTE,
    PLAN,
    PLAN_DUE,
    PLAN_OWNER,
    PLAN_VIEW,
    REASON,
    ack_modal,
    acknowledged_reply,
    breaches_list,
    closed_reply,
    plan_modal,
    plan_reply,
)
from bot.errors import describe
from bot.runtime import Runtime
from domain.locales import team_locale
from bot.sla_posts import SlaPoster
from commands.context import CommandRequest, FieldErrors, Interaction, is_workspace_admin, modal_metadata, team_of
from commands.modal_state import Submitted
from db import repositories
from db.session import read_only
from domain.errors import UserError
from domain.periods import local_date
from domain.slack_text import decode_entities
from domain.sla import Reason, parse_ack
from services import breach_acknowledgement, sla_breaches, workspaces
from services.breach_acknowledgement import MAX_NOTE_LENGTH, MAX_PLAN_LENGTH, Plan

logger = logging.getLogger(__name__)

__all__ = ["ACKNOWLEDGE", "ADD_PLAN", "ACK_VIEW", "PLAN_VIEW", "EVENT", "close", "handle_thread_reply", "list_breaches", "looks_like_ack"]

EVENT = "message"


# Buttons ------------------------------------------------------------------------------------------------


def _breach_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError("sla.breach_not_found", reference=str(value)) from None


def _open_form(interaction: Interaction, *, acknowledging: bool) -> None:
    breach_id = _breach_id(interaction.value)
    with read_only(interaction.runtime.session_factory) as session:
        team = team_of(session, interaction.scope)
        view = breach_acknowledgement.open_for(session, team=team, breach_id=breach_id, actor=interaction.user_id, acknowledging=acknowledging)
        where, today = team_locale(team), local_date(interaction.now, team.timezone)
    metadata = modal_metadata(channel_id=interaction.channel_id, locale=interaction.locale, from_home=interaction.from_home, breach_id=breach_id)
    build = ack_modal if acknowledging else plan_modal
    interaction.client.views_open(
        trigger_id=interaction.trigger_id, view=build(view, where, user_id=interaction.user_id, today=today, metadata=metadata)
    )


def ask_acknowledgement(interaction: Interaction) -> None:
    _open_form(interaction, acknowledging=True)


def ask_plan(interaction: Interaction) -> None:
    _open_form(interaction, acknowledging=False)


# Modals ---------------------------------------------------------------------------------------------------


def _read_plan(form: Submitted, *, required: bool) -> Plan | None:
    text = form.text(PLAN)
    owner = form.user(PLAN_OWNER)
    errors: dict[str, Any] = {}
    if required and not text:
        errors[PLAN] = "sla.plan_missing"
    if len(text) > MAX_PLAN_LENGTH:
        errors[PLAN] = ("sla.ui.breach.form.too_long", {"limit": MAX_PLAN_LENGTH})
    if errors:
        raise FieldErrors(errors)
    due = form.date(PLAN_DUE)
    return Plan(text, owner, due) if text else None


def validate_ack(form: Submitted, metadata: dict[str, Any]) -> dict[str, Any]:
    reason = form.selected(REASON)
    note = form.text(NOTE)
    if reason not in {r.value for r in Reason}:
        raise FieldErrors({REASON: "sla.ui.breach.form.reason_missing"})
    if len(note) > MAX_NOTE_LENGTH:
        raise FieldErrors({NOTE: ("sla.ui.breach.form.too_long", {"limit": MAX_NOTE_LENGTH})})
    return {"breach_id": _breach_id(metadata.get("breach_id")), "reason": Reason(reason), "note": note,
            "plan": _read_plan(form, required=False)}


def validate_plan(form: Submitted, metadata: dict[str, Any]) -> dict[str, Any]:
    return {"breach_id": _breach_id(metadata.get("breach_id")), "plan": _read_plan(form, required=True)}


def submit_ack(interaction: Interaction) -> Reply:
    form = interaction.value
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        view = breach_acknowledgement.acknowledge(
            session, team=team, breach_id=form["breach_id"], actor=interaction.user_id, reason=form["reason"],
            note=form["note"], plan=form["plan"], now=interaction.now,
        )
        where = team_locale(team)
    _poster(interaction.runtime, interaction.client, interaction.scope.team_id).post_steps_of(view.id)
    return acknowledged_reply(view, where)


def submit_plan(interaction: Interaction) -> Reply:
    form = interaction.value
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        view = breach_acknowledgement.add_plan(session, team=team, breach_id=form["breach_id"], actor=interaction.user_id, plan=form["plan"], now=interaction.now)
        where = team_locale(team)
    _poster(interaction.runtime, interaction.client, interaction.scope.team_id).post_steps_of(view.id)
    return plan_reply(view, where)


def _poster(runtime: Runtime, client: WebClient, team_id: int | None) -> SlaPoster:
    assert team_id is not None
    return SlaPoster(runtime.session_factory, client, team_id=team_id)


# Subcommands ----------------------------------------------------------------------------------------------


def list_breaches(request: CommandRequest) -> Reply:
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        return breaches_list(sla_breaches.open_breaches(session, team=team), team_locale(team))


def close(request: CommandRequest) -> Reply:
    """`/alinea sla close|cerrar B3 NOTE` (team admins, or Slack workspace admins)."""
    reference, _, note = request.args.strip().partition(" ")
    if not reference:
        raise UserError("sla.close_note_missing")
    workspace_admin = is_workspace_admin(request.client, request.user_id)  # before the transaction
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        found = sla_breaches.find_breach(session, team=team, reference=reference)
        view = breach_acknowledgement.close(session, team=team, breach_id=found.id, actor=request.user_id, note=note, now=request.now,
                                            is_workspace_admin=workspace_admin)
        where = team_locale(team)
    _poster(request.runtime, request.client, request.scope.team_id).post_steps_of(view.id)
    return closed_reply(view, where)


# Thread replies ---------------------------------------------------------------------------------------------


def looks_like_ack(text: str) -> bool:
    """Whether a person's thread reply (entities decoded) starts with an acknowledgement word: pure
    and cheap (the first word only), for the `message` listener in commands/threads.py. One whose
    reason is missing or wrong counts too, so the person is told why."""
    first = text.split(None, 1)[:1]
    try:
        return bool(first) and parse_ack(first[0]) is not None
    except UserError:  # an acknowledgement word without its reason: it is one
        return True


def handle_thread_reply(runtime: Runtime, client: WebClient, *, slack_team_id: str, event_id: str, event: dict[str, Any]) -> None:
    channel_id, user_id, thread_ts = event["channel"], event["user"], event["thread_ts"]
    locale = runtime.settings.default_locale
    team_id = None
    try:
        with runtime.session_factory.begin() as session:
            workspace = workspaces.ensure_workspace(session, slack_team_id=slack_team_id, defaults=runtime.workspace_defaults, now=runtime.clock())
            team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)
            breach = sla_breaches.breach_in_thread(session, team=team, channel_id=channel_id, thread_ts=thread_ts) if team else None
            if team is None or breach is None:
                return  # not a breach's thread: left alone
            locale, team_id = team.locale, team.id
            if not workspaces.claim_event(session, workspace_id=workspace.id, event_id=event_id or f"msg:{channel_id}:{event.get('ts')}", event_type=EVENT, now=runtime.clock()):
                return
            reason, note = parse_ack(decode_entities(event.get("text") or "")) or (None, "")
            assert reason is not None
            breach_acknowledgement.acknowledge(session, team=team, breach_id=breach.id, actor=user_id, reason=reason, note=note, now=runtime.clock())
            breach_id = breach.id
    except Exception as error:  # told privately in the thread; nothing was written
        _whisper(client, channel_id, user_id, thread_ts, describe(error, locale=locale))
        return
    _poster(runtime, client, team_id).post_steps_of(breach_id)


def _whisper(client: WebClient, channel_id: str, user_id: str, thread_ts: str, text: str) -> None:
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=text, thread_ts=thread_ts)
    except (SlackApiError, SlackClientError, OSError):
        logger.warning("could not tell %s privately why the acknowledgement failed", user_id, exc_info=True)
