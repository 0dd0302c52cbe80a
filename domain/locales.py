"""Locales: which of our languages a locale tag means, and how a team writes (its language,
country and time zone, which every number, date and time shown to it follows). Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass

SUPPORTED_LANGUAGES = ("es", "en")

_TAG = re.compile(r"^(?P<lang>[A-Za-z]{2,3})(?:[-_](?P<region>[A-Za-z0-9]{2,8}))*$")


def normalize_locale(tag: str | None) -> str | None:
    """'es', 'es-CO', 'es_CO', 'es-LA' (Slack), 'EN-us' -> 'es' or 'en'; anything else -> None."""
    if not tag:
        return None
    match = _TAG.match(tag.strip())
    if not match:
        return None
    language = match.group("lang").lower()
    return language if language in SUPPORTED_LANGUAGES else None


@dataclass(frozen=True)
class TeamLocale:
    language: str
    country: str
    timezone: str


def team_locale(team) -> TeamLocale:
    """How a team (an AlignmentTeam or a view of one) writes numbers, dates and times."""
    return TeamLocale(language=team.locale, country=team.country, timezone=team.timezone)
