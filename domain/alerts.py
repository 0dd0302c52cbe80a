"""Alert rules on KPIs: "if cart abandonment rises 3 points within 48 hours".

Pure rules only: reading `/alinea alert new …`, deciding whether a new value triggers a rule
against the values before it, and the episode a rule is in, so an alert is posted once per
episode (a rise that keeps rising is one alert; after it calms down, a new rise alerts again).

Decisions worth knowing:

- **Points or percent.** `3 points` (or no unit) is an absolute change of the value: 68 % → 71 %
  is 3 points. `3 %` is a change relative to the earlier value: 100 → 103 is 3 %. For a percent
  KPI "rises 3 %" therefore means relative, as the person wrote a percentage of the value.
- **The window** is inclusive: a value exactly `window_hours` before the new one counts; a value
  at the same instant as the new one (or later) does not.
- **Several baselines.** When more than one earlier value reaches the amount, the one giving the
  largest movement is the baseline; on a tie, the latest of them (the shortest span to report).
- **Percent from zero.** A relative change from 0 is undefined, so 0 never triggers a percent rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from enum import Enum
from fractions import Fraction
from typing import Callable, Sequence, TypedDict

from domain.commands import fold, unknown_word
from domain.errors import UserError
from domain.words import WordCursor
from domain.kpis import round_derived, validate_key
from domain.number_limits import check_storable, shortened

__all__ = [
    "AlertSpec",
    "EpisodeState",
    "MAX_WINDOW_HOURS",
    "Mode",
    "Movement",
    "MovementFacts",
    "Observation",
    "describe_movement",
    "next_state",
    "parse_alert",
    "triggered",
]

MAX_WINDOW_HOURS = 720  # 30 days


class Movement(str, Enum):
    RISES = "rises"
    FALLS = "falls"


class Mode(str, Enum):
    POINTS = "points"  # absolute change of the value
    PERCENT = "percent"  # change relative to the earlier value


@dataclass(frozen=True)
class AlertSpec:
    """A rule; strings given for `movement` and `mode` are converted to their enums."""

    kpi_key: str
    movement: Movement
    amount: Decimal  # > 0
    mode: Mode
    window_hours: int  # 1..MAX_WINDOW_HOURS

    def __post_init__(self) -> None:
        object.__setattr__(self, "movement", Movement(self.movement))
        object.__setattr__(self, "mode", Mode(self.mode))


@dataclass(frozen=True)
class Observation:
    at: datetime  # timezone-aware
    value: Decimal

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError(f"Observation.at must be timezone-aware, got {self.at!r}")


# ---------------------------------------------------------------------------------------------
# Reading `/alinea alert new KEY rises|falls BY [points|%] within HOURS`

_MOVEMENT_WORDS = {
    **dict.fromkeys(("rises", "rise", "up", "increases", "sube", "aumenta", "crece"), Movement.RISES),
    **dict.fromkeys(("falls", "fall", "drops", "down", "decreases", "baja", "cae", "disminuye"), Movement.FALLS),
}
_POINT_WORDS = {"points", "point", "pts", "pt", "pp", "puntos", "punto"}
_PERCENT_WORDS = {"%", "percent", "porciento", "pct"}
_WINDOW_WORDS = {"within", "in", "en", "dentro", "durante"}
_WINDOW_FILLERS = {"de", "of"}  # "dentro de 48 horas"
_HOUR_WORDS = {"h", "hr", "hrs", "hour", "hours", "hora", "horas"}
_DAY_WORDS = {"d", "day", "days", "dia", "dias"}
_AMOUNT_FILLERS = {"by"}  # "rises by 3 points"
_NUMBER = re.compile(r"(?P<number>\d(?:[\d.,]*\d)?)(?P<suffix>[^\d.,]*)")


def parse_alert(
    text: str, *, read_number: Callable[[str], Decimal | None] | None = None, language: str = "es", country: str | None = None
) -> AlertSpec:
    """`cart_abandonment rises 3 points within 48 hours` / `… sube 3 puntos en 2 días`.

    `text` is what follows `/alinea alert new`. The amount takes `points|puntos|pts` (or nothing:
    points) or `%` (relative); the window is `48`, `48h`, `48 horas`, `2 días`, `2 days`.

    `read_number` reads the amount's digits ("5.000.000", "2,5") as the team writes numbers
    (e.g. with `domain.numbers`); it returns None (or raises its own UserError) when they are
    not a number. Without it, `_number` reads both conventions (see there). An amount its
    column cannot keep is `numbers.too_large` or `numbers.too_precise`, written in `language`
    and `country`'s way (`domain.number_limits.check_storable`).
    """
    words = WordCursor(text.split())
    if words.peek() is None:
        raise UserError("alert.key_missing")
    key = validate_key(words.take())
    movement = _read_movement(words, key)
    amount, mode = _read_amount(words, key, read_number or _number, language=language, country=country)
    window = _read_window(words, key, after_mode=mode is not None)
    leftover = words.peek()
    if leftover is not None:
        _unknown_word(key, leftover, set())
    return AlertSpec(kpi_key=key, movement=movement, amount=amount, mode=mode or Mode.POINTS, window_hours=window)


def _read_movement(words: WordCursor, key: str) -> Movement:
    typed = words.peek()
    if typed is None:
        raise UserError("alert.movement_missing", key=key)
    movement = _MOVEMENT_WORDS.get(fold(words.take()))
    if movement is None:
        raise unknown_word(typed, _MOVEMENT_WORDS, "alert.unknown_movement", key=key)
    return movement


def _read_amount(
    words: WordCursor, key: str, read_number: Callable[[str], Decimal | None], *, language: str, country: str | None
) -> tuple[Decimal, Mode | None]:
    """`3`, `3,5`, `3 puntos`, `3pts`, `10 %`, `10%`, `10 por ciento` → (amount, mode or None)."""
    words.take_if(_AMOUNT_FILLERS)
    typed = words.peek()
    if typed is None or fold(typed) in _WINDOW_WORDS:
        raise UserError("alert.amount_missing", key=key)
    words.take()
    if typed.startswith("-") and _NUMBER.fullmatch(typed[1:]):
        raise UserError("alert.amount_not_positive", key=key, word=typed)
    match = _NUMBER.fullmatch(typed.removeprefix("+"))
    amount = read_number(match.group("number")) if match else None
    suffix = match.group("suffix") if match else ""
    mode = _mode_of(suffix) if suffix else None
    if amount is None or (suffix and mode is None):
        raise UserError("alert.invalid_amount", key=key, word=typed)
    if amount <= 0:
        raise UserError("alert.amount_not_positive", key=key, word=typed)
    check_storable(amount, typed, language=language, country=country)
    if mode is None:
        mode = _read_mode_words(words)
    return amount, mode


_GROUPED = re.compile(r"[1-9]\d{0,2}(?P<mark>[.,])\d{3}(?:(?P=mark)\d{3})*")
_DECIMAL = re.compile(r"\d+(?:[.,]\d+)?")
_GROUPED_DECIMAL = re.compile(r"[1-9]\d{0,2}(?P<mark>[.,])\d{3}(?:(?P=mark)\d{3})*(?P<point>[.,])\d+")


def _number(text: str) -> Decimal | None:
    """A threshold as people write it in Spanish or English, whatever the team's locale.

    `5.000.000` and `5,000,000` are five million, `1.234,5` and `1,234.5` are the same number,
    `3,5` and `3.5` are three and a half. One mark followed by exactly three digits ("1.000",
    "2,500") is a thousands mark: no one sets an alert threshold to three decimals.
    """
    if _GROUPED.fullmatch(text):
        return Decimal(re.sub(r"[.,]", "", text))
    if _DECIMAL.fullmatch(text):
        return Decimal(text.replace(",", "."))
    match = _GROUPED_DECIMAL.fullmatch(text)
    if match and match.group("mark") != match.group("point"):
        whole, _, fraction = text.rpartition(match.group("point"))
        return Decimal(re.sub(r"[.,]", "", whole) + "." + fraction)
    return None


def _mode_of(word: str) -> Mode | None:
    folded = fold(word.strip())
    if folded in _POINT_WORDS:
        return Mode.POINTS
    if folded in _PERCENT_WORDS:
        return Mode.PERCENT
    return None


def _read_mode_words(words: WordCursor) -> Mode | None:
    word = words.peek()
    if word is None:
        return None
    if fold(word) == "por" and fold(words.words[words.position + 1] if words.position + 1 < len(words.words) else "") == "ciento":
        words.take()
        words.take()
        return Mode.PERCENT
    mode = _mode_of(word)
    if mode is not None:
        words.take()
    return mode


def _read_window(words: WordCursor, key: str, *, after_mode: bool) -> int:
    """`within 48 hours`, `en 48h`, `dentro de 2 días` → hours."""
    word = words.peek()
    if word is None:
        raise UserError("alert.window_missing", key=key)
    if fold(word) not in _WINDOW_WORDS:
        choices = _WINDOW_WORDS if after_mode else _WINDOW_WORDS | _POINT_WORDS | _PERCENT_WORDS
        _unknown_word(key, word, choices)
    words.take()
    words.take_if(_WINDOW_FILLERS)
    typed = words.peek()
    if typed is None:
        raise UserError("alert.window_missing", key=key)
    words.take()
    match = re.fullmatch(r"(?P<number>\d+)(?P<suffix>\D*)", typed)
    if match is None:
        raise UserError("alert.invalid_window", key=key, word=typed)
    suffix = fold(match.group("suffix"))
    if not suffix and words.peek() is not None and fold(words.peek() or "") in _HOUR_WORDS | _DAY_WORDS:
        suffix = fold(words.take())
        typed = f"{typed} {suffix}"
    if suffix and suffix not in _HOUR_WORDS | _DAY_WORDS:
        raise UserError("alert.invalid_window", key=key, word=typed)
    digits = match.group("number").lstrip("0") or "0"
    if len(digits) > len(str(MAX_WINDOW_HOURS)):  # int() refuses thousands of digits; none of them fits anyway
        raise UserError("alert.window_out_of_range", key=key, hours=shortened(digits), limit=MAX_WINDOW_HOURS)
    hours = int(digits) * (24 if suffix in _DAY_WORDS else 1)
    if not 1 <= hours <= MAX_WINDOW_HOURS:
        raise UserError("alert.window_out_of_range", key=key, hours=hours, limit=MAX_WINDOW_HOURS)
    return hours


def _unknown_word(key: str, word: str, choices: set[str]) -> None:
    raise unknown_word(word, choices, "alert.unknown_word", key=key)


# ---------------------------------------------------------------------------------------------
# Evaluating a new value


def _movement(spec: AlertSpec, old: Decimal, new: Decimal) -> Fraction | None:
    """How far `old` → `new` went in the rule's direction, in the rule's mode (exact); None
    when a relative change is undefined (from 0)."""
    change = Fraction(new) - Fraction(old)
    if spec.movement is Movement.FALLS:
        change = -change
    if spec.mode is Mode.POINTS:
        return change
    if old == 0:
        return None
    return change / abs(Fraction(old)) * 100


def triggered(spec: AlertSpec, history: Sequence[Observation], new: Observation) -> Observation | None:
    """The earlier observation against which `new` moved by the rule's amount, or None.

    Candidates are strictly earlier than `new` and at most `window_hours` before it. Among those
    that reach the amount, the largest movement wins; on a tie, the latest observation.
    """
    earliest = new.at - timedelta(hours=spec.window_hours)
    amount = Fraction(spec.amount)
    best: tuple[Fraction, datetime, Observation] | None = None
    for observation in history:
        if not (earliest <= observation.at < new.at):
            continue
        moved = _movement(spec, observation.value, new.value)
        if moved is None or moved < amount:
            continue
        candidate = (moved, observation.at, observation)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best is not None else None


class EpisodeState(str, Enum):
    QUIET = "quiet"
    FIRING = "firing"


def next_state(current: EpisodeState, fired: bool) -> tuple[EpisodeState, bool]:
    """(the rule's next state, whether to post an alert now): one post per episode."""
    if fired:
        return EpisodeState.FIRING, EpisodeState(current) is EpisodeState.QUIET
    return EpisodeState.QUIET, False


class MovementFacts(TypedDict):
    """The numbers an alert shows; formatting (locale, unit, decimals) happens at the edge."""

    baseline: Decimal  # the earlier value
    value: Decimal  # the new value
    change: Decimal  # value - baseline, signed (points)
    change_percent: Decimal | None  # relative change in %, signed; None from a baseline of 0
    movement: Decimal | None  # the change as the rule measures it (mode, direction); None: % from 0
    amount: Decimal  # the rule's threshold
    mode: str  # "points" | "percent"
    hours: Decimal  # hours between the two observations
    window_hours: int


def describe_movement(spec: AlertSpec, baseline: Observation, new: Observation) -> MovementFacts:
    """The numbers behind an alert: from what, to what, by how much, in how many hours.

    Derived numbers (relative change, hours) are rounded like KPI averages (6 decimals).
    """
    with localcontext() as context:
        context.prec = 100
        change = new.value - baseline.value
        change_percent = round_derived(change / abs(baseline.value) * 100) if baseline.value != 0 else None
    moved = _movement(spec, baseline.value, new.value)
    seconds = Decimal((new.at - baseline.at) // timedelta(microseconds=1)) / Decimal(3_600_000_000)
    return MovementFacts(
        baseline=baseline.value,
        value=new.value,
        change=change,
        change_percent=change_percent,
        movement=_fraction_to_decimal(moved) if moved is not None else None,
        amount=spec.amount,
        mode=spec.mode.value,
        hours=round_derived(seconds),
        window_hours=spec.window_hours,
    )


def _fraction_to_decimal(value: Fraction) -> Decimal:
    with localcontext() as context:
        context.prec = 100
        return round_derived(Decimal(value.numerator) / Decimal(value.denominator))
