"""SLA evaluation, breaches, acknowledgement, escalation and resolution.

Every effect is claimed in the database before anything is posted, and posted after commit:

- a closed period is evaluated once: `sla_evaluations` is unique per (commitment, period);
- a breach is created once per evaluation (unique `evaluation_id`); "at risk" once per open
  period (`sla_risk_flags`); each reminder, escalation, acknowledgement, plan, resolution and
  closing is a `sla_breach_steps` row with a unique claim;
- a row without `message_ts` has not been posted yet. `bot/sla_posts.py` posts whatever is
  pending (each with its claim id as Slack metadata, so a post that went out but was not
  recorded is found, not repeated), right after an interaction and from the jobs. A Slack outage
  delays a post; it never drops one and never doubles one.

The escalation clock runs in working hours of the team, paused by the public
holidays of its country, from the moment the breach was posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import repositories
from db.models import (
    AlignmentTeam,
    BreachStatus,
    SlaBreach,
    SlaBreachStep,
    SlaCommitment,
    SlaEvaluation,
    SlaRiskFlag,
    SlaStatus,
    SlaVersion,
    TeamRole,
)
from db.types import plain_decimal
from domain.errors import UserError
from domain.numbers import typed_whole
from domain.glossary import Side
from domain.periods import Period, counts_in_month, local_date, period_bounds_utc
from domain.sla import Outcome, Reason, State, Step, evaluate_closed, evaluate_open, next_step
from domain.workclock import WorkingHours, holiday_checker, working_hours_between
from services import audit, kpis
from services.sla import LEAD_ROLE, SlaVersionView, commitments, responsible_of, view_of, with_status
from services.teams import members_with_role, roles_of

TREND_PERIODS = 4
MAX_NOTE_LENGTH = 1000
MAX_PLAN_LENGTH = 1500
ENDED = (BreachStatus.RESOLVED, BreachStatus.CLOSED)


# Views --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreachView:
    id: int
    number: int
    version: SlaVersionView
    period: Period
    value: Decimal
    gap: Decimal
    trend: tuple[tuple[Period, Decimal | None], ...]  # the periods before and this one, oldest first
    responsible: str | None
    may_acknowledge: tuple[str, ...]  # the responsible lead, the side's other leads, the admins
    escalate_to: tuple[str, ...]  # the other side's leads and the admins
    status: BreachStatus
    step: Step
    channel_id: str
    message_ts: str | None
    posted_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    reason: Reason | None
    note: str
    plan: str
    plan_owner: str | None
    plan_due: date | None
    ended_at: datetime | None
    ended_by: str | None
    end_note: str

    @property
    def label(self) -> str:
        return f"B{self.number}"


@dataclass(frozen=True)
class StepView:
    id: int
    claim: str
    kind: str  # reminded, escalated, acknowledged, plan, resolved, closed
    actor: str
    at: datetime
    detail: dict
    breach: BreachView


@dataclass(frozen=True)
class NoDataView:
    """A closed period without a value: the owner is asked for it."""

    id: int
    version: SlaVersionView
    period: Period


@dataclass(frozen=True)
class RiskView:
    id: int
    version: SlaVersionView
    period: Period
    value_so_far: Decimal | None


@dataclass(frozen=True)
class EvaluationSummary:
    evaluated: int = 0
    breaches: int = 0
    no_data: int = 0
    resolved: int = 0
    at_risk: int = 0

    def line(self) -> str:
        return (f"evaluated {self.evaluated} periods: {self.breaches} breached, {self.no_data} without data, "
                f"{self.resolved} breaches resolved, {self.at_risk} flagged at risk")


# Loading -------------------------------------------------------------------------------------------


def _side_people(team: AlignmentTeam, side: Side) -> list[str]:
    return members_with_role(team, LEAD_ROLE[side])


def _other(side: Side) -> Side:
    return Side.SALES if side is Side.MARKETING else Side.MARKETING


def _unique(people: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(person for person in people if person))


def breach_view(session: Session, team: AlignmentTeam, breach: SlaBreach) -> BreachView:
    evaluation = session.get(SlaEvaluation, breach.evaluation_id)
    assert evaluation is not None
    version = session.get(SlaVersion, evaluation.version_id)
    assert version is not None
    side, admins = Side(version.commitment.side), members_with_role(team, TeamRole.ADMIN)
    period = Period(evaluation.period_kind, evaluation.period_start)
    return BreachView(
        id=breach.id, number=breach.number, version=view_of(team, version), period=period,
        value=evaluation.value or Decimal(0), gap=evaluation.gap or Decimal(0),
        trend=tuple(_trend(session, team, version, period)), responsible=breach.responsible_user_id,
        may_acknowledge=_unique([breach.responsible_user_id, *_side_people(team, side), *admins]),
        escalate_to=_unique([*_side_people(team, _other(side)), *admins]),
        status=breach.status, step=Step(breach.step), channel_id=breach.channel_id, message_ts=breach.message_ts,
        posted_at=breach.posted_at, acknowledged_by=breach.acknowledged_by, acknowledged_at=breach.acknowledged_at,
        reason=Reason(breach.reason) if breach.reason else None, note=breach.note, plan=breach.plan,
        plan_owner=breach.plan_owner, plan_due=breach.plan_due, ended_at=breach.ended_at, ended_by=breach.ended_by,
        end_note=breach.end_note,
    )


def _trend(session: Session, team: AlignmentTeam, version: SlaVersion, period: Period) -> list[tuple[Period, Decimal | None]]:
    periods = [period]
    while len(periods) < TREND_PERIODS:
        periods.insert(0, periods[0].previous())
    points = kpis.series(session, team=team, key=view_of(team, version).terms.kpi_key, periods=periods)
    return [(point.period, point.value) for point in points]


def _scoped_breach(session: Session, team: AlignmentTeam, breach_id: int, *, lock: bool = False) -> SlaBreach:
    breach = session.get(SlaBreach, breach_id, with_for_update=lock)
    if breach is None or breach.workspace_id != team.workspace_id or breach.team_id != team.id:
        raise UserError("sla.breach_not_found", reference=str(breach_id))
    if lock:
        session.refresh(breach)
    return breach


def find_breach(session: Session, *, team: AlignmentTeam, reference: str) -> SlaBreach:
    """`B4`, `b 4` or `4`."""
    number = typed_whole("".join(reference.split()).upper().removeprefix("B"))
    found = None
    if number is not None:
        found = session.scalars(
            select(SlaBreach).where(
                SlaBreach.workspace_id == team.workspace_id, SlaBreach.team_id == team.id, SlaBreach.number == number
            )
        ).one_or_none()
    if found is None:
        raise UserError("sla.breach_not_found", reference=reference.strip())
    return found


def breach(session: Session, *, team: AlignmentTeam, breach_id: int) -> BreachView:
    return breach_view(session, team, _scoped_breach(session, team, breach_id))


def breach_in_thread(session: Session, *, team: AlignmentTeam, channel_id: str, thread_ts: str) -> SlaBreach | None:
    """The breach whose message starts this thread, if any."""
    return session.scalars(
        select(SlaBreach).where(
            SlaBreach.workspace_id == team.workspace_id, SlaBreach.team_id == team.id,
            SlaBreach.channel_id == channel_id, SlaBreach.message_ts == thread_ts,
        )
    ).one_or_none()


def open_breaches(session: Session, *, team: AlignmentTeam) -> list[BreachView]:
    rows = session.scalars(
        select(SlaBreach)
        .where(SlaBreach.workspace_id == team.workspace_id, SlaBreach.team_id == team.id, SlaBreach.status.not_in(ENDED))
        .order_by(SlaBreach.number)
    )
    return [breach_view(session, team, row) for row in rows]


def breaches_for_month(session: Session, *, team: AlignmentTeam, month: Period) -> list[BreachView]:
    """For the monthly meeting: breaches of the periods that count in the month (a week in the
    month holding its Thursday, as for every monthly figure), and every breach still open, with
    their acknowledgements and plans."""
    rows = session.scalars(
        select(SlaBreach).join(SlaEvaluation, SlaEvaluation.id == SlaBreach.evaluation_id)
        .where(SlaBreach.workspace_id == team.workspace_id, SlaBreach.team_id == team.id)
        .order_by(SlaBreach.number)
    )
    found = [breach_view(session, team, row) for row in rows]
    return [b for b in found if b.status not in ENDED or counts_in_month(b.period, month)]


# Evaluation ----------------------------------------------------------------------------------------


def _value(session: Session, team: AlignmentTeam, version: SlaVersion, period: Period) -> Decimal | None:
    key = view_of(team, version).terms.kpi_key
    return kpis.series(session, team=team, key=key, periods=[period])[0].value


def open_state(session: Session, *, team: AlignmentTeam, version: SlaVersion, now: datetime) -> tuple[Period, State, Decimal | None]:
    """The current period of an active version, its pace (ON_TRACK or AT_RISK) and the value so far."""
    period = Period.of(version.period_kind, local_date(now, team.timezone))
    start, end = period_bounds_utc(period, team.timezone)
    elapsed = min(max((now - start) / (end - start), 0.0), 1.0)
    value, shown = _value(session, team, version, period), view_of(team, version)
    state = evaluate_open(
        shown.terms, value_so_far=value, elapsed_fraction=elapsed,
        aggregation=shown.spec.aggregation, days_left=(period.end - local_date(now, team.timezone)).days,
    )
    return period, state, value


def _closed_periods(team: AlignmentTeam, version: SlaVersion, now: datetime) -> list[Period]:
    """Periods of the version that have closed: from the one containing its start date (but none
    that closed before it became active: accepting an SLA does not breach last month), oldest first."""
    today = local_date(now, team.timezone)
    assert version.active_at is not None
    active_on = local_date(version.active_at, team.timezone)
    period, found = Period.of(version.period_kind, version.starts_on), []
    while period.end <= today:
        if period.end > active_on:
            found.append(period)
        period = period.next()
    return found


def evaluate(session: Session, *, team: AlignmentTeam, now: datetime) -> EvaluationSummary:
    """Evaluate every closed, not yet evaluated period of every active commitment; re-evaluate
    periods that had no data when a value has arrived since; flag open periods at risk once."""
    session.get(AlignmentTeam, team.id, with_for_update=True)  # one evaluator per team at a time (PostgreSQL)
    totals = dict(evaluated=0, breaches=0, no_data=0, resolved=0, at_risk=0)
    for commitment in commitments(session, team=team):
        version = with_status(commitment, SlaStatus.ACTIVE)
        if version is None:
            continue
        for period in _closed_periods(team, version, now):
            _evaluate_period(session, team, version, period, now, totals)
        _flag_risk(session, team, version, now, totals)
    return EvaluationSummary(**totals)


def _evaluate_period(session: Session, team: AlignmentTeam, version: SlaVersion, period: Period, now: datetime, totals: dict) -> None:
    existing = session.scalars(
        select(SlaEvaluation).where(SlaEvaluation.commitment_id == version.commitment_id, SlaEvaluation.period_start == period.start)
    ).one_or_none()
    if existing is not None and existing.state != State.NO_DATA.value:
        return
    value = _value(session, team, version, period)
    if existing is not None and value is None:
        return
    outcome = evaluate_closed(view_of(team, version).terms, value)
    if existing is None:
        evaluation = SlaEvaluation(
            workspace_id=team.workspace_id, commitment_id=version.commitment_id, version_id=version.id,
            period_kind=period.kind, period_start=period.start, evaluated_at=now,
        )
        session.add(evaluation)
    else:
        evaluation = existing
    evaluation.state, evaluation.value, evaluation.target, evaluation.gap = outcome.state.value, outcome.value, outcome.target, outcome.gap
    evaluation.evaluated_at = now
    session.flush()
    _audit(session, team, "sla_evaluation", evaluation.id, "sla_evaluation.evaluated", {"period": period.key, **_outcome_json(outcome)}, now)
    totals["evaluated"] += 1
    if outcome.state is State.NO_DATA:
        totals["no_data"] += 1
    elif outcome.state is State.BREACHED:
        _open_breach(session, team, version, evaluation, now)
        totals["breaches"] += 1
    else:
        totals["resolved"] += _resolve_earlier(session, team, version.commitment, period, now)


def _outcome_json(outcome: Outcome) -> dict:
    return {"state": outcome.state.value, "value": _text(outcome.value), "target": _text(outcome.target), "gap": _text(outcome.gap)}


def _text(number: Decimal | None) -> str | None:
    return None if number is None else format(plain_decimal(number), "f")


def _open_breach(session: Session, team: AlignmentTeam, version: SlaVersion, evaluation: SlaEvaluation, now: datetime) -> None:
    number = session.scalar(select(func.max(SlaBreach.number)).where(SlaBreach.team_id == team.id)) or 0
    breach = SlaBreach(
        workspace_id=team.workspace_id, team_id=team.id, number=number + 1, evaluation_id=evaluation.id,
        commitment_id=version.commitment_id, responsible_user_id=responsible_of(team, version),
        status=BreachStatus.OPEN, step=Step.POSTED.value, created_at=now, channel_id=team.channel_id,
    )
    session.add(breach)
    session.flush()
    _audit(session, team, "sla_breach", breach.id, "sla_breach.opened", {"number": breach.number, "evaluation": evaluation.id}, now)


def _resolve_earlier(session: Session, team: AlignmentTeam, commitment: SlaCommitment, met: Period, now: datetime) -> int:
    """A period that meets the target resolves the commitment's breaches of earlier periods."""
    rows = session.scalars(
        select(SlaBreach).join(SlaEvaluation, SlaEvaluation.id == SlaBreach.evaluation_id)
        .where(SlaBreach.commitment_id == commitment.id, SlaBreach.status.not_in(ENDED), SlaEvaluation.period_start < met.start)
    )
    resolved = 0
    for row in rows:
        row.status, row.ended_at, row.ended_by = BreachStatus.RESOLVED, now, audit.SYSTEM_ACTOR
        _add_step(session, team, row, "resolved", audit.SYSTEM_ACTOR, now, {"period": met.key})
        resolved += 1
    return resolved


def _flag_risk(session: Session, team: AlignmentTeam, version: SlaVersion, now: datetime, totals: dict) -> None:
    period, state, value = open_state(session, team=team, version=version, now=now)
    if state is not State.AT_RISK or period.start < Period.of(version.period_kind, version.starts_on).start:
        return
    inserted = repositories.insert_ignoring_conflict(
        session, SlaRiskFlag,
        {"workspace_id": team.workspace_id, "commitment_id": version.commitment_id, "version_id": version.id,
         "period_start": period.start, "value_so_far": value, "flagged_at": now},
        unique=["commitment_id", "period_start"],
    )
    totals["at_risk"] += int(inserted)


# Steps ----------------------------------------------------------------------------------------------


def _add_step(session: Session, team: AlignmentTeam, breach: SlaBreach, kind: str, actor: str, now: datetime, detail: dict, *, claim: str | None = None) -> bool:
    """Record a step; False when its claim was already taken (the step happened before)."""
    claim = claim or f"sla-breach-{breach.id}-{kind}"
    inserted = repositories.insert_ignoring_conflict(
        session, SlaBreachStep,
        {"workspace_id": team.workspace_id, "breach_id": breach.id, "kind": kind, "claim": claim, "actor": actor,
         "at": now, "detail": detail},
        unique=["claim"],
    )
    if inserted:
        _audit(session, team, "sla_breach", breach.id, f"sla_breach.{kind}", detail, now, actor=actor)
    return inserted


def _audit(session: Session, team: AlignmentTeam, entity: str, entity_id: int, action: str, after: dict, now: datetime, *, actor: str = audit.SYSTEM_ACTOR) -> None:
    audit.record(session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action=action,
                 entity_type=entity, entity_id=entity_id, before=None, after=after, now=now)


# Acknowledgement, plans and closing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    text: str
    owner: str | None
    due: date | None


def _check_may_act(team: AlignmentTeam, view: BreachView, actor: str) -> None:
    if actor not in view.may_acknowledge:
        raise UserError("sla.not_allowed_to_ack", breach=view.label, side=view.version.terms.side.value)


def _refuse_ended(breach: SlaBreach) -> None:
    if breach.status is BreachStatus.RESOLVED:
        raise UserError("sla.breach_resolved", breach=f"B{breach.number}")
    if breach.status is BreachStatus.CLOSED:
        raise UserError("sla.breach_closed", breach=f"B{breach.number}")


def open_for(session: Session, *, team: AlignmentTeam, breach_id: int, actor: str, acknowledging: bool) -> BreachView:
    """The breach, if `actor` may act on it now (before a form is opened); a UserError saying why not."""
    breach = _scoped_breach(session, team, breach_id)
    view = breach_view(session, team, breach)
    _check_may_act(team, view, actor)
    _refuse_ended(breach)
    if acknowledging and breach.status is BreachStatus.ACKNOWLEDGED:
        raise UserError("sla.already_acknowledged", breach=view.label, user=breach.acknowledged_by or "")
    return view


def _checked_plan(plan: Plan | None) -> Plan | None:
    if plan is None or not plan.text.strip():
        return None
    if len(plan.text) > MAX_PLAN_LENGTH:
        raise UserError("sla.plan_too_long", limit=MAX_PLAN_LENGTH, length=len(plan.text))
    return Plan(plan.text.strip(), plan.owner, plan.due)


def acknowledge(
    session: Session, *, team: AlignmentTeam, breach_id: int, actor: str, reason: Reason, note: str, now: datetime,
    plan: Plan | None = None,
) -> BreachView:
    breach = _scoped_breach(session, team, breach_id, lock=True)
    view = breach_view(session, team, breach)
    _check_may_act(team, view, actor)
    _refuse_ended(breach)
    if breach.status is BreachStatus.ACKNOWLEDGED:
        raise UserError("sla.already_acknowledged", breach=view.label, user=breach.acknowledged_by or "")
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise UserError("sla.note_too_long", limit=MAX_NOTE_LENGTH, length=len(note))
    plan = _checked_plan(plan)
    breach.status, breach.acknowledged_by, breach.acknowledged_at = BreachStatus.ACKNOWLEDGED, actor, now
    breach.reason, breach.note = reason.value, note
    if plan is not None:
        breach.plan, breach.plan_owner, breach.plan_due = plan.text, plan.owner, plan.due
    _add_step(session, team, breach, "acknowledged", actor, now, {"reason": reason.value, "note": note, **_plan_json(plan)})
    session.flush()
    return breach_view(session, team, breach)


def _plan_json(plan: Plan | None) -> dict:
    if plan is None:
        return {}
    return {"plan": plan.text, "plan_owner": plan.owner, "plan_due": plan.due.isoformat() if plan.due else None}


def add_plan(session: Session, *, team: AlignmentTeam, breach_id: int, actor: str, plan: Plan, now: datetime) -> BreachView:
    breach = _scoped_breach(session, team, breach_id, lock=True)
    _check_may_act(team, breach_view(session, team, breach), actor)
    _refuse_ended(breach)
    checked = _checked_plan(plan)
    if checked is None:
        raise UserError("sla.plan_missing")
    breach.plan, breach.plan_owner, breach.plan_due = checked.text, checked.owner, checked.due
    count = session.scalar(select(func.count()).where(SlaBreachStep.breach_id == breach.id, SlaBreachStep.kind == "plan")) or 0
    _add_step(session, team, breach, "plan", actor, now, _plan_json(checked), claim=f"sla-breach-{breach.id}-plan-{count + 1}")
    session.flush()
    return breach_view(session, team, breach)


def close(session: Session, *, team: AlignmentTeam, breach_id: int, actor: str, note: str, now: datetime, is_workspace_admin: bool = False) -> BreachView:
    """An admin closes a breach with a note (a definition fixed, a period that should not count…)."""
    if TeamRole.ADMIN not in roles_of(team, actor) and not is_workspace_admin:
        raise UserError("sla.close_admins_only")
    note = note.strip()
    if not note:
        raise UserError("sla.close_note_missing")
    if len(note) > MAX_NOTE_LENGTH:
        raise UserError("sla.note_too_long", limit=MAX_NOTE_LENGTH, length=len(note))
    breach = _scoped_breach(session, team, breach_id, lock=True)
    _refuse_ended(breach)
    breach.status, breach.ended_at, breach.ended_by, breach.end_note = BreachStatus.CLOSED, now, actor, note
    _add_step(session, team, breach, "closed", actor, now, {"note": note})
    session.flush()
    return breach_view(session, team, breach)


# Escalation ------------------------------------------------------------------------------------------


def working_hours_of(team: AlignmentTeam) -> WorkingHours:
    days = frozenset(int(day) for day in team.work_days.split(",") if day.strip())
    return WorkingHours(days=days, start=team.work_start, end=team.work_end)


def working_hours_since(team: AlignmentTeam, since: datetime, now: datetime) -> Decimal:
    years = range(since.year, now.year + 1)
    return working_hours_between(
        since, now, timezone=team.timezone, hours=working_hours_of(team), is_holiday=holiday_checker(team.country, years)
    )


def escalate(session: Session, *, team: AlignmentTeam, now: datetime) -> int:
    """Take every due step of every open, posted breach (reminder, then escalation); returns how
    many steps were taken. A step's claim makes a repeat or a second replica a no-op."""
    rows = session.scalars(
        select(SlaBreach).where(
            SlaBreach.workspace_id == team.workspace_id, SlaBreach.team_id == team.id,
            SlaBreach.status == BreachStatus.OPEN, SlaBreach.posted_at.is_not(None),
        ).with_for_update()
    )
    taken = 0
    for breach in rows:
        window = session.get(SlaVersion, session.get(SlaEvaluation, breach.evaluation_id).version_id).ack_window_hours
        elapsed = working_hours_since(team, breach.posted_at, now)
        while (step := next_step(breach.step, acknowledged=False, working_hours_since_post=elapsed, window_hours=window)) is not None:
            breach.step = step.value
            taken += _add_step(session, team, breach, step.value, audit.SYSTEM_ACTOR, now, {"working_hours": str(elapsed.quantize(Decimal("0.01")))})
    session.flush()
    return taken


# What is waiting to be posted -----------------------------------------------------------------------


def unposted_breaches(session: Session, *, team: AlignmentTeam) -> list[BreachView]:
    rows = session.scalars(
        select(SlaBreach).where(SlaBreach.team_id == team.id, SlaBreach.message_ts.is_(None)).order_by(SlaBreach.number)
    )
    return [breach_view(session, team, row) for row in rows]


def unposted_steps(session: Session, *, team: AlignmentTeam) -> list[StepView]:
    """Steps not yet said in their breach's thread (only for breaches already posted)."""
    rows = session.scalars(
        select(SlaBreachStep).join(SlaBreach, SlaBreach.id == SlaBreachStep.breach_id)
        .where(SlaBreach.team_id == team.id, SlaBreachStep.message_ts.is_(None), SlaBreach.message_ts.is_not(None))
        .order_by(SlaBreachStep.id)
    )
    views: dict[int, BreachView] = {}
    result = []
    for row in rows:
        if row.breach_id not in views:
            views[row.breach_id] = breach_view(session, team, session.get(SlaBreach, row.breach_id))
        result.append(StepView(row.id, row.claim, row.kind, row.actor, row.at, row.detail or {}, views[row.breach_id]))
    return result


def unposted_no_data(session: Session, *, team: AlignmentTeam) -> list[NoDataView]:
    rows = session.scalars(
        select(SlaEvaluation).join(SlaCommitment, SlaCommitment.id == SlaEvaluation.commitment_id)
        .where(SlaCommitment.team_id == team.id, SlaEvaluation.state == State.NO_DATA.value, SlaEvaluation.message_ts.is_(None))
        .order_by(SlaEvaluation.id)
    )
    return [NoDataView(row.id, view_of(team, session.get(SlaVersion, row.version_id)), Period(row.period_kind, row.period_start)) for row in rows]


def unposted_risks(session: Session, *, team: AlignmentTeam) -> list[RiskView]:
    rows = session.scalars(
        select(SlaRiskFlag).join(SlaCommitment, SlaCommitment.id == SlaRiskFlag.commitment_id)
        .where(SlaCommitment.team_id == team.id, SlaRiskFlag.message_ts.is_(None))
        .order_by(SlaRiskFlag.id)
    )
    return [
        RiskView(row.id, view_of(team, version), Period(version.period_kind, row.period_start), row.value_so_far)
        for row in rows if (version := session.get(SlaVersion, row.version_id)) is not None
    ]


def record_breach_post(session: Session, *, team: AlignmentTeam, breach_id: int, ts: str, now: datetime) -> None:
    breach = _scoped_breach(session, team, breach_id)
    if breach.message_ts is None:  # the clock starts when people could first see it
        breach.message_ts, breach.posted_at = ts, now


def record_step_post(session: Session, *, team: AlignmentTeam, step_id: int, ts: str) -> None:
    step = session.get(SlaBreachStep, step_id)
    if step is not None and step.workspace_id == team.workspace_id:
        step.message_ts = ts


def record_no_data_post(session: Session, *, team: AlignmentTeam, evaluation_id: int, ts: str) -> None:
    evaluation = session.get(SlaEvaluation, evaluation_id)
    if evaluation is not None and evaluation.workspace_id == team.workspace_id:
        evaluation.message_ts = ts


def record_risk_post(session: Session, *, team: AlignmentTeam, flag_id: int, ts: str) -> None:
    flag = session.get(SlaRiskFlag, flag_id)
    if flag is not None and flag.workspace_id == team.workspace_id:
        flag.message_ts = ts
