"""`/alinea feedback` through the signed endpoint and the double, both databases and languages:
one line stored with personal data removed and themes found by words, the theme list edited by
leads only, a person's re-tag, and every mistake answered privately with what to type."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.blocks.okr import KR_BASELINE, KR_DEADLINE, KR_KPI, KR_TARGET, NEW_VIEW, TITLE
from bot.transcript import render
from db import repositories
from db.models import AuditEntry, FeedbackItem, FeedbackTag, FeedbackTheme, OkrObjective
from services import feedback
from tests.slack.test_okr_commands import input_blocks, new_form, submit

# The agenda tests' team (leads Ana and Luis, admin Caro, member Pedro; the starter KPIs) on Wednesday 11 March 2026.
from tests.slack.test_agenda_commands import ANA, BOGOTA, CARO, CHANNEL, LUIS, PEDRO, SQLITE_ONLY, TEAM, bot, clock, command, stored  # noqa: F401

BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
pytestmark = TEAM


def tag_names(bot) -> dict[int, list[str]]:
    with bot.runtime.session_factory() as session:
        rows = session.execute(
            select(FeedbackItem.number, FeedbackTheme.key).join(FeedbackTag, FeedbackTag.item_id == FeedbackItem.id)
            .join(FeedbackTheme, FeedbackTheme.id == FeedbackTag.theme_id).order_by(FeedbackItem.number, FeedbackTheme.position)
        )  # fmt: skip
        found: dict[int, list[str]] = {}
        for number, key in rows:
            found.setdefault(number, []).append(key)
        return found


@pytest.mark.both_transports
@BOTH_DATABASES
def test_one_line_feedback_is_stored_without_personal_data(bot, team):
    said = command(bot, "feedback El pedido no ha llegado, escríbanme a ana@x.co o al 300 123 4567 fuente whatsapp nota 3", user_id=PEDRO)
    assert "Comentario F1 guardado" in said
    assert "«El pedido no ha llegado, escríbanme a [email] o al [phone]»" in said and "WhatsApp · nota 3" in said
    assert "temas: Entrega" in said
    assert "Datos personales quitados antes de guardar: 1 correo(s), 1 teléfono(s) (2 en total). No se guardó ninguno." in said
    assert "ana@x.co" not in said and "300 123 4567" not in said
    assert "Comentario F2 guardado" in command(bot, "opinión Muy caro el envío y nadie responde <!channel>")
    [first, second] = stored(bot, FeedbackItem)
    assert (first.source, first.score, first.removed, first.added_by) == ("whatsapp", 3, {"email": 1, "phone": 1}, PEDRO)
    assert "ana@x.co" not in first.text and "3001234567" not in first.text.replace(" ", "")
    assert (second.source, second.score, second.removed) == ("slack", None, {"mention": 1})  # a channel ping is a mention too
    assert second.text == "Muy caro el envío y nadie responde [mention]"
    assert tag_names(bot) == {1: ["delivery"], 2: ["delivery", "price", "response_time"]}
    for entry in stored(bot, AuditEntry):
        assert "ana@x.co" not in str(entry.after)
    assert bot.double.messages(CHANNEL) == []  # feedback is private until a meeting counts it


@pytest.mark.both_transports
@BOTH_DATABASES
def test_leads_edit_themes_and_a_person_retags(bot, team):
    listed = command(bot, "feedback temas", user_id=PEDRO)
    assert "Temas de la voz del cliente" in listed and "*Tiempo de respuesta*" in listed and "*Inventario*" in listed
    assert "Solo los líderes" in command(bot, "feedback temas agregar Aduana", user_id=PEDRO)
    added = command(bot, "feedback temas agregar Envíos internacionales: aduana, customs", user_id=LUIS)
    assert "Tema «Envíos internacionales» agregado; lo reconocen estas palabras: aduana, customs" in added
    assert "Tema «Inventario» quitado" in command(bot, "feedback temas quitar inventario", user_id=CARO)
    listed = command(bot, "feedback temas")
    assert "Envíos internacionales" in listed and "Inventario" not in listed
    assert "temas: Envíos internacionales" in command(bot, "feedback Retenido en la aduana hace una semana", user_id=PEDRO)
    assert "Temas de F1: Precio, Atención" in command(bot, "feedback etiquetar F1 precio, atención", user_id=PEDRO)
    assert tag_names(bot) == {1: ["price", "attention"]}
    [item] = stored(bot, FeedbackItem)
    assert item.themes_from == "person"
    recent = command(bot, "feedback lista")
    assert "Últimos comentarios de clientes" in recent and "*F1* «Retenido en la aduana hace una semana»" in recent


@SQLITE_ONLY
def test_feedback_mistakes_are_explained_and_store_nothing(bot, team):
    assert "Escribe lo que dijo el cliente después de `feedback`" in command(bot, "feedback")
    assert "La nota va de 0 a 10 y entera: `11` no sirve" in command(bot, "feedback Lento nota 11")
    assert "No conozco la fuente `twitter`" in command(bot, "feedback Lento fuente twitter")
    assert "no queda nada que guardar" in command(bot, "feedback ana@x.co 3001234567")
    assert "Es muy largo" in command(bot, "feedback " + "lento " * 400)
    assert "No hay un comentario `F9`" in command(bot, "feedback etiquetar F9 precio")
    assert "Di el comentario y sus temas" in command(bot, "feedback etiquetar F1")
    assert "¿quisiste decir `feedback temas agregar`?" in command(bot, "feedback temas agregr Aduana", user_id=LUIS)
    assert "Di qué tema quitar" in command(bot, "feedback temas quitar", user_id=LUIS)
    assert "No hay un tema «clima»" in command(bot, "feedback temas quitar clima", user_id=LUIS)
    assert stored(bot, FeedbackItem) == []


@pytest.mark.both_transports
@pytest.mark.parametrize("team", ["en"], indirect=True)
@BOTH_DATABASES
def test_feedback_in_english(bot, team):
    said = command(bot, "feedback The parcel arrived late and nobody replied, call +1 415-555-0100 source support score 2")
    assert "Feedback F1 saved" in said and "Support · score 2" in said and "themes: Delivery, Response time" in said
    assert "Personal data removed before saving: 1 phone number(s) (1 in all)" in said and "415-555-0100" not in said
    assert "Voice of the customer themes" in command(bot, "feedback themes")
    assert "Themes of F1: Price" in command(bot, "opinion tag F1 price")
    assert "A score is a whole number from 0 to 10" in command(bot, "feedback Slow score ten")
    assert "I don't know the source `tiktok`" in command(bot, "feedback Slow source tiktok")
    assert len(stored(bot, FeedbackItem)) == 1


@SQLITE_ONLY
def test_a_channel_without_a_team_is_told_to_set_one_up(bot):
    _, reply = bot.command("feedback Lento", user_id=ANA, channel_id="C0OTHER")
    assert "configur" in render(reply.params).lower()


# The message shortcut ---------------------------------------------------------------------------------

SUPPORT = "C0SOPORTE"  # a support channel that is no team's channel
MESSAGE = {"ts": "1710000000.000100", "user": "U0CLIENTE",
           "text": "Cliente: mi pedido no ha llegado y nadie responde &amp; <@U0LUIS> no contesta. Mi correo es cliente@mail.co y mi cédula 1.020.345.678"}


def open_shortcut_form(bot, message=MESSAGE, user_id=PEDRO) -> dict:
    result = bot.driver.message_shortcut("feedback_from_message", message=message, user_id=user_id, channel_id=SUPPORT)
    assert result.status == 200
    opened = bot.double.wait_for("views.open")[-1]
    assert opened.ok, opened.response
    return opened.params["view"]


def shortcut_values(view, *, source="whatsapp", score="2", themes=None) -> dict:
    blocks = {block.get("block_id"): block for block in view["blocks"]}
    team_option = blocks["fb_team"]["element"]["initial_option"]
    chosen = blocks["fb_themes"]["element"].get("initial_options", []) if themes is None else [
        option for option in blocks["fb_themes"]["element"]["options"] if option["value"] in themes]
    return {
        "fb_team": {"value": {"type": "static_select", "selected_option": team_option}},
        "fb_source": {"value": {"type": "static_select", "selected_option": {"value": source} if source else None}},
        "fb_score": {"value": {"type": "static_select", "selected_option": {"value": score} if score else None}},
        "fb_themes": {"value": {"type": "multi_static_select", "selected_options": chosen}},
    }


@pytest.mark.both_transports
@BOTH_DATABASES
def test_the_message_shortcut_stores_a_message_once_without_personal_data(bot, team):
    bot.double.add_channel(SUPPORT, "soporte")
    view = open_shortcut_form(bot)
    shown = json.dumps(view, ensure_ascii=False)
    assert "cliente@mail.co" not in shown and "1.020.345.678" not in shown and "[email]" in shown and "[id]" in shown
    assert view["callback_id"] == "feedback_form_view" and view["title"]["text"] == "Voz del cliente"
    suggested = [option["value"] for option in next(b for b in view["blocks"] if b.get("block_id") == "fb_themes")["element"]["initial_options"]]
    assert suggested == ["delivery", "response_time"]  # the words' suggestion, preselected
    submitted = bot.driver.view_submission("feedback_form_view", shortcut_values(view), private_metadata=view["private_metadata"], user_id=PEDRO)
    assert submitted.status == 200 and not submitted.body
    said = render(bot.double.wait_for("chat.postEphemeral")[-1].params)
    assert "Comentario F1 guardado" in said and "WhatsApp · nota 2" in said and "temas: Entrega, Tiempo de respuesta" in said
    [item] = stored(bot, FeedbackItem)
    assert (item.source, item.score, item.external_id, item.added_by, item.themes_from) == (
        "whatsapp", 2, f"slack:{SUPPORT}:{MESSAGE['ts']}", PEDRO, "person")
    assert item.removed == {"email": 1, "id_number": 1, "mention": 1} and "cliente@mail.co" not in item.text
    assert "nadie responde & [mention] no contesta" in item.text  # Slack's entities decoded once, its mention removed
    again = open_shortcut_form(bot, user_id=ANA)  # the same message sent again: stored once
    bot.driver.view_submission("feedback_form_view", shortcut_values(again, themes=["price"]), private_metadata=again["private_metadata"], user_id=ANA)
    assert "El comentario F1 ya estaba guardado" in render(bot.double.wait_for("chat.postEphemeral", count=2)[-1].params)
    assert len(stored(bot, FeedbackItem)) == 1 and tag_names(bot) == {1: ["delivery", "response_time"]}


@SQLITE_ONLY
def test_the_shortcut_form_flags_missing_fields_and_empty_messages(bot, team):
    bot.double.add_channel(SUPPORT, "soporte")
    view = open_shortcut_form(bot)
    answer = bot.driver.view_submission("feedback_form_view", shortcut_values(view, source=None), private_metadata=view["private_metadata"]).json()
    assert answer["response_action"] == "errors" and "de dónde viene" in answer["errors"]["fb_source"]
    result = bot.driver.message_shortcut("feedback_from_message", message={"ts": "1.2", "text": "  "}, user_id=PEDRO, channel_id=SUPPORT)
    said = render(bot.double.wait_for_response(result.response_url)[-1].params)
    assert "no tiene texto" in said
    assert stored(bot, FeedbackItem) == []


@SQLITE_ONLY
def test_the_shortcut_in_a_workspace_without_teams_says_how_to_set_one_up(bot):
    bot.double.add_channel(SUPPORT, "soporte")
    result = bot.driver.message_shortcut("feedback_from_message", message=MESSAGE, user_id=PEDRO, channel_id=SUPPORT)
    said = render(bot.double.wait_for_response(result.response_url)[-1].params)
    assert "todavía no tiene un equipo de Alinea" in said or "has no Alinea team" in said


# In the meetings ---------------------------------------------------------------------------------------

SEEDED = [  # (when, text, score, source): February, then March up to the preview on 11 March
    (datetime(2026, 2, 10, 9, tzinfo=BOGOTA), "El envío se demoró una semana", 4, "survey"),
    (datetime(2026, 2, 12, 9, tzinfo=BOGOTA), "Nadie responde el WhatsApp", None, "whatsapp"),
    (datetime(2026, 3, 3, 9, tzinfo=BOGOTA), "El pedido no ha llegado, escriban a ana@x.co", 2, "whatsapp"),
    (datetime(2026, 3, 4, 9, tzinfo=BOGOTA), "La entrega llegó tarde otra vez", 3, "survey"),
    (datetime(2026, 3, 5, 9, tzinfo=BOGOTA), "Muy caro el envío a Cali", 5, "review"),
    (datetime(2026, 3, 9, 9, tzinfo=BOGOTA), "Me encantó la atención, súper amables", 10, "survey"),
    (datetime(2026, 3, 10, 9, tzinfo=BOGOTA), "Todo bien", 9, "survey"),
    (datetime(2026, 3, 10, 11, tzinfo=BOGOTA), "Nadie responde en soporte, pésima respuesta", None, "support"),
]


def seed_feedback(bot):
    for moment, text, score, source in SEEDED:
        with bot.runtime.session_factory.begin() as session:
            workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
            team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)
            feedback.record(session, team=team, actor=PEDRO, text=text, source=source, score=score, now=moment)


@pytest.mark.both_transports
@BOTH_DATABASES
def test_the_monthly_agenda_has_the_voice_of_the_customer(bot, team):
    seed_feedback(bot)
    _, reply = bot.command("agenda vista mensual", user_id=ANA, channel_id=CHANNEL, timeout=30)
    shown = render(reply.params)
    assert "Voz del cliente — marzo de 2026" in shown
    assert "6 comentarios de clientes, 4 quejas." in shown
    top = shown[shown.index("Los temas con más quejas:"):]
    assert "1. *Entrega*: 3 quejas (↑ +2 frente a 1 el mes anterior)" in top
    assert "2. *Precio*: 1 quejas (↑ +1 frente a 0 el mes anterior)" in top  # ties by name
    assert "3. *Tiempo de respuesta*: 1 quejas (↓ −1 frente a 2 el mes anterior)" in top
    quotes = shown[shown.index("Lo que dicen (sin datos personales):"):].splitlines()[1:3]
    # the latest complaint of each top theme in turn, none twice (price's only one is delivery's latest)
    assert quotes == ["> «Muy caro el envío a Cali»", "> «Nadie responde en soporte, pésima respuesta»"]
    assert "ana@x.co" not in shown
    # NPS of March: scores 2, 3, 5, 10, 9 -> (2 - 3) / 5 = -20,0; CSAT 2 of 5 = 40,0 %
    section = shown[shown.index("Voz del cliente —"):]
    nps = next(line for line in section.splitlines() if "(`nps`)" in line)
    csat = next(line for line in section.splitlines() if "(`csat`)" in line)
    assert nps.startswith("• 🟢 *NPS (Net Promoter Score)* (`nps`): *") and "20* · mes anterior" in nps and "meta" in nps
    assert "*40" in csat and "mes anterior 0" in csat
    buttons = [element for block in reply.params["blocks"] if block.get("type") == "actions" for element in block["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons if b["action_id"] == "feedback_propose_okr"] == [
        ("feedback_propose_okr", "delivery"), ("feedback_propose_okr", "price"), ("feedback_propose_okr", "response_time")]


@SQLITE_ONLY
def test_the_weekly_agenda_says_which_themes_moved(bot, team):
    seed_feedback(bot)
    _, reply = bot.command("agenda vista", user_id=ANA, channel_id=CHANNEL, timeout=30)
    shown = render(reply.params)
    # week 11 (9-15 March): attention 1, response time 1; week 10: delivery 3, price 1. Largest move first, then the busier theme
    assert "🗣️ Voz del cliente frente a la semana anterior: Entrega 0 (−3), Atención 1 (+1), Tiempo de respuesta 1 (+1)" in shown


# An objective proposed from a theme ---------------------------------------------------------------------


@pytest.mark.both_transports
@BOTH_DATABASES
def test_propose_an_okr_from_a_theme_fills_the_form_and_a_person_saves_it(bot, team):
    seed_feedback(bot)
    pressed = bot.driver.block_action("feedback_propose_okr", value="response_time", user_id=ANA, channel_id=CHANNEL, trigger_id="T.voc-okr")
    assert pressed.status == 200
    view = bot.double.wait_for("views.open", lambda call: call.params["trigger_id"] == "T.voc-okr")[-1].params["view"]
    fields = input_blocks(view)
    assert view["callback_id"] == NEW_VIEW
    assert fields[TITLE]["initial_value"] == "Mejorar la experiencia del cliente en Tiempo de respuesta: menos quejas"
    # February had 2 complaints about response time: halve them by the end of the third month from now
    assert fields[KR_KPI]["initial_option"]["value"] == "complaints_response_time"
    assert (fields[KR_BASELINE]["initial_value"], fields[KR_TARGET]["initial_value"], fields[KR_DEADLINE]["initial_date"]) == ("2", "1", "2026-05-31")
    assert stored(bot, OkrObjective) == []  # nothing is created without a person
    values = new_form(title=fields[TITLE]["initial_value"], kpi="complaints_response_time", metric="", baseline="2", target="1",
                      start="2026-03-11", deadline="2026-05-31", owner=LUIS, sides=("sales",), contributors=("customer_service",))
    submitted = submit(bot, NEW_VIEW, values, view)
    assert submitted.status == 200 and not submitted.body
    said = render(bot.double.wait_for("chat.postEphemeral")[-1].params)
    assert "Creé el objetivo *O1*" in said and "menos quejas" in said and "`complaints_response_time`" in said and "Revisión SMART" in said
    [objective] = stored(bot, OkrObjective)
    assert objective.title == "Mejorar la experiencia del cliente en Tiempo de respuesta: menos quejas"


@SQLITE_ONLY
def test_the_okr_command_checks_the_theme_and_who_asks(bot, team):
    seed_feedback(bot)
    result = bot.driver.slash_command("feedback okr entrega", user_id=ANA, channel_id=CHANNEL)
    opened = bot.double.wait_for("views.open", lambda call: call.params["trigger_id"] == result.trigger_id)[-1].params["view"]
    assert input_blocks(opened)[KR_KPI]["initial_option"]["value"] == "complaints_delivery"
    assert (input_blocks(opened)[KR_BASELINE]["initial_value"], input_blocks(opened)[KR_TARGET]["initial_value"]) == ("1", "0")
    assert "líder" in command(bot, "feedback okr entrega", user_id=PEDRO).lower()
    assert "no tuvo quejas el mes pasado" in command(bot, "feedback okr inventario")
    assert "No hay un tema «clima»" in command(bot, "feedback okr clima")
    assert "Di de qué tema proponer" in command(bot, "feedback okr")
    assert stored(bot, OkrObjective) == []
