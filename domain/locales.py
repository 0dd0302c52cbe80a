"""Which of our languages a locale tag means. Pure: no I/O."""

from __future__ import annotations

import re

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
