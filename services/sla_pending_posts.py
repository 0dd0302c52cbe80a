"""What of the SLAs is waiting to be posted, and recording that it was.

A breach, a step, a period without data or an open period at risk without `message_ts` has not
been posted yet: `bot/sla_posts.py` reads these lists, posts each (with its claim id as Slack
metadata) and records the message's ts here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AlignmentTeam, SlaBreach, SlaBreachStep, SlaCommitment, SlaEvaluation, SlaRiskFlag, SlaVersion
from domain.periods import Period
from domain.sla import State
from services.sla import view_of
from services.sla_breaches import BreachView, NoDataView, RiskView, StepView, breach_view, scoped_breach


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
    breach = scoped_breach(session, team, breach_id)
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
