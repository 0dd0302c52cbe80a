from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.workclock import (
    DEFAULT_WORKING_HOURS,
    WorkingHours,
    add_working_hours,
    holiday_checker,
    is_working_time,
    no_holidays,
    working_hours_between,
)

BOGOTA = ZoneInfo("America/Bogota")
TZ = "America/Bogota"
UTC = timezone.utc
COLOMBIA = holiday_checker("CO", years=range(2024, 2028))


def bogota(*args):
    return datetime(*args, tzinfo=BOGOTA)


# ---------------------------------------------------------------------------------------------
# Deadlines, worked out by hand


@pytest.mark.parametrize(
    "start, hours, is_holiday, due",
    [
        # Friday 16:00 + 24 h: 1 h Friday, 9 Monday, 9 Tuesday, 5 Wednesday -> Wednesday 13:00.
        (bogota(2024, 10, 25, 16), 24, no_holidays, bogota(2024, 10, 30, 13)),
        # Same, but Monday 4 November 2024 is All Saints' Day (observed) in Colombia.
        (bogota(2024, 11, 1, 16), 24, COLOMBIA, bogota(2024, 11, 7, 13)),
        (bogota(2024, 11, 1, 16), 24, no_holidays, bogota(2024, 11, 6, 13)),
        # Posted at night or on a weekend: the clock starts at the next opening.
        (bogota(2024, 10, 22, 22), 2, no_holidays, bogota(2024, 10, 23, 10)),
        (bogota(2024, 10, 26, 11), 9, no_holidays, bogota(2024, 10, 28, 17)),  # Saturday -> Monday's close
        (bogota(2024, 10, 28, 6, 30), 1, no_holidays, bogota(2024, 10, 28, 9)),
        # Ending exactly at a close stays at the close (a boundary), never the next opening.
        (bogota(2024, 10, 28, 16), 1, no_holidays, bogota(2024, 10, 28, 17)),
        (bogota(2024, 10, 28, 16), 1.5, no_holidays, bogota(2024, 10, 29, 8, 30)),
        (bogota(2024, 10, 28, 16), Decimal("0.25"), no_holidays, bogota(2024, 10, 28, 16, 15)),
        # Holy week 2025: Thursday 17 and Friday 18 April are holidays.
        (bogota(2025, 4, 16, 12), 9, COLOMBIA, bogota(2025, 4, 21, 12)),
        # Zero hours: the start itself, wherever it is.
        (bogota(2024, 10, 26, 11), 0, no_holidays, bogota(2024, 10, 26, 11)),
    ],
)
def test_add_working_hours(start, hours, is_holiday, due):
    result = add_working_hours(start, hours, timezone=TZ, hours_config=DEFAULT_WORKING_HOURS, is_holiday=is_holiday)
    assert result == due
    assert result.tzinfo is UTC


def test_the_deadline_is_in_utc():
    assert add_working_hours(bogota(2024, 10, 25, 16), 24, timezone=TZ) == datetime(2024, 10, 30, 18, tzinfo=UTC)


@pytest.mark.parametrize(
    "start, end, is_holiday, expected",
    [
        (bogota(2024, 10, 25, 16), bogota(2024, 10, 30, 13), no_holidays, Decimal(24)),
        (bogota(2024, 11, 1, 16), bogota(2024, 11, 7, 13), COLOMBIA, Decimal(24)),
        (bogota(2024, 11, 1, 16), bogota(2024, 11, 7, 13), no_holidays, Decimal(33)),
        (bogota(2024, 10, 26, 0), bogota(2024, 10, 28, 0), no_holidays, Decimal(0)),  # a weekend
        (bogota(2024, 10, 28, 7), bogota(2024, 10, 28, 8, 30), no_holidays, Decimal("0.5")),
        (bogota(2024, 10, 28, 16, 59), bogota(2024, 10, 28, 18), no_holidays, Decimal(1) / 60),
        (bogota(2024, 10, 28, 12), bogota(2024, 10, 28, 12), no_holidays, Decimal(0)),
        (bogota(2024, 10, 28, 12), bogota(2024, 10, 28, 9), no_holidays, Decimal(0)),  # end before start
        (bogota(2024, 10, 28, 0), bogota(2024, 11, 4, 0), no_holidays, Decimal(45)),  # a whole week
    ],
)
def test_working_hours_between(start, end, is_holiday, expected):
    assert working_hours_between(start, end, timezone=TZ, hours=DEFAULT_WORKING_HOURS, is_holiday=is_holiday) == expected


def test_instants_in_other_offsets_are_the_same_instants():
    start = bogota(2024, 10, 25, 16).astimezone(ZoneInfo("Europe/Madrid"))
    end = datetime(2024, 10, 30, 18, tzinfo=UTC)
    assert working_hours_between(start, end, timezone=TZ) == 24


def test_configured_working_hours():
    saturday_mornings = WorkingHours(days=frozenset({0, 1, 2, 3, 4, 5}), start=time(9), end=time(13))
    # Friday 12:00 + 3 h: 1 h Friday, 2 h Saturday.
    due = add_working_hours(bogota(2024, 10, 25, 12), 3, timezone=TZ, hours_config=saturday_mornings)
    assert due == bogota(2024, 10, 26, 11)
    assert working_hours_between(bogota(2024, 10, 25, 12), due, timezone=TZ, hours=saturday_mornings) == 3


def test_working_hours_follow_the_team_timezone_across_dst():
    # Madrid leaves summer time on Sunday 27 October 2024: Friday 16:00 CEST + 2 h -> Monday 09:00 CET.
    madrid = ZoneInfo("Europe/Madrid")
    due = add_working_hours(datetime(2024, 10, 25, 16, tzinfo=madrid), 2, timezone="Europe/Madrid")
    assert due == datetime(2024, 10, 28, 9, tzinfo=madrid)
    assert due == datetime(2024, 10, 28, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    "moment, expected",
    [
        (bogota(2024, 10, 28, 8), True),
        (bogota(2024, 10, 28, 16, 59), True),
        (bogota(2024, 10, 28, 17), False),
        (bogota(2024, 10, 28, 7, 59), False),
        (bogota(2024, 10, 26, 10), False),  # Saturday
        (bogota(2024, 11, 4, 10), False),  # holiday
    ],
)
def test_is_working_time(moment, expected):
    assert is_working_time(moment, timezone=TZ, is_holiday=COLOMBIA) is expected


def test_holiday_checker():
    assert COLOMBIA(date(2024, 11, 4)) and COLOMBIA(date(2024, 7, 20))
    assert not COLOMBIA(date(2024, 11, 5))
    assert holiday_checker("co")(date(2031, 12, 25))  # years outside the list are computed on use
    with pytest.raises(ValueError):
        holiday_checker("XX")


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_working_hours(datetime(2024, 10, 25, 16), 1, timezone=TZ),
        lambda: working_hours_between(datetime(2024, 10, 25, 16), bogota(2024, 10, 26), timezone=TZ),
        lambda: add_working_hours(bogota(2024, 10, 25, 16), -1, timezone=TZ),
        lambda: add_working_hours(bogota(2024, 10, 25, 16), float("nan"), timezone=TZ),
        lambda: add_working_hours(bogota(2024, 10, 25, 16), 1, timezone=TZ, is_holiday=lambda day: True),
        lambda: WorkingHours(days=frozenset()),
        lambda: WorkingHours(days=frozenset({7})),
        lambda: WorkingHours(start=time(17), end=time(8)),
    ],
)
def test_bugs_are_value_errors(call):
    with pytest.raises(ValueError):
        call()


# ---------------------------------------------------------------------------------------------
# Properties

instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC))
amounts = st.decimals(min_value=0, max_value=200, places=6)
calendars = st.sampled_from([no_holidays, COLOMBIA])
timezones = st.sampled_from(["America/Bogota", "Europe/Madrid", "America/New_York"])


@settings(max_examples=150, deadline=None)
@given(instants, amounts, calendars, timezones)
def test_adding_then_measuring_gives_the_hours_back(start, amount, is_holiday, tz):
    due = add_working_hours(start, amount, timezone=tz, is_holiday=is_holiday)
    assert due >= start
    assert working_hours_between(start, due, timezone=tz, is_holiday=is_holiday) == amount


@settings(max_examples=150, deadline=None)
@given(instants, amounts, amounts, calendars)
def test_deadlines_are_monotone_in_hours(start, first, second, is_holiday):
    low, high = sorted((first, second))
    assert add_working_hours(start, low, timezone=TZ, is_holiday=is_holiday) <= add_working_hours(
        start, high, timezone=TZ, is_holiday=is_holiday
    )


@settings(max_examples=150, deadline=None)
@given(instants, amounts.filter(lambda amount: amount > 0), calendars, timezones)
def test_a_deadline_is_in_working_time_or_exactly_at_a_close(start, amount, is_holiday, tz):
    due = add_working_hours(start, amount, timezone=tz, is_holiday=is_holiday)
    local = due.astimezone(ZoneInfo(tz))
    at_close = local.time() == DEFAULT_WORKING_HOURS.end and local.weekday() < 5 and not is_holiday(local.date())
    assert is_working_time(due, timezone=tz, is_holiday=is_holiday) or at_close
    # ...and the last instant before it was working time: the window never ends in a pause.
    assert is_working_time(due - timedelta(microseconds=1), timezone=tz, is_holiday=is_holiday)


@settings(max_examples=100, deadline=None)
@given(instants, instants, instants, calendars)
def test_measured_hours_add_up_over_a_split(a, b, c, is_holiday):
    first, middle, last = sorted((a, b, c))
    whole = working_hours_between(first, last, timezone=TZ, is_holiday=is_holiday)
    parts = working_hours_between(first, middle, timezone=TZ, is_holiday=is_holiday) + working_hours_between(
        middle, last, timezone=TZ, is_holiday=is_holiday
    )
    assert abs(whole - parts) < Decimal("1e-20")
