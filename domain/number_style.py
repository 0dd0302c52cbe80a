"""The team's way of writing numbers: which Babel locale gives its separators, the units a value
carries, and the currency symbols people type. Shared by reading (`domain.numbers`), writing
(`domain.number_format`) and the limits on what can be kept (`domain.number_limits`).

* **Whose separators.** A team writes numbers the way its country does: the Babel
  locale `language_COUNTRY` when Babel knows it, else the country's own locale (`en` + `CO` has
  no `en_CO` in Babel, so it reads and writes like `es_CO`: "1.234,5"), else the language's.
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import get_decimal_symbol, get_group_symbol

PERCENT = "%"
HOURS = "h"
DEFAULT_CURRENCY = "COP"

# A non-breaking space between a number and "%" or "h", so Slack never wraps "1,6" from its "%".
NBSP = "\u00a0"

# Currency symbols as typed, and the code each one means; "$" alone is the team's currency (""),
# so writing uses this table too: a symbol is written only when it reads back as its currency.
CURRENCY_SYMBOLS = {
    "US$": "USD", "USD$": "USD", "U$S": "USD", "COL$": "COP", "COP$": "COP", "MX$": "MXN",
    "R$": "BRL", "S/.": "PEN", "S/": "PEN", "€": "EUR", "£": "GBP", "$": "",
}


@lru_cache(maxsize=256)
def number_locale(language: str, country: str | None) -> Locale:
    """The Babel locale whose numbers the team uses (see the module docstring)."""
    language = (language or "es").strip().replace("-", "_").split("_")[0].lower() or "es"
    candidates = []
    if country:
        code = country.strip().upper()
        if len(code) == 2 and code.isascii() and code.isalpha():
            candidates += [f"{language}_{code}", f"und_{code}"]
    candidates.append(language)
    for candidate in candidates:
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("es")


def number_symbols(language: str, country: str | None) -> tuple[str, str]:
    """(decimal, group) symbols: es-CO and en-CO → (",", "."); en, en-US → (".", ",")."""
    locale = number_locale(language, country)
    return get_decimal_symbol(locale), get_group_symbol(locale)


def typed_symbols(language: str, country: str | None) -> tuple[str, str]:
    """The (decimal, group) pair people type: always "." and "," in some order."""
    decimal, _ = number_symbols(language, country)
    return (",", ".") if decimal == "," else (".", ",")


def example_number(language: str, country: str | None) -> str:
    """1234.5 as the team writes it: "1.234,5" or "1,234.5"."""
    decimal, group = typed_symbols(language, country)
    return f"1{group}234{decimal}5"
