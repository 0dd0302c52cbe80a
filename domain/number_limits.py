"""What a number column can keep, and the refusal of a value that does not fit, where it is read.

* **What can be kept.** Values are stored in NUMERIC(24, 6) columns (db/types.py): at most
  18 digits before the decimal mark and 6 after it. A value read here that does not fit is
  refused where it is read, `numbers.too_large` (the largest value, written the team's way, in
  `largest`) or `numbers.too_precise` (the value rounded to 6 decimals, in `rounded`), rather
  than failing in the database later.
"""

from __future__ import annotations

from decimal import Decimal

from domain.errors import UserError
from domain.number_format import format_quantity, round_half_up
from domain.number_style import DEFAULT_CURRENCY, example_number

# What a NUMERIC(24, 6) column keeps (db/types.py): 18 digits before the decimal mark, 6 after.
MAX_WHOLE_DIGITS = 18
MAX_DECIMALS = 6
LARGEST_WHOLE = Decimal("9" * MAX_WHOLE_DIGITS)
NUMBER_LIMITS = frozenset({"numbers.too_large", "numbers.too_precise"})  # the errors `check_storable` raises
MAX_ID = 2**31 - 1  # ids and numbers of references live in INTEGER columns (PostgreSQL's int4)
_ECHO_LENGTH = 40  # characters of a refused number echoed back (a pasted wall of digits is not)


def storage_problem(value: Decimal) -> str | None:
    """Why a NUMERIC(24, 6) column cannot keep `value` exactly: "not_finite", "too_large" or
    "too_precise"; None when it can. No decimal context is involved, so 1E+400 or a value of
    3,000 digits is judged without rounding or failing."""
    if not value.is_finite():
        return "not_finite"
    if value.is_zero():
        return None
    if value.adjusted() >= MAX_WHOLE_DIGITS:
        return "too_large"
    if decimal_places(value) > MAX_DECIMALS:
        return "too_precise"
    return None


def decimal_places(value: Decimal) -> int:
    """Digits after the decimal mark, trailing zeros not counted: 1.500 → 1, 1E+3 → 0."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return 0
    zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + zeros))


def check_storable(value: Decimal, typed: str, *, language: str, country: str | None, unit: str | None = None, currency: str = DEFAULT_CURRENCY) -> Decimal:
    """`value` when a NUMERIC(24, 6) column keeps it exactly. Otherwise UserError
    `numbers.too_large` (with `largest`, the largest whole value the team's way) or
    `numbers.too_precise` (with `rounded`, the value rounded to six decimals); both carry
    `text` (what was typed, shortened) and `example`."""
    problem = storage_problem(value)
    if problem is None:
        return value
    shown = shortened(typed)
    example = example_number(language, country)
    if problem == "too_precise":
        rounded = round_half_up(value, MAX_DECIMALS)
        if storage_problem(rounded) is None:  # 999…9,9999999 rounds up past the largest value
            shown_rounded = format_quantity(rounded, unit, language=language, country=country, currency=currency)
            raise UserError("numbers.too_precise", text=shown, rounded=shown_rounded, decimals=MAX_DECIMALS, example=example)
    largest = format_quantity(LARGEST_WHOLE, None, language=language, country=country)
    raise UserError("numbers.too_large", text=shown, largest=largest, digits=MAX_WHOLE_DIGITS, example=example)


def shortened(typed: str, limit: int = _ECHO_LENGTH) -> str:
    """What a person typed, cut to `limit` characters for an echo ("1234…")."""
    typed = typed.strip()
    return typed if len(typed) <= limit else typed[: limit - 1] + "…"
