"""When meetings happen and when their agendas are posted (domain/meetings.py)."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.meetings import (
    AgendaKind,
    MeetingSchedule,
    Occurrence,
    due,
    missed,
    next_occurrence,
    occurrence,
    occurrence_for_key,
)
from domain.periods import Period
from domain.workclock import holiday_checker, no_holidays

WEEKLY, MONTHLY = AgendaKind.WEEKLY, AgendaKind.MONTHLY
COLOMBIA = holiday_checker("CO", years=range(2025, 2028))
MEXICO = holiday_checker("MX", years=range(2025, 2028))

# Bogotá (UTC-5 all year): weekly on Monday 09:00, monthly on the first Tuesday 09:00, Mon–Fri.
BOGOTA = MeetingSchedule(timezone="America/Bogota", country="CO")
NEW_YORK = MeetingSchedule(timezone="America/New_York", country="US")
MADRID = MeetingSchedule(timezone="Europe/Madrid", country="ES", monthly_meeting_nth=-1, monthly_meeting_weekday=0)
MEXICO_CITY = MeetingSchedule(timezone="America/Mexico_City", country="MX")


def local(schedule, *args):
    return datetime(*args, tzinfo=ZoneInfo(schedule.timezone))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def week(key):
    return Period.parse_key(key)


month = week


# ---------------------------------------------------------------------------------------------
# One occurrence, worked out by hand


@pytest.mark.parametrize(
    "schedule, kind, period, is_holiday, meeting_at, post_at",
    [
        # Monday 16 March 2026, 09:00 in Bogotá = 14:00 UTC; posted two hours earlier.
        (BOGOTA, WEEKLY, week("2026-W12"), COLOMBIA, utc(2026, 3, 16, 14), utc(2026, 3, 16, 12)),
        # Monday 23 March 2026 is San José (observed): the post moves to Friday 20 at 07:00;
        # the meeting stays on Monday.
        (BOGOTA, WEEKLY, week("2026-W13"), COLOMBIA, utc(2026, 3, 23, 14), utc(2026, 3, 20, 12)),
        (BOGOTA, WEEKLY, week("2026-W13"), no_holidays, utc(2026, 3, 23, 14), utc(2026, 3, 23, 12)),
        # Without an is_holiday the team's country decides: same as passing COLOMBIA.
        (BOGOTA, WEEKLY, week("2026-W13"), None, utc(2026, 3, 23, 14), utc(2026, 3, 20, 12)),
        # A team that works on Saturdays gets the holiday Monday's agenda on Saturday 21.
        (replace(BOGOTA, work_days=(0, 1, 2, 3, 4, 5)), WEEKLY, week("2026-W13"), COLOMBIA,
         utc(2026, 3, 23, 14), utc(2026, 3, 21, 12)),
        # A Saturday meeting: posted that Saturday only if the team works Saturdays.
        (replace(BOGOTA, weekly_meeting_weekday=5), WEEKLY, week("2026-W12"), COLOMBIA,
         utc(2026, 3, 21, 14), utc(2026, 3, 20, 12)),
        (replace(BOGOTA, weekly_meeting_weekday=5, work_days=range(6)), WEEKLY, week("2026-W12"), COLOMBIA,
         utc(2026, 3, 21, 14), utc(2026, 3, 21, 12)),
        # Mexico: Monday 16 March 2026 is Benito Juárez's birthday (third Monday of March); the
        # post moves to Friday 13 at 07:00 (Mexico City has stayed on UTC-6 since 2022).
        (MEXICO_CITY, WEEKLY, week("2026-W12"), MEXICO, utc(2026, 3, 16, 15), utc(2026, 3, 13, 13)),
        (MEXICO_CITY, WEEKLY, week("2026-W12"), None, utc(2026, 3, 16, 15), utc(2026, 3, 13, 13)),
        (MEXICO_CITY, WEEKLY, week("2026-W13"), MEXICO, utc(2026, 3, 23, 15), utc(2026, 3, 23, 13)),
        # Colombia's San José is not Mexico's holiday, and the other way round.
        (BOGOTA, WEEKLY, week("2026-W12"), None, utc(2026, 3, 16, 14), utc(2026, 3, 16, 12)),
        (MEXICO_CITY, WEEKLY, week("2026-W13"), None, utc(2026, 3, 23, 15), utc(2026, 3, 23, 13)),
        # Monthly, first Tuesday: 3 March 2026.
        (BOGOTA, MONTHLY, month("2026-03"), COLOMBIA, utc(2026, 3, 3, 14), utc(2026, 3, 3, 12)),
        # Monthly, first Monday of November 2026 is All Saints' (observed): posted on Friday 30
        # October, in the month before.
        (replace(BOGOTA, monthly_meeting_weekday=0), MONTHLY, month("2026-11"), COLOMBIA,
         utc(2026, 11, 2, 14), utc(2026, 10, 30, 12)),
        # Monthly, first Friday of May 2026 is Labour Day: posted on Thursday 30 April.
        (replace(BOGOTA, monthly_meeting_weekday=4), MONTHLY, month("2026-05"), COLOMBIA,
         utc(2026, 5, 1, 14), utc(2026, 4, 30, 12)),
    ],
)
def test_occurrence(schedule, kind, period, is_holiday, meeting_at, post_at):
    found = occurrence(schedule, kind, period, is_holiday)
    assert (found.kind, found.period, found.meeting_at, found.post_at) == (kind, period, meeting_at, post_at)
    assert found.meeting_at.tzinfo is UTC and found.post_at.tzinfo is UTC


def test_the_holidays_used_in_these_tests_are_what_the_calendar_says():
    assert COLOMBIA(date(2026, 3, 23)) and not COLOMBIA(date(2026, 3, 16))
    assert MEXICO(date(2026, 3, 16)) and not MEXICO(date(2026, 3, 23))
    assert COLOMBIA(date(2026, 11, 2)) and COLOMBIA(date(2026, 5, 1))


@pytest.mark.parametrize(
    "kind, minutes, period, ends_at",
    [
        (WEEKLY, 30, week("2026-W12"), utc(2026, 3, 16, 14, 30)),
        (MONTHLY, 60, month("2026-03"), utc(2026, 3, 3, 15)),
        (WEEKLY, 45, week("2026-W12"), utc(2026, 3, 16, 14, 45)),
    ],
)
def test_a_meeting_ends_after_its_minutes(kind, minutes, period, ends_at):
    schedule = replace(BOGOTA, weekly_meeting_minutes=minutes) if kind is WEEKLY else BOGOTA
    assert occurrence(schedule, kind, period, COLOMBIA).ends_at == ends_at


@pytest.mark.parametrize(
    "nth, weekday, key, day",
    [
        (1, 1, "2026-03", date(2026, 3, 3)),  # first Tuesday
        (2, 0, "2026-01", date(2026, 1, 12)),  # second Monday
        (4, 3, "2026-04", date(2026, 4, 23)),  # fourth Thursday
        (1, 6, "2026-02", date(2026, 2, 1)),  # first Sunday is the 1st itself
        (-1, 4, "2026-03", date(2026, 3, 27)),  # last Friday
        (-1, 4, "2026-01", date(2026, 1, 30)),
        (-1, 5, "2026-02", date(2026, 2, 28)),  # last Saturday is the last day itself
        (-1, 6, "2026-02", date(2026, 2, 22)),
        (-1, 0, "2026-06", date(2026, 6, 29)),
    ],
)
def test_the_monthly_meeting_day(nth, weekday, key, day):
    schedule = replace(BOGOTA, monthly_meeting_nth=nth, monthly_meeting_weekday=weekday, work_days=range(7))
    found = occurrence(schedule, MONTHLY, month(key), no_holidays)
    assert found.meeting_at == datetime.combine(day, time(9), tzinfo=ZoneInfo("America/Bogota"))


# ---------------------------------------------------------------------------------------------
# Daylight saving and midnight


@pytest.mark.parametrize(
    "schedule, kind, period, work_days, meeting_at, post_at",
    [
        # New York springs forward on Sunday 8 March 2026: 09:00 is 14:00 UTC before, 13:00 after.
        (NEW_YORK, WEEKLY, week("2026-W10"), range(5), utc(2026, 3, 2, 14), utc(2026, 3, 2, 12)),
        (NEW_YORK, WEEKLY, week("2026-W11"), range(5), utc(2026, 3, 9, 13), utc(2026, 3, 9, 11)),
        # ...and falls back on Sunday 1 November 2026.
        (NEW_YORK, WEEKLY, week("2026-W44"), range(5), utc(2026, 10, 26, 13), utc(2026, 10, 26, 11)),
        (NEW_YORK, WEEKLY, week("2026-W45"), range(5), utc(2026, 11, 2, 14), utc(2026, 11, 2, 12)),
        # A Sunday 04:00 meeting on the spring-forward night (08:00 UTC): two real hours earlier
        # is 01:00 EST, three hours on the wall clock.
        (replace(NEW_YORK, weekly_meeting_weekday=6, weekly_meeting_time=time(4)), WEEKLY, week("2026-W10"),
         range(7), utc(2026, 3, 8, 8), utc(2026, 3, 8, 6)),
        # Madrid, last Monday of the month, 09:00: CET (UTC+1) in February, CEST (UTC+2) after
        # Sunday 29 March.
        (MADRID, MONTHLY, month("2026-02"), range(5), utc(2026, 2, 23, 8), utc(2026, 2, 23, 6)),
        (MADRID, MONTHLY, month("2026-03"), range(5), utc(2026, 3, 30, 7), utc(2026, 3, 30, 5)),
        # Madrid, last Sunday 09:00 with Sunday off: the post moves to Friday 27 March 07:00,
        # still CET (06:00 UTC), while the meeting is in CEST (07:00 UTC).
        (replace(MADRID, monthly_meeting_weekday=6), MONTHLY, month("2026-03"), range(5),
         utc(2026, 3, 29, 7), utc(2026, 3, 27, 6)),
    ],
)
def test_daylight_saving(schedule, kind, period, work_days, meeting_at, post_at):
    found = occurrence(replace(schedule, work_days=tuple(work_days)), kind, period, no_holidays)
    assert (found.meeting_at, found.post_at) == (meeting_at, post_at)


@pytest.mark.parametrize(
    "weekday, lead, is_holiday, post_local",
    [
        # Tuesday 01:00, lead 2 h: Monday 23:00.
        (1, timedelta(hours=2), no_holidays, (2026, 3, 16, 23)),
        # Monday 01:00: Sunday 23:00 is off, so Friday 23:00.
        (0, timedelta(hours=2), no_holidays, (2026, 3, 13, 23)),
        # Tuesday 24 March 01:00: Monday 23:00 is San José, so Friday 20 at 23:00.
        (1, timedelta(hours=2), COLOMBIA, (2026, 3, 20, 23)),
        # A lead of a day and a half: Tuesday 01:00 -> Sunday 13:00 -> Friday 13:00.
        (1, timedelta(hours=36), no_holidays, (2026, 3, 13, 13)),
    ],
)
def test_a_lead_time_that_crosses_midnight(weekday, lead, is_holiday, post_local):
    schedule = replace(BOGOTA, weekly_meeting_weekday=weekday, weekly_meeting_time=time(1), agenda_lead_time=lead)
    period = week("2026-W12") if is_holiday is no_holidays else week("2026-W13")
    found = occurrence(schedule, WEEKLY, period, is_holiday)
    assert found.post_at == local(schedule, *post_local)


# ---------------------------------------------------------------------------------------------
# Due, missed, next


@pytest.mark.parametrize(
    "schedule, kind, now, expected_key",
    [
        # Bogotá, Monday 16 March: posted from 12:00 UTC until the meeting starts at 14:00 UTC.
        (BOGOTA, WEEKLY, utc(2026, 3, 16, 12), "2026-W12"),
        (BOGOTA, WEEKLY, utc(2026, 3, 16, 13, 59), "2026-W12"),
        (BOGOTA, WEEKLY, utc(2026, 3, 16, 11, 59), None),
        (BOGOTA, WEEKLY, utc(2026, 3, 16, 14), None),  # the meeting started
        # The holiday Monday's agenda is due from Friday 20 at 07:00 Bogotá, all weekend, until
        # Monday's meeting: a run missed while the bot was down catches up on Saturday.
        (BOGOTA, WEEKLY, local(BOGOTA, 2026, 3, 20, 6, 59), None),
        (BOGOTA, WEEKLY, local(BOGOTA, 2026, 3, 20, 7), "2026-W13"),
        (BOGOTA, WEEKLY, local(BOGOTA, 2026, 3, 21, 10), "2026-W13"),
        (BOGOTA, WEEKLY, local(BOGOTA, 2026, 3, 23, 8, 59), "2026-W13"),
        (BOGOTA, WEEKLY, local(BOGOTA, 2026, 3, 23, 9), None),
        # Sunday 22 at 23:30 in Bogotá is already Monday in UTC: still week 13, still due.
        (BOGOTA, WEEKLY, utc(2026, 3, 23, 4, 30), "2026-W13"),
        # Monthly: the first Tuesday of March.
        (BOGOTA, MONTHLY, local(BOGOTA, 2026, 3, 3, 7), "2026-03"),
        (BOGOTA, MONTHLY, local(BOGOTA, 2026, 3, 3, 9), None),
        (BOGOTA, MONTHLY, local(BOGOTA, 2026, 3, 2, 12), None),
        # November's first Monday is a holiday: due on Saturday 31 October, a month early.
        (replace(BOGOTA, monthly_meeting_weekday=0), MONTHLY, local(BOGOTA, 2026, 10, 31, 12), "2026-11"),
        # Mexico: the Benito Juárez Monday's agenda is due on Friday 13 March.
        (MEXICO_CITY, WEEKLY, local(MEXICO_CITY, 2026, 3, 13, 7), "2026-W12"),
        (MEXICO_CITY, WEEKLY, local(MEXICO_CITY, 2026, 3, 13, 6, 59), None),
    ],
)
def test_due(schedule, kind, now, expected_key):
    found = due(schedule, kind, now)
    assert (found.key if found else None) == expected_key
    if found:
        assert found.post_at <= now < found.meeting_at


@pytest.mark.parametrize(
    "now, expected_key",
    [
        (utc(2026, 3, 16, 13, 59), "2026-W11"),  # W12's meeting has not started yet
        (utc(2026, 3, 16, 14), "2026-W12"),  # it just started
        (local(BOGOTA, 2026, 3, 21, 10), "2026-W12"),  # the weekend before the holiday Monday
        (local(BOGOTA, 2026, 3, 23, 9, 30), "2026-W13"),
        (local(BOGOTA, 2026, 1, 1, 10), "2026-W01"),  # ISO week 1 started on 29 December 2025
    ],
)
def test_missed(now, expected_key):
    found = missed(BOGOTA, WEEKLY, now)
    assert found.key == expected_key
    assert found.meeting_at <= now


@pytest.mark.parametrize(
    "schedule, kind, now, expected_key, post_at",
    [
        (BOGOTA, WEEKLY, utc(2026, 3, 16, 11), "2026-W12", utc(2026, 3, 16, 12)),
        # At the post instant itself that post is due, not next: next is the holiday week's.
        (BOGOTA, WEEKLY, utc(2026, 3, 16, 12), "2026-W13", utc(2026, 3, 20, 12)),
        (BOGOTA, WEEKLY, local(BOGOTA, 2026, 3, 21, 10), "2026-W14", utc(2026, 3, 30, 12)),
        (BOGOTA, MONTHLY, local(BOGOTA, 2026, 3, 3, 8), "2026-04", utc(2026, 4, 7, 12)),
        (BOGOTA, MONTHLY, local(BOGOTA, 2026, 12, 31, 8), "2027-01", utc(2027, 1, 5, 12)),
        (replace(BOGOTA, monthly_meeting_weekday=0), MONTHLY, local(BOGOTA, 2026, 10, 15), "2026-11",
         utc(2026, 10, 30, 12)),
        (NEW_YORK, WEEKLY, utc(2026, 3, 2, 13), "2026-W11", utc(2026, 3, 9, 11)),
    ],
)
def test_next_occurrence(schedule, kind, now, expected_key, post_at):
    found = next_occurrence(schedule, kind, now)
    assert (found.key, found.post_at) == (expected_key, post_at)


@pytest.mark.parametrize(
    "schedule, is_holiday",
    [(BOGOTA, COLOMBIA), (MEXICO_CITY, MEXICO), (NEW_YORK, None), (replace(MADRID, work_days=(0, 1, 2, 3, 4, 5)), None)],
)
@pytest.mark.parametrize("kind", [WEEKLY, MONTHLY])
def test_the_scheduler_fires_at_the_next_post_and_finds_it_due_for_a_whole_year(schedule, kind, is_holiday):
    now = utc(2026, 1, 1)
    while now < utc(2027, 1, 1):
        upcoming = next_occurrence(schedule, kind, now, is_holiday)
        assert due(schedule, kind, upcoming.post_at, is_holiday) == upcoming
        assert upcoming.post_at < upcoming.meeting_at < upcoming.ends_at
        assert missed(schedule, kind, upcoming.meeting_at, is_holiday) == upcoming
        now = upcoming.post_at


# ---------------------------------------------------------------------------------------------
# Keys


@pytest.mark.parametrize(
    "kind, key",
    [(WEEKLY, "2026-W12"), (WEEKLY, "2026-W13"), (WEEKLY, "2026-W01"), (WEEKLY, "2026-W53"),
     (MONTHLY, "2026-03"), (MONTHLY, "2026-11"), (MONTHLY, "2027-01")],
)
def test_occurrence_for_key_round_trips(kind, key):
    found = occurrence_for_key(BOGOTA, kind, key)
    assert found.key == key
    assert occurrence_for_key(BOGOTA, kind, found.key) == found
    assert found == occurrence(BOGOTA, kind, found.period)


@pytest.mark.parametrize(
    "kind, key",
    [(WEEKLY, "2026-03"), (MONTHLY, "2026-W12"), (WEEKLY, "2026-W54"), (MONTHLY, "2026-13"), (WEEKLY, "2026-03-16"),
     (WEEKLY, "next week")],
)
def test_occurrence_for_key_refuses_other_keys(kind, key):
    with pytest.raises(ValueError):
        occurrence_for_key(BOGOTA, kind, key)


def test_the_kind_may_be_given_as_its_value():
    assert occurrence(BOGOTA, "weekly", week("2026-W12")) == occurrence(BOGOTA, WEEKLY, week("2026-W12"))
    assert AgendaKind("monthly") is MONTHLY and MONTHLY == "monthly"
    assert isinstance(due(BOGOTA, "weekly", utc(2026, 3, 16, 12)), Occurrence)


# ---------------------------------------------------------------------------------------------
# Mistakes


@pytest.mark.parametrize(
    "changes",
    [
        {"timezone": "America/Bogotá"},
        {"weekly_meeting_weekday": 7},
        {"monthly_meeting_weekday": -1},
        {"monthly_meeting_nth": 5},
        {"monthly_meeting_nth": 0},
        {"weekly_meeting_time": time(9, tzinfo=UTC)},
        {"weekly_meeting_minutes": 0},
        {"work_days": ()},
        {"work_days": (0, 7)},
        {"agenda_lead_time": timedelta(0)},
    ],
)
def test_a_broken_schedule_is_refused(changes):
    with pytest.raises(ValueError):
        replace(BOGOTA, **changes)


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError):
        due(BOGOTA, WEEKLY, datetime(2026, 3, 16, 12))


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(ValueError):
        occurrence(BOGOTA, WEEKLY, week("2026-W12"), lambda day: True)
