"""`/alinea kpi …` through the signed endpoint: values read the team's way and echoed as
understood, corrections, undo, the trend with its chart, and every bad input answered."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from bot.loopback import LoopbackBot
from bot.transcript import render
from db import repositories
from db.models import KpiValue
from domain.setup import SetupChanges
from services import teams, workspaces
from services.teams import TeamDefaults

# Sunday 2026-01-18 23:30 in Bogotá is already Monday in UTC: the value belongs to Bogotá's day.
SUNDAY_NIGHT = datetime(2026, 1, 19, 4, 30, tzinfo=timezone.utc)


@pytest.fixture
def bot(settings, double, transport):
    double.add_user("U0LUIS", name="luis", locale="es-LA")
    with LoopbackBot(settings, double=double, clock=lambda: SUNDAY_NIGHT, transport=transport) as bot:
        yield bot


def set_up(bot, language="es"):
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=SUNDAY_NIGHT)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id="C0TEAM", channel_name="alineacion", actor="U0ANA",
            is_workspace_admin=False, changes=SetupChanges(marketing_leads=("U0ANA",), sales_leads=("U0LUIS",), language=language),
            defaults=TeamDefaults("America/Bogota", "es"), now=SUNDAY_NIGHT,
        )
    bot.command("kpi plantillas" if language == "es" else "kpi templates")


def say(bot, text, user_id="U0ANA"):
    _, reply = bot.command(text, user_id=user_id)
    assert reply.ok, reply.response
    return reply


def stored(bot):
    with bot.runtime.session_factory() as session:
        return [(row.kpi_id, row.period_kind, row.period_start, row.value, row.note) for row in session.query(KpiValue).order_by(KpiValue.id)]


@pytest.mark.both_transports
def test_a_value_is_read_the_teams_way_and_echoed_as_understood(bot):
    set_up(bot)
    reply = say(bot, "registrar sales_cop 45 millones feria de Bogotá")
    shown = render(reply.params)
    assert "Registré" in shown
    assert "Entendí «45 millones» como $45.000.000." in shown
    assert "Nota: feria de Bogotá" in shown
    (row,) = stored(bot)
    assert row[1:] == ("day", date(2026, 1, 18), Decimal("45000000"), "feria de Bogotá")  # Sunday, Bogotá time


def test_percent_for_last_week_in_an_english_team_in_colombia(bot):
    set_up(bot, "en")
    reply = say(bot, "kpi log cart_abandonment 71,5 % for last week checkout bug", user_id="U0TOM")
    shown = render(reply.params)
    assert "I read “71,5 %” as 71,5" in shown  # Colombia writes decimal commas, even in English (docs/decisions.md: Colombian numbers in English)
    (row,) = stored(bot)
    assert row[1:] == ("week", date(2026, 1, 5), Decimal("71.5"), "checkout bug")


@pytest.mark.both_transports
def test_a_correction_says_what_it_replaced_and_undo_brings_it_back(bot):
    set_up(bot)
    say(bot, "kpi registrar orders 120")
    reply = say(bot, "kpi registrar orders 125", user_id="U0LUIS")
    assert "Corregí" in render(reply.params) and "Antes era 120" in render(reply.params)
    reply = say(bot, "kpi deshacer", user_id="U0LUIS")
    assert "vuelve a ser 120" in render(reply.params)
    assert [row[3] for row in stored(bot)] == [Decimal("120")]


@pytest.mark.both_transports
@pytest.mark.parametrize(
    "text, expected",
    [
        ("registrar sales_cop mucho", "1.234,5"),  # says how this team writes numbers
        ("registrar sales_cop 45 millones para 2030-W01", "2030-W01"),
        ("registrar sales_cp 45", "¿Quisiste decir `sales_cop`?"),
        ("registrar conversion_web 1,6 %", "se calcula solo"),
        ("registrar cart_abandonment 120 %", "100"),
        ("registrar sales_cop 45 %", "sales_cop"),
        ("kpi registrar", "/alinea kpi registrar cart_abandonment"),
        ("kpi volar", "/alinea kpi"),
    ],
)
def test_bad_input_gets_a_private_answer_and_nothing_is_written(bot, text, expected):
    set_up(bot)
    reply = say(bot, text)
    assert reply.params["response_type"] == "ephemeral"
    assert expected in reply.params["text"], reply.params["text"]
    assert stored(bot) == []


@pytest.mark.both_transports
def test_show_lists_the_weeks_as_text_with_slacks_own_chart(bot):
    set_up(bot)
    say(bot, "kpi registrar orders 16 para semana pasada")
    say(bot, "kpi registrar sessions 1000 para semana pasada")
    reply = say(bot, "kpi ver conversion_web")
    (chart,) = [block for block in reply.params["blocks"] if block["type"] == "data_visualization"]
    (series,) = chart["chart"]["series"]
    assert chart["chart"]["type"] == "line" and [point["value"] for point in series["data"]] == [1.6]
    assert series["data"][0]["label"] in chart["chart"]["axis_config"]["categories"]
    assert "*1,6\u00a0%*" in render(reply.params)  # the chart's numbers are in the text too; a no-break space keeps the sign with its number
    assert bot.double.files == {}  # nothing rendered or uploaded


@pytest.mark.both_transports
def test_show_on_a_slack_without_native_charts_answers_again_without_it_and_then_uploads_a_png(bot):
    set_up(bot)
    say(bot, "kpi registrar orders 16 para semana pasada")
    say(bot, "kpi registrar sessions 1000 para semana pasada")
    bot.double.refuse_native_blocks()  # an older Slack: invalid_blocks for the chart block
    result = bot.driver.slash_command("kpi ver conversion_web", user_id="U0ANA")
    refused, again = bot.double.wait_for_response(result.response_url, count=2)
    assert refused.status == 400 and refused.response["error"] == "invalid_blocks"
    assert again.status == 200 and "*1,6\u00a0%*" in render(again.params)  # the same answer, its numbers in the text
    assert not [block for block in again.params["blocks"] if block["type"] == "data_visualization"]
    # Remembered for the workspace: the next one is a PNG, refused by nobody.
    reply = say(bot, "kpi ver conversion_web")
    (image,) = [block for block in reply.params["blocks"] if block["type"] == "image"]
    assert bot.double.files[image["slack_file"]["id"]].content.startswith(b"\x89PNG") and "1,6" in image["alt_text"]


def test_show_without_data_invites_a_baseline(bot):
    set_up(bot)
    reply = say(bot, "kpi ver cac")
    assert "línea base" in render(reply.params)
    assert not [block for block in reply.params["blocks"] if block["type"] == "image"]


def test_primary_and_supporting_kpis_and_a_new_kpi_in_one_line(bot):
    set_up(bot)
    assert "principal" in render(say(bot, "kpi principal sales_cop").params)
    assert "apoyo" in render(say(bot, "kpi apoyo conversion_web cac").params)
    reply = say(bot, 'kpi nuevo ventas_kits "Ventas de kits" unidad COP agregado suma lado ventas')
    assert "Creé el KPI `ventas_kits`" in render(reply.params)
    catalog = render(say(bot, "kpi lista").params)
    assert "`ventas_kits` Ventas de kits" in catalog and "⭐ principal" in catalog


def test_a_note_with_mentions_is_stored_as_typed_and_echoed_harmlessly(bot):
    set_up(bot)
    reply = say(bot, "registrar orders 12 <!channel> revisen <@U0LUIS|luis>")
    payload = json.dumps(reply.params)
    assert "<!channel>" not in payload and "<@U0LUIS" not in payload
    assert stored(bot)[0][4] == "<!channel> revisen <@U0LUIS|luis>"


def test_a_channel_without_a_team_is_told_how_to_set_one_up(bot):
    reply = say(bot, "registrar sales_cop 45")
    assert reply.params["text"].startswith("Este canal todavía no tiene un equipo")


@pytest.mark.both_transports
def test_the_new_kpi_form_opens_and_creates_a_rate(bot):
    from bot.blocks import kpi as form

    set_up(bot)
    result = bot.driver.slash_command("kpi nuevo", user_id="U0ANA")
    (opened,) = bot.double.wait_for("views.open")
    assert opened.ok, opened.response  # valid Block Kit, as Slack would check it
    metadata = opened.params["view"]["private_metadata"]

    def form_values(**overrides):
        def typed(value):
            return {form.VALUE: {"type": "plain_text_input", "value": value}}

        def chosen(value):
            return {form.VALUE: {"type": "static_select", "selected_option": {"value": value} if value else None}}

        values = {
            form.KEY: typed("conversion_movil"), form.NAME: typed("Conversión móvil"), form.UNIT: chosen("percent"),
            form.CURRENCY: typed(""), form.DIRECTION: chosen("higher"), form.AGGREGATION: chosen("rate"),
            form.NUMERATOR: chosen("orders"), form.DENOMINATOR: chosen("sessions"), form.SIDE: chosen("marketing"),
            form.TERM: typed(""),
        }
        values.update(overrides)
        return values

    bad = bot.driver.view_submission(form.NEW_VIEW, form_values(**{form.KEY: {form.VALUE: {"value": "conversión móvil!"}}}),
                                     private_metadata=metadata, user_id="U0ANA")
    assert bad.json()["response_action"] == "errors" and form.KEY in bad.json()["errors"]
    same = bot.driver.view_submission(form.NEW_VIEW, form_values(**{form.DENOMINATOR: {form.VALUE: {"selected_option": {"value": "orders"}}}}),
                                      private_metadata=metadata, user_id="U0ANA")
    assert form.DENOMINATOR in same.json()["errors"]
    good = bot.driver.view_submission(form.NEW_VIEW, form_values(), private_metadata=metadata, user_id="U0ANA")
    assert good.status == 200 and not good.body
    (reply,) = bot.double.wait_for("chat.postEphemeral")
    assert "Creé el KPI `conversion_movil`" in render(reply.params)
    assert result.status == 200


def test_only_team_members_change_the_catalog_but_anyone_logs(bot, double):
    set_up(bot)
    double.add_user("U0PEDRO", name="pedro", locale="es-LA")
    for text in ("kpi principal orders", 'kpi nuevo x_y "X" unidad COP'):
        reply = say(bot, text, user_id="U0PEDRO")
        assert "Solo los líderes y administradores del equipo cambian el catálogo" in reply.params["text"]
    assert "Registré" in render(say(bot, "kpi registrar orders 12", user_id="U0PEDRO").params)
