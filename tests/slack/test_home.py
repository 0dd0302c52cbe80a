"""The App Home through Slack: `app_home_opened` (signed, into the real endpoint) publishes the
person's Home with views.publish, in a view the double accepts (as strict as Slack); the
Acknowledge and Check in buttons pressed on it open their modals and work end to end, in the
team their block names; a refusal reaches the person in their DM (a Home has no response_url);
after each press, and after the form it opened is sent, the Home is published again showing what
changed; and a workspace's Home never shows another workspace's data. The week's KPIs also go as
one native table (never a chart: Slack takes none in a Home tab) beside the same numbers in text;
a Slack that refuses the table gets the Home again without it, once, and the refusal is
remembered for the workspace, so the next Home goes text only at once. SQLite throughout; the
publish, the table, its refusal and the busiest Home on PostgreSQL too."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest

from bot.blocks.home import channel_of_block
from bot.blocks.okr import CHECKIN_CONFIDENCE, CHECKIN_KR, CHECKIN_NOTE, CHECKIN_OPEN, CHECKIN_VALUE, CHECKIN_VIEW
from bot.blocks.okr import VALUE as OKR_VALUE
from bot.blocks.sla_breach import ACK_VIEW, ACKNOWLEDGE, NOTE, PLAN, PLAN_DUE, PLAN_OWNER, REASON, VALUE
from bot.jobs import run_job
from bot.loopback import LoopbackBot
from bot.scheduler import job_named
from bot.slack_double.validation import view_errors
from bot.transcript import render
from db import repositories
from db.models import OkrCheckIn, SlaBreach, Workspace
from domain.glossary import TermDraft
from domain.okr import Objective, ObjectiveKind
from domain.periods import Period
from domain.setup import SetupChanges
from domain.sla import parse_commitment
from services import breach_evaluation, glossary, kpis, native_blocks, okr, sla, teams, workspaces
from services.job_runs import Outcome
from services.teams import TeamDefaults
from tests.support.clock import Clock

BOGOTA = ZoneInfo("America/Bogota")
CHANNEL = "C0TEAM"
OTHER_WORKSPACE = "T0OTRO"
ANA, LUIS, MARTA, ROSA, PEDRO, TOM = "U0ANA", "U0LUIS", "U0MARTA", "U0ROSA", "U0PEDRO", "U0TOM"  # mkt lead, sales leads, admin, nobody, nobody (English)
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def local(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=BOGOTA)


@pytest.fixture
def clock():
    return Clock(local(3, 2, 8))


@pytest.fixture
def bot(settings, double, clock, transport) -> Iterator[LoopbackBot]:
    for user_id in (LUIS, MARTA, ROSA, PEDRO):
        double.add_user(user_id, name=user_id[3:].lower(), locale="es-LA")
    with LoopbackBot(settings, double=double, clock=clock, transport=transport) as bot:
        yield bot


def set_up(bot, clock, *, slack_team_id=None, channel_id=CHANNEL, name="alineacion", term=("MQL", "Lead que pidió <!channel> una cotización")):
    """A team (Ana marketing; Luis and Marta sales; Rosa admin), its SLA on follow-up hours, a KR
    owned by Luis and an agreed term, all through the services."""
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=slack_team_id or bot.double.team_id,
                                                defaults=bot.runtime.workspace_defaults, now=clock.now)  # fmt: skip
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel_id, channel_name=name, actor=ROSA, is_workspace_admin=True,
            changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS, MARTA), admins=(ROSA,)),
            defaults=TeamDefaults("America/Bogota", "es"), now=clock.now,
        )
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)
        kpis.enable_starter_set(session, team=team, actor=ANA, now=clock.now, language="es")
        kpis.set_roles(session, team=team, role="primary", keys=["sales_cop"], actor=ANA, now=clock.now)
        proposal = sla.propose(session, team=team, actor=LUIS, terms=parse_commitment("ventas followup_hours <= 24 semanal"), now=clock.now)
        assert sla.accept(session, team=team, version_id=proposal.version.id, actor=ANA, now=clock.now).active
        objective = okr.create_objective(session, team=team, actor=ANA, draft=Objective("Que vuelvan a comprar", ObjectiveKind.COMMITTED), now=clock.now)
        draft = okr.parse_key_result_line(session, team=team, text="clientes con recompra de 200 a 300 al 31/05/2026 dueño <@U0LUIS>",
                                          today=clock.now.date())  # fmt: skip
        okr.add_key_result(session, team=team, actor=ANA, objective_id=objective.id, draft=draft, now=clock.now)
        proposal = glossary.propose(session, team=team, actor=ANA, draft=TermDraft(*term), now=clock.now)
        assert glossary.approve(session, team=team, version_id=proposal.version.id, actor=LUIS, now=clock.now).agreed


def sales_recorded(bot, clock, channel_id=CHANNEL):
    """Sales for weeks 8 and 9 (the week before the clock's and the one before it), through the services."""
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)
        for day, value in ((date(2026, 2, 17), 40_000_000), (date(2026, 2, 24), 45_000_000)):
            kpis.record(session, team=team, key="sales_cop", value=Decimal(value), shown=str(value), period=Period.day(day),
                        source="slack", actor=ANA, note="", now=clock.now)  # fmt: skip


def breach_posted(bot, clock):
    """Week 10's follow-up misses the SLA: B1 is posted in the channel (the sla-evaluate job)."""
    clock.now = local(3, 3, 10)
    _, reply = bot.command("registrar followup_hours 30 para 3/3/2026", user_id=LUIS, channel_id=CHANNEL)
    assert reply.ok
    clock.now = local(3, 9, 0, 15)
    (result,) = run_job(bot.runtime, job_named("sla-evaluate"), at=clock.now, team_ref=CHANNEL)
    assert result.outcome is Outcome.DONE, result.line()
    clock.now = local(3, 10, 10)
    (post,) = [m for m in bot.double.messages(CHANNEL) if "B1" in render(m) and m.get("thread_ts") in (None, m["ts"])]
    return post


def open_home(bot, user_id, *, tab="home", team_id=None, previous=0) -> dict[str, Any]:
    """The person opens the Home tab; the view published for them (waits for a new publish)."""
    event = {"type": "app_home_opened", "user": user_id, "channel": f"D0{user_id[3:]}", "tab": tab}
    assert bot.driver.event(event, team_id=team_id).ok
    call = bot.double.wait_for("views.publish", lambda c: c.params.get("user_id") == user_id, count=previous + 1)[-1]
    view = call.params["view"]
    return view if isinstance(view, dict) else json.loads(view)


def published(bot, user_id, count) -> dict[str, Any]:
    """The `count`-th Home published for the person, waited for (at most 5 s): no open needed."""
    started = time.monotonic()
    call = bot.double.wait_for("views.publish", lambda c: c.params.get("user_id") == user_id, count=count, timeout=5)[count - 1]
    assert time.monotonic() - started < 5
    view = call.params["view"]
    return view if isinstance(view, dict) else json.loads(view)


def shown(view) -> str:
    return render(view).replace("\xa0", " ").replace("\u202f", " ")


def button_on(view, action_id) -> tuple[str, dict[str, Any]]:
    (found,) = [(block["block_id"], block["accessory"]) for block in view["blocks"] if block.get("accessory", {}).get("action_id") == action_id]
    return found


def opened_view(bot, count=1) -> dict[str, Any]:
    view = bot.double.wait_for("views.open", count=count)[-1].params["view"]
    return view if isinstance(view, dict) else json.loads(view)


def natives(view) -> list[dict[str, Any]]:
    return [block for block in view["blocks"] if block["type"] in ("table", "data_visualization")]


def table_rows(view) -> list[list[str]]:
    (table,) = natives(view)
    assert table["type"] == "table"
    return [[cell["text"] for cell in row] for row in table["rows"]]


def refused_at(bot) -> datetime | None:
    with bot.runtime.session_factory() as session:
        return session.query(Workspace).filter_by(slack_team_id=bot.double.team_id).one().native_blocks_refused_at


def breach_row(bot) -> SlaBreach:
    with bot.runtime.session_factory() as session:
        return session.query(SlaBreach).filter_by(number=1).one()


# Publishing ---------------------------------------------------------------------------------------------


@pytest.mark.both_transports
def test_opening_the_home_tab_publishes_the_persons_home(bot, clock):
    set_up(bot, clock)
    breach_posted(bot, clock)
    view = open_home(bot, LUIS)
    assert view_errors(view) == [] and len(view["blocks"]) <= 100
    assert bot.double.home_views[LUIS]["blocks"] == view["blocks"]  # the double accepted and stored it
    text = shown(view)
    assert "Tu alineación de mercadeo y ventas" in text and "*alineacion* · <#C0TEAM>" in text and "Tu rol: líder de ventas" in text
    assert "*KPI de semana 10 de 2026 (2–8 mar)*" in text and "*Ventas* (`sales_cop`)" in text
    assert "*SLA1* · Ventas" in text and "*Esperan tu reconocimiento (1)*" in text and "*B1* · SLA1" in text
    assert "*KR1* · clientes con recompra" in text
    assert "• *MQL* — Lead que pidió &lt;!channel&gt; una cotización" in text  # typed text never pings
    (block, element) = button_on(view, ACKNOWLEDGE)
    assert element["value"] == str(breach_row(bot).id) and channel_of_block(block) == CHANNEL
    assert button_on(view, CHECKIN_OPEN)[1]["value"] == "1"


@pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_a_person_without_a_team_is_welcomed_in_their_language_and_the_messages_tab_is_left_alone(bot, clock):
    set_up(bot, clock)
    assert bot.driver.event({"type": "app_home_opened", "user": TOM, "channel": "D0TOM", "tab": "messages"}).ok
    view = open_home(bot, TOM)  # Tom's Slack is in English
    assert len(bot.double.calls_to("views.publish")) == 1  # the Messages tab published nothing
    text = shown(view)
    assert "Welcome to Alinea" in text and "`/alinea setup` · `configurar`" in text and "`/alinea help` · `ayuda`" in text
    assert "<#C0TEAM>" not in text
    assert "Te damos la bienvenida a Alinea" in shown(open_home(bot, PEDRO))  # Pedro's is in Spanish


def test_every_open_rebuilds_the_home(bot, clock):
    set_up(bot, clock)
    first = shown(open_home(bot, LUIS))
    assert "✅ Ningún incumplimiento espera tu reconocimiento." in first
    breach_posted(bot, clock)
    again = shown(open_home(bot, LUIS, previous=1))
    assert "*Esperan tu reconocimiento (1)*" in again
    assert "*Esperan tu reconocimiento" not in shown(open_home(bot, ANA))  # Ana leads the other side


# Native blocks ------------------------------------------------------------------------------------------


@pytest.mark.both_transports
def test_the_home_shows_the_weeks_kpis_as_one_native_table_beside_the_same_numbers_in_text(bot, clock):
    set_up(bot, clock)
    sales_recorded(bot, clock)
    view = open_home(bot, LUIS)
    assert view_errors(view) == [] and bot.double.home_views[LUIS]["blocks"] == view["blocks"]  # accepted as it was sent
    assert len(bot.double.calls_to("views.publish")) == 1
    assert table_rows(view) == [["KPI", "Valor", "Anterior", "Cambio", "Meta"],
                                ["🟢 Ventas", "$45.000.000", "$40.000.000", "+$5.000.000, +12,5\xa0%, mejor", "sin meta acordada"]]  # fmt: skip
    text = shown({"blocks": [block for block in view["blocks"] if block["type"] != "table"]})
    assert "*Ventas* (`sales_cop`): *$45.000.000* · semana anterior $40.000.000 (+$5.000.000, +12,5 %, mejor)" in text
    assert refused_at(bot) is None


@pytest.mark.both_transports
def test_a_slack_that_refuses_the_table_gets_the_home_again_without_it_and_the_next_home_is_text_only_at_once(bot, clock):
    set_up(bot, clock)
    sales_recorded(bot, clock)
    bot.double.refuse_native_blocks()
    first = open_home(bot, LUIS)  # what was sent first: refused
    again = published(bot, LUIS, 2)  # the same Home, sent once more without the table
    (refused, taken) = [call for call in bot.double.calls_to("views.publish") if call.params.get("user_id") == LUIS]
    assert refused.response["error"] == "invalid_blocks" and "unsupported block type: 'table'" in refused.response["errors"][0]
    assert table_rows(first)[1][1] == "$45.000.000" and taken.response["ok"]
    assert natives(again) == [] and again["blocks"] == [block for block in first["blocks"] if block["type"] != "table"]
    assert "*Ventas* (`sales_cop`): *$45.000.000*" in shown(again) and bot.double.home_views[LUIS]["blocks"] == again["blocks"]
    assert refused_at(bot) == clock.now  # remembered for the workspace
    clock.now = local(3, 2, 12)
    later = open_home(bot, ANA)  # the next Home (anyone's) goes text only at once: one publish, taken
    assert natives(later) == [] and "$45.000.000" in shown(later)
    assert [call.response["ok"] for call in bot.double.calls_to("views.publish")] == [False, True, True]
    bot.double.refuse_native_blocks(False)
    clock.now = local(3, 3, 8, 1)  # a day later native blocks are offered again
    assert table_rows(open_home(bot, LUIS, previous=2))[1][1] == "$45.000.000"


# The buttons ---------------------------------------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.both_transports
def test_acknowledge_on_the_home_opens_the_form_acknowledges_in_the_breachs_thread_and_refreshes_the_home(bot, clock):
    set_up(bot, clock)
    post = breach_posted(bot, clock)
    view = open_home(bot, LUIS)
    block, element = button_on(view, ACKNOWLEDGE)
    result = bot.driver.home_action(ACKNOWLEDGE, value=element["value"], block_id=block, user_id=LUIS, view=view, trigger_id="T0HOME")
    assert result.ok
    form = opened_view(bot)
    metadata = json.loads(form["private_metadata"])
    assert form["callback_id"] == ACK_VIEW and metadata["channel_id"] == CHANNEL and metadata["home"] is True
    assert "*Esperan tu reconocimiento" in shown(published(bot, LUIS, 2))  # published again; the form changed nothing yet
    values = {
        REASON: {VALUE: {"type": "static_select", "selected_option": {"value": "staffing"}}},
        NOTE: {VALUE: {"type": "plain_text_input", "value": "Dos asesores de vacaciones"}},
        PLAN: {VALUE: {"type": "plain_text_input", "value": "Reasignar leads a Marta"}},
        PLAN_OWNER: {VALUE: {"type": "users_select", "selected_user": MARTA}},
        PLAN_DUE: {VALUE: {"type": "datepicker", "selected_date": "2026-03-13"}},
    }
    assert bot.driver.view_submission(ACK_VIEW, values, private_metadata=form["private_metadata"], user_id=LUIS).ok
    bot.double.wait_for("chat.update", lambda c: c.params.get("ts") == post["ts"])
    thread = [m for m in bot.double.messages(CHANNEL) if m.get("thread_ts") == post["ts"] and m["ts"] != post["ts"]]
    assert any("<@U0LUIS> reconoció B1" in render(m) for m in thread)
    assert breach_row(bot).status.value == "acknowledged" and breach_row(bot).acknowledged_by == LUIS
    after = published(bot, LUIS, 3)  # the submission published the Home again, without another open
    assert "*Esperan tu reconocimiento" not in shown(after)
    assert [b for b in after["blocks"] if b.get("accessory", {}).get("action_id") == ACKNOWLEDGE] == []
    assert len([c for c in bot.double.calls_to("views.publish") if c.params.get("user_id") == LUIS]) == 3


@SQLITE_ONLY
def test_a_refusal_from_the_home_reaches_the_person_in_their_dm_and_the_home_drops_the_button(bot, clock):
    set_up(bot, clock)
    breach_posted(bot, clock)
    view = open_home(bot, LUIS)
    block, element = button_on(view, ACKNOWLEDGE)
    post = breach_row(bot)  # meanwhile Marta acknowledges in the breach's thread
    event = {"type": "message", "channel": CHANNEL, "channel_type": "channel", "user": MARTA, "text": "recibido personal",
             "ts": "1773200000.000100", "thread_ts": post.message_ts}
    assert bot.driver.event(event).ok
    bot.double.wait_for("chat.update", lambda c: c.params.get("ts") == post.message_ts)
    assert bot.driver.home_action(ACKNOWLEDGE, value=element["value"], block_id=block, user_id=LUIS, view=view).ok
    (dm,) = bot.double.wait_for("chat.postMessage", lambda c: c.params.get("channel") == LUIS)
    assert "<@U0MARTA> ya reconoció B1" in dm.params["text"]
    assert bot.double.calls_to("views.open") == []
    refreshed = published(bot, LUIS, 2)  # the Home no longer offers what was refused
    assert "*Esperan tu reconocimiento" not in shown(refreshed)
    assert [b for b in refreshed["blocks"] if b.get("accessory", {}).get("action_id") == ACKNOWLEDGE] == []


@SQLITE_ONLY
@pytest.mark.both_transports
def test_check_in_on_the_home_opens_the_form_for_that_team_records_it_and_refreshes_the_home(bot, clock):
    set_up(bot, clock)
    view = open_home(bot, LUIS)
    block, element = button_on(view, CHECKIN_OPEN)
    assert bot.driver.home_action(CHECKIN_OPEN, value=element["value"], block_id=block, user_id=LUIS, view=view, trigger_id="T0KR").ok
    form = opened_view(bot)
    assert form["callback_id"] == CHECKIN_VIEW
    assert [b for b in form["blocks"] if b.get("block_id") == CHECKIN_KR][0]["element"]["initial_option"]["value"] == "1"
    metadata = json.loads(form["private_metadata"])
    assert (metadata["channel_id"], metadata["locale"]) == (CHANNEL, "es")
    # The Home the press published, waited for before the form is sent: that publish runs after
    # the ack, and on a busy machine it could otherwise read the check-in the form then saved.
    after_press = published(bot, LUIS, 2)
    values = {CHECKIN_KR: {OKR_VALUE: {"type": "static_select", "selected_option": {"value": "1"}}},
              CHECKIN_VALUE: {OKR_VALUE: {"type": "plain_text_input", "value": "230"}},
              CHECKIN_CONFIDENCE: {OKR_VALUE: {"type": "plain_text_input", "value": "7"}},
              CHECKIN_NOTE: {OKR_VALUE: {"type": "plain_text_input", "value": ""}}}  # fmt: skip
    assert not bot.driver.view_submission(CHECKIN_VIEW, values, private_metadata=form["private_metadata"], user_id=LUIS).body
    ephemeral = bot.double.wait_for("chat.postEphemeral")[-1]
    assert ephemeral.params["channel"] == CHANNEL and "Registré el check-in de *KR1*" in render(ephemeral.params)
    with bot.runtime.session_factory() as session:
        assert [(c.user_id, c.confidence) for c in session.query(OkrCheckIn)] == [(LUIS, 7)]
    assert "Ahora: 230" not in shown(after_press)  # after the press, before the form was sent
    assert "Ahora: 230" in shown(published(bot, LUIS, 3))  # the submission published it again


# Workspaces ------------------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_a_workspaces_home_never_shows_another_workspaces_data(bot, clock):
    set_up(bot, clock)
    set_up(bot, clock, slack_team_id=OTHER_WORKSPACE, channel_id="C0OTRO", name="secreto", term=("Secreto", "Solo del otro espacio"))
    mine = shown(open_home(bot, LUIS))
    assert "<#C0TEAM>" in mine and "<#C0OTRO>" not in mine and "Secreto" not in mine
    theirs = shown(open_home(bot, LUIS, team_id=OTHER_WORKSPACE, previous=1))
    assert "<#C0OTRO>" in theirs and "<#C0TEAM>" not in theirs and "MQL" not in theirs


def test_a_busy_persons_home_stays_within_slacks_100_blocks_and_the_double_accepts_it(bot, clock):
    """Seven teams, each with four breaches waiting for Luis and five KRs he owns: the Home, its
    KPI table of the five teams shown in full included, stays within 100 blocks."""
    clock.now = local(2, 2, 8)
    for number in range(1, 8):
        channel = f"C0TEAM{number}"
        bot.double.add_channel(channel, f"equipo-{number}")
        set_up(bot, clock, channel_id=channel, name=f"equipo-{number}")
        with bot.runtime.session_factory.begin() as session:
            workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
            team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)
            objective = okr.create_objective(session, team=team, actor=ANA, draft=Objective("Más ventas", ObjectiveKind.COMMITTED), now=clock.now)
            for _ in range(4):
                draft = okr.parse_key_result_line(session, team=team, text="pedidos de 10 a 20 al 31/05/2026 dueño <@U0LUIS>", today=clock.now.date())
                okr.add_key_result(session, team=team, actor=ANA, objective_id=objective.id, draft=draft, now=clock.now)
            for day in (3, 10, 17, 24):
                kpis.record(session, team=team, key="followup_hours", value=Decimal(30), shown="30", period=Period.day(date(2026, 2, day)),
                            source="slack", actor=LUIS, note="", now=local(2, 27))  # fmt: skip
            assert breach_evaluation.evaluate(session, team=team, now=local(3, 2, 0, 5)).breaches == 4
    clock.now = local(3, 3, 10)
    view = open_home(bot, LUIS)
    assert view_errors(view) == [] and len(view["blocks"]) <= 100
    assert bot.double.home_views[LUIS]["blocks"] == view["blocks"]
    text = shown(view)
    assert "*Esperan tu reconocimiento (4)*" in text and "*Tus resultados clave (5)*" in text
    assert "También estás en 2 equipo(s) más: *equipo-6* <#C0TEAM6>, *equipo-7* <#C0TEAM7>" in text
    rows = table_rows(view)  # one table for the five teams shown in full, the team's name first
    assert rows[0][:2] == ["Equipo", "KPI"] and [row[0] for row in rows[1:]] == [f"equipo-{number}" for number in range(1, 6)]
    assert view["blocks"][-1]["type"] == "context" and "que no caben aquí" not in text  # nothing was cut to fit
