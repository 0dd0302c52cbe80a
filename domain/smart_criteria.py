"""The five SMART criteria: grade a `Goal` and say, for each criterion, what passed or what to type
to fix it (a message id and its parameters, already written for the team's language).

`check_goal` grades a goal; `check_text` reads one from a sentence first
(`domain.smart_reading.parse_goal`); `check_key_result` grades a structured key result
(anything with `as_goal()`, see `domain.okr`). Pure: "today" is a parameter, values are written
with `domain.numbers` and dates with Babel.

- **Specific** passes when the goal is tied to a tracked KPI or glossary term (their definition
  is the scope) or names a metric and its scope in at least two content words ("ventas de kits
  de regalo", "tasa de bajas mensuales"); "ventas" alone, unlinked, says which sales.
- **Measurable** needs a baseline and a target that differ, moving the way the verb says.
- **Achievable** is `domain.smart_goal.judge_pace`. Without history it is unknown, with the
  advice to first set a goal that establishes the baseline. When it fails, the fix offers the
  target reachable at the stretch pace by the same deadline and the deadline that the stated
  target needs.
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
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Iterable, Protocol

from domain.commands import closest
from domain.dates import written_day
from domain.locales import normalize_locale
from domain.number_format import format_quantity
from domain.smart_goal import (
    STRETCH_FACTOR,
    WIDE_DECIMALS,
    Criterion,
    Finding,
    Goal,
    GoalDirection,
    History,
    HistoryInput,
    SmartCheck,
    Verdict,
    as_history,
    direction_of,
    judge_pace,
    whole,
)
from domain.smart_reading import content_words, parse_goal

__all__ = ["HasGoal", "check_goal", "check_key_result", "check_text"]

MILESTONES_AFTER_WEEKS = 6
MILESTONE_EVERY_DAYS = 28
MAX_SUGGESTED_YEARS = 5  # a later deadline than this is no advice: lower the target instead
SUGGESTED_DEADLINE_DAYS = 42  # a deadline proposed to a goal without one: six weeks out


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
        with localcontext(WIDE_DECIMALS):
            rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP).normalize()
        return format_quantity(whole(rounded), unit, language=self.language, country=self.country, currency=self.currency)

    def day(self, day: date) -> str:
        """"31 mar 2026" / "Mar 31, 2026": short, and `parse_goal` reads it back."""
        return written_day(day, self.language)


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
        if len(content_words(metric)) >= 2:
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
        if goal.direction is not None and goal.direction is not direction_of(goal.baseline, goal.target):
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
        with localcontext(WIDE_DECIMALS):
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
    with localcontext(WIDE_DECIMALS):
        return baseline + (target - baseline) * (day - start).days / (deadline - start).days


def _places(value: Decimal) -> int:
    """How many decimals a value is written with, trailing zeros aside (1,20 → 1)."""
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _words_key(text: str) -> str:
    """Content words only, folded, `_` and `-` as spaces: "Abandono del carrito" → "abandono carrito"."""
    return " ".join(content_words(re.sub(r"[_\-]+", " ", text)))


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
    checker = _Checker(goal, today=today, history=as_history(history), known=[*kpi_names, *terms], style=style)
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
