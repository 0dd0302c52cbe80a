"""The timing of a goal: the start and the deadline a goal typed in free text names, and
`parse_deadline` for a date or duration typed on its own (a milestone's, a re-target's).

Time phrases are read before anything else in a goal, and their spans set aside so their digits
are not taken for the goal's numbers: a range (`entre el X y el Y`, `between X and Y`, `desde X
hasta Y`, `from X to Y`), a start (`desde`, `a partir de`, `from`, `starting`), a deadline (`al`,
`hasta`, `para`, `antes de`, `a más tardar`, `by`, `before`, `until`), a month (`en marzo`, `in
March`: that whole month) or a duration (`en 45 días`, `in 6 weeks`, `dentro de 2 meses`, counted
from the start). The dates themselves are `domain.dates`'s. A date without a year is the next one
on or after the start (a start without a year: the nearest to today). A deadline written "antes
del 15/02" is that day: people mean "by", not "by the day before". Pure: "today" is a parameter.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.dates import ARTICLE, END, alternation, read_date, written_day
from domain.errors import UserError
from domain.examples import example_params
from domain.locales import normalize_locale
from domain.numbers import fold_keeping_positions

__all__ = ["Timing", "parse_deadline", "read_timing"]

_RANGE_OPEN = re.compile(rf"(?<!\w)(?:entre|between|desde|from|del?)\s+{ARTICLE}")
_RANGE_JOIN = re.compile(rf"(?:\s+(?:y|and|al|a|hasta|to|until|through|till)\s+{ARTICLE}|\s*[-–]\s*)")
_START_WORDS = re.compile(rf"(?<!\w)(?:desde|a\s+partir\s+del?|from|starting(?:\s+on|\s+from)?|since)\s+{ARTICLE}")
_DEADLINE_WORDS = re.compile(
    r"(?<!\w)(?:antes\s+del?|al|hasta(?:\s+el)?|para(?:\s+el)?|a\s+mas\s+tardar(?:\s+el)?|by|before|until|till"
    rf"|no\s+later\s+than|on\s+or\s+before|due(?:\s+by|\s+on)?)\s+{ARTICLE}"
)
_MONTH_WINDOW = re.compile(r"(?<!\w)(?:en|in|durante|during)\s+(?:(?:el\s+)?mes\s+de\s+)?")
_NUMBER_WORDS = {"un": 1, "una": 1, "a": 1, "one": 1, "dos": 2, "two": 2, "tres": 3, "three": 3, "cuatro": 4, "four": 4, "seis": 6, "six": 6}
_DURATION = re.compile(
    r"(?<!\w)(?:en|in|within|dentro\s+de)\s+(?:(?:los|las|the)\s+)?(?:(?:proximos|proximas|next)\s+)?"
    rf"(?P<count>\d{{1,3}}|{alternation(_NUMBER_WORDS)})\s+(?P<unit>dias?|semanas?|mes(?:es)?|days?|weeks?|months?)" + END
)


@dataclass


class Timing:
    """What the time phrases of a text said, and where they are (`spans`, to set them aside)."""

    start: date | None = None
    deadline: date | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)

    def free(self, begin: int, end: int) -> bool:
        return all(end <= left or begin >= right for left, right in self.spans)


def read_timing(folded: str, *, today: date, language: str) -> Timing:
    """The start and deadline of folded goal text: a range first, then a start, a deadline, a
    month, a duration, each only where no earlier phrase was read."""
    timing = Timing()
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


def _read_range(folded: str, timing: Timing, today: date, language: str) -> None:
    for opening in _RANGE_OPEN.finditer(folded):
        first = read_date(folded, opening.end(), language)
        join = _RANGE_JOIN.match(folded, first[0]) if first else None
        second = read_date(folded, join.end(), language) if join else None
        if first and second:
            start = first[1].as_start(today)
            deadline = second[1].as_deadline(start or today) if start else None
            if start and deadline:
                timing.start, timing.deadline = start, deadline
                timing.spans.append((opening.start(), second[0]))
                return


def _read_start(folded: str, timing: Timing, today: date, language: str) -> None:
    for keyword in _START_WORDS.finditer(folded):
        found = read_date(folded, keyword.end(), language)
        start = found[1].as_start(today) if found else None
        if found and start and timing.free(keyword.start(), found[0]):
            timing.start = start
            timing.spans.append((keyword.start(), found[0]))
            return


def _read_deadline(folded: str, timing: Timing, today: date, language: str) -> None:
    for keyword in _DEADLINE_WORDS.finditer(folded):
        found = read_date(folded, keyword.end(), language)
        deadline = found[1].as_deadline(timing.start or today) if found else None
        if found and deadline and timing.free(keyword.start(), found[0]):
            timing.deadline = deadline
            timing.spans.append((keyword.start(), found[0]))
            return


def _read_month_window(folded: str, timing: Timing, today: date, language: str) -> None:
    """`en marzo`, `in March 2026`: the whole month (from today if it already began)."""
    for keyword in _MONTH_WINDOW.finditer(folded):
        found = read_date(folded, keyword.end(), language)
        if found is None or found[1].day is not None or not timing.free(keyword.start(), found[0]):
            continue
        deadline = found[1].as_deadline(timing.start or today)
        if deadline is not None:
            timing.deadline = deadline
            if timing.start is None:
                timing.start = max(deadline.replace(day=1), today)
            timing.spans.append((keyword.start(), found[0]))
            return


def _read_duration(folded: str, timing: Timing, today: date) -> None:
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
    found = read_date(folded, keyword.end() if keyword else 0, language)
    if found and found[0] == len(folded):
        deadline = found[1].as_deadline(today)
        if deadline is not None:
            return deadline
    timing = Timing()
    _read_duration(folded, timing, today)
    if timing.deadline is not None and timing.spans == [(0, len(folded))]:
        return timing.deadline
    raise UserError(
        "smart.unknown_date", text=text.strip(), example=written_day(today + timedelta(weeks=4), language), **example_params(today, language)
    )

