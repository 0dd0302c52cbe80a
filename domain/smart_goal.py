"""The goal a SMART check grades and the checklist it returns, and the pace rule behind its
"achievable" criterion.

A `Goal` (direction, metric phrase, baseline, target, unit, start, deadline, milestones) is what
`domain.smart_reading.parse_goal` reads from a sentence and what a key result gives with
`as_goal()`; a `SmartCheck` holds one `Finding` per criterion, in S-M-A-R-T order, each a message
id and its parameters already written the team's way (`domain.smart_criteria`).

**Achievable** compares the pace a change needs (per week, from start to deadline) with the
fastest the KPI has moved per week in its own `History` (consecutive readings, absolute change: a
KPI that fell that fast can usually climb that fast, and a few months of history are too few to
trust each direction on its own). Up to `STRETCH_FACTOR` (2) times that pace passes: a stretch,
not a fantasy. Without history it is unknown. `judge_pace` is that rule, shared with every other
plan that asks a KPI to move (`domain.funnel`). Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import Enum
from typing import Iterable, Mapping, Sequence

from domain.number_limits import MAX_DECIMALS, decimal_places

__all__ = [
    "ChangeBy",
    "Criterion",
    "Finding",
    "Goal",
    "GoalDirection",
    "History",
    "HistoryInput",
    "Milestone",
    "Pace",
    "SmartCheck",
    "Verdict",
    "as_history",
    "direction_of",
    "judge_pace",
    "whole",
]

STRETCH_FACTOR = Decimal(2)
DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12, to compare monthly moves with weekly ones
WIDE_DECIMALS = Context(prec=60)  # for the arithmetic in between (the default context keeps 28 digits)


# ---------------------------------------------------------------------------------------------
# The goal


class GoalDirection(str, Enum):
    INCREASE = "increase"
    DECREASE = "decrease"


@dataclass(frozen=True)
class ChangeBy:
    """"en 25 %" (proportional: 25 % of the baseline) or "en 5 puntos" (absolute, in its unit)."""

    amount: Decimal
    unit: str | None
    proportional: bool

    def applied_to(self, baseline: Decimal, direction: GoalDirection) -> Decimal:
        """The target; rounded to the six decimals a stored value keeps (25 % more than
        0,123457 is 0,15432125), so a key result derived from it is kept as shown."""
        with localcontext(WIDE_DECIMALS):
            step = baseline * self.amount / 100 if self.proportional else self.amount
            target = baseline + step if direction is GoalDirection.INCREASE else baseline - step
            if decimal_places(target) > MAX_DECIMALS:
                target = target.quantize(Decimal(1).scaleb(-MAX_DECIMALS), rounding=ROUND_HALF_UP)
            return target


@dataclass(frozen=True)
class Milestone:
    due: date
    value: Decimal


@dataclass(frozen=True)
class Goal:
    """A goal as read from text or built from a key result. `start` is the day it counts from
    (today when the text names none); `scale` is set for ratings ("9 de 10")."""

    metric: str
    direction: GoalDirection | None = None
    baseline: Decimal | None = None
    target: Decimal | None = None
    unit: str | None = None
    start: date | None = None
    deadline: date | None = None
    change: ChangeBy | None = None
    scale: Decimal | None = None
    milestones: tuple[Milestone, ...] = ()
    kpi_key: str | None = None  # set for a KPI-backed key result


def direction_of(baseline: Decimal | None, target: Decimal | None) -> GoalDirection | None:
    """The way the numbers move (None: a number is missing, or they are equal)."""
    if baseline is None or target is None or baseline == target:
        return None
    return GoalDirection.INCREASE if target > baseline else GoalDirection.DECREASE


def whole(value: Decimal) -> Decimal:
    """1.8E+7 → 18000000: the digits people expect to see."""
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


# ---------------------------------------------------------------------------------------------
# The result


class Criterion(str, Enum):
    SPECIFIC = "specific"
    MEASURABLE = "measurable"
    ACHIEVABLE = "achievable"
    RELEVANT = "relevant"
    TIME_BOUND = "time_bound"


CRITERION_LABELS = {
    Criterion.SPECIFIC: "smart.criterion.specific",
    Criterion.MEASURABLE: "smart.criterion.measurable",
    Criterion.ACHIEVABLE: "smart.criterion.achievable",
    Criterion.RELEVANT: "smart.criterion.relevant",
    Criterion.TIME_BOUND: "smart.criterion.time_bound",
}


class Verdict(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Finding:
    """One line of the checklist: what was found, or the concrete fix (`message_id` + `params`,
    parameters already written the team's way)."""

    criterion: Criterion
    verdict: Verdict
    message_id: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def label_id(self) -> str:
        return CRITERION_LABELS[self.criterion]


@dataclass(frozen=True)
class SmartCheck:
    goal: Goal
    findings: tuple[Finding, ...]

    def __getitem__(self, criterion: Criterion) -> Finding:
        return next(finding for finding in self.findings if finding.criterion is Criterion(criterion))

    @property
    def passed(self) -> bool:
        """No criterion failed (unknown ones, such as achievability without history, do not fail)."""
        return not self.failures

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.verdict is Verdict.FAILED)


# ---------------------------------------------------------------------------------------------
# History


def _decimal(number: Decimal | int | float | str) -> Decimal:
    """A float as written (0.3, not 0.299999…)."""
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


@dataclass(frozen=True)
class History:
    """How fast the KPI has moved: its largest change per week, in its own unit (None: unknown)."""

    fastest_weekly_move: Decimal | None

    @classmethod
    def from_points(cls, points: Iterable[tuple[date, Decimal | int | float | str]]) -> History:
        """From (period start, value) readings: the largest |change| × 7 ÷ days between two
        consecutive readings. Fewer than two readings is no history."""
        ordered = sorted((day, _decimal(value)) for day, value in points)
        moves = []
        with localcontext(WIDE_DECIMALS):
            for (before, old), (after, new) in zip(ordered, ordered[1:]):
                days = (after - before).days
                if days > 0:
                    moves.append(abs(new - old) * 7 / days)
        return cls(max(moves) if moves else None)

    @classmethod
    def from_moves(cls, *, per_week: Decimal | float | None = None, per_month: Decimal | float | None = None) -> History:
        """From the largest historical movements the caller already knows (absolute values)."""
        moves = []
        with localcontext(WIDE_DECIMALS):
            if per_week is not None:
                moves.append(abs(_decimal(per_week)))
            if per_month is not None:
                moves.append(abs(_decimal(per_month)) * 7 / DAYS_PER_MONTH)
        return cls(max(moves) if moves else None)


@dataclass(frozen=True)
class Pace:
    """The pace a change needs (per week, in the KPI's unit) against the fastest the KPI has
    moved, and the verdict of the "achievable" rule: up to `STRETCH_FACTOR` times that pace
    passes; a KPI that never moved cannot be asked to; without history it is unknown."""

    required: Decimal
    fastest: Decimal | None
    verdict: Verdict

    @property
    def times_fastest(self) -> Decimal | None:
        """How many times its fastest move the change needs (None: no history, or never moved)."""
        if not self.fastest:
            return None
        with localcontext(WIDE_DECIMALS):
            return self.required / self.fastest


def judge_pace(change: Decimal, days: Decimal | int, history: History) -> Pace:
    """The "achievable" rule for a change of `change` (either sign) spread over `days` days. The
    SMART check grades goals with it, and any other plan that asks a KPI to move uses it too, so
    the two never disagree about what is realistic."""
    with localcontext(WIDE_DECIMALS):
        required = abs(_decimal(change)) * 7 / _decimal(days)
    fastest = history.fastest_weekly_move
    if fastest is None:
        verdict = Verdict.UNKNOWN
    elif required == 0:
        verdict = Verdict.PASSED
    elif fastest == 0:
        verdict = Verdict.FAILED
    else:
        verdict = Verdict.PASSED if required <= STRETCH_FACTOR * fastest else Verdict.FAILED
    return Pace(required, fastest, verdict)


HistoryInput = History | Sequence[tuple[date, Decimal | int | float | str]] | None


def as_history(history: HistoryInput) -> History:
    """A `History` from what a caller has: one, (period start, value) points, or nothing."""
    if history is None:
        return History(None)
    if isinstance(history, History):
        return history
    return History.from_points(history)

