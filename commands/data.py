"""`/alinea data` (datos): the rights Colombia's Ley 1581 gives people over their data.

    data                    what this does and who may do it
    data export | exportar  every row of the workspace as a zip (data.json and CSVs), sent to the
                            asker's DM with the bot (Slack workspace admins and owners)
    data delete | borrar    delete all of the workspace's data, after a confirmation whose button
                            expires after 10 minutes (Slack workspace admins and owners)
    data me | yo            what Alinea holds about you, with a button that erases it

Erasing only ever touches the id of the person who pressed the button, never one the button
carries.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.blocks import Reply
from bot.blocks import data as blocks
from bot.blocks.data import DELETE_CONFIRM, ERASE_ME
from commands.context import CommandRequest, Interaction, dispatch_subword, is_workspace_admin
from db.models import Workspace
from db.session import read_only
from domain.errors import UserError
from services import audit, data_rights, person_data, workspace_deletion, workspace_export

__all__ = ["DELETE_CONFIRM", "ERASE_ME", "confirm_delete", "erase_me", "handle"]

logger = logging.getLogger(__name__)

CONFIRM_MINUTES = 10
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
WORDS = {
    "export": "export", "exportar": "export", "descargar": "export", "download": "export",
    "delete": "delete", "borrar": "delete", "eliminar": "delete",
    "me": "me", "yo": "me", "mine": "me", "mios": "me", "mis": "me",
}  # fmt: skip


def handle(request: CommandRequest) -> Reply | None:
    return dispatch_subword(request, WORDS, HANDLERS, usage_id="data_rights.usage", default="overview")


def overview(request: CommandRequest, _rest: str) -> Reply:
    return blocks.overview(request.locale)


def require_workspace_admin(request: CommandRequest | Interaction) -> None:
    """Slack's own admins and owners, asked every time (users.info), never a stored role."""
    if not is_workspace_admin(request.client, request.user_id):
        raise UserError("data_rights.admins_only")


# Export ----------------------------------------------------------------------------------------------


def export(request: CommandRequest, _rest: str) -> Reply:
    require_workspace_admin(request)  # before reading: no transaction held across Slack
    workspace_id = request.scope.workspace_id
    with read_only(request.runtime.session_factory) as session:
        data = workspace_export.export_workspace(session, workspace_id)
        workspace = session.get(Workspace, workspace_id)
        assert workspace is not None
        name, zone = workspace.name or request.scope.slack_team_id, workspace.default_timezone
    bundle = workspace_export.archive(data, locale=request.locale)
    counts = {table: count for table, count in workspace_export.row_counts(data).items() if count}
    filename = f"alinea-export-{request.scope.slack_team_id}-{_local_day(request.now, zone)}.zip"
    comment = blocks.export_comment(request.locale, team_name=name, rows=sum(counts.values()))
    try:
        channel = request.client.conversations_open(users=request.user_id)["channel"]["id"]
        request.client.files_upload_v2(channel=channel, content=bundle, filename=filename, title=filename, initial_comment=comment)
    except (SlackApiError, SlackClientError, OSError, KeyError) as failure:
        logger.warning("could not send the data export of workspace %s", workspace_id, exc_info=True)
        raise UserError("data_rights.export.not_sent") from failure
    with request.unit_of_work() as session:
        audit.record(
            session, workspace_id=workspace_id, actor=request.user_id, action="workspace.data_exported",
            entity_type="workspace", entity_id=workspace_id, before=None, now=request.now,
            after={"file": filename, "tables": len(counts), "rows": sum(counts.values())},
        )  # fmt: skip
    return blocks.export_sent(request.locale, filename=filename, counts=counts)


def _local_day(now: datetime, zone: str) -> str:
    try:
        return now.astimezone(ZoneInfo(zone)).date().isoformat()
    except (KeyError, ValueError):
        return now.date().isoformat()


# Delete ----------------------------------------------------------------------------------------------


def delete(request: CommandRequest, _rest: str) -> Reply:
    """The confirmation: how much will go, and a button that works for 10 minutes."""
    require_workspace_admin(request)
    with read_only(request.runtime.session_factory) as session:
        counts = data_rights.count_rows(session, request.scope.workspace_id)
        workspace = session.get(Workspace, request.scope.workspace_id)
        assert workspace is not None
        value = _confirmation_value(request.now, workspace)
    return blocks.delete_confirmation(request.locale, counts=counts, value=value, minutes=CONFIRM_MINUTES)


def _confirmation_value(now: datetime, workspace: Workspace) -> str:
    """When it was asked, and which workspace (its id and install time: a workspace created again
    after a deletion is another one, so the same button cannot delete twice)."""
    return f"{int(now.timestamp())}:{workspace.id}:{_micros(workspace.installed_at)}"


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _parse_confirmation(value: object) -> tuple[int, int, int] | None:
    try:
        issued, workspace_id, installed = (int(part) for part in str(value or "").split(":"))
    except ValueError:
        return None
    return issued, workspace_id, installed


def confirm_delete(interaction: Interaction) -> Reply:
    parsed = _parse_confirmation(interaction.value)
    now = int(interaction.now.timestamp())
    if parsed is None or not (now - CONFIRM_MINUTES * 60 <= parsed[0] <= now + 60):
        raise UserError("data_rights.delete.stale", minutes=CONFIRM_MINUTES)
    require_workspace_admin(interaction)  # the button is not a permission: asked again
    _, workspace_id, installed = parsed
    with interaction.unit_of_work() as session:
        workspace = session.get(Workspace, interaction.scope.workspace_id)
        if workspace is None or workspace.id != workspace_id or _micros(workspace.installed_at) != installed:
            raise UserError("data_rights.delete.already")
        deleted = workspace_deletion.delete_workspace_data(session, workspace.id, interaction.now)
    logger.info("workspace %s data deleted by a workspace admin (%d rows)", workspace_id, sum(deleted.values()))
    return blocks.deleted(interaction.locale, deleted)


# One person ------------------------------------------------------------------------------------------


def me(request: CommandRequest, _rest: str) -> Reply:
    with read_only(request.runtime.session_factory) as session:
        report = person_data.person_report(session, request.scope.workspace_id, request.user_id)
        tokens = request.runtime.tokens
        installed = tokens.store.installed_by(session, team_id=request.scope.slack_team_id, user_id=request.user_id) if tokens else 0
    if installed:  # OAuth mode keeps who installed Alinea beside the workspace's tokens
        report = replace(report, kinds=(*report.kinds, person_data.KindReport(INSTALLATIONS, installed, ())))
    return blocks.person_report(request.locale, report, can_erase=bool(request.runtime.settings.pseudonym_keys))


def erase_me(interaction: Interaction) -> Reply:
    """Erases the person who pressed (never an id from the button's value), in our tables and,
    in OAuth mode, in the installations they made (the bot's token stays: the workspace uses it)."""
    workspace_id, user_id = interaction.scope.workspace_id, interaction.user_id
    try:
        with interaction.unit_of_work() as session:
            erasure = person_data.erase_person(session, workspace_id, user_id, interaction.now, interaction.runtime.settings.pseudonym_keys)
            if interaction.runtime.tokens is not None:
                changed = interaction.runtime.tokens.store.erase_user_in(
                    session, team_id=interaction.scope.slack_team_id, user_id=user_id, pseudonym=erasure.pseudonym, older=erasure.older,
                )
                if changed:
                    erasure.pseudonymised[INSTALLATIONS] = changed
    except person_data.PseudonymKeyMissing:  # never an unkeyed hash: refuse, change nothing, tell whoever runs Alinea
        logger.error("a person asked to be erased and ALINEA_PSEUDONYM_KEYS is not set; nothing was erased")
        raise UserError("data_rights.erase.no_key") from None
    return blocks.erased(interaction.locale, erasure)


INSTALLATIONS = "installations"  # a kind of data_rights' report, kept by OAuth mode (bot/installations.py)

HANDLERS = {"overview": overview, "export": export, "delete": delete, "me": me}
