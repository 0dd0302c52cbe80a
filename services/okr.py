"""OKRs: objectives and key results (KRs), check-ins, re-targets and closing, with progress,
status and scores computed by `domain.okr` and `domain.okr_progress`.

Who may do what: the team's leads and admins create objectives, add KRs, re-target and close;
a KR's owner (or a lead or admin) checks it in. Every write is audited. Results are plain views,
so rendering happens after the transaction.

A KPI-backed KR has no value of its own: it reads its KPI, week by week (`kpi_reading`), so a
value logged with `/alinea kpi log` moves the KR by itself. A check-in on it carries the owner's
confidence and a note, not a value. Manual KRs take their value from the latest check-in.

Reminders before the weekly meeting and the end-of-period review are in `services.okr_rhythm`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from db.models import AlignmentTeam, Kpi, KpiValue, ObjectiveStatus, OkrCheckIn, OkrKeyResult, OkrMilestone, OkrObjective, OkrRetarget
from db.types import plain_decimal
from domain import okr, okr_kr_line, okr_progress
from domain.errors import UserError
from domain.examples import example_params
from domain.numbers import typed_whole
from domain.glossary import Side
from domain.kpis import DEFAULT_CURRENCY, Aggregation, KpiSpec
from domain.okr import CheckIn, Contributor, FocusWarning, Guardrail, KeyResult, Milestone, Objective, ObjectiveKind, Status
from domain.periods import MONTH, WEEK, Period, local_date
from domain.sla import Comparator
from domain.smart_goal import SmartCheck
from services import audit, kpis, smart
from services.kpi_window import KpiWindow
from services.teams import roles_of


# Views ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A KR's current value and where it came from: a check-in, or its KPI's week."""

    value: Decimal
    source: str  # "checkin" or "kpi"
    at: date  # the check-in's local day, or the first day of the KPI's week


@dataclass(frozen=True)
class LoggedValue:
    """A KPI's value for one period, as logged (or computed, for a rate)."""

    value: Decimal
    period: Period


@dataclass(frozen=True)
class KeyResultView:
    id: int
    objective_id: int
    objective_number: int
    result: KeyResult  # the domain KR, confidence being the owner's latest
    spec: KpiSpec | None  # the KPI it reads, if KPI-backed
    current: Reading | None
    progress: float
    expected: float
    status: Status
    guardrail_value: Decimal | None  # the guarded KPI's latest week, when it is a KPI
    guardrail_broken: bool
    last_checkin_at: datetime | None
    note: str  # the latest check-in's note
    retargets: int
    objective_active: bool

    @property
    def short_id(self) -> str:
        return self.result.short_id

    @property
    def owner(self) -> str | None:
        return self.result.owner


@dataclass(frozen=True)
class ObjectiveView:
    id: int
    number: int
    title: str
    kind: ObjectiveKind
    status: ObjectiveStatus
    created_by: str
    key_results: tuple[KeyResultView, ...]
    score: float | None  # None without KRs

    @property
    def label(self) -> str:
        return f"O{self.number}"

    @property
    def active(self) -> bool:
        return self.status is ObjectiveStatus.ACTIVE

    @property
    def good(self) -> bool | None:
        return None if self.score is None else okr_progress.is_good_score(self.score, self.kind)

    @property
    def ends_on(self) -> date | None:
        """The OKR's period ends with its last KR's deadline."""
        return max((kr.result.deadline for kr in self.key_results), default=None)

    @property
    def owners(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(kr.owner for kr in self.key_results if kr.owner))

    def as_domain(self) -> Objective:
        return Objective(self.title, self.kind, tuple(kr.result for kr in self.key_results), self.active)


@dataclass(frozen=True)
class Board:
    """What `/alinea okr` shows: the objectives (active first) and the focus warnings."""

    objectives: tuple[ObjectiveView, ...]
    warnings: tuple[FocusWarning, ...]
    today: date


@dataclass(frozen=True)
class AddedKeyResult:
    key_result: KeyResultView
    objective: ObjectiveView
    smart: SmartCheck
    warnings: tuple[FocusWarning, ...]
    logged_baseline: LoggedValue | None = None  # the KPI's value it starts from, when none was typed


@dataclass(frozen=True)
class KeyResultCheckIn:
    key_result: KeyResultView
    before: KeyResultView


@dataclass(frozen=True)
class KeyResultRetarget:
    key_result: KeyResultView
    old_target: Decimal
    old_deadline: date
    reason: str


# Permissions ----------------------------------------------------------------------------------------


def _require_lead(team: AlignmentTeam, actor: str) -> None:
    if not roles_of(team, actor):
        raise UserError("okr.not_a_lead")


def _require_owner_or_lead(team: AlignmentTeam, row: OkrKeyResult, actor: str, message_id: str = "okr.checkin_not_owner") -> None:
    if actor != row.owner_user_id and not roles_of(team, actor):
        raise UserError(message_id, kr=okr.format_kr_id(row.number), owner=row.owner_user_id)


def _require_active(objective: OkrObjective) -> None:
    if objective.status is not ObjectiveStatus.ACTIVE:
        raise UserError("okr.objective_closed", objective=f"O{objective.number}")


# Reading rows -------------------------------------------------------------------------------------


def _objectives(session: Session, team: AlignmentTeam) -> list[OkrObjective]:
    return list(
        session.scalars(
            select(OkrObjective)
            .where(OkrObjective.workspace_id == team.workspace_id, OkrObjective.team_id == team.id)
            .options(selectinload(OkrObjective.key_results).selectinload(OkrKeyResult.milestones))
            .order_by(OkrObjective.number)
        )
    )


def find_objective(session: Session, *, team: AlignmentTeam, reference: str, lock: bool = False) -> OkrObjective:
    """`O2`, `o 2` or `2`."""
    number = typed_whole("".join(reference.split()).upper().removeprefix("O").removeprefix("#"))
    found = None
    if number is not None:
        query = select(OkrObjective).where(
            OkrObjective.workspace_id == team.workspace_id, OkrObjective.team_id == team.id, OkrObjective.number == number
        )
        found = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if found is None:
        raise UserError("okr.unknown_objective", reference=reference.strip())
    return found


def find_key_result(session: Session, *, team: AlignmentTeam, reference: str | int, lock: bool = False) -> OkrKeyResult:
    """`KR3`, `kr 3`, `#3` or 3."""
    number = reference if isinstance(reference, int) else okr.parse_kr_id(reference)
    query = select(OkrKeyResult).where(
        OkrKeyResult.workspace_id == team.workspace_id, OkrKeyResult.team_id == team.id, OkrKeyResult.number == number
    )
    found = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if found is None:
        raise UserError("okr.unknown_kr", kr=okr.format_kr_id(number))
    return found


def _domain_key_result(row: OkrKeyResult, kpi_key: str | None, confidence: int | None) -> KeyResult:
    guardrail = None
    if row.guardrail:
        g = row.guardrail
        guardrail = Guardrail(g["metric"], Comparator(g["comparator"]), Decimal(g["value"]), g.get("unit"))
    return KeyResult(
        number=row.number, metric=row.metric, baseline=row.baseline, target=row.target, start=row.start_on,
        deadline=row.deadline, unit=row.unit, kpi_key=kpi_key, owner=row.owner_user_id,
        sides=frozenset(Side(s) for s in row.sides.split(",") if s),
        contributors=frozenset(Contributor(c) for c in row.contributors.split(",") if c),
        milestones=tuple(Milestone(m.due, m.value) for m in row.milestones), scale=row.scale,
        guardrail=guardrail, confidence=confidence,
    )  # fmt: skip


def _checkins(session: Session, row: OkrKeyResult) -> list[OkrCheckIn]:
    return list(session.scalars(select(OkrCheckIn).where(OkrCheckIn.key_result_id == row.id).order_by(OkrCheckIn.at, OkrCheckIn.id)))


def kpi_reading(session: Session, team: AlignmentTeam, spec: KpiSpec, start: date, until: date, *, window: KpiWindow | None = None) -> Reading | None:
    """The KPI's latest weekly value from the week of `start` to the week of `until`. A sum's
    week in progress is left out (half a week of leads is not a drop); other KPIs count it.
    `window`: the team's values read at once, used when it covers those weeks."""
    last = Period.week_of(until)
    if spec.aggregation is Aggregation.SUM and until < last.end - timedelta(days=1):
        last = last.previous()
    weeks = [last]
    while weeks[-1].start > start and len(weeks) < _MAX_WEEKS:
        weeks.append(weeks[-1].previous())
    try:
        points = kpis.series(session, team=team, key=spec.key, periods=list(reversed(weeks)), window=window)
    except UserError:  # the KPI (or a part of its rate) was archived: no reading
        return None
    found = [point for point in points if point.value is not None]
    return Reading(found[-1].value, "kpi", found[-1].period.start) if found else None


_MAX_WEEKS = 104  # a KR longer than two years reads its last two


def _guardrail_value(session: Session, team: AlignmentTeam, guardrail: Guardrail | None, catalog: dict[str, KpiSpec], today: date,
                     window: KpiWindow | None) -> Decimal | None:  # fmt: skip
    if guardrail is None:
        return None
    spec = okr.resolve_kpi(guardrail.metric, catalog)
    if spec is None:
        return None
    reading = kpi_reading(session, team, spec, today, today, window=window)
    return reading.value if reading else None


def key_result_view(session: Session, team: AlignmentTeam, row: OkrKeyResult, *, today: date, catalog: dict[str, KpiSpec] | None = None,
                    window: KpiWindow | None = None) -> KeyResultView:  # fmt: skip
    catalog = catalog if catalog is not None else _catalog(session, team)
    kpi = session.get(Kpi, row.kpi_id) if row.kpi_id else None
    spec = kpis.spec_of(kpi) if kpi is not None else None
    # What was known on `today`: a board read as of a past day (the monthly agenda's month) leaves
    # out the check-ins made after it, as the KPI reading leaves out later weeks.
    checkins = [c for c in _checkins(session, row) if local_date(c.at, team.timezone) <= today]
    confidence = next((c.confidence for c in reversed(checkins) if c.confidence is not None), None)
    result = _domain_key_result(row, spec.key if spec else None, confidence)
    if spec is not None:
        current = kpi_reading(session, team, spec, row.start_on, min(today, row.deadline), window=window)
    else:
        valued = [c for c in checkins if c.value is not None]
        current = Reading(valued[-1].value, "checkin", local_date(valued[-1].at, team.timezone)) if valued else None
    value = current.value if current else None
    guarded = _guardrail_value(session, team, result.guardrail, catalog, today, window)
    retargets = session.scalar(select(func.count()).select_from(OkrRetarget).where(OkrRetarget.key_result_id == row.id))
    return KeyResultView(
        id=row.id, objective_id=row.objective_id, objective_number=row.objective.number, result=result, spec=spec,
        current=current, progress=okr_progress.progress(result, value), expected=okr_progress.expected_progress(result, today),
        status=okr_progress.status(result, value, today=today), guardrail_value=guarded,
        guardrail_broken=okr_progress.guardrail_violated(result.guardrail, guarded),
        last_checkin_at=checkins[-1].at if checkins else None, note=checkins[-1].note if checkins else "",
        retargets=retargets or 0, objective_active=row.objective.status is ObjectiveStatus.ACTIVE,
    )  # fmt: skip


def objective_view(session: Session, team: AlignmentTeam, row: OkrObjective, *, today: date, catalog: dict[str, KpiSpec] | None = None,
                   window: KpiWindow | None = None) -> ObjectiveView:  # fmt: skip
    catalog = catalog if catalog is not None else _catalog(session, team)
    results = tuple(key_result_view(session, team, kr, today=today, catalog=catalog, window=window) for kr in row.key_results)
    scores = [okr_progress.score(kr.result, kr.current.value if kr.current else None) for kr in results]
    return ObjectiveView(
        id=row.id, number=row.number, title=row.title, kind=ObjectiveKind(row.kind), status=row.status,
        created_by=row.created_by, key_results=results, score=sum(scores) / len(scores) if scores else None,
    )


def _catalog(session: Session, team: AlignmentTeam) -> dict[str, KpiSpec]:
    return {kpi.key: kpis.spec_of(kpi) for kpi in kpis.active_kpis(session, team=team)}


def board(session: Session, *, team: AlignmentTeam, today: date, include_closed: bool = False, window: KpiWindow | None = None) -> Board:
    """Every objective (the active ones, unless `include_closed`) as of `today`; `window`: the
    team's KPI values read at once (an agenda's), used for the weeks it covers."""
    catalog = _catalog(session, team)
    rows = [row for row in _objectives(session, team) if include_closed or row.status is ObjectiveStatus.ACTIVE]
    views = sorted((objective_view(session, team, row, today=today, catalog=catalog, window=window) for row in rows),
                   key=lambda o: (not o.active, o.number))  # fmt: skip
    warnings = okr.focus_warnings([view.as_domain() for view in views])
    return Board(tuple(views), tuple(warnings), today)


def objective(session: Session, *, team: AlignmentTeam, reference: str, today: date) -> ObjectiveView:
    return objective_view(session, team, find_objective(session, team=team, reference=reference), today=today)


def key_result(session: Session, *, team: AlignmentTeam, reference: str | int, today: date) -> KeyResultView:
    return key_result_view(session, team, find_key_result(session, team=team, reference=reference), today=today)


def key_results_of(session: Session, *, team: AlignmentTeam, owner: str, today: date) -> list[KeyResultView]:
    """The active KRs a person owns (for their check-in form and reminder)."""
    rows = session.scalars(
        select(OkrKeyResult)
        .join(OkrObjective)
        .where(
            OkrKeyResult.workspace_id == team.workspace_id, OkrKeyResult.team_id == team.id,
            OkrKeyResult.owner_user_id == owner, OkrObjective.status == ObjectiveStatus.ACTIVE,
        )
        .order_by(OkrKeyResult.number)
    )  # fmt: skip
    catalog = _catalog(session, team)
    return [key_result_view(session, team, row, today=today, catalog=catalog) for row in rows]


# Writing ---------------------------------------------------------------------------------------------


def _audit(session: Session, team: AlignmentTeam, actor: str, action: str, entity: str, entity_id: int, before, after, now: datetime) -> None:
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action=action,
        entity_type=entity, entity_id=entity_id, before=before, after=after, now=now,
    )  # fmt: skip


def create_objective(session: Session, *, team: AlignmentTeam, actor: str, draft: Objective, now: datetime) -> OkrObjective:
    """A new active objective (no KRs yet: `add_key_result` adds them)."""
    _require_lead(team, actor)
    okr.validate_objective(draft)
    numbers = session.scalars(select(OkrObjective.number).where(OkrObjective.team_id == team.id))
    row = OkrObjective(
        workspace_id=team.workspace_id, team_id=team.id, number=max(numbers, default=0) + 1, title=draft.title.strip(),
        kind=draft.kind.value, status=ObjectiveStatus.ACTIVE, created_by=actor, created_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _audit(session, team, actor, "okr_objective.create", "okr_objective", row.id, None, {"title": row.title, "kind": row.kind}, now)
    return row


def next_kr_number(session: Session, *, team: AlignmentTeam) -> int:
    return okr.next_kr_number(session.scalars(select(OkrKeyResult.number).where(OkrKeyResult.team_id == team.id)))


def reading_context(team: AlignmentTeam, spec: KpiSpec | None = None) -> dict:
    """How numbers are read and written for the team (and the KPI's currency)."""
    currency = spec.currency if spec is not None else DEFAULT_CURRENCY
    return {"language": team.locale, "country": team.country, "currency": currency}


@dataclass(frozen=True)
class ParsedKeyResult:
    key_result: KeyResult
    logged_baseline: LoggedValue | None  # the KPI's value taken as the baseline, when the line typed none


def parse_key_result_line(session: Session, *, team: AlignmentTeam, text: str, today: date) -> KeyResult:
    return read_key_result_line(session, team=team, text=text, today=today).key_result


def read_key_result_line(session: Session, *, team: AlignmentTeam, text: str, today: date) -> ParsedKeyResult:
    """The one-line KR (`domain.okr_kr_line.parse_key_result`) with the team's KPIs and the KPI's own
    currency. A KR on a KPI whose line types no starting point starts from the KPI's latest
    logged value (`latest_logged`), which the reply names."""
    catalog = _catalog(session, team)
    number = next_kr_number(session, team=team)
    line = okr_kr_line.key_result_kpi(text, today=today, catalog=catalog, **reading_context(team))
    latest = latest_logged(session, team=team, spec=line.spec, today=today) if line.spec and not line.baseline_typed else None
    draft = okr_kr_line.parse_key_result(
        text, number=number, today=today, catalog=catalog, baseline=latest.value if latest else None, **reading_context(team, line.spec)
    )
    return ParsedKeyResult(draft, latest)


_LOOK_BACK = {WEEK: 26, MONTH: 12}  # half a year of weeks, a year of months


def latest_logged(session: Session, *, team: AlignmentTeam, spec: KpiSpec, today: date) -> LoggedValue | None:
    """The KPI's latest logged value, `today` being the team's local day: the most recent
    complete period it is reported in (months when its values come by month, else weeks) that
    has a value. Only when no complete period has one does a period in progress count, and
    never for a sum (half a week of orders is not a starting point)."""
    kind = _reported_in(session, team, spec)
    current = Period.of(kind, today)
    periods = [current]
    while len(periods) <= _LOOK_BACK[kind]:
        periods.append(periods[-1].previous())
    try:
        points = kpis.series(session, team=team, key=spec.key, periods=list(reversed(periods)))
    except UserError:  # the KPI (or a part of its rate) was archived
        return None
    complete = [point for point in points[:-1] if point.value is not None]
    if complete:
        return LoggedValue(complete[-1].value, complete[-1].period)
    in_progress = points[-1]
    if in_progress.value is not None and spec.aggregation is not Aggregation.SUM:
        return LoggedValue(in_progress.value, in_progress.period)
    return None


def logged_baseline(session: Session, *, team: AlignmentTeam, spec: KpiSpec, today: date) -> LoggedValue:
    """The baseline of a KR form left empty on a KPI: its latest logged value (`latest_logged`),
    else the refusal the one-line path gives, saying what to log."""
    latest = latest_logged(session, team=team, spec=spec, today=today)
    if latest is None:
        raise okr_kr_line.nothing_logged(spec, spec.name(team.locale), example_params(today, team.locale))
    return latest


def _reported_in(session: Session, team: AlignmentTeam, spec: KpiSpec) -> str:
    """MONTH when the KPI's latest value (a rate's numerator's) was logged for a whole month."""
    key = spec.numerator if spec.aggregation is Aggregation.RATE and spec.numerator else spec.key
    kinds = session.scalars(
        select(KpiValue.period_kind).join(Kpi, Kpi.id == KpiValue.kpi_id)
        .where(Kpi.workspace_id == team.workspace_id, Kpi.team_id == team.id, Kpi.key == key)
        .order_by(KpiValue.period_start.desc(), KpiValue.recorded_at.desc()).limit(1)
    )  # fmt: skip
    return MONTH if kinds.first() == MONTH else WEEK


def add_key_result(
    session: Session, *, team: AlignmentTeam, actor: str, objective_id: int, draft: KeyResult, now: datetime,
    logged_baseline: LoggedValue | None = None,
) -> AddedKeyResult:
    """Validates `draft` against its KPI (direction, unit, scale, dates), requires an owner and
    stores it with the next free KR number. The SMART checklist and focus warnings come back
    as advice: they never refuse a KR."""
    _require_lead(team, actor)
    parent = session.get(OkrObjective, objective_id)
    if parent is None or parent.workspace_id != team.workspace_id or parent.team_id != team.id:
        raise UserError("okr.unknown_objective", reference=str(objective_id))
    _require_active(parent)
    if not draft.owner:
        raise UserError("okr.kr_owner_required", **example_params(local_date(now, team.timezone), team.locale))
    catalog = _catalog(session, team)
    spec = catalog.get(draft.kpi_key) if draft.kpi_key else None
    if draft.kpi_key and spec is None:
        raise UserError("okr.unknown_kpi", key=draft.kpi_key)
    okr.validate_key_result(draft, spec, **reading_context(team, spec))
    draft = replace(draft, number=next_kr_number(session, team=team))
    row = _store_key_result(session, team, parent, draft, spec, actor, now)
    if draft.confidence is not None:
        session.add(OkrCheckIn(workspace_id=team.workspace_id, key_result_id=row.id, value=None, confidence=draft.confidence, note="", user_id=actor, at=now))
    session.flush()
    today = local_date(now, team.timezone)
    view = key_result_view(session, team, row, today=today, catalog=catalog)
    session.refresh(parent)
    objective = objective_view(session, team, parent, today=today, catalog=catalog)
    checklist = smart.check_key_result(session, team=team, key_result=draft, today=today)
    warnings = okr.focus_warnings([o.as_domain() for o in board(session, team=team, today=today).objectives])
    return AddedKeyResult(view, objective, checklist, tuple(warnings), logged_baseline)


def _store_key_result(session: Session, team: AlignmentTeam, parent: OkrObjective, draft: KeyResult, spec: KpiSpec | None, actor: str, now: datetime) -> OkrKeyResult:
    kpi_id = None
    if spec is not None:
        kpi_id = next(kpi.id for kpi in kpis.active_kpis(session, team=team) if kpi.key == spec.key)
    guardrail = None
    if draft.guardrail is not None:
        g = draft.guardrail
        guardrail = {"metric": g.metric, "comparator": g.comparator.value, "value": _text(g.value), "unit": g.unit}
    row = OkrKeyResult(
        workspace_id=team.workspace_id, team_id=team.id, objective_id=parent.id, number=draft.number,
        metric=draft.metric, kpi_id=kpi_id, unit=draft.unit, baseline=draft.baseline, target=draft.target,
        scale=draft.scale, start_on=draft.start, deadline=draft.deadline, owner_user_id=draft.owner,
        sides=",".join(sorted(side.value for side in draft.sides)),
        contributors=",".join(sorted(who.value for who in draft.contributors)), guardrail=guardrail,
        created_by=actor, created_at=now,
        milestones=[OkrMilestone(workspace_id=team.workspace_id, due=m.due, value=m.value) for m in draft.milestones],
    )  # fmt: skip
    session.add(row)
    session.flush()
    _audit(session, team, actor, "okr_key_result.create", "okr_key_result", row.id, None, _kr_snapshot(row), now)
    return row


def _text(value: Decimal) -> str:
    """A decimal as JSON keeps it: a string without NUMERIC's trailing zeros."""
    return str(plain_decimal(Decimal(value)))


def _kr_snapshot(row: OkrKeyResult) -> dict:
    return {
        "number": row.number, "metric": row.metric, "baseline": _text(row.baseline),
        "target": _text(row.target), "start": row.start_on.isoformat(), "deadline": row.deadline.isoformat(),
        "owner": row.owner_user_id, "unit": row.unit,
    }  # fmt: skip


def check_in(session: Session, *, team: AlignmentTeam, actor: str, checkin: CheckIn, now: datetime) -> KeyResultCheckIn:
    """Records a check-in. A manual KR needs a value; a KPI-backed one takes only confidence and
    a note (its value is the KPI's: log it with `/alinea kpi log`)."""
    row = find_key_result(session, team=team, reference=checkin.kr_number)
    _require_owner_or_lead(team, row, actor)
    _require_active(row.objective)
    today = local_date(now, team.timezone)
    before = key_result_view(session, team, row, today=today)
    _check_checkin_value(team, row, before, checkin)
    if checkin.confidence is not None:
        okr.validate_confidence(checkin.confidence)
    session.add(OkrCheckIn(
        workspace_id=team.workspace_id, key_result_id=row.id, value=checkin.value, confidence=checkin.confidence,
        note=checkin.note.strip(), user_id=actor, at=now,
    ))  # fmt: skip
    session.flush()
    after = {"value": _text(checkin.value) if checkin.value is not None else None, "confidence": checkin.confidence}
    _audit(session, team, actor, "okr_key_result.checkin", "okr_key_result", row.id, None, after, now)
    return KeyResultCheckIn(key_result_view(session, team, row, today=today), before)


def _check_checkin_value(team: AlignmentTeam, row: OkrKeyResult, view: KeyResultView, checkin: CheckIn) -> None:
    kr = okr.format_kr_id(row.number)
    if view.spec is not None:
        if checkin.value is not None:
            raise UserError("okr.checkin_kpi_backed", kr=kr, key=view.spec.key)
        if checkin.confidence is None and not checkin.note.strip():
            raise UserError("okr.checkin_kpi_needs_confidence", kr=kr)
        return
    if checkin.value is None:
        raise UserError("okr.checkin_value_missing", kr=kr)
    if checkin.unit and checkin.unit != view.result.unit:  # a bare number is read in the KR's unit
        if view.result.unit is None:
            raise UserError("okr.checkin_plain_number", kr=kr, unit=checkin.unit)
        raise UserError("okr.checkin_wrong_unit", kr=kr, unit=checkin.unit, expected=view.result.unit)
    scale = view.result.scale
    if scale is not None and not (0 <= checkin.value <= scale):
        raise UserError("okr.checkin_outside_scale", kr=kr, scale=_text(scale))


def retarget(
    session: Session, *, team: AlignmentTeam, actor: str, reference: str, target: Decimal | None,
    deadline: date | None, reason: str, now: datetime,
) -> KeyResultRetarget:
    """A new target and/or deadline, with a reason, kept in okr_retargets and the audit log.
    The owner, leads and admins may; the new goal is validated like a new KR."""
    row = find_key_result(session, team=team, reference=reference, lock=True)
    _require_owner_or_lead(team, row, actor, "okr.retarget_not_owner")
    _require_active(row.objective)
    kr = okr.format_kr_id(row.number)
    if not reason.strip():
        raise UserError("okr.retarget_reason_missing", kr=kr, **example_params(local_date(now, team.timezone), team.locale))
    if target is None and deadline is None:
        raise UserError("okr.retarget_nothing", kr=kr, **example_params(local_date(now, team.timezone), team.locale))
    new_target = row.target if target is None else target
    new_deadline = row.deadline if deadline is None else deadline
    if new_target == row.target and new_deadline == row.deadline:
        raise UserError("okr.retarget_same", kr=kr)
    today = local_date(now, team.timezone)
    current = key_result_view(session, team, row, today=today)
    draft = replace(current.result, target=new_target, deadline=new_deadline)
    okr.validate_key_result(draft, current.spec, **reading_context(team, current.spec))
    before = _kr_snapshot(row)
    session.add(OkrRetarget(
        workspace_id=team.workspace_id, key_result_id=row.id, old_target=row.target, new_target=new_target,
        old_deadline=row.deadline, new_deadline=new_deadline, reason=reason.strip(), user_id=actor, at=now,
    ))  # fmt: skip
    old_target, old_deadline = row.target, row.deadline
    row.target, row.deadline = new_target, new_deadline
    session.flush()
    after = {**_kr_snapshot(row), "reason": reason.strip()}
    _audit(session, team, actor, "okr_key_result.retarget", "okr_key_result", row.id, before, after, now)
    return KeyResultRetarget(key_result_view(session, team, row, today=today), old_target, old_deadline, reason.strip())


def retargets_of(session: Session, *, team: AlignmentTeam, reference: str) -> list[OkrRetarget]:
    row = find_key_result(session, team=team, reference=reference)
    return list(session.scalars(select(OkrRetarget).where(OkrRetarget.key_result_id == row.id).order_by(OkrRetarget.at)))


def close_objective(session: Session, *, team: AlignmentTeam, actor: str, reference: str, now: datetime) -> ObjectiveView:
    """Closes an objective (leads and admins): its KRs take no more check-ins."""
    row = find_objective(session, team=team, reference=reference, lock=True)
    _require_lead(team, actor)
    _require_active(row)
    row.status, row.closed_by, row.closed_at = ObjectiveStatus.CLOSED, actor, now
    session.flush()
    _audit(session, team, actor, "okr_objective.close", "okr_objective", row.id, {"status": "active"}, {"status": "closed"}, now)
    return objective_view(session, team, row, today=local_date(now, team.timezone))
