"""Numbers are bounded where they are read: what a NUMERIC(24, 6) column keeps (18 digits before
the decimal mark, 6 after) is read exactly, anything else is refused with the limit, the team's
way; exponents, digits of other scripts and a sign on zero are read on purpose."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.types import PRECISION, SCALE, ExactDecimal, plain_decimal
from domain.alerts import parse_alert
from domain.errors import UserError
from domain.number_limits import MAX_DECIMALS, MAX_WHOLE_DIGITS, storage_problem
from domain.numbers import parse_quantity, typed_whole
from domain.okr_kr_line import parse_key_result
from services.i18n import t

ES_CO = {"language": "es", "country": "CO"}
EN_US = {"language": "en", "country": "US"}


def read(text, team=ES_CO):
    return parse_quantity(text, **team)


def refusal(text, team=ES_CO) -> UserError:
    with pytest.raises(UserError) as refused:
        read(text, team)
    return refused.value


def test_the_bound_is_the_columns():
    assert (MAX_WHOLE_DIGITS, MAX_DECIMALS) == (PRECISION - SCALE, SCALE)
    assert ExactDecimal().impl.precision == PRECISION and ExactDecimal().impl.scale == SCALE


@pytest.mark.parametrize("text, value", [
    ("999.999.999.999.999.999,999999", Decimal("999999999999999999.999999")),
    ("-123456789012345678", Decimal("-123456789012345678")),
    ("0,000001", Decimal("0.000001")),
    ("1,500000000", Decimal("1.500000000")),  # trailing zeros are not decimals that need keeping
    ("1,5E+06 COP", Decimal("1500000")),  # how spreadsheets write numbers
    ("2e-3", Decimal("0.002")),
    ("1e3 mil", Decimal("1000000")),
    ("0e999999", Decimal(0)),
    ("٣٤٥", Decimal(345)),  # Arabic-Indic digits
    ("۱۲", Decimal(12)),  # Persian digits
    ("１２３,５", Decimal("123.5")),  # full-width digits, as an IME types them
    ("-0", Decimal(0)),
    ("−0,0", Decimal(0)),
])  # fmt: skip
def test_what_a_column_keeps_is_read_exactly(text, value):
    quantity, rest = read(text)
    assert quantity.value == value and rest == "" and quantity.text == text
    assert not (quantity.value.is_zero() and quantity.value.is_signed())  # no "-0"


@pytest.mark.parametrize("text, team, message_id, params", [
    ("999999999999999999999999999999", ES_CO, "numbers.too_large", {"largest": "999.999.999.999.999.999", "digits": 18}),
    ("1234567890123456789", ES_CO, "numbers.too_large", {"text": "1234567890123456789"}),
    ("1.000.000 billones", ES_CO, "numbers.too_large", {"text": "1.000.000 billones"}),
    ("1e400", EN_US, "numbers.too_large", {"largest": "999,999,999,999,999,999", "example": "1,234.5"}),
    ("1e99999999999999999999", ES_CO, "numbers.too_large", {}),
    ("9" * 200, ES_CO, "numbers.too_large", {"text": "9" * 39 + "…"}),  # a pasted wall of digits is not echoed whole
    ("999999999999999999,9999999", ES_CO, "numbers.too_large", {}),  # rounding it would not fit either
    ("0,0000001", ES_CO, "numbers.too_precise", {"rounded": "0", "decimals": 6}),
    ("1,23456789 %", ES_CO, "numbers.too_precise", {"rounded": "1,234568\u00a0%"}),
    ("1.23456789", EN_US, "numbers.too_precise", {"rounded": "1.234568"}),
    ("1e-7", ES_CO, "numbers.too_precise", {}),
    ("NaN", ES_CO, "numbers.not_a_number", {"text": "NaN"}),
    ("Infinity", EN_US, "numbers.not_a_number", {"text": "Infinity"}),
    ("12e", ES_CO, "numbers.unknown_unit", {"unit": "e"}),
])  # fmt: skip
def test_what_a_column_cannot_keep_is_refused_saying_the_limit(text, team, message_id, params):
    error = refusal(text, team)
    assert error.message_id == message_id
    assert params.items() <= error.params.items()


@pytest.mark.parametrize("language, words", [("es", ("18 cifras", "999.999.999.999.999.999", "45 millones")),
                                             ("en", ("18 digits", "999,999,999,999,999,999", "45 million"))])
def test_the_message_states_the_limit_and_what_to_type(language, words):
    error = refusal("1" * 30, {"language": language, "country": "CO" if language == "es" else "US"})
    text = t(language, error.message_id, **error.params)
    assert all(word in text for word in words), text


@given(st.integers(min_value=-(10**30), max_value=10**30), st.integers(min_value=-12, max_value=12))
def test_every_number_is_either_kept_exactly_or_refused(coefficient, exponent):
    value = Decimal(coefficient).scaleb(exponent)
    # es-CO writes decimals with a comma, and without trailing zeros: "45,000" would be the
    # other convention's thousands (numbers.ambiguous), not a way anyone writes 45.
    text = format(plain_decimal(value), "f").replace(".", ",")
    try:
        quantity, _ = read(text)
    except UserError as error:
        assert error.message_id in ("numbers.too_large", "numbers.too_precise")
        assert storage_problem(value) is not None
        return
    assert quantity.value == value and storage_problem(quantity.value) is None
    assert plain_decimal(quantity.value) == value


def test_plain_decimal_is_exact_at_any_length():
    assert str(plain_decimal(Decimal("9" * 40))) == "9" * 40  # the decimal context holds 28
    assert str(plain_decimal(Decimal("1.600000"))) == "1.6"
    assert str(plain_decimal(Decimal("4.6E+7"))) == "46000000"
    assert str(plain_decimal(Decimal("-0.000"))) == "0"


@pytest.mark.parametrize("value", [Decimal(10) ** 18, Decimal("-1E+30"), Decimal("NaN"), Decimal("Infinity")])
def test_the_column_refuses_what_it_cannot_keep_on_every_database(value):
    for dialect in ("sqlite", "postgresql"):
        with pytest.raises(ValueError, match="does not fit NUMERIC"):
            ExactDecimal().process_bind_param(value, type("Dialect", (), {"name": dialect})())


@pytest.mark.parametrize("typed, number", [
    ("3", 3), ("٣", 3), ("0042", 42), ("2147483647", 2**31 - 1), ("2147483648", None), ("9" * 5000, None),
    ("²", None), ("-1", None), ("1.5", None), ("", None), (" 7 ", 7),
])  # fmt: skip
def test_a_reference_number_is_read_only_when_a_row_could_have_it(typed, number):
    assert typed_whole(typed) == number


def test_a_window_typed_with_thousands_of_digits_is_out_of_range_not_a_crash():
    with pytest.raises(UserError) as refused:
        parse_alert("orders sube 3 puntos en " + "9" * 5000 + " horas")
    assert refused.value.message_id == "alert.window_out_of_range" and len(str(refused.value.params["hours"])) <= 40


def test_an_alert_amount_is_bounded_like_any_value():
    with pytest.raises(UserError) as refused:
        parse_alert("orders sube " + "9" * 30 + " puntos en 48 horas", language="en", country="US")
    assert refused.value.message_id == "numbers.too_large" and refused.value.params["largest"] == "999,999,999,999,999,999"


def test_a_target_derived_from_a_huge_baseline_is_refused_and_a_fine_one_keeps_six_decimals():
    line = "subir ventas de {} en 25 % antes del 30/06/2026 dueño <@U0ANA> lado ventas"
    with pytest.raises(UserError) as refused:
        parse_key_result(line.format("900000000000000000"), number=1, today=date(2026, 1, 1), catalog={})
    assert refused.value.message_id == "numbers.too_large" and refused.value.params["text"] == "1125000000000000000"
    kept = parse_key_result(line.format("0,123457"), number=1, today=date(2026, 1, 1), catalog={})
    assert kept.target == Decimal("0.154321")  # 0,15432125 rounded half up to what the column keeps
