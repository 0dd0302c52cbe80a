"""Days, ISO weeks and months in the team's timezone, and how people name them (domain/periods.py)."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import UserError
from domain.periods import (
    Period,
    format_period,
    local_date,
    parse_period,
    period_examples,
    period_of,
    split_for_period,
    week_bounds_utc,
)

TODAY = date(2026, 3, 4)  # a Wednesday, in ISO week 2026-W10
BOGOTA = "America/Bogota"


def week(key):
    return Period.parse_key(key)


# --- the Period value ---------------------------------------------------------------------------


def test_iso_week_one_of_2026_starts_in_december_2025():
    first = Period.week_of(date(2026, 1, 1))
    assert (first.start, first.end, first.key) == (date(2025, 12, 29), date(2026, 1, 5), "2026-W01")
    assert Period.week_of(date(2025, 12, 28)).key == "2025-W52"
    assert Period.week_of(date(2026, 12, 31)).key == "2026-W53"  # 2026 has 53 ISO weeks
    assert Period.week_of(date(2027, 1, 3)).key == "2026-W53"


@pytest.mark.parametrize(
    "period, start, end, key, previous, following",
    [
        (Period.day(date(2026, 1, 12)), date(2026, 1, 12), date(2026, 1, 13), "2026-01-12", "2026-01-11", "2026-01-13"),
        (Period.week_of(date(2026, 1, 14)), date(2026, 1, 12), date(2026, 1, 19), "2026-W03", "2026-W02", "2026-W04"),
        (Period.month_of(date(2026, 1, 31)), date(2026, 1, 1), date(2026, 2, 1), "2026-01", "2025-12", "2026-02"),
        (Period.month_of(date(2024, 2, 29)), date(2024, 2, 1), date(2024, 3, 1), "2024-02", "2024-01", "2024-03"),
        (Period.day(date(2024, 12, 31)), date(2024, 12, 31), date(2025, 1, 1), "2024-12-31", "2024-12-30", "2025-01-01"),
    ],
)
def test_period_bounds_keys_and_neighbours(period, start, end, key, previous, following):
    assert (period.start, period.end, period.key) == (start, end, key)
    assert (period.previous().key, period.next().key) == (previous, following)
    assert period.contains(start) and period.contains(end - timedelta(days=1))
    assert not period.contains(end) and not period.contains(start - timedelta(days=1))
    assert period.days() == [start + timedelta(days=n) for n in range((end - start).days)]


def test_periods_refuse_a_start_that_is_not_their_first_day():
    with pytest.raises(ValueError):
        Period("week", date(2026, 1, 13))  # a Tuesday
    with pytest.raises(ValueError):
        Period("month", date(2026, 1, 2))
    with pytest.raises(ValueError):
        Period("year", date(2026, 1, 1))


@pytest.mark.parametrize("key", ["2026-W00", "2025-W53", "2026-13", "2026-02-30", "26-W02", "2026-W2", "enero", ""])
def test_parse_key_refuses_what_is_not_a_key(key):
    with pytest.raises(ValueError):
        Period.parse_key(key)


def test_periods_sort_by_start_within_a_kind():
    weeks = [week("2026-W03"), week("2025-W52"), week("2026-W01")]
    assert [p.key for p in sorted(weeks)] == ["2025-W52", "2026-W01", "2026-W03"]


# --- time zones --------------------------------------------------------------------------------


def test_sunday_night_in_bogota_belongs_to_the_bogota_week_whatever_utc_says():
    moment = datetime(2026, 1, 18, 23, 30, tzinfo=ZoneInfo(BOGOTA))  # Sunday 23:30 in Bogotá
    in_utc = moment.astimezone(UTC)
    assert (in_utc.date(), in_utc.hour) == (date(2026, 1, 19), 4)  # already Monday in UTC
    assert local_date(in_utc, BOGOTA) == date(2026, 1, 18)
    assert period_of(in_utc, "week", BOGOTA).key == "2026-W03"
    assert period_of(in_utc, "week", "UTC").key == "2026-W04"
    assert period_of(in_utc, "day", BOGOTA).key == "2026-01-18"
    assert period_of(datetime(2026, 2, 1, 3, 0, tzinfo=UTC), "month", BOGOTA).key == "2026-01"


def test_local_date_refuses_a_naive_moment():
    with pytest.raises(ValueError):
        local_date(datetime(2026, 1, 18, 23, 30), BOGOTA)


def test_week_bounds_in_utc():
    start, end = week_bounds_utc(week("2026-W03"), BOGOTA)
    assert (start, end) == (datetime(2026, 1, 12, 5, tzinfo=UTC), datetime(2026, 1, 19, 5, tzinfo=UTC))
    assert start.utcoffset() == timedelta(0)
    assert week_bounds_utc(Period.month_of(date(2026, 1, 1)), "UTC") == (
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))


def test_a_day_without_midnight_starts_at_its_first_instant():
    # Chile moved its clocks from 00:00 to 01:00 on 2025-09-07: that day has 23 hours.
    start, end = week_bounds_utc(Period.day(date(2025, 9, 7)), "America/Santiago")
    assert (start, end) == (datetime(2025, 9, 7, 4, tzinfo=UTC), datetime(2025, 9, 8, 3, tzinfo=UTC))
    assert local_date(start, "America/Santiago") == date(2025, 9, 7)
    assert local_date(start - timedelta(seconds=1), "America/Santiago") == date(2025, 9, 6)


# --- what people type after for/para --------------------------------------------------------------


@pytest.mark.parametrize(
    "text, key",
    [
        ("2026-W02", "2026-W02"),
        ("2026-w2", "2026-W02"),
        ("2026W02", "2026-W02"),
        ("W02", "2026-W02"),
        ("w9", "2026-W09"),
        ("semana 2", "2026-W02"),
        ("Semana 2 de 2025", "2025-W02"),
        ("week 2 of 2026", "2026-W02"),
        ("semana 12", "2025-W12"),  # week 12 of 2026 has not started yet: the last one that has
        ("2026-01", "2026-01"),
        ("01/2026", "2026-01"),
        ("enero", "2026-01"),
        ("Enero 2026", "2026-01"),
        ("enero de 2025", "2025-01"),
        ("january", "2026-01"),
        ("ene", "2026-01"),
        ("Ene.", "2026-01"),
        ("marzo", "2026-03"),  # the current month
        ("abril", "2025-04"),  # not in the future: last April
        ("diciembre", "2025-12"),
        ("sept", "2025-09"),
        ("setiembre", "2025-09"),
        ("hoy", "2026-03-04"),
        ("today", "2026-03-04"),
        ("ayer", "2026-03-03"),
        ("yesterday", "2026-03-03"),
        ("antier", "2026-03-02"),
        ("esta semana", "2026-W10"),
        ("this week", "2026-W10"),
        ("semana pasada", "2026-W09"),
        ("la semana pasada", "2026-W09"),
        ("La Semana Pasada", "2026-W09"),
        ("last week", "2026-W09"),
        ("este mes", "2026-03"),
        ("this month", "2026-03"),
        ("mes pasado", "2026-02"),
        ("el mes pasado", "2026-02"),
        ("last month", "2026-02"),
        ("2026-01-12", "2026-01-12"),
        ("12/01/2026", "2026-01-12"),  # day first in Spanish
        ("12-01-2026", "2026-01-12"),
        ("12/01/26", "2026-01-12"),
        ("13/01/2026", "2026-01-13"),
        ("12 de enero", "2026-01-12"),
        ("el 12 de enero", "2026-01-12"),
        ("12 de enero de 2026", "2026-01-12"),
        ("enero 12", "2026-01-12"),
        ("12 de abril", "2025-04-12"),
        ("5/3", "2025-03-05"),  # 5 March 2026 is tomorrow: last year's
        ("semana del 12 de enero", "2026-W03"),
        ("  semana pasada.  ", "2026-W09"),
        # Days are read as goals and deadlines read them (domain/dates.py): the end of a month too.
        ("fin de enero", "2026-01-31"),
        ("fin de marzo", "2025-03-31"),  # 31 March 2026 is still ahead: last year's
        ("el cierre del mes de febrero de 2026", "2026-02-28"),
        ("semana del fin de enero", "2026-W05"),
        ("30 set 2025", "2025-09-30"),
    ],
)
def test_parse_period_in_spanish(text, key):
    assert parse_period(text, today=TODAY, language="es").key == key


@pytest.mark.parametrize(
    "text, key",
    [
        ("2026-W02", "2026-W02"),
        ("last week", "2026-W09"),
        ("semana pasada", "2026-W09"),  # Spanish words work in an English team too
        ("January 2026", "2026-01"),
        ("january", "2026-01"),
        ("Jan", "2026-01"),
        ("01/12/2026", "2026-01-12"),  # month first in English
        ("13/01/2026", "2026-01-13"),  # no 13th month: it can only be day first
        ("January 12", "2026-01-12"),
        ("January 12, 2026", "2026-01-12"),
        ("12 January 2026", "2026-01-12"),
        ("jan 12th", "2026-01-12"),
        ("week of january 12", "2026-W03"),
        ("the end of January", "2026-01-31"),
        ("yesterday", "2026-03-03"),
        ("last month", "2026-02"),
    ],
)
def test_parse_period_in_english(text, key):
    assert parse_period(text, today=TODAY, language="en").key == key


@pytest.mark.parametrize(
    "text, language, key",
    [
        ("2026-W11", "es", "2026-W11"),
        ("semana 11 de 2026", "es", "2026-W11"),
        ("2026-04", "es", "2026-04"),
        ("abril de 2026", "es", "2026-04"),
        ("2026-03-05", "es", "2026-03-05"),
        ("05/03/2026", "es", "2026-03-05"),
        ("12/01/2026", "en", "2026-12-01"),  # December 1st in English
        ("fin de marzo de 2026", "es", "2026-03-31"),
        ("2026-W53", "en", "2026-W53"),
    ],
)
def test_a_period_that_has_not_started_is_refused(text, language, key):
    with pytest.raises(UserError) as info:
        parse_period(text, today=TODAY, language=language)
    assert (info.value.message_id, info.value.params) == ("periods.future", {"period": key})


@pytest.mark.parametrize(
    "text",
    ["", "mañana", "2026", "31/02/2026", "semana de marzo", "fin de mar", "2026-W54", "2026-13", "semana 60", "enero 2026 y febrero", "13/13/2026", "next week"],
)
def test_unreadable_periods_show_examples_that_work_today(text):
    for language in ("es", "en"):
        with pytest.raises(UserError) as info:
            parse_period(text, today=TODAY, language=language)
        assert info.value.message_id == "periods.unknown"
        assert info.value.params == {"text": text.strip(), "examples": period_examples(TODAY, language)}


def test_period_examples_are_recent_and_readable():
    assert period_examples(TODAY, "es") == "`semana pasada`, `2026-W09`, `febrero`, `03/03/2026`"
    assert period_examples(TODAY, "en") == "`last week`, `2026-W09`, `february`, `03/03/2026`"
    for language in ("es", "en"):
        for example in period_examples(TODAY, language).split(", "):
            parse_period(example.strip("`"), today=TODAY, language=language)


# --- the for/para clause -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, rest, period",
    [
        ("1,6 % for 2026-W02 campaña navidad", "1,6 % campaña navidad", "2026-W02"),
        ("1,6 % campaña navidad para semana pasada", "1,6 % campaña navidad", "semana pasada"),
        ("12 para la semana pasada, feria", "12 feria", "la semana pasada"),
        ("12 PARA Ayer", "12", "Ayer"),
        ("12 leads para la feria", "12 leads para la feria", None),  # not a period: part of the note
        ("12 leads for the fair for last week", "12 leads for the fair", "last week"),
        ("45 millones COP para enero de 2026 feria Medellín", "45 millones COP feria Medellín", "enero de 2026"),
        ("12 para 12 de enero", "12", "12 de enero"),
        ("12 para fin de enero", "12", "fin de enero"),
        ("12 para 31/02/2026 x", "12 x", "31/02/2026"),  # shaped like a date: parse_period will say it is not one
        ("for hoy", "", "hoy"),
        ("12 leads", "12 leads", None),
        ("  12  ", "12", None),
        ("12 informe para ayerx", "12 informe para ayerx", None),
    ],
)
def test_split_for_period(text, rest, period):
    assert split_for_period(text) == (rest, period)


# --- writing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "period, language, expected",
    [
        (week("2026-W03"), "es", "semana 3 de 2026 (12–18 ene)"),
        (week("2026-W05"), "es", "semana 5 de 2026 (26 ene – 1 feb)"),
        (week("2026-W01"), "es", "semana 1 de 2026 (29 dic 2025 – 4 ene 2026)"),
        (week("2026-W03"), "en", "week 3 of 2026 (Jan 12 – 18)"),
        (Period.month_of(date(2026, 1, 1)), "es", "enero de 2026"),
        (Period.month_of(date(2026, 1, 1)), "en", "January 2026"),
        (Period.day(date(2026, 1, 12)), "es", "12 ene 2026"),
        (Period.day(date(2026, 1, 12)), "en", "Jan 12, 2026"),
        (Period.day(date(2026, 1, 12)), "es-CO", "12 ene 2026"),
    ],
)
def test_format_period(period, language, expected):
    # Babel may put thin or narrow no-break spaces around the dash; compare them as spaces.
    shown = format_period(period, language)
    assert shown.replace("\u2009", " ").replace("\u202f", " ").replace("\u00a0", " ") == expected


# --- properties --------------------------------------------------------------------------------

dates = st.dates(min_value=date(1900, 1, 8), max_value=date(2199, 12, 20))
kinds = st.sampled_from(["day", "week", "month"])


@given(dates)
def test_every_date_is_in_its_iso_week(d):
    period = Period.week_of(d)
    assert period.contains(d) and period.start.weekday() == 0 and len(period.days()) == 7
    year, number, _ = d.isocalendar()
    assert period.key == f"{year:04d}-W{number:02d}"


@given(dates)
def test_every_date_is_in_its_month(d):
    period = Period.month_of(d)
    assert period.contains(d) and period.start.day == 1 and period.end.day == 1
    assert all(day.month == d.month for day in period.days())


@given(dates, kinds)
def test_keys_round_trip(d, kind):
    period = Period.of(kind, d)
    assert Period.parse_key(period.key) == period
    assert parse_period(period.key, today=date(2200, 1, 1), language="es") == period


@given(dates, kinds)
def test_previous_and_next_are_inverse_and_adjacent(d, kind):
    period = Period.of(kind, d)
    assert period.next().previous() == period == period.previous().next()
    assert period.previous().end == period.start and period.next().start == period.end
    assert period.previous() < period < period.next()


@given(dates, kinds)
def test_days_are_exactly_the_contained_dates(d, kind):
    period = Period.of(kind, d)
    days = period.days()
    assert days[0] == period.start and days[-1] + timedelta(days=1) == period.end
    assert all(period.contains(day) for day in days)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
       st.sampled_from([BOGOTA, "America/Mexico_City", "America/Santiago", "Europe/Madrid", "Asia/Kolkata", "UTC"]))
def test_a_moment_is_inside_the_utc_bounds_of_its_local_period(moment, zone):
    for kind in ("day", "week", "month"):
        start, end = week_bounds_utc(period_of(moment, kind, zone), zone)
        assert start <= moment < end


@given(dates, st.sampled_from(["es", "en"]))
def test_format_period_never_fails(d, language):
    for kind in ("day", "week", "month"):
        assert format_period(Period.of(kind, d), language)


JUNK = st.one_of(st.text(), st.text(alphabet="0123456789-/wW semanaprdoheyltk.,de enero january"))


@given(JUNK, st.sampled_from(["es", "en"]))
def test_junk_raises_nothing_but_user_errors(text, language):
    try:
        period = parse_period(text, today=TODAY, language=language)
    except UserError as error:
        assert error.message_id in ("periods.unknown", "periods.future")
    else:
        assert period.start <= TODAY
    rest, clause = split_for_period(text)
    assert clause is None or clause in text


@given(dates, st.sampled_from(["es", "en"]))
def test_typed_dates_read_back(d, language):
    typed = d.strftime("%d/%m/%Y") if language == "es" else d.strftime("%m/%d/%Y")
    assert parse_period(typed, today=date(2200, 1, 1), language=language) == Period.day(d)


def test_zone_offsets_other_than_utc_are_fine():
    moment = datetime(2026, 1, 18, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert period_of(moment, "week", BOGOTA).key == "2026-W03"
