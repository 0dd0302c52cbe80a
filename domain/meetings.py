"""When a team's weekly and monthly meetings happen, and when their agendas are posted.

A team meets once per ISO week (a weekday at a local time) and once per calendar month (the nth
weekday of the month, or the last one, at a local time). The agenda is posted a lead time
before the meeting (two hours by default), so people read it before they walk in. Pure: `now`
and the holiday calendar are parameters; `is_holiday` defaults to the public holidays of the
team's country (`domain.workclock.holiday_checker`).

Rules decided here (tested in tests/unit/test_meetings.py):

- **A holiday moves the post, not the meeting** ("A public holiday of the team's
  country moves the post to the previous working day"). When the local date of the post is a
  public holiday or not one of the team's work days, the post moves to the previous working
  day at the same local clock time: a Monday 09:00 meeting whose Monday is a holiday gets its
  agenda on Friday at 07:00. The meeting itself stays as configured (`meeting_at` is never
  moved): whether a team still meets on a holiday, or meets another day, is the team's call,
  not something the bot can guess; posting early is right either way.
- **The lead time is real time.** The post is `meeting_at - agenda_lead_time` in UTC, so two
  hours are two hours even across a daylight-saving change; the holiday rule then reads that
  instant's local date, so a lead time that crosses midnight (a 01:00 meeting, posted at 23:00)
  is judged by the day the post really falls on.
- **Local times become instants through ZoneInfo.** A local time that a DST change skips
  (02:30 on the spring-forward night) is read with fold=0, i.e. as the instant one hour later
  in the new offset; one that happens twice is its first occurrence.
- **Due means useful.** An agenda is due from its post time until its meeting starts
  (`post_at <= now < meeting_at`): a run missed while the bot was down is posted once at
  start-up if the meeting has not begun; after that `missed` names it, to log "skipped, the
  meeting already happened". A post moves back at most to the previous period (a post moved
  further than a whole week or month by holidays is not supported).
- **Keys** are the period's: "2026-W12" for a weekly meeting, "2026-03" for a monthly one; the
  claim table stores them and `occurrence_for_key` reads them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.periods import MONTH, WEEK, Period, period_of
from domain.workclock import HolidayCheck, holiday_checker

__all__ = [
    "AgendaKind",
    "MeetingSchedule",
    "Occurrence",
    "due",
    "missed",
    "next_occurrence",
    "occurrence",
    "occurrence_for_key",
]

LAST = -1  # monthly_meeting_nth for "the last such weekday of the month"
_ONE_DAY = timedelta(days=1)
# How far back a post looks for a working day before calling the calendar broken (a predicate
# that says every day is a holiday would otherwise loop for ever).
_MAX_SEARCH_DAYS = 366
# How many periods next_occurrence walks before giving up; posts only move back, so the first
# period after the current one whose post is in the future is always within reach.
_MAX_PERIODS_AHEAD = 3


class AgendaKind(str, Enum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True, kw_only=True)
class MeetingSchedule:
    """A team's meeting settings (the AlignmentTeam columns, defaults included), Monday = 0."""

    timezone: str
    country: str
    weekly_meeting_weekday: int = 0
    weekly_meeting_time: time = time(9, 0)
    weekly_meeting_minutes: int = 30
    monthly_meeting_nth: int = 1
    monthly_meeting_weekday: int = 1
    monthly_meeting_time: time = time(9, 0)
    monthly_meeting_minutes: int = 60
    work_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    agenda_lead_time: timedelta = timedelta(hours=2)

    def __post_init__(self) -> None:
        object.__setattr__(self, "work_days", tuple(sorted(set(self.work_days))))
        _check_timezone(self.timezone)
        for weekday in (self.weekly_meeting_weekday, self.monthly_meeting_weekday):
            if weekday not in range(7):
                raise ValueError(f"a weekday is 0..6 (Monday = 0), not {weekday!r}")
        if self.monthly_meeting_nth not in (1, 2, 3, 4, LAST):
            raise ValueError(f"monthly_meeting_nth is 1..4 or -1 (the last), not {self.monthly_meeting_nth!r}")
        for clock in (self.weekly_meeting_time, self.monthly_meeting_time):
            if clock.tzinfo is not None:
                raise ValueError("meeting times are local times of day: pass them without a timezone")
        if self.weekly_meeting_minutes <= 0 or self.monthly_meeting_minutes <= 0:
            raise ValueError("a meeting lasts at least one minute")
        if not self.work_days or not set(self.work_days) <= set(range(7)):
            raise ValueError(f"work days must be a non-empty subset of 0..6 (Monday = 0), not {self.work_days}")
        # With no lead the post would coincide with the meeting and never be due.
        if self.agenda_lead_time <= timedelta(0):
            raise ValueError(f"the agenda lead time must be positive, not {self.agenda_lead_time}")


@dataclass(frozen=True)
class Occurrence:
    """One meeting: the period it belongs to and its instants, all in UTC."""

    kind: AgendaKind
    period: Period
    meeting_at: datetime
    post_at: datetime
    ends_at: datetime

    @property
    def key(self) -> str:
        """"2026-W12" or "2026-03": what the claim table stores for this meeting's agenda."""
        return self.period.key


# ---------------------------------------------------------------------------------------------
# One meeting


def occurrence(
    schedule: MeetingSchedule, kind: AgendaKind | str, period: Period, is_holiday: HolidayCheck | None = None
) -> Occurrence:
    """The meeting of `period` (an ISO week for WEEKLY, a month for MONTHLY) and its post time."""
    kind = AgendaKind(kind)
    if period.kind != _period_kind(kind):
        raise ValueError(f"a {kind.value} meeting belongs to a {_period_kind(kind)}, not to {period.key}")
    zone = ZoneInfo(schedule.timezone)
    meeting_at = _instant(_meeting_day(schedule, kind, period), _meeting_time(schedule, kind), zone)
    post_at = _post_at(meeting_at, schedule, zone, _holidays(schedule, is_holiday))
    ends_at = meeting_at + timedelta(minutes=_meeting_minutes(schedule, kind))
    return Occurrence(kind=kind, period=period, meeting_at=meeting_at, post_at=post_at, ends_at=ends_at)


def occurrence_for_key(
    schedule: MeetingSchedule, kind: AgendaKind | str, key: str, is_holiday: HolidayCheck | None = None
) -> Occurrence:
    """The occurrence named by `Occurrence.key` ("2026-W12", "2026-03"); ValueError otherwise."""
    return occurrence(schedule, kind, Period.parse_key(key), is_holiday)


# ---------------------------------------------------------------------------------------------
# Relative to now


def due(
    schedule: MeetingSchedule, kind: AgendaKind | str, now: datetime, is_holiday: HolidayCheck | None = None
) -> Occurrence | None:
    """The occurrence whose agenda should be posted at `now` (post_at <= now < meeting_at), or None.

    A meeting that has not started belongs to the current period or a later one; its post can
    fall in the period before (a holiday Monday posts on Friday), hence the next period too.
    """
    current = _current_period(schedule, kind, now)
    for period in (current, current.next()):
        candidate = occurrence(schedule, kind, period, is_holiday)
        if candidate.post_at <= now < candidate.meeting_at:
            return candidate
    return None


def missed(
    schedule: MeetingSchedule, kind: AgendaKind | str, now: datetime, is_holiday: HolidayCheck | None = None
) -> Occurrence:
    """The most recent occurrence whose meeting has started (meeting_at <= now).

    The current period's, once its meeting started; otherwise the previous period's, whose
    meeting lies in a period that is already over.
    """
    current = occurrence(schedule, kind, _current_period(schedule, kind, now), is_holiday)
    if current.meeting_at <= now:
        return current
    return occurrence(schedule, kind, current.period.previous(), is_holiday)


def next_occurrence(
    schedule: MeetingSchedule, kind: AgendaKind | str, now: datetime, is_holiday: HolidayCheck | None = None
) -> Occurrence:
    """The first occurrence whose agenda is posted after `now` (post_at > now): the next run."""
    period = _current_period(schedule, kind, now)
    for _ in range(_MAX_PERIODS_AHEAD):
        candidate = occurrence(schedule, kind, period, is_holiday)
        if candidate.post_at > now:
            return candidate
        period = period.next()
    raise AssertionError("unreachable: a later period always posts later")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Helpers


def _period_kind(kind: AgendaKind) -> str:
    return WEEK if kind is AgendaKind.WEEKLY else MONTH


def _meeting_time(schedule: MeetingSchedule, kind: AgendaKind) -> time:
    return schedule.weekly_meeting_time if kind is AgendaKind.WEEKLY else schedule.monthly_meeting_time


def _meeting_minutes(schedule: MeetingSchedule, kind: AgendaKind) -> int:
    return schedule.weekly_meeting_minutes if kind is AgendaKind.WEEKLY else schedule.monthly_meeting_minutes


def _meeting_day(schedule: MeetingSchedule, kind: AgendaKind, period: Period) -> date:
    if kind is AgendaKind.WEEKLY:
        return period.start + timedelta(days=schedule.weekly_meeting_weekday)
    return _nth_weekday(period, schedule.monthly_meeting_nth, schedule.monthly_meeting_weekday)


def _nth_weekday(month: Period, nth: int, weekday: int) -> date:
    """The nth `weekday` of `month` (1..4), or the last one (LAST)."""
    if nth == LAST:
        last_day = month.end - _ONE_DAY
        return last_day - timedelta(days=(last_day.weekday() - weekday) % 7)
    first = month.start + timedelta(days=(weekday - month.start.weekday()) % 7)
    return first + timedelta(weeks=nth - 1)


def _post_at(meeting_at: datetime, schedule: MeetingSchedule, zone: ZoneInfo, is_holiday: HolidayCheck) -> datetime:
    """The lead time before the meeting, moved to the previous working day when that day is off."""
    post_local = (meeting_at - schedule.agenda_lead_time).astimezone(zone)
    if _is_working_day(post_local.date(), schedule.work_days, is_holiday):
        return post_local.astimezone(UTC)
    day = _previous_working_day(post_local.date(), schedule.work_days, is_holiday)
    return _instant(day, post_local.time(), zone)


def _previous_working_day(day: date, work_days: tuple[int, ...], is_holiday: HolidayCheck) -> date:
    for _ in range(_MAX_SEARCH_DAYS):
        day -= _ONE_DAY
        if _is_working_day(day, work_days, is_holiday):
            return day
    raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days before {day}: check the calendar")


def _is_working_day(day: date, work_days: tuple[int, ...], is_holiday: HolidayCheck) -> bool:
    return day.weekday() in work_days and not is_holiday(day)


def _instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local date and time of day in `zone`, as a UTC instant."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def _current_period(schedule: MeetingSchedule, kind: AgendaKind | str, now: datetime) -> Period:
    # period_of refuses a naive `now` (ValueError): without an offset nobody knows the day.
    return period_of(now, _period_kind(AgendaKind(kind)), schedule.timezone)


def _holidays(schedule: MeetingSchedule, is_holiday: HolidayCheck | None) -> HolidayCheck:
    return is_holiday if is_holiday is not None else _country_holidays(schedule.country.strip().upper())


@cache
def _country_holidays(country: str) -> HolidayCheck:
    # One calendar per country for the process: the data is pure and expands lazily, and the
    # scheduler asks for it on every run of every team.
    return holiday_checker(country)


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown timezone {name!r}") from error
