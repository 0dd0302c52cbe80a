"""Evaluating SLA commitments: each closed period of an active version once, breaches opened and
resolved, open periods flagged at risk once.

A closed period is evaluated once (`sla_evaluations` is unique per commitment and period); one
that had no data is evaluated again when a value arrives. A breach is created once per
evaluation (unique `evaluation_id`); "at risk" once per open period (`sla_risk_flags`). Posting
them is `services.sla_pending_posts`' and `bot/sla_posts.py`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import repositories
from db.models import AlignmentTeam, BreachStatus, SlaBreach, SlaCommitment, SlaEvaluation, SlaRiskFlag, SlaStatus, SlaVersion
from db.types import plain_decimal
from domain.periods import Period, local_date, period_bounds_utc
from domain.sla import Outcome, State, Step, evaluate_closed, evaluate_open
from services import audit, kpis
from services.sla import commitments, responsible_of, view_of, with_status
from services.sla_breaches import ENDED, add_step, audit_change


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
    audit_change(session, team, "sla_evaluation", evaluation.id, "sla_evaluation.evaluated", {"period": period.key, **_outcome_json(outcome)}, now)
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
    audit_change(session, team, "sla_breach", breach.id, "sla_breach.opened", {"number": breach.number, "evaluation": evaluation.id}, now)


def _resolve_earlier(session: Session, team: AlignmentTeam, commitment: SlaCommitment, met: Period, now: datetime) -> int:
    """A period that meets the target resolves the commitment's breaches of earlier periods."""
    rows = session.scalars(
        select(SlaBreach).join(SlaEvaluation, SlaEvaluation.id == SlaBreach.evaluation_id)
        .where(SlaBreach.commitment_id == commitment.id, SlaBreach.status.not_in(ENDED), SlaEvaluation.period_start < met.start)
    )
    resolved = 0
    for row in rows:
        row.status, row.ended_at, row.ended_by = BreachStatus.RESOLVED, now, audit.SYSTEM_ACTOR
        add_step(session, team, row, "resolved", audit.SYSTEM_ACTOR, now, {"period": met.key})
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
