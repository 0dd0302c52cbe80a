"""Example dates are computed from today, always ahead of it, and read back the way they are
written; no message carries a fixed deadline that will one day be in the past."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from domain.examples import example_dates, example_params, next_month_start, quarter_end
from domain.smart_timing import parse_deadline
from services.i18n import message_ids

DAYS = [date(2026, 1, 1), date(2026, 3, 31), date(2026, 4, 1), date(2026, 11, 30), date(2026, 12, 6), date(2026, 12, 31), date(2028, 2, 29)]


@pytest.mark.parametrize(
    "today, deadline, later, start",
    [
        (date(2026, 12, 6), date(2027, 3, 31), date(2027, 6, 30), date(2027, 1, 1)),
        (date(2026, 1, 1), date(2026, 6, 30), date(2026, 9, 30), date(2026, 2, 1)),
        (date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 4, 1)),
        (date(2026, 7, 15), date(2026, 12, 31), date(2027, 3, 31), date(2026, 8, 1)),
    ],
)
def test_the_deadline_is_the_end_of_the_next_quarter(today, deadline, later, start):
    assert (quarter_end(today), quarter_end(today, ahead=2), next_month_start(today)) == (deadline, later, start)


@pytest.mark.parametrize("today", DAYS + [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 366, 17)])
def test_every_example_date_is_ahead_of_today_in_order(today):
    dates = example_dates(today)
    assert today < dates.start <= dates.first_milestone < dates.milestone < dates.deadline < dates.later


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("today", DAYS)
def test_example_dates_read_back_as_the_same_day(today, language):
    params, dates = example_params(today, language), example_dates(today)
    for name in ("first_milestone", "milestone", "deadline", "later"):
        assert parse_deadline(params[f"example_{name}"], today=today, language=language) == getattr(dates, name)
    assert params["example_start_iso"] == dates.start.isoformat()


# Fixed dates a message may keep: they name past periods a value belongs to (always valid to log
# or summarise), a law's year, or the format a field takes; none is a deadline or a start.
PAST_PERIODS_OR_FORMATS = {
    "data_rights.rights",  # Ley 1581 de 2012
    "ingest.ui.example_hint",  # the API's `period` formats
    "insights.not_a_week",  # a finished week to summarise
    "kpi_import.ui.modal_intro", "kpi_import.ui.example_file",  # a CSV's period column
}
_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b|\b\d{4}-\d{2}-\d{2}\b|\b(?:19|20)\d{2}-W\d{2}\b|\b[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}\b|\b(?:19|20)\d{2}\b")


@pytest.mark.parametrize("language", ["es", "en"])
def test_no_message_prints_a_fixed_date(language):
    fixed = {mid: _DATE.findall(text) for mid, text in message_ids(language).items() if _DATE.search(text)}
    assert set(fixed) <= PAST_PERIODS_OR_FORMATS, {mid: found for mid, found in fixed.items() if mid not in PAST_PERIODS_OR_FORMATS}
