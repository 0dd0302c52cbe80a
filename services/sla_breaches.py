"""SLA breaches as people see them: the views, loading them, and the steps of each.

Every effect is claimed in the database before anything is posted, and posted after commit:

- a closed period is evaluated once: `sla_evaluations` is unique per (commitment, period);
- a breach is created once per evaluation (unique `evaluation_id`); "at risk" once per open
  period (`sla_risk_flags`); each reminder, escalation, acknowledgement, plan, resolution and
  closing is a `sla_breach_steps` row with a unique claim (`add_step`, here);
- a row without `message_ts` has not been posted yet. `bot/sla_posts.py` posts whatever is
  pending (each with its claim id as Slack metadata, so a post that went out but was not
  recorded is found, not repeated), right after an interaction and from the jobs. A Slack outage
  delays a post; it never drops one and never doubles one.

Evaluating periods is in `services.breach_evaluation`; acknowledging, planning and closing in
`services.breach_acknowledgement`; reminders and escalation in `services.breach_escalation`;
what is waiting to be posted in `services.sla_pending_posts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repositories
from db.models import AlignmentTeam, BreachStatus, SlaBreach, SlaBreachStep, SlaEvaluation, SlaVersion, TeamRole
from domain.errors import UserError
from domain.numbers import typed_whole
from domain.glossary import Side
from domain.periods import Period, counts_in_month
from domain.sla import Reason, Step
from services import audit, kpis
from services.sla import LEAD_ROLE, SlaVersionView, view_of
from services.teams import members_with_role

TREND_PERIODS = 4
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


def scoped_breach(session: Session, team: AlignmentTeam, breach_id: int, *, lock: bool = False) -> SlaBreach:
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
    return breach_view(session, team, scoped_breach(session, team, breach_id))


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


# Steps ----------------------------------------------------------------------------------------------


def add_step(session: Session, team: AlignmentTeam, breach: SlaBreach, kind: str, actor: str, now: datetime, detail: dict, *, claim: str | None = None) -> bool:
    """Record a step; False when its claim was already taken (the step happened before)."""
    claim = claim or f"sla-breach-{breach.id}-{kind}"
    inserted = repositories.insert_ignoring_conflict(
        session, SlaBreachStep,
        {"workspace_id": team.workspace_id, "breach_id": breach.id, "kind": kind, "claim": claim, "actor": actor,
         "at": now, "detail": detail},
        unique=["claim"],
    )
    if inserted:
        audit_change(session, team, "sla_breach", breach.id, f"sla_breach.{kind}", detail, now, actor=actor)
    return inserted


def audit_change(session: Session, team: AlignmentTeam, entity: str, entity_id: int, action: str, after: dict, now: datetime, *, actor: str = audit.SYSTEM_ACTOR) -> None:
    audit.record(session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action=action,
                 entity_type=entity, entity_id=entity_id, before=None, after=after, now=now)
