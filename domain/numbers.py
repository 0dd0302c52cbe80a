"""What people type as a KPI value, read the way their team writes numbers.

    /alinea kpi registrar ventas 45 millones COP feria de Medellín
    /alinea kpi log web_conversion 1.6% for last week

`parse_quantity` reads a number at the start of the text, with optional unit and multiplier
words, and hands back the rest (the note). Pure. Writing a value is `domain.number_format`'s,
the team's separators and units `domain.number_style`'s, and what a column can keep
`domain.number_limits`'s (`check_storable`, called here on every value read).

Rules (decided here, tested in tests/unit/test_numbers.py):

* **Reading a number.** Digits may be grouped in threes with the team's group separator (an
  apostrophe, as in the Colombian "1'234.567", and non-breaking spaces count as group marks
  too); at most one decimal separator follows the groups. If the text is a valid number in the
  team's way, that reading wins ("1.234" is 1234 in es-CO, "1,234" is 1.234). If it is valid
  only in the other way ("45,000,000" or "1,234.5" in an es-CO team; "12.5" there too, since a
  group mark is always followed by three digits), that reading is unambiguous and accepted. One case is
  refused as `numbers.ambiguous`: a single team decimal separator followed by exactly three
  digits ending in 0 ("45,000" or "1,500" in es-CO, "1.500" in en) — decimals are not written
  with a trailing zero but thousands are, so it is probably the other convention's thousands.
  Anything else is `numbers.not_a_number`. Both errors carry `example`: 1234.5 as the team
  writes it ("1.234,5" / "1,234.5").
* **Multipliers** (any language, any case unless noted): `k`, `mil`, `thousand(s)` = 10³;
  `M` and `MM` (upper case only: Colombian "MM" is millions; lower-case "m" is not read),
  `mill`, `millón`, `millones`, `million(s)` = 10⁶; `mil millones`, `millardo(s)`, `B` (upper
  case), `bn`, `billion(s)` = 10⁹; the Spanish word `billón`/`billones` = 10¹² (a Spanish
  billón is a million millions; the word itself says which language it is, so the team's
  language does not change it). Values are scaled exactly (Decimal digits, no float, no
  context rounding).
* **Units.** `%`, `por ciento`, `percent`, `pct` → "%" (the value is in percent points: "1,6 %"
  is 1.6). `h`, `hr(s)`, `hora(s)`, `hour(s)` → "h". Currencies: `$` means the team's currency
  (the `currency` parameter, COP by default); an explicit code wins over a bare `$`
  ("$ 45 USD" is USD); ISO codes of the region (COP, USD, EUR, MXN…) in upper case, and the
  ones that are not words (cop, usd, eur, mxn, clp, ars, brl) in any case; symbols `US$`, `€`,
  `R$`, `MX$`, `COL$`, `S/`, `£`; words `dólares`/`dollars` → USD, `euros` → EUR, `pesos` →
  the team's currency when it is a peso. "45 millones de pesos": a `de` between a multiplier
  and a currency is read too. Two different units ("COP 45 USD", "12 % h") are
  `numbers.conflicting_units`.
* **Where the value ends.** After the number, unit and multiplier words are read while they
  come; the first other word starts the note ("12 leads de la feria" → 12, "leads de la feria").
  A note that starts with a unit or multiplier word loses it ("12 mil leads" is 12000 leads).
  Letters glued to the number that are not a unit ("12leads", "45m") are
  `numbers.unknown_unit`, rather than a guess. An empty value is `numbers.missing`.
* **Other scripts and signs.** Digits of other scripts ("٣٤٥", full-width "１２") are read as the
  digits they are; a sign on zero is dropped ("-0" is 0).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from domain.commands import fold
from domain.errors import UserError
from domain.number_limits import MAX_ID, check_storable, shortened
from domain.number_style import CURRENCY_SYMBOLS, DEFAULT_CURRENCY, HOURS, PERCENT, example_number, typed_symbols


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit: str | None  # "%", "h", an ISO currency code ("COP", "USD"), or None
    text: str  # the part of the input read as the value, e.g. "45 millones COP"


# ---------------------------------------------------------------------------------------------
# Words

_MULTIPLIER_WORDS = {  # folded (lower case, no accents) → power of ten
    "k": 3, "mil": 3, "thousand": 3, "thousands": 3,
    "mill": 6, "millon": 6, "millones": 6, "million": 6, "millions": 6,
    "mil millones": 9, "millardo": 9, "millardos": 9, "bn": 9, "billion": 9, "billions": 9,
    "billon": 12, "billones": 12,
}
_MULTIPLIER_CASED = {"M": 6, "MM": 6, "B": 9}  # as typed: "m" and "b" mean nothing here

_PERCENT_WORDS = ("%", "por ciento", "porciento", "percent", "per cent", "pct")
_HOUR_WORDS = ("h", "hr", "hrs", "hora", "horas", "hour", "hours")

# Currencies people in the region type as codes. Upper case always; lower case only for those
# that are not also words ("pen", "bob", "top", "all" are).
_CURRENCY_CODES = {
    "COP", "USD", "EUR", "MXN", "CLP", "ARS", "BRL", "PEN", "UYU", "PYG", "BOB", "CRC", "DOP",
    "GTQ", "HNL", "NIO", "PAB", "VES", "CAD", "GBP",
}
_CODES_ANY_CASE = {"cop", "usd", "eur", "mxn", "clp", "ars", "brl"}
_CURRENCY_WORDS = {  # folded; "" = the team's currency, if it is a peso
    "dolares": "USD", "dolar": "USD", "dollars": "USD", "dollar": "USD",
    "euros": "EUR", "euro": "EUR", "pesos": "", "peso": "",
}
_PESOS = {"COP", "MXN", "CLP", "ARS", "UYU", "DOP", "CUP", "PHP"}

_SIGNS = {"-": -1, "−": -1, "+": 1}
_GROUP_MARKS = "'’\u00a0\u202f"  # apostrophes and non-breaking spaces: always a group mark
_NUMBER = re.compile(r"[0-9]+(?:[.,'’\u00a0\u202f][0-9]+)*|[.,][0-9]+")
_WORD_END = r"(?![^\W\d_])"  # the word is not followed by a letter ("COP45" is a code and a number)
_SPACE = re.compile(r"\s*")
_EXPONENT = re.compile(rf"[eE](?P<sign>[-+−]?)(?P<digits>[0-9]+){_WORD_END}")


def _alternation(words) -> str:
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in sorted(words, key=len, reverse=True))


_MULTIPLIER_FOLDED_RE = re.compile(rf"(?:{_alternation(_MULTIPLIER_WORDS)}){_WORD_END}")
_MULTIPLIER_CASED_RE = re.compile(rf"(?:{_alternation(_MULTIPLIER_CASED)}){_WORD_END}")
_PERCENT_RE = re.compile(rf"%|(?:{_alternation(w for w in _PERCENT_WORDS if w != '%')}){_WORD_END}")
_HOURS_RE = re.compile(rf"(?:{_alternation(_HOUR_WORDS)}){_WORD_END}")
_SYMBOL_RE = re.compile(_alternation(CURRENCY_SYMBOLS))
_CODE_RE = re.compile(rf"[A-Za-z]{{3}}{_WORD_END}")
_CURRENCY_WORD_RE = re.compile(rf"(?:{_alternation(_CURRENCY_WORDS)}){_WORD_END}")
_DE_RE = re.compile(r"de\s+")
_GLUED_WORD = re.compile(r"[^\W\d_]+")


# ---------------------------------------------------------------------------------------------
# Reading


def typed_whole(text: str, *, limit: int = MAX_ID) -> int | None:
    """A whole number typed alone, as the number of a reference ("3" of `O3`, `KR3`, `T3`,
    `SLA3`, alert `#3`) or a count of hours: "3", "٣", "0042". None when it is not digits
    ("²" is a digit to `str.isdigit`, not to `int`) or above `limit`: an id beyond an
    INTEGER column names nothing, and `int()` refuses 4,300 digits."""
    digits = ascii_digits(text.strip())
    if not (digits.isascii() and digits.isdigit()):
        return None
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(limit)):
        return None
    number = int(digits)
    return number if number <= limit else None


def ascii_digits(text: str) -> str:
    """Decimal digits of any script as ASCII digits, one character for one ("٣٤٥" → "345"),
    so positions in the result are positions in `text`."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(char)) if not char.isascii() and char.isdecimal() else char for char in text)


def fold_keeping_positions(text: str) -> str:
    """`fold` per character, so the folded text indexes like the original ("Millón" → "millon";
    a character whose fold is longer, such as "ß", stays as it is)."""
    out = []
    for char in text:
        folded = fold(char)
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)


def parse_quantity(text: str, *, language: str, country: str | None, currency: str = DEFAULT_CURRENCY) -> tuple[Quantity, str]:
    """`"45 millones COP feria"` → (Quantity(45000000, "COP", "45 millones COP"), "feria").

    Raises UserError `numbers.missing` (empty text), `numbers.not_a_number`,
    `numbers.ambiguous`, `numbers.unknown_unit` or `numbers.conflicting_units`.
    """
    reader = _Reader(text, language=language, country=country, currency=currency.upper())
    return reader.read()


class _Reader:
    def __init__(self, text: str, *, language: str, country: str | None, currency: str):
        self.typed = text  # as typed, for echoes
        self.text = ascii_digits(text)  # read with ASCII digits (same positions)
        self.folded = fold_keeping_positions(text)
        self.language = language
        self.country = country
        self.currency = currency
        self.example = example_number(language, country)
        self.pos = 0
        self.start = 0  # where the value starts (after leading spaces)
        self.currencies: list[tuple[str, bool]] = []  # (code, explicit), in the order typed
        self.other_unit: str | None = None  # "%" or "h"

    # -- helpers

    def _first_word(self) -> str:
        stripped = self.typed.strip()
        return shortened(stripped.split()[0]) if stripped else ""

    def _not_a_number(self) -> UserError:
        return UserError("numbers.not_a_number", text=self._first_word(), example=self.example)

    def _skip_space(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()

    def _sign(self) -> int | None:
        char = self.text[self.pos : self.pos + 1]
        if char and char in _SIGNS:
            self.pos += 1
            return _SIGNS[char]
        return None

    def _currency_at(self, pos: int) -> tuple[int, str, bool] | None:
        """A currency symbol, code or word at `pos`: (end, code, explicit); a bare "$" is not
        explicit (it is the team's currency unless a code says otherwise)."""
        match = _SYMBOL_RE.match(self.text, pos)
        if match:
            code = CURRENCY_SYMBOLS[match.group(0)] or self.currency
            return match.end(), code, match.group(0) != "$"
        match = _CODE_RE.match(self.text, pos)
        if match:
            typed = match.group(0)
            code = typed.upper()
            if code == self.currency or (code in _CURRENCY_CODES and (typed.isupper() or typed in _CODES_ANY_CASE)):
                return match.end(), code, True
        match = _CURRENCY_WORD_RE.match(self.folded, pos)
        if match:
            code = _CURRENCY_WORDS[re.sub(r"\s+", " ", match.group(0))]
            if code:
                return match.end(), code, True
            if self.currency in _PESOS:
                return match.end(), self.currency, True
        return None

    # -- the parts

    def read(self) -> tuple[Quantity, str]:
        self._skip_space()
        start = self.start = self.pos
        sign = self._sign()
        prefix = self._currency_at(self.pos)
        if prefix is not None:
            self.pos = prefix[0]
            self.currencies.append((prefix[1], prefix[2]))
            self._skip_space()
            if sign is None:
                sign = self._sign()
        number = _NUMBER.match(self.text, self.pos)
        if number is None:
            if not self.text.strip():
                raise UserError("numbers.missing", example=self.example)
            raise self._not_a_number()
        self.pos = number.end()
        value = self._number_value(number.group(0))
        exponent = self._exponent()
        exponent += self._units()
        if sign == -1 and not value.is_zero():
            value = value.copy_negate()  # exact: unary minus would round to the context's 28 digits
        end = self.pos
        unit = self._unit()
        typed = self.typed[start:end].strip()
        # Judged before the digits are written out: "1e999999" must not become a million zeros.
        check_storable(_shifted(value, exponent), typed, language=self.language, country=self.country, unit=unit, currency=self.currency)
        quantity = Quantity(value=_scale(value, exponent), unit=unit, text=typed)
        return quantity, _clean_rest(self.typed[end:])

    def _number_value(self, typed: str) -> Decimal:
        decimal, group = typed_symbols(self.language, self.country)
        normal = typed
        for mark in _GROUP_MARKS:
            normal = normal.replace(mark, group)
        ours = read_number(normal, decimal, group)
        theirs = read_number(normal, group, decimal)
        if ours is not None:
            if theirs is not None and theirs != ours and _looks_like_thousands(normal, decimal):
                raise UserError("numbers.ambiguous", text=typed, example=self.example)
            return ours
        if theirs is not None:
            return theirs
        raise UserError("numbers.not_a_number", text=self._glued_token(), example=self.example)

    def _glued_token(self) -> str:
        """The run of non-spaces that holds the last character read, as typed."""
        for token in re.finditer(r"\S+", self.typed):
            if token.start() < self.pos <= token.end():
                return shortened(token.group(0))
        return self._first_word()

    def _exponent(self) -> int:
        """A power of ten glued to the number, as spreadsheets write it ("1,5E+06", "2e-3")."""
        match = _EXPONENT.match(self.text, self.pos)
        if match is None:
            return 0
        self.pos = match.end()
        digits = match.group("digits").lstrip("0") or "0"
        power = int(digits) if len(digits) <= 6 else 10**6  # past any column either way; int() refuses 4,300 digits
        return -power if match.group("sign") in ("-", "−") else power

    def _units(self) -> int:
        """Read multiplier and unit words after the number; return the power of ten."""
        exponent = 0
        unit_seen = False  # a multiplier comes before any unit word: "45M COP", not "45 COP M"
        while True:
            before = self.pos
            self._skip_space()
            glued = self.pos == before
            step = self._unit_word(allow_multiplier=not unit_seen)
            if step is None:
                if glued and self.pos < len(self.text) and _GLUED_WORD.match(self.text, self.pos):
                    word = _GLUED_WORD.match(self.text, self.pos).group(0)
                    raise UserError("numbers.unknown_unit", text=self._glued_token(), unit=shortened(word), example=self.example)
                self.pos = before
                return exponent
            kind, end, power = step
            self.pos = end
            unit_seen = True
            if kind == "multiplier":
                exponent = power
                # "45 millones de pesos": the "de" belongs to the value only before a currency.
                spaced = _SPACE.match(self.text, self.pos).end()
                de = _DE_RE.match(self.folded, spaced)
                if spaced > self.pos and de and self._currency_at(de.end()) is not None:
                    self.pos = de.end()

    def _unit_word(self, *, allow_multiplier: bool) -> tuple[str, int, int] | None:
        """The multiplier or unit word at the current position: (kind, end, power of ten)."""
        pos = self.pos
        if pos >= len(self.text):
            return None
        if allow_multiplier:
            cased = _MULTIPLIER_CASED_RE.match(self.text, pos)
            folded = _MULTIPLIER_FOLDED_RE.match(self.folded, pos)
            if folded and (not cased or folded.end() >= cased.end()):
                return "multiplier", folded.end(), _MULTIPLIER_WORDS[re.sub(r"\s+", " ", folded.group(0))]
            if cased:
                return "multiplier", cased.end(), _MULTIPLIER_CASED[cased.group(0)]
        match = _PERCENT_RE.match(self.folded, pos)
        if match:
            self._set_other_unit(PERCENT, match.end())
            return "unit", match.end(), 0
        match = _HOURS_RE.match(self.folded, pos)
        if match:
            self._set_other_unit(HOURS, match.end())
            return "unit", match.end(), 0
        currency = self._currency_at(pos)
        if currency is not None:
            end, code, explicit = currency
            self.currencies.append((code, explicit))
            self._check_units(end)
            return "unit", end, 0
        return None

    def _set_other_unit(self, unit: str, end: int) -> None:
        if self.other_unit is not None and self.other_unit != unit:
            raise UserError("numbers.conflicting_units", text=shortened(self.typed[self.start : end]))
        self.other_unit = unit
        self._check_units(end)

    def _check_units(self, end: int) -> None:
        """One unit per value: "COP 45 USD" or "12 % h" is refused, "$ 45 USD" is USD."""
        explicit = {code for code, is_explicit in self.currencies if is_explicit}
        if len(explicit) > 1 or (self.currencies and self.other_unit is not None):
            raise UserError("numbers.conflicting_units", text=shortened(self.typed[self.start : end]))

    def _unit(self) -> str | None:
        if self.other_unit is not None:
            return self.other_unit
        explicit = [code for code, is_explicit in self.currencies if is_explicit]
        if explicit:
            return explicit[0]
        if self.currencies:
            return self.currencies[0][0]
        return None


def read_number(typed: str, decimal: str, group: str) -> Decimal | None:
    """The value of `typed` written with these separators, or None if it is not written so.

    Groups are exact: after the first group (1–3 digits, not starting with 0) come groups of
    exactly three digits; at most one decimal separator, after every group separator.
    """
    if typed.startswith(decimal):
        typed = "0" + typed
    integer, has_decimal, fraction = typed.partition(decimal)
    if decimal in fraction or group in fraction or (has_decimal and not fraction):
        return None
    groups = integer.split(group)
    if any(not part for part in groups):
        return None
    if len(groups) > 1:
        first, rest = groups[0], groups[1:]
        if len(first) > 3 or first.startswith("0") or any(len(part) != 3 for part in rest):
            return None
    digits = "".join(groups)
    return Decimal(f"{digits}.{fraction}" if fraction else digits)


def _looks_like_thousands(typed: str, decimal: str) -> bool:
    """One decimal separator and exactly three digits after it, ending in 0: "45,000" in es-CO."""
    integer, _, fraction = typed.partition(decimal)
    return typed.count(decimal) == 1 and len(fraction) == 3 and fraction.endswith("0") and integer.isdigit()


def _shifted(value: Decimal, exponent: int) -> Decimal:
    """value × 10^exponent with the exponent kept (1E+400): no digit is written out."""
    sign, digits, exp = value.as_tuple()
    return Decimal((sign, digits, exp + exponent))


def _scale(value: Decimal, exponent: int) -> Decimal:
    """value × 10^exponent, exactly (digits moved, no rounding context), without an exponent."""
    if exponent == 0:
        return value
    if value.is_zero():
        return Decimal(0)  # "0e999999": nothing to move
    sign, digits, exp = value.as_tuple()
    exp += exponent
    if exp > 0:
        digits = tuple(digits) + (0,) * exp
        exp = 0
    return Decimal((sign, digits, exp))


_REST_START = re.compile(r"^[\s,;:]*(?:[-–—](?:\s+|$))?\s*")


def _clean_rest(rest: str) -> str:
    """The note after the value: without the spaces, commas or dash that separated it."""
    return _REST_START.sub("", rest, count=1).strip()
