"""Personal data removed from feedback text: each kind, the numbers that must stay, and counts."""

from __future__ import annotations

import pytest

from domain.personal_data import scrub

CASES = [
    # (text as written, text kept, counts removed)
    ("Escríbanme a ana.perez+tienda@gmail.com ya", "Escríbanme a [email] ya", {"email": 1}),
    ("mi cel es 300 123 4567 o 3109876543", "mi cel es [phone] o [phone]", {"phone": 2}),
    ("llamen al +57 310 555 1234 por favor", "llamen al [phone] por favor", {"phone": 1}),
    ("fijo (+57) 601 234 5678", "fijo [phone]", {"phone": 1}),
    ("call me at +1 415-555-0100", "call me at [phone]", {"phone": 1}),
    ("con cédula 1.020.345.678 no me dejaron", "con cédula [id] no me dejaron", {"id_number": 1}),
    ("CC 52345678, pedido 12", "CC [id], pedido 12", {"id_number": 1}),
    ("factura a NIT 900.123.456-7", "factura a NIT [id]", {"id_number": 1}),
    ("la empresa 900123456-7 no ha pagado", "la empresa [id] no ha pagado", {"id_number": 1}),
    ("documento no. 80123456 registrado", "documento no. [id] registrado", {"id_number": 1}),
    ("mi número es 1020345678", "mi número es [id]", {"id_number": 1}),
    ("gracias @ana.perez y <@U0ANA>", "gracias [mention] y [mention]", {"mention": 2}),
    ("ver https://tienda.co/reset?token=abc123XYZ y listo", "ver [link] y listo", {"url": 1}),
    ("link https://pay.co/c/9f8e7d6c5b4a39281716abcd.", "link [link].", {"url": 1}),
    ("<https://tienda.co/orden?sig=Zz9|mi pedido> llegó tarde", "[link] llegó tarde", {"url": 1}),
    ("https://user:secreto@api.tienda.co/x", "[link]", {"url": 1}),
    # what must stay: prices, quantities, plain links, dates, order numbers
    ("pagué $1.200.000 y 45.000 de envío", "pagué $1.200.000 y 45.000 de envío", {}),
    ("cuesta 1500000 pesos, carísimo", "cuesta 1500000 pesos, carísimo", {}),
    ("el 15/03/2026 pedí 3 camisas", "el 15/03/2026 pedí 3 camisas", {}),
    ("miren https://tienda.co/ayuda para devoluciones", "miren https://tienda.co/ayuda para devoluciones", {}),
    ("<https://tienda.co/envios|envíos> muy lentos", "envíos muy lentos", {}),
    ("pedido #123456 sin llegar", "pedido #123456 sin llegar", {}),
    ("NPS 9 de 10, 20% de descuento", "NPS 9 de 10, 20% de descuento", {}),
]


@pytest.mark.parametrize(("written", "kept", "removed"), CASES)
def test_personal_data_is_replaced_and_counted(written, kept, removed):
    result = scrub(written)
    assert (result.text, result.removed) == (kept, removed)


def test_several_kinds_in_one_text_are_counted_apart():
    result = scrub("Soy Ana, CC 1020345678, ana@x.co, 3001234567, @ana — https://t.co/a?api_key=zz")
    assert result.removed == {"url": 1, "email": 1, "mention": 1, "id_number": 1, "phone": 1}
    assert result.removed_total == 5
    for secret in ("1020345678", "ana@x.co", "3001234567", "@ana", "api_key"):
        assert secret not in result.text


def test_scrubbing_twice_changes_nothing_more():
    once = scrub("escribir a ana@x.co o al 3001234567")
    assert scrub(once.text) == type(once)(once.text, {})
