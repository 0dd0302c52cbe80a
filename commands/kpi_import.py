"""`/alinea kpi import`: upload a spreadsheet of KPI values, see the check, then save it all.

    /alinea kpi import      -> a modal with a file_input (commands/kpi.py routes the word here)
    submit                  -> (after the ack) download the file, check it, and answer privately
                               with the report and **Save all** / **Cancel**
    Save all                -> download it again, check again and write every row or none; if the
                               check no longer gives the report the person saw, show the new one

Nothing is stored between the steps: the buttons carry the uploaded file's id and the digest of
the report shown. The file is read from Slack (`files.info`, then a GET of its `url_private`
with the bot token), never while a database transaction is open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.blocks import Reply
from bot.blocks.kpi_import import (
    CANCEL,
    COMMIT,
    FILE_BLOCK,
    MAX_FILE_BYTES,
    MAX_FILE_MB,
    UPLOAD_VIEW,
    cancelled_reply,
    report_reply,
    upload_modal,
)
from commands.context import CommandRequest, FieldErrors, Interaction, modal_metadata, team_of
from commands import survey_import
from commands.modal_state import Submitted
from commands.spreadsheet_files import button_team, download, file_to_save
from db.session import read_only
from domain.spreadsheet import read_table
from services import kpi_import

logger = logging.getLogger(__name__)

__all__ = ["CANCEL", "COMMIT", "UPLOAD_VIEW", "cancel", "commit", "on_upload", "open_import", "validate_upload"]

@dataclass(frozen=True)
class Upload:
    file_id: str
    name: str


# /alinea kpi import ---------------------------------------------------------------------------------


def open_import(request: CommandRequest) -> Reply | None:
    """The upload modal (views.open with the command's trigger_id)."""
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        country = team.country
    metadata = modal_metadata(channel_id=request.channel_id, locale=request.locale)
    request.client.views_open(
        trigger_id=request.trigger_id, view=upload_modal(request.locale, country=country, private_metadata=metadata)
    )
    return None


def validate_upload(form: Submitted, metadata: dict[str, Any]) -> Upload:
    """Pure: the uploaded file's id from the modal's state, or an error beside the field."""
    files = form.files(FILE_BLOCK)
    if not files or not isinstance(files[0], dict) or not files[0].get("id"):
        raise FieldErrors({FILE_BLOCK: "kpi_import.ui.error.file_required"})
    file = files[0]
    try:
        size = int(file.get("size") or 0)
    except (TypeError, ValueError):
        size = 0
    if size > MAX_FILE_BYTES:
        raise FieldErrors({FILE_BLOCK: ("kpi_import.ui.error.file_too_big", {"limit_mb": MAX_FILE_MB})})
    return Upload(str(file["id"]), str(file.get("name") or file.get("title") or file["id"]))


def on_upload(interaction: Interaction) -> Reply:
    """After the ack: download, check (a dry run), answer with the report and the buttons."""
    upload: Upload = interaction.value
    name, data = download(interaction.client, upload.file_id)
    table = read_table(data)
    with read_only(interaction.runtime.session_factory) as session:
        team = team_of(session, interaction.scope)
        survey = survey_import.survey_reply(
            session, team=team, table=table, now=interaction.now, file_name=name, file_id=upload.file_id
        )
        if survey is not None:
            return survey
        report = kpi_import.check(
            session, team=team, table=table, today=kpi_import.team_today(team, interaction.now), actor=interaction.user_id
        )
        team_name, locale = team.name, team.locale
    return report_reply(report, locale, team=team_name, file_name=name, file_id=upload.file_id)


def commit(interaction: Interaction) -> Reply:
    """Save all: the same file, checked again, written all or nothing."""
    decision, name, table = file_to_save(interaction)
    with interaction.unit_of_work() as session:
        team = button_team(session, interaction, decision.team_channel)
        report = kpi_import.commit(
            session, team=team, table=table, today=kpi_import.team_today(team, interaction.now),
            actor=interaction.user_id, now=interaction.now, expected=decision.digest,
        )
        team_name, locale = team.name, team.locale
    return report_reply(
        report, locale, team=team_name, file_name=name, file_id=decision.file_id, stale=report.stale,
        team_channel=decision.team_channel,
    )


def cancel(interaction: Interaction) -> Reply:
    return cancelled_reply(interaction.locale)
