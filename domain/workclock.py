"""The escalation clock: how many working hours lie between two instants, and when a window ends.

Working hours default to Monday–Friday 08:00–17:00 in the team's timezone
(configurable with `WorkingHours`), and the public holidays of the team's country pause the clock.

Rules decided here (tested in tests/unit/test_workclock.py):

- **Pure.** Every function takes its instants and a `is_holiday(date) -> bool` predicate; nothing
  reads the clock. `holiday_checker()` builds that predicate from the `holidays` package, which
  is pure data (no I/O, no network), so it lives here next to the clock it feeds; a service may
  pass any other predicate (a team's own days off, a test's fixed set).
- **Aware datetimes in, UTC out.** A naive datetime is refused (`ValueError`, a bug: time is stored in UTC
  stores and passes time in UTC). Working days and hours are read in the team's timezone; each
  working day becomes a UTC interval, so a DST change inside a working day simply makes that day
  shorter or longer in real time.
- **Exact.** Work is counted in whole microseconds (the resolution of `datetime`), so adding N
  hours and measuring them again gives N back exactly (to the microsecond).
  `working_hours_between` returns a `Decimal` number of hours.
- **Boundaries.** `add_working_hours` never lands in non-working time except exactly at a
  boundary: a window that ends at a day's close ends at 17:00 that day, not at 08:00 of the next
  working day. Adding 0 hours returns the start itself (in UTC), wherever it is.
- **Order.** `working_hours_between(a, b)` is 0 when `b <= a` (a job's clock slightly behind the
  post's timestamp never yields negative hours).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from decimal import Decimal
from typing import Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

import holidays as holidays_data

__all__ = [
    "DEFAULT_WORKING_HOURS",
    "HolidayCheck",
    "WorkingHours",
    "add_working_hours",
    "holiday_checker",
    "is_working_time",
    "no_holidays",
    "working_hours_between",
]

HolidayCheck = Callable[[date], bool]

_MICROS_PER_HOUR = 3_600_000_000
_ONE_DAY = timedelta(days=1)
# How far add_working_hours looks for working time before calling the calendar broken (a
# predicate that says every day is a holiday would otherwise loop for ever).
_MAX_SEARCH_DAYS = 366 * 20


@dataclass(frozen=True)
class WorkingHours:
    """Which weekdays (Monday = 0) and which local times of day count as work."""

    days: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))
    start: time = time(8, 0)
    end: time = time(17, 0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", frozenset(self.days))
        if not self.days or not self.days <= set(range(7)):
            raise ValueError(f"working days must be a non-empty subset of 0..6 (Monday = 0), not {sorted(self.days)}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("working hours are local times of day: pass them without a timezone")
        if not self.start < self.end:
            raise ValueError(f"the working day must start before it ends ({self.start} – {self.end})")


DEFAULT_WORKING_HOURS = WorkingHours()


def no_holidays(day: date) -> bool:
    """The `is_holiday` of a team that works every weekday of its working hours."""
    return False


def holiday_checker(country: str, years: int | Iterable[int] | None = None) -> HolidayCheck:
    """`is_holiday` for a country's public holidays (ISO 3166 code: "CO", "MX", "US"…).

    `years` are computed up front; any other year is computed on first use (the `holidays`
    package expands its calendar lazily; a lock makes that safe across threads). An unknown
    country is a `ValueError`: the team's country is validated when the team is set up.
    """
    try:
        calendar = holidays_data.country_holidays(country.strip().upper(), years=years)
    except NotImplementedError as error:
        raise ValueError(f"no public holiday calendar for country {country!r}") from error
    lock = threading.Lock()

    def is_holiday(day: date) -> bool:
        with lock:
            return day in calendar

    return is_holiday


# ---------------------------------------------------------------------------------------------
# The clock


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got {moment!r})")
    return moment.astimezone(dt_timezone.utc)


def _working_day(day: date, zone: ZoneInfo, hours: WorkingHours, is_holiday: HolidayCheck) -> tuple[datetime, datetime] | None:
    """The UTC interval worked on `day` (a local date), or None when it is not a working day."""
    if day.weekday() not in hours.days or is_holiday(day):
        return None
    opens = datetime.combine(day, hours.start, tzinfo=zone).astimezone(dt_timezone.utc)
    closes = datetime.combine(day, hours.end, tzinfo=zone).astimezone(dt_timezone.utc)
    return (opens, closes) if opens < closes else None


def _days_from(first: date) -> Iterator[date]:
    day = first
    while True:
        yield day
        day += _ONE_DAY


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def working_hours_between(
    start: datetime,
    end: datetime,
    *,
    timezone: str,
    hours: WorkingHours = DEFAULT_WORKING_HOURS,
    is_holiday: HolidayCheck = no_holidays,
) -> Decimal:
    """Working hours from `start` to `end` (0 when `end <= start`), exact to the microsecond."""
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    if end_utc <= start_utc:
        return Decimal(0)
    zone = ZoneInfo(timezone)
    # One local day of margin on each side: a working interval is found by its local date.
    first = start_utc.astimezone(zone).date() - _ONE_DAY
    last = end_utc.astimezone(zone).date() + _ONE_DAY
    total = 0
    day = first
    while day <= last:
        interval = _working_day(day, zone, hours, is_holiday)
        if interval is not None:
            opens, closes = max(interval[0], start_utc), min(interval[1], end_utc)
            if opens < closes:
                total += _micros(closes - opens)
        day += _ONE_DAY
    return Decimal(total) / _MICROS_PER_HOUR


def add_working_hours(
    start: datetime,
    hours: float | int | Decimal,
    *,
    timezone: str,
    hours_config: WorkingHours = DEFAULT_WORKING_HOURS,
    is_holiday: HolidayCheck = no_holidays,
) -> datetime:
    """The instant (UTC) at which `hours` working hours have passed since `start`.

    A breach posted on Friday 16:00 in Bogotá with a 24-hour window is due on Wednesday 13:00
    (1 h on Friday, 9 on Monday, 9 on Tuesday, 5 on Wednesday); when Monday is a public holiday
    it is due on Thursday 13:00. `hours` is rounded to the microsecond; negative is a ValueError.
    """
    start_utc = _utc(start, "start")
    amount = Decimal(str(hours)) if isinstance(hours, float) else Decimal(hours)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"working hours to add must be a finite number >= 0, not {hours!r}")
    remaining = int((amount * _MICROS_PER_HOUR).to_integral_value())
    if remaining == 0:
        return start_utc
    zone = ZoneInfo(timezone)
    first = start_utc.astimezone(zone).date() - _ONE_DAY
    for searched, day in enumerate(_days_from(first)):
        if searched > _MAX_SEARCH_DAYS:
            raise ValueError(f"no working time within {_MAX_SEARCH_DAYS} days of {start_utc.isoformat()}: check the calendar")
        interval = _working_day(day, zone, hours_config, is_holiday)
        if interval is None:
            continue
        opens, closes = max(interval[0], start_utc), interval[1]
        if opens >= closes:
            continue
        available = _micros(closes - opens)
        if remaining <= available:
            return opens + timedelta(microseconds=remaining)
        remaining -= available
    raise AssertionError("unreachable")  # pragma: no cover


def is_working_time(
    moment: datetime,
    *,
    timezone: str,
    hours: WorkingHours = DEFAULT_WORKING_HOURS,
    is_holiday: HolidayCheck = no_holidays,
) -> bool:
    """Whether the clock runs at `moment`: a working day, from its opening up to (not at) its close."""
    moment_utc = _utc(moment, "moment")
    zone = ZoneInfo(timezone)
    local_day = moment_utc.astimezone(zone).date()
    for day in (local_day - _ONE_DAY, local_day, local_day + _ONE_DAY):
        interval = _working_day(day, zone, hours, is_holiday)
        if interval is not None and interval[0] <= moment_utc < interval[1]:
            return True
    return False
