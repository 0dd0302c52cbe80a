"""Dates for the examples Alinea prints (usage texts, refusals, form hints, help), computed from
`today` so that a person who copies one is never refused for a deadline already past.

The deadline is the end of the next quarter (far enough for a key result to be worth setting,
close enough to be believable), with a milestone at the end of each of its first two months;
a re-target moves to the end of the quarter after. A start is the first day of next month.
Each is written the way the team's language reads it back: `31/03/2027` in Spanish,
`Mar 31, 2027` in English (month first, unambiguous), ISO for the SLA's `from`.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from domain.locales import normalize_locale


def _month_end(year: int, month: int) -> date:
    while month > 12:
        year, month = year + 1, month - 12
    return date(year, month, monthrange(year, month)[1])


def quarter_end(today: date, *, ahead: int = 1) -> date:
    """The last day of the quarter `ahead` quarters after `today`'s (1: the next quarter)."""
    first_month_of_quarter = (today.month - 1) // 3 * 3 + 1
    return _month_end(today.year, first_month_of_quarter + 3 * ahead + 2)


def next_month_start(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


@dataclass(frozen=True)
class ExampleDates:
    start: date  # the first day of next month
    first_milestone: date  # the end of the next quarter's first month
    milestone: date  # the end of its second month
    deadline: date  # the end of the next quarter
    later: date  # the end of the quarter after: a re-target's new deadline


def example_dates(today: date) -> ExampleDates:
    deadline = quarter_end(today)
    return ExampleDates(
        start=next_month_start(today),
        first_milestone=_month_end(deadline.year, deadline.month - 2),
        milestone=_month_end(deadline.year, deadline.month - 1),
        deadline=deadline,
        later=quarter_end(today, ahead=2),
    )


def typed_day(day: date, language: str | None) -> str:
    """A day as a person of that language types it and Alinea reads it back."""
    if normalize_locale(language) == "en":
        return format_date(day, format="medium", locale="en")
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def example_params(today: date, language: str | None) -> dict[str, str]:
    """The message parameters every dated example uses: `{example_start}`, `{example_first_milestone}`,
    `{example_milestone}`, `{example_deadline}`, `{example_later}` typed the team's way, and `{example_start_iso}`."""
    dates = example_dates(today)
    params = {f"example_{name}": typed_day(getattr(dates, name), language) for name in ("start", "first_milestone", "milestone", "deadline", "later")}
    params["example_start_iso"] = dates.start.isoformat()
    return params
