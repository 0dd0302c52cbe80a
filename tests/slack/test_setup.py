"""`/alinea setup` through the signed endpoint: one line, the modal, show, permissions, audit."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from bot.blocks import setup as setup_blocks
from bot.loopback import LoopbackBot
from bot.transcript import render
from db import repositories
from db.models import TeamRole

ONE_LINE = "configurar mercadeo <@U0ANA|ana> ventas <@U0LUIS|luis> zona America/Bogota idioma es"


@pytest.fixture
def people(double):
    double.add_user("U0LUIS", name="luis", locale="es-LA")
    double.add_user("U0PEDRO", name="pedro", locale="es-LA")
    double.add_user("U0BOSS", name="boss", locale="en-US", is_admin=True)


def team_row(bot, channel_id="C0TEAM"):
    with bot.runtime.session_factory() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        if workspace is None:
            return None
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)
        if team is not None:
            _ = [(m.role, m.slack_user_id) for m in team.members]  # load before the session closes
        return team


def roles(team):
    return {(member.role, member.slack_user_id) for member in team.members}


def test_one_line_setup_creates_the_team_and_announces_it(bot, people):
    _, reply = bot.command(ONE_LINE, user_id="U0ANA")
    shown = render(reply.params)
    assert "Listo: este canal ya tiene su equipo" in shown
    assert "<@U0ANA>" in shown and "<@U0LUIS>" in shown and "America/Bogota" in shown
    team = team_row(bot)
    assert roles(team) == {(TeamRole.ADMIN, "U0ANA"), (TeamRole.MARKETING_LEAD, "U0ANA"), (TeamRole.SALES_LEAD, "U0LUIS")}
    assert team.name == "alineacion"  # the channel's name, from conversations.info
    (announcement,) = [m for m in bot.double.messages("C0TEAM") if m.get("metadata")]
    assert announcement["metadata"]["event_payload"]["claim"] == f"team-created-{team.id}"
    with bot.runtime.session_factory() as session:
        entries = repositories.audit_entries(session, workspace_id=team.workspace_id, entity_type="alignment_team")
    assert [entry.action for entry in entries] == ["alignment_team.created"]
    assert entries[0].after["sales_leads"] == ["U0LUIS"]


def test_setup_in_english_answers_in_english(bot, people):
    _, reply = bot.command("setup marketing <@U0ANA> sales <@U0LUIS> lang en weekly monday 9am", user_id="U0TOM")
    shown = render(reply.params)
    assert "Done: this channel now has its alignment team" in shown
    assert "Monday 09:00" in shown


def test_show_prints_the_configuration_and_needs_a_team(bot, people):
    _, reply = bot.command("configurar mostrar", user_id="U0ANA")
    assert reply.params["text"].startswith("Este canal todavía no tiene un equipo")
    bot.command(ONE_LINE, user_id="U0ANA")
    _, reply = bot.command("setup show", user_id="U0PEDRO")
    shown = render(reply.params)
    assert "Equipo alineacion" in shown and "Reunión semanal" in shown and "lunes 09:00" in shown


def test_working_hours_and_the_agenda_lead_time_are_set_in_one_line_and_shown(bot, people):
    bot.command(ONE_LINE, user_id="U0ANA")
    _, reply = bot.command("configurar horario 7:30 a 16:30 lunes a sábado anticipacion 3h", user_id="U0ANA")
    team = team_row(bot)
    assert (team.work_days, team.work_start.isoformat(), team.work_end.isoformat(), team.agenda_lead_minutes) == ("0,1,2,3,4,5", "07:30:00", "16:30:00", 180)
    _, reply = bot.command("configurar mostrar", user_id="U0PEDRO")
    shown = render(reply.params)
    assert "lunes–sábado 07:30–16:30" in shown and "se publica 3 h antes de cada reunión" in shown
    with bot.runtime.session_factory() as session:
        entries = repositories.audit_entries(session, workspace_id=team.workspace_id, entity_type="alignment_team")
    assert entries[-1].after["work_days"] == [0, 1, 2, 3, 4, 5] and entries[-1].after["agenda_lead_minutes"] == 180


def team_audit(bot, team):
    with bot.runtime.session_factory() as session:
        return repositories.audit_entries(session, workspace_id=team.workspace_id, entity_type="alignment_team")


def test_a_team_turns_its_ai_summary_off_and_on_again(bot, people):
    bot.command(ONE_LINE, user_id="U0ANA")
    assert team_row(bot).llm_enabled is True  # the column's default
    _, reply = bot.command("configurar ia no", user_id="U0ANA")
    shown = render(reply.params)
    assert "Configuración actualizada" in shown
    assert "*Resumen con IA*\ndesactivado (resumen automático: los datos del equipo no salen del servidor)" in shown
    team = team_row(bot)  # a fresh session: the change was committed
    assert team.llm_enabled is False
    last = team_audit(bot, team)[-1]
    assert last.action == "alignment_team.updated" and last.actor == "U0ANA"
    assert (last.before["llm_enabled"], last.after["llm_enabled"]) == (True, False)

    _, reply = bot.command("setup ai on", user_id="U0ANA")
    # This server has no model configured (the test settings name none), so the line says so.
    assert "*Resumen con IA*\nactivado (este servidor no tiene un modelo configurado: se usa el resumen automático)" in render(reply.params)
    assert team_row(bot).llm_enabled is True
    last = team_audit(bot, team)[-1]
    assert (last.before["llm_enabled"], last.after["llm_enabled"]) == (False, True)

    _, reply = bot.command("configurar ia si", user_id="U0ANA")  # already on: nothing changes, nothing audited
    assert "Configuración actualizada" not in render(reply.params)
    assert len(team_audit(bot, team)) == 3


def test_a_bad_ai_switch_says_what_to_type_and_changes_nothing(bot, people):
    bot.command(ONE_LINE, user_id="U0ANA")
    _, reply = bot.command("configurar ia quizás", user_id="U0ANA")
    assert "Después de `ia` escribe `si` o `no`: `/alinea configurar ia si|no`" in reply.params["text"]
    assert team_row(bot).llm_enabled is True


def test_only_team_admins_switch_the_ai_summary(bot, people):
    bot.command(ONE_LINE, user_id="U0ANA")
    _, reply = bot.command("configurar ia no", user_id="U0PEDRO")
    assert "Solo los administradores del equipo" in reply.params["text"]
    team = team_row(bot)
    assert team.llm_enabled is True
    assert [entry.action for entry in team_audit(bot, team)] == ["alignment_team.created"]


def test_with_a_model_on_the_server_the_summary_line_just_says_on_or_off(settings, double, people):
    with LoopbackBot(replace(settings, llm_model="local-model", openai_api_key="placeholder"), double=double) as bot:
        bot.command("setup marketing <@U0ANA> sales <@U0LUIS> lang en", user_id="U0TOM")
        _, reply = bot.command("setup show", user_id="U0TOM")
        shown = render(reply.params)
        assert "*AI summary*\non" in shown and "no model" not in shown
        _, reply = bot.command("setup llm off", user_id="U0TOM")
        assert "*AI summary*\noff (automatic summary: the team's data never leaves the server)" in render(reply.params)
        assert team_row(bot).llm_enabled is False


def test_only_admins_or_slack_admins_change_setup(bot, people):
    bot.command(ONE_LINE, user_id="U0ANA")
    _, reply = bot.command("configurar zona America/Lima", user_id="U0PEDRO")
    assert "Solo los administradores del equipo" in reply.params["text"]
    assert team_row(bot).timezone == "America/Bogota"
    _, reply = bot.command("configurar zona America/Lima", user_id="U0BOSS")  # a Slack workspace admin
    assert "Setup updated" in render(reply.params) or "Configuración actualizada" in render(reply.params)
    assert team_row(bot).timezone == "America/Lima"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("configurar mercadeo", "Después de `mercadeo` menciona a una o más personas"),
        ("configurar zona Marte/Base", "No conozco la zona horaria `Marte/Base`"),
        ("configurar idioma klingon", "No puedo usar el idioma `klingon`"),
        ("configurar semanal lunes 25:00", "No entiendo la hora `25:00`"),
        ("configurar &lt;!channel&gt;", "No entiendo `&lt;!channel&gt;`"),
    ],
)
def test_bad_one_line_setup_explains_and_writes_nothing(bot, people, text, expected):
    _, reply = bot.command(text, user_id="U0ANA")
    assert expected in reply.params["text"]
    assert "<!channel>" not in json.dumps(reply.params)
    assert team_row(bot) is None


def test_setup_needs_a_channel_not_a_direct_message(bot, people):
    _, reply = bot.command(ONE_LINE, user_id="U0ANA", channel_id="D0DIRECT")
    assert "no en un mensaje directo" in reply.params["text"]


def test_a_channel_alinea_is_not_in_gets_an_invite_hint(bot, people):
    _, reply = bot.command(ONE_LINE, user_id="U0ANA", channel_id="C0NOTJOINED")
    assert "invítalo con `/invite @Alinea`" in render(reply.params)
    assert team_row(bot, "C0NOTJOINED") is not None  # the setup itself is saved


def modal_values(**overrides):
    def users(*ids):
        return {setup_blocks.VALUE: {"type": "multi_users_select", "selected_users": list(ids)}}

    def option(value):
        return {setup_blocks.VALUE: {"type": "static_select", "selected_option": {"value": value}}}

    def picked(value):
        return {setup_blocks.VALUE: {"type": "timepicker", "selected_time": value}}

    values = {
        setup_blocks.CHANNEL: {setup_blocks.VALUE: {"type": "conversations_select", "selected_conversation": "C0TEAM"}},
        setup_blocks.NAME: {setup_blocks.VALUE: {"type": "plain_text_input", "value": "Tienda Norte"}},
        setup_blocks.MARKETING: users("U0ANA"), setup_blocks.SALES: users("U0LUIS"), setup_blocks.ADMINS: users("U0ANA"),
        setup_blocks.TIMEZONE: option("America/Lima"), setup_blocks.LANGUAGE: option("es"), setup_blocks.COUNTRY: option("PE"),
        setup_blocks.WEEKLY_DAY: option("2"), setup_blocks.WEEKLY_TIME: picked("10:30"),
        setup_blocks.MONTHLY_NTH: option("-1"), setup_blocks.MONTHLY_DAY: option("4"), setup_blocks.MONTHLY_TIME: picked("16:00"),
    }
    values.update(overrides)
    return values


def test_the_modal_opens_prefilled_and_its_submission_sets_the_team_up(bot, people):
    result, _ = None, None
    result = bot.driver.slash_command("configurar", user_id="U0ANA")
    assert result.status == 200
    (opened,) = bot.double.wait_for("views.open")
    assert opened.ok, opened.response  # the double validated the modal like Slack
    assert opened.params["trigger_id"] == result.trigger_id
    view = opened.params["view"]
    assert view["callback_id"] == setup_blocks.VIEW
    metadata = view["private_metadata"]

    submitted = bot.driver.view_submission(setup_blocks.VIEW, modal_values(), private_metadata=metadata, user_id="U0ANA")
    assert submitted.status == 200 and not submitted.body  # the modal closes
    bot.double.wait_for("chat.postEphemeral")
    team = team_row(bot)
    assert (team.name, team.timezone, team.country, team.weekly_meeting_weekday) == ("Tienda Norte", "America/Lima", "PE", 2)
    assert (team.monthly_meeting_nth, team.monthly_meeting_weekday, str(team.monthly_meeting_time)) == (-1, 4, "16:00:00")
    assert team.llm_enabled is True  # the radio buttons left unanswered keep the default


def test_the_modal_switches_the_ai_summary(bot, people):
    bot.command(ONE_LINE, user_id="U0ANA")
    bot.driver.slash_command("configurar", user_id="U0ANA")
    (opened,) = bot.double.wait_for("views.open")
    assert opened.ok, opened.response
    view = opened.params["view"]
    (radio,) = [block for block in view["blocks"] if block["block_id"] == setup_blocks.LLM]
    assert radio["element"]["type"] == "radio_buttons"
    assert radio["element"]["initial_option"]["value"] == setup_blocks.LLM_ON

    off = {setup_blocks.VALUE: {"type": "radio_buttons", "selected_option": {"value": setup_blocks.LLM_OFF}}}
    values = modal_values(**{setup_blocks.LLM: off})
    submitted = bot.driver.view_submission(setup_blocks.VIEW, values, private_metadata=view["private_metadata"], user_id="U0ANA")
    assert submitted.status == 200 and not submitted.body
    (posted,) = bot.double.wait_for("chat.postEphemeral")
    assert "*Resumen con IA*\ndesactivado" in render(posted.params)
    team = team_row(bot)
    assert team.llm_enabled is False
    assert team_audit(bot, team)[-1].after["llm_enabled"] is False


def test_an_incomplete_modal_shows_errors_beside_the_fields(bot, people):
    empty = {setup_blocks.VALUE: {"type": "multi_users_select", "selected_users": []}}
    metadata = json.dumps({"channel_id": "C0TEAM", "locale": "en"})
    result = bot.driver.view_submission(setup_blocks.VIEW, modal_values(**{setup_blocks.SALES: empty}), private_metadata=metadata)
    assert result.status == 200
    assert result.json() == {"response_action": "errors", "errors": {setup_blocks.SALES: "Choose at least one sales lead."}}
    assert team_row(bot) is None
