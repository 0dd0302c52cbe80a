"""The one grammar of dates people type (domain/dates.py), shared by goals, deadlines and periods."""

from datetime import date

import pytest

from domain.dates import TypedDate, date_matches, read_date, typed_date, written_day
from domain.numbers import fold_keeping_positions


def read(text, language="es"):
    """(day, month, year, month_end) of the date that spans all of `text`, or None."""
    folded = fold_keeping_positions(text)
    found = read_date(folded, 0, language)
    if found is None or found[0] != len(folded):
        return None
    typed = found[1]
    return typed.day, typed.month, typed.year, typed.month_end


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("2026-03-31", "es", (31, 3, 2026, False)),
        ("31/03/2026", "es", (31, 3, 2026, False)),
        ("03/31/2026", "en", (31, 3, 2026, False)),
        ("31/03/26", "es", (31, 3, 2026, False)),
        ("31-03-2026", "es", (31, 3, 2026, False)),
        ("31-03-26", "es", (31, 3, 2026, False)),
        ("31/03", "es", (31, 3, None, False)),
        # Day first in Spanish, month first in English, the other order when only it exists.
        ("02/03/2026", "es", (2, 3, 2026, False)),
        ("02/03/2026", "en", (3, 2, 2026, False)),
        ("13/01/2026", "en", (13, 1, 2026, False)),
        ("12/31", "es", (31, 12, None, False)),
        ("31 de marzo", "es", (31, 3, None, False)),
        ("31 de marzo de 2026", "es", (31, 3, 2026, False)),
        ("31 mar 2026", "es", (31, 3, 2026, False)),
        ("31 mar. 2026", "es", (31, 3, 2026, False)),
        ("1o de Marzo", "es", (1, 3, None, False)),
        ("31st of March", "en", (31, 3, None, False)),
        ("March 31, 2026", "en", (31, 3, 2026, False)),
        ("marzo 31 de 2026", "es", (31, 3, 2026, False)),
        ("Mar 31", "en", (31, 3, None, False)),
        ("30 sept", "es", (30, 9, None, False)),
        ("30 set", "es", (30, 9, None, False)),
        ("30 de setiembre", "es", (30, 9, None, False)),
        ("Septiembre 30", "es", (30, 9, None, False)),
        # A whole month, by its full name only; its end.
        ("marzo", "es", (None, 3, None, False)),
        ("March 2026", "en", (None, 3, 2026, False)),
        ("mar", "es", None),
        ("fin de marzo", "es", (None, 3, None, True)),
        ("finales de febrero de 2028", "es", (None, 2, 2028, True)),
        ("el cierre del mes de marzo", "es", (None, 3, None, True)),
        ("the end of March 2026", "en", (None, 3, 2026, True)),
        # Shaped like a date but none exists.
        ("31/02/2026", "es", None),
        ("29/02/2026", "es", None),
        ("2026-13-01", "es", None),
        ("32 de marzo", "es", None),
    ],
)
def test_read_date(text, language, expected):
    assert read(text, language) == expected


def test_a_nonexistent_date_still_has_its_shape():
    """So a period clause can say "that day does not exist" instead of keeping it in the note."""
    folded = fold_keeping_positions("31/02/2026")
    [found] = date_matches(folded, 0)
    assert found.end() == len(folded) and typed_date(found, "es") is None


def test_the_longest_reading_wins_and_stops_where_a_date_can_end():
    folded = fold_keeping_positions("31 de marzo de 2026, por fin")
    assert read_date(folded, 0, "es") == (len("31 de marzo de 2026"), TypedDate(31, 3, 2026))
    assert read_date(fold_keeping_positions("31/03x"), 0, "es") is None


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_day_written_is_read_back(language):
    """Fixes and examples write days with `written_day`; pasting one back must give the same day."""
    for month in range(1, 13):
        day = date(2026, month, 28)
        assert read(written_day(day, language), language) == (28, month, 2026, False)


@pytest.mark.parametrize(
    "typed, today, deadline, start, past_day",
    [
        # No year: a deadline is the next on or after, a start the nearest, a logged day the latest not after today.
        (TypedDate(31, 3, None), date(2026, 4, 10), date(2027, 3, 31), date(2026, 3, 31), date(2026, 3, 31)),
        (TypedDate(5, 1, None), date(2025, 12, 20), date(2026, 1, 5), date(2026, 1, 5), date(2025, 1, 5)),
        # A start is looked for a year either side of today only.
        (TypedDate(29, 2, None), date(2026, 3, 1), date(2028, 2, 29), None, date(2024, 2, 29)),
        # A whole month: a deadline is its last day, a start its first; its end is its last day either way.
        (TypedDate(None, 2, 2028), date(2026, 1, 1), date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 1)),
        (TypedDate(None, 2, None, month_end=True), date(2026, 1, 1), date(2026, 2, 28), date(2026, 2, 28), date(2025, 2, 28)),
    ],
)
def test_which_year_a_date_without_one_means(typed, today, deadline, start, past_day):
    assert (typed.as_deadline(today), typed.as_start(today), typed.as_past_day(today)) == (deadline, start, past_day)
