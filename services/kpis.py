"""The KPI catalog and its values: create, enable the starter set, record, correct, undo, read.

Values are exact Decimals. One value per (KPI, source, period): an identical resend changes
nothing, a different one replaces it and the audit log keeps the old one.
Daily values keep their day; weeks and months are computed from them (or from a value logged
for the whole week or month, which then takes precedence for that period).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db import repositories
from db.types import plain_decimal
from db.models import AlignmentTeam, AuditEntry, GlossaryTerm, Kpi, KpiValue
from domain.commands import closest
from domain.errors import UserError
from domain.kpis import (
    STARTER_TEMPLATES,
    Aggregation,
    Direction,
    KpiSpec,
    Unit,
    aggregate,
    rate,
    validate_spec,
    validate_value,
)
from domain.periods import MONTH, WEEK, Period, counts_in_month
from services import alerts, audit, glossary
from services.kpi_window import KpiWindow, version_numbers
from services.teams import roles_of

ROLES = ("primary", "support")
MAX_SUPPORTING = 2


# Views --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiView:
    id: int
    key: str
    name: str
    spec: KpiSpec
    term: str | None
    role: str | None


@dataclass(frozen=True)
class StoredValue:
    kpi: KpiView
    value: Decimal
    period: Period
    outcome: str  # "recorded", "unchanged" or "replaced"
    previous: Decimal | None
    definition_version: int | None  # number of the glossary version in force, if the KPI has a term
    alerts: tuple = ()  # services.alerts.Episode: alert episodes this value started (posted after commit)


@dataclass(frozen=True)
class Point:
    period: Period
    value: Decimal | None
    definition_version: int | None  # the definition the period's values were counted with


def spec_of(kpi: Kpi) -> KpiSpec:
    """The domain's view of a stored KPI."""
    return KpiSpec(
        key=kpi.key, name_es=kpi.name, name_en=kpi.name, unit=Unit(kpi.unit), direction=Direction(kpi.direction),
        aggregation=Aggregation(kpi.aggregation), side=kpi.side, term=None, currency=kpi.currency or "COP",
        numerator=kpi.numerator_key, denominator=kpi.denominator_key, allow_over_100=kpi.allow_over_100,
        allow_negative=kpi.allow_negative,
    )


def _view(session: Session, kpi: Kpi) -> KpiView:
    term = None
    if kpi.term_id is not None:
        found = session.get(GlossaryTerm, kpi.term_id)
        term = found.name if found else None
    return KpiView(kpi.id, kpi.key, kpi.name, spec_of(kpi), term, kpi.role)


# Catalog ------------------------------------------------------------------------------------------


def active_kpis(session: Session, *, team: AlignmentTeam) -> list[Kpi]:
    """The team's KPIs in use (not archived), by key order."""
    return list(
        session.scalars(
            select(Kpi)
            .where(Kpi.workspace_id == team.workspace_id, Kpi.team_id == team.id, Kpi.archived_at.is_(None))
            .order_by(Kpi.key)
        )
    )


def _kpi(session: Session, team: AlignmentTeam, key: str, *, lock: bool = False) -> Kpi:
    query = select(Kpi).where(
        Kpi.workspace_id == team.workspace_id, Kpi.team_id == team.id, Kpi.key == key.strip().lower(),
        Kpi.archived_at.is_(None),
    )
    found = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if found is None:
        suggestion = closest(key, [kpi.key for kpi in active_kpis(session, team=team)])
        if suggestion:
            raise UserError("kpi.unknown_suggest", key=key, suggestion=suggestion)
        raise UserError("kpi.unknown", key=key)
    return found


def catalog(session: Session, *, team: AlignmentTeam) -> list[KpiView]:
    return [_view(session, kpi) for kpi in active_kpis(session, team=team)]


def find(session: Session, *, team: AlignmentTeam, key: str) -> KpiView:
    return _view(session, _kpi(session, team, key))


def require_member(team: AlignmentTeam, actor: str) -> None:
    """Changing the catalog is for the team's leads and admins; anyone may log values."""
    if not roles_of(team, actor):
        raise UserError("kpi.not_a_member")


def create(
    session: Session, *, team: AlignmentTeam, spec: KpiSpec, actor: str, now: datetime, language: str
) -> KpiView:
    require_member(team, actor)
    return add_derived(session, team=team, spec=spec, actor=actor, now=now, language=language)


def add_derived(
    session: Session, *, team: AlignmentTeam, spec: KpiSpec, actor: str, now: datetime, language: str
) -> KpiView:
    """Adds a KPI to the catalog without a person's role: for `create` once the role is checked,
    and for the figures Alinea computes itself (customer feedback's NPS, CSAT and complaints)."""
    validate_spec(spec)
    existing = {kpi.key for kpi in active_kpis(session, team=team)}
    if spec.key in existing:
        raise UserError("kpi.key_taken", key=spec.key)
    for part in (spec.numerator, spec.denominator):
        if part is not None and part not in existing:
            raise UserError("kpi.rate_part_unknown", key=part)
    term_id = glossary.term_id(session, team=team, query=spec.term) if spec.term else None
    kpi = Kpi(
        workspace_id=team.workspace_id, team_id=team.id, key=spec.key, name=spec.name(language), unit=spec.unit.value,
        currency=spec.currency if spec.unit is Unit.CURRENCY else None, direction=spec.direction.value,
        aggregation=spec.aggregation.value, numerator_key=spec.numerator, denominator_key=spec.denominator,
        side=spec.side.value, allow_over_100=spec.allow_over_100, allow_negative=spec.allow_negative, term_id=term_id,
        created_by=actor, created_at=now,
    )
    session.add(kpi)
    session.flush()
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action="kpi_definition.created",
        entity_type="kpi", entity_id=kpi.id, before=None, after=_snapshot(kpi), now=now,
    )
    return _view(session, kpi)


def enable_starter_set(session: Session, *, team: AlignmentTeam, actor: str, now: datetime, language: str) -> list[KpiView]:
    """Every starter KPI the team does not have yet (rates after the KPIs they divide)."""
    require_member(team, actor)
    existing = {kpi.key for kpi in active_kpis(session, team=team)}
    added = []
    for spec in sorted(STARTER_TEMPLATES, key=lambda s: s.aggregation is Aggregation.RATE):
        if spec.key not in existing:
            term = spec.term if spec.term and glossary.term_id(session, team=team, query=spec.term, missing_ok=True) else None
            added.append(create(session, team=team, spec=_without_term(spec) if term is None else spec, actor=actor, now=now, language=language))
            existing.add(spec.key)
    return added


def _without_term(spec: KpiSpec) -> KpiSpec:
    return replace(spec, term=None)


def set_roles(session: Session, *, team: AlignmentTeam, role: str, keys: Sequence[str], actor: str, now: datetime) -> list[KpiView]:
    """`primary KEY` (one) or `support KEY [KEY]` (up to two): replaces the team's previous choice."""
    require_member(team, actor)
    limit = 1 if role == "primary" else MAX_SUPPORTING
    if not 1 <= len(keys) <= limit:
        raise UserError(f"kpi.{role}_count", limit=limit)
    chosen = [_kpi(session, team, key) for key in keys]
    kpis = active_kpis(session, team=team)
    before = {kpi.key: kpi.role for kpi in kpis if kpi.role}
    for kpi in kpis:
        if kpi.role == role and kpi not in chosen:
            kpi.role = None
    for kpi in chosen:
        kpi.role = role
    session.flush()
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action="kpi_definition.roles",
        entity_type="alignment_team", entity_id=team.id, before=before,
        after={kpi.key: kpi.role for kpi in kpis if kpi.role}, now=now,
    )
    return [_view(session, kpi) for kpi in chosen]


def _snapshot(kpi: Kpi) -> dict:
    return {
        "key": kpi.key, "name": kpi.name, "unit": kpi.unit, "currency": kpi.currency, "direction": kpi.direction,
        "aggregation": kpi.aggregation, "numerator": kpi.numerator_key, "denominator": kpi.denominator_key,
        "side": kpi.side, "term_id": kpi.term_id,
    }


# Values -------------------------------------------------------------------------------------------


def record(
    session: Session, *, team: AlignmentTeam, key: str, value: Decimal, shown: str, period: Period, source: str,
    actor: str, note: str, now: datetime,
) -> StoredValue:
    """Store one value: new, unchanged (an identical resend), or a correction (audited)."""
    kpi = _kpi(session, team, key)
    spec = spec_of(kpi)
    if spec.aggregation is Aggregation.RATE:
        raise UserError("kpi.rate_is_computed", key=kpi.key, numerator=spec.numerator, denominator=spec.denominator)
    validate_value(spec, value, shown, language=team.locale)
    version = _definition_version(session, team, kpi, now)
    where = dict(kpi_id=kpi.id, source=source, period_kind=period.kind, period_start=period.start)
    inserted = repositories.insert_ignoring_conflict(
        session, KpiValue,
        {**where, "workspace_id": team.workspace_id, "value": value, "note": note, "recorded_by": actor,
         "recorded_at": now, "definition_version_id": version.id if version else None},
        unique=["kpi_id", "source", "period_kind", "period_start"],
    )
    row = session.scalars(select(KpiValue).filter_by(**where).with_for_update()).one()
    view = _view(session, kpi)
    number = version.number if version else None
    if inserted:
        _audit_value(session, team, row, actor, "kpi_value.recorded", None, now)
        episodes = alerts.evaluate(session, team=team, kpi_id=kpi.id, value=value, now=now)
        return StoredValue(view, value, period, "recorded", None, number, tuple(episodes))
    if row.value == value and row.note == note:
        return StoredValue(view, value, period, "unchanged", value, number)
    before = _value_snapshot(row)
    row.value, row.note, row.recorded_by, row.recorded_at = value, note, actor, now
    row.definition_version_id = version.id if version else None
    _audit_value(session, team, row, actor, "kpi_value.replaced", before, now)
    episodes = alerts.evaluate(session, team=team, kpi_id=kpi.id, value=value, now=now)
    return StoredValue(view, value, period, "replaced", Decimal(before["value"]), number, tuple(episodes))


def _definition_version(session: Session, team: AlignmentTeam, kpi: Kpi, now: datetime):
    if kpi.term_id is None:
        return None
    return glossary.version_in_force_by_id(session, team=team, term_id=kpi.term_id, at=now)


def _value_snapshot(row: KpiValue) -> dict:
    return value_snapshot(
        kpi_id=row.kpi_id, source=row.source, period=Period(row.period_kind, row.period_start), value=row.value,
        note=row.note, recorded_by=row.recorded_by, recorded_at=row.recorded_at,
    )


def value_snapshot(
    *, kpi_id: int, source: str, period: Period, value: Decimal, note: str, recorded_by: str, recorded_at: datetime
) -> dict:
    """What the audit log keeps of a value, wherever it came from (Slack, a spreadsheet, the API)."""
    return {
        "kpi_id": kpi_id, "source": source, "period_kind": period.kind, "period_start": period.start.isoformat(),
        "value": format(plain_decimal(value), "f"), "note": note, "recorded_by": recorded_by,
        "recorded_at": recorded_at.astimezone(timezone.utc).isoformat(),
    }


def _audit_value(session: Session, team: AlignmentTeam, row: KpiValue, actor: str, action: str, before, now) -> None:
    session.flush()
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action=action, entity_type="kpi_value",
        entity_id=row.id, before=before, after=_value_snapshot(row), now=now,
    )


def undo_last(session: Session, *, team: AlignmentTeam, actor: str, now: datetime) -> tuple[KpiView, Period, Decimal | None]:
    """Take back the actor's own last entry from Slack: a new value disappears, a correction
    brings the value it replaced back. Returns the KPI, the period, and the value now in place."""
    entry = _last_undoable(session, team, actor)
    if entry is None:
        raise UserError("kpi.nothing_to_undo")
    row = session.get(KpiValue, int(entry.entity_id), with_for_update=True)
    if row is None or row.recorded_by != actor or row.recorded_at != entry.at:
        raise UserError("kpi.nothing_to_undo")  # someone changed it since: not yours to take back
    kpi = session.get(Kpi, row.kpi_id)
    period = Period(row.period_kind, row.period_start)
    before_undo = _value_snapshot(row)
    restored = None
    if entry.before is None:
        session.execute(delete(KpiValue).where(KpiValue.id == row.id))
    else:
        restored = Decimal(entry.before["value"])
        row.value, row.note, row.recorded_by = restored, entry.before["note"], entry.before["recorded_by"]
        row.recorded_at = datetime.fromisoformat(entry.before["recorded_at"])
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action="kpi_value.undone",
        entity_type="kpi_value", entity_id=entry.entity_id, before=before_undo, after=entry.before, now=now,
    )
    return _view(session, kpi), period, restored


def _last_undoable(session: Session, team: AlignmentTeam, actor: str):
    """The actor's latest recorded/replaced entry that was not undone already."""
    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.workspace_id == team.workspace_id, AuditEntry.team_id == team.id, AuditEntry.actor == actor,
            AuditEntry.entity_type == "kpi_value",
        )
        .order_by(AuditEntry.id.desc())
        .limit(50)
    ).all()
    undone = 0
    for entry in entries:
        if entry.action == "kpi_value.undone":
            undone += 1
        elif undone:
            undone -= 1
        else:
            return entry
    return None


# Reading ------------------------------------------------------------------------------------------


def values_between(session: Session, *, kpi_id: int, start: date, end: date) -> list[KpiValue]:
    return list(
        session.scalars(
            select(KpiValue)
            .where(KpiValue.kpi_id == kpi_id, KpiValue.period_start >= start, KpiValue.period_start < end)
            .order_by(KpiValue.period_start, KpiValue.recorded_at)
        )
    )


def series(session: Session, *, team: AlignmentTeam, key: str, periods: Sequence[Period], window: KpiWindow | None = None) -> list[Point]:
    """The KPI's value for each period (weeks or months), computed from what was recorded; from
    `window` (the team's values read at once) when it covers the periods."""
    if window is not None and not (periods and window.covers(*dates_read(periods))):
        window = None
    kpi = (window.kpi(key) if window is not None else None) or _kpi(session, team, key)  # unknown: the usual refusal
    spec = spec_of(kpi)
    if spec.aggregation is Aggregation.RATE:
        numerator = series(session, team=team, key=spec.numerator, periods=periods, window=window)
        denominator = series(session, team=team, key=spec.denominator, periods=periods, window=window)
        return [
            Point(n.period, rate(n.value, d.value, spec.unit) if n.value is not None and d.value is not None else None, None)
            for n, d in zip(numerator, denominator)
        ]
    if not periods:
        return []
    if window is not None:
        rows, numbers = window.values(kpi.id), window.version_numbers
    else:
        start, end = dates_read(periods)
        rows = values_between(session, kpi_id=kpi.id, start=start, end=end)
        numbers = version_numbers(session, {row.definition_version_id for row in rows} - {None})
    return [_point(spec, period, rows, numbers) for period in periods]


def dates_read(periods: Sequence[Period]) -> tuple[date, date]:
    """The dates whose values a series of `periods` reads: a month may count a week logged whole
    that began in the month before (see _point)."""
    return min(p.start for p in periods) - timedelta(days=6), max(p.end for p in periods)


def _point(spec: KpiSpec, period: Period, rows: Sequence[KpiValue], numbers: dict[int, int]) -> Point:
    """A value logged for the whole period wins; else the period aggregates its days. When two
    sources sent the same day, the latest recorded counts (a CRM and a person may both report)."""
    whole = [row for row in rows if row.period_kind == period.kind and row.period_start == period.start]
    if whole:
        chosen = max(whole, key=lambda row: row.recorded_at)
        return Point(period, chosen.value, numbers.get(chosen.definition_version_id))
    latest_per_day: dict[date, KpiValue] = {}
    for row in rows:
        if row.period_kind == "day" and period.contains(row.period_start):
            current = latest_per_day.get(row.period_start)
            if current is None or row.recorded_at > current.recorded_at:
                latest_per_day[row.period_start] = row
    days = [latest_per_day[day] for day in sorted(latest_per_day)]
    if not days and period.kind == MONTH:  # a team that logs whole weeks still has months
        days = _weeks_of_month(period, rows)
    value = aggregate(spec, [row.value for row in days]) if days else None
    return Point(period, value, numbers.get(days[-1].definition_version_id) if days else None)


def _weeks_of_month(month: Period, rows: Sequence[KpiValue]) -> list[KpiValue]:
    """The whole-week values of the weeks that count in `month` (`periods.counts_in_month`: the
    month holding the week's Thursday), the latest per week, oldest first."""
    latest: dict[date, KpiValue] = {}
    for row in rows:
        if row.period_kind == WEEK and counts_in_month(Period(WEEK, row.period_start), month):
            current = latest.get(row.period_start)
            if current is None or row.recorded_at > current.recorded_at:
                latest[row.period_start] = row
    return [latest[week] for week in sorted(latest)]
