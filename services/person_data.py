"""One person's data in one workspace: what Alinea holds about them (`person_report`) and its
erasure (`erase_person`): what is only about them goes, and everywhere else their Slack id
becomes a stable pseudonym, so the team's history keeps its numbers.

The pseudonym is a keyed hash (HMAC-SHA256) of the workspace and the Slack id, with a secret
the operator keeps outside the database (ALINEA_PSEUDONYM_KEYS). An unkeyed hash could be
reversed by anyone holding the database and the workspace's member list (hash every member,
compare); with the key, only who holds the key can. There is no fallback to an unkeyed hash:
without a key `erase_person` refuses (PseudonymKeyMissing) and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator, Sequence

from sqlalchemy import JSON, Table, delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.base import Base
from services import audit
from services.data_rights import KINDS, USER_ID_COLUMNS, is_text_column, json_safe, owned_rows, primary_key, tables

ERASED_PREFIX = "UERASED"
SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
MAX_SAMPLES = 3
SAMPLE_LENGTH = 80

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
    owned = owned_rows(table, workspace_id)
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
            rows = session.execute(select(*shown).where(matching).order_by(*(c.desc() for c in primary_key(table))).limit(wanted))
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
    return [column for column in table.c if is_text_column(column) or isinstance(column.type, JSON)]


def _cells_mentioning(session: Session, workspace_id: int, *ids: str) -> Iterator[_Cell]:
    """Every text or JSON cell of the workspace's rows that contains one of the ids (whole ids only)."""
    pattern = _mention_pattern(*ids)
    id_columns = {(entry.table, entry.column) for entry in USER_ID_COLUMNS}
    for table in tables():
        owned = owned_rows(table, workspace_id)
        scanned = _scanned_columns(table)
        if owned is None or not scanned:
            continue
        key = primary_key(table)
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
        session.execute(update(table).where(*(column == part for column, part in zip(primary_key(table), key))).values(**values))
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
