"""Dates as people type them, in Spanish or English whatever the team's language: the one grammar
that goals, deadlines, milestones and the periods of `kpi log … for` read a date with.

    2026-03-31   31/03/2026   31/03/26   31-03-2026   31/03   31 de marzo (de 2026)   31 mar
    31st of March   March 31, 2026   marzo 31 de 2026   fin de marzo   end of March 2026   marzo

Numeric dates are day first in Spanish and month first in English; when that order gives no date
but the other one does (`13/01/2026` in English) the other one is used, since it can only mean
that. A two-digit year is this century's. Month names are both languages' full names and
abbreviations (`ene`, `sept`, `set`, `Jan`…), accents and case ignored, an abbreviation's dot
allowed. A month named alone (`marzo`, `March 2026`) is the whole month, and only by its full
name: in running text `mar`, `set` and `may` are words too (`domain.periods` reads months as
periods itself, abbreviations included). `fin de marzo` is its last day.

A date typed without a year is resolved by what its reader needs: a deadline is the next such day
on or after the start, a start the one nearest to today, a day a value is logged for the most
recent one that is not in the future. Pure: "today" is a parameter, and the text read is already
folded (`domain.numbers.fold_keeping_positions`), so positions line up with what was typed.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from typing import Iterable

from babel.dates import format_date

__all__ = [
    "ANY_MONTH",
    "ARTICLE",
    "END",
    "FULL_MONTH_NAMES",
    "MONTHS",
    "YEAR_AFTER",
    "TypedDate",
    "alternation",
    "date_matches",
    "read_date",
    "typed_date",
    "written_day",
]

FULL_MONTH_NAMES = {
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"),
    "en": ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"),
}  # fmt: skip
_ABBREVIATED_MONTH_NAMES = (
    ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
)
# "setiembre" is how Peru, Uruguay and others spell it; "sept" is Babel's Spanish abbreviation
# (what `written_day` writes, so it must read back), "set" the short form of "setiembre".
_FULL_MONTHS = {name: number for names in FULL_MONTH_NAMES.values() for number, name in enumerate(names, start=1)} | {"setiembre": 9}
MONTHS = _FULL_MONTHS | {name: number for names in _ABBREVIATED_MONTH_NAMES for number, name in enumerate(names, start=1)} | {"sept": 9, "set": 9}


def alternation(words: Iterable[str]) -> str:
    """A regex alternative of the phrases, longest first, a space matching any run of spaces."""
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in sorted(words, key=len, reverse=True))


END = r"(?=$|[\s,;:!?)\]]|\.(?:\s|$))"  # where a date (or period) may end: "31/03." and "31/03)" do
ARTICLE = r"(?:(?:el|la|the)\s+)?"
YEAR_AFTER = r"(?:(?:\s+de|\s+del|\s+of|,)?\s+(?P<year>\d{4}))?"
ANY_MONTH = rf"(?P<month>{alternation(MONTHS)})\.?"
_FULL_MONTH = rf"(?P<month>{alternation(_FULL_MONTHS)})"
_ORDINAL = r"(?:st|nd|rd|th|o)?"
_YEAR = r"(?P<year>\d{4}|\d{2})"

# In this order: of two readings that end at the same place, the first one listed is kept.
_DAY_PATTERNS = tuple(
    re.compile(pattern + END)
    for pattern in (
        r"(?P<year>\d{4})-(?P<month_number>\d{1,2})-(?P<day>\d{1,2})",
        rf"(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})(?:/{_YEAR})?",
        rf"(?P<a>\d{{1,2}})-(?P<b>\d{{1,2}})-{_YEAR}",
        rf"(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+de|\s+of)?\s+{ANY_MONTH}{YEAR_AFTER}",
        rf"{ANY_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL}(?:,?\s+(?:de\s+|of\s+)?(?P<year>\d{{4}}))?",
        rf"{ARTICLE}(?P<end>(?:fin|final|finales|cierre)\s+de(?:l\s+mes\s+de)?|end\s+of)\s+{_FULL_MONTH}(?P<day>){YEAR_AFTER}",
    )
)
_MONTH_ALONE = re.compile(rf"{_FULL_MONTH}(?P<day>){YEAR_AFTER}" + END)


@dataclass(frozen=True)
class TypedDate:
    """A date as typed, before its year is chosen. `day` None is the whole month, or its last day
    when `month_end` ("fin de marzo")."""

    day: int | None
    month: int
    year: int | None
    month_end: bool = False

    def on(self, year: int, *, first: bool) -> date | None:
        """The day in `year` (a whole month: its first day when `first`, else its last); None
        when that year has no such day."""
        if self.day is not None:
            day = self.day
        else:
            day = monthrange(year, self.month)[1] if self.month_end or not first else 1
        try:
            return date(year, self.month, day)
        except ValueError:
            return None

    def as_deadline(self, not_before: date) -> date | None:
        """The date itself, or without a year the first one on or after `not_before`."""
        if self.year is not None:
            return self.on(self.year, first=False)
        for year in range(not_before.year, not_before.year + 9):  # 29 February waits for a leap year
            found = self.on(year, first=False)
            if found is not None and found >= not_before:
                return found
        return None

    def as_start(self, today: date) -> date | None:
        """The date itself, or without a year the one nearest to today."""
        if self.year is not None:
            return self.on(self.year, first=True)
        candidates = [found for year in range(today.year - 1, today.year + 2) if (found := self.on(year, first=True))]
        return min(candidates, key=lambda day: abs((day - today).days), default=None)

    def as_past_day(self, today: date) -> date | None:
        """The date itself, or without a year the most recent one that is not after today."""
        if self.year is not None:
            return self.on(self.year, first=True)
        for year in range(today.year, today.year - 8, -1):  # 29 February waits for a leap year
            found = self.on(year, first=True)
            if found is not None and found <= today:
                return found
        return None


def date_matches(folded: str, pos: int, *, month_alone: bool = True) -> list[re.Match[str]]:
    """Every date shape that starts at `pos` of folded text, whether or not the date exists
    ("31/02/2026" is shaped like one: a caller may want to say it does not exist). Without
    `month_alone`, days only: no "marzo" (a reader of periods reads a month as a month)."""
    patterns = _DAY_PATTERNS + (_MONTH_ALONE,) if month_alone else _DAY_PATTERNS
    return [found for pattern in patterns if (found := pattern.match(folded, pos))]


def typed_date(found: re.Match[str], language: str) -> TypedDate | None:
    """The date a match of `date_matches` names; None when no such date exists."""
    groups = found.groupdict()
    year = groups.get("year")
    year_number = (int(year) + 2000 if len(year) == 2 else int(year)) if year else None
    if groups.get("a"):
        return _numeric_date(int(groups["a"]), int(groups["b"]), year_number, language)
    month = int(groups["month_number"]) if groups.get("month_number") else MONTHS[groups["month"]]
    day = int(groups["day"]) if groups.get("day") else None
    typed = TypedDate(day, month, year_number, month_end=bool(groups.get("end")))
    return typed if _exists(typed) else None


def _numeric_date(first: int, second: int, year: int | None, language: str) -> TypedDate | None:
    """Day first in Spanish, month first in English; the other order when only it exists."""
    orders = [(first, second), (second, first)]
    if language == "en":
        orders.reverse()
    for day, month in orders:
        typed = TypedDate(day, month, year)
        if _exists(typed):
            return typed
    return None


def _exists(typed: TypedDate) -> bool:
    """In its year, or in some year when it has none (2000 has a 29 February)."""
    return 1 <= typed.month <= 12 and typed.on(typed.year or 2000, first=True) is not None


def read_date(folded: str, pos: int, language: str) -> tuple[int, TypedDate] | None:
    """The longest date that starts at `pos` of folded text and exists: (end, date)."""
    best = None
    for found in date_matches(folded, pos):
        if best is None or found.end() > best[0]:
            typed = typed_date(found, language)
            if typed is not None:
                best = (found.end(), typed)
    return best


def written_day(day: date, language: str) -> str:
    """"31 mar 2026" / "Mar 31, 2026": short, in the team's language, and `read_date` reads it back."""
    return format_date(day, format="medium", locale=language)
