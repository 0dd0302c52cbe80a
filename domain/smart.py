"""SMART checks of a goal typed in free text (Spanish or English) or of a structured key result.

    Aumentar las ventas de kits de regalo de 18 a 25 millones COP entre el 02/01/2026 y el 31/01/2026
    En 45 días, bajar el abandono de carrito móvil de 78 % a 70 %
    Increase web conversion from 1.2% to 1.6% by March 31

`parse_goal` reads such a sentence into a `Goal` (direction, metric phrase, baseline, target,
unit, start, deadline) that callers can reuse; `check_goal` grades a goal on the five criteria
and says, for each, what passed or what to type to fix it (a message id and its parameters,
already formatted for the team's language). `check_text` does both; `check_key_result` grades a
structured key result (anything with `as_goal()`, see `domain.okr`). Pure: "today" is a
parameter, numbers go through `domain.numbers`, dates are written with Babel.

Decisions worth knowing:

- **Reading the sentence.** Time phrases are read first and set aside: a range (`entre el X y
  el Y`, `between X and Y`, `desde X hasta Y`, `from X to Y`), a start (`desde`, `a partir de`,
  `from`, `starting`), a deadline (`al`, `hasta`, `para`, `antes de`, `a más tardar`, `by`,
  `before`, `until`), a month (`en marzo`, `in March`: that whole month) or a duration (`en 45
  días`, `in 6 weeks`, `dentro de 2 meses`, counted from the start). Dates: `31/03/2026` (day
  first in Spanish, month first in English, the other order when only it exists), `2026-03-31`,
  `31 de marzo (de 2026)`, `March 31(, 2026)`, `fin de marzo`, `end of March`. A date without
  a year is the next one on or after the start (a start without a year: the nearest to today).
  A deadline written "antes del 15/02" is that day: people mean "by", not "by the day before".
- **Numbers.** Every number is read with `parse_quantity`, so "1,2 %" and "25 millones COP"
  work as the team writes them. Two numbers joined by `a|al|hasta|to|→` are the baseline and the
  target (`de 18 a 25 millones COP`, `del 12% al 7%`, `from 1.2% to 1.6%`); the unit and
  multiplier said once apply to both, whichever reading puts the two values closer ("18 a 25
  millones" is 18 millones → 25 millones; "1.500 a 2 mil" stays 1.500 → 2.000). A number after
  `en|by|en un` is a change: "en 25 %" is relative to the baseline (× 1,25), "en 5 puntos" or
  "by 5 points" is absolute. `9 de 10`, `9/10`, `9 of 10` after the target make a rating.
  A number followed by days/weeks/months ("recompra a 60 días") is part of the metric's name.
- **Direction** comes from the verb (aumentar, subir, crecer, increase, grow… / reducir, bajar,
  disminuir, reduce, lower, cut…), then from "más/more" or "menos/less/fewer", then from the
  numbers. A verb that contradicts its numbers fails Measurable.
- **Specific** passes when the goal is tied to a tracked KPI or glossary term (their definition
  is the scope) or names a metric and its scope in at least two content words ("ventas de kits
  de regalo", "tasa de bajas mensuales"); "ventas" alone, unlinked, says which sales.
- **Measurable** needs a baseline and a target that differ, moving the way the verb says.
- **Achievable** compares the pace the goal needs (change per week from start to deadline) with
  the fastest the KPI has moved per week in its own history (consecutive readings, absolute
  change: a KPI that fell that fast can usually climb that fast, and a few months of history are
  too few to trust each direction on its own). Up to `STRETCH_FACTOR` (2) times that pace
  passes: a stretch, not a fantasy. Without history it is unknown, with the advice to first set
  a goal that establishes the baseline. When it fails, the fix offers the target reachable at
  the stretch pace by the same deadline and the deadline that the stated target needs.
- **Relevant** passes when the metric names, or is named by, a KPI the team tracks or a glossary
  term (keys and names, case, accents and small words like "de" ignored).
- **Time-bound** needs a deadline after the start and not yet past. Goals longer than six weeks
  need milestones; weeks are counted as people say them, to the nearest week, so 45 days is "six
  weeks" and 46 days is seven. The fix proposes one milestone every four weeks, with the value
  the straight line from baseline to target gives on that day.
"""

from __future__ import annotations

import math
import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import Enum
from functools import lru_cache
from typing import Iterable, Mapping, Protocol, Sequence

from babel.dates import format_date, get_month_names

from domain.commands import closest, fold
from domain.errors import UserError
from domain.examples import example_params
from domain.locales import normalize_locale
from domain.numbers import MAX_DECIMALS, NUMBER_LIMITS, Quantity, decimal_places, fold_keeping_positions, format_quantity, parse_quantity

__all__ = [
    "ChangeBy",
    "Criterion",
    "Finding",
    "Goal",
    "GoalDirection",
    "History",
    "Milestone",
    "Pace",
    "SmartCheck",
    "Verdict",
    "check_goal",
    "check_key_result",
    "check_text",
    "judge_pace",
    "parse_deadline",
    "parse_goal",
]

STRETCH_FACTOR = Decimal(2)
MILESTONES_AFTER_WEEKS = 6
MILESTONE_EVERY_DAYS = 28
MAX_SUGGESTED_YEARS = 5  # a later deadline than this is no advice: lower the target instead
SUGGESTED_DEADLINE_DAYS = 42  # a deadline proposed to a goal without one: six weeks out
DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12, to compare monthly moves with weekly ones
_WIDE = Context(prec=60)


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
        with localcontext(_WIDE):
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
        with localcontext(_WIDE):
            for (before, old), (after, new) in zip(ordered, ordered[1:]):
                days = (after - before).days
                if days > 0:
                    moves.append(abs(new - old) * 7 / days)
        return cls(max(moves) if moves else None)

    @classmethod
    def from_moves(cls, *, per_week: Decimal | float | None = None, per_month: Decimal | float | None = None) -> History:
        """From the largest historical movements the caller already knows (absolute values)."""
        moves = []
        with localcontext(_WIDE):
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
        with localcontext(_WIDE):
            return self.required / self.fastest


def judge_pace(change: Decimal, days: Decimal | int, history: History) -> Pace:
    """The "achievable" rule for a change of `change` (either sign) spread over `days` days. The
    SMART check grades goals with it, and any other plan that asks a KPI to move uses it too, so
    the two never disagree about what is realistic."""
    with localcontext(_WIDE):
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


def _as_history(history: HistoryInput) -> History:
    if history is None:
        return History(None)
    if isinstance(history, History):
        return history
    return History.from_points(history)


# ---------------------------------------------------------------------------------------------
# Dates as people type them


@dataclass(frozen=True)
class _TypedDate:
    """A date before its year is chosen; `day` None is the whole month."""

    day: int | None
    month: int
    year: int | None

    def on(self, year: int, *, first: bool) -> date | None:
        day = self.day if self.day is not None else (1 if first else monthrange(year, self.month)[1])
        try:
            return date(year, self.month, day)
        except ValueError:
            return None


def _as_deadline(typed: _TypedDate, not_before: date) -> date | None:
    """The date itself, or without a year the first one on or after `not_before`."""
    if typed.year is not None:
        return typed.on(typed.year, first=False)
    for year in range(not_before.year, not_before.year + 9):  # 29 February waits for a leap year
        found = typed.on(year, first=False)
        if found is not None and found >= not_before:
            return found
    return None


def _as_start(typed: _TypedDate, today: date) -> date | None:
    """The date itself, or without a year the one nearest to today."""
    if typed.year is not None:
        return typed.on(typed.year, first=True)
    candidates = [found for year in range(today.year - 1, today.year + 2) if (found := typed.on(year, first=True))]
    return min(candidates, key=lambda day: abs((day - today).days), default=None)


def _month_names(widths: tuple[str, ...]) -> dict[str, int]:
    """Folded month names of both languages (Babel's), without a final dot: {"marzo": 3, "mar": 3…}."""
    names = {}
    for language in ("es", "en"):
        for width in widths:
            for number, name in get_month_names(width, locale=language).items():
                names[fold(name).rstrip(".")] = number
    return names


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in sorted(words, key=len, reverse=True))


_END = r"(?=$|[\s,;:!?)\]]|\.(?:\s|$))"
_ART = r"(?:(?:el|la|the)\s+)?"
_YEAR_AFTER = r"(?:(?:\s+de|\s+del|\s+of|,)?\s+(?P<year>\d{4}))?"


@dataclass(frozen=True)
class _DateGrammar:
    months: dict[str, int]  # every name and abbreviation
    date_patterns: tuple[re.Pattern[str], ...]


@lru_cache(maxsize=1)
def _grammar() -> _DateGrammar:
    """Built on first use: Babel's month names are locale data, not read at import."""
    months = {**_month_names(("wide", "abbreviated")), "setiembre": 9, "sept": 9, "sep": 9}
    wide = {name for name in _month_names(("wide",))} | {"setiembre"}
    any_month = rf"(?P<month>{_alternation(months)})\.?"
    wide_month = rf"(?P<month>{_alternation(wide)})"
    patterns = (
        r"(?P<year>\d{4})-(?P<month_number>\d{1,2})-(?P<day>\d{1,2})",
        r"(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<year>\d{4}|\d{2}))?",
        r"(?P<a>\d{1,2})-(?P<b>\d{1,2})-(?P<year>\d{4})",
        rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th|o)?(?:\s+de|\s+of)?\s+{any_month}{_YEAR_AFTER}",
        rf"{any_month}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?",
        rf"{_ART}(?:(?:fin|final|finales|cierre)\s+de(?:l\s+mes\s+de)?|end\s+of)\s+{wide_month}(?P<day>){_YEAR_AFTER}",
        rf"{wide_month}(?P<day>){_YEAR_AFTER}",
    )
    return _DateGrammar(months, tuple(re.compile(pattern + _END) for pattern in patterns))


def _typed_date(found: re.Match[str], language: str) -> _TypedDate | None:
    groups = found.groupdict()
    year = groups.get("year")
    year_number = (int(year) + 2000 if len(year) == 2 else int(year)) if year else None
    if groups.get("a"):
        return _numeric_date(int(groups["a"]), int(groups["b"]), year_number, language)
    month = int(groups["month_number"]) if groups.get("month_number") else _grammar().months[groups["month"].rstrip(".")]
    day = int(groups["day"]) if groups.get("day") else None
    typed = _TypedDate(day, month, year_number)
    return typed if 1 <= month <= 12 and typed.on(year_number or 2000, first=True) else None


def _numeric_date(first: int, second: int, year: int | None, language: str) -> _TypedDate | None:
    """Day first in Spanish, month first in English; the other order when only it exists."""
    orders = [(first, second), (second, first)]
    if language == "en":
        orders.reverse()
    for day, month in orders:
        typed = _TypedDate(day, month, year)
        if 1 <= month <= 12 and typed.on(year or 2000, first=True):
            return typed
    return None


def _date_at(folded: str, pos: int, language: str) -> tuple[int, _TypedDate] | None:
    """The longest date that starts at `pos` of folded text: (end, date)."""
    best = None
    for pattern in _grammar().date_patterns:
        found = pattern.match(folded, pos)
        if found and (best is None or found.end() > best[0]):
            typed = _typed_date(found, language)
            if typed is not None:
                best = (found.end(), typed)
    return best


# ---------------------------------------------------------------------------------------------
# The timing of a goal

_RANGE_OPEN = re.compile(rf"(?<!\w)(?:entre|between|desde|from|del?)\s+{_ART}")
_RANGE_JOIN = re.compile(rf"(?:\s+(?:y|and|al|a|hasta|to|until|through|till)\s+{_ART}|\s*[-–]\s*)")
_START_WORDS = re.compile(rf"(?<!\w)(?:desde|a\s+partir\s+del?|from|starting(?:\s+on|\s+from)?|since)\s+{_ART}")
_DEADLINE_WORDS = re.compile(
    r"(?<!\w)(?:antes\s+del?|al|hasta(?:\s+el)?|para(?:\s+el)?|a\s+mas\s+tardar(?:\s+el)?|by|before|until|till"
    rf"|no\s+later\s+than|on\s+or\s+before|due(?:\s+by|\s+on)?)\s+{_ART}"
)
_MONTH_WINDOW = re.compile(r"(?<!\w)(?:en|in|durante|during)\s+(?:(?:el\s+)?mes\s+de\s+)?")
_NUMBER_WORDS = {"un": 1, "una": 1, "a": 1, "one": 1, "dos": 2, "two": 2, "tres": 3, "three": 3, "cuatro": 4, "four": 4, "seis": 6, "six": 6}
_DURATION = re.compile(
    r"(?<!\w)(?:en|in|within|dentro\s+de)\s+(?:(?:los|las|the)\s+)?(?:(?:proximos|proximas|next)\s+)?"
    rf"(?P<count>\d{{1,3}}|{_alternation(_NUMBER_WORDS)})\s+(?P<unit>dias?|semanas?|mes(?:es)?|days?|weeks?|months?)" + _END
)


@dataclass
class _Timing:
    start: date | None = None
    deadline: date | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)

    def free(self, begin: int, end: int) -> bool:
        return all(end <= left or begin >= right for left, right in self.spans)


def _read_timing(folded: str, *, today: date, language: str) -> _Timing:
    timing = _Timing()
    _read_range(folded, timing, today, language)
    if timing.start is None:
        _read_start(folded, timing, today, language)
    if timing.deadline is None:
        _read_deadline(folded, timing, today, language)
    if timing.deadline is None:
        _read_month_window(folded, timing, today, language)
    if timing.deadline is None:
        _read_duration(folded, timing, today)
    return timing


def _read_range(folded: str, timing: _Timing, today: date, language: str) -> None:
    for opening in _RANGE_OPEN.finditer(folded):
        first = _date_at(folded, opening.end(), language)
        join = _RANGE_JOIN.match(folded, first[0]) if first else None
        second = _date_at(folded, join.end(), language) if join else None
        if first and second:
            start = _as_start(first[1], today)
            deadline = _as_deadline(second[1], start or today) if start else None
            if start and deadline:
                timing.start, timing.deadline = start, deadline
                timing.spans.append((opening.start(), second[0]))
                return


def _read_start(folded: str, timing: _Timing, today: date, language: str) -> None:
    for keyword in _START_WORDS.finditer(folded):
        found = _date_at(folded, keyword.end(), language)
        start = _as_start(found[1], today) if found else None
        if found and start and timing.free(keyword.start(), found[0]):
            timing.start = start
            timing.spans.append((keyword.start(), found[0]))
            return


def _read_deadline(folded: str, timing: _Timing, today: date, language: str) -> None:
    for keyword in _DEADLINE_WORDS.finditer(folded):
        found = _date_at(folded, keyword.end(), language)
        deadline = _as_deadline(found[1], timing.start or today) if found else None
        if found and deadline and timing.free(keyword.start(), found[0]):
            timing.deadline = deadline
            timing.spans.append((keyword.start(), found[0]))
            return


def _read_month_window(folded: str, timing: _Timing, today: date, language: str) -> None:
    """`en marzo`, `in March 2026`: the whole month (from today if it already began)."""
    for keyword in _MONTH_WINDOW.finditer(folded):
        found = _date_at(folded, keyword.end(), language)
        if found is None or found[1].day is not None or not timing.free(keyword.start(), found[0]):
            continue
        deadline = _as_deadline(found[1], timing.start or today)
        if deadline is not None:
            timing.deadline = deadline
            if timing.start is None:
                timing.start = max(deadline.replace(day=1), today)
            timing.spans.append((keyword.start(), found[0]))
            return


def _read_duration(folded: str, timing: _Timing, today: date) -> None:
    """`en 45 días`, `in 6 weeks`, `dentro de 2 meses`: counted from the start (today if none)."""
    for found in _DURATION.finditer(folded):
        if not timing.free(found.start(), found.end()):
            continue
        count = found.group("count")
        amount = int(count) if count.isdigit() else _NUMBER_WORDS[count]
        timing.deadline = _after(timing.start or today, amount, found.group("unit"))
        timing.spans.append((found.start(), found.end()))
        return


def _after(start: date, amount: int, unit: str) -> date:
    if unit.startswith(("dia", "day")):
        return start + timedelta(days=amount)
    if unit.startswith(("semana", "week")):
        return start + timedelta(weeks=amount)
    index = start.year * 12 + start.month - 1 + amount
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, monthrange(year, month + 1)[1]))


def parse_deadline(text: str, *, today: date, language: str = "es") -> date:
    """A date or duration on its own: `al 28/02/2026`, `by Feb 28`, `2026-02-28`, `en 4 semanas`.

    Raises UserError `smart.unknown_date` (text, example) when the whole text is not one.
    """
    language = normalize_locale(language) or "es"
    folded = fold_keeping_positions(text.strip().rstrip("."))
    keyword = _DEADLINE_WORDS.match(folded)
    found = _date_at(folded, keyword.end() if keyword else 0, language)
    if found and found[0] == len(folded):
        deadline = _as_deadline(found[1], today)
        if deadline is not None:
            return deadline
    timing = _Timing()
    _read_duration(folded, timing, today)
    if timing.deadline is not None and timing.spans == [(0, len(folded))]:
        return timing.deadline
    raise UserError(
        "smart.unknown_date", text=text.strip(), example=_Style(language, None, "COP").day(today + timedelta(weeks=4)), **example_params(today, language)
    )


# ---------------------------------------------------------------------------------------------
# The numbers of a goal

# Zero-width, so a failed reading at "- 25" still lets "25" be tried.
_VALUE_START = re.compile(r"(?<![^\s(])(?=[-+]?(?:US\$|COL\$|COP\$|MX\$|R\$|\$|€|£)?\s?\d)")
_COMPOUND = re.compile(r"[-‑][^\W\d_]")  # "60-day", "24-hour": a number inside a name
_DURATION_NOUN = re.compile(r"(?:dias?|semanas?|mes(?:es)?|anos?|days?|weeks?|months?|years?)(?!\w)")
_BASELINE_WORDS = {"de", "del", "desde", "from", "de un", "de una", "desde un", "desde una"}
_TARGET_WORDS = {"a", "al", "hasta", "to", "->", "→", "-", "–", "a un", "a una", "hasta un", "hasta una"}
_CHANGE_WORDS = {"en", "by", "en un", "en una", "un", "una"}
_ROLE_BEFORE = re.compile(rf"(?:^|(?<=\s))(?P<word>{_alternation(_BASELINE_WORDS | _TARGET_WORDS | _CHANGE_WORDS)})\s*$")
_SCALE = re.compile(r"\s*(?:de|of|/|sobre|out\s+of)\s*(?P<scale>5|7|10)(?!\d|[.,]\d)")
_POINTS = re.compile(r"\s*(?:puntos?|points?|pp|p\.p\.)(?!\w)")
_PLAIN_NUMBER = re.compile(r"\d[\d.,'’\u00a0\u202f]*(?:[eE][-+−]?\d+)?")  # "1,5E+6" is one number, not 1,5 times a word
# Number errors a goal cannot be read past (any other one means the text is not a value of the goal).
_SAY_AGAIN = NUMBER_LIMITS | {"numbers.ambiguous"}


@dataclass(frozen=True)
class _Value:
    quantity: Quantity
    start: int
    end: int
    role: str | None  # "baseline", "target", "change" from the word before it, or None
    role_start: int  # where that word starts (the value's start without one)


@dataclass(frozen=True)
class _Numbers:
    baseline: Quantity | None = None
    target: Quantity | None = None
    change: ChangeBy | None = None
    scale: Decimal | None = None
    span: tuple[int, int] | None = None


def _read_values(text: str, folded: str, reading: dict[str, str | None]) -> list[_Value]:
    """Every quantity in `text` (time phrases already blanked), in order."""
    values: list[_Value] = []
    reached = 0
    for candidate in _VALUE_START.finditer(text):
        if candidate.start() < reached:
            continue
        try:
            quantity, rest = parse_quantity(text[candidate.start() :], **reading)  # type: ignore[arg-type]
        except UserError as error:
            if error.message_id in _SAY_AGAIN:
                raise  # the person must say which they meant, or a number that can be kept: guessing would grade the wrong goal
            continue  # "2x", "12leads": not a value of the goal
        end = candidate.start() + len(quantity.text)
        if _DURATION_NOUN.match(fold(rest)) or _COMPOUND.match(text, end):
            continue  # "recompra a 60 días", "60-day repurchase": part of the metric's name
        before = _ROLE_BEFORE.search(folded, reached, candidate.start())
        role_word = " ".join(before.group("word").split()) if before else None
        values.append(_Value(quantity, candidate.start(), end, _role(role_word), before.start() if before else candidate.start()))
        reached = end
    return values


def _role(word: str | None) -> str | None:
    if word in _BASELINE_WORDS:
        return "baseline"
    if word in _TARGET_WORDS:
        return "target"
    if word in _CHANGE_WORDS:
        return "change"
    return None


def _read_numbers(text: str, folded: str, reading: dict[str, str | None]) -> _Numbers:
    values = _read_values(text, folded, reading)
    for first, second in zip(values, values[1:]):
        gap = " ".join(folded[first.end : second.start].split())
        if gap in _TARGET_WORDS:
            return _with_scale(folded, _Numbers(first.quantity, second.quantity, span=(first.role_start, second.end)))
        if gap in _CHANGE_WORDS:
            return _change_numbers(folded, second, baseline=first.quantity, begin=first.role_start)
    if not values:
        return _Numbers()
    # A value introduced by "de", "a" or "en" says what it is; a bare one is the target.
    value = next((value for value in values if value.role), values[0])
    if value.role == "baseline":
        return _Numbers(baseline=value.quantity, span=(value.role_start, value.end))
    if value.role == "change":
        return _change_numbers(folded, value, baseline=None, begin=value.role_start)
    return _with_scale(folded, _Numbers(target=value.quantity, span=(value.role_start, value.end)))


def _change_numbers(folded: str, value: _Value, *, baseline: Quantity | None, begin: int) -> _Numbers:
    points = _POINTS.match(folded, value.end)
    proportional = value.quantity.unit == "%" and points is None  # "en 25 %" is of the baseline
    change = ChangeBy(value.quantity.value, None if proportional else value.quantity.unit, proportional)
    end = points.end() if points else value.end
    return _Numbers(baseline=baseline, change=change, span=(begin, end))


def _with_scale(folded: str, numbers: _Numbers) -> _Numbers:
    """`9 de 10`, `9/10`, `9 of 10` right after the target: a rating on that scale."""
    assert numbers.span is not None and numbers.target is not None
    found = _SCALE.match(folded, numbers.span[1])
    if found is None:
        return numbers
    scale = Decimal(found.group("scale"))
    values = [numbers.target.value] + ([numbers.baseline.value] if numbers.baseline else [])
    if not all(0 <= value <= scale for value in values):
        return numbers
    return _Numbers(numbers.baseline, numbers.target, numbers.change, scale, (numbers.span[0], found.end()))


def _multiplier(quantity: Quantity, reading: dict[str, str | None]) -> Decimal:
    """What the words after the number multiplied it by: "25 millones" → 10⁶, "25" → 1."""
    plain = _PLAIN_NUMBER.search(quantity.text)
    if plain is None:
        return Decimal(1)
    bare, _ = parse_quantity(plain.group(0).rstrip(".,'’\u00a0\u202f"), **reading)  # type: ignore[arg-type]
    if bare.value == 0:
        return Decimal(1)
    with localcontext(_WIDE):
        return abs(quantity.value / bare.value)


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _whole(value: Decimal) -> Decimal:
    """1.8E+7 → 18000000: the digits people expect to see."""
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def _aligned(baseline: Quantity, target: Quantity, reading: dict[str, str | None]) -> tuple[Decimal, Decimal, str | None]:
    """Baseline and target with a unit and multiplier said once applied to both (see the docstring)."""
    if baseline.unit and target.unit and baseline.unit != target.unit:
        raise UserError("smart.units_differ", baseline=baseline.text, target=target.text)
    unit = target.unit or baseline.unit
    base, goal = baseline.value, target.value
    base_factor, goal_factor = _multiplier(baseline, reading), _multiplier(target, reading)
    with localcontext(_WIDE):
        readings = [(base, goal)]
        if base_factor == 1 and goal_factor != 1:
            readings.append((_whole(base * goal_factor), goal))
        if goal_factor == 1 and base_factor != 1:
            readings.append((base, _whole(goal * base_factor)))
        base, goal = min(readings, key=_distance)
    return base, goal, unit


def _distance(pair: tuple[Decimal, Decimal]) -> float:
    """How far apart two values are, as a ratio (0 when equal; signs and zeros count as far)."""
    low, high = sorted(abs(value) for value in pair)
    if low == 0:
        return 0.0 if high == 0 else math.inf
    return math.log(float(high / low))


# ---------------------------------------------------------------------------------------------
# The words of a goal

_INCREASE_WORDS = {"subir", "sube", "subamos", "suban", "crecer", "crece", "crezcan", "grow", "raise", "lift", "double", "triple"}
_INCREASE_STEMS = ("aument", "increment", "elev", "duplic", "triplic", "maximi", "ampli", "increas", "expand", "boost", "crecer")
_DECREASE_WORDS = {"bajar", "baja", "bajemos", "bajen", "cut", "lower", "drop", "shrink", "reduce"}
_DECREASE_STEMS = ("reduc", "reduz", "disminu", "recort", "minimi", "decreas")
_NEUTRAL_WORDS = {"hit", "get", "reach", "llegar", "lograr"}
_NEUTRAL_STEMS = ("mejor", "optimi", "improv", "logr", "alcanz", "achiev")
_MORE = {"mas", "more"}
_LESS = {"menos", "less", "fewer"}
_STOPWORDS = {
    "de", "del", "la", "las", "el", "los", "lo", "un", "una", "unos", "unas", "y", "e", "o", "u", "en", "a", "al",
    "por", "para", "con", "sin", "su", "sus", "nuestro", "nuestra", "nuestros", "nuestras", "que",
    "the", "of", "an", "and", "or", "in", "on", "at", "by", "for", "from", "to", "with", "our", "their", "its",
}  # fmt: skip
_EDGE_PUNCTUATION = " \t\r\n,;:.!?¡¿-–—()\"'“”"


def _verb_direction(word: str) -> GoalDirection | None | bool:
    """The direction a leading verb states; None for a neutral verb ("mejorar"); False: not a verb."""
    if word in _INCREASE_WORDS or word.startswith(_INCREASE_STEMS):
        return GoalDirection.INCREASE
    if word in _DECREASE_WORDS or word.startswith(_DECREASE_STEMS):
        return GoalDirection.DECREASE
    if word in _NEUTRAL_WORDS or word.startswith(_NEUTRAL_STEMS):
        return None
    return False


def _read_words(remaining: str) -> tuple[str, GoalDirection | None]:
    """The metric phrase and the direction its words state, from the text left once time
    phrases and numbers are set aside."""
    words = [word.strip(_EDGE_PUNCTUATION) for word in remaining.split()]
    words = [word for word in words if word]
    direction = None
    if words:
        stated = _verb_direction(fold(words[0]))
        if stated is not False:
            direction = stated
            words = words[1:]
    hints = {fold(word) for word in words}
    if direction is None and hints & _MORE:
        direction = GoalDirection.INCREASE
    elif direction is None and hints & _LESS:
        direction = GoalDirection.DECREASE
    words = [word for word in words if fold(word) not in _MORE | _LESS]
    while words and fold(words[0]) in _STOPWORDS:
        words = words[1:]
    while words and fold(words[-1]) in _STOPWORDS:
        words = words[:-1]
    return " ".join(words), direction


# ---------------------------------------------------------------------------------------------
# Reading a goal


def parse_goal(text: str, *, today: date, language: str = "es", country: str | None = "CO", currency: str = "COP") -> Goal:
    """Read a goal typed in Spanish or English (see the module docstring). Nothing here fails
    for a vague goal (that is what `check_goal` reports); it raises UserError only for an empty
    text (`smart.empty_goal`), an ambiguous number (`numbers.ambiguous`) or two units
    (`smart.units_differ`)."""
    language = normalize_locale(language) or "es"
    if not text.strip():
        raise UserError("smart.empty_goal", **example_params(today, language))
    reading: dict[str, str | None] = {"language": language, "country": country, "currency": currency}
    folded = fold_keeping_positions(text)
    timing = _read_timing(folded, today=today, language=language)
    blanked = _blank(text, timing.spans)
    numbers = _read_numbers(blanked, fold_keeping_positions(blanked), reading)
    metric, stated = _read_words(_blank(blanked, [numbers.span] if numbers.span else []))
    baseline, target, unit = _goal_values(numbers, reading)
    direction = stated or _direction_of(baseline, target)
    if target is None and baseline is not None and numbers.change is not None and direction is not None:
        target = numbers.change.applied_to(baseline, direction)
    return Goal(
        metric=metric, direction=direction, baseline=baseline, target=target, unit=unit,
        start=timing.start or today, deadline=timing.deadline, change=numbers.change, scale=numbers.scale,
    )  # fmt: skip


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` with the spans replaced by spaces, so positions still line up."""
    for begin, end in spans:
        text = text[:begin] + " " * (end - begin) + text[end:]
    return text


def _goal_values(numbers: _Numbers, reading: dict[str, str | None]) -> tuple[Decimal | None, Decimal | None, str | None]:
    if numbers.baseline and numbers.target:
        return _aligned(numbers.baseline, numbers.target, reading)
    if numbers.baseline:
        unit = numbers.baseline.unit or (numbers.change.unit if numbers.change else None)
        return numbers.baseline.value, None, unit
    if numbers.target:
        return None, numbers.target.value, numbers.target.unit
    return None, None, numbers.change.unit if numbers.change else None


def _direction_of(baseline: Decimal | None, target: Decimal | None) -> GoalDirection | None:
    if baseline is None or target is None or baseline == target:
        return None
    return GoalDirection.INCREASE if target > baseline else GoalDirection.DECREASE


# ---------------------------------------------------------------------------------------------
# Writing values and dates into the fixes


@dataclass(frozen=True)
class _Style:
    language: str
    country: str | None
    currency: str

    def value(self, value: Decimal, unit: str | None, places: int = 2) -> str:
        """Rounded for people: no decimals for money, at most `places` otherwise."""
        places = 0 if unit not in (None, "%", "h") else places
        with localcontext(_WIDE):
            rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP).normalize()
        return format_quantity(_whole(rounded), unit, language=self.language, country=self.country, currency=self.currency)

    def day(self, day: date) -> str:
        """"31 mar 2026" / "Mar 31, 2026": short, and `parse_goal` reads it back."""
        return format_date(day, format="medium", locale=self.language)


# ---------------------------------------------------------------------------------------------
# The five criteria


class _Checker:
    """Grades one goal; each method returns the Finding of one criterion."""

    def __init__(self, goal: Goal, *, today: date, history: History, known: list[str], style: _Style):
        self.goal = goal
        self.today = today
        self.history = history
        self.known = known
        self.style = style
        self.link = goal.kpi_key or _linked_name(goal.metric, known)
        # Targets we propose are written as precisely as the goal's own (1,2 % → 1,6 %: "1,4 %").
        self.places = max((_places(value) for value in (goal.baseline, goal.target) if value is not None), default=0)

    def _finding(self, criterion: Criterion, verdict: Verdict, message_id: str, **params: str) -> Finding:
        return Finding(criterion, verdict, message_id, params)

    def _shown(self, value: Decimal) -> str:
        return self.style.value(value, self.goal.unit)

    def _proposed(self, value: Decimal) -> str:
        return self.style.value(value, self.goal.unit, places=self.places)

    def specific(self) -> Finding:
        metric = self.goal.metric
        if self.link:
            return self._finding(Criterion.SPECIFIC, Verdict.PASSED, "smart.specific.ok", metric=metric or self.link)
        if not metric:
            return self._finding(Criterion.SPECIFIC, Verdict.FAILED, "smart.specific.missing_metric")
        if len(_content_words(metric)) >= 2:
            return self._finding(Criterion.SPECIFIC, Verdict.PASSED, "smart.specific.ok", metric=metric)
        return self._finding(Criterion.SPECIFIC, Verdict.FAILED, "smart.specific.missing_scope", metric=metric)

    def measurable(self) -> Finding:
        goal, fail = self.goal, Verdict.FAILED
        if goal.baseline is None and goal.change is not None:
            change = self.style.value(goal.change.amount, "%" if goal.change.proportional else goal.change.unit)
            return self._finding(Criterion.MEASURABLE, fail, "smart.measurable.change_needs_baseline", change=change)
        if goal.baseline is None and goal.target is None:
            return self._finding(Criterion.MEASURABLE, fail, "smart.measurable.missing_numbers")
        if goal.baseline is None:
            return self._finding(Criterion.MEASURABLE, fail, "smart.measurable.missing_baseline", target=self._shown(goal.target))
        if goal.target is None:
            return self._finding(Criterion.MEASURABLE, fail, "smart.measurable.missing_target", baseline=self._shown(goal.baseline))
        shown = {"baseline": self._shown(goal.baseline), "target": self._shown(goal.target)}
        if goal.baseline == goal.target:
            return self._finding(Criterion.MEASURABLE, fail, "smart.measurable.same_value", value=shown["target"])
        if goal.direction is not None and goal.direction is not _direction_of(goal.baseline, goal.target):
            message_id = "smart.measurable.contradicts_increase" if goal.direction is GoalDirection.INCREASE else "smart.measurable.contradicts_decrease"
            return self._finding(Criterion.MEASURABLE, fail, message_id, **shown)
        return self._finding(Criterion.MEASURABLE, Verdict.PASSED, "smart.measurable.ok", **shown)

    def achievable(self) -> Finding:
        goal = self.goal
        if None in (goal.baseline, goal.target, goal.start, goal.deadline) or goal.baseline == goal.target or goal.deadline <= goal.start:
            return self._finding(Criterion.ACHIEVABLE, Verdict.UNKNOWN, "smart.achievable.needs_numbers")
        fastest = self.history.fastest_weekly_move
        if fastest is None:
            return self._finding(Criterion.ACHIEVABLE, Verdict.UNKNOWN, "smart.achievable.no_history", metric=goal.metric or goal.kpi_key or "")
        days = (goal.deadline - goal.start).days
        change = abs(goal.target - goal.baseline)
        pace = judge_pace(change, days, self.history)
        params = {"required": self._shown(pace.required), "fastest": self._shown(fastest)}
        if fastest == 0:
            return self._finding(Criterion.ACHIEVABLE, Verdict.FAILED, "smart.achievable.never_moved", required=params["required"])
        if pace.verdict is Verdict.PASSED:
            return self._finding(Criterion.ACHIEVABLE, Verdict.PASSED, "smart.achievable.ok", **params)
        return self._too_fast(change, days, fastest, params)

    def _too_fast(self, change: Decimal, days: int, fastest: Decimal, params: dict[str, str]) -> Finding:
        """The fix: the target the stretch pace reaches by the deadline, and the deadline the
        stated target needs (left out when it is more than `MAX_SUGGESTED_YEARS` away)."""
        goal = self.goal
        assert goal.baseline is not None and goal.target is not None and goal.start is not None
        with localcontext(_WIDE):
            allowed = STRETCH_FACTOR * fastest * days / 7
            target = goal.baseline + allowed if goal.target > goal.baseline else goal.baseline - allowed
            days_needed = math.ceil(change * 7 / (STRETCH_FACTOR * fastest))
        params = {**params, "suggested_target": self._proposed(target)}
        if days_needed > MAX_SUGGESTED_YEARS * 366:
            return self._finding(Criterion.ACHIEVABLE, Verdict.FAILED, "smart.achievable.too_fast_target_only", **params)
        params["suggested_deadline"] = self.style.day(goal.start + timedelta(days=days_needed))
        return self._finding(Criterion.ACHIEVABLE, Verdict.FAILED, "smart.achievable.too_fast", **params)

    def relevant(self) -> Finding:
        metric = self.goal.metric
        if self.link:
            return self._finding(Criterion.RELEVANT, Verdict.PASSED, "smart.relevant.ok", name=self.link)
        if not metric:
            return self._finding(Criterion.RELEVANT, Verdict.UNKNOWN, "smart.relevant.needs_metric")
        suggestion = _closest_name(metric, self.known)
        if suggestion:
            return self._finding(Criterion.RELEVANT, Verdict.FAILED, "smart.relevant.unlinked_suggestion", metric=metric, suggestion=suggestion)
        return self._finding(Criterion.RELEVANT, Verdict.FAILED, "smart.relevant.unlinked", metric=metric)

    def time_bound(self) -> Finding:
        goal, fail = self.goal, Verdict.FAILED
        start = goal.start or self.today
        if goal.deadline is None:
            example = self.style.day(start + timedelta(days=SUGGESTED_DEADLINE_DAYS))
            return self._finding(Criterion.TIME_BOUND, fail, "smart.time_bound.missing_deadline", example=example)
        dates = {"start": self.style.day(start), "deadline": self.style.day(goal.deadline)}
        if goal.deadline < self.today:
            return self._finding(Criterion.TIME_BOUND, fail, "smart.time_bound.deadline_passed", **dates)
        if goal.deadline <= start:
            return self._finding(Criterion.TIME_BOUND, fail, "smart.time_bound.deadline_before_start", **dates)
        outside = [milestone for milestone in goal.milestones if not start < milestone.due < goal.deadline]
        if outside:
            return self._finding(Criterion.TIME_BOUND, fail, "smart.time_bound.milestone_outside", date=self.style.day(outside[0].due), **dates)
        weeks = round((goal.deadline - start).days / 7)
        if weeks > MILESTONES_AFTER_WEEKS and not goal.milestones:
            return self._finding(Criterion.TIME_BOUND, fail, "smart.time_bound.needs_milestones", weeks=str(weeks), milestones=self._suggested_milestones(start))
        return self._finding(Criterion.TIME_BOUND, Verdict.PASSED, "smart.time_bound.ok", **dates)

    def _suggested_milestones(self, start: date) -> str:
        goal = self.goal
        assert goal.deadline is not None
        shown = []
        for due in milestone_days(start, goal.deadline):
            if goal.baseline is not None and goal.target is not None:
                value = on_the_line(goal.baseline, goal.target, start, goal.deadline, due)
                shown.append(f"{self._proposed(value)} ({self.style.day(due)})")
            else:
                shown.append(self.style.day(due))
        return ", ".join(shown)


def milestone_days(start: date, deadline: date) -> list[date]:
    """The milestones a goal longer than `MILESTONES_AFTER_WEEKS` is advised to have: one every
    four weeks from its start, none in its last week."""
    total = (deadline - start).days
    return [start + timedelta(days=offset) for offset in range(MILESTONE_EVERY_DAYS, total - 6, MILESTONE_EVERY_DAYS)]


def on_the_line(baseline: Decimal, target: Decimal, start: date, deadline: date, day: date) -> Decimal:
    """The value the straight line from baseline (at start) to target (at deadline) has on `day`."""
    with localcontext(_WIDE):
        return baseline + (target - baseline) * (day - start).days / (deadline - start).days


def _words_key(text: str) -> str:
    """Content words only, folded, `_` and `-` as spaces: "Abandono del carrito" → "abandono carrito"."""
    return " ".join(_content_words(re.sub(r"[_\-]+", " ", text)))


def _content_words(text: str) -> list[str]:
    return [word for word in (fold(raw).strip(_EDGE_PUNCTUATION) for raw in text.split()) if word and word not in _STOPWORDS]


def _linked_name(metric: str, known: Iterable[str]) -> str | None:
    """The longest KPI or term name that the metric contains or that contains the metric."""
    phrase = _words_key(metric)
    if not phrase:
        return None
    matches = []
    for name in known:
        key = _words_key(name)
        if key and (f" {key} " in f" {phrase} " or f" {phrase} " in f" {key} "):
            matches.append((len(key), name))
    return max(matches)[1] if matches else None


def _closest_name(metric: str, known: Iterable[str]) -> str | None:
    by_key = {_words_key(name): name for name in known if _words_key(name)}
    found = closest(_words_key(metric), sorted(by_key))
    return by_key[found] if found else None


# ---------------------------------------------------------------------------------------------
# Checking


def check_goal(
    goal: Goal,
    *,
    today: date,
    history: HistoryInput = None,
    kpi_names: Iterable[str] = (),
    terms: Iterable[str] = (),
    language: str = "es",
    country: str | None = "CO",
    currency: str = "COP",
) -> SmartCheck:
    """The five findings, in S-M-A-R-T order. `history` is a `History` or (period start, value)
    points; `kpi_names` the keys and names of the KPIs the team tracks; `terms` its glossary
    terms (names and aliases). Parameters of the messages are written in `language`."""
    style = _Style(normalize_locale(language) or "es", country, currency)
    checker = _Checker(goal, today=today, history=_as_history(history), known=[*kpi_names, *terms], style=style)
    findings = (checker.specific(), checker.measurable(), checker.achievable(), checker.relevant(), checker.time_bound())
    return SmartCheck(goal, findings)


def check_text(
    text: str,
    *,
    today: date,
    history: HistoryInput = None,
    kpi_names: Iterable[str] = (),
    terms: Iterable[str] = (),
    language: str = "es",
    country: str | None = "CO",
    currency: str = "COP",
) -> SmartCheck:
    """`parse_goal` then `check_goal`."""
    goal = parse_goal(text, today=today, language=language, country=country, currency=currency)
    context = {"language": language, "country": country, "currency": currency}
    return check_goal(goal, today=today, history=history, kpi_names=kpi_names, terms=terms, **context)


class HasGoal(Protocol):
    def as_goal(self) -> Goal: ...


def check_key_result(
    key_result: HasGoal,
    *,
    today: date,
    history: HistoryInput = None,
    kpi_names: Iterable[str] = (),
    terms: Iterable[str] = (),
    language: str = "es",
    country: str | None = "CO",
    currency: str = "COP",
) -> SmartCheck:
    """The checklist of a structured key result (`domain.okr.KeyResult`): a KPI-backed one is
    specific and relevant by its KPI; its milestones count for Time-bound."""
    context = {"language": language, "country": country, "currency": currency}
    return check_goal(key_result.as_goal(), today=today, history=history, kpi_names=kpi_names, terms=terms, **context)
