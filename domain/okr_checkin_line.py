"""The check-in line, `/alinea okr checkin KR VALUE [confidence|confianza 1-10] [note]`: which KR,
the value reached (none for a KPI-backed KR, which reads its KPI), the owner's confidence and a
note, read into a `domain.okr.CheckIn`. The value is read the team's way (`domain.numbers`).
"""

from __future__ import annotations

import re

from domain.errors import UserError
from domain.locales import normalize_locale
from domain.numbers import fold_keeping_positions, parse_quantity
from domain.okr import CheckIn, format_kr_id, validate_confidence

__all__ = ["parse_checkin"]

# "KR3", "kr 3", "KR#3", or a bare "3" when a value follows it ("3 1,4 %").
_CHECKIN_ID = re.compile(r"\s*(?:kr\s*#?\s*(?P<kr>\d{1,4})(?![\d.,])|#?(?P<bare>\d{1,4})(?=\s+[-+$€£]?\d))\s*:?\s*")
_CHECKIN_CONFIDENCE = re.compile(r"(?<!\w)(?:confidence|confianza|conf)\s*:?\s*(?P<number>\d{1,3})(?:\s*/\s*10)?(?!\w)")
_NOTE_EDGES = " \t\r\n,;:-–—"


def parse_checkin(text: str, *, language: str = "es", country: str | None = "CO", currency: str = "COP") -> CheckIn:
    """`KR3 1,4 % confianza 7 la campaña arrancó tarde` → CheckIn(3, 1.4, "%", 7, "la campaña…");
    `KR3 confianza 6 nota` (no value) → CheckIn(3, None, None, 6, "nota").

    The confidence may come anywhere after the value (`confidence 7`, `confianza: 7`, `conf 7/10`).
    Raises `okr.checkin_kr_missing`, `okr.checkin_value_missing`, `okr.invalid_confidence` or a
    `numbers.*` error for the value.
    """
    folded = fold_keeping_positions(text)
    found = _CHECKIN_ID.match(folded)
    if found is None:
        raise UserError("okr.checkin_kr_missing")
    number = int(found.group("kr") or found.group("bare"))
    rest = text[found.end() :]
    if not rest.strip():
        raise UserError("okr.checkin_value_missing", kr=format_kr_id(number))
    if _CHECKIN_CONFIDENCE.match(fold_keeping_positions(rest).lstrip()):  # no value: a KPI-backed KR's check-in
        value, unit, note = None, None, rest
    else:
        quantity, note = parse_quantity(rest, language=normalize_locale(language) or "es", country=country, currency=currency)
        value, unit = quantity.value, quantity.unit
    confidence = None
    mentioned = _CHECKIN_CONFIDENCE.search(fold_keeping_positions(note))
    if mentioned:
        confidence = validate_confidence(mentioned.group("number"))
        note = note[: mentioned.start()].rstrip(_NOTE_EDGES) + " " + note[mentioned.end() :].lstrip(_NOTE_EDGES)
    return CheckIn(number, value, unit, confidence, note.strip(_NOTE_EDGES))
