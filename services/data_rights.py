"""Data rights (Colombia's Ley 1581 de 2012: to know, update and delete one's data): what every
right needs to know about our tables.

A workspace's admins can take everything Alinea holds about their workspace
(`services.workspace_export`) and delete it (`services.workspace_deletion`, also what a purge
job after an uninstall calls). Each person can see what Alinea holds about them and have it
erased (`services.person_data`). This module holds what they share: which rows belong to a
workspace, which columns are never exported, which columns hold a person's Slack id, and how a
cell is written outside the database.

Everything walks `Base.metadata.sorted_tables`, so a new table is exported, deleted and
scanned without a change here. The one list kept by hand is `USER_ID_COLUMNS` (what the
person report counts); a test fails when a model gains a column that looks like a user id
and is not in it.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Enum, String, Table, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.base import Base
from db.models import Workspace  # importing the models registers every table on Base.metadata


# Which columns say what -----------------------------------------------------------------------------

# Columns never exported: a credential, even hashed, is not "data about" anyone. The pattern
# catches future ones by name; the explicit set documents the ones we have.
SECRET_COLUMNS = frozenset({("ingest_tokens", "token_hash")})
SECRET_NAME = re.compile(r"(secret|password|passwd|api_key|_hash$|^token$|_token$)")


def is_secret(table: Table, column_name: str) -> bool:
    return (table.name, column_name) in SECRET_COLUMNS or bool(SECRET_NAME.search(column_name))


def exported_columns(table: Table) -> list:
    return [column for column in table.c if not is_secret(table, column.name)]


def is_text_column(column) -> bool:
    return isinstance(column.type, String) and not isinstance(column.type, Enum)


@dataclass(frozen=True)
class UserColumn:
    table: str
    column: str
    kind: str  # what the person report calls it (data_rights.kind.<kind> in the catalogs)


# Every column of ours that holds a Slack user id, and what a row with it means for that person.
# Free text and JSON (notes, audit before/after, breach step details) may also mention people:
# the report counts those as mentions and the erasure rewrites them, by scanning every text cell.
USER_ID_COLUMNS: tuple[UserColumn, ...] = (
    UserColumn("team_members", "slack_user_id", "team_roles"),
    UserColumn("kpi_values", "recorded_by", "values"),
    UserColumn("kpis", "created_by", "kpis"),
    UserColumn("alert_rules", "created_by", "kpis"),
    UserColumn("ingest_tokens", "created_by", "kpis"),
    UserColumn("glossary_versions", "proposed_by", "glossary_proposals"),
    UserColumn("glossary_change_requests", "user_id", "glossary_proposals"),
    UserColumn("glossary_approvals", "user_id", "glossary_approvals"),
    UserColumn("sla_versions", "proposed_by", "sla_commitments"),
    UserColumn("sla_versions", "responsible_user_id", "sla_commitments"),
    UserColumn("sla_acceptances", "user_id", "sla_acceptances"),
    UserColumn("sla_breaches", "acknowledged_by", "breach_acknowledgements"),
    UserColumn("sla_breaches", "responsible_user_id", "breaches"),
    UserColumn("sla_breaches", "plan_owner", "breaches"),
    UserColumn("sla_breaches", "ended_by", "breaches"),
    UserColumn("sla_breach_steps", "actor", "breaches"),
    UserColumn("okr_objectives", "created_by", "okrs"),
    UserColumn("okr_objectives", "closed_by", "okrs"),
    UserColumn("okr_key_results", "owner_user_id", "okrs"),
    UserColumn("okr_key_results", "created_by", "okrs"),
    UserColumn("okr_retargets", "user_id", "okrs"),
    UserColumn("okr_reminders", "user_id", "okrs"),
    UserColumn("okr_checkins", "user_id", "checkins"),
    UserColumn("okr_review_answers", "user_id", "checkins"),
    UserColumn("agenda_topics", "added_by", "topics"),
    UserColumn("agenda_topics", "closed_by", "topics"),
    UserColumn("agendas", "claimed_by", "topics"),
    UserColumn("experiments", "owner_user_id", "experiments"),
    UserColumn("experiments", "decided_by", "experiments"),
    UserColumn("experiments", "result_by", "experiments"),
    UserColumn("narrative_hypotheses", "adopted_by", "experiments"),
    UserColumn("narrative_feedback", "user_id", "feedback"),
    UserColumn("feedback_items", "added_by", "customer_feedback"),
    UserColumn("feedback_themes", "created_by", "customer_feedback"),
    UserColumn("audit_log", "actor", "audit"),
)
KINDS: tuple[str, ...] = tuple(dict.fromkeys(column.kind for column in USER_ID_COLUMNS))


# Which rows belong to a workspace ---------------------------------------------------------------


def tables() -> list[Table]:
    """Every table of ours, parents before children."""
    return list(Base.metadata.sorted_tables)


def owned_rows(table: Table, workspace_id: int) -> ColumnElement[bool] | None:
    """The condition selecting the workspace's rows of `table` (None: the table holds no workspace's rows)."""
    if table.name == Workspace.__tablename__:
        return table.c.id == workspace_id
    if "workspace_id" in table.c:
        return table.c.workspace_id == workspace_id
    return None


def primary_key(table: Table) -> list:
    return list(table.primary_key.columns)


def count_rows(session: Session, workspace_id: int) -> dict[str, int]:
    """table -> how many of the workspace's rows it holds (tables with none left out)."""
    counts: dict[str, int] = {}
    for table in tables():
        owned = owned_rows(table, workspace_id)
        if owned is None:
            continue
        count = session.execute(select(func.count()).select_from(table).where(owned)).scalar_one()
        if count:
            counts[table.name] = count
    return counts


# A cell outside the database ------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    """A database value as JSON: decimals as exact strings, times in ISO 8601 (UTC for instants)."""
    if isinstance(value, enum.Enum):  # before str: our enums are str subclasses
        return json_safe(value.value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(item) for item in value]
    return str(value)


def _decimal_text(value: Decimal) -> str:
    # The same text on both databases (PostgreSQL pads NUMERIC(24, 6) with zeros; SQLite does not).
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
