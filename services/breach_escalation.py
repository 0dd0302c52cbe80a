"""Reminding and escalating the SLA breaches nobody has acknowledged.

The escalation clock runs in working hours of the team, paused by the public
holidays of its country, from the moment the breach was posted.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AlignmentTeam, BreachStatus, SlaBreach, SlaEvaluation, SlaVersion
from domain.sla import next_step
from domain.workclock import WorkingHours, holiday_checker, working_hours_between
from services import audit
from services.sla_breaches import add_step


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
            taken += add_step(session, team, breach, step.value, audit.SYSTEM_ACTOR, now, {"working_hours": str(elapsed.quantize(Decimal("0.01")))})
    session.flush()
    return taken
