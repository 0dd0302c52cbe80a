"""Reading a goal typed in free text, Spanish or English, into a `Goal`:

    Aumentar las ventas de kits de regalo de 18 a 25 millones COP entre el 02/01/2026 y el 31/01/2026
    En 45 días, bajar el abandono de carrito móvil de 78 % a 70 %
    Increase web conversion from 1.2% to 1.6% by March 31

Time phrases are read first and set aside (`domain.smart_timing`), then the numbers, then the
words that are left: the metric phrase and the direction.

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
  numbers. A verb that contradicts its numbers fails Measurable (`domain.smart_criteria`).

Pure: "today" is a parameter, numbers go through `domain.numbers`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Iterable

from domain.commands import fold
from domain.dates import alternation
from domain.errors import UserError
from domain.examples import example_params
from domain.locales import normalize_locale
from domain.number_limits import NUMBER_LIMITS
from domain.numbers import Quantity, fold_keeping_positions, parse_quantity
from domain.smart_goal import WIDE_DECIMALS, ChangeBy, Goal, GoalDirection, direction_of, whole
from domain.smart_timing import read_timing

__all__ = ["content_words", "parse_goal"]


# ---------------------------------------------------------------------------------------------
# The numbers of a goal

# Zero-width, so a failed reading at "- 25" still lets "25" be tried.
_VALUE_START = re.compile(r"(?<![^\s(])(?=[-+]?(?:US\$|COL\$|COP\$|MX\$|R\$|\$|€|£)?\s?\d)")
_COMPOUND = re.compile(r"[-‑][^\W\d_]")  # "60-day", "24-hour": a number inside a name
_DURATION_NOUN = re.compile(r"(?:dias?|semanas?|mes(?:es)?|anos?|days?|weeks?|months?|years?)(?!\w)")
_BASELINE_WORDS = {"de", "del", "desde", "from", "de un", "de una", "desde un", "desde una"}
_TARGET_WORDS = {"a", "al", "hasta", "to", "->", "→", "-", "–", "a un", "a una", "hasta un", "hasta una"}
_CHANGE_WORDS = {"en", "by", "en un", "en una", "un", "una"}
_ROLE_BEFORE = re.compile(rf"(?:^|(?<=\s))(?P<word>{alternation(_BASELINE_WORDS | _TARGET_WORDS | _CHANGE_WORDS)})\s*$")
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
    with localcontext(WIDE_DECIMALS):
        return abs(quantity.value / bare.value)


def _aligned(baseline: Quantity, target: Quantity, reading: dict[str, str | None]) -> tuple[Decimal, Decimal, str | None]:
    """Baseline and target with a unit and multiplier said once applied to both (see the docstring)."""
    if baseline.unit and target.unit and baseline.unit != target.unit:
        raise UserError("smart.units_differ", baseline=baseline.text, target=target.text)
    unit = target.unit or baseline.unit
    base, goal = baseline.value, target.value
    base_factor, goal_factor = _multiplier(baseline, reading), _multiplier(target, reading)
    with localcontext(WIDE_DECIMALS):
        readings = [(base, goal)]
        if base_factor == 1 and goal_factor != 1:
            readings.append((whole(base * goal_factor), goal))
        if goal_factor == 1 and base_factor != 1:
            readings.append((base, whole(goal * base_factor)))
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


def content_words(text: str) -> list[str]:
    """The words of `text` that say something, folded: no small words ("de", "the"), no edge punctuation."""
    return [word for word in (fold(raw).strip(_EDGE_PUNCTUATION) for raw in text.split()) if word and word not in _STOPWORDS]


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
    timing = read_timing(folded, today=today, language=language)
    blanked = _blank(text, timing.spans)
    numbers = _read_numbers(blanked, fold_keeping_positions(blanked), reading)
    metric, stated = _read_words(_blank(blanked, [numbers.span] if numbers.span else []))
    baseline, target, unit = _goal_values(numbers, reading)
    direction = stated or direction_of(baseline, target)
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

