"""`/alinea setup` (configurar): bind an alignment team to a channel, show it, change it.

    /alinea setup                                   -> the setup modal
    /alinea setup marketing @ana sales @luis tz America/Bogota lang es
    /alinea setup show                              -> the configuration (mostrar, ver)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks import Reply
from bot.blocks import setup as blocks
from bot.notifier import Message
from commands.context import CommandRequest, FieldErrors, Interaction, is_workspace_admin, modal_metadata
from commands.modal_state import Submitted
from db.models import AlignmentTeam
from db.repositories import team_by_channel
from domain.commands import fold
from domain.errors import UserError
from domain.setup import MAX_NAME_LENGTH, SetupChanges, parse_setup
from services import teams
from services.i18n import t
from services.teams import TeamDefaults

logger = logging.getLogger(__name__)

SHOW_WORDS = {"show", "mostrar", "ver"}


@dataclass(frozen=True)
class Submission:
    channel_id: str
    changes: SetupChanges


def handle(request: CommandRequest) -> Reply | None:
    first = fold(request.args.split(" ", 1)[0]) if request.args else ""
    if first in SHOW_WORDS:
        return show(request)
    if not request.args:
        return open_modal(request)
    changes = parse_setup(request.args, valid_timezone=is_timezone, valid_country=is_country)
    return apply(request, channel_id=request.channel_id or "", changes=changes)


def is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
        return "/" in name or name == "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        return False


def is_country(code: str) -> bool:
    return code in holidays.list_supported_countries()


def require_channel(channel_id: str | None) -> str:
    if not channel_id or channel_id.startswith("D"):
        raise UserError("setup.needs_channel")
    return channel_id


def load_team(session, scope, channel_id: str) -> AlignmentTeam | None:
    return team_by_channel(session, workspace_id=scope.workspace_id, channel_id=channel_id)


def show(request: CommandRequest) -> Reply:
    channel_id = require_channel(request.channel_id)
    with request.unit_of_work() as session:
        team = load_team(session, request.scope, channel_id)
        if team is None:
            raise UserError("team.not_set_up")
        config = teams.snapshot(team)
    summary = blocks.summary_blocks(config, request.locale, server_llm=server_llm(request))
    return Reply(t(request.locale, "setup.ui.summary_title", name=config["name"]), summary)


def open_modal(request: CommandRequest) -> Reply | None:
    channel_id = require_channel(request.channel_id)
    with request.unit_of_work() as session:
        team = load_team(session, request.scope, channel_id)
        config = teams.snapshot(team) if team else new_team_config(request, channel_id)
    metadata = modal_metadata(channel_id=channel_id, locale=request.locale)
    request.client.views_open(trigger_id=request.trigger_id, view=blocks.modal(config, request.locale, metadata))
    return None


def new_team_config(request: CommandRequest, channel_id: str) -> dict[str, Any]:
    defaults = team_defaults(request.runtime.settings)
    return {
        "name": channel_name(request.client, channel_id), "channel_id": channel_id, "marketing_leads": [],
        "sales_leads": [], "admins": [request.user_id], "timezone": defaults.timezone, "language": request.locale,
        "country": defaults.country, "weekly_weekday": 0, "weekly_time": "09:00", "monthly_nth": 1,
        "monthly_weekday": 1, "monthly_time": "09:00", "llm_enabled": True,
    }


def server_llm(request: CommandRequest | Interaction) -> bool:
    """Whether this server has a model at all; without one every team gets the automatic summary."""
    return request.runtime.settings.llm_enabled


def team_defaults(settings) -> TeamDefaults:
    return TeamDefaults(timezone=settings.default_timezone, locale=settings.default_locale)


def channel_name(client: WebClient, channel_id: str) -> str:
    try:
        return client.conversations_info(channel=channel_id)["channel"].get("name") or channel_id
    except (SlackApiError, SlackClientError, OSError, KeyError):
        return channel_id


def apply(request: CommandRequest | Interaction, *, channel_id: str, changes: SetupChanges) -> Reply:
    channel_id = require_channel(channel_id)
    workspace_admin = is_workspace_admin(request.client, request.user_id)  # before the transaction
    name = channel_name(request.client, channel_id)
    with request.unit_of_work() as session:
        result = teams.setup_team(
            session, workspace_id=request.scope.workspace_id, channel_id=channel_id, channel_name=name,
            actor=request.user_id, is_workspace_admin=workspace_admin, changes=changes,
            defaults=team_defaults(request.runtime.settings), now=request.now,
        )
        config, team_id = teams.snapshot(result.team), result.team.id
    locale = config["language"]
    notice = t(locale, "setup.ui.created" if result.created else "setup.ui.updated" if result.changed else "setup.ui.unchanged")
    if result.created:
        notice += " " + announce(request, channel_id, team_id, config, locale)
    return Reply(notice, blocks.summary_blocks(config, locale, notice=notice, server_llm=server_llm(request)))


def announce(request, channel_id: str, team_id: int, config: dict[str, Any], locale: str) -> str:
    """Tell the channel it now has a team; if Alinea is not in it, say how to invite it."""
    text = t(locale, "setup.ui.announcement", user=f"<@{request.user_id}>")
    message = Message(text, blocks.summary_blocks(config, locale, notice=text, server_llm=server_llm(request)))
    try:
        request.notifier.post(channel=channel_id, message=message, claim=f"team-created-{team_id}")
    except UserError:
        return t(locale, "setup.ui.invite_hint")
    return ""


def read_modal(form: Submitted, metadata: dict[str, Any]) -> Submission:
    """Pure: the modal's state -> a Submission, or FieldErrors shown beside the fields."""
    name = form.text(blocks.NAME)
    channel = form.conversation(blocks.CHANNEL)
    people = {block: form.users(block) for block in (blocks.MARKETING, blocks.SALES, blocks.ADMINS)}
    errors = {block: f"setup.ui.error.{key}" for block, key in (
        (blocks.CHANNEL, "channel_required"), (blocks.MARKETING, "marketing_required"),
        (blocks.SALES, "sales_required"), (blocks.ADMINS, "admins_required"),
    ) if not (channel if block == blocks.CHANNEL else people[block])}
    if channel.startswith("D"):
        errors[blocks.CHANNEL] = "setup.ui.error.channel_required"
    if not name or len(name) > MAX_NAME_LENGTH:
        errors[blocks.NAME] = "setup.ui.error.name_required"
    if errors:
        raise FieldErrors(errors)

    def selected(block: str) -> str:
        return form.selected(block) or ""

    def picked_time(block: str) -> time:
        return time.fromisoformat(form.time(block) or "09:00")

    return Submission(channel, SetupChanges(
        name=name, marketing_leads=people[blocks.MARKETING], sales_leads=people[blocks.SALES],
        admins=people[blocks.ADMINS], timezone=selected(blocks.TIMEZONE) or None, language=selected(blocks.LANGUAGE) or None,
        country=selected(blocks.COUNTRY) or None, weekly_weekday=int(selected(blocks.WEEKLY_DAY) or 0),
        weekly_time=picked_time(blocks.WEEKLY_TIME), monthly_nth=int(selected(blocks.MONTHLY_NTH) or 1),
        monthly_weekday=int(selected(blocks.MONTHLY_DAY) or 1), monthly_time=picked_time(blocks.MONTHLY_TIME),
        llm_enabled={blocks.LLM_ON: True, blocks.LLM_OFF: False}.get(selected(blocks.LLM)),  # none chosen: keep it
    ))


def on_submit(interaction: Interaction) -> Reply:
    submission: Submission = interaction.value
    return apply(interaction, channel_id=submission.channel_id, changes=submission.changes)
