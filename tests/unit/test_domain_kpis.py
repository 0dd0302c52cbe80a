import re
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import UserError
from domain.kpis import (
    DERIVED_PLACES,
    KEY_PATTERN,
    MAX_NAME_LENGTH,
    STARTER_TEMPLATES,
    Aggregation,
    Direction,
    KpiSpec,
    Side,
    Unit,
    aggregate,
    check_unit,
    closest_key,
    parse_kpi_new,
    rate,
    round_derived,
    template,
    unit_matches,
    validate_key,
    validate_spec,
    validate_value,
)
from services.i18n import message_ids, t

D = Decimal
ROOT = Path(__file__).resolve().parents[2]


def expect_error(message_id, params, call, *args, **kwargs):
    """`call(...)` raises the UserError `message_id` with exactly `params`, and the message
    renders in both languages with them (no placeholder without a parameter)."""
    with pytest.raises(UserError) as info:
        call(*args, **kwargs)
    assert (info.value.message_id, info.value.params) == (message_id, params)
    for language in ("es", "en"):
        assert t(language, message_id, **params)


def spec(**changes):
    base = KpiSpec(key="leads", name_es="Leads", name_en="Leads")
    return replace(base, **changes)


# --- the catalog of messages -------------------------------------------------------------------


def test_every_kpi_id_used_in_the_module_has_text_in_both_languages():
    source = (ROOT / "domain" / "kpis.py").read_text(encoding="utf-8")
    used = set(re.findall(r"""["'](kpi\.[a-z_0-9]+)["']""", source))
    assert len(used) > 30
    for language in ("es", "en"):
        assert used <= set(message_ids(language)), sorted(used - set(message_ids(language)))


def test_every_kpi_message_gives_an_example():
    for language in ("es", "en"):
        for message_id, text in message_ids(language).items():
            if message_id.startswith("kpi.") and not message_id.startswith("kpi.ui."):  # ui: labels too
                assert "`" in text or '"' in text, (language, message_id)


# --- the spec ----------------------------------------------------------------------------------


def test_defaults_and_enum_conversion():
    plain = KpiSpec(key="leads", name_es="Leads", name_en="Leads")
    assert (plain.unit, plain.direction, plain.aggregation, plain.side) == (Unit.COUNT, Direction.HIGHER, Aggregation.SUM, Side.BOTH)
    assert (plain.currency, plain.term, plain.numerator, plain.denominator) == ("COP", None, None, None)
    assert not plain.allow_over_100 and not plain.allow_negative
    stored = KpiSpec(key="x1", name_es="X", name_en="X", unit="percent", direction="lower", aggregation="average", side="sales", term="  ")
    assert stored.unit is Unit.PERCENT and stored.direction is Direction.LOWER
    assert stored.aggregation is Aggregation.AVERAGE and stored.side is Side.SALES and stored.term is None
    with pytest.raises(ValueError):
        KpiSpec(key="x1", name_es="X", name_en="X", unit="liters")


@pytest.mark.parametrize(
    "language, expected",
    [("es", "Abandono de carrito"), ("es-CO", "Abandono de carrito"), ("en", "Cart abandonment"), ("en_US", "Cart abandonment"), ("fr", "Abandono de carrito"), (None, "Abandono de carrito")],
)
def test_name_by_language(language, expected):
    assert template("cart_abandonment").name(language) == expected


# --- keys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, key",
    [("leads_mql", "leads_mql"), (" Leads_MQL ", "leads_mql"), ("conversión_web", "conversion_web"), ("ab", "ab"), ("a" * 40, "a" * 40), ("kpi2", "kpi2")],
)
def test_validate_key(typed, key):
    assert validate_key(typed) == key


@pytest.mark.parametrize(
    "typed, suggestion",
    [
        ("tasa conversión", "tasa_conversion"),
        ("cart-abandonment", "cart_abandonment"),
        ("2026_sales", "kpi_2026_sales"),
        ("a", "conversion_web"),
        ("", "conversion_web"),
        ("%%", "conversion_web"),
        ("a" * 41, "a" * 40),
        ("_leads", "leads"),
    ],
)
def test_validate_key_refuses_with_a_suggestion(typed, suggestion):
    expect_error("kpi.invalid_key", {"key": typed.strip(), "suggestion": suggestion}, validate_key, typed)


@given(st.text(max_size=60))
def test_a_validated_key_matches_the_pattern_and_every_suggestion_is_valid(text):
    try:
        key = validate_key(text)
    except UserError as error:
        assert error.message_id == "kpi.invalid_key"
        assert KEY_PATTERN.fullmatch(error.params["suggestion"])
    else:
        assert KEY_PATTERN.fullmatch(key)
        assert validate_key(key) == key


@pytest.mark.parametrize(
    "query, expected",
    [
        ("cart_abandonment", "cart_abandonment"),
        ("cart_abandonmnet", "cart_abandonment"),
        ("Cart Abandonment", "cart_abandonment"),
        ("cart-abandonment", "cart_abandonment"),
        ("sesions", "sessions"),
        ("whatsapp_response", "whatsapp_response_time"),
        ("repurchase", "repurchase_60d"),
        ("conversión_web", "conversion_web"),
        ("zzzz", None),
        ("", None),
        ("whatsapp", None),  # starts two keys: no guess
    ],
)
def test_closest_key(query, expected):
    assert closest_key(query, [spec.key for spec in STARTER_TEMPLATES]) == expected


def test_closest_key_without_keys():
    assert closest_key("sessions", []) is None


# --- validating a spec -------------------------------------------------------------------------


@pytest.mark.parametrize("starter", STARTER_TEMPLATES, ids=lambda spec: spec.key)
def test_every_template_validates(starter):
    validate_spec(starter)
    assert starter.name_es.strip() and starter.name_en.strip()
    assert len(starter.name_es) <= MAX_NAME_LENGTH and len(starter.name_en) <= MAX_NAME_LENGTH
    assert template(starter.key) is starter


def test_the_starter_set():
    keys = [spec.key for spec in STARTER_TEMPLATES]
    assert len(keys) == len(set(keys)) == 20
    assert {"gross_margin", "mobile_conversion", "checkout_abandonment", "whatsapp_response_time"} <= set(keys)  # docs/decisions.md: Primary and supporting KPIs
    for starter in STARTER_TEMPLATES:
        if starter.aggregation is Aggregation.RATE:
            assert {starter.numerator, starter.denominator} <= set(keys)
    assert template("leads_mql").term == "MQL" and template("sql").term == "SQL"
    conversion = template("conversion_web")
    assert (conversion.unit, conversion.aggregation, conversion.numerator, conversion.denominator) == (Unit.PERCENT, Aggregation.RATE, "orders", "sessions")
    lower = {spec.key for spec in STARTER_TEMPLATES if spec.direction is Direction.LOWER}
    assert lower == {"cart_abandonment", "checkout_abandonment", "whatsapp_response_time", "followup_hours", "cac"}
    assert template("cac").unit is Unit.CURRENCY and template("cac").currency == "COP"
    assert template("contact_attempts").unit is Unit.RATIO
    assert template("gross_margin").allow_negative
    assert template("Sales_COP") is template("sales_cop")
    assert template("nope") is None


@pytest.mark.parametrize(
    "changes, message_id, params",
    [
        ({"key": "Leads"}, "kpi.invalid_key", {"key": "Leads", "suggestion": "leads"}),
        ({"name_es": "  "}, "kpi.name_missing", {"key": "leads", "field": "name_es"}),
        ({"name_en": ""}, "kpi.name_missing", {"key": "leads", "field": "name_en"}),
        ({"name_es": "x" * 61}, "kpi.name_too_long", {"key": "leads", "field": "name_es", "limit": 60, "length": 61}),
        ({"name_en": "x" * 61}, "kpi.name_too_long", {"key": "leads", "field": "name_en", "limit": 60, "length": 61}),
        ({"currency": "cop"}, "kpi.invalid_currency", {"key": "leads", "currency": "cop"}),
        ({"currency": "PESOS"}, "kpi.invalid_currency", {"key": "leads", "currency": "PESOS"}),
        ({"term": "t" * 61}, "kpi.term_too_long", {"key": "leads", "term": "t" * 61, "limit": 60, "length": 61}),
        ({"numerator": "orders"}, "kpi.parts_without_rate", {"key": "leads"}),
        ({"denominator": "sessions", "aggregation": Aggregation.AVERAGE}, "kpi.parts_without_rate", {"key": "leads"}),
        ({"aggregation": Aggregation.RATE}, "kpi.rate_needs_parts", {"key": "leads"}),
        ({"aggregation": Aggregation.RATE, "numerator": "orders"}, "kpi.rate_needs_parts", {"key": "leads"}),
        ({"aggregation": Aggregation.RATE, "numerator": "", "denominator": "sessions"}, "kpi.rate_needs_parts", {"key": "leads"}),
        ({"aggregation": Aggregation.RATE, "numerator": "Orders", "denominator": "sessions"}, "kpi.invalid_key", {"key": "Orders", "suggestion": "orders"}),
        ({"aggregation": Aggregation.RATE, "numerator": "orders", "denominator": "x"}, "kpi.invalid_key", {"key": "x", "suggestion": "conversion_web"}),
        ({"aggregation": Aggregation.RATE, "numerator": "leads", "denominator": "sessions"}, "kpi.rate_refers_to_itself", {"key": "leads"}),
        ({"aggregation": Aggregation.RATE, "numerator": "orders", "denominator": "leads"}, "kpi.rate_refers_to_itself", {"key": "leads"}),
        ({"aggregation": Aggregation.RATE, "numerator": "orders", "denominator": "orders"}, "kpi.rate_same_parts", {"key": "leads", "part": "orders"}),
    ],
)
def test_validate_spec_refuses(changes, message_id, params):
    expect_error(message_id, params, validate_spec, spec(**changes))


def test_validate_spec_accepts_the_limits():
    validate_spec(spec(name_es="x" * 60, name_en="y" * 60, term="t" * 60, currency="USD"))
    validate_spec(spec(aggregation=Aggregation.RATE, numerator="orders", denominator="sessions", unit=Unit.PERCENT))


# --- validating a value ------------------------------------------------------------------------

PERCENT = spec(unit=Unit.PERCENT, name_es="Conversión", name_en="Conversion")


@pytest.mark.parametrize(
    "kpi, value",
    [
        (spec(), D("0")),
        (spec(), D("120")),
        (spec(), D("120.000")),  # a whole number with zeros after the point
        (PERCENT, D("0")),
        (PERCENT, D("100")),
        (PERCENT, D("1.6")),
        (replace(PERCENT, allow_over_100=True), D("250")),
        (spec(unit=Unit.HOURS), D("1.5")),
        (spec(unit=Unit.RATIO), D("2.5")),
        (spec(unit=Unit.CURRENCY), D("45000000")),
        (spec(unit=Unit.CURRENCY), D("45000.50")),
        (replace(PERCENT, allow_negative=True), D("-12")),
        (template("gross_margin"), D("-5")),
    ],
)
def test_validate_value_accepts(kpi, value):
    validate_value(kpi, value, str(value))


@pytest.mark.parametrize(
    "kpi, value, shown, message_id",
    [
        (spec(), D("-1"), "-1", "kpi.negative_value"),
        (spec(unit=Unit.HOURS), D("-0.5"), "-0,5", "kpi.negative_value"),
        (spec(unit=Unit.CURRENCY), D("-45000"), "-45.000", "kpi.negative_value"),
        (PERCENT, D("-3"), "-3 %", "kpi.negative_value"),
        (spec(unit=Unit.RATIO), D("-2"), "-2", "kpi.negative_value"),
        (PERCENT, D("100.01"), "100,01 %", "kpi.percent_over_100"),
        (PERCENT, D("120"), "120 %", "kpi.percent_over_100"),
        (spec(), D("2.5"), "2,5", "kpi.count_not_whole"),
        (spec(), D("NaN"), "NaN", "kpi.value_not_a_number"),
        (spec(), D("Infinity"), "inf", "kpi.value_not_a_number"),
    ],
)
def test_validate_value_refuses(kpi, value, shown, message_id):
    params = {"key": kpi.key, "name": kpi.name_es, "value": shown}
    expect_error(message_id, params, validate_value, kpi, value, shown)


def test_validate_value_names_the_kpi_in_the_language_and_defaults_to_the_decimal():
    cart = template("cart_abandonment")
    expect_error("kpi.percent_over_100", {"key": "cart_abandonment", "name": "Cart abandonment", "value": "101"}, validate_value, cart, D("101"), language="en")
    expect_error("kpi.percent_over_100", {"key": "cart_abandonment", "name": "Abandono de carrito", "value": "101"}, validate_value, cart, D("101"))


# --- units as typed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kpi, typed, expected",
    [
        (spec(), None, True),
        (spec(), "", True),
        (spec(), "%", False),
        (spec(), "COP", False),
        (spec(), "h", False),
        (PERCENT, "%", True),
        (PERCENT, None, True),
        (PERCENT, "COP", False),
        (PERCENT, "h", False),
        (spec(unit=Unit.CURRENCY), "COP", True),
        (spec(unit=Unit.CURRENCY), "cop", True),
        (spec(unit=Unit.CURRENCY), "$", True),
        (spec(unit=Unit.CURRENCY), None, True),
        (spec(unit=Unit.CURRENCY), "USD", False),
        (spec(unit=Unit.CURRENCY, currency="USD"), "USD", True),
        (spec(unit=Unit.CURRENCY), "%", False),
        (spec(unit=Unit.HOURS), "h", True),
        (spec(unit=Unit.HOURS), "horas", True),
        (spec(unit=Unit.HOURS), "hours", True),
        (spec(unit=Unit.HOURS), None, True),
        (spec(unit=Unit.HOURS), "%", False),
        (spec(unit=Unit.RATIO), None, True),
        (spec(unit=Unit.RATIO), "x", True),
        (spec(unit=Unit.RATIO), "%", False),
    ],
)
def test_unit_matches(kpi, typed, expected):
    assert unit_matches(kpi, typed) is expected


@pytest.mark.parametrize(
    "kpi, typed, expected, example",
    [
        (spec(), "%", "count", "120"),
        (PERCENT, "COP", "percent", "12 %"),
        (spec(unit=Unit.CURRENCY), "USD", "COP", "450000 COP"),
        (spec(unit=Unit.CURRENCY, currency="USD"), "COP", "USD", "450000 USD"),
        (spec(unit=Unit.HOURS), "%", "hours", "4 h"),
        (spec(unit=Unit.RATIO), " % ", "ratio", "4"),
    ],
)
def test_check_unit_says_which_unit_the_kpi_uses(kpi, typed, expected, example):
    params = {"key": kpi.key, "name": kpi.name_es, "unit": typed.strip(), "expected": expected, "example": example}
    expect_error("kpi.unit_mismatch", params, check_unit, kpi, typed)
    check_unit(kpi, None)


# --- aggregation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "aggregation, values, expected",
    [
        (Aggregation.SUM, [], None),
        (Aggregation.AVERAGE, [], None),
        (Aggregation.LAST, [], None),
        (Aggregation.SUM, [D("120"), D("80"), D("0.5")], D("200.5")),
        (Aggregation.SUM, [D("45000000"), D("-5000000")], D("40000000")),
        (Aggregation.AVERAGE, [D("2"), D("4")], D("3")),
        (Aggregation.AVERAGE, [D("1.6"), D("1.7")], D("1.65")),
        (Aggregation.AVERAGE, [D("1"), D("2"), D("2")], D("1.666667")),
        (Aggregation.AVERAGE, [D("0.0000001"), D("0.0000004")], D("0.0000002")),  # 7 places, as the inputs; half-even
        (Aggregation.AVERAGE, [D("100"), D("200")], D("150")),
        (Aggregation.LAST, [D("5"), D("9"), D("7")], D("7")),
    ],
)
def test_aggregate(aggregation, values, expected):
    result = aggregate(spec(aggregation=aggregation), values)
    assert result == expected
    if result is not None and aggregation is Aggregation.AVERAGE:
        assert format(result, "f") == format(expected, "f")  # no trailing zeros


def test_aggregate_refuses_a_rate_spec():
    with pytest.raises(ValueError):
        aggregate(template("conversion_web"), [D("1")])


@pytest.mark.parametrize(
    "numerator, denominator, unit, expected",
    [
        (D("16"), D("1000"), Unit.PERCENT, D("1.6")),
        (D("16"), D("1000"), "percent", D("1.6")),
        (D("16"), D("1000"), Unit.RATIO, D("0.016")),
        (D("1"), D("3"), Unit.PERCENT, D("33.333333")),
        (D("2"), D("3"), Unit.RATIO, D("0.666667")),
        (D("0"), D("50"), Unit.PERCENT, D("0")),
        (D("900000"), D("30"), Unit.CURRENCY, D("30000")),
        (D("16"), D("0"), Unit.PERCENT, None),
        (None, D("10"), Unit.PERCENT, None),
        (D("10"), None, Unit.PERCENT, None),
    ],
)
def test_rate(numerator, denominator, unit, expected):
    assert rate(numerator, denominator, unit) == expected


@pytest.mark.parametrize("value, expected", [(D("3.000000"), "3"), (D("1E+2"), "100"), (D("-0.0000001"), "0"), (D("2.5000005"), "2.5"), (D("2.5000015"), "2.500002")])
def test_round_derived(value, expected):
    assert str(round_derived(value)) == expected


DECIMALS = st.decimals(min_value=-10**9, max_value=10**9, places=4, allow_nan=False, allow_infinity=False)


@given(st.lists(DECIMALS, max_size=50))
def test_sum_is_exact(values):
    result = aggregate(spec(aggregation=Aggregation.SUM), values)
    if not values:
        assert result is None
    else:
        assert Fraction(result) == sum(Fraction(value) for value in values)
        assert result == sum(values, D(0))


@given(st.lists(DECIMALS, min_size=1, max_size=50))
def test_average_is_between_min_and_max_and_close_to_the_exact_mean(values):
    result = aggregate(spec(aggregation=Aggregation.AVERAGE), values)
    assert min(values) <= result <= max(values)
    exact = sum(Fraction(value) for value in values) / len(values)
    assert abs(Fraction(result) - exact) <= Fraction(1, 2 * 10**DERIVED_PLACES)


@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_average_stays_in_range_whatever_the_decimals(values):
    result = aggregate(spec(aggregation=Aggregation.AVERAGE), values)
    assert min(values) <= result <= max(values)


@given(st.lists(DECIMALS, min_size=1, max_size=20))
def test_last_is_the_latest_value(values):
    assert aggregate(spec(aggregation=Aggregation.LAST), values) == values[-1]


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_a_percent_rate_is_a_hundred_times_the_ratio(numerator, denominator):
    percent = rate(D(numerator), D(denominator), Unit.PERCENT)
    ratio = rate(D(numerator), D(denominator), Unit.RATIO)
    assert abs(Fraction(percent) - Fraction(numerator * 100, denominator)) <= Fraction(1, 2 * 10**DERIVED_PLACES)
    assert abs(Fraction(ratio) - Fraction(numerator, denominator)) <= Fraction(1, 2 * 10**DERIVED_PLACES)


# --- the one-line form -------------------------------------------------------------------------


def new(key, name, **changes):
    return replace(KpiSpec(key=key, name_es=name, name_en=name), **changes)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("leads Leads", new("leads", "Leads")),
        ('leads "Leads del mes"', new("leads", "Leads del mes")),
        ("leads “Leads del mes”", new("leads", "Leads del mes")),
        ("leads «Leads del mes»", new("leads", "Leads del mes")),
        (
            'leads_mql "Leads MQL" unit count direction higher aggregate sum side marketing term MQL',
            new("leads_mql", "Leads MQL", side=Side.MARKETING, term="MQL"),
        ),
        (
            'cart_abandonment "Abandono de carrito" unidad % mejor bajo agregación promedio lado mercadeo',
            new("cart_abandonment", "Abandono de carrito", unit=Unit.PERCENT, direction=Direction.LOWER, aggregation=Aggregation.AVERAGE, side=Side.MARKETING),
        ),
        (
            'Conversion_Web "Tasa de conversión web" agregado tasa orders/sessions lado ambos',
            new("conversion_web", "Tasa de conversión web", unit=Unit.PERCENT, aggregation=Aggregation.RATE, numerator="orders", denominator="sessions"),
        ),
        (
            'conv "Conversión" aggregate rate orders / sessions unit ratio',
            new("conv", "Conversión", unit=Unit.RATIO, aggregation=Aggregation.RATE, numerator="orders", denominator="sessions"),
        ),
        ('cac CAC unidad cop mejor bajo agregado promedio término "Costo de adquisición"', new("cac", "CAC", unit=Unit.CURRENCY, direction=Direction.LOWER, aggregation=Aggregation.AVERAGE, term="Costo de adquisición")),
        ("ventas_usd Ventas unit USD", new("ventas_usd", "Ventas", unit=Unit.CURRENCY, currency="USD")),
        ("resp Respuesta UNIDAD Horas MEJOR BAJO AGREGADO PROMEDIO LADO VENTAS", new("resp", "Respuesta", unit=Unit.HOURS, direction=Direction.LOWER, aggregation=Aggregation.AVERAGE, side=Side.SALES)),
        ("resp Respuesta unit h dirección baja", new("resp", "Respuesta", unit=Unit.HOURS, direction=Direction.LOWER)),
        ("resp Respuesta unit hours direccion sube", new("resp", "Respuesta", unit=Unit.HOURS)),
        ("roas ROAS unidad razón agregado último", new("roas", "ROAS", unit=Unit.RATIO, aggregation=Aggregation.LAST)),
        ("roas_pct ROAS unit % allow over100", new("roas_pct", "ROAS", unit=Unit.PERCENT, allow_over_100=True)),
        ("margen Margen unidad porcentaje permite negativos sobre100", new("margen", "Margen", unit=Unit.PERCENT, allow_negative=True, allow_over_100=True)),
        ('units "Unidad" unit cantidad', new("units", "Unidad", unit=Unit.COUNT)),  # a quoted name may be a keyword
        ("x1 X side sales", new("x1", "X", side=Side.SALES)),
        ("x1 X side both", new("x1", "X")),
        ("x1 X lado ambas", new("x1", "X")),
        ("x1 X aggregate last", new("x1", "X", aggregation=Aggregation.LAST)),
        ("x1 X aggregate avg", new("x1", "X", aggregation=Aggregation.AVERAGE)),
        ("x1 X better lower", new("x1", "X", direction=Direction.LOWER)),
    ],
)
def test_parse_kpi_new(text, expected):
    assert parse_kpi_new(text) == expected


@pytest.mark.parametrize(
    "text, message_id, params",
    [
        ("", "kpi.key_missing", {}),
        ("   ", "kpi.key_missing", {}),
        ("n Nombre", "kpi.invalid_key", {"key": "n", "suggestion": "conversion_web"}),
        ("tasa-conversion X", "kpi.invalid_key", {"key": "tasa-conversion", "suggestion": "tasa_conversion"}),
        ("leads", "kpi.name_missing", {"key": "leads", "field": "name"}),
        ("leads unit count", "kpi.name_missing", {"key": "leads", "field": "name"}),
        ('leads ""', "kpi.name_missing", {"key": "leads", "field": "name"}),
        ('leads "Leads del mes unit count', "kpi.quote_not_closed", {}),
        (f'leads "{"x" * 61}"', "kpi.name_too_long", {"key": "leads", "field": "name", "limit": 60, "length": 61}),
        ("conv Conv tasa_no_es", "kpi.unknown_word", {"word": "tasa_no_es"}),
        ("leads Leads unidda %", "kpi.unknown_word_suggestion", {"word": "unidda", "suggestion": "unidad"}),
        ('leads "Leads del" mes', "kpi.unknown_word", {"word": "mes"}),
        ("leads Leads unit count unidad count", "kpi.repeated_keyword", {"word": "unidad"}),
        ("leads Leads better lower direccion sube", "kpi.repeated_keyword", {"word": "direccion"}),
        ("leads Leads unit", "kpi.unit_missing", {"word": "unit"}),
        ("leads Leads unidad lado ventas", "kpi.unit_missing", {"word": "unidad"}),
        ("leads Leads unit litros", "kpi.unknown_unit", {"word": "litros"}),
        ("leads Leads unit porcentage", "kpi.unknown_unit_suggestion", {"word": "porcentage", "suggestion": "porcentaje"}),
        ("leads Leads unit CPO", "kpi.unknown_unit_suggestion", {"word": "CPO", "suggestion": "COP"}),
        ("leads Leads mejor", "kpi.direction_missing", {"word": "mejor"}),
        ("leads Leads better sideways", "kpi.unknown_direction", {"word": "sideways"}),
        ("leads Leads better highr", "kpi.unknown_direction_suggestion", {"word": "highr", "suggestion": "higher"}),
        ("leads Leads agregado", "kpi.aggregation_missing", {"word": "agregado"}),
        ("leads Leads aggregate quartile", "kpi.unknown_aggregation", {"word": "quartile"}),
        ("leads Leads agregado promedo", "kpi.unknown_aggregation_suggestion", {"word": "promedo", "suggestion": "promedio"}),
        ("conv Conv agregado tasa", "kpi.rate_parts_missing", {"word": "tasa"}),
        ("conv Conv aggregate rate orders", "kpi.rate_parts_missing", {"word": "rate"}),
        ("conv Conv aggregate rate orders/", "kpi.rate_parts_missing", {"word": "rate"}),
        ("conv Conv aggregate rate a1/b1/c1", "kpi.rate_parts_missing", {"word": "rate"}),
        ("conv Conv aggregate rate orders/Sesiónes-web", "kpi.invalid_key", {"key": "Sesiónes-web", "suggestion": "sesiones_web"}),
        ("conv Conv aggregate rate orders/orders", "kpi.rate_same_parts", {"key": "conv", "part": "orders"}),
        ("conv Conv aggregate rate conv/sessions", "kpi.rate_refers_to_itself", {"key": "conv"}),
        ("leads Leads lado", "kpi.side_missing", {"word": "lado"}),
        ("leads Leads side finance", "kpi.unknown_side", {"word": "finance"}),
        ("leads Leads lado mercado", "kpi.unknown_side_suggestion", {"word": "mercado", "suggestion": "mercadeo"}),
        ("leads Leads término", "kpi.term_missing", {"word": "término"}),
        ('leads Leads term ""', "kpi.term_missing", {"word": "term"}),
        ("leads Leads term side ventas", "kpi.term_missing", {"word": "term"}),
        ("leads Leads permite", "kpi.allow_missing", {"word": "permite"}),
        ("leads Leads allow everything", "kpi.unknown_allow", {"word": "everything"}),
        ("leads Leads allow negatve", "kpi.unknown_allow_suggestion", {"word": "negatve", "suggestion": "negative"}),
    ],
)
def test_parse_kpi_new_refuses(text, message_id, params):
    expect_error(message_id, params, parse_kpi_new, text)


@given(st.sampled_from(STARTER_TEMPLATES))
def test_a_starter_written_as_one_line_reads_back(starter):
    words = [starter.key, f'"{starter.name_es}"', "unit", starter.currency if starter.unit is Unit.CURRENCY else starter.unit.value]
    words += ["better", starter.direction.value, "aggregate", starter.aggregation.value]
    if starter.aggregation is Aggregation.RATE:
        words.append(f"{starter.numerator}/{starter.denominator}")
    words += ["side", starter.side.value]
    if starter.term:
        words += ["term", f'"{starter.term}"']
    if starter.allow_negative:
        words += ["allow", "negative"]
    parsed = parse_kpi_new(" ".join(words))
    assert parsed == replace(starter, name_en=starter.name_es)
