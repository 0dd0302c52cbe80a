"""The funnel arithmetic behind a sales goal: which conversion, traffic, ticket or orders it takes.

    sales = sessions × conversion × average ticket        orders = sessions × conversion

From a team's own weekly figures (sessions, conversion in percent points, average ticket), the
baseline of its last complete weeks says what a week sells today; a goal ("+15 millones por
mes", "60 millones por semana") then becomes four ways to get there, each moving one lever and
keeping the others as they are today, and each graded against the fastest that lever has moved
in the team's history with the SMART check's own "achievable" rule (`domain.smart_goal.judge_pace`).

Decisions worth knowing:

- **Exact decimals.** Figures are `Decimal`s; a plan is computed with fractions of the weeks'
  totals and turned into a decimal once (60 digits), so a figure with a finite decimal is exact
  and sales = sessions × conversion × ticket holds to fifty digits. Rounding is for display.
- **The baseline weighs weeks by what they carry.** Sessions are the weekly mean; conversion is
  weighted by sessions (Σ orders ÷ Σ sessions, not a mean of weekly rates, so a quiet week does
  not count as much as a busy one); the ticket is weighted by orders (Σ sales ÷ Σ orders). So the
  baseline's weekly sales are exactly the mean of the weeks' sales.
- **Zero and missing weeks.** A week with a missing figure is left out and named (it would
  drag the mean down as if nothing was sold); a week with zero sessions counts (the shop was
  closed: that is part of its traffic) and needs no conversion; a week without orders needs no
  ticket. With no traffic or no orders in the whole window there is no funnel to scale.
- **A month is 30,4375 days** (365,25 ÷ 12), the same month the SMART check uses, so per-month
  figures are the weekly ones × 30,4375 ÷ 7, and a goal per month has a month to be reached.
- **Realism** compares the change of each lever per week with the fastest it has moved week to
  week (sessions and orders as weekly counts, conversion in points, ticket in money).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, localcontext
from enum import Enum
from fractions import Fraction
from typing import Mapping, Sequence

from domain.commands import fold
from domain.errors import UserError
from domain.number_style import PERCENT
from domain.numbers import fold_keeping_positions, parse_quantity
from domain.smart_goal import DAYS_PER_MONTH, History, Pace, judge_pace

__all__ = [
    "Ask",
    "Baseline",
    "DEFAULT_WEEKS",
    "HISTORY_WEEKS",
    "Lever",
    "MAX_WEEKS",
    "Path",
    "Per",
    "Plan",
    "SalesGoal",
    "WeekFigures",
    "baseline",
    "histories",
    "parse_ask",
    "plan",
    "worth_of_points",
]

DEFAULT_WEEKS = 4
HISTORY_WEEKS = 26
MAX_WEEKS = 13  # the longest baseline one may ask for: a quarter (older weeks describe another shop)
_WIDE = Context(prec=60)
_HUNDRED = Decimal(100)


class Lever(str, Enum):
    CONVERSION = "conversion"
    TRAFFIC = "traffic"
    TICKET = "ticket"
    ORDERS = "orders"


class Per(str, Enum):
    WEEK = "week"
    MONTH = "month"

    @property
    def weeks(self) -> Decimal:
        """How many weeks the period holds (a month: 30,4375 ÷ 7)."""
        with localcontext(_WIDE):
            return Decimal(1) if self is Per.WEEK else DAYS_PER_MONTH / 7

    @property
    def days(self) -> Decimal:
        return Decimal(7) if self is Per.WEEK else DAYS_PER_MONTH


# ---------------------------------------------------------------------------------------------
# The team's weeks


@dataclass(frozen=True)
class WeekFigures:
    """One complete week of the funnel: None is a figure nobody logged. `conversion` is in
    percent points (1.2 is 1,2 %); `ticket` in the team's currency."""

    start: date
    sessions: Decimal | None
    conversion: Decimal | None
    ticket: Decimal | None

    @property
    def orders(self) -> Decimal | None:
        if self.sessions is None or (self.conversion is None and self.sessions != 0):
            return None
        with localcontext(_WIDE):
            return Decimal(0) if self.sessions == 0 else self.sessions * self.conversion / _HUNDRED

    @property
    def usable(self) -> bool:
        """Every figure the week needs is known: conversion unless it had no sessions, the
        ticket unless it had no orders."""
        orders = self.orders
        return orders is not None and (orders == 0 or self.ticket is not None)


@dataclass(frozen=True)
class Baseline:
    """What a week of the team sells today, from the weeks in `weeks` (week starts, oldest
    first); `skipped` are the weeks of the window left out for a missing figure. Totals are
    kept, so the week's sales and orders are exact means, not products of rounded quotients."""

    weeks: tuple[date, ...]
    skipped: tuple[date, ...]
    total_sessions: Decimal
    total_orders: Decimal
    total_sales: Decimal

    def _per_week(self, total: Decimal) -> Decimal:
        with localcontext(_WIDE):
            return total / len(self.weeks)

    @property
    def sessions(self) -> Decimal:
        return self._per_week(self.total_sessions)

    @property
    def orders(self) -> Decimal:
        return self._per_week(self.total_orders)

    @property
    def sales(self) -> Decimal:
        return self._per_week(self.total_sales)

    @property
    def conversion(self) -> Decimal:
        """Percent points: Σ orders ÷ Σ sessions × 100."""
        with localcontext(_WIDE):
            return self.total_orders * _HUNDRED / self.total_sessions

    @property
    def ticket(self) -> Decimal:
        """Σ sales ÷ Σ orders."""
        with localcontext(_WIDE):
            return self.total_sales / self.total_orders


def baseline(weeks: Sequence[WeekFigures]) -> Baseline:
    """The baseline of `weeks` (the window the caller chose, e.g. the last four complete weeks).

    Raises `whatif.no_weeks` (no week with every figure), `whatif.no_traffic` (no sessions at
    all) or `whatif.no_orders` (no orders: no ticket to scale)."""
    ordered = sorted(weeks, key=lambda week: week.start)
    used = [week for week in ordered if week.usable]
    skipped = tuple(week.start for week in ordered if not week.usable)
    if not used:
        raise UserError("whatif.no_weeks", weeks=len(ordered))
    with localcontext(_WIDE):
        sessions = sum((week.sessions for week in used), Decimal(0))
        orders = sum((week.orders for week in used), Decimal(0))
        sales = sum((week.orders * week.ticket for week in used if week.orders), Decimal(0))
    if sessions == 0:
        raise UserError("whatif.no_traffic", weeks=len(used))
    if orders == 0:
        raise UserError("whatif.no_orders", weeks=len(used))
    return Baseline(tuple(week.start for week in used), skipped, sessions, orders, sales)


def histories(weeks: Sequence[WeekFigures]) -> dict[Lever, History]:
    """How fast each lever has moved week to week, from the weeks that have the figure."""

    def points(read) -> list[tuple[date, Decimal]]:
        return [(week.start, value) for week in weeks if (value := read(week)) is not None]

    return {
        Lever.TRAFFIC: History.from_points(points(lambda week: week.sessions)),
        Lever.CONVERSION: History.from_points(points(lambda week: week.conversion)),
        Lever.TICKET: History.from_points(points(lambda week: week.ticket)),
        Lever.ORDERS: History.from_points(points(lambda week: week.orders)),
    }


# ---------------------------------------------------------------------------------------------
# The goal and the paths to it


@dataclass(frozen=True)
class SalesGoal:
    """`amount` more than today (`increase`), or `amount` in all; `relative`: `amount` is a
    percent of today's sales ("+10 %"). Per week or per month."""

    amount: Decimal
    increase: bool
    per: Per = Per.MONTH
    relative: bool = False

    def target(self, current: Fraction) -> Fraction:
        if self.relative:
            return current * (1 + Fraction(self.amount) / 100)
        return current + Fraction(self.amount) if self.increase else Fraction(self.amount)


@dataclass(frozen=True)
class Path:
    """One way to the goal: the lever's value today and the value it needs, both per the goal's
    period for sessions and orders (conversion and ticket have no period). `needed` None: no
    value of this lever alone gets there (today's funnel sells nothing through it)."""

    lever: Lever
    today: Decimal
    needed: Decimal | None
    pace: Pace | None

    @property
    def change(self) -> Decimal | None:
        if self.needed is None:
            return None
        with localcontext(_WIDE):
            return self.needed - self.today

    @property
    def ratio(self) -> Decimal | None:
        """needed ÷ today ("×1,33"); None when today is 0."""
        if self.needed is None or self.today == 0:
            return None
        with localcontext(_WIDE):
            return self.needed / self.today


@dataclass(frozen=True)
class Plan:
    goal: SalesGoal
    baseline: Baseline
    current: Decimal  # sales per the goal's period today
    target: Decimal  # sales per the goal's period wanted
    paths: tuple[Path, ...]

    def path(self, lever: Lever) -> Path:
        return next(path for path in self.paths if path.lever is lever)


def _decimal(value: Fraction) -> Decimal:
    """A fraction as a decimal: exact when it has a finite expansion within 60 digits."""
    with localcontext(_WIDE):
        return Decimal(value.numerator) / Decimal(value.denominator)


def plan(base: Baseline, goal: SalesGoal, history: Mapping[Lever, History] | None = None) -> Plan:
    """The four paths to `goal` from `base`, each graded against `history` (the lever's
    History; a lever without one is unknown). The change is asked of the goal's own period: a
    month for a goal per month, a week for a goal per week. The arithmetic runs on fractions
    of the weeks' totals, so "+50 % a month" needs exactly 1,8 % where 1,2 % converts today."""
    if goal.amount < 0:
        raise UserError("whatif.negative_goal")
    history = history or {}
    weeks, days = len(base.weeks), Fraction(goal.per.days)
    sessions, orders, sales = (Fraction(total) for total in (base.total_sessions, base.total_orders, base.total_sales))
    per_period = days / (7 * weeks)  # a week's mean, scaled to the goal's period
    current = sales * per_period
    target = goal.target(current)
    needed = {  # lever: (today, needed, whether its history is a weekly count)
        Lever.CONVERSION: (orders * 100 / sessions, target * 100 * orders / (sessions * sales * per_period), False),
        Lever.TRAFFIC: (sessions * per_period, target * sessions / sales, True),
        Lever.TICKET: (sales / orders, target / (orders * per_period), False),
        Lever.ORDERS: (orders * per_period, target * orders / sales, True),
    }
    paths = []
    for lever, (today, value, weekly) in needed.items():
        change = (value - today) * 7 / days if weekly else value - today
        pace = judge_pace(_decimal(change), _decimal(days), history.get(lever, History(None)))
        paths.append(Path(lever, _decimal(today), _decimal(value), pace))
    return Plan(goal, base, _decimal(current), _decimal(target), tuple(paths))


def worth_of_points(base: Baseline, points: Decimal, per: Per = Per.WEEK) -> Decimal:
    """What `points` more of conversion sell per week (or month) at the baseline's traffic and
    ticket: "at this week's traffic and ticket, +0,2 points of conversion is worth $X"."""
    weeks, days = len(base.weeks), Fraction(per.days)
    sessions, orders, sales = (Fraction(total) for total in (base.total_sessions, base.total_orders, base.total_sales))
    return _decimal(sessions * days / (7 * weeks) * Fraction(points) / 100 * sales / orders)


# ---------------------------------------------------------------------------------------------
# What people type: "ventas +15 millones por mes con conversión", "sales +15M per week by ticket"


@dataclass(frozen=True)
class Ask:
    goal: SalesGoal
    lever: Lever | None  # the one path asked for (shown first); None: all of them in the formula's order
    weeks: int | None = None  # "últimas 8 semanas" / "last 8 weeks": the baseline's window; None: the default


_LEVER_WORDS = {
    Lever.CONVERSION: ("conversion", "conversiones", "tasa de conversion", "conversion rate"),
    Lever.TRAFFIC: ("trafico", "traffic", "sesiones", "sessions", "visitas", "visits"),
    Lever.TICKET: ("ticket", "ticket promedio", "average ticket", "aov"),
    Lever.ORDERS: ("pedidos", "orders", "ordenes", "compras"),
}
_WEEK_WORDS = ("por semana", "a la semana", "semanal", "semanales", "per week", "a week", "weekly", "each week", "cada semana")
_MONTH_WORDS = ("por mes", "al mes", "mensual", "mensuales", "per month", "a month", "monthly", "each month", "cada mes")
_MORE_WORDS = ("mas", "more", "extra", "adicional", "adicionales", "additional")
# "¿cuántas ventas necesito…?" and "how many sales…?" count sales one by one: orders.
_COUNTED_SALES = re.compile(r"(?<!\w)(?:cuantas|how many)(?:\s+(?:mas|more))?\s+(?:ventas|sales)(?!\w)")
# "últimas 8 semanas", "las 8 últimas semanas", "con las últimas 8 semanas", "over the last 8 weeks":
# the window, cut out of the text before the amount is read (its number is no amount). The count
# is any word after últimas/last, so "últimas ocho semanas" gets a message, not a wrong window.
_WEEKS_CLAUSE = re.compile(
    r"(?<!\w)(?:(?:con|en|de|sobre|over|in|for|from|using|with)\s+)?(?:(?:las|the)\s+)?"
    r"(?:(?:ultimas|last|past)\s+(?P<count>[^\s?!.,;:]+|\d+[.,]\d+)|(?P<before>\d[\d.,]*)\s+(?:ultimas|last|past))"
    r"\s+(?:semanas?|weeks?)(?!\w)",
    re.IGNORECASE,
)
_SHOWN_COUNT = 12  # a refused week count is quoted back up to this many characters
_NUMBER_START = re.compile(r"[+\-−]?\s*(?:\$\s*)?\d")


def _has(folded: str, phrases: Sequence[str]) -> bool:
    return any(re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", folded) for phrase in phrases)


def _lever_of(folded: str) -> Lever | None:
    found = [lever for lever, words in _LEVER_WORDS.items() if _has(folded, words)]
    return found[0] if len(found) == 1 else None if not found else _lever_after_by(folded, found)


def _lever_after_by(folded: str, found: list[Lever]) -> Lever:
    """Two levers named ("cuántos pedidos con tráfico"): the one after con/by/via wins."""
    for lever in found:
        if _has(folded, [f"{joiner} {word}" for joiner in ("con", "by", "via", "subiendo", "raising") for word in _LEVER_WORDS[lever]]):
            return lever
    return found[0]


def parse_ask(text: str, *, language: str, country: str | None, currency: str = "COP") -> Ask:
    """`ventas +15 millones por mes con conversión` → +15 000 000 per month, by conversion.

    A sign, or "más/more" right after the amount, makes it an increase; a bare amount is the target ("meta
    ventas 60 millones"); "+10 %" is ten percent more than today. Per month unless a week is
    said. "Últimas 8 semanas" / "last 8 weeks" chooses the weeks of the baseline (1 to
    `MAX_WEEKS`). Raises `whatif.usage` (no amount), `whatif.not_money` (a unit other than money
    or percent), `whatif.weeks_not_a_number`, `whatif.weeks_out_of_range` or the number reader's
    own errors."""
    text, weeks = _weeks_asked(text)
    folded = fold(fold_keeping_positions(text))
    start = _NUMBER_START.search(text)
    if start is None:
        raise UserError("whatif.usage")
    quantity, rest = parse_quantity(text[start.start() :], language=language, country=country, currency=currency)
    signed = text[start.start() :].lstrip()[:1] in "+-−"
    if quantity.unit not in (None, PERCENT, currency):
        raise UserError("whatif.not_money", value=quantity.text, currency=currency)
    if quantity.value < 0:
        raise UserError("whatif.negative_goal")
    relative = quantity.unit == PERCENT
    # "15 millones más" is an increase; "¿cuántos pedidos más necesito para 60 millones?" is not.
    next_word = (fold(rest).split() or [""])[0]
    increase = signed or relative or next_word in _MORE_WORDS
    per = Per.WEEK if _has(folded, _WEEK_WORDS) and not _has(folded, _MONTH_WORDS) else Per.MONTH
    lever = _lever_of(folded) or (Lever.ORDERS if _COUNTED_SALES.search(folded) else None)
    return Ask(SalesGoal(quantity.value, increase, per, relative), lever, weeks)


def _weeks_asked(text: str) -> tuple[str, int | None]:
    """(the text without its "últimas N semanas", N); (text, None) when no window is named.
    A count that is no whole number, or outside 1–`MAX_WEEKS`, is refused here, before any
    long run of digits becomes an int."""
    found = _WEEKS_CLAUSE.search(fold_keeping_positions(text))
    if found is None:
        return text, None
    count = found.group("count") or found.group("before")
    shown = count if len(count) <= _SHOWN_COUNT else count[:_SHOWN_COUNT] + "…"
    if not count.isascii() or not count.isdigit():
        raise UserError("whatif.weeks_not_a_number", value=shown, limit=MAX_WEEKS)
    digits = count.lstrip("0") or "0"
    if len(digits) > len(str(MAX_WEEKS)) or not 1 <= int(digits) <= MAX_WEEKS:
        raise UserError("whatif.weeks_out_of_range", weeks=shown, limit=MAX_WEEKS)
    return f"{text[: found.start()]} {text[found.end() :]}", int(digits)
