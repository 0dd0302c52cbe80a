"""The month rule (`domain.periods`): a day counts in its calendar month, a week in the month
holding its Thursday. Every week counts in exactly one month, months hold four or five whole
weeks back to back, and a month's figures counted in weeks close on its last week's Sunday."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.blocks.agenda_monthly import monthly_agenda
from domain.periods import Period, counts_in_month, month_close, month_counted_in, weeks_of_month
from tests.unit.test_agenda_blocks import EN, ES, monthly_facts, valid


@pytest.mark.parametrize(
    "week, month",
    [
        (date(2026, 11, 30), (2026, 12)),  # 30 Nov–6 Dec: Thursday 3 December
        (date(2026, 10, 26), (2026, 10)),  # 26 Oct–1 Nov: Thursday 29 October
        (date(2025, 12, 29), (2026, 1)),  # ISO week 1 of 2026: Thursday 1 January
        (date(2027, 12, 27), (2027, 12)),  # 27 Dec–2 Jan: Thursday 30 December
        (date(2026, 6, 1), (2026, 6)),
    ],
)
def test_a_week_counts_in_the_month_of_its_thursday(week, month):
    assert month_counted_in(Period.week_of(week)) == Period.month(*month)


def test_days_and_months_count_in_their_own_month():
    assert month_counted_in(Period.day(date(2026, 11, 30))) == Period.month(2026, 11)
    assert month_counted_in(Period.month(2026, 11)) == Period.month(2026, 11)
    with pytest.raises(ValueError):
        counts_in_month(Period.day(date(2026, 11, 30)), Period.week_of(date(2026, 11, 30)))


@pytest.mark.parametrize(
    "month, first, count, close",
    [
        ((2026, 11), "2026-W45", 4, date(2026, 11, 29)),
        ((2026, 12), "2026-W49", 5, date(2027, 1, 3)),
        ((2026, 1), "2026-W01", 5, date(2026, 2, 1)),
        ((2026, 2), "2026-W06", 4, date(2026, 3, 1)),
    ],
)
def test_the_weeks_of_a_month_and_its_close(month, first, count, close):
    weeks = weeks_of_month(Period.month(*month))
    assert weeks[0].key == first and len(weeks) == count and month_close(Period.month(*month)) == close


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 1)))
def test_every_week_counts_in_exactly_one_month_and_the_months_tile_the_weeks(day):
    week = Period.week_of(day)
    month = month_counted_in(week)
    assert week in weeks_of_month(month) and not counts_in_month(week, month.next()) and not counts_in_month(week, month.previous())
    assert month.contains(week.start + timedelta(days=3))
    weeks = weeks_of_month(month)
    assert 4 <= len(weeks) <= 5 and all(later == earlier.next() for earlier, later in zip(weeks, weeks[1:]))
    assert weeks_of_month(month.next())[0] == weeks[-1].next()  # no week left between two months


def test_the_monthly_agenda_says_which_weeks_its_weekly_commitments_count():
    assert "semanas 10–13 (2 a 29 de mar)" in valid(monthly_agenda(monthly_facts("es"), ES).part("sla"))  # 30 Mar–5 Apr is April's
    assert "weeks 10–13 (Mar 2 – 29)" in valid(monthly_agenda(monthly_facts("en"), EN).part("sla")).replace("\u2009", " ")
    facts = monthly_facts("es")
    monthly_only = replace(facts, sla=tuple(replace(row, period_kind="month") for row in facts.sla))
    assert "semanas" not in valid(monthly_agenda(monthly_only, ES).part("sla"))
