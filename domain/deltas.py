"""Week-over-week and month-over-month changes of KPIs, computed here and only here.

Every number an agenda (or the AI narrator) talks about is a `Change` with a stable
`fact_id`: the narrator may cite it and quote its numbers, never invent one.

Decisions worth knowing:

- **Percent change** is relative to the previous value ((value − previous) ÷ |previous| × 100).
  For KPIs that are themselves percentages, the difference in points is also kept: "1,2 % →
  1,5 %" is +0,3 points and +25 %. Ranking uses the relative change either way.
- **Better or worse** comes from the KPI's direction: a falling cart abandonment improves.
- **What matters:** a change of at least 5 % either way, judged as shown (to one decimal:
  4,95 % reads "5 %" and matters); a move away from zero (no percent exists, and "nothing moved
  5 %" would be false); or a KPI with a value that misses its target, with or without a period
  before to compare. Largest first (a move from zero before any percent); ties by the KPI's key
  so the order is stable. A KPI without a value in the period never matters here: the agenda
  names those apart, so that "no KPI moved" is never said of a KPI nobody logged.
- **Trend:** the last four values, oldest first (None where nothing was recorded).
- **Bottleneck** (the weekly 10/10/10 plan): among the funnel stages (traffic, conversion,
  ticket, retention), the stage whose KPI is furthest below its target; with no targets, the
  one that worsened most. None when nothing worsened and every target is met.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import Enum
from typing import Iterable, Mapping, Sequence

from domain.kpis import Direction, Unit
from domain.periods import Period

MATTERS_PERCENT = Decimal(5)
SHOWN_PERCENT_PLACES = Decimal("0.1")  # agendas show a relative change with one decimal at most
TREND_LENGTH = 4
_WIDE = Context(prec=40)
_HUNDRED = Decimal(100)


class Stage(str, Enum):
    """The four places a shop's revenue can be stuck (sales = traffic × conversion × ticket,
    and retention brings them back)."""

    TRAFFIC = "traffic"
    CONVERSION = "conversion"
    TICKET = "ticket"
    RETENTION = "retention"


# Which starter KPIs measure which stage (a team's own KPIs join through `stages`).
STARTER_STAGES: Mapping[str, Stage] = {
    "sessions": Stage.TRAFFIC,
    "leads_mql": Stage.TRAFFIC,
    "conversion_web": Stage.CONVERSION,
    "mobile_conversion": Stage.CONVERSION,
    "whatsapp_close_rate": Stage.CONVERSION,
    "lead_to_customer": Stage.CONVERSION,
    "cart_abandonment": Stage.CONVERSION,
    "checkout_abandonment": Stage.CONVERSION,
    "avg_deal": Stage.TICKET,
    "repurchase_60d": Stage.RETENTION,
}


@dataclass(frozen=True)
class Change:
    """One KPI's value in a period against the period before, with a stable id."""

    fact_id: str  # "kpi.conversion_web.2026-W12"
    kpi_key: str
    period: Period
    unit: Unit
    direction: Direction
    value: Decimal | None
    previous: Decimal | None
    target: Decimal | None = None
    trend: tuple[Decimal | None, ...] = ()

    @property
    def difference(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def percent(self) -> Decimal | None:
        """Relative change in %, None when there is nothing to compare with (or it was 0)."""
        if self.difference is None or not self.previous:
            return None
        with localcontext(_WIDE):
            return self.difference / abs(self.previous) * _HUNDRED

    @property
    def improved(self) -> bool | None:
        """Whether it moved the better way (None: no move or nothing to compare)."""
        if not self.difference:
            return None
        return (self.difference > 0) == (self.direction is Direction.HIGHER)

    @property
    def meets_target(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target if self.direction is Direction.HIGHER else self.value <= self.target

    @property
    def target_gap(self) -> Decimal | None:
        """How far short of the target, as a share of it (0 when met; None without one)."""
        if self.meets_target is None:
            return None
        if self.meets_target or not self.target:
            return Decimal(0)
        with localcontext(_WIDE):
            return abs(self.value - self.target) / abs(self.target)  # type: ignore[operator]

    @property
    def from_zero(self) -> bool:
        """It moved, from a previous value of zero: a change no percent can measure."""
        return self.previous == 0 and bool(self.difference)

    @property
    def matters(self) -> bool:
        percent = self.percent
        if percent is not None and abs(percent).quantize(SHOWN_PERCENT_PLACES, rounding=ROUND_HALF_UP) >= MATTERS_PERCENT:
            return True  # as people read it: 4,95 % is shown as 5 %
        return self.from_zero or self.meets_target is False


def fact_id(kpi_key: str, period: Period) -> str:
    return f"kpi.{kpi_key}.{period.key}"


def change_of(
    kpi_key: str, unit: Unit | str, direction: Direction | str, points: Sequence[tuple[Period, Decimal | None]],
    *, target: Decimal | None = None,
) -> Change:
    """The change of the last period in `points` (oldest first) against the one before it."""
    if not points:
        raise ValueError("a change needs at least one period")
    period, value = points[-1]
    previous = points[-2][1] if len(points) > 1 else None
    trend = tuple(point for _, point in points[-TREND_LENGTH:])
    return Change(fact_id(kpi_key, period), kpi_key, period, Unit(unit), Direction(direction), value, previous, target, trend)


def largest_first(changes: Iterable[Change], *, only_mattering: bool = True) -> list[Change]:
    """The changes worth a meeting's minutes (and every other compared change too when not
    `only_mattering`), the largest relative move first."""
    chosen = [change for change in changes if change.matters or (not only_mattering and change.difference is not None)]
    return sorted(chosen, key=lambda change: (-_size(change), change.kpi_key))


def _size(change: Change) -> Decimal:
    if change.from_zero:
        return Decimal("Infinity")
    return abs(change.percent) if change.percent is not None else Decimal(0)


def bottleneck(changes: Iterable[Change], stages: Mapping[str, Stage] = STARTER_STAGES) -> Change | None:
    """The KPI of the stage most holding the shop back this period (see the module docstring)."""
    staged = [change for change in changes if change.kpi_key in stages and change.value is not None]
    behind = [change for change in staged if change.meets_target is False]
    if behind:
        return max(behind, key=lambda change: (change.target_gap, change.kpi_key))
    worse = [change for change in staged if change.improved is False and change.percent is not None]
    if worse:
        return max(worse, key=lambda change: (abs(change.percent), change.kpi_key))  # type: ignore[arg-type]
    return None
