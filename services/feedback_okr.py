"""The CSAT key result an objective proposed from a feedback theme carries beside the complaints
one: from the team's own CSAT (its latest month with scored feedback) to a target the SMART
check's "achievable" rule accepts (`domain.feedback_okr`). Without any CSAT there is no number
to start from, and none is invented: the caller says how to get one (scores on feedback).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from db.models import AlignmentTeam
from domain.feedback_okr import csat_target
from domain.kpis import Unit
from domain.periods import Period
from domain.smart_goal import History
from services import kpis
from services.feedback_kpis import CSAT
from services.smart import HISTORY_WEEKS

LOOK_BACK_MONTHS = 6  # the half year the SMART check reads the KPI's history from


@dataclass(frozen=True)
class CsatProposal:
    """CSAT from `baseline` (the figure of `month`) to `target` by the complaints KR's deadline;
    `target` is None when CSAT is already 100 % (nothing to raise)."""

    baseline: Decimal
    month: Period
    target: Decimal | None


def propose_csat(session, *, team: AlignmentTeam, today: date, deadline: date) -> CsatProposal | None:
    """None when the team has no CSAT in the last `LOOK_BACK_MONTHS` months (nor this month)."""
    if not _has_csat(session, team):
        return None
    latest = _latest_month(session, team, today)
    if latest is None:
        return None
    history = History.from_points(_weekly(session, team, today))
    target = csat_target(latest.value, days=(deadline - today).days, history=history)
    return CsatProposal(latest.value, latest.period, target)


def _has_csat(session, team: AlignmentTeam) -> bool:
    """A `csat` KPI in percent: feedback's own, or one the team made with the same meaning."""
    return any(kpi.key == CSAT and kpis.spec_of(kpi).unit is Unit.PERCENT for kpi in kpis.active_kpis(session, team=team))


def _latest_month(session, team: AlignmentTeam, today: date) -> kpis.Point | None:
    """The latest complete month with a CSAT figure; the month in progress only when none has one
    (a team whose first scores came this month)."""
    months = [Period.month_of(today)]
    while len(months) <= LOOK_BACK_MONTHS:
        months.append(months[-1].previous())
    points = kpis.series(session, team=team, key=CSAT, periods=list(reversed(months)))
    complete = [point for point in points[:-1] if point.value is not None]
    if complete:
        return complete[-1]
    return points[-1] if points[-1].value is not None else None


def _weekly(session, team: AlignmentTeam, today: date) -> list[tuple[date, Decimal]]:
    """(week start, CSAT) over the weeks the SMART check reads, the week in progress included."""
    weeks = [Period.week_of(today)]
    while len(weeks) < HISTORY_WEEKS:
        weeks.append(weeks[-1].previous())
    points = kpis.series(session, team=team, key=CSAT, periods=list(reversed(weeks)))
    return [(point.period.start, point.value) for point in points if point.value is not None]
