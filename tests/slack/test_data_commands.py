"""`/alinea data|datos` through the signed endpoint and the Slack double: a workspace admin's
export arrives as a zip in their DM; members are refused; deleting everything takes a
confirmation whose button expires; and a person sees what Alinea holds about them and erases it."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.blocks.data import DELETE_CONFIRM, ERASE_ME
from bot.loopback import LoopbackBot
from bot.slack_double import slack_escape
from bot.transcript import render
from db import repositories
from db.base import Base
from db.models import TeamMember
from domain.setup import SetupChanges
from services import agenda_topics, data_rights, kpis, person_data, teams, workspaces
from services.teams import TeamDefaults
from tests.support.clock import Clock

BOGOTA = ZoneInfo("America/Bogota")
ANA, LUIS, BOSS, OWNER = "U0ANA", "U0LUIS", "U0BOSS", "U0DUENA"  # mkt lead, sales lead, Slack admin, Slack owner
CHANNEL = "C0TEAM"
NOW = datetime(2026, 3, 11, 21, 0, tzinfo=BOGOTA)  # already 12 March in UTC: the file is named by Bogotá's day
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def bot(settings, double, clock) -> Iterator[LoopbackBot]:
    double.add_user(LUIS, name="luis")
    double.add_user(BOSS, name="boss", is_admin=True)
    double.add_user(OWNER, name="duena", is_owner=True)
    with LoopbackBot(settings, double=double, clock=clock) as bot:
        yield bot


@pytest.fixture
def team(bot) -> int:  # not tests/slack/conftest.py's: a Slack admin's team with topics; the tests need its workspace id
    return seed_team(bot)


def seed_team(bot: LoopbackBot) -> int:
    """A team with its starter KPIs and a topic by Luis that mentions Ana; returns the workspace id."""
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=NOW)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=CHANNEL, channel_name="alineacion", actor=BOSS,
            is_workspace_admin=True, defaults=TeamDefaults("America/Bogota", "es"), now=NOW,
            changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,), admins=(BOSS,), language="es"),
        )
        found = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)
        kpis.enable_starter_set(session, team=found, actor=ANA, now=NOW, language="es")
        agenda_topics.add(session, team=found, actor=ANA, text="Precios de envío en diciembre", now=NOW)
        agenda_topics.add(session, team=found, actor=LUIS, text=f"Lo que propuso <@{ANA}> sobre TikTok", now=NOW)
        return workspace.id


def command(bot: LoopbackBot, text: str, user_id: str = ANA, channel_id: str = CHANNEL):
    _, reply = bot.command(slack_escape(text), user_id=user_id, channel_id=channel_id)
    assert reply.ok and reply.params["response_type"] == "ephemeral", reply.response
    return reply


def press(bot: LoopbackBot, action_id: str, value: str, user_id: str) -> str:
    result = bot.driver.block_action(action_id, value=value, user_id=user_id, channel_id=CHANNEL, message={"ts": "1.1"})
    assert result.status == 200
    [reply] = bot.double.wait_for_response(result.response_url)
    assert reply.params["response_type"] == "ephemeral"
    return render(reply.params)


def button(reply, action_id: str) -> dict:
    return next(e for b in reply.params["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == action_id)


def counts(bot, workspace_id: int) -> dict[str, int]:
    with bot.runtime.session_factory() as session:
        return data_rights.count_rows(session, workspace_id)


# Export -------------------------------------------------------------------------------------------------


@BOTH
def test_a_workspace_admin_gets_the_export_as_a_zip_in_their_dm(bot, team):
    before = counts(bot, team)
    reply = command(bot, "datos exportar", user_id=BOSS)
    filename = f"alinea-export-{bot.double.team_id}-2026-03-11.zip"
    shown = render(reply.params)
    assert f"Te envié por mensaje directo `{filename}`" in shown and "`kpis` 20" in shown and "`agenda_topics` 2" in shown
    [opened] = bot.double.calls_to("conversations.open")
    assert opened.params["users"] == BOSS
    [upload] = [f for f in bot.double.files.values() if f.completed]
    assert upload.filename == filename and upload.channel == "D0BOSS"  # the DM with the admin, nowhere else
    bundle = zipfile.ZipFile(io.BytesIO(upload.content))
    data = json.loads(bundle.read("data.json"))
    assert {name: len(rows) for name, rows in data.items() if rows} == before
    assert {"kpis.csv", "team_members.csv", "agenda_topics.csv", "README.txt"} <= set(bundle.namelist())
    members = list(csv.DictReader(io.StringIO(bundle.read("team_members.csv").decode("utf-8-sig")), delimiter=";"))
    assert {row["slack_user_id"] for row in members} == {ANA, LUIS, BOSS}
    assert bot.double.messages(CHANNEL) == []  # nothing in the channel
    with bot.runtime.session_factory() as session:
        [entry] = [e for e in repositories.audit_entries(session, workspace_id=team) if e.action == "workspace.data_exported"]
    assert entry.actor == BOSS and entry.after["file"] == filename


@SQLITE_ONLY
def test_members_may_not_export_or_delete_the_workspace(bot, team):
    before = counts(bot, team)
    for text in ("datos exportar", "datos borrar", "data export"):
        shown = render(command(bot, text, user_id=ANA).params)  # a team lead, not a Slack admin
        assert "Solo un administrador o propietario del espacio de trabajo de Slack" in shown and "`/alinea datos yo`" in shown
    assert bot.double.calls_to("files.getUploadURLExternal") == [] and bot.double.calls_to("conversations.open") == []
    assert counts(bot, team) == before


# Delete --------------------------------------------------------------------------------------------------


@BOTH
def test_deleting_everything_takes_a_confirmation_and_then_leaves_nothing(bot, team, clock):
    before = counts(bot, team)
    reply = command(bot, "datos borrar", user_id=OWNER)  # a Slack owner may too
    rows = sum(before.values())
    shown = render(reply.params)
    assert "¿Borrar todos los datos de Alinea de este espacio de trabajo?" in shown and f"Se borrarán {rows:,} filas".replace(",", ".") in shown
    confirm = button(reply, DELETE_CONFIRM)
    assert confirm["style"] == "danger" and confirm["confirm"]["style"] == "danger"
    assert confirm["confirm"]["title"]["text"] == "¿Borrar todo?"
    assert counts(bot, team) == before  # asking deletes nothing

    clock.now = NOW + timedelta(minutes=1)
    assert "Solo un administrador" in press(bot, DELETE_CONFIRM, confirm["value"], user_id=LUIS)  # the button is no permission
    assert counts(bot, team) == before
    done = press(bot, DELETE_CONFIRM, confirm["value"], user_id=OWNER)
    assert f"Listo: borré {rows:,} filas".replace(",", ".") in done
    with bot.runtime.session_factory() as session:
        left = {t.name: session.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables}
    assert {name: n for name, n in left.items() if n} == {}

    clock.now = NOW + timedelta(minutes=2)  # the same button again: the workspace it named is gone
    assert "Esos datos ya se borraron" in press(bot, DELETE_CONFIRM, confirm["value"], user_id=OWNER)
    with bot.runtime.session_factory() as session:
        assert repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id) is not None  # recreated on contact
        assert session.execute(select(func.count()).select_from(TeamMember)).scalar_one() == 0


@SQLITE_ONLY
def test_a_confirmation_older_than_ten_minutes_is_refused(bot, team, clock):
    before = counts(bot, team)
    confirm = button(command(bot, "data delete", user_id=BOSS), DELETE_CONFIRM)
    clock.now = NOW + timedelta(minutes=11)
    assert "Esa confirmación venció (sirve por 10 minutos)" in press(bot, DELETE_CONFIRM, confirm["value"], user_id=BOSS)
    assert "Esa confirmación venció" in press(bot, DELETE_CONFIRM, "not-a-time", user_id=BOSS)
    assert counts(bot, team) == before


# One person ------------------------------------------------------------------------------------------------


@BOTH
def test_a_person_sees_what_alinea_holds_about_them_and_erases_it(bot, team, clock):
    reply = command(bot, "datos yo", user_id=ANA)
    shown = render(reply.params)
    assert "Lo que Alinea guarda de ti" in shown and "*Roles en equipos*: 1" in shown and "alineacion · marketing_lead" in shown
    assert "*Temas y agendas*: 1" in shown and "Precios de envío en diciembre" in shown and "*KPI, alertas y tokens creados*: 20" in shown
    assert "*Menciones*:" in shown and "Ley 1581" in shown
    erase = button(reply, ERASE_ME)
    assert erase["style"] == "danger" and erase["confirm"]["title"]["text"] == "¿Borrar tus datos?"

    clock.now = NOW + timedelta(minutes=1)
    done = press(bot, ERASE_ME, LUIS, user_id=ANA)  # a forged value: only the presser is ever erased
    stand_in = person_data.pseudonym(team, ANA, bot.runtime.settings.pseudonym_keys[0])
    assert f"tu id ya no aparece en Alinea en este espacio de trabajo. En su lugar queda el seudónimo `{stand_in}`" in done
    assert "Eliminado: Roles en equipos (1)." in done and "Con seudónimo: KPI, alertas y tokens creados (20); Temas y agendas (1)" in done
    with bot.runtime.session_factory() as session:
        members = set(session.scalars(select(TeamMember.slack_user_id).where(TeamMember.workspace_id == team)))
        report = person_data.person_report(session, team, ANA)
        erased = [e for e in repositories.audit_entries(session, workspace_id=team) if e.action == "person.erased"]
        topics = [row[0] for row in session.execute(select(Base.metadata.tables["agenda_topics"].c.text))]
    assert members == {LUIS, BOSS} and report.total == 0
    assert f"Lo que propuso <@{stand_in}> sobre TikTok" in topics  # Luis's topic stays, without her id
    [entry] = erased
    assert entry.actor == stand_in and ANA not in json.dumps([entry.before, entry.after, entry.entity_id])
    assert "Alinea no guarda nada con tu id de Slack" in render(command(bot, "datos yo", user_id=ANA).params)
    assert "*Roles en equipos*: 1" in render(command(bot, "datos yo", user_id=LUIS).params)  # Luis is untouched


@pytest.fixture
def keyless_bot(settings, double, clock) -> Iterator[LoopbackBot]:
    with LoopbackBot(replace(settings, pseudonym_keys=()), double=double, clock=clock) as bot:
        yield bot


@BOTH
def test_without_a_pseudonym_key_erasing_is_refused_saying_what_the_operator_must_set(keyless_bot, caplog):
    bot = keyless_bot
    workspace_id = seed_team(bot)
    with bot.runtime.session_factory() as session:
        before = person_data.person_report(session, workspace_id, ANA)
    report = command(bot, "datos yo", user_id=ANA)  # said before anyone presses: no button, what to ask for
    assert "*Roles en equipos*: 1" in render(report.params) and "Borrar tus datos aún no está disponible aquí" in render(report.params)
    assert not [b for b in report.params["blocks"] if b["type"] == "actions"]
    refused = press(bot, ERASE_ME, "me", user_id=ANA)  # a button from before, or forged: refused all the same
    assert "Todavía no puedo borrar tus datos" in refused and "`ALINEA_PSEUDONYM_KEYS`" in refused and "No cambié nada" in refused
    assert "`/alinea datos yo`" in refused
    with bot.runtime.session_factory() as session:
        assert person_data.person_report(session, workspace_id, ANA) == before and before.total > 0
        assert not [e for e in repositories.audit_entries(session, workspace_id=workspace_id) if e.action == "person.erased"]
    assert any("ALINEA_PSEUDONYM_KEYS is not set" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


@SQLITE_ONLY
def test_data_in_english_the_overview_and_typos(bot, team):
    shown = render(command(bot, "data me", user_id="U0TOM", channel_id="D0TOM").params)  # no team there: Tom's own language
    assert "What Alinea holds about you" in shown and "Alinea holds nothing with your Slack id" in shown
    overview = render(command(bot, "datos").params)
    assert "`/alinea datos yo`" in overview and "`/alinea datos exportar`" in overview
    assert "¿quisiste decir `datos exportar`?" in render(command(bot, "datos exportr", user_id=BOSS).params)
    assert "data" in render(command(bot, "ayuda").params)
