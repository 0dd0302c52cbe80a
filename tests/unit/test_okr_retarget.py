"""Reading `/alinea okr retarget|meta …`: the KR, a new target and/or deadline, and the reason."""

from datetime import date
from decimal import Decimal as D

import pytest

from domain.errors import UserError
from domain.examples import example_params
from domain.okr_retarget import RetargetRequest, parse_retarget

TODAY = date(2026, 3, 10)


def read(text, language="es", country="CO", currency="COP"):
    found = parse_retarget(text, today=TODAY, language=language, country=country, currency=currency)
    target = (found.target.value, found.target.unit) if found.target else None
    return found.kr_number, target, found.deadline, found.reason


@pytest.mark.parametrize(
    "text, language, country, expected",
    [
        ("KR3 20 % al 30/06/2026 razón la campaña de mayo se canceló", "es", "CO",
         (3, (D(20), "%"), date(2026, 6, 30), "la campaña de mayo se canceló")),
        ("KR3 al 30/06/2026 razón la app sale en junio", "es", "CO", (3, None, date(2026, 6, 30), "la app sale en junio")),
        ("kr 3 1,8 % razón: bajó el presupuesto", "es", "CO", (3, (D("1.8"), "%"), None, "bajó el presupuesto")),
        ("KR#12 45 millones COP para el 30 de junio motivo feria aplazada", "es", "CO",
         (12, (D(45_000_000), "COP"), date(2026, 6, 30), "feria aplazada")),
        ("#4 $50 millones en 6 semanas porque llegó otro proveedor", "es", "CO", (4, (D(50_000_000), "COP"), date(2026, 4, 21), "llegó otro proveedor")),
        ("KR3 30/06/2026 razón sin fecha clave", "es", "CO", (3, None, date(2026, 6, 30), "sin fecha clave")),
        ("3 1.500 razón más clientes", "es", "CO", (3, (D(1500), None), None, "más clientes")),
        ("3 al 30/06/2026 razón x", "es", "CO", (3, None, date(2026, 6, 30), "x")),
        ("KR3 1.8% by Jun 30 reason the May campaign was cancelled", "en", "US",
         (3, (D("1.8"), "%"), date(2026, 6, 30), "the May campaign was cancelled")),
        ("KR3 by 06/30/2026 because the app ships in June", "en", "US", (3, None, date(2026, 6, 30), "the app ships in June")),
        ("KR3 1,8% by Jun 30 reason budget", "en", "CO", (3, (D("1.8"), "%"), date(2026, 6, 30), "budget")),  # Colombian numbers (docs/decisions.md)
        ("KR3 20 %", "es", "CO", (3, (D(20), "%"), None, "")),  # the service refuses it without a reason
        ("KR3: 20 %  Razón:  lo pidió ventas ", "es", "CO", (3, (D(20), "%"), None, "lo pidió ventas")),
    ],
)
def test_parse_retarget(text, language, country, expected):
    assert read(text, language, country) == expected


def test_the_kpis_currency_reads_the_dollar_sign():
    assert read("KR2 $5,000 razón x", "en", "US", currency="USD")[1] == (D(5000), "USD")


def test_the_short_id_of_the_request():
    assert parse_retarget("KR7 20 razón x", today=TODAY).kr == "KR7"
    assert isinstance(parse_retarget("KR7 20 razón x", today=TODAY), RetargetRequest)


@pytest.mark.parametrize(
    "text, language, message_id, params",
    [
        ("", "es", "okr.ui.retarget.kr_missing", example_params(TODAY, "es")),
        ("20 %", "es", "okr.ui.retarget.kr_missing", example_params(TODAY, "es")),
        ("la meta de KR3", "es", "okr.ui.retarget.kr_missing", example_params(TODAY, "es")),
        ("KR0 20 razón x", "es", "okr.ui.retarget.kr_missing", example_params(TODAY, "es")),
        ("KR3 razón se canceló", "es", "okr.ui.retarget.nothing", {"kr": "KR3", **example_params(TODAY, "es")}),
        ("KR3", "es", "okr.ui.retarget.nothing", {"kr": "KR3", **example_params(TODAY, "es")}),
        ("KR3 20 % la campaña se canceló", "es", "okr.ui.retarget.unclear", {"kr": "KR3", "words": "la campaña se canceló", **example_params(TODAY, "es")}),
        ("KR3 mucho razón x", "es", "okr.ui.retarget.unclear", {"kr": "KR3", "words": "mucho", **example_params(TODAY, "es")}),
        ("KR3 20 % al 31/02/2026 razón x", "es", "smart.unknown_date", {"text": "al 31/02/2026", "example": "7 abr 2026", **example_params(TODAY, "es")}),
        ("KR3 20 by someday reason x", "en", "smart.unknown_date", {"text": "by someday", "example": "Apr 7, 2026", **example_params(TODAY, "en")}),
        ("KR3 1,234.5.6 razón x", "es", None, None),  # a number the team's way cannot read: the numbers.* message
    ],
)
def test_what_cannot_be_read_says_what_to_type(text, language, message_id, params):
    with pytest.raises(UserError) as raised:
        parse_retarget(text, today=TODAY, language=language, country="CO" if language == "es" else "US")
    if message_id is None:
        assert raised.value.message_id.startswith(("numbers.", "okr.ui.retarget."))
        return
    assert raised.value.message_id == message_id
    assert raised.value.params == params
