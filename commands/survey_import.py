"""Survey exports through the spreadsheet paths of `/alinea kpi import` and the DM upload: a file
whose columns read as a survey (a score and a comment, no KPI column) is checked as customer
feedback instead of KPI values, and its Save all stores every answer or none.

The check and the buttons are the KPI import's: the buttons carry the file's id, the digest of
the report shown and (from a DM) the team's channel; Save all downloads the file again, checks
it again and writes only when the check still gives the report the person approved.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.blocks import Reply
from bot.blocks.survey_import import COMMIT, report_reply
from commands.spreadsheet_files import button_team, file_to_save
from commands.context import Interaction
from db.models import AlignmentTeam
from domain.errors import UserError
from domain.spreadsheet import Table
from domain.survey_sheet import survey_columns
from services import survey_import

__all__ = ["COMMIT", "commit", "survey_reply"]


def survey_reply(
    session: Session, *, team: AlignmentTeam, table: Table, now: datetime, file_name: str, file_id: str,
    team_channel: str | None = None,
) -> Reply | None:
    """The dry run of a survey export, or None when the table is not one (a KPI file)."""
    columns = survey_columns(table.headers)
    if columns is None:
        return None
    report = survey_import.check(session, team=team, table=table, columns=columns, now=now)
    return report_reply(report, team.locale, team=team.name, file_name=file_name, file_id=file_id, team_channel=team_channel)


def commit(interaction: Interaction) -> Reply:
    """Save all: the same file, checked again, stored all or nothing."""
    decision, name, table = file_to_save(interaction)
    columns = survey_columns(table.headers)
    if columns is None:  # the file changed under the same id: nothing to save as a survey
        raise UserError("survey_import.not_a_survey_anymore")
    with interaction.unit_of_work() as session:
        team = button_team(session, interaction, decision.team_channel)
        report = survey_import.commit(
            session, team=team, table=table, columns=columns, actor=interaction.user_id, now=interaction.now,
            expected=decision.digest,
        )
        team_name, locale = team.name, team.locale
    return report_reply(
        report, locale, team=team_name, file_name=name, file_id=decision.file_id, stale=report.stale,
        team_channel=decision.team_channel,
    )
