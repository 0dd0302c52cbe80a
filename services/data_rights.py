"""Data rights (Colombia's Ley 1581 de 2012: to know, update and delete one's data).

A workspace's admins can take everything Alinea holds about their workspace (`export_workspace`,
`archive`) and delete it (`delete_workspace_data`, also what a purge job after an uninstall
calls). Each person can see what Alinea holds about them (`person_report`) and have it erased
(`erase_person`): what is only about them goes, and everywhere else their Slack id becomes a
stable pseudonym, so the team's history keeps its numbers.

The pseudonym is a keyed hash (HMAC-SHA256) of the workspace and the Slack id, with a secret
the operator keeps outside the database (ALINEA_PSEUDONYM_KEYS). An unkeyed hash could be
reversed by anyone holding the database and the workspace's member list (hash every member,
compare); with the key, only who holds the key can. There is no fallback to an unkeyed hash:
without a key `erase_person` refuses (PseudonymKeyMissing) and changes nothing.

Everything here walks `Base.metadata.sorted_tables`, so a new table is exported, deleted and
scanned without a change here. The one list kept by hand is `USER_ID_COLUMNS` (what the
person report counts); a test fails when a model gains a column that looks like a user id
and is not in it.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import hmac
import io
import json
import logging
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Iterator, Sequence

from sqlalchemy import JSON, Enum, String, Table, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.base import Base
from db.models import Workspace  # importing the models registers every table on Base.metadata
from services import audit
from services.i18n import t

logger = logging.getLogger(__name__)

Export = dict[str, list[dict[str, Any]]]

# Columns never exported: a credential, even hashed, is not "data about" anyone. The pattern
# catches future ones by name; the explicit set documents the ones we have.
SECRET_COLUMNS = frozenset({("ingest_tokens", "token_hash")})
SECRET_NAME = re.compile(r"(secret|password|passwd|api_key|_hash$|^token$|_token$)")

ERASED_PREFIX = "UERASED"
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
MAX_SAMPLES = 3
SAMPLE_LENGTH = 80


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
# Rows that are only about the person: erased outright. Everything else keeps the row with a pseudonym.
REMOVED_KINDS = frozenset({"team_roles", "feedback"})
# What a sample of a row shows (team_id shows the team's name).
SAMPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "team_members": ("team_id", "role"),
    "kpi_values": ("period_start", "value", "source"),
    "kpis": ("key",),
    "alert_rules": ("movement", "amount", "mode"),
    "ingest_tokens": ("prefix",),
    "glossary_versions": ("number", "definition"),
    "glossary_change_requests": ("reason",),
    "glossary_approvals": ("at",),
    "sla_versions": ("comparator", "target", "period_kind"),
    "sla_acceptances": ("at",),
    "sla_breaches": ("number", "status"),
    "sla_breach_steps": ("kind", "at"),
    "okr_objectives": ("number", "title"),
    "okr_key_results": ("number", "metric"),
    "okr_retargets": ("at", "reason"),
    "okr_reminders": ("meeting_on",),
    "okr_checkins": ("at", "value", "note"),
    "okr_review_answers": ("question", "answer"),
    "agenda_topics": ("number", "text"),
    "agendas": ("kind", "period_key"),
    "experiments": ("week_key", "hypothesis"),
    "narrative_hypotheses": ("number", "text"),
    "narrative_feedback": ("verdict", "created_at"),
    "feedback_items": ("number", "source"),
    "feedback_themes": ("name",),
    "audit_log": ("action", "at"),
}


# Which rows belong to a workspace ---------------------------------------------------------------


def tables() -> list[Table]:
    """Every table of ours, parents before children."""
    return list(Base.metadata.sorted_tables)


def _owned(table: Table, workspace_id: int) -> ColumnElement[bool] | None:
    """The condition selecting the workspace's rows of `table` (None: the table holds no workspace's rows)."""
    if table.name == Workspace.__tablename__:
        return table.c.id == workspace_id
    if "workspace_id" in table.c:
        return table.c.workspace_id == workspace_id
    return None


def _primary_key(table: Table) -> list:
    return list(table.primary_key.columns)


def count_rows(session: Session, workspace_id: int) -> dict[str, int]:
    """table -> how many of the workspace's rows it holds (tables with none left out)."""
    counts: dict[str, int] = {}
    for table in tables():
        owned = _owned(table, workspace_id)
        if owned is None:
            continue
        count = session.execute(select(func.count()).select_from(table).where(owned)).scalar_one()
        if count:
            counts[table.name] = count
    return counts


# Export -------------------------------------------------------------------------------------------


def is_secret(table: Table, column_name: str) -> bool:
    return (table.name, column_name) in SECRET_COLUMNS or bool(SECRET_NAME.search(column_name))


def exported_columns(table: Table) -> list:
    return [column for column in table.c if not is_secret(table, column.name)]


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


def export_workspace(session: Session, workspace_id: int) -> Export:
    """Every row of every table of ours that belongs to the workspace (its own row too), JSON-safe,
    without secrets. Every table is a key, in dependency order; an empty table maps to []."""
    export: Export = {}
    for table in tables():
        owned = _owned(table, workspace_id)
        if owned is None:
            continue
        columns = exported_columns(table)
        rows = session.execute(select(*columns).where(owned).order_by(*_primary_key(table))).all()
        export[table.name] = [{column.name: json_safe(value) for column, value in zip(columns, row)} for row in rows]
    return export


def row_counts(export: Export) -> dict[str, int]:
    return {name: len(rows) for name, rows in export.items()}


# The archive ----------------------------------------------------------------------------------------


def archive(export: Export, *, locale: str = "es") -> bytes:
    """A zip: data.json (every table, exact), one CSV per non-empty table for spreadsheets, and a
    README.txt with the tables and their row counts.

    The CSVs are UTF-8 with a BOM, so Excel reads the accents right. Spanish spreadsheets (es-CO)
    separate columns with `;` and write decimals with a comma, so for a Spanish reader the CSVs
    do the same; data.json always has exact decimals with a point."""
    spanish = not locale.lower().startswith("en")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("data.json", json.dumps(export, ensure_ascii=False, indent=2, sort_keys=False))
        for name, rows in export.items():
            if rows:
                bundle.writestr(f"{name}.csv", _csv(name, rows, spanish=spanish))
        bundle.writestr("README.txt", _readme(export, locale, spanish=spanish).encode("utf-8-sig"))
    return buffer.getvalue()


def csv_dialect(*, spanish: bool) -> str:
    return ";" if spanish else ","


def _csv(table_name: str, rows: list[dict[str, Any]], *, spanish: bool) -> bytes:
    table = Base.metadata.tables.get(table_name)
    numeric = {c.name for c in table.c if _is_decimal(c)} if table is not None else set()
    text = {c.name for c in table.c if _is_text(c) or isinstance(c.type, JSON)} if table is not None else set(rows[0])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=csv_dialect(spanish=spanish), lineterminator="\r\n")
    header = list(rows[0])
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(name), decimal_comma=spanish and name in numeric, text=name in text) for name in header])
    return out.getvalue().encode("utf-8-sig")


def _is_decimal(column) -> bool:
    return type(column.type).__name__ == "ExactDecimal"


def _is_text(column) -> bool:
    return isinstance(column.type, String) and not isinstance(column.type, Enum)


def _cell(value: Any, *, decimal_comma: bool, text: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    cell = str(value)
    if decimal_comma:
        return cell.replace(".", ",")
    if text and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell  # what a person typed never runs as a spreadsheet formula
    return cell


def _readme(export: Export, locale: str, *, spanish: bool) -> str:
    counts = row_counts(export)
    lines = [
        t(locale, "data_rights.readme.title"),
        "",
        t(locale, "data_rights.readme.intro"),
        t(locale, "data_rights.readme.csv", separator=csv_dialect(spanish=spanish)),
        t(locale, "data_rights.readme.secrets"),
        "",
        t(locale, "data_rights.readme.tables", rows=sum(counts.values())),
    ]
    width = max((len(name) for name in counts), default=0)
    lines += [f"  {name.ljust(width)}  {count}" for name, count in counts.items()]
    return "\r\n".join(lines) + "\r\n"


# Deleting a workspace's data ------------------------------------------------------------------------


def delete_workspace_data(session: Session, workspace_id: int, now: datetime) -> dict[str, int]:
    """Deletes every row of the workspace in every table of ours, children first, the workspace's
    own row last (the model has no state for "data deleted"; the row is created again on the
    next contact with Slack). Returns table -> rows deleted. Runs in the caller's transaction:
    a slash command's unit of work, or a purge job after an uninstall's grace period."""
    deleted: dict[str, int] = {}
    for table in reversed(tables()):
        owned = _owned(table, workspace_id)
        if owned is None:
            continue
        count = session.execute(delete(table).where(owned)).rowcount or 0
        if count:
            deleted[table.name] = count
    session.expire_all()  # objects loaded before are gone from the database
    logger.info("deleted the data of workspace %s at %s: %d rows", workspace_id, now.isoformat(), sum(deleted.values()))
    return deleted


# One person ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindReport:
    kind: str
    count: int
    samples: tuple[str, ...]


@dataclass(frozen=True)
class PersonReport:
    user_id: str
    kinds: tuple[KindReport, ...]  # only what there is, in KINDS order
    mentions: int  # other cells (notes, audit details) that mention the person's id

    @property
    def total(self) -> int:
        return sum(kind.count for kind in self.kinds) + self.mentions

    def count(self, kind: str) -> int:
        return next((k.count for k in self.kinds if k.kind == kind), 0)


@dataclass(frozen=True)
class Erasure:
    pseudonym: str
    removed: dict[str, int]  # kind -> rows deleted (only about the person)
    pseudonymised: dict[str, int]  # kind -> rows kept with the pseudonym
    mentions: int  # other cells rewritten
    older: tuple[str, ...] = ()  # the stand-ins older keys made for the same person, rewritten to `pseudonym`

    @property
    def total(self) -> int:
        return sum(self.removed.values()) + sum(self.pseudonymised.values()) + self.mentions


class PseudonymKeyMissing(Exception):
    """No pseudonym key is configured: nobody can be erased until the operator sets one."""


def pseudonym(workspace_id: int, user_id: str, key: str) -> str:
    """The same stand-in for the same person of the same workspace under the same key, every
    time; without the key it cannot be recomputed from a member list."""
    digest = hmac.new(key.encode(), f"{workspace_id}:{user_id}".encode(), hashlib.sha256).hexdigest()[:10].upper()
    return f"{ERASED_PREFIX}{digest}"


def _check_user_id(user_id: str) -> None:
    if not SLACK_USER_ID.fullmatch(user_id or ""):
        raise ValueError(f"not a Slack user id: {user_id!r}")


def _mention_pattern(*ids: str) -> re.Pattern[str]:
    either = "|".join(re.escape(found) for found in ids)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{either})(?![A-Za-z0-9])")


def _columns_by_table(kinds: frozenset[str] | None = None) -> dict[tuple[str, str], list[str]]:
    """(table, kind) -> the columns holding the person's id, for the kinds asked (all by default)."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for entry in USER_ID_COLUMNS:
        if kinds is None or entry.kind in kinds:
            grouped.setdefault((entry.table, entry.kind), []).append(entry.column)
    return grouped


def _matching(table: Table, workspace_id: int, columns: list[str], *ids: str) -> ColumnElement[bool]:
    owned = _owned(table, workspace_id)
    assert owned is not None
    return owned & or_(*(table.c[name].in_(ids) for name in columns))


def person_report(session: Session, workspace_id: int, user_id: str) -> PersonReport:
    """What Alinea holds about one Slack user in one workspace: rows per kind, with a few recent
    samples, and how many other cells (notes, audit details) mention them."""
    _check_user_id(user_id)
    team_names = _team_names(session, workspace_id)
    counts: Counter[str] = Counter()
    samples: dict[str, list[str]] = {}
    for (table_name, kind), columns in _columns_by_table().items():
        table = Base.metadata.tables[table_name]
        matching = _matching(table, workspace_id, columns, user_id)
        counts[kind] += session.execute(select(func.count()).select_from(table).where(matching)).scalar_one()
        wanted = MAX_SAMPLES - len(samples.setdefault(kind, []))
        if wanted > 0:
            shown = [table.c[name] for name in SAMPLE_COLUMNS.get(table_name, ("id",))]
            rows = session.execute(select(*shown).where(matching).order_by(*(c.desc() for c in _primary_key(table))).limit(wanted))
            samples[kind] += [_sample(row, [c.name for c in shown], team_names) for row in rows]
    kinds = tuple(KindReport(kind, counts[kind], tuple(samples.get(kind, ()))) for kind in KINDS if counts[kind])
    mentions = sum(1 for cell in _cells_mentioning(session, workspace_id, user_id) if not cell.is_id_column)
    return PersonReport(user_id, kinds, mentions)


def _team_names(session: Session, workspace_id: int) -> dict[int, str]:
    teams = Base.metadata.tables["alignment_teams"]
    return dict(session.execute(select(teams.c.id, teams.c.name).where(teams.c.workspace_id == workspace_id)).all())


def _sample(row, names: list[str], team_names: dict[int, str]) -> str:
    parts = []
    for name, value in zip(names, row):
        if value is None or value == "":
            continue
        if name == "team_id":
            value = team_names.get(value, value)
        elif isinstance(value, datetime):
            value = value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        value = json_safe(value)
        parts.append(" ".join(str(value).split()))
    text = " · ".join(parts)
    return text if len(text) <= SAMPLE_LENGTH else text[: SAMPLE_LENGTH - 1] + "…"


@dataclass(frozen=True)
class _Cell:
    table: Table
    key: tuple[Any, ...]  # the row's primary key
    column: str
    value: Any
    is_id_column: bool  # one of USER_ID_COLUMNS holding exactly the id


def _scanned_columns(table: Table) -> list:
    return [column for column in table.c if _is_text(column) or isinstance(column.type, JSON)]


def _cells_mentioning(session: Session, workspace_id: int, *ids: str) -> Iterator[_Cell]:
    """Every text or JSON cell of the workspace's rows that contains one of the ids (whole ids only)."""
    pattern = _mention_pattern(*ids)
    id_columns = {(entry.table, entry.column) for entry in USER_ID_COLUMNS}
    for table in tables():
        owned = _owned(table, workspace_id)
        scanned = _scanned_columns(table)
        if owned is None or not scanned:
            continue
        key = _primary_key(table)
        for row in session.execute(select(*key, *scanned).where(owned).order_by(*key)):
            for column, value in zip(scanned, row[len(key):]):
                if value is not None and _mentions(value, pattern):
                    exact = (table.name, column.name) in id_columns and value in ids
                    yield _Cell(table, tuple(row[: len(key)]), column.name, value, exact)


def _mentions(value: Any, pattern: re.Pattern[str]) -> bool:
    if isinstance(value, str):
        return bool(pattern.search(value))
    if isinstance(value, dict):
        return any(_mentions(k, pattern) or _mentions(v, pattern) for k, v in value.items())
    if isinstance(value, list):
        return any(_mentions(item, pattern) for item in value)
    return False


def _replaced(value: Any, pattern: re.Pattern[str], stand_in: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(stand_in, value)
    if isinstance(value, dict):
        return {_replaced(k, pattern, stand_in): _replaced(v, pattern, stand_in) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(item, pattern, stand_in) for item in value]
    return value


def erase_person(session: Session, workspace_id: int, user_id: str, now: datetime, keys: Sequence[str]) -> Erasure:
    """Erases one person from one workspace: their team roles and their feedback are deleted;
    everywhere else (values they logged, approvals, check-ins, notes and audit details that
    mention them…) their id becomes `pseudonym(workspace_id, user_id, keys[0])`, so counts and
    history stay. Free text they wrote stays (it is the team's record), with their id replaced
    where it appears. The erasure is audited without the id. Afterwards no text or JSON cell of
    the workspace contains the id.

    `keys` are the pseudonym keys, newest first. The stand-ins an older key made for the same
    person (erased before a rotation, back and erased again after it) become the new one too, so
    a person keeps one stand-in. No key: PseudonymKeyMissing, before anything is changed."""
    _check_user_id(user_id)
    if not keys:
        raise PseudonymKeyMissing()
    stand_in = pseudonym(workspace_id, user_id, keys[0])
    older = tuple(found for found in dict.fromkeys(pseudonym(workspace_id, user_id, key) for key in keys[1:]) if found != stand_in)
    removed: dict[str, int] = {}
    for (table_name, kind), columns in _columns_by_table(REMOVED_KINDS).items():
        table = Base.metadata.tables[table_name]
        count = session.execute(delete(table).where(_matching(table, workspace_id, columns, user_id))).rowcount or 0
        if count:
            removed[kind] = removed.get(kind, 0) + count
    kept = _columns_by_table(frozenset(KINDS) - REMOVED_KINDS)
    pseudonymised: Counter[str] = Counter()
    for (table_name, kind), columns in kept.items():
        table = Base.metadata.tables[table_name]
        pseudonymised[kind] += session.execute(
            select(func.count()).select_from(table).where(_matching(table, workspace_id, columns, user_id))
        ).scalar_one()
    pattern, own = _mention_pattern(user_id, *older), _mention_pattern(user_id)
    mentions = 0  # of the id itself, as the person report counts them (older stand-ins are only restamped)
    changes: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}
    tables_by_name: dict[str, Table] = {}
    for cell in list(_cells_mentioning(session, workspace_id, user_id, *older)):
        mentions += 0 if cell.is_id_column or not _mentions(cell.value, own) else 1
        new = _fit(cell.table.c[cell.column], _replaced(cell.value, pattern, stand_in))
        changes.setdefault((cell.table.name, cell.key), {})[cell.column] = new
        tables_by_name[cell.table.name] = cell.table
    for (table_name, key), values in changes.items():
        table = tables_by_name[table_name]
        session.execute(update(table).where(*(column == part for column, part in zip(_primary_key(table), key))).values(**values))
    session.expire_all()
    erasure = Erasure(stand_in, removed, {kind: n for kind, n in pseudonymised.items() if n}, mentions, older)
    audit.record(
        session, workspace_id=workspace_id, actor=stand_in, action="person.erased", entity_type="person",
        entity_id=stand_in, before=None, now=now,
        after={"removed": erasure.removed, "pseudonymised": erasure.pseudonymised, "mentions": mentions},
    )  # fmt: skip
    session.flush()
    return erasure


def _fit(column, value: Any) -> Any:
    """A rewritten string cut to its column's length (the pseudonym may be longer than the id)."""
    length = getattr(column.type, "length", None)
    if isinstance(value, str) and length and len(value) > length:
        return value[:length]
    return value
