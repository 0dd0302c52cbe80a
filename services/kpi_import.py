"""KPI values from a spreadsheet: `alinea import kpis FILE --team T` and `/alinea kpi import`.

Teams keep their numbers in Excel. A file has one value per row: the KPI (its key, or its
display name), the value, the period, and optionally a note and a source (default `csv`).
Values are read the way the TEAM writes numbers (`1,6` is 1.6 in an es-CO team, `45.000.000`
is forty-five million), with the units people type (`%`, `$`, `COP`, `h`, `mil`, `M`…), and
must make sense for the KPI; periods are ISO weeks (`2026-W02`), months (`enero 2026`,
`2026-01`), days (`12/01/2026`) or words (`semana pasada`), in the team's timezone.

`check` reads every row against the catalog and the other rows of the file and reports what
`commit` would do (a new value, the same value again, or a correction); nothing is written.
`commit` runs the same check and writes every row or none: all values go through
`services.kpis.record`, inside one savepoint, so audit rows and definition versions are those
of a value logged in Slack, and a row refused at write time leaves nothing behind. The caller
commits. Every report carries a digest of what the check found, so a person who approved one
report in Slack commits exactly that (`commit(..., expected=digest)`), or sees the new report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AlignmentTeam, KpiValue
from domain.commands import fold
from domain.errors import UserError
from domain.kpis import Aggregation, KpiSpec, Unit, check_unit, closest_key, validate_value
from domain.number_format import format_quantity
from domain.number_style import DEFAULT_CURRENCY, HOURS, PERCENT
from domain.numbers import parse_quantity
from domain.periods import Period, local_date, parse_period, period_examples
from domain.spreadsheet import Row, Table, require_columns
from services import kpis
from services.kpis import KpiView

REQUIRED_COLUMNS = ("kpi", "value", "period")
OPTIONAL_COLUMNS = ("note", "source")
DEFAULT_SOURCE = "csv"
MAX_SOURCE_LENGTH = 64  # kpi_values.source
MAX_NOTE_LENGTH = 500
# A period column named "semana"/"week" may hold bare week numbers ("3" is week 3).
WEEK_HEADERS = frozenset({"semana", "week"})

RECORDED, UNCHANGED, REPLACED = "recorded", "unchanged", "replaced"

# What the parsers say about a cell, said about a cell of a file (the same parameters; the
# texts point at the column to fix rather than at `/alinea kpi log`).
_IN_A_FILE = {
    "numbers.missing": "kpi_import.value_missing",
    "numbers.not_a_number": "kpi_import.not_a_number",
    "numbers.ambiguous": "kpi_import.ambiguous",
    "numbers.unknown_unit": "kpi_import.unknown_unit",
    "numbers.conflicting_units": "kpi_import.conflicting_units",
    "kpi.unit_mismatch": "kpi_import.unit_mismatch",
    "kpi.negative_value": "kpi_import.negative_value",
    "kpi.percent_over_100": "kpi_import.percent_over_100",
    "kpi.count_not_whole": "kpi_import.count_not_whole",
    "periods.unknown": "kpi_import.period_unknown",
    "periods.future": "kpi_import.period_future",
}


@dataclass(frozen=True)
class Accepted:
    line: int
    kpi: str  # the KPI's key
    period: str  # the period's key: "2026-W02", "2026-01", "2026-01-12"
    shown: str  # the value as the team writes it: "1,6 %", "$ 45.000.000"
    outcome: str  # RECORDED, UNCHANGED or REPLACED: what commit does (or did, once committed)
    previous: str | None = None  # the value a REPLACED row replaces, as the team writes it
    source: str = DEFAULT_SOURCE


class Rejected(NamedTuple):
    line: int
    message_id: str
    params: dict


@dataclass
class KpiImportReport:
    accepted: list[Accepted] = field(default_factory=list)  # rows that passed every check
    rejected: list[Rejected] = field(default_factory=list)  # when not empty, nothing was written
    committed: bool = False  # the accepted rows were written (the caller still commits the transaction)
    stale: bool = False  # commit refused: the check no longer gives the report that was approved
    digest: str = ""  # what the check found, to commit exactly what a person saw

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def total(self) -> int:
        return len(self.accepted) + len(self.rejected)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.accepted if row.outcome == outcome)

    @property
    def changes(self) -> int:
        """Rows that write something (new values and corrections)."""
        return len(self.accepted) - self.count(UNCHANGED)


@dataclass(frozen=True)
class _Planned:
    line: int
    kpi_id: int
    key: str
    value: Decimal
    typed: str  # the value cell as typed, echoed by record()'s checks
    period: Period
    source: str
    note: str
    shown: str


def team_today(team: AlignmentTeam, now: datetime) -> date:
    """The date it is in the team's timezone: what "this week" and "the future" mean to it."""
    return local_date(now, team.timezone)


def check(session: Session, *, team: AlignmentTeam, table: Table, today: date, actor: str) -> KpiImportReport:
    """Every row checked; nothing written. Raises UserError `spreadsheet.missing_columns` (or
    `spreadsheet.repeated_columns`) when the file lacks a kpi, value or period column."""
    report, _ = _check(session, team, table, today)
    return report


def commit(
    session: Session, *, team: AlignmentTeam, table: Table, today: date, actor: str, now: datetime,
    expected: str | None = None,
) -> KpiImportReport:
    """Check again, then write every row or none (one savepoint; the caller commits).

    With `expected` (the digest of a report a person approved), nothing is written when the
    check now finds something else (the report comes back with `stale`).
    """
    report, planned = _check(session, team, table, today)
    if not report.ok or not planned:
        return report
    if expected is not None and report.digest != expected:
        return replace(report, stale=True)
    written: list[Accepted] = []
    try:
        with session.begin_nested():
            for plan, row in zip(planned, report.accepted):
                try:
                    recorded = kpis.record(
                        session, team=team, key=plan.key, value=plan.value, shown=plan.typed, period=plan.period,
                        source=plan.source, actor=actor, note=plan.note, now=now,
                    )
                except UserError as error:
                    raise _WriteRefused(plan.line, error) from error
                previous = _shown(recorded.kpi.spec, recorded.previous, team) if recorded.outcome == REPLACED else None
                written.append(replace(row, outcome=recorded.outcome, previous=previous))
    except _WriteRefused as refused:  # the check missed something: still nothing is written
        rejected = [Rejected(refused.line, *_in_a_file(refused.error))]
        return KpiImportReport(accepted=report.accepted, rejected=rejected, digest=report.digest)
    return KpiImportReport(accepted=written, committed=True, digest=report.digest)


class _WriteRefused(Exception):
    def __init__(self, line: int, error: UserError):
        super().__init__(error.message_id)
        self.line, self.error = line, error


# Checking ---------------------------------------------------------------------------------------


@dataclass
class _Context:
    team: AlignmentTeam
    today: date
    by_key: dict[str, KpiView]
    by_name: dict[str, KpiView]
    week_column: bool
    first_line: dict[tuple, int] = field(default_factory=dict)


def _check(session: Session, team: AlignmentTeam, table: Table, today: date) -> tuple[KpiImportReport, list[_Planned]]:
    week_column = any(header in WEEK_HEADERS for header in table.headers)
    table = require_columns(table, REQUIRED_COLUMNS, OPTIONAL_COLUMNS)
    catalog = kpis.catalog(session, team=team)
    context = _Context(
        team=team, today=today, by_key={view.key: view for view in catalog},
        by_name={fold(view.name).strip(): view for view in catalog}, week_column=week_column,
    )
    planned: list[_Planned] = []
    rejected: list[Rejected] = []
    for row in table.rows:
        try:
            plan = _checked_row(row, context)
        except UserError as error:
            rejected.append(Rejected(row.line, *_in_a_file(error)))
            continue
        context.first_line[(plan.kpi_id, plan.source, plan.period.kind, plan.period.start)] = row.line
        planned.append(plan)
    accepted = _predicted(session, team, planned, context.by_key)
    report = KpiImportReport(accepted=accepted, rejected=rejected)
    report.digest = _digest(planned, accepted, rejected)
    return report, planned


def _in_a_file(error: UserError) -> tuple[str, dict]:
    return _IN_A_FILE.get(error.message_id, error.message_id), dict(error.params)


def _checked_row(row: Row, context: _Context) -> _Planned:
    """The row as a value to record, or the UserError that says what is wrong with it."""
    if row.extra:
        raise UserError("spreadsheet.extra_cells", count=len(row.extra), first=row.extra[0][:40])
    team = context.team
    view = _kpi(row.values.get("kpi", ""), context)
    spec = view.spec
    if spec.aggregation is Aggregation.RATE:
        raise UserError("kpi_import.rate_kpi", key=view.key, numerator=spec.numerator, denominator=spec.denominator)
    typed = row.values.get("value", "").strip()
    value = _value(typed, spec, team)
    period = _period(row.values.get("period", ""), context)
    source = " ".join(row.values.get("source", "").split()).lower() or DEFAULT_SOURCE
    if len(source) > MAX_SOURCE_LENGTH:
        raise UserError("kpi_import.source_too_long", limit=MAX_SOURCE_LENGTH)
    note = row.values.get("note", "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise UserError("kpi_import.note_too_long", limit=MAX_NOTE_LENGTH, length=len(note))
    first = context.first_line.get((view.id, source, period.kind, period.start))
    if first is not None:
        raise UserError("kpi_import.repeated_row", key=view.key, period=period.key, source=source, first_line=first)
    return _Planned(
        line=row.line, kpi_id=view.id, key=view.key, value=value, typed=typed, period=period, source=source,
        note=note, shown=_shown(spec, value, team),
    )


def _kpi(typed: str, context: _Context) -> KpiView:
    """By key (case and accents forgiven) or by display name; else the closest key as a hint."""
    typed = typed.strip()
    if not typed:
        raise UserError("kpi_import.kpi_missing")
    folded = fold(typed)
    found = context.by_key.get(folded) or context.by_name.get(folded)
    if found is not None:
        return found
    suggestion = closest_key(typed, context.by_key)
    if suggestion:
        raise UserError("kpi_import.unknown_kpi_suggest", key=typed, suggestion=suggestion)
    raise UserError("kpi_import.unknown_kpi", key=typed)


def _value(typed: str, spec: KpiSpec, team: AlignmentTeam) -> Decimal:
    text = typed
    if spec.unit is Unit.RATIO and text[-1:] in ("x", "X"):  # "ROAS 4,2x"
        text = text[:-1]
    currency = spec.currency if spec.unit is Unit.CURRENCY else DEFAULT_CURRENCY
    quantity, rest = parse_quantity(text, language=team.locale, country=team.country, currency=currency)
    if rest:
        raise UserError("kpi_import.value_extra_text", value=typed, rest=rest)
    check_unit(spec, quantity.unit, language=team.locale)
    validate_value(spec, quantity.value, typed, language=team.locale)
    return quantity.value


def _period(typed: str, context: _Context) -> Period:
    text = typed.strip()
    if not text:
        raise UserError("kpi_import.period_missing", examples=period_examples(context.today, context.team.locale))
    if context.week_column and text.isdigit():
        text = f"semana {text}"
    return parse_period(text, today=context.today, language=context.team.locale)


def _unit_of(spec: KpiSpec) -> str | None:
    return {Unit.PERCENT: PERCENT, Unit.HOURS: HOURS, Unit.CURRENCY: spec.currency}.get(spec.unit)


def _shown(spec: KpiSpec, value: Decimal | None, team: AlignmentTeam) -> str | None:
    if value is None:
        return None
    return format_quantity(value, _unit_of(spec), language=team.locale, country=team.country, currency=spec.currency)


def _predicted(session: Session, team: AlignmentTeam, planned: list[_Planned], by_key: dict[str, KpiView]) -> list[Accepted]:
    """What record() will do with each row: the same comparison it makes (value and note)."""
    if not planned:
        return []
    stored = session.scalars(
        select(KpiValue).where(
            KpiValue.workspace_id == team.workspace_id,
            KpiValue.kpi_id.in_({plan.kpi_id for plan in planned}),
            KpiValue.period_start >= min(plan.period.start for plan in planned),
            KpiValue.period_start <= max(plan.period.start for plan in planned),
        )
    )
    existing = {(row.kpi_id, row.source, row.period_kind, row.period_start): row for row in stored}
    accepted = []
    for plan in planned:
        row = existing.get((plan.kpi_id, plan.source, plan.period.kind, plan.period.start))
        if row is None:
            outcome, previous = RECORDED, None
        elif row.value == plan.value and row.note == plan.note:
            outcome, previous = UNCHANGED, None
        else:
            outcome, previous = REPLACED, _shown(by_key[plan.key].spec, row.value, team)
        accepted.append(Accepted(plan.line, plan.key, plan.period.key, plan.shown, outcome, previous, plan.source))
    return accepted


def _digest(planned: list[_Planned], accepted: list[Accepted], rejected: list[Rejected]) -> str:
    facts = {
        "rows": [
            [plan.line, plan.key, plan.period.kind, plan.period.key, format(plan.value, "f"), plan.source, plan.note, row.outcome]
            for plan, row in zip(planned, accepted)
        ],
        "rejected": [[line, message_id, sorted((k, str(v)) for k, v in params.items())] for line, message_id, params in rejected],
    }
    return hashlib.sha256(json.dumps(facts, ensure_ascii=False).encode("utf-8")).hexdigest()[:20]

