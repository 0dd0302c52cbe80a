"""Survey exports as customer feedback: the same spreadsheet paths as KPI values (a CSV sent to
the bot in a DM, `/alinea kpi import`), recognised by their columns (`domain.survey_sheet`).

`check` is the dry run: how many answers would be stored, how many are stored already, the
themes their words point to and how much personal data would be removed; nothing is written.
`commit` checks again and writes every answer or none through `services.feedback_ingest`, the
ingest API's batch path, so personal data is removed before storage and an answer sent twice
(the same file again) is stored once: each answer's id is the file's id column or a stable hash
of its cells. Answers with no comment are left out (a survey export has many): there is
nothing a customer said to keep. Every report carries a digest of what the check found, so a
person commits exactly the report they approved.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AlignmentTeam, FeedbackItem
from domain.feedback import classify
from domain.personal_data import KINDS, scrub
from domain.spreadsheet import Row, Table
from domain.survey_sheet import SurveyColumns, answer_id, parse_answer_date
from services import feedback, feedback_ingest
from services.feedback_ingest import ValidItem

DEFAULT_SOURCE = "survey"
# What the batch check says about an item, said about a line of the file.
ROW_MESSAGES = {
    "invalid_score": "survey_import.row.invalid_score",
    "invalid_source": "survey_import.row.invalid_source",
    "invalid_received_at": "survey_import.row.invalid",
    "received_at_in_future": "survey_import.row.date_future",
    "invalid_id": "survey_import.row.invalid_id",
    "only_personal_data": "survey_import.row.only_personal_data",
    "text_too_long": "survey_import.row.text_too_long",
    "duplicate_id": "survey_import.row.duplicate_id",
}


class Rejected(NamedTuple):
    line: int
    message_id: str
    params: dict


@dataclass
class SurveyReport:
    answers: int = 0  # rows with a comment: what would be stored
    new: int = 0
    unchanged: int = 0  # stored before (the same id): nothing changes
    without_comment: int = 0  # left out
    themes: dict[str, int] = field(default_factory=dict)  # theme name -> answers, in the team's order
    removed: dict[str, int] = field(default_factory=dict)  # personal data kind -> pieces removed
    rejected: list[Rejected] = field(default_factory=list)  # when not empty, nothing is written
    committed: bool = False
    stale: bool = False
    digest: str = ""

    @property
    def ok(self) -> bool:
        return not self.rejected


def check(session: Session, *, team: AlignmentTeam, table: Table, columns: SurveyColumns, now: datetime) -> SurveyReport:
    """Every answer checked; nothing written."""
    report, _ = _check(session, team, table, columns, now)
    return report


def commit(
    session: Session, *, team: AlignmentTeam, table: Table, columns: SurveyColumns, actor: str, now: datetime,
    expected: str | None = None,
) -> SurveyReport:
    """Check again, then store every answer or none (one savepoint; the caller commits). With
    `expected`, nothing is written when the check no longer gives the approved report."""
    report, items = _check(session, team, table, columns, now)
    if not report.ok or not report.new:
        return report
    if expected is not None and report.digest != expected:
        return replace(report, stale=True)
    with session.begin_nested():
        feedback_ingest.record_items(session, team=team, items=items, actor=actor, now=now)
    return replace(report, committed=True)


def _check(session: Session, team: AlignmentTeam, table: Table, columns: SurveyColumns, now: datetime) -> tuple[SurveyReport, list[ValidItem]]:
    report = SurveyReport()
    raw_items: list[dict] = []
    lines: list[int] = []
    seen: Counter[tuple[str, ...]] = Counter()
    for row in table.rows:
        comment = row.values.get(columns.comment, "").strip()
        if not comment:
            report.without_comment += 1
            continue
        try:
            raw_items.append(_item(row, columns, team, now, seen))
        except _DateUnknown as unknown:
            report.rejected.append(Rejected(row.line, "survey_import.row.date_unknown", {"typed": unknown.typed[:40]}))
            continue
        lines.append(row.line)
    valid, errors = feedback_ingest.validate_items(raw_items, default_source=DEFAULT_SOURCE, now=now)
    for error in errors:
        report.rejected.append(Rejected(lines[error.index], ROW_MESSAGES.get(error.code, "survey_import.row.invalid"), {}))
    report.rejected.sort(key=lambda rejected: rejected.line)
    report.answers = len(raw_items)
    stored = _stored_ids(session, team, [item.external_id for item in valid])
    report.unchanged = sum(1 for item in valid if item.external_id in stored)
    report.new = len(valid) - report.unchanged
    _count_contents(session, team, report, [item for item in valid if item.external_id not in stored])
    report.digest = _digest(valid, stored, report.rejected, now)
    return report, valid


class _DateUnknown(Exception):
    def __init__(self, typed: str):
        super().__init__(typed)
        self.typed = typed


def _item(row: Row, columns: SurveyColumns, team: AlignmentTeam, now: datetime, seen: Counter) -> dict:
    """The row as an item of the ingest batch: id, text, score, source, received_at."""
    cells = tuple(row.values.get(header, "").strip() for header in (columns.score, columns.comment, columns.date or ""))
    typed_id = row.values.get(columns.id, "").strip() if columns.id else ""
    seen[cells] += 1
    item: dict = {
        "id": f"sheet:{typed_id}" if typed_id else answer_id(cells, seen[cells]),
        "text": row.values[columns.comment], "score": row.values.get(columns.score, "").strip() or None,
    }
    source = row.values.get(columns.source, "").strip() if columns.source else ""
    if source:
        item["source"] = source
    typed_date = row.values.get(columns.date, "").strip() if columns.date else ""
    if typed_date:
        moment = parse_answer_date(typed_date, day_first=not team.locale.startswith("en"))
        if moment is None:
            raise _DateUnknown(typed_date)
        item["received_at"] = (moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(team.timezone))).isoformat()
    return item


def _stored_ids(session: Session, team: AlignmentTeam, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    query = select(FeedbackItem.external_id).where(
        FeedbackItem.workspace_id == team.workspace_id, FeedbackItem.team_id == team.id, FeedbackItem.external_id.in_(ids)
    )
    return set(session.scalars(query))


def _count_contents(session: Session, team: AlignmentTeam, report: SurveyReport, items: list[ValidItem]) -> None:
    """The themes and the personal data of the answers that would be stored."""
    active = feedback.themes_as_they_would_be(session, team=team)
    rules = [theme.rule() for theme in active]
    names = {theme.key: theme.name for theme in active}
    themes: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    for item in items:
        scrubbed = scrub(item.text)
        removed.update(scrubbed.removed)
        themes.update(classify(scrubbed.text, rules))
    report.themes = {names[theme.key]: themes[theme.key] for theme in active if themes[theme.key]}
    report.removed = {kind: removed[kind] for kind in KINDS if removed[kind]}


def _digest(valid: list[ValidItem], stored: set[str], rejected: list[Rejected], now: datetime) -> str:
    # An answer without a date is dated when it is checked: that moment is not part of what was approved.
    facts = {
        "items": [[item.external_id, item.score, item.source, "" if item.received_at == now else item.received_at.isoformat(),
                   item.external_id in stored,
                   hashlib.sha256(item.text.encode("utf-8")).hexdigest()] for item in valid],  # fmt: skip
        "rejected": [[line, message_id] for line, message_id, _ in rejected],
    }
    return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode("utf-8")).hexdigest()[:20]
