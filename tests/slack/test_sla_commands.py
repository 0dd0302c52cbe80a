"""SLA commitments through Slack: `/alinea sla nuevo|new` (one line and the form), the proposal's
Accept button and `/alinea sla aceptar`, the list with this period's state and attainment, the
templates with their prefilled form. Signed requests into the real endpoint; Slack played by
the double. SQLite throughout; the two-sided acceptance also on PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest

from bot.blocks import Reply
from bot.blocks.sla import (
    ACCEPT,
    ACK_WINDOW,
    COMPARATOR,
    KPI,
    NEW_VIEW,
    PERIOD,
    PROPOSE_TEMPLATE,
    RESPONSIBLE,
    SIDE,
    STARTS_ON,
    TARGET,
    TERM,
    VALUE,
)
from bot.loopback import LoopbackBot
from bot.slack_double import Call, slack_escape
from bot.transcript import render
from db import repositories
from db.models import SlaStatus
from domain.kpis import KpiSpec
from domain.periods import Period
from domain.sla import parse_commitment
from domain.sla_templates import SLA_TEMPLATES
from services import breach_evaluation, kpis, sla
from tests.support.channel_team import act, load_team, set_up_team
from tests.support.clock import Clock

BOGOTA = ZoneInfo("America/Bogota")
ANA, LUIS, MARTA, CARO, PEDRO = "U0ANA", "U0LUIS", "U0MARTA", "U0CARO", "U0PEDRO"  # mkt lead, sales leads, admin, nobody
CHANNEL = "C0TEAM"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BOTH_LANGUAGES = pytest.mark.parametrize("team", ["es", "en"], indirect=True)


def local(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BOGOTA)


NOW = local(3, 10)  # Tuesday of ISO week 11 of 2026


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def bot(settings, double, clock, transport) -> Iterator[LoopbackBot]:
    for user_id in (LUIS, MARTA, CARO, PEDRO):
        double.add_user(user_id, name=user_id[3:].lower())
    with LoopbackBot(settings, double=double, clock=clock, transport=transport) as bot:
        yield bot


pytestmark = pytest.mark.team(now=NOW, sales=(LUIS, MARTA), admins=(CARO,), starter_kpis=True)


@pytest.fixture
def bare_team(bot) -> str:
    """A team whose KPI catalog is still empty."""
    set_up_team(bot, now=NOW, sales=(LUIS, MARTA), admins=(CARO,))
    return "es"


# Helpers -------------------------------------------------------------------------------------------


def rows(bot: LoopbackBot, now: datetime = NOW) -> list[sla.CommitmentRow]:
    with bot.runtime.session_factory() as session:
        return sla.listing(session, team=load_team(session, bot), now=now)


def stored_version(bot: LoopbackBot, version_id: int) -> sla.SlaVersionView:
    with bot.runtime.session_factory() as session:
        return sla.version(session, team=load_team(session, bot), version_id=version_id)


def audit_actions(bot: LoopbackBot) -> list[str]:
    with bot.runtime.session_factory() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        return [e.action for e in repositories.audit_entries(session, workspace_id=workspace.id, entity_type="sla_version")]


def command(bot: LoopbackBot, text: str, user_id: str = ANA) -> Call:
    """`/alinea <text>` as Slack sends it: `<`, `>` and `&` typed by the person arrive as entities."""
    _, reply = bot.command(slack_escape(text), user_id=user_id, channel_id=CHANNEL)
    assert reply.ok, reply.response
    return reply


def top_level(bot: LoopbackBot) -> list[dict[str, Any]]:
    return [m for m in bot.double.messages(CHANNEL) if m.get("thread_ts") in (None, m["ts"])]


def thread(bot: LoopbackBot, ts: str) -> list[dict[str, Any]]:
    return [m for m in bot.double.messages(CHANNEL) if m.get("thread_ts") == ts and m["ts"] != ts]


def claim(message: dict[str, Any]) -> str:
    return message["metadata"]["event_payload"]["claim"]


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    found = [element for block in message["blocks"] if block["type"] == "actions" for element in block["elements"]]
    return found + [block["accessory"] for block in message["blocks"] if "accessory" in block]


def title(message: dict[str, Any]) -> str:
    return message["blocks"][0]["text"]["text"]


def proposal_of(bot: LoopbackBot, version_id: int) -> dict[str, Any]:
    return next(m for m in top_level(bot) if claim(m) == f"sla-version-{version_id}")


def latest_proposal(bot: LoopbackBot) -> tuple[dict[str, Any], int]:
    message = top_level(bot)[-1]
    return message, int(claim(message).rsplit("-", 1)[1])


def accept(bot: LoopbackBot, version_id: int, user_id: str) -> Call:
    message = proposal_of(bot, version_id)
    result = bot.driver.block_action(ACCEPT, value=str(version_id), user_id=user_id, channel_id=CHANNEL, message={"ts": message["ts"]})
    assert result.status == 200
    reply = bot.double.wait_for_response(result.response_url)[0]
    assert reply.ok and reply.params["response_type"] == "ephemeral", reply.response
    return reply


def selected(value: str) -> dict[str, Any]:
    return {VALUE: {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}}


def typed(value: str) -> dict[str, Any]:
    return {VALUE: {"type": "plain_text_input", "value": value}}


def form(side="sales", kpi="followup_hours", comparator="<=", target="24 h", period="week", responsible=None,
         starts_on="2026-03-16", ack="24", term="") -> dict[str, Any]:
    values = {TARGET: typed(target), ACK_WINDOW: typed(ack), TERM: typed(term)}
    for block, value in ((SIDE, side), (KPI, kpi), (COMPARATOR, comparator), (PERIOD, period)):
        values[block] = selected(value) if value else {VALUE: {"type": "static_select", "selected_option": None}}
    values[RESPONSIBLE] = {VALUE: {"type": "users_select", "selected_user": responsible}}
    values[STARTS_ON] = {VALUE: {"type": "datepicker", "selected_date": starts_on}}
    return values


def open_form(bot: LoopbackBot, text: str = "sla nuevo", user_id: str = ANA) -> dict[str, Any]:
    result = bot.driver.slash_command(text, user_id=user_id, channel_id=CHANNEL)
    opened = bot.double.wait_for("views.open")[-1]
    assert opened.ok and opened.params["trigger_id"] == result.trigger_id, opened.response
    return opened.params["view"]


def input_blocks(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block["element"] for block in view["blocks"] if block["type"] == "input"}


def active(bot: LoopbackBot, line: str, proposer: str, accepter: str, now: datetime = NOW) -> sla.SlaVersionView:
    """A commitment in force, made through the services (fixtures do not go through Slack)."""
    proposal = act(bot, sla.propose, actor=proposer, terms=parse_commitment(line), now=now)
    outcome = act(bot, sla.accept, version_id=proposal.version.id, actor=accepter, now=now)
    assert outcome.active
    return outcome.version


def log(bot: LoopbackBot, key: str, value: str, day: date, now: datetime) -> None:
    act(bot, kpis.record, key=key, value=Decimal(value), shown=value, period=Period.day(day), source="slack",
        actor=LUIS, note="", now=now)


# Proposing in one line -----------------------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.both_transports
def test_a_one_line_commitment_in_spanish_is_posted_with_its_accept_button(bot, team):
    reply = command(bot, "sla nuevo ventas followup_hours <= 24 semanal", user_id=LUIS)

    message, version_id = latest_proposal(bot)
    assert claim(message) == f"sla-version-{version_id}"
    assert title(message) == "Propuesta de compromiso SLA1 (versión 1)"
    shown = render(message)
    assert "*Ventas* se compromete a: *Tiempo de seguimiento a leads* (`followup_hours`) ≤ 24\u00a0h, semanal" in shown
    assert "Responsable*\n<@U0LUIS>" in shown and "24 horas laborales" in shown and "10 de marzo de 2026" in shown
    assert "Aceptada por <@U0LUIS> (Ventas)." in shown  # proposing counts as the proposer's acceptance
    assert "Falta la aceptación de Mercadeo (<@U0ANA>)." in shown
    [accept_button] = buttons(message)
    assert (accept_button["action_id"], accept_button["style"], accept_button["value"]) == (ACCEPT, "primary", str(version_id))
    assert accept_button["text"]["text"] == "Aceptar"

    text = render(reply.params)
    assert reply.params["response_type"] == "ephemeral"
    assert "Publiqué la propuesta de *SLA1* (versión 1) en <#C0TEAM>." in text
    assert f"https://alinea-double.slack.com/archives/C0TEAM/p{message['ts'].replace('.', '')}" in text
    assert "Falta la aceptación de Mercadeo (<@U0ANA>)." in text
    version = stored_version(bot, version_id)
    assert version.status is SlaStatus.PENDING and (version.channel_id, version.message_ts) == (CHANNEL, message["ts"])
    assert version.terms.target == Decimal(24) and version.terms.comparator.value == "<=" and version.starts_on == date(2026, 3, 10)
    assert audit_actions(bot) == ["sla_version.proposed", "sla_version.accepted"]


@SQLITE_ONLY
@pytest.mark.parametrize("team", ["en"], indirect=True)
def test_a_one_line_commitment_in_english_with_responsible_and_start_day(bot, team):
    reply = command(bot, "sla new marketing revenue_marketing >= 45 million COP monthly responsible <@U0ANA|ana> from 2026-04-01")

    message, version_id = latest_proposal(bot)
    assert title(message) == "Proposed commitment SLA1 (version 1)"
    shown = render(message)
    assert "*Marketing* commits to: *Marketing-attributed revenue* (`revenue_marketing`) ≥ $45.000.000, monthly" in shown
    assert "April 1, 2026" in shown and "24 working hours" in shown
    assert "Still needs acceptance from Sales (<@U0LUIS>, <@U0MARTA>)." in shown
    assert buttons(message)[0]["text"]["text"] == "Accept"
    assert "I posted the proposal for *SLA1* (version 1) in <#C0TEAM>." in render(reply.params)
    version = stored_version(bot, version_id)
    assert (version.responsible, version.starts_on, version.terms.target) == (ANA, date(2026, 4, 1), Decimal(45_000_000))


@SQLITE_ONLY
def test_the_comparator_arrives_as_slacks_entities_and_is_read_as_typed(bot, team):
    _, reply = bot.command("sla nuevo ventas followup_hours &lt;=24 semanal ack 8 h", user_id=LUIS, channel_id=CHANNEL)
    assert "Publiqué la propuesta de *SLA1*" in reply.params["text"]
    (row,) = rows(bot)
    assert row.pending.terms.comparator.value == "<=" and row.pending.terms.ack_window_hours == 8


@SQLITE_ONLY
@pytest.mark.parametrize(
    "text, expected",
    [
        ("sla nuevo ventas followups <= 24 semanal", "No hay un KPI `followups` en este equipo. ¿Quisiste decir `followup_hours`?"),
        ("sla nuevo ventas followup_hours >= 24 semanal", "Usa `&lt;=`, por ejemplo: `/alinea sla nuevo ventas followup_hours &lt;= 24 semanal`"),
        ("sla nuevo mercadeo leads_mql <= 100 semanal", "Usa `&gt;=`"),
        ("sla nuevo ventas followup_hours <= 24", "Agrega `semanal` o `mensual`"),
        ("sla nuevo ventas followup_hours <= 24 semanal responsable luis", "menciona al líder responsable"),
        ("sla nuevo ventas followup_hours <= 24 semanal desde mañana", "Escríbela como año-mes-día"),
        ("sla nuevo ventas followup_hours <= 24 semanal responsable <@U0ANA|ana>", "<@U0ANA> no es líder de ventas"),
    ],
)
def test_nonsense_is_answered_privately_with_what_to_type_and_nothing_is_stored(bot, team, text, expected):
    reply = command(bot, text, user_id=LUIS)
    assert reply.params["response_type"] == "ephemeral"
    assert expected in reply.params["text"]
    assert top_level(bot) == [] and rows(bot) == [] and audit_actions(bot) == []


@SQLITE_ONLY
def test_an_unknown_word_suggests_the_closest_and_lists_the_rest(bot, team):
    reply = command(bot, "sla lsta")
    assert "No conozco `sla lsta`. ¿Quisiste decir `/alinea sla lista`?" in reply.params["text"]
    assert "`plantillas`, `aceptar`, `incumplimientos` y `cerrar`" in reply.params["text"]
    reply = command(bot, "sla xyz")
    assert reply.params["text"].startswith("Di qué hacer con los compromisos de SLA")


@SQLITE_ONLY
def test_a_new_proposal_withdraws_the_pending_one_and_its_accept_is_refused(bot, team):
    command(bot, "sla nuevo ventas followup_hours <= 24 semanal", user_id=LUIS)
    _, first = latest_proposal(bot)
    reply = command(bot, "sla nuevo ventas followup_hours <= 12 semanal", user_id=LUIS)
    _, second = latest_proposal(bot)
    assert "Reemplaza la propuesta que estaba pendiente (versión 1), que quedó retirada." in render(reply.params)
    withdrawn = proposal_of(bot, first)
    assert title(withdrawn) == "SLA1 (versión 1): retirada" and buttons(withdrawn) == []
    assert "La retiró la versión 2, propuesta después." in render(withdrawn)

    updates = len(bot.double.calls_to("chat.update"))
    reply = accept(bot, first, ANA)
    assert "SLA1 versión 1 ya fue reemplazada" in reply.params["text"]
    assert len(bot.double.calls_to("chat.update")) == updates
    (row,) = rows(bot)
    assert row.pending.id == second and row.in_force is None


@SQLITE_ONLY
def test_a_proposal_saved_but_not_posted_is_posted_when_the_person_tries_again(bot, team):
    bot.double.fail_next("chat.postMessage", status=403)
    reply = command(bot, "sla nuevo ventas followup_hours <= 24 semanal", user_id=LUIS)
    assert "Algo falló" in reply.params["text"]
    assert top_level(bot) == [] and rows(bot)[0].pending.message_ts is None

    reply = command(bot, "sla nuevo ventas followup_hours <= 24 semanal", user_id=LUIS)
    assert "Publiqué la propuesta de *SLA1* (versión 1)" in reply.params["text"]
    [message] = top_level(bot)
    assert rows(bot)[0].pending.message_ts == message["ts"]
    reply = command(bot, "sla nuevo ventas followup_hours <= 24 semanal", user_id=LUIS)  # posted now: a true duplicate
    assert "SLA1 ya tiene esa misma propuesta (versión 1)" in reply.params["text"]
    assert len(top_level(bot)) == 1


# Accepting --------------------------------------------------------------------------------------------


@BOTH_LANGUAGES
@pytest.mark.both_transports
def test_a_lead_of_each_side_makes_it_active_and_a_new_version_replaces_it(bot, team):
    """On SQLite and PostgreSQL: the same side twice is not agreement; the other side is."""
    es = team == "es"
    command(bot, f"sla {'nuevo ventas' if es else 'new sales'} followup_hours <= 24 {'semanal' if es else 'weekly'}", user_id=LUIS)
    message, version_id = latest_proposal(bot)

    same_side = accept(bot, version_id, MARTA)  # a second sales lead: still waiting for marketing
    expected = "Aceptaste *SLA1* (versión 1). Falta la aceptación de Mercadeo (<@U0ANA>)." if es else \
        "You accepted *SLA1* (version 1). Still needs acceptance from Marketing (<@U0ANA>)."
    assert same_side.params["text"] == expected
    assert stored_version(bot, version_id).status is SlaStatus.PENDING
    redrawn = proposal_of(bot, version_id)
    assert "<@U0MARTA> (Ventas)" in render(redrawn) if es else "<@U0MARTA> (Sales)" in render(redrawn)
    assert len(buttons(redrawn)) == 1 and thread(bot, message["ts"]) == []

    other_side = accept(bot, version_id, ANA)
    assert ("Ya está en vigor" if es else "It's now in force") in other_side.params["text"]
    updated = proposal_of(bot, version_id)
    assert title(updated) == ("Compromiso SLA1 en vigor (versión 1)" if es else "Commitment SLA1 in force (version 1)")
    assert buttons(updated) == []
    assert ("En vigor desde el 10 de marzo de 2026" if es else "In force since March 10, 2026") in render(updated)
    [announcement] = thread(bot, message["ts"])
    assert claim(announcement) == f"sla-active-{version_id}"
    assert announcement["text"].startswith("*SLA1* ya está en vigor (versión 1)" if es else "*SLA1* is now in force (version 1)")
    assert stored_version(bot, version_id).status is SlaStatus.ACTIVE

    # A change waits for both sides while version 1 keeps counting; accepted by command, it replaces it.
    reply = command(bot, f"sla {'nuevo ventas' if es else 'new sales'} followup_hours <= 12 {'semanal' if es else 'weekly'}", user_id=ANA)
    _, second = latest_proposal(bot)
    assert ("Reemplaza la versión 1, que sigue en vigor" if es else "Replaces version 1, which stays in force") in render(reply.params)
    assert "≤ 24\u00a0h" in render(proposal_of(bot, second))
    command(bot, f"sla {'aceptar' if es else 'accept'} sla1", user_id=LUIS)
    replaced = proposal_of(bot, version_id)
    assert title(replaced) == ("SLA1 (versión 1): reemplazada" if es else "SLA1 (version 1): replaced")
    assert ("La reemplazó la versión 2." if es else "Replaced by version 2.") in render(replaced)
    assert title(proposal_of(bot, second)).startswith("Compromiso SLA1 en vigor" if es else "Commitment SLA1 in force")
    (row,) = rows(bot)
    assert row.in_force.id == second and row.in_force.terms.target == Decimal(12) and row.pending is None
    assert audit_actions(bot).count("sla_version.active") == 2


@SQLITE_ONLY
@pytest.mark.parametrize("outsider", [PEDRO, CARO])
def test_only_leads_accept_and_a_refusal_changes_nothing(bot, team, outsider):
    command(bot, "sla nuevo ventas followup_hours <= 24 semanal", user_id=LUIS)
    message, version_id = latest_proposal(bot)
    reply = accept(bot, version_id, outsider)
    assert reply.params["text"].startswith("Solo un líder de mercadeo o de ventas acepta compromisos de SLA")
    assert bot.double.calls_to("chat.update") == [] and proposal_of(bot, version_id) == message
    assert len(stored_version(bot, version_id).acceptances) == 1


@SQLITE_ONLY
def test_accepting_twice_or_with_nothing_pending_is_refused(bot, team):
    command(bot, "sla nuevo ventas followup_hours <= 24 semanal", user_id=LUIS)
    _, version_id = latest_proposal(bot)
    assert "Ya aceptaste SLA1 versión 1" in accept(bot, version_id, LUIS).params["text"]
    command(bot, "sla aceptar SLA1", user_id=ANA)
    assert "SLA1 no tiene ninguna versión esperando aceptación" in command(bot, "sla aceptar SLA1", user_id=MARTA).params["text"]
    assert "No hay un compromiso `SLA9`" in command(bot, "sla aceptar SLA9", user_id=MARTA).params["text"]
    assert "/alinea sla aceptar SLA1" in command(bot, "sla aceptar", user_id=MARTA).params["text"]


# The form -------------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_new_without_text_opens_the_form_with_every_field(bot, team):
    view = open_form(bot)
    assert view["callback_id"] == NEW_VIEW
    elements = input_blocks(view)
    assert list(elements) == [SIDE, KPI, COMPARATOR, TARGET, PERIOD, RESPONSIBLE, STARTS_ON, ACK_WINDOW, TERM]
    kpi_options = {option["value"]: option["text"]["text"] for option in elements[KPI]["options"]}
    assert kpi_options["followup_hours"] == "Tiempo de seguimiento a leads (followup_hours)"
    assert elements[RESPONSIBLE]["type"] == "users_select" and elements[STARTS_ON]["initial_date"] == "2026-03-10"
    assert elements[ACK_WINDOW]["initial_value"] == "24" and elements[COMPARATOR]["initial_option"]["value"] == ">="
    assert json.loads(view["private_metadata"]) == {"channel_id": CHANNEL, "locale": "es", "country": "CO", "currencies": {}}


@SQLITE_ONLY
@pytest.mark.both_transports
def test_form_mistakes_are_shown_beside_their_fields_and_nothing_is_stored(bot, team):
    metadata = json.dumps({"channel_id": CHANNEL, "locale": "es", "country": "CO", "currencies": {}})
    answer = bot.driver.view_submission(NEW_VIEW, form(side=None, target="mucho", ack="0"), private_metadata=metadata).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {SIDE, TARGET, ACK_WINDOW}
    assert answer["errors"][SIDE] == "Elige una opción."
    assert answer["errors"][ACK_WINDOW] == "Escribe un número entero de horas entre 1 y 240."
    extra = bot.driver.view_submission(NEW_VIEW, form(target="24 h a la semana"), private_metadata=metadata).json()
    assert list(extra["errors"]) == [TARGET] and "Sobra «a la semana»" in extra["errors"][TARGET]
    assert top_level(bot) == [] and rows(bot) == []


@SQLITE_ONLY
@pytest.mark.both_transports
def test_a_valid_form_proposes_with_the_chosen_lead_day_and_window(bot, team):
    view = open_form(bot, user_id=LUIS)
    submitted = bot.driver.view_submission(
        NEW_VIEW, form(responsible=MARTA, starts_on="2026-03-16", ack="16", target="24 h"),
        private_metadata=view["private_metadata"], user_id=LUIS,
    )
    assert submitted.status == 200 and not submitted.body
    ephemeral = bot.double.wait_for("chat.postEphemeral")[-1]
    assert (ephemeral.params["channel"], ephemeral.params["user"]) == (CHANNEL, LUIS)
    assert "Publiqué la propuesta de *SLA1* (versión 1)" in ephemeral.params["text"]
    message, version_id = latest_proposal(bot)
    shown = render(message)
    assert "Responsable*\n<@U0MARTA>" in shown and "16 horas laborales" in shown and "16 de marzo de 2026" in shown
    version = stored_version(bot, version_id)
    assert (version.responsible, version.starts_on, version.terms.ack_window_hours) == (MARTA, date(2026, 3, 16), 16)


@SQLITE_ONLY
def test_a_form_the_service_refuses_is_answered_privately_after_the_ack(bot, team):
    view = open_form(bot)
    submitted = bot.driver.view_submission(NEW_VIEW, form(comparator=">="), private_metadata=view["private_metadata"])
    assert submitted.status == 200 and not submitted.body  # pure checks passed: the modal closes
    ephemeral = bot.double.wait_for("chat.postEphemeral")[-1]
    assert "Usa `&lt;=`" in ephemeral.params["text"]
    assert top_level(bot) == [] and rows(bot) == []


@SQLITE_ONLY
def test_the_form_is_refused_to_outsiders_and_explained_without_kpis(bot, bare_team):
    reply = command(bot, "sla nuevo")
    assert "Este equipo aún no tiene KPIs" in reply.params["text"] and "/alinea kpi plantillas" in reply.params["text"]
    reply = command(bot, "sla nuevo", user_id=PEDRO)
    assert reply.params["text"].startswith("Solo los líderes y administradores del equipo proponen compromisos de SLA")
    assert bot.double.calls_to("views.open") == []


# Templates -------------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_templates_show_their_one_line_command_and_open_the_form_prefilled(bot, team):
    reply = command(bot, "sla plantillas")
    shown = render(reply.params)
    for line in (
        "`/alinea sla nuevo mercadeo leads_mql >= 120 semanal`",
        "`/alinea sla nuevo mercadeo revenue_marketing >= 45 millones COP mensual`",
        "`/alinea sla nuevo mercadeo avg_deal >= 250.000 COP mensual`",
        "`/alinea sla nuevo mercadeo lead_to_customer >= 3 % mensual`",
        "`/alinea sla nuevo ventas followup_hours <= 24 h semanal`",
        "`/alinea sla nuevo ventas contact_attempts >= 3 semanal`",
        "`/alinea sla nuevo ventas lead_to_customer >= 3 % mensual`",
    ):
        assert line in shown
    proposes = buttons(reply.params)
    assert [b["value"] for b in proposes] == [template.id for template in SLA_TEMPLATES]
    assert {b["action_id"] for b in proposes} == {PROPOSE_TEMPLATE} and "/alinea kpi plantillas" not in shown

    result = bot.driver.block_action(PROPOSE_TEMPLATE, value="followup_speed", user_id=LUIS, channel_id=CHANNEL, trigger_id="1.2.abc")
    assert result.status == 200
    view = bot.double.wait_for("views.open")[-1].params["view"]
    elements = input_blocks(view)
    initial = {block: elements[block]["initial_option"]["value"] for block in (SIDE, KPI, COMPARATOR, PERIOD)}
    assert initial == {SIDE: "sales", KPI: "followup_hours", COMPARATOR: "<=", PERIOD: "week"}
    assert elements[TARGET]["initial_value"] == "24 h"

    bot.driver.view_submission(NEW_VIEW, form(target=elements[TARGET]["initial_value"]),
                               private_metadata=view["private_metadata"], user_id=LUIS)
    bot.double.wait_for("chat.postEphemeral")
    (row,) = rows(bot)
    assert (row.pending.terms.kpi_key, row.pending.terms.target, row.pending.terms.period_kind) == ("followup_hours", Decimal(24), "week")


@SQLITE_ONLY
@pytest.mark.parametrize("team", ["en"], indirect=True)
def test_templates_in_english_copy_as_english_commands_that_work(bot, team):
    shown = render(command(bot, "sla templates").params)
    assert "`/alinea sla new marketing revenue_marketing >= 45 million COP monthly`" in shown
    command(bot, "sla new marketing lead_to_customer >= 3% monthly")
    (row,) = rows(bot)
    assert row.pending.terms.target == Decimal(3)


@SQLITE_ONLY
def test_templates_whose_kpi_is_missing_say_how_to_enable_it(bot, bare_team):
    with bot.runtime.session_factory.begin() as session:
        kpis.create(session, team=load_team(session, bot), actor=ANA, now=NOW, language="es",
                    spec=KpiSpec(key="followup_hours", name_es="Seguimiento", name_en="Follow-up", unit="hours", direction="lower", aggregation="average", side="sales"))
    reply = command(bot, "sla plantillas")
    shown = render(reply.params)
    assert "El KPI `leads_mql` no está en el catálogo del equipo: actívalo con `/alinea kpi plantillas`." in shown
    assert [b["value"] for b in buttons(reply.params)] == ["followup_speed"]


# The list --------------------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_an_empty_list_invites_the_first_commitment(bot, team):
    reply = command(bot, "sla")
    assert "Todavía no hay compromisos de SLA en este equipo" in reply.params["text"]
    assert "/alinea sla nuevo ventas followup_hours <= 24 semanal" in reply.params["text"] and "/alinea sla plantillas" in reply.params["text"]


@SQLITE_ONLY
def test_the_list_shows_terms_status_this_period_and_attainment(bot, team, clock):
    active(bot, "ventas followup_hours <= 24 semanal", LUIS, ANA)
    active(bot, "mercadeo leads_mql >= 120 semanal", ANA, LUIS)
    active(bot, "mercadeo revenue_marketing >= 45 millones COP mensual", ANA, MARTA)
    act(bot, sla.propose, actor=ANA, terms=parse_commitment("mercadeo lead_to_customer >= 3,5 % mensual"), now=NOW)
    # Follow-up hours: week 11 met (20 h), week 12 breached (30 h), week 13 without data; week 14 so far 10 h.
    log(bot, "followup_hours", "20", date(2026, 3, 10), NOW)
    log(bot, "followup_hours", "30", date(2026, 3, 17), local(3, 17))
    thursday = local(4, 2, 12)
    log(bot, "followup_hours", "10", date(2026, 3, 30), thursday)
    log(bot, "leads_mql", "10", date(2026, 3, 30), thursday)  # 10 of 120 by Thursday: at risk
    act(bot, breach_evaluation.evaluate, now=thursday)
    clock.now = thursday

    reply = command(bot, "sla lista")
    sections = [block["text"]["text"] for block in reply.params["blocks"] if block["type"] == "section"]
    assert title(reply.params) == "Compromisos de SLA (4)"
    followup, leads, revenue, conversion = sections
    assert followup.startswith("*SLA1* · Ventas · *Tiempo de seguimiento a leads* (`followup_hours`) ≤ 24\u00a0h, semanal")
    assert "Responsable: <@U0LUIS>" in followup and "En vigor (versión 1)." in followup
    assert "Esta semana: en camino, 10\u00a0h hasta ahora" in followup
    assert "Últimos periodos: cumplió 1 de 3 ✅❌⬜" in followup
    assert "Esta semana: ⚠️ en riesgo, 10 hasta ahora" in leads and "Últimos periodos: cumplió 0 de 3 ⬜⬜⬜" in leads
    assert "≥ $45.000.000, mensual" in revenue and "Este mes: sin datos todavía" in revenue
    assert "Últimos periodos: cumplió 0 de 1 ⬜" in revenue
    assert "≥ 3,5\u00a0%, mensual" in conversion
    assert "Esperando aceptación (versión 1). Falta la aceptación de Ventas (<@U0LUIS>, <@U0MARTA>)." in conversion
    assert "Esta semana" not in conversion and "Últimos periodos" not in conversion


@SQLITE_ONLY
def test_a_pending_change_shows_beside_the_version_in_force(bot, team):
    active(bot, "ventas followup_hours <= 24 semanal", LUIS, ANA)
    command(bot, "sla nuevo ventas followup_hours <= 12 semanal", user_id=ANA)
    shown = render(command(bot, "sla").params)
    assert "En vigor (versión 1)." in shown
    assert "Cambio propuesto (versión 2): *Tiempo de seguimiento a leads* (`followup_hours`) ≤ 12\u00a0h, semanal." in shown
    assert "Falta la aceptación de Ventas (<@U0LUIS>, <@U0MARTA>)." in shown
    assert "Aún no ha cerrado ningún periodo." in shown


@SQLITE_ONLY
def test_a_long_list_stays_within_slacks_limits(bot, team):
    with bot.runtime.session_factory.begin() as session:
        team_row = load_team(session, bot)
        for number in range(60):
            spec = KpiSpec(key=f"kpi_{number:02d}", name_es=f"Indicador {number} " + "x" * 40, name_en="x", side="sales")
            kpis.create(session, team=team_row, spec=spec, actor=ANA, now=NOW, language="es")
            sla.propose(session, team=team_row, actor=LUIS, terms=parse_commitment(f"ventas kpi_{number:02d} >= 5 semanal"), now=NOW)
    reply = command(bot, "sla")  # the double answers invalid_blocks past 50 blocks or 3,000 characters
    assert len(reply.params["blocks"]) <= 50
    assert "… y 13 compromisos más." in render(reply.params)


# Safety and delegation ------------------------------------------------------------------------------


@SQLITE_ONLY
def test_typed_names_are_escaped_and_never_mention_anyone(bot, team):
    with bot.runtime.session_factory.begin() as session:
        spec = KpiSpec(key="demos", name_es="Demos <!channel> & <@U0PEDRO>", name_en="x", side="sales")
        kpis.create(session, team=load_team(session, bot), spec=spec, actor=ANA, now=NOW, language="es")
    command(bot, "sla nuevo ventas demos >= 5 semanal", user_id=LUIS)
    _, version_id = latest_proposal(bot)
    accept(bot, version_id, ANA)
    command(bot, "sla")
    calls = bot.double.calls
    assert calls and all(call.ok for call in calls), [call.summary() for call in calls if not call.ok]
    for call in calls:
        payload = json.dumps(call.params, ensure_ascii=False)
        assert "<!channel>" not in payload and "<@U0PEDRO" not in payload, (call.method, payload)
    assert "Demos &lt;!channel&gt; &amp; &lt;@U0PEDRO&gt;" in render(proposal_of(bot, version_id))


@SQLITE_ONLY
def test_breaches_and_close_are_handed_to_the_breach_commands(bot, team, monkeypatch):
    from commands import sla_breach

    monkeypatch.setattr(sla_breach, "list_breaches", lambda request: Reply(f"breaches:{request.args}"))
    monkeypatch.setattr(sla_breach, "close", lambda request: Reply(f"close:{request.args}"))
    assert command(bot, "sla incumplimientos").params["text"] == "breaches:"
    assert command(bot, "sla cerrar B3 hubo paro nacional").params["text"] == "close:B3 hubo paro nacional"
    assert command(bot, "sla close B1 done").params["text"] == "close:B1 done"
