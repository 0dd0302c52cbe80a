"""Numbers too large or too precise for what Alinea keeps, typed in Slack or sent to the API:
a clear answer in the team's language that states the limit and what to type instead, never
"something failed" (this is what `/alinea registrar orders 999…9` and a 41-digit `/alinea
smart` goal answered before). Signed requests into the real endpoint, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from bot.loopback import LoopbackBot
from bot.slack_double import SlackDouble, slack_escape
from bot.transcript import render
from tests.support import fuzz_harness as harness

DIGITS_30 = "9" * 30
DIGITS_41 = "9" * 41


@pytest.fixture
def double():
    with SlackDouble() as double:
        harness.add_people(double)
        yield double
        assert not double.internal_errors, double.internal_errors


@pytest.fixture
def bot(settings, double):
    with LoopbackBot(settings, double=double, clock=lambda: harness.NOW) as bot:
        bot.channels = harness.seed_teams(bot)
        yield bot


def say(bot, text: str, *, english: bool = False) -> str:
    user, channel = (harness.TOM, bot.channels[1]) if english else ("U0ANA", bot.channels[0])
    _, reply = bot.command(slack_escape(text), user_id=user, channel_id=channel)
    assert reply.params.get("response_type") == "ephemeral"
    shown = render(reply.params)
    assert not any(marker in shown for marker in harness.internal_error_markers()), shown
    return shown


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_value_too_large_is_refused_with_the_limit_in_the_teams_language(bot):
    shown = say(bot, f"registrar orders {DIGITS_30}")
    assert f"`{DIGITS_30}` es un número demasiado grande: Alinea guarda hasta 18 cifras antes de los decimales" in shown
    assert "`999.999.999.999.999.999`" in shown and "`45 millones`" in shown
    shown = say(bot, f"kpi log orders {DIGITS_30}", english=True)
    assert f"`{DIGITS_30}` is too large a number: Alinea keeps up to 18 digits before the decimals" in shown
    assert "`999,999,999,999,999,999`" in shown and "`45 million`" in shown
    shown = say(bot, "registrar sales_cop 1e400")
    assert "`1e400` es un número demasiado grande" in shown
    shown = say(bot, "registrar followup_hours 1,23456789")
    assert "`1,23456789` tiene más de 6 decimales, y Alinea guarda hasta 6. Escríbelo redondeado, por ejemplo `1,234568`." in shown
    # What fits is kept exactly, whatever digits it was typed with.
    assert "999.999.999.999.999.999" in say(bot, "registrar orders 999999999999999999")
    assert "Registré *Pedidos* = *345*" in say(bot, "registrar orders ٣٤٥ para semana pasada")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_smart_goal_with_a_41_digit_number_says_the_limit(bot):
    shown = say(bot, f"smart subir ventas de {DIGITS_41} a 10{'0' * 39} en 6 semanas")
    assert f"`{DIGITS_41[:39]}…` es un número demasiado grande" in shown
    shown = say(bot, f"smart raise sales from 18 to {DIGITS_41} in 6 weeks", english=True)
    assert "is too large a number: Alinea keeps up to 18 digits" in shown


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_okr_lines_sla_targets_alerts_and_checkins_are_bounded_the_same_way(bot):
    for text in (
        f"okr kr agregar O1 repurchase_60d de 18 % a {DIGITS_30} % al 30/06/2026 dueño <@U0ANA>",
        f"okr checkin KR2 {DIGITS_30} confianza 6",
        f"sla nuevo ventas followup_hours <= {DIGITS_30} semanal",
        f"alerta nueva orders sube {DIGITS_30} puntos en 48 horas",
        f"okr meta KR2 {DIGITS_30} razón probar",
    ):
        assert "es un número demasiado grande: Alinea guarda hasta 18 cifras" in say(bot, text), text
    assert "La ventana debe estar entre 1 y" in say(bot, f"alerta nueva orders sube 3 puntos en {'9' * 5000} horas")
    for reference in (f"okr cerrar O{DIGITS_30}", f"agenda cerrar T{DIGITS_30} listo", f"sla cerrar B{DIGITS_30} nota", f"alerta borrar {'9' * 5000}"):
        say(bot, reference)  # "no such objective/topic/breach/alert", not an overflow


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_ingest_api_says_the_limit_for_json_numbers_of_any_size(bot):
    token = harness.ingest_token(bot)

    def post(body: bytes) -> tuple[int, dict]:
        status, answer = harness.post_metrics(bot, token, body)
        return status, json.loads(answer)

    cases = {"1e400": "value_too_large", "9" * 5000: "value_too_large", DIGITS_30: "value_too_large", "1E-400": "too_many_decimals",
             "0.0000001": "too_many_decimals", '"NaN"': "invalid_value", '"٣٤٥"': "invalid_value"}  # fmt: skip
    for literal, code in cases.items():
        body = f'{{"values": [{{"kpi": "sales_cop", "value": {literal}, "source": "erp", "period": "2026-W10"}}]}}'.encode()
        status, answer = post(body)
        assert (status, [row["error"] for row in answer.get("rows", [])]) == (422, [code]), (literal[:40], answer)
    status, answer = post(b'{"values": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}")
    assert status == 400 and answer["error"] == "malformed_json"
    body = b'{"values": [{"kpi": "sales_cop", "value": -0, "source": "erp", "period": "2026-W10"}]}'
    assert post(body) == (200, {"recorded": 1, "unchanged": 0, "replaced": 0})


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_form_says_the_limit_beside_the_field(bot):
    from bot.blocks.okr import CHECKIN_CONFIDENCE, CHECKIN_KR, CHECKIN_NOTE, CHECKIN_VALUE, CHECKIN_VIEW
    from tests.slack.test_okr_commands import selected, typed

    result = bot.driver.slash_command("okr checkin", user_id="U0LUIS", channel_id=bot.channels[0])
    view = bot.double.wait_for("views.open", lambda call: call.params["trigger_id"] == result.trigger_id)[-1].params["view"]
    values = {CHECKIN_KR: selected("2"), CHECKIN_VALUE: typed(DIGITS_30), CHECKIN_CONFIDENCE: typed("7"), CHECKIN_NOTE: typed("")}
    answer = bot.driver.view_submission(CHECKIN_VIEW, values, private_metadata=view["private_metadata"], user_id="U0LUIS").json()
    assert answer["response_action"] == "errors"
    assert answer["errors"][CHECKIN_VALUE].startswith(f"`{DIGITS_30}` es un número demasiado grande: Alinea guarda hasta 18 cifras")
