"""The CSAT key result proposed beside a theme's complaints one.

CSAT is the percentage of satisfied answers, so the room to grow is what is left to 100 %. The
proposal asks for half of it, the way the complaints key result asks for half the complaints:
from 66,7 % to 83,3 %. The SMART check's "achievable" rule then caps it: when the team's own
weekly CSAT history is known, the target is at most what the stretch pace (`STRETCH_FACTOR`
times the fastest weekly move) reaches by the deadline, so the proposal does not fail the
check that judges it (unless CSAT never moved at all, which the check then says). Targets are written with one decimal, as CSAT is, rounded towards the baseline
so the cap is never passed by rounding.

Both proposed key results come with the milestones the SMART check advises for a goal of more
than six weeks (`milestone_days`, valued on the straight line), typed the team's way in the
form's field, so a proposal saved as it is passes "time-bound" too, and people can edit them.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from domain.examples import typed_day
from domain.number_format import format_quantity
from domain.number_limits import decimal_places
from domain.smart_criteria import MILESTONES_AFTER_WEEKS, milestone_days, on_the_line
from domain.smart_goal import STRETCH_FACTOR, History

FULL = Decimal(100)
STEP = Decimal("0.1")  # CSAT is kept with one decimal


def csat_target(baseline: Decimal, *, days: int, history: History) -> Decimal | None:
    """The target for a CSAT of `baseline` % reached in `days` days; None when there is nothing
    to raise (already 100 %) or no time to raise it in."""
    if baseline >= FULL or days <= 0:
        return None
    wanted = baseline + (FULL - baseline) / 2
    fastest = history.fastest_weekly_move
    if fastest:  # unknown (None) or never moved (0): the SMART check says so; the half stands
        wanted = min(wanted, baseline + STRETCH_FACTOR * fastest * days / 7)
    target = wanted.quantize(STEP, rounding=ROUND_FLOOR)
    return min(FULL, max(target, baseline + STEP))


def typed_milestones(baseline: Decimal, target: Decimal, *, start: date, deadline: date, unit: str | None, language: str,
                     country: str | None) -> str:
    """"67 % 08/04/2026; 74 % 06/05/2026": the advised milestones as the form's field reads them,
    each value with as many decimals as the baseline and target have (whole complaints stay whole);
    empty for a goal short enough to need none."""
    if round((deadline - start).days / 7) <= MILESTONES_AFTER_WEEKS:
        return ""  # the check asks for none
    places = max(decimal_places(baseline), decimal_places(target))
    typed = []
    for due in milestone_days(start, deadline):
        value = on_the_line(baseline, target, start, deadline, due).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        typed.append(f"{format_quantity(value, unit, language=language, country=country)} {typed_day(due, language)}")
    return "; ".join(typed)
