"""Reading `/alinea okr retarget|meta …`: a key result's new target and/or deadline, and why.

    KR3 NEW_TARGET [al|by|para|hasta DATE] razón|reason TEXT
    KR3 al|by|para DATE razón|reason TEXT                   (only a new deadline)

The target is a number the team's way (`domain.numbers.parse_quantity`: "20 %", "1,8 %",
"50 millones COP"); the date is anything `domain.smart_timing.parse_deadline` reads ("al 30/06/2026",
"by Jun 30", "en 6 semanas"). The reason starts at the first `razón`, `motivo`, `porque`,
`reason` or `because` and runs to the end; it may be left out here, and the service refuses
a re-target without one (so the message names the KR). Pure: no storage, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.errors import UserError
from domain.examples import example_params
from domain.locales import normalize_locale
from domain.number_style import DEFAULT_CURRENCY
from domain.numbers import Quantity, fold_keeping_positions, parse_quantity
from domain.okr import format_kr_id
from domain.smart_timing import parse_deadline

__all__ = ["RetargetRequest", "parse_retarget"]

# "KR3", "kr 3", "KR#3", "#3", or a bare "3" when a value or a date follows it ("3 20 %", "3 al 30/06").
_KR = re.compile(
    r"\s*(?:kr\s*#?\s*(?P<kr>\d{1,4})(?![\d.,/])|#(?P<hash>\d{1,4})(?![\d.,/])"
    r"|(?P<bare>\d{1,4})(?=\s+(?:[-+−$€£]?\d|(?:al|by|para|hasta)\s)))\s*:?\s*"
)
_REASON = re.compile(r"(?<!\w)(?:razon|razones|motivo|porque|reason|because)(?!\w)\s*:?\s*")
_VALUE_FIRST = re.compile(r"[-+−]?\s*(?:US\$|COL\$|COP\$|\$|€|£)?\s*\d")
_DATE_FIRST = re.compile(
    r"(?:al|hasta|para|antes|by|before|until|till|due)(?!\w)|(?:en|in)\s+\d|\d{1,4}[/\-.]\d|\d{1,2}\s+[^\W\d_]"
)


@dataclass(frozen=True)
class RetargetRequest:
    kr_number: int
    target: Quantity | None  # None: the target stays
    deadline: date | None  # None: the deadline stays
    reason: str

    @property
    def kr(self) -> str:
        return format_kr_id(self.kr_number)


def parse_retarget(
    text: str, *, today: date, language: str = "es", country: str | None = "CO", currency: str = DEFAULT_CURRENCY
) -> RetargetRequest:
    """`KR3 20 % al 30/06/2026 razón la campaña de mayo se canceló` →
    RetargetRequest(3, Quantity(20, "%"), 2026-06-30, "la campaña de mayo se canceló").

    Raises `okr.ui.retarget.kr_missing` (no KR first), `okr.ui.retarget.nothing` (neither a
    target nor a date), `okr.ui.retarget.unclear` (words that are neither a date nor the reason),
    or the `numbers.*` / `smart.unknown_date` errors of the value and the date.
    """
    language = normalize_locale(language) or "es"
    folded = fold_keeping_positions(text)
    found = _KR.match(folded)
    if found is None:
        raise UserError("okr.ui.retarget.kr_missing", **example_params(today, language))
    number = int(found.group("kr") or found.group("hash") or found.group("bare"))
    if number < 1:
        raise UserError("okr.ui.retarget.kr_missing", **example_params(today, language))
    kr = format_kr_id(number)
    rest_start = found.end()
    reason_at = _REASON.search(folded, rest_start)
    middle = text[rest_start : reason_at.start() if reason_at else len(text)].strip(" \t\r\n,;:")
    reason = text[reason_at.end() :].strip() if reason_at else ""
    if not middle:
        raise UserError("okr.ui.retarget.nothing", kr=kr, **example_params(today, language))
    target, deadline = _target_and_deadline(middle, kr=kr, today=today, language=language, country=country, currency=currency)
    return RetargetRequest(number, target, deadline, reason)


def _target_and_deadline(
    middle: str, *, kr: str, today: date, language: str, country: str | None, currency: str
) -> tuple[Quantity | None, date | None]:
    """"20 % al 30/06/2026" → (20 %, 30 Jun); "al 30/06/2026" → (None, 30 Jun); "20 %" → (20 %, None)."""
    try:
        return None, parse_deadline(middle, today=today, language=language)
    except UserError as not_a_date:
        if not _VALUE_FIRST.match(fold_keeping_positions(middle)):
            raise _unclear(middle, kr, not_a_date, today, language) from None
    quantity, rest = parse_quantity(middle, language=language, country=country, currency=currency)
    if not rest.strip():
        return quantity, None
    try:
        return quantity, parse_deadline(rest, today=today, language=language)
    except UserError as not_a_date:
        raise _unclear(rest, kr, not_a_date, today, language) from None


def _unclear(words: str, kr: str, not_a_date: UserError, today: date, language: str) -> UserError:
    """A date that does not read keeps the date's own message; other words were probably meant
    as the reason, without its word."""
    if _DATE_FIRST.match(fold_keeping_positions(words.strip())):
        return not_a_date
    return UserError("okr.ui.retarget.unclear", kr=kr, words=words.strip(), **example_params(today, language))
