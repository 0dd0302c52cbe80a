"""Reading and writing KPI values the way each team writes numbers (domain/numbers.py reads,
domain/number_format.py writes, domain/number_style.py holds the team's separators)."""

from decimal import ROUND_HALF_UP, Context, Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.commands import fold
from domain.errors import UserError
from domain.number_format import display_quantity, format_quantity
from domain.number_style import NBSP, example_number, number_symbols
from domain.numbers import Quantity, parse_quantity

ES_CO = {"language": "es", "country": "CO"}
EN_CO = {"language": "en", "country": "CO"}
EN_US = {"language": "en", "country": "US"}
ES = {"language": "es", "country": None}
EN = {"language": "en", "country": None}
ES_MX = {"language": "es", "country": "MX"}
TEAMS = [ES_CO, EN_CO, EN_US, ES, EN, ES_MX]


def read(text, team=ES_CO, **kwargs):
    return parse_quantity(text, **team, **kwargs)


def expect_error(message_id, params, text, team=ES_CO, **kwargs):
    with pytest.raises(UserError) as info:
        read(text, team, **kwargs)
    assert (info.value.message_id, info.value.params) == (message_id, params)


# --- the team's symbols ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, country, symbols, example",
    [
        ("es", "CO", (",", "."), "1.234,5"),
        ("en", "CO", (",", "."), "1.234,5"),  # Babel has no en_CO; numbers follow Colombia (docs/decisions.md)
        ("en", "US", (".", ","), "1,234.5"),
        ("en", None, (".", ","), "1,234.5"),
        ("es", None, (",", "."), "1.234,5"),
        ("es", "MX", (".", ","), "1,234.5"),  # Mexico writes like the US
        ("en", "ZZ", (".", ","), "1,234.5"),  # an unknown country falls back to the language
        ("en", "co", (",", "."), "1.234,5"),
    ],
)
def test_number_symbols(language, country, symbols, example):
    assert number_symbols(language, country) == symbols
    assert example_number(language, country) == example


# --- what people type, es-CO -----------------------------------------------------------------

M = Decimal(1_000_000)


@pytest.mark.parametrize(
    "text, value, unit, typed, rest",
    [
        ("1,6 %", Decimal("1.6"), "%", "1,6 %", ""),
        ("1,6%", Decimal("1.6"), "%", "1,6%", ""),
        ("1,6 por ciento", Decimal("1.6"), "%", "1,6 por ciento", ""),
        ("45.000.000", 45 * M, None, "45.000.000", ""),
        ("45M", 45 * M, None, "45M", ""),
        ("45 M", 45 * M, None, "45 M", ""),
        ("45MM", 45 * M, None, "45MM", ""),
        ("45 millones", 45 * M, None, "45 millones", ""),
        ("45 Millones", 45 * M, None, "45 Millones", ""),
        ("1 millón", M, None, "1 millón", ""),
        ("45 mill", 45 * M, None, "45 mill", ""),
        ("1,5 millones", Decimal("1500000"), None, "1,5 millones", ""),
        ("45 mil", Decimal("45000"), None, "45 mil", ""),
        ("45k", Decimal("45000"), None, "45k", ""),
        ("45K", Decimal("45000"), None, "45K", ""),
        ("2,5k", Decimal("2500"), None, "2,5k", ""),
        ("45M COP", 45 * M, "COP", "45M COP", ""),
        ("COP 45.000.000", 45 * M, "COP", "COP 45.000.000", ""),
        ("COP45.000.000", 45 * M, "COP", "COP45.000.000", ""),
        ("$45.000.000", 45 * M, "COP", "$45.000.000", ""),
        ("$ 45.000.000 COP", 45 * M, "COP", "$ 45.000.000 COP", ""),
        ("45 millones de pesos", 45 * M, "COP", "45 millones de pesos", ""),
        ("45 millones cop", 45 * M, "COP", "45 millones cop", ""),
        ("US$ 1.200", Decimal("1200"), "USD", "US$ 1.200", ""),
        ("1.200 dólares", Decimal("1200"), "USD", "1.200 dólares", ""),
        ("$ 1.200 USD", Decimal("1200"), "USD", "$ 1.200 USD", ""),  # a code says which dollars
        ("-3", Decimal("-3"), None, "-3", ""),
        ("−3", Decimal("-3"), None, "−3", ""),
        ("+3", Decimal("3"), None, "+3", ""),
        ("-$1.234,5", Decimal("-1234.5"), "COP", "-$1.234,5", ""),
        ("0", Decimal("0"), None, "0", ""),
        ("24 h", Decimal("24"), "h", "24 h", ""),
        ("24h", Decimal("24"), "h", "24h", ""),
        ("24 horas", Decimal("24"), "h", "24 horas", ""),
        ("1,5 horas", Decimal("1.5"), "h", "1,5 horas", ""),
        ("1.234,5", Decimal("1234.5"), None, "1.234,5", ""),
        ("1234,5", Decimal("1234.5"), None, "1234,5", ""),
        ("0,125", Decimal("0.125"), None, "0,125", ""),
        ("0,500", Decimal("0.5"), None, "0,500", ""),  # a leading 0 cannot start a group of thousands
        (",5", Decimal("0.5"), None, ",5", ""),
        ("1'234.567", Decimal("1234567"), None, "1'234.567", ""),  # the Colombian apostrophe for millions
        ("45 mil millones", Decimal("45000000000"), None, "45 mil millones", ""),
        ("2 billones", Decimal("2000000000000"), None, "2 billones", ""),  # Spanish billón = 10^12
        ("2 billion", Decimal("2000000000"), None, "2 billion", ""),  # English billion = 10^9
        ("2B", Decimal("2000000000"), None, "2B", ""),
        ("12 leads de la feria", Decimal("12"), None, "12", "leads de la feria"),
        ("12 Leads de la feria", Decimal("12"), None, "12", "Leads de la feria"),
        ("12 mil leads de la feria", Decimal("12000"), None, "12 mil", "leads de la feria"),
        ("45 millones de la feria", 45 * M, None, "45 millones", "de la feria"),
        ("12 por la feria", Decimal("12"), None, "12", "por la feria"),
        ("12 m de tela", Decimal("12"), None, "12", "m de tela"),  # lower-case m is not a million
        ("12 millas", Decimal("12"), None, "12", "millas"),
        ("12, feria", Decimal("12"), None, "12", "feria"),
        ("12 - feria", Decimal("12"), None, "12", "feria"),
        ("  1,6 %   campaña navidad  ", Decimal("1.6"), "%", "1,6 %", "campaña navidad"),
        ("1,6\u00a0%", Decimal("1.6"), "%", "1,6\u00a0%", ""),
    ],
)
def test_reads_what_colombian_teams_type(text, value, unit, typed, rest):
    quantity, note = read(text)
    assert quantity == Quantity(value, unit, typed)
    assert note == rest


@pytest.mark.parametrize(
    "text, value",
    [
        ("45,000,000", 45 * M),  # several commas: only thousands can be meant
        ("1,234.5", Decimal("1234.5")),  # a comma before a point: US-style thousands and decimals
        ("12.5", Decimal("12.5")),  # a group separator is followed by three digits, so this is a decimal
        ("1.50", Decimal("1.5")),
        ("1,234", Decimal("1.234")),  # valid the team's way: the team's way wins
        ("1.234", Decimal("1234")),
    ],
)
def test_colombian_team_reads_the_other_convention_only_when_unambiguous(text, value):
    assert read(text)[0].value == value


@pytest.mark.parametrize(
    "text, value, unit, rest",
    [
        ("1.6 %", Decimal("1.6"), "%", ""),
        ("1.6%", Decimal("1.6"), "%", ""),
        ("1.6 percent", Decimal("1.6"), "%", ""),
        ("45,000,000", 45 * M, None, ""),
        ("45M", 45 * M, None, ""),
        ("45 million", 45 * M, None, ""),
        ("45 millions", 45 * M, None, ""),
        ("45 thousand", Decimal("45000"), None, ""),
        ("45k", Decimal("45000"), None, ""),
        ("1,234.5", Decimal("1234.5"), None, ""),
        ("$45,000,000", 45 * M, "USD", ""),
        ("$45M", 45 * M, "USD", ""),
        ("45M COP", 45 * M, "COP", ""),
        ("24 hours", Decimal("24"), "h", ""),
        ("1 hour", Decimal("1"), "h", ""),
        ("-3.25", Decimal("-3.25"), None, ""),
        ("1.234,5", Decimal("1234.5"), None, ""),  # Colombian style in a US team, unambiguous
        ("45.000.000", 45 * M, None, ""),
        ("12 leads from the fair", Decimal("12"), None, "leads from the fair"),
    ],
)
def test_reads_what_english_teams_type(text, value, unit, rest):
    quantity, note = read(text, EN_US, currency="USD")
    assert (quantity.value, quantity.unit, note) == (value, unit, rest)


def test_long_numbers_stay_exact():
    longest = "123.456.789.012.345.678,123456"  # 24 significant digits: all a NUMERIC(24, 6) keeps
    assert read(f"-{longest}")[0].value == Decimal("-123456789012345678.123456")
    assert read("1,5 billones")[0].value == Decimal("1500000000000")
    digits = "12.345.678.901.234.567.890.123.456.789.012.345,55"  # 37 significant digits: written exactly
    value = Decimal("12345678901234567890123456789012345.55")
    assert format_quantity(value, None, **ES_CO) == digits
    assert format_quantity(value, None, **ES_CO, decimals=1) == digits[:-1].replace(",5", ",6")


def test_an_english_team_in_colombia_types_the_colombian_way():
    assert read("1,6 %", EN_CO)[0].value == Decimal("1.6")
    assert read("45.000.000 COP", EN_CO)[0] == Quantity(45 * M, "COP", "45.000.000 COP")
    assert read("45 million", EN_CO)[0].value == 45 * M


def test_dollar_sign_means_the_teams_currency():
    assert read("$45", ES_CO)[0].unit == "COP"
    assert read("$45", EN_US, currency="USD")[0].unit == "USD"
    assert read("$45", EN_US, currency="mxn")[0].unit == "MXN"
    assert read("45 pesos", ES_CO, currency="MXN")[0].unit == "MXN"
    assert read("45 pesos", EN_US, currency="USD")[1] == "pesos"  # not a peso team: part of the note


@pytest.mark.parametrize(
    "text, team, message_id, params",
    [
        ("", ES_CO, "numbers.missing", {"example": "1.234,5"}),
        ("   ", EN_US, "numbers.missing", {"example": "1,234.5"}),
        ("muchos", ES_CO, "numbers.not_a_number", {"text": "muchos", "example": "1.234,5"}),
        ("many leads", EN_US, "numbers.not_a_number", {"text": "many", "example": "1,234.5"}),
        ("$", ES_CO, "numbers.not_a_number", {"text": "$", "example": "1.234,5"}),
        ("-", ES_CO, "numbers.not_a_number", {"text": "-", "example": "1.234,5"}),
        ("1.2.3", ES_CO, "numbers.not_a_number", {"text": "1.2.3", "example": "1.234,5"}),
        ("12,34,56", EN_US, "numbers.not_a_number", {"text": "12,34,56", "example": "1,234.5"}),
        ("1.234.56", ES_CO, "numbers.not_a_number", {"text": "1.234.56", "example": "1.234,5"}),
        ("1,2.3,4", ES_CO, "numbers.not_a_number", {"text": "1,2.3,4", "example": "1.234,5"}),
        ("45,000", ES_CO, "numbers.ambiguous", {"text": "45,000", "example": "1.234,5"}),
        ("1,500 leads", ES_CO, "numbers.ambiguous", {"text": "1,500", "example": "1.234,5"}),
        ("1.500", EN_US, "numbers.ambiguous", {"text": "1.500", "example": "1,234.5"}),
        ("45,000", EN_CO, "numbers.ambiguous", {"text": "45,000", "example": "1.234,5"}),
        ("12leads", ES_CO, "numbers.unknown_unit", {"text": "12leads", "unit": "leads", "example": "1.234,5"}),
        ("45m", ES_CO, "numbers.unknown_unit", {"text": "45m", "unit": "m", "example": "1.234,5"}),
        ("45Mx", ES_CO, "numbers.unknown_unit", {"text": "45Mx", "unit": "Mx", "example": "1.234,5"}),
        ("COP 45 USD", ES_CO, "numbers.conflicting_units", {"text": "COP 45 USD"}),
        ("12 % h extra", ES_CO, "numbers.conflicting_units", {"text": "12 % h"}),
        ("12 h COP", ES_CO, "numbers.conflicting_units", {"text": "12 h COP"}),
    ],
)
def test_errors_say_how_the_team_writes_numbers(text, team, message_id, params):
    expect_error(message_id, params, text, team)


# --- writing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, unit, team, kwargs, expected",
    [
        ("1.6", "%", ES_CO, {}, f"1,6{NBSP}%"),
        ("1.6", "%", EN_US, {}, "1.6%"),
        ("1.6", "%", EN_CO, {}, "1,6%"),  # Colombian numbers, English spacing of %
        ("45000000", "COP", ES_CO, {}, "$45.000.000"),  # COP shows no decimals (docs/decisions.md: Colombian numbers in English)
        ("45000000", "COP", EN_CO, {}, "$45.000.000"),
        ("45000000.4", "COP", ES_CO, {"decimals": 0}, "$45.000.000"),
        ("1234.5", "USD", ES_CO, {}, "US$1.234,50"),
        ("1234.5", "USD", EN_US, {"currency": "USD"}, "$1,234.50"),
        ("1234.5", "USD", EN_US, {}, "USD1,234.50"),  # "$" would read back as the team's COP
        ("45000000", "COP", EN_US, {"currency": "USD"}, "COP45,000,000"),
        ("24", "h", ES_CO, {}, f"24{NBSP}h"),
        ("1234.5", None, ES_CO, {}, "1.234,5"),
        ("1234.5", None, EN_US, {}, "1,234.5"),
        ("-1234567.891", None, ES_CO, {}, "-1.234.567,891"),
        ("1234.5678", None, ES_CO, {"decimals": 2}, "1.234,57"),
        ("2.5", None, EN_US, {"decimals": 0}, "3"),  # half up
        ("1.5", None, EN_US, {"decimals": 2}, "1.50"),
        ("-0.001", None, ES_CO, {"decimals": 2}, "0,00"),
        ("45.000", None, ES_CO, {}, "45"),
    ],
)
def test_format_quantity(value, unit, team, kwargs, expected):
    assert format_quantity(Decimal(value), unit, **team, **kwargs) == expected


# --- properties -------------------------------------------------------------------------------

BOUND = Decimal(10) ** 12


def amounts(max_places: int = 4):
    return st.integers(0, max_places).flatmap(
        lambda places: st.decimals(min_value=-BOUND, max_value=BOUND, places=places, allow_nan=False, allow_infinity=False)
    )


def typed(value: Decimal, decimal: str, group: str, grouping: bool) -> str:
    """How a person writes `value` with these symbols: no trailing zeros, optional grouping."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    sign = "-" if text.startswith("-") else ""
    integer, _, fraction = text.lstrip("-").partition(".")
    if grouping:
        head = len(integer) % 3 or 3
        integer = group.join([integer[:head]] + [integer[i : i + 3] for i in range(head, len(integer), 3)])
    return sign + integer + (decimal + fraction if fraction else "")


teams = st.sampled_from(TEAMS)


@given(amounts(), teams, st.booleans())
def test_every_number_typed_the_teams_way_reads_back_exactly(value, team, grouping):
    decimal, group = number_symbols(team["language"], team["country"])
    text = typed(value, decimal, group, grouping)
    quantity, rest = read(text, team)
    assert quantity.value == value
    assert quantity.unit is None and rest == "" and quantity.text == text


MULTIPLIERS = [("k", 3), ("K", 3), ("mil", 3), ("thousand", 3), ("M", 6), ("MM", 6), ("millones", 6), ("millón", 6),
               ("mill", 6), ("million", 6), ("millions", 6), ("mil millones", 9), ("B", 9), ("billion", 9), ("billones", 12)]


@given(amounts(), teams, st.sampled_from(MULTIPLIERS), st.booleans())
def test_multiplier_words_scale_exactly(value, team, multiplier, glued):
    word, power = multiplier
    decimal, group = number_symbols(team["language"], team["country"])
    text = typed(value, decimal, group, grouping=True) + ("" if glued and " " not in word else " ") + word
    scaled = value.scaleb(power, context=Context(prec=100))
    if abs(scaled) >= Decimal(10) ** 18:  # more than a NUMERIC(24, 6) keeps: refused, saying the limit
        with pytest.raises(UserError) as refused:
            read(text, team)
        assert refused.value.message_id == "numbers.too_large" and refused.value.params["digits"] == 18
        return
    quantity, rest = read(text, team)
    assert quantity.value == scaled
    assert rest == ""


RESERVED = {
    "k", "mil", "thousand", "thousands", "mill", "millon", "millones", "million", "millions", "millardo", "millardos",
    "bn", "billion", "billions", "billon", "billones", "h", "hr", "hrs", "hora", "horas", "hour", "hours", "percent",
    "pct", "porciento", "dolares", "dolar", "dollars", "dollar", "euros", "euro", "pesos", "peso",
    "cop", "usd", "eur", "mxn", "clp", "ars", "brl",
}
note_words = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéíóúñ", min_size=1, max_size=10), min_size=1, max_size=6)


NOTE_UNITS = {"": 0, " %": 0, " COP": 0, " millones": 6, "k": 3, " h": 0}  # unit -> power of ten it scales by


@given(amounts(), teams, note_words, st.sampled_from(sorted(NOTE_UNITS)))
def test_a_note_of_words_comes_back_untouched(value, team, words, unit):
    assume(fold(words[0]) not in RESERVED)
    # A scaled amount past the column's 18 whole digits is refused (tested above), not read.
    assume(abs(value).scaleb(NOTE_UNITS[unit]) < Decimal(10) ** 18)
    assume(" ".join(words[:2]) not in ("por ciento", "per cent"))
    decimal, group = number_symbols(team["language"], team["country"])
    note = " ".join(words)
    quantity, rest = read(f"{typed(value, decimal, group, True)}{unit} {note}", team)
    assert rest == note


UNITS = [None, "%", "h", "COP", "USD"]


@given(amounts(), st.sampled_from(UNITS), teams, st.sampled_from(["COP", "USD"]))
def test_format_then_parse_gives_the_same_value(value, unit, team, currency):
    text = format_quantity(value, unit, **team, currency=currency)
    quantity, rest = read(text, team, currency=currency)
    assert (quantity.value, quantity.unit, rest) == (value, unit, "")


@given(amounts(), st.sampled_from(UNITS), teams, st.integers(0, 2))
def test_rounded_text_reads_back_as_the_rounded_value(value, unit, team, decimals):
    text = format_quantity(value, unit, **team, decimals=decimals)
    expected = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    assert read(text, team)[0].value == expected


JUNK = st.one_of(
    st.text(),
    st.text(alphabet="0123456789.,'’ $%-+−kKMmBbCOPUSDhilonesdé\u00a0\u202f/"),
)


@given(JUNK, teams, st.sampled_from(["COP", "USD", "EUR", "mxn"]))
def test_junk_raises_nothing_but_user_errors(text, team, currency):
    try:
        quantity, rest = read(text, team, currency=currency)
    except UserError as error:
        assert error.message_id.startswith("numbers.")
    else:
        assert isinstance(quantity.value, Decimal) and quantity.value.is_finite()
        assert quantity.text and quantity.text in text


@pytest.mark.parametrize(
    "value, unit, language, expected",
    [
        ("31.142857", "h", "es", "31,14\u00a0h"),
        ("24.514286", "%", "es", "24,51\u00a0%"),
        ("1.2", "%", "en", "1.2%"),
        ("41440000.4", "COP", "es", "$41.440.000"),
        ("139149.428571", "COP", "es", "$139.149"),
        ("45.50", None, "es", "45,5"),
        ("100.00", None, "en", "100"),
        ("0.004", None, "es", "0"),
    ],
)
def test_display_quantity_rounds_computed_values_for_reading(value, unit, language, expected):
    assert display_quantity(Decimal(value), unit, language=language, country="CO" if language == "es" else "US") == expected
