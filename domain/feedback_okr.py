"""The CSAT key result proposed beside a theme's complaints one.

CSAT is the percentage of satisfied answers, so the room to grow is what is left to 100 %. The
proposal asks for half of it, the way the complaints key result asks for half the complaints:
from 66,7 % to 83,3 %. The SMART check's "achievable" rule then caps it: when the team's own
weekly CSAT history is known, the target is at most what the stretch pace (`STRETCH_FACTOR`
times the fastest weekly move) reaches by the deadline, so the proposal never fails the check
that judges it. Targets are written with one decimal, as CSAT is, rounded towards the baseline
so the cap is never passed by rounding.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from domain.smart import STRETCH_FACTOR, History

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
