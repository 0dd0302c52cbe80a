"""The key-result forms (a new objective's first KR, and "Add key result") on a KPI, their
starting point left empty: the KPI's latest logged value is the baseline, the same one the
one-line `okr kr agregar` takes, and the reply says which; with nothing logged the field says
what to log (the one-line refusal's words); a KR on no KPI still needs one typed. Nothing is
stored half-way. Signed view submissions into the real endpoint, Slack played by the double,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bot.blocks.okr import ADD_KR_OPEN, KR_BASELINE, KR_VIEW, NEW_VIEW
from bot.transcript import render
from tests.slack.test_okr_commands import (  # noqa: F401 (fixtures)
    ANA,
    CHANNEL,
    LUIS,
    SQLITE_ONLY,
    TEAM,
    board,
    bot,
    clock,
    command,
    counts,
    kr_form,
    log,
    mention,
    new_form,
    objective,
    open_view,
    posts,
    submit,
)

pytestmark = TEAM  # the OKR command tests' team

NOTHING_STORED = {"okr_objectives": 0, "okr_key_results": 0, "okr_checkins": 0, "okr_retargets": 0}


def last_ephemeral(bot, count: int = 1) -> str:
    """The `count`-th private reply, once it has been sent (replies come after the ack)."""
    return render(bot.double.wait_for("chat.postEphemeral", count=count)[count - 1].params)


@pytest.mark.both_transports
def test_the_new_objective_form_on_a_kpi_starts_from_its_latest_logged_value(bot, team):
    """On SQLite and PostgreSQL: week 10 is the last complete week on Tuesday 10 March."""
    log(bot, "mobile_conversion 1,2 % para semana pasada")
    log(bot, "mobile_conversion 1,3 %")  # this week, still in progress: not the starting point
    view = open_view(bot, "okr nuevo")
    (field,) = [block for block in view["blocks"] if block.get("block_id") == KR_BASELINE]
    assert field["optional"] and field["hint"]["text"] == "Con un KPI, déjalo vacío para partir de su último valor registrado. Sin KPI, escríbelo."
    submitted = submit(bot, NEW_VIEW, new_form(kpi="mobile_conversion", metric="", baseline="", target="1,6 %"), view)
    assert submitted.status == 200 and not submitted.body  # no field error: the modal closes

    reply = last_ephemeral(bot)
    assert "Creé el objetivo *O1*" in reply
    assert "de 1,2\u00a0% a 1,6\u00a0% al 30 jun 2026" in reply
    assert "Línea base 1,2\u00a0%: el valor registrado para semana 10 de 2026" in reply
    (kr,) = board(bot).objectives[0].key_results
    assert (kr.result.kpi_key, kr.result.baseline, kr.result.target, kr.result.unit) == ("mobile_conversion", Decimal("1.2"), Decimal("1.6"), "%")
    assert len(posts(bot)) == 1


def test_the_add_key_result_form_says_which_value_it_took_and_a_typed_one_wins(bot, team):
    objective(bot, "Que los clientes vuelvan a comprar", f"clientes con recompra de 120 a 150 al 30/06/2026 dueño {mention(ANA)}")
    log(bot, "mobile_conversion 1,2 % para semana pasada")
    bot.driver.block_action(ADD_KR_OPEN, value="1", user_id=LUIS, channel_id=CHANNEL, trigger_id="1.2.kr")
    view = bot.double.wait_for("views.open")[-1].params["view"]

    submit(bot, KR_VIEW, kr_form(kpi="mobile_conversion", metric="", baseline="", target="1,6 %", owner=LUIS), view, user_id=LUIS)
    reply = last_ephemeral(bot)
    assert "Agregué *KR2* al objetivo *O1*" in reply and "Línea base 1,2\u00a0%: el valor registrado para semana 10 de 2026" in reply

    submit(bot, KR_VIEW, kr_form(kpi="mobile_conversion", metric="", baseline="1,1 %", target="1,5 %", owner=LUIS), view, user_id=LUIS)
    reply = last_ephemeral(bot, count=2)
    assert "Agregué *KR3*" in reply and "Línea base" not in reply
    baselines = [(kr.short_id, kr.result.baseline) for kr in board(bot).objectives[0].key_results]
    assert baselines == [("KR1", Decimal(120)), ("KR2", Decimal("1.2")), ("KR3", Decimal("1.1"))]


def test_with_nothing_logged_the_baseline_field_says_what_to_log_like_the_one_line_path(bot, team):
    objective(bot, "Que los clientes vuelvan a comprar", f"clientes con recompra de 120 a 150 al 30/06/2026 dueño {mention(ANA)}")
    line = command(bot, f"okr kr agregar O1 Tasa de cierre en WhatsApp a 30 % al 30/06/2026 dueño {mention(ANA)}")  # the form names the KPI
    one_line_refusal = line.params["text"]
    assert "`/alinea registrar whatsapp_close_rate VALOR para semana pasada`" in one_line_refusal

    view = open_view(bot, "okr nuevo")
    answer = submit(bot, NEW_VIEW, new_form(kpi="whatsapp_close_rate", metric="", baseline="", target="30 %"), view).json()
    assert answer == {"response_action": "errors", "errors": {KR_BASELINE: one_line_refusal}}
    rate = submit(bot, NEW_VIEW, new_form(kpi="conversion_web", metric="", baseline="", target="2 %"), view).json()
    assert "`/alinea registrar orders VALOR para semana pasada`" in rate["errors"][KR_BASELINE]
    assert counts(bot) == {**NOTHING_STORED, "okr_objectives": 1, "okr_key_results": 1}  # only the fixture's O1 and KR1


@SQLITE_ONLY
def test_a_key_result_on_no_kpi_still_needs_a_baseline(bot, team):
    view = open_view(bot, "okr nuevo")
    answer = submit(bot, NEW_VIEW, new_form(metric="clientes con recompra", baseline="", target="150"), view).json()
    assert answer["errors"] == {
        KR_BASELINE: "Escribe de dónde parte hoy, por ejemplo 1,2 %: sin un KPI elegido, el punto de partida no se puede dejar vacío.",
    }
    assert counts(bot) == NOTHING_STORED and posts(bot) == []


@SQLITE_ONLY
def test_a_form_too_long_to_carry_what_is_logged_is_refused_after_the_ack_with_nothing_saved(bot, team):
    """Slack keeps 3,000 characters of metadata: without the list of KPIs with nothing logged,
    the service refuses after the ack, in the same words, and leaves no objective behind."""
    view = open_view(bot, "okr nuevo")
    metadata = json.loads(view["private_metadata"])
    assert "whatsapp_close_rate" in metadata["unlogged"]
    del metadata["unlogged"]
    submitted = submit(bot, NEW_VIEW, new_form(kpi="whatsapp_close_rate", metric="", baseline="", target="30 %"), json.dumps(metadata))
    assert submitted.status == 200 and not submitted.body
    assert "`/alinea registrar whatsapp_close_rate VALOR para semana pasada`" in last_ephemeral(bot)
    assert counts(bot) == NOTHING_STORED and posts(bot) == []


@pytest.mark.parametrize("team", ["en"], indirect=True)
@SQLITE_ONLY
def test_in_english(bot, team):
    view = open_view(bot, "okr new")
    answer = submit(bot, NEW_VIEW, new_form(kpi="mobile_conversion", metric="", baseline="", target="1.6%"), view).json()
    assert "`/alinea log mobile_conversion VALUE for last week`" in answer["errors"][KR_BASELINE]
    answer = submit(bot, NEW_VIEW, new_form(metric="repeat customers", baseline="", target="150"), view).json()
    assert answer["errors"] == {KR_BASELINE: "Type where it starts today, for example 1.2%: without a KPI chosen, the starting point cannot be left empty."}
