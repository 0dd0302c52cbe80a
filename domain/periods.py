"""Days, ISO weeks and calendar months, in the team's timezone.

A value belongs to the period its moment falls in *in the team's timezone*: something logged on
Sunday at 23:30 in Bogotá belongs to that Bogotá week, even though it is already Monday in UTC.
Weeks are ISO weeks (Monday to Sunday; week 1 holds the year's first Thursday, so 2026-W01
starts on 2025-12-29). Pure: "today" and "now" are parameters.

What follows `for`/`para` in `/alinea kpi log KEY VALUE for PERIOD` is read by `parse_period`;
`split_for_period` finds that clause in a line. The rules:

* Understood in both languages whatever the team's language: ISO weeks (`2026-W02`, `2026-w2`,
  `W02`, `semana 2`, `week 2 of 2026`, `semana del 12 de enero`), months (`2026-01`, `01/2026`,
  `enero`, `Enero 2026`, `enero de 2026`, `january`, `ene`, `sept`), days (`2026-01-12`,
  `12/01/2026`, `12 de enero`, `enero 12`, `January 12, 2026`, `fin de enero`: any date
  `domain.dates` reads, as goals and deadlines read them) and relative words (`hoy`, `today`,
  `ayer`, `antier`, `esta semana`, `la semana pasada`, `last week`, `este mes`, `el mes pasado`,
  `last month`…). A leading article (`el`, `la`, `the`) is allowed.
* `12/01/2026` is day first in Spanish and month first in English; when that order gives no
  date but the other one does (`13/01/2026` in English) the other one is used, since it can
  only mean that. A month named alone may be abbreviated here (`ene`, `sept`): after
  `for`/`para` a period is expected, where in a goal's sentence `mar` or `may` could be a word.
* Without a year, a week number, month name or day means the most recent one that is not in
  the future ("enero" typed in March 2026 is January 2026; typed in December 2025 it is January
  2025). A period that starts after today is refused (`periods.future`): a value cannot be
  logged for it yet. The current week and month are fine.
* `split_for_period`: the first `for`/`para` followed by something that reads as a period
  (longest reading wins) is the period clause, wherever it appears after the value; everything
  else is the note. A `para` that is not followed by a period ("para la feria") stays in the
  note. The recognition is by shape only, so `para 31/02/2026` is still taken as the period and
  `parse_period` then says it does not exist, rather than silently keeping it in the note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from babel.dates import format_interval, format_skeleton

from domain.dates import ANY_MONTH, ARTICLE, END, FULL_MONTH_NAMES, MONTHS, YEAR_AFTER, alternation, date_matches, typed_date
from domain.errors import UserError
from domain.locales import normalize_locale
from domain.numbers import fold_keeping_positions

DAY = "day"
WEEK = "week"
MONTH = "month"
KINDS = (DAY, WEEK, MONTH)


# ---------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True, order=True)
class Period:
    """A day, an ISO week (starting Monday) or a calendar month, named by its first day."""

    kind: str
    start: date

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown period kind {self.kind!r}")
        if self.kind == WEEK and self.start.weekday() != 0:
            raise ValueError(f"a week starts on a Monday, not on {self.start}")
        if self.kind == MONTH and self.start.day != 1:
            raise ValueError(f"a month starts on its first day, not on {self.start}")

    @classmethod
    def day(cls, d: date) -> Period:
        return cls(DAY, d)

    @classmethod
    def week_of(cls, d: date) -> Period:
        return cls(WEEK, d - timedelta(days=d.weekday()))

    @classmethod
    def month_of(cls, d: date) -> Period:
        return cls(MONTH, d.replace(day=1))

    @classmethod
    def of(cls, kind: str, d: date) -> Period:
        """The period of this kind that contains `d`."""
        if kind == DAY:
            return cls.day(d)
        if kind == WEEK:
            return cls.week_of(d)
        if kind == MONTH:
            return cls.month_of(d)
        raise ValueError(f"unknown period kind {kind!r}")

    @classmethod
    def iso_week(cls, year: int, week: int) -> Period:
        """ISO week `week` of ISO year `year`; ValueError when the year has no such week."""
        return cls(WEEK, date.fromisocalendar(year, week, 1))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(MONTH, date(year, month, 1))

    @classmethod
    def parse_key(cls, key: str) -> Period:
        """"2026-01-12" → day, "2026-W02" → week, "2026-01" → month. ValueError otherwise
        (keys are what we store and put in buttons; what people type goes to `parse_period`)."""
        match = _KEY.fullmatch(key.strip())
        if match is None:
            raise ValueError(f"not a period key: {key!r}")
        year = int(match.group("year"))
        if match.group("week"):
            return cls.iso_week(year, int(match.group("week")))
        if match.group("day"):
            return cls.day(date(year, int(match.group("month")), int(match.group("day"))))
        return cls.month(year, int(match.group("month")))

    @property
    def end(self) -> date:
        """The first day after the period (exclusive end)."""
        if self.kind == DAY:
            return self.start + timedelta(days=1)
        if self.kind == WEEK:
            return self.start + timedelta(days=7)
        return _add_months(self.start, 1)

    @property
    def key(self) -> str:
        if self.kind == DAY:
            return self.start.isoformat()
        if self.kind == WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year:04d}-W{week:02d}"
        return f"{self.start.year:04d}-{self.start.month:02d}"

    def previous(self) -> Period:
        if self.kind == MONTH:
            return Period(MONTH, _add_months(self.start, -1))
        return Period(self.kind, self.start - (self.end - self.start))

    def next(self) -> Period:
        return Period(self.kind, self.end)

    def contains(self, d: date) -> bool:
        return self.start <= d < self.end

    def days(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range((self.end - self.start).days)]


_KEY = re.compile(r"(?P<year>\d{4})-(?:W(?P<week>\d{2})|(?P<month>\d{2})(?:-(?P<day>\d{2}))?)")


def _add_months(first_day: date, months: int) -> date:
    index = first_day.year * 12 + first_day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


# ---------------------------------------------------------------------------------------------
# Which month a period counts in
#
# One rule for every monthly figure (KPI values, SLA attainment and breaches, key-result
# readings, the monthly agenda): a day counts in its calendar month, and a week counts in the
# month that holds its Thursday, the month with most of its days (ISO 8601 gives weeks to years
# the same way). A week never counts in two months, nor in none: 30 Nov–6 Dec 2026 is December's,
# 26 Oct–1 Nov 2026 is October's.


def month_counted_in(period: Period) -> Period:
    """The month `period` counts in: a day's or a month's own, a week's by its Thursday."""
    if period.kind == WEEK:
        return Period.month_of(period.start + timedelta(days=3))
    return Period.month_of(period.start)


def counts_in_month(period: Period, month: Period) -> bool:
    if month.kind != MONTH:
        raise ValueError(f"not a month: {month}")
    return month_counted_in(period) == month


def weeks_of_month(month: Period) -> list[Period]:
    """The weeks that count in `month`, oldest first (four or five)."""
    week = Period.week_of(month.start + timedelta(days=3))  # its Thursday is one of the month's first 7 days
    weeks = []
    while counts_in_month(week, month):
        weeks.append(week)
        week = week.next()
    return weeks


def month_close(month: Period) -> date:
    """The last day of the last week that counts in `month` (a Sunday): what the month's figures
    counted in weeks, such as a key result's weekly reading, are read as of."""
    return weeks_of_month(month)[-1].end - timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Time zones


def local_date(moment: datetime, timezone: str) -> date:
    """The date `moment` falls on in `timezone`. A naive datetime is refused (ValueError):
    without an offset nobody knows which day it was."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a moment needs a timezone offset")
    return moment.astimezone(ZoneInfo(timezone)).date()


def period_of(moment: datetime, kind: str, timezone: str) -> Period:
    """The day, week or month `moment` falls in, in the team's timezone."""
    return Period.of(kind, local_date(moment, timezone))


def week_bounds_utc(period: Period, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) of the period in UTC: local midnight of its first day and of the day after it.

    Works for every kind of period, not only weeks. Where a daylight-saving change skips
    midnight, the day starts at the first instant it has (zoneinfo's fold=0 rule gives exactly
    that).
    """
    zone = ZoneInfo(timezone)
    start = datetime.combine(period.start, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(period.end, time(0), tzinfo=zone).astimezone(UTC)
    return start, end


period_bounds_utc = week_bounds_utc


# ---------------------------------------------------------------------------------------------
# Words

_RELATIVE = {  # folded phrase → (kind, how many periods back)
    **dict.fromkeys(("hoy", "today"), (DAY, 0)),
    **dict.fromkeys(("ayer", "yesterday"), (DAY, 1)),
    **dict.fromkeys(("antier", "anteayer", "antes de ayer", "day before yesterday"), (DAY, 2)),
    **dict.fromkeys(("esta semana", "this week", "semana actual", "current week"), (WEEK, 0)),
    **dict.fromkeys(("semana pasada", "semana anterior", "last week", "previous week", "past week"), (WEEK, 1)),
    **dict.fromkeys(("este mes", "this month", "mes actual", "current month"), (MONTH, 0)),
    **dict.fromkeys(("mes pasado", "mes anterior", "last month", "previous month", "past month"), (MONTH, 1)),
}

# How `format_period` names a week. The domain reads no catalogs, so these two templates live
# here; months and days come from Babel's locale data.
_WEEK_TEMPLATES = {"es": "semana {week} de {year} ({days})", "en": "week {week} of {year} ({days})"}


class _NotAPeriod(Exception):
    """Shaped like a period but none exists ("31/02/2026", "2026-W54"); parse_period says so."""


# A builder makes the period once today and the language are known; it may raise _NotAPeriod.
_Builder = Callable[[date, str], "Period"]
_Matcher = Callable[[str, int], "list[tuple[int, _Builder]]"]


def _matchers() -> list[_Matcher]:
    """Each matcher reads a period at a position of folded text: [(end, builder)]."""

    def regex_matcher(pattern: str, build: Callable[[re.Match, date, str], Period]) -> _Matcher:
        compiled = re.compile(pattern + END)

        def match(text: str, pos: int) -> list[tuple[int, _Builder]]:
            found = compiled.match(text, pos)
            if found is None:
                return []
            return [(found.end(), lambda today, language, found=found: build(found, today, language))]

        return match

    def relative(found: re.Match, today: date, language: str) -> Period:
        kind, back = _RELATIVE[re.sub(r"\s+", " ", found.group("phrase"))]
        period = Period.of(kind, today)
        for _ in range(back):
            period = period.previous()
        return period

    def iso_week(found: re.Match, today: date, language: str) -> Period:
        return _week(int(found.group("year")), int(found.group("week")))

    def week_number(found: re.Match, today: date, language: str) -> Period:
        week = int(found.group("week"))
        if found.group("year"):
            return _week(int(found.group("year")), week)
        this_year = today.isocalendar()[0]
        for year in (this_year, this_year - 1):
            try:
                period = Period.iso_week(year, week)
            except ValueError:
                continue
            if period.start <= today:
                return period
        return _week(this_year, week)  # no such week lately: say what was typed

    def month_key(found: re.Match, today: date, language: str) -> Period:
        return _month(int(found.group("year")), int(found.group("month")))

    def month_name(found: re.Match, today: date, language: str) -> Period:
        month = MONTHS[found.group("month")]
        if found.group("year"):
            return _month(int(found.group("year")), month)
        year = today.year if month <= today.month else today.year - 1
        return Period.month(year, month)

    def day(text: str, pos: int) -> list[tuple[int, _Builder]]:
        """A day as `domain.dates` reads it; a month named alone is `month_name`'s."""
        return [
            (found.end(), lambda today, language, found=found: _typed_day(found, today, language))
            for found in date_matches(text, pos, month_alone=False)
        ]

    def week_of_date(text: str, pos: int) -> list[tuple[int, _Builder]]:
        found = re.compile(r"(?:semana\s+del?|week\s+of)\s+(?:(?:el|the)\s+)?").match(text, pos)
        if found is None:
            return []
        return [
            (end, lambda today, language, build=build: Period.week_of(build(today, language).start))
            for end, build in day(text, found.end())
        ]

    return [
        regex_matcher(rf"(?P<phrase>{alternation(_RELATIVE)})", relative),
        regex_matcher(r"(?P<year>\d{4})-?w(?P<week>\d{1,2})", iso_week),
        regex_matcher(r"w(?P<week>\d{1,2})(?P<year>)", week_number),
        regex_matcher(
            rf"(?:semana|week|sem|wk)\.?\s*(?:#|no\.?|n\.o\.?|numero|number)?\s*(?P<week>\d{{1,2}}){YEAR_AFTER}", week_number
        ),
        week_of_date,
        regex_matcher(r"(?P<year>\d{4})[-/](?P<month>\d{1,2})", month_key),
        regex_matcher(r"(?P<month>\d{1,2})[-/](?P<year>\d{4})", month_key),
        regex_matcher(rf"{ANY_MONTH}{YEAR_AFTER}", month_name),
        day,
    ]


def _week(year: int, week: int) -> Period:
    try:
        return Period.iso_week(year, week)
    except ValueError:
        raise _NotAPeriod from None


def _month(year: int, month: int) -> Period:
    if not 1 <= month <= 12 or year < 1:
        raise _NotAPeriod
    return Period.month(year, month)


def _typed_day(found: re.Match[str], today: date, language: str) -> Period:
    """The day a date names; without a year, the most recent such day that is not in the future."""
    typed = typed_date(found, language)
    day = typed.as_past_day(today) if typed is not None else None
    if day is None:
        raise _NotAPeriod
    return Period.day(day)


_MATCHERS: list[_Matcher] = _matchers()
_ARTICLE = re.compile(ARTICLE)


def _readings(folded: str, pos: int) -> list[tuple[int, _Builder]]:
    """Every way a period can be read at `pos` (after an optional article), longest first."""
    starts = {pos}
    article = _ARTICLE.match(folded, pos)
    if article and article.end() > pos:
        starts.add(article.end())
    found = [reading for start in starts for matcher in _MATCHERS for reading in matcher(folded, start)]
    return sorted(found, key=lambda reading: reading[0], reverse=True)


def _language(language: str) -> str:
    return normalize_locale(language) or "es"


# ---------------------------------------------------------------------------------------------
# Reading what people type


def parse_period(text: str, *, today: date, language: str) -> Period:
    """`semana pasada`, `2026-W02`, `enero`, `12/01/2026`… → the Period (see the module docstring).

    Raises UserError `periods.future` (period=key) for a period that starts after `today`, and
    `periods.unknown` (text, examples) for anything else it cannot read.
    """
    language = _language(language)
    stripped = text.strip().rstrip(".").strip()
    folded = fold_keeping_positions(stripped)
    period = None
    for end, build in _readings(folded, 0):
        if end != len(folded):
            continue
        try:
            period = build(today, language)
        except _NotAPeriod:
            continue
        break
    if period is None:
        raise UserError("periods.unknown", text=text.strip(), examples=period_examples(today, language))
    if period.start > today:
        raise UserError("periods.future", period=period.key)
    return period


def period_examples(today: date, language: str) -> str:
    """Four ways to name a recent period, valid on `today`, as the team would type them."""
    language = _language(language)
    last_week = Period.week_of(today).previous()
    last_month = Period.month_of(today).previous()
    yesterday = today - timedelta(days=1)
    if language == "en":
        words, typed_day = "last week", f"{yesterday.month:02d}/{yesterday.day:02d}/{yesterday.year}"
    else:
        words, typed_day = "semana pasada", f"{yesterday.day:02d}/{yesterday.month:02d}/{yesterday.year}"
    month_name = FULL_MONTH_NAMES[language][last_month.start.month - 1]
    return ", ".join(f"`{example}`" for example in (words, last_week.key, month_name, typed_day))


_FOR = re.compile(r"(?<!\S)(?:for|para)\s+")


def split_for_period(text: str) -> tuple[str, str | None]:
    """`"1,6 % for 2026-W02 campaña navidad"` → ("1,6 % campaña navidad", "2026-W02").

    The first `for`/`para` followed by something shaped like a period is the clause; the period
    text comes back as typed (without `for`/`para`), for `parse_period`. Without such a clause:
    (text stripped, None).
    """
    folded = fold_keeping_positions(text)
    for keyword in _FOR.finditer(folded):
        readings = _readings(folded, keyword.end())
        if not readings:
            continue
        end = readings[0][0]
        before = text[: keyword.start()].rstrip()
        after = re.sub(r"^\s*[,;:.]?\s*", "", text[end:], count=1).rstrip()
        rest = " ".join(part for part in (before, after) if part)
        return rest, text[keyword.end() : end]
    return text.strip(), None


# ---------------------------------------------------------------------------------------------
# Writing


def format_period(period: Period, language: str) -> str:
    """"semana 3 de 2026 (12–18 ene)", "enero de 2026", "12 ene 2026" (Babel's dates)."""
    language = _language(language)
    if period.kind == DAY:
        return format_skeleton("yMMMd", period.start, locale=language)
    if period.kind == MONTH:
        return format_skeleton("yMMMM", period.start, locale=language)
    year, week, _ = period.start.isocalendar()
    last = period.end - timedelta(days=1)
    skeleton = "MMMd" if period.start.year == last.year else "yMMMd"
    days = format_interval(period.start, last, skeleton, locale=language)
    return _WEEK_TEMPLATES[language].format(week=week, year=year, days=days)
