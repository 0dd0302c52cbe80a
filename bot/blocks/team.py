"""The team as rendering sees it: its language, country, time zone, channel and leads, read
inside the unit of work (TeamInfo), and the dates written for it. The glossary and the SLA
messages share these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

from domain.glossary import Side
from services.i18n import language_of


@dataclass(frozen=True)
class TeamInfo:
    """What rendering needs to know about the team, read inside the unit of work."""

    locale: str
    timezone: str
    country: str
    channel_id: str
    marketing_leads: tuple[str, ...] = ()
    sales_leads: tuple[str, ...] = ()

    def leads_of(self, side: Side) -> tuple[str, ...]:
        return self.marketing_leads if side is Side.MARKETING else self.sales_leads


def local_date(moment: datetime, team: TeamInfo) -> str:
    """A date in the team's time zone and language: "12 de enero de 2026", "January 12, 2026"."""
    return format_date(moment.astimezone(ZoneInfo(team.timezone)).date(), format="long", locale=babel_locale(team))


def babel_locale(team: TeamInfo) -> str:
    language = language_of(team.locale)
    if language == "es" and team.country:
        candidate = f"es_{team.country.upper()}"
        try:
            Locale.parse(candidate)
            return candidate
        except (UnknownLocaleError, ValueError):
            pass
    return language  # Babel has no en_CO: English words, whatever the country
