"""Dates, times and names of days in the team's language, with Babel."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, get_day_names


def babel_locale(language: str, country: str | None = None) -> str:
    """'es' + 'CO' -> 'es_CO'. Babel has no en_CO: English keeps English words (numbers, which
    follow the country, are formatted elsewhere)."""
    if country:
        candidate = f"{language}_{country.upper()}"
        try:
            Locale.parse(candidate)
            return candidate
        except (UnknownLocaleError, ValueError):
            pass
    return language


def day_name(weekday: int, language: str) -> str:
    """Monday = 0, as Python counts."""
    return get_day_names("wide", locale=language)[weekday]


def clock_time(value: time) -> str:
    return value.strftime("%H:%M")


def local_date(moment: datetime, *, language: str, country: str | None, timezone: str) -> str:
    return format_date(moment.astimezone(ZoneInfo(timezone)), format="medium", locale=babel_locale(language, country))


def local_datetime(moment: datetime, *, language: str, country: str | None, timezone: str) -> str:
    return format_datetime(
        moment.astimezone(ZoneInfo(timezone)), format="medium", tzinfo=ZoneInfo(timezone),
        locale=babel_locale(language, country),
    )
