"""The ingest API's use cases: per-team bearer tokens, and recording a batch of values.

Tokens
    `aln_` + 32 random bytes (`secrets.token_urlsafe`). Only the token's sha256 (hex) and a short
    display prefix (`aln_Ab3xYz`) are stored; the token itself is returned once, to be shown to the
    admin who asked for it, and never stored, logged or audited. Team admins and Slack workspace
    admins or owners create, rotate (revoke every active token and create one, in one transaction)
    and revoke them; each of those is in the audit log with the prefix only.

Batches (`POST /api/v1/teams/{team}/metrics`, see openapi.yaml)
    All or nothing: every row is checked first (its shape, the KPI, the value for the KPI's unit
    with `domain.kpis.validate_value`, the period, the source); if any row fails nothing is written
    and every failing row is reported with its index. Otherwise all rows are written in the
    caller's one transaction. Idempotent on (KPI, period, source) like `services.kpis.record`:
    an identical resend changes nothing, a changed value (or note) replaces the old
    one, and each recorded or replaced value gets the same audit row `services.kpis.record` writes
    (`kpi_value.recorded` / `kpi_value.replaced`, the same before/after snapshot shape).

    The batch does not call `services.kpis.record` per row: that resolves the KPI, its glossary
    version and the row one statement at a time. Here the team's KPIs and the versions in force
    are loaded once, what is stored for the batch's keys is read in one query (locked, in key
    order), the new values go in with one `INSERT … ON CONFLICT DO NOTHING RETURNING` (a key
    another request inserted meanwhile is read back and treated as a correction), the rest are
    compared and updated, and the audit rows go in with one multi-row insert.

    Error messages here are English: the API's clients are programs (CRMs, shops) and their logs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import AlignmentTeam, AuditEntry, IngestToken, Kpi, KpiValue, TeamRole, Workspace, WorkspaceState
from db.types import plain_decimal
from domain.errors import UserError
from domain.kpis import Aggregation, KpiSpec, closest_key, validate_value
from domain.number_limits import MAX_DECIMALS, MAX_WHOLE_DIGITS, storage_problem
from domain.periods import Period, local_date
from services import alerts, audit, glossary
from services import kpis as kpis_service
from services.teams import roles_of

TOKEN_MARK = "aln_"
TOKEN_BYTES = 32
PREFIX_CHARS = 6  # random characters after `aln_` kept for display: `aln_Ab3xYz…`
MAX_TOKEN_LENGTH = 200  # anything longer is not one of ours; refused before hashing
MAX_ACTIVE_TOKENS = 5

MAX_ROWS = 1000
MAX_NOTE_LENGTH = 1000
SOURCE_PATTERN = re.compile(r"[a-z0-9_.-]{1,40}")
SOURCE_MARK = "api:"
_DECIMAL_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # PostgreSQL refuses NUL in text; none is meant
_ROW_FIELDS = {"kpi", "value", "period", "timestamp", "source", "note"}
_UNIQUE = ["kpi_id", "source", "period_kind", "period_start"]
# Rows per multi-row INSERT. psycopg parses every statement's placeholders on the client and only
# caches short ones: pages of 50 rows wrote a 1,000-value batch about 1.5× faster on PostgreSQL
# than SQLAlchemy's default of 1,000 (bench/ingest.py); on SQLite it makes no difference.
_INSERT_PAGE = 50


# Tokens ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    """A token just created. `plain` is the only copy of the token there will ever be."""

    plain: str = field(repr=False)
    prefix: str
    replaced: tuple[str, ...] = ()  # prefixes of the tokens a rotation revoked


@dataclass(frozen=True)
class TokenView:
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class Caller:
    """Who is calling the API: the token (by id and prefix) and its team."""

    token_id: int
    prefix: str
    team_id: int
    channel_id: str

    @property
    def actor(self) -> str:
        """What the audit log and `recorded_by` say wrote a value: the token's prefix."""
        return f"api:{self.prefix}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return TOKEN_MARK + secrets.token_urlsafe(TOKEN_BYTES)


def display_prefix(token: str) -> str:
    return token[: len(TOKEN_MARK) + PREFIX_CHARS]


def can_manage_tokens(team: AlignmentTeam, user_id: str, *, is_workspace_admin: bool) -> bool:
    """The rule of `/alinea setup`: the team's admins, or Slack's workspace admins and owners."""
    return is_workspace_admin or TeamRole.ADMIN in roles_of(team, user_id)


def _require_admin(team: AlignmentTeam, actor: str, is_workspace_admin: bool) -> None:
    if not can_manage_tokens(team, actor, is_workspace_admin=is_workspace_admin):
        raise UserError("ingest.not_allowed")


def _active(session: Session, team: AlignmentTeam, *, lock: bool = False) -> list[IngestToken]:
    query = (
        select(IngestToken)
        .where(IngestToken.workspace_id == team.workspace_id, IngestToken.team_id == team.id, IngestToken.revoked_at.is_(None))
        .order_by(IngestToken.id)
    )
    return list(session.scalars(query.with_for_update() if lock else query))


def _token_snapshot(token: IngestToken) -> dict[str, Any]:
    """What the audit log keeps of a token: never the token, nor its hash."""
    return {
        "prefix": token.prefix, "created_by": token.created_by, "created_at": _iso(token.created_at),
        "revoked_at": _iso(token.revoked_at) if token.revoked_at else None,
    }


def _issue(session: Session, team: AlignmentTeam, actor: str, now: datetime) -> tuple[IngestToken, str]:
    plain = new_token()
    token = IngestToken(
        workspace_id=team.workspace_id, team_id=team.id, token_hash=hash_token(plain), prefix=display_prefix(plain),
        created_by=actor, created_at=now,
    )
    session.add(token)
    session.flush()
    return token, plain


def _revoke(session: Session, team: AlignmentTeam, tokens: Sequence[IngestToken], actor: str, now: datetime) -> None:
    for token in tokens:
        before = _token_snapshot(token)
        token.revoked_at = now
        audit.record(
            session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action="ingest_token.revoked",
            entity_type="ingest_token", entity_id=token.id, before=before, after=_token_snapshot(token), now=now,
        )


def create_token(session: Session, *, team: AlignmentTeam, actor: str, is_workspace_admin: bool, now: datetime) -> IssuedToken:
    """One more active token for the team (up to MAX_ACTIVE_TOKENS, so a CRM and a shop each have theirs)."""
    _require_admin(team, actor, is_workspace_admin)
    if len(_active(session, team, lock=True)) >= MAX_ACTIVE_TOKENS:
        raise UserError("ingest.too_many_tokens", limit=MAX_ACTIVE_TOKENS)
    token, plain = _issue(session, team, actor, now)
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action="ingest_token.created",
        entity_type="ingest_token", entity_id=token.id, before=None, after=_token_snapshot(token), now=now,
    )
    return IssuedToken(plain=plain, prefix=token.prefix)


def rotate_token(session: Session, *, team: AlignmentTeam, actor: str, is_workspace_admin: bool, now: datetime) -> IssuedToken:
    """Revoke every active token of the team and create its replacement, in the caller's transaction."""
    _require_admin(team, actor, is_workspace_admin)
    old = _active(session, team, lock=True)
    _revoke(session, team, old, actor, now)
    token, plain = _issue(session, team, actor, now)
    after = {**_token_snapshot(token), "replaces": [each.prefix for each in old]}
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action="ingest_token.rotated",
        entity_type="ingest_token", entity_id=token.id, before=None, after=after, now=now,
    )
    return IssuedToken(plain=plain, prefix=token.prefix, replaced=tuple(each.prefix for each in old))


def revoke_tokens(
    session: Session, *, team: AlignmentTeam, actor: str, is_workspace_admin: bool, now: datetime, prefix: str | None = None
) -> list[str]:
    """Revoke the team's active tokens (or the one whose display prefix starts with `prefix`);
    returns the prefixes revoked."""
    _require_admin(team, actor, is_workspace_admin)
    active = _active(session, team, lock=True)
    if not active:
        raise UserError("ingest.no_active_token")
    chosen = active
    if prefix is not None:
        # A pasted whole token counts by its prefix (and is never echoed back whole).
        wanted = prefix.strip().rstrip("…").rstrip(".")[: len(TOKEN_MARK) + PREFIX_CHARS]
        chosen = [token for token in active if wanted and token.prefix.startswith(wanted)]
        if len(chosen) != 1:
            known = ", ".join(f"`{token.prefix}`" for token in active)
            raise UserError("ingest.unknown_prefix" if not chosen else "ingest.ambiguous_prefix", prefix=wanted, known=known)
    _revoke(session, team, chosen, actor, now)
    return [token.prefix for token in chosen]


def active_tokens(session: Session, *, team: AlignmentTeam, actor: str, is_workspace_admin: bool) -> list[TokenView]:
    _require_admin(team, actor, is_workspace_admin)
    return [TokenView(t.prefix, t.created_by, t.created_at, t.last_used_at) for t in _active(session, team)]


def authenticate(session: Session, *, channel_id: str, token: str | None) -> Caller | None:
    """The caller when `token` is an active token of the team bound to `channel_id`; else None.

    The token is looked up by its hash (a unique index), and the hashes are compared again in
    constant time. A valid token of another team gets None like a wrong one: the answer never
    says whether a team exists.
    """
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.startswith(TOKEN_MARK):
        return None
    digest = hash_token(token)
    found = session.execute(
        select(IngestToken, AlignmentTeam.channel_id, Workspace.state)
        .join(AlignmentTeam, AlignmentTeam.id == IngestToken.team_id)
        .join(Workspace, Workspace.id == IngestToken.workspace_id)
        .where(IngestToken.token_hash == digest)
    ).one_or_none()
    if found is None:
        hmac.compare_digest(digest, "0" * len(digest))  # the same work as a found token
        return None
    row, team_channel, state = found
    if not hmac.compare_digest(row.token_hash, digest):
        return None
    if row.revoked_at is not None or team_channel != channel_id or state is not WorkspaceState.INSTALLED:
        return None
    return Caller(token_id=row.id, prefix=row.prefix, team_id=row.team_id, channel_id=team_channel)


class TokenRevoked(Exception):
    """The token was revoked between the authentication and the write."""


# Batches ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    index: int
    code: str
    message: str  # English, for the client's logs

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "error": self.code, "message": self.message}


@dataclass(frozen=True)
class ValidRow:
    index: int
    kpi: Kpi
    period: Period
    value: Decimal
    source: str  # as stored: "api:<source>"
    note: str

    @property
    def key(self) -> tuple[int, str, str, date]:
        return (self.kpi.id, self.source, self.period.kind, self.period.start)


@dataclass(frozen=True)
class BatchResult:
    recorded: int = 0
    unchanged: int = 0
    replaced: int = 0
    errors: tuple[RowError, ...] = ()  # when not empty, nothing was written
    alerts: int = 0  # alert episodes the batch started (posted after the commit)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {"recorded": self.recorded, "unchanged": self.unchanged, "replaced": self.replaced}


class _Invalid(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code, self.message = code, message


def team_kpis(session: Session, team: AlignmentTeam) -> dict[str, Kpi]:
    """The team's KPIs in use, by key: loaded once per batch."""
    return {kpi.key: kpi for kpi in kpis_service.active_kpis(session, team=team)}


def parse_value(raw: object) -> Decimal:
    """A JSON number (already a Decimal or an int, see bot.ingest_api) or a decimal string, exactly."""
    if isinstance(raw, bool) or raw is None:
        raise _Invalid("invalid_value", "value must be a number or a decimal string such as \"45000000.5\"")
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str) and _DECIMAL_TEXT.fullmatch(raw.strip()):
        value = Decimal(raw.strip())
    elif isinstance(raw, float):  # only when a caller parsed JSON without parse_float=Decimal
        value = Decimal(repr(raw))
    else:
        raise _Invalid(
            "invalid_value",
            "value must be a number or a decimal string with a dot and no thousands separators, such as \"45000000.5\"",
        )
    problem = storage_problem(value)  # judged without a decimal context: 1E+400 and 1E-400 included
    if problem == "not_finite":
        raise _Invalid("invalid_value", "value must be a finite number")
    if problem == "too_large":
        raise _Invalid("value_too_large", f"value must be less than 10^{MAX_WHOLE_DIGITS} in absolute value")
    if problem == "too_precise":
        raise _Invalid("too_many_decimals", f"value has more than {MAX_DECIMALS} decimals; round it to {MAX_DECIMALS}")
    return plain_decimal(value)


_VALUE_ERRORS = {  # domain.kpis.validate_value's message ids -> (code, English message)
    "kpi.negative_value": ("negative_value", "{key} cannot be negative"),
    "kpi.percent_over_100": ("percent_over_100", "{key} is a percentage and cannot exceed 100"),
    "kpi.count_not_whole": ("not_a_whole_number", "{key} counts things: send a whole number"),
    "kpi.value_not_a_number": ("invalid_value", "value must be a finite number"),
}


def parse_period(row: dict[str, Any], *, timezone_name: str, today: date) -> Period:
    has_period, has_timestamp = row.get("period") is not None, row.get("timestamp") is not None
    if has_period == has_timestamp:
        raise _Invalid(
            "period_or_timestamp",
            "send exactly one of period (\"2026-W02\", \"2026-01\" or \"2026-01-12\") and timestamp "
            "(ISO 8601 with an offset, such as \"2026-01-12T23:30:00-05:00\")",
        )
    if has_period:
        raw = row["period"]
        try:
            if not isinstance(raw, str):
                raise ValueError(raw)
            period = Period.parse_key(raw)
        except ValueError:
            raise _Invalid(
                "invalid_period", "period must be an ISO week (\"2026-W02\"), a month (\"2026-01\") or a day (\"2026-01-12\")"
            ) from None
    else:
        raw = row["timestamp"]
        try:
            if not isinstance(raw, str):
                raise ValueError(raw)
            moment = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise _Invalid("invalid_timestamp", "timestamp must be ISO 8601, such as \"2026-01-12T23:30:00-05:00\"") from None
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise _Invalid(
                "invalid_timestamp", "timestamp needs a UTC offset (\"-05:00\" or \"Z\"): without one nobody knows which day it was"
            )
        period = Period.day(local_date(moment, timezone_name))  # the day it falls on in the team's timezone
    if period.start > today:
        raise _Invalid("future_period", f"{period.key} has not started yet in the team's timezone (today is {today.isoformat()})")
    return period


def _check_row(
    raw: object, *, kpis: dict[str, Kpi], specs: dict[str, KpiSpec], timezone_name: str, today: date, index: int
) -> ValidRow:
    if not isinstance(raw, dict):
        raise _Invalid("not_an_object", "each row must be a JSON object with kpi, value, period or timestamp, and source")
    unknown = sorted(set(raw) - _ROW_FIELDS)
    if unknown:
        raise _Invalid("unknown_field", f"unknown field {unknown[0]!r}; a row has kpi, value, period or timestamp, source, note")
    key = raw.get("kpi")
    if not isinstance(key, str) or not key.strip():
        raise _Invalid("missing_kpi", "kpi is required: the key of one of the team's KPIs, such as \"orders\"")
    kpi = kpis.get(key.strip().lower())
    if kpi is None:
        suggestion = closest_key(key, kpis)
        hint = f"; did you mean {suggestion!r}?" if suggestion else "; `/alinea kpi list` in Slack shows the team's keys"
        raise _Invalid("unknown_kpi", f"the team has no KPI {key!r}{hint}")
    spec = specs[kpi.key]
    if spec.aggregation is Aggregation.RATE:
        raise _Invalid(
            "rate_kpi", f"{kpi.key} is computed as {spec.numerator} / {spec.denominator}: send those two instead"
        )
    if "value" not in raw:
        raise _Invalid("missing_value", "value is required")
    value = parse_value(raw["value"])
    try:
        validate_value(spec, value, language="en")
    except UserError as refused:
        code, message = _VALUE_ERRORS.get(refused.message_id, ("invalid_value", "{key}: this value makes no sense for its unit"))
        raise _Invalid(code, message.format(key=kpi.key)) from None
    period = parse_period(raw, timezone_name=timezone_name, today=today)
    source = raw.get("source")
    if source is None:
        raise _Invalid("missing_source", "source is required: where the value comes from, such as \"shopify\"")
    if not isinstance(source, str) or not SOURCE_PATTERN.fullmatch(source):
        raise _Invalid("invalid_source", "source must be 1 to 40 characters among a-z, 0-9, '_', '.' and '-', such as \"shopify\"")
    note = raw.get("note")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise _Invalid("invalid_note", "note must be a string")
    if _CONTROL.search(note):
        raise _Invalid("invalid_note", "note must not contain control characters (tab and line breaks aside)")
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise _Invalid("invalid_note", f"note is longer than {MAX_NOTE_LENGTH} characters")
    return ValidRow(index, kpi, period, value, SOURCE_MARK + source, note)


def validate_rows(rows: Sequence[object], *, kpis: dict[str, Kpi], timezone_name: str, now: datetime) -> tuple[list[ValidRow], list[RowError]]:
    """Every row checked (no database access): the valid rows, and an error for each other one.
    Two rows for the same KPI, period and source are an error too: which one should win?"""
    today = local_date(now, timezone_name)
    specs = {key: kpis_service.spec_of(kpi) for key, kpi in kpis.items()}
    valid: list[ValidRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[int, str, str, date], int] = {}
    for index, raw in enumerate(rows):
        try:
            row = _check_row(raw, kpis=kpis, specs=specs, timezone_name=timezone_name, today=today, index=index)
        except _Invalid as invalid:
            errors.append(RowError(index, invalid.code, invalid.message))
            continue
        first = seen.setdefault(row.key, index)
        if first != index:
            errors.append(RowError(
                index, "duplicate_row",
                f"row {first} already has {row.kpi.key} for {row.period.key} from {row.source[len(SOURCE_MARK):]}; send one",
            ))
            continue
        valid.append(row)
    return valid, errors


def caller_team(session: Session, *, caller: Caller, now: datetime) -> AlignmentTeam:
    """The caller's team, its token checked again inside the write (and its last use noted).
    Raises TokenRevoked when the token was revoked since `authenticate`."""
    token = session.get(IngestToken, caller.token_id)
    if token is None or token.revoked_at is not None:
        raise TokenRevoked()
    token.last_used_at = now
    team = session.get(AlignmentTeam, caller.team_id)
    assert team is not None and team.id == token.team_id
    return team


def record_batch(session: Session, *, caller: Caller, rows: Sequence[object], now: datetime) -> BatchResult:
    """Check every row, then write them all (or, when any row fails, none) in the caller's transaction.

    The token's `last_used_at` is updated either way. Raises TokenRevoked when the token is no
    longer active (revoked since `authenticate`).
    """
    team = caller_team(session, caller=caller, now=now)
    kpis = team_kpis(session, team)
    valid, errors = validate_rows(rows, kpis=kpis, timezone_name=team.timezone, now=now)
    if errors:
        return BatchResult(errors=tuple(errors))
    recorded, unchanged, replaced, written = _write(session, team, valid, actor=caller.actor, now=now)
    started = _check_alerts(session, team, written, now)
    return BatchResult(recorded=recorded, unchanged=unchanged, replaced=replaced, alerts=started)


def _check_alerts(session: Session, team: AlignmentTeam, written: list[ValidRow], now: datetime) -> int:
    """The same alert check as a value logged in Slack, for the new values of KPIs that have rules."""
    watched = alerts.kpis_with_rules(session, team=team)
    return sum(
        len(alerts.evaluate(session, team=team, kpi_id=row.kpi.id, value=row.value, now=now))
        for row in written if row.kpi.id in watched
    )


def _versions(session: Session, team: AlignmentTeam, kpis: set[Kpi], now: datetime) -> dict[int, Any]:
    """The glossary version in force for each KPI that measures a term (one lookup per KPI)."""
    versions = {}
    for kpi in kpis:
        if kpi.term_id is not None:
            versions[kpi.id] = glossary.version_in_force_by_id(session, team=team, term_id=kpi.term_id, at=now)
    return versions


def _write(
    session: Session, team: AlignmentTeam, rows: list[ValidRow], *, actor: str, now: datetime
) -> tuple[int, int, int, list[ValidRow]]:
    """Read what is stored for the batch's keys (one query, locked), insert the rest (one statement
    for all of them), compare and update the ones that existed, then one audit insert."""
    rows = sorted(rows, key=lambda row: row.key)  # one lock order for every writer (PostgreSQL deadlocks)
    versions = _versions(session, team, {row.kpi for row in rows}, now)

    def version_id(row: ValidRow) -> int | None:
        version = versions.get(row.kpi.id)
        return version.id if version is not None else None

    stored = _stored(session, rows)
    inserted = _insert_new(session, team, [row for row in rows if row.key not in stored], actor, now, version_id)
    lost = [row for row in rows if row.key not in stored and row.key not in inserted]
    if lost:  # another request inserted these keys since our read: they are corrections now
        stored.update(_stored(session, lost))
        if any(row.key not in stored for row in lost):
            raise RuntimeError("values neither inserted nor found")

    entries: list[dict[str, Any]] = []
    written: list[ValidRow] = []
    unchanged = replaced = 0
    for row in rows:
        value_id = inserted.get(row.key)
        if value_id is not None:
            after = _row_snapshot(row, actor, now)
            entries.append(_entry(team, actor, "kpi_value.recorded", value_id, None, after, now))
            written.append(row)
            continue
        current = stored[row.key]
        if current.value == row.value and current.note == row.note:
            unchanged += 1
            continue
        before = kpis_service.value_snapshot(
            kpi_id=current.kpi_id, source=current.source, period=Period(current.period_kind, current.period_start),
            value=current.value, note=current.note, recorded_by=current.recorded_by, recorded_at=current.recorded_at,
        )
        current.value, current.note, current.recorded_by, current.recorded_at = row.value, row.note, actor, now
        current.definition_version_id = version_id(row)
        after = _row_snapshot(row, actor, now)
        entries.append(_entry(team, actor, "kpi_value.replaced", current.id, before, after, now))
        written.append(row)
        replaced += 1
    session.flush()
    if entries:
        session.execute(insert(AuditEntry.__table__), entries)
    return len(inserted), unchanged, replaced, written


def _insert_new(session: Session, team: AlignmentTeam, rows: list[ValidRow], actor: str, now: datetime, version_id) -> dict:
    """INSERT … ON CONFLICT DO NOTHING RETURNING for `rows`: the ids of those that went in, by key.
    One statement compiled once for every row (SQLAlchemy's "insertmanyvalues" sends them as
    multi-row INSERTs); a row another request inserted meanwhile does not come back."""
    if not rows:
        return {}
    dialect = session.get_bind().dialect.name
    make_insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = KpiValue.__table__
    statement = (
        make_insert(table)
        .on_conflict_do_nothing(index_elements=_UNIQUE)
        .returning(table.c.id, table.c.kpi_id, table.c.source, table.c.period_kind, table.c.period_start)
    )
    parameters = [
        {"workspace_id": team.workspace_id, "kpi_id": row.kpi.id, "source": row.source, "period_kind": row.period.kind,
         "period_start": row.period.start, "value": row.value, "note": row.note, "recorded_by": actor,
         "recorded_at": now, "definition_version_id": version_id(row)}
        for row in rows
    ]
    return {
        (kpi_id, source, kind, period_start): value_id
        for value_id, kpi_id, source, kind, period_start in session.execute(
            statement.execution_options(insertmanyvalues_page_size=_INSERT_PAGE), parameters
        )
    }


def _stored(session: Session, rows: list[ValidRow]) -> dict[tuple[int, str, str, date], KpiValue]:
    """The stored values for `rows`' keys (those that exist), locked on PostgreSQL, in key order.
    One query: the values of those KPIs and sources within the batch's dates, matched by key here."""
    starts = [row.period.start for row in rows]
    query = (
        select(KpiValue)
        .where(
            KpiValue.workspace_id == rows[0].kpi.workspace_id,
            KpiValue.kpi_id.in_(sorted({row.kpi.id for row in rows})),
            KpiValue.source.in_(sorted({row.source for row in rows})),
            KpiValue.period_start >= min(starts),
            KpiValue.period_start <= max(starts),
        )
        .order_by(KpiValue.kpi_id, KpiValue.source, KpiValue.period_kind, KpiValue.period_start)
        .with_for_update()
    )
    wanted = {row.key for row in rows}
    found = {}
    for value in session.scalars(query):
        key = (value.kpi_id, value.source, value.period_kind, value.period_start)
        if key in wanted:
            found[key] = value
    return found


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def _row_snapshot(row: ValidRow, actor: str, now: datetime) -> dict:
    return kpis_service.value_snapshot(
        kpi_id=row.kpi.id, source=row.source, period=row.period, value=row.value, note=row.note, recorded_by=actor,
        recorded_at=now,
    )


def _entry(team: AlignmentTeam, actor: str, action: str, value_id: int, before, after, now: datetime) -> dict[str, Any]:
    return {
        "workspace_id": team.workspace_id, "team_id": team.id, "actor": actor, "action": action,
        "entity_type": "kpi_value", "entity_id": str(value_id), "before": before, "after": after, "at": now,
    }


__all__ = [
    "BatchResult", "Caller", "IssuedToken", "MAX_ACTIVE_TOKENS", "MAX_ROWS", "RowError", "TokenRevoked", "TokenView",
    "active_tokens", "authenticate", "can_manage_tokens", "create_token", "display_prefix", "hash_token", "new_token",
    "record_batch", "revoke_tokens", "rotate_token", "validate_rows",
]
