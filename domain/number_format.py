"""Writing a value the way the team writes numbers: `format_quantity` for what a person typed
(read back, it gives the same value), `display_quantity` for a computed value people read (an
average, a gap), rounded to two decimals at most.

* **Writing.** Babel's patterns for the team's number locale; COP without decimals (unless the
  value has some: none is dropped), USD with its two, percent as
  "1,6 %" in Spanish (a no-break space, as the RAE and ICONTEC write it) and "1.6%" in English,
  hours as "24 h". Without `decimals` no digit is dropped, so `parse_quantity` reads the text
  back to the same value and unit. With `decimals=3` a value such as 45 would be written
  "45,000" and read back as ambiguous: round the values shown to people to 0–2 decimals.
"""

from __future__ import annotations

import re
from functools import lru_cache
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_currency_precision, get_currency_symbol

from domain.number_style import CURRENCY_SYMBOLS, DEFAULT_CURRENCY, HOURS, NBSP, PERCENT, number_locale


def _numeric_pattern(decimals: int | None) -> str:
    """Grouped digits; no fixed decimals unless asked (Babel then keeps the value's own)."""
    return "#,##0" + ("." + "0" * decimals if decimals else "")


def _with_decimals(pattern: str, decimals: int) -> str:
    """A Babel pattern with its fraction digits set: "¤#,##0.00" → "¤#,##0" for decimals=0."""
    fraction = "." + "0" * decimals if decimals else ""
    return re.sub(r"([#,]*0+)(?:\.[0#]+)?", lambda match: match.group(1) + fraction, pattern)


def round_half_up(value: Decimal, decimals: int | None) -> Decimal:
    if decimals is None:
        return value
    room = Context(prec=len(value.as_tuple().digits) + max(decimals, 0) + 2)  # never short of digits
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=room)


DISPLAY_PLACES = Decimal("0.01")


def rounded_for_display(value: Decimal, places: Decimal = DISPLAY_PLACES) -> Decimal:
    """At most `places` (a week's average can have six decimals), no trailing zeros."""
    rounded = Decimal(value).quantize(places, rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return rounded.quantize(Decimal(1))
    return rounded.normalize()


def display_quantity(value: Decimal, unit: str | None, *, language: str, country: str | None, currency: str = DEFAULT_CURRENCY) -> str:
    """A computed value for people to read (an average, a target on a line, a gap): two decimals
    at most, whole pesos for COP. What a person typed is echoed with `format_quantity` instead."""
    places = Decimal(1) if unit is not None and unit.upper() == "COP" else DISPLAY_PLACES
    return format_quantity(rounded_for_display(value, places), unit, language=language, country=country, currency=currency)


def format_quantity(
    value: Decimal,
    unit: str | None,
    *,
    language: str,
    country: str | None,
    decimals: int | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> str:
    """A value as the team writes it: "1,6 %", "1.6%", "$45.000.000", "24 h", "1.234,5".

    With `decimals=None` no digit of the value is dropped (so reading the text back gives the
    value), and no zeros are added beyond the currency's own (COP shows none, USD
    shows two). With `decimals=n` the value is rounded half up to exactly n places. `currency`
    is the team's currency: its amounts use the locale's symbol ("$" in es-CO), and any other
    currency whose symbol would read back as the team's shows its ISO code ("USD1,234.50").
    """
    # Cached by the value's exact text (Decimal("1.0") and Decimal("1.00") are equal but are
    # written differently): an agenda writes the same few hundred values many times (its blocks,
    # its text, the grounding check of its summary), and Babel's formatting is the costly part.
    return _formatted(str(Decimal(value)), unit, language, country, decimals, currency)


@lru_cache(maxsize=8192)
def _formatted(text: str, unit: str | None, language: str, country: str | None, decimals: int | None, currency: str) -> str:
    locale = number_locale(language, country)
    value = round_half_up(Decimal(text), decimals)
    if value.is_zero():
        value = value.copy_abs()
    # Babel rounds in the current decimal context: give it room for every digit of the value.
    with localcontext(Context(prec=max(28, len(value.as_tuple().digits) + (decimals or 0) + 2))):
        number = _format(value, unit, locale=locale, decimals=decimals, currency=currency.upper())
    if unit == PERCENT:
        spanish = (language or "es").lower().startswith("es")
        return number + (NBSP + "%" if spanish else "%")  # RAE and ICONTEC space it; English does not
    if unit == HOURS:
        return number + NBSP + "h"
    return number


def _format(value: Decimal, unit: str | None, *, locale: Locale, decimals: int | None, currency: str) -> str:
    quantize = decimals is not None
    if unit is None or unit in (PERCENT, HOURS):
        return format_decimal(value, format=_numeric_pattern(decimals), locale=locale, decimal_quantization=quantize)
    code = unit.upper()
    minimum = 0 if code == "COP" else get_currency_precision(code)
    pattern = _with_decimals(locale.currency_formats["standard"].pattern, minimum if decimals is None else decimals)
    if not _symbol_reads_back(get_currency_symbol(code, locale), code, currency):
        pattern = pattern.replace("¤", "¤¤")
    return format_currency(value, code, format=pattern, locale=locale, currency_digits=False, decimal_quantization=quantize)


def _symbol_reads_back(symbol: str, code: str, currency: str) -> bool:
    if symbol in CURRENCY_SYMBOLS:
        return (CURRENCY_SYMBOLS[symbol] or currency) == code
    return symbol == code
