"""Weekly and monthly agendas posted on schedule, in each team's timezone, exactly once — through
the real app, the jobs as the scheduler (or `alinea jobs run --at`) runs them, the signed endpoint
for `/alinea agenda vista|publicar`, and the Slack double, with time travel.

Once-only runs on SQLite and PostgreSQL: two schedulers racing, a restart between claiming and
posting, a post that went out but was not recorded, Slack failing mid-post (500s, 429s, a lost
upload answer), a missed run caught up at start-up."""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import bot.agenda_posts as agenda_posts
from bot.agenda_posts import AgendaNotPosted, AgendaPoster
from bot.blocks.agenda_layout import sections_of
from bot.blocks.agenda_topics import DECIDE_EXPERIMENT
from bot.jobs import run_job
from bot.loopback import LoopbackBot
from bot.notifier import Message, Notifier
from bot.scheduler import AT_START, build_scheduler, job_named
from bot.slack_client import make_web_client
from bot.transcript import render
from db import repositories
from db.models import Agenda, AgendaStatus, Workspace
from domain.meetings import AgendaKind
from domain.okr import parse_objective
from domain.periods import Period
from domain.setup import SetupChanges
from domain.sla import parse_commitment
from services import agenda_topics, agendas, experiments, kpis, native_blocks, okr, sla, teams, workspaces
from services.experiments import Result
from services.job_runs import Outcome
from services.teams import TeamDefaults
from tests.support.clock import Clock

BOGOTA = ZoneInfo("America/Bogota")
CHANNEL, MADRID_CHANNEL = "C0TEAM", "C0MADRID"
ANA, LUIS, MARTA, ROSA, PEDRO = "U0ANA", "U0LUIS", "U0MARTA", "U0ROSA", "U0PEDRO"  # mkt lead, sales leads, admin, member
CREATED = datetime(2026, 3, 9, 10, 0, tzinfo=BOGOTA)  # after the 9 March meeting: nothing missed before
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
W10, W11, W12 = (Period.week_of(date(2026, 3, day)) for day in (2, 9, 16))
PARTS = ("kpis", "summary", "sla", "okr", "changes", "experiment", "topics", "plan")


def local(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=BOGOTA)


def utc(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    return Clock(CREATED)


@pytest.fixture
def bot(settings, double, clock):
    for user_id in (LUIS, MARTA, ROSA, PEDRO):
        double.add_user(user_id, name=user_id.lower(), locale="es-LA")
    double.add_channel(MADRID_CHANNEL, "alineacion-madrid")
    with LoopbackBot(settings, double=double, clock=clock) as bot:
        add_team(bot, CHANNEL, "alineacion", TeamDefaults("America/Bogota", "es"), CREATED)
        yield bot


def add_team(bot, channel, name, defaults, now):
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=now)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel, channel_name=name, actor=ROSA, is_workspace_admin=True,
            changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS, MARTA), admins=(ROSA,)), defaults=defaults, now=now,
        )
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)
        kpis.enable_starter_set(session, team=team, actor=ANA, now=now, language="es")


def with_team(bot, action, channel=CHANNEL, **kwargs):
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)
        return action(session, team=team, **kwargs)


def team_id(bot, channel=CHANNEL) -> int:
    return with_team(bot, lambda session, team: team.id, channel)


def log_week(bot, key, value, week: Period):
    with_team(bot, kpis.record, key=key, value=Decimal(value), shown=value, period=week, source="slack", actor=LUIS, note="",
              now=local(3, 1) + timedelta(days=15))  # fmt: skip


def seed(bot, clock):
    """Two weeks of numbers, an SLA breached last week, an OKR, a topic, last week's experiment."""
    with_team(bot, kpis.set_roles, role="primary", keys=["sales_cop"], actor=ANA, now=CREATED)
    with_team(bot, kpis.set_roles, role="support", keys=["conversion_web", "avg_deal"], actor=ANA, now=CREATED)
    proposal = with_team(bot, sla.propose, actor=LUIS, terms=parse_commitment("ventas followup_hours <= 24 semanal"), now=CREATED)
    assert with_team(bot, sla.accept, version_id=proposal.version.id, actor=ANA, now=CREATED).active
    for week, sales, sessions, orders, deal, hours in ((W10, "40000000", "10000", "120", "130000", "20"), (W11, "45000000", "11000", "121", "120000", "30")):
        for key, value in (("sales_cop", sales), ("sessions", sessions), ("orders", orders), ("avg_deal", deal), ("followup_hours", hours)):
            log_week(bot, key, value, week)
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)
        objective = okr.create_objective(session, team=team, actor=ANA, draft=parse_objective("Subir el ticket <!channel>"), now=CREATED)
        draft = okr.parse_key_result_line(session, team=team, text="avg_deal de 100.000 a 200.000 COP entre el 02/03/2026 y el 27/03/2026 dueño <@U0LUIS>",
                                          today=date(2026, 3, 2))  # fmt: skip
        okr.add_key_result(session, team=team, actor=ANA, objective_id=objective.id, draft=draft, now=CREATED)
    with_team(bot, agenda_topics.add, actor=PEDRO, text="Precios de envío <!channel> <@U0ANA>", now=local(3, 12))
    with_team(bot, experiments.decide, actor=ANA, week=W11, hypothesis="Envío gratis sube la conversión", metric="conversion_web",
              owner=LUIS, due=date(2026, 3, 13), now=local(3, 9, 9, 20))  # fmt: skip
    with_team(bot, experiments.record_result, actor=LUIS, week=W11, result=Result.CONFIRMED, note="+0,3 puntos", now=local(3, 13, 17))
    job(bot, clock, "sla-evaluate", local(3, 16, 0, 15))  # week 11 closed: followup_hours 30 h breaches ≤ 24 h


# Driving time and reading the channel ----------------------------------------------------------------------


def job(bot, clock, name, at, team_ref=CHANNEL):
    clock.now = at
    results = run_job(bot.runtime, job_named(name), at=at, team_ref=team_ref)
    for result in results:
        assert result.outcome is Outcome.DONE, result.line()
    return results[0].detail if team_ref else {result.subject: result.detail for result in results}


def scheduler_fire(bot, clock, name, at):
    """What the scheduler does: every team, no --team."""
    return job(bot, clock, name, at, team_ref=None)


def claim_of(message) -> str:
    return ((message.get("metadata") or {}).get("event_payload") or {}).get("claim", "")


def parents(bot, channel=CHANNEL) -> list[dict[str, Any]]:
    return [m for m in bot.double.messages(channel) if claim_of(m).startswith("agenda-") and claim_of(m).count("-") == 1]


def thread(bot, ts, channel=CHANNEL) -> list[dict[str, Any]]:
    return [m for m in bot.double.messages(channel) if m.get("thread_ts") == ts and m["ts"] != ts]


def part_claims(bot, parent) -> list[str]:
    return [claim_of(m).removeprefix(claim_of(parent) + "-") for m in thread(bot, parent["ts"]) if claim_of(m)]


def sections(bot, parent) -> dict[str, dict[str, Any]]:
    """The agenda's sections as posted in its details replies, by name, each as a message."""
    found: dict[str, dict[str, Any]] = {}
    for message in thread(bot, parent["ts"]):
        if claim_of(message).removeprefix(claim_of(parent) + "-").startswith("details"):
            found.update({name: {"text": "", "blocks": blocks} for name, blocks in sections_of(message["blocks"]).items()})
    return found


def reply(bot, parent, name) -> dict[str, Any]:
    return next(m for m in thread(bot, parent["ts"]) if claim_of(m) == f"{claim_of(parent)}-{name}")


def native(message, kind="data_visualization") -> list[dict[str, Any]]:
    return [block for block in message.get("blocks") or [] if block["type"] == kind]


def chart_files(bot, parent) -> list[str]:
    return [f["name"] for m in thread(bot, parent["ts"]) if m.get("subtype") == "file_share" for f in m["files"]]


def shown(message) -> str:
    return render(message).replace("\xa0", " ").replace("\u202f", " ")


def agenda_row(bot, key="2026-W12", channel=CHANNEL) -> Agenda:
    with bot.runtime.session_factory() as session:
        return session.scalars(select(Agenda).where(Agenda.team_id == team_id(bot, channel), Agenda.period_key == key)).one()


def poster(bot, channel=CHANNEL) -> AgendaPoster:
    client = make_web_client(token=bot.settings.slack_bot_token, base_url=bot.double.base_url)
    return AgendaPoster(bot.runtime.session_factory, client, team_id=team_id(bot, channel), sleep=lambda seconds: None)


def assert_posted_once(bot, channel=CHANNEL):
    claims = [claim_of(m) for m in bot.double.messages(channel) if claim_of(m)]
    assert len(claims) == len(set(claims)), sorted(claims)
    for parent in parents(bot, channel):
        files = chart_files(bot, parent)
        assert len(files) == len(set(files)), files


# The weekly agenda ------------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_the_weekly_agenda_is_posted_at_seven_with_sla_okr_topics_changes_and_charts(bot, clock, double):
    seed(bot, clock)
    assert scheduler_fire(bot, clock, "weekly-agenda", local(3, 16, 6, 55)) == {"alineacion": "weekly: nothing due"}
    assert parents(bot) == []
    detail = scheduler_fire(bot, clock, "weekly-agenda", local(3, 16, 7, 0))["alineacion"]
    assert detail == "posted the weekly agenda 2026-W12: parent, 2 replies, 3 native charts"
    (parent,) = parents(bot)
    assert claim_of(parent) == f"agenda-{agenda_row(bot).id}"
    assert part_claims(bot, parent) == ["details", "charts"]  # three messages: the parent, the details, the charts
    assert tuple(sections(bot, parent)) == PARTS
    head = shown(parent)
    assert "Agenda semanal · alineacion" in head and "lunes 16 mar, 09:00–09:30 (America/Bogota)" in head
    assert "*Ventas* (`sales_cop`): *$45.000.000* · semana anterior $40.000.000 (+$5.000.000, +12,5 %, mejor)" in head
    assert "Tasa de conversión web" in head and "Ticket promedio" in head
    assert "incumplimientos abiertos: 1 (1 sin reconocer)" in head and "objetivos activos: 1" in head
    parts = sections(bot, parent)
    sla_part = shown(parts["sla"])
    assert "Semana pasada: ❌ incumplido (30 h)" in sla_part and "*B1* · SLA1 · semana 11 de 2026 (9–15 mar): 30 h" in sla_part
    assert "Nadie lo ha reconocido; le toca a <@U0LUIS>." in sla_part
    assert "*KR1* · avg_deal" in shown(parts["okr"]) and "esperado" in shown(parts["okr"])
    assert "Subir el ticket &lt;!channel&gt;" in shown(parts["okr"])
    assert "1. 🔴 *Tiempo de seguimiento a leads* (`followup_hours`): *30 h* · semana anterior 20 h (+10 h, +50 %, peor) · ❌ meta ≤ 24 h (SLA)" in shown(parts["changes"])
    summary = shown(parts["summary"])  # no LLM configured: the offline narrator, labelled as such
    assert summary.startswith("*📝 Resumen de la semana (automático, sin IA)*") and "el equipo decide el experimento" in summary
    assert "45.000.000" in summary and "Hipótesis 1:" in summary
    assert "Envío gratis sube la conversión" in shown(parts["experiment"]) and "✅ Confirmado. +0,3 puntos" in shown(parts["experiment"])
    assert "*T1* Precios de envío &lt;!channel&gt; &lt;@U0ANA&gt; — <@U0PEDRO>" in shown(parts["topics"])
    assert "Cuello de botella" in shown(parts["plan"])
    (decide,) = [e for b in parts["plan"]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (decide["action_id"], decide["value"]) == (DECIDE_EXPERIMENT, "2026-W12")
    # The KPIs as a native table in the details; the charts drawn by Slack, their numbers in the text.
    (table,) = native(reply(bot, parent, "details"), "table")
    assert [cell["text"] for cell in table["rows"][1]][:3] == ["🟢 Ventas", "$45.000.000", "$40.000.000"]
    (okr_chart,) = native(parts["okr"])  # Slack takes two charts a message: the third goes beside its section
    assert okr_chart["chart"]["type"] == "bar" and [s["name"] for s in okr_chart["chart"]["series"]] == ["Avance %", "esperado a hoy"]
    charts = reply(bot, parent, "charts")
    trend, attainment = native(charts)
    assert trend["chart"]["type"] == "line" and [s["name"] for s in trend["chart"]["series"]] == ["Ventas"]  # no target agreed for it
    assert trend["chart"]["series"][0]["data"][-1] == {"label": "S11", "value": 45000000}
    assert "S11 $45.000.000" in shown(charts) and attainment["chart"]["type"] == "bar"
    assert double.files == {}  # no PNG drawn or uploaded
    assert "Últimas 12 semanas:" in shown(parts["kpis"]) and "S11 $45.000.000" in shown(parts["kpis"])
    run = agenda_row(bot)
    assert run.status is AgendaStatus.DONE and run.parts_posted == ["details", "charts"]
    # The next fires find it done.
    assert scheduler_fire(bot, clock, "weekly-agenda", local(3, 16, 7, 5)) == {"alineacion": "weekly 2026-W12: already done (posted before)"}
    assert len(parents(bot)) == 1 and len(thread(bot, parent["ts"])) == 2
    assert_posted_once(bot)


@SQLITE_ONLY
def test_the_decide_button_opens_the_experiment_form_for_the_agendas_week(bot, clock, double):
    scheduler_fire(bot, clock, "weekly-agenda", local(3, 16, 7, 0))
    (parent,) = parents(bot)
    plan = reply(bot, parent, "details")
    assert bot.driver.block_action(DECIDE_EXPERIMENT, value="2026-W12", user_id=ANA, channel_id=CHANNEL,
                                   message={"ts": plan["ts"]}, trigger_id="T0DECIDE").ok  # fmt: skip
    (opened,) = double.wait_for("views.open")
    assert "2026-W12" in str(opened.params["view"])


# Time zones and holidays --------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_each_team_gets_its_agenda_in_its_own_timezone_across_dst_and_holidays(bot, clock, double, caplog):
    add_team(bot, MADRID_CHANNEL, "alineacion-madrid", TeamDefaults("Europe/Madrid", "es", "ES"), utc(3, 19, 8))
    caplog.set_level(logging.WARNING, logger="services.agendas")
    # Monday 23 March is San José in Colombia: Bogotá's agenda moves to Friday 20 March, 07:00 Bogotá.
    scheduler_fire(bot, clock, "weekly-agenda", utc(3, 20, 11, 55))
    assert parents(bot) == [] and parents(bot, MADRID_CHANNEL) == []
    fired = scheduler_fire(bot, clock, "weekly-agenda", utc(3, 20, 12, 0))
    assert fired["alineacion"].endswith("posted the weekly agenda 2026-W13: parent, 1 replies, 0 native charts")
    assert fired["alineacion-madrid"] == "weekly: nothing due"
    assert "skipped the weekly agenda 2026-W12" in caplog.text  # Bogotá's team existed, the bot never posted W12
    (bogota,) = parents(bot)
    assert "lunes 23 mar, 09:00–09:30 (America/Bogota)" in shown(bogota) and "Cómo empezar" in shown(bogota)
    # Madrid (not a holiday there): Monday 07:00 CET = 06:00 UTC.
    scheduler_fire(bot, clock, "weekly-agenda", utc(3, 23, 5, 55))
    assert parents(bot, MADRID_CHANNEL) == []
    fired = scheduler_fire(bot, clock, "weekly-agenda", utc(3, 23, 6, 0))
    assert fired == {"alineacion": "weekly 2026-W13: already done (posted before)", "alineacion-madrid": "posted the weekly agenda 2026-W13: parent, 1 replies, 0 native charts"}
    # Summer time began on Sunday 29 March in Madrid: 07:00 CEST is 05:00 UTC, an hour earlier than the week before.
    scheduler_fire(bot, clock, "weekly-agenda", utc(3, 30, 4, 55))
    assert len(parents(bot, MADRID_CHANNEL)) == 1
    fired = scheduler_fire(bot, clock, "weekly-agenda", utc(3, 30, 5, 0))
    assert fired["alineacion-madrid"] == "posted the weekly agenda 2026-W14: parent, 1 replies, 0 native charts"
    assert fired["alineacion"] == "weekly: nothing due"  # Bogotá's is at 12:00 UTC
    assert "lunes 30 mar, 09:00–09:30 (Europe/Madrid)" in shown(parents(bot, MADRID_CHANNEL)[-1])
    assert scheduler_fire(bot, clock, "weekly-agenda", utc(3, 30, 12, 0))["alineacion"] == "posted the weekly agenda 2026-W14: parent, 1 replies, 0 native charts"
    assert len(parents(bot)) == 2 and len(parents(bot, MADRID_CHANNEL)) == 2
    assert_posted_once(bot) and assert_posted_once(bot, MADRID_CHANNEL)


# Once, whatever happens -----------------------------------------------------------------------------------


def test_two_schedulers_on_one_database_post_one_agenda(bot, clock, double, monkeypatch):
    # Two processes share no in-process lock: give every poster its own.
    monkeypatch.setattr(agenda_posts, "_team_lock", lambda team_id: threading.Lock())
    clock.now = at = local(3, 16, 7, 0)
    barrier, results = threading.Barrier(2), []

    def scheduler():
        barrier.wait()
        results.extend(run_job(bot.runtime, job_named("weekly-agenda"), at=at))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread_ in threads:
        thread_.start()
    for thread_ in threads:
        thread_.join(timeout=60)
    details = sorted(result.detail for result in results)
    assert all(result.outcome is Outcome.DONE for result in results), details
    assert details[0].startswith("posted the weekly agenda 2026-W12") or details[1].startswith("posted the weekly agenda 2026-W12")
    assert any(detail.endswith(("being posted by another run", "already done (posted before)")) for detail in details), details
    (parent,) = parents(bot)
    assert part_claims(bot, parent) == ["details"]
    assert_posted_once(bot)


@SQLITE_ONLY
def test_two_posters_of_one_process_queue_on_the_teams_lock(bot, clock):
    clock.now = at = local(3, 16, 7, 0)
    barrier, lines = threading.Barrier(2), []

    def post():
        barrier.wait()
        lines.append(poster(bot).run(AgendaKind.WEEKLY, at))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread_ in threads:
        thread_.start()
    for thread_ in threads:
        thread_.join(timeout=60)
    assert sorted(lines) == ["posted the weekly agenda 2026-W12: parent, 1 replies, 0 native charts", "weekly 2026-W12: already done (posted before)"]
    assert len(parents(bot)) == 1


def test_a_restart_between_claiming_and_posting_posts_once_when_the_lease_runs_out(bot, clock, double):
    meeting = with_team(bot, lambda session, team: agendas.meeting_of_period(team, AgendaKind.WEEKLY, local(3, 16)))
    dead = with_team(bot, agendas.claim, meeting=meeting, claimed_by="replica-1", now=local(3, 16, 7, 0))  # then the process died
    assert dead is not None and parents(bot) == []
    assert scheduler_fire(bot, clock, "weekly-agenda", local(3, 16, 7, 0) + timedelta(seconds=30)) == {
        "alineacion": "weekly 2026-W12: being posted by another run"}  # its lease (45 s) still holds
    assert scheduler_fire(bot, clock, "agenda-resume", local(3, 16, 7, 0) + timedelta(seconds=30)) == {}  # nothing expired
    assert parents(bot) == []
    detail = scheduler_fire(bot, clock, "agenda-resume", local(3, 16, 7, 0) + timedelta(seconds=45))["alineacion"]
    assert detail == "posted the weekly agenda 2026-W12: parent, 1 replies, 0 native charts"
    (parent,) = parents(bot)
    assert claim_of(parent) == dead.claim and agenda_row(bot).attempts == 2 and agenda_row(bot).claimed_by == "scheduler"
    assert_posted_once(bot)


def test_a_parent_posted_but_not_recorded_is_found_not_posted_again(bot, clock, double):
    meeting = with_team(bot, lambda session, team: agendas.meeting_of_period(team, AgendaKind.WEEKLY, local(3, 16)))
    dead = with_team(bot, agendas.claim, meeting=meeting, claimed_by="replica-1", now=local(3, 16, 7, 0))
    # The dead process had posted the parent and its details; neither was recorded.
    notifier = Notifier(make_web_client(token=bot.settings.slack_bot_token, base_url=double.base_url))
    ts = notifier.post(channel=CHANNEL, message=Message("agenda", []), claim=dead.claim)
    notifier.post(channel=CHANNEL, message=Message("detalles", []), claim=f"{dead.claim}-details", thread_ts=ts)
    detail = scheduler_fire(bot, clock, "weekly-agenda", local(3, 16, 7, 10))["alineacion"]
    assert detail == "posted the weekly agenda 2026-W12: 0 replies, 0 native charts"  # found, recorded, not posted again
    (parent,) = parents(bot)
    assert parent["ts"] == ts and part_claims(bot, parent) == ["details"]
    row = agenda_row(bot)
    assert row.message_ts == ts and row.status is AgendaStatus.DONE and row.parts_posted == ["details"]
    assert_posted_once(bot)


def test_slack_failing_mid_post_resumes_with_only_the_missing_parts(bot, clock, double):
    seed(bot, clock)
    at = local(3, 16, 7, 0)
    clock.now = at
    # Slack posts the parent but the answer is lost (the Notifier finds it); then it is down for the first part.
    double.fail_next("chat.postMessage", 500, after_effect=True)
    double.fail_next("chat.postMessage", 500, times=3)
    with pytest.raises(AgendaNotPosted) as failed:
        poster(bot).run(AgendaKind.WEEKLY, at)
    assert failed.value.retry_at == local(3, 16, 7, 1).astimezone(timezone.utc)
    (parent,) = parents(bot)
    assert part_claims(bot, parent) == []
    row = agenda_row(bot)
    assert row.status is AgendaStatus.FAILED and row.message_ts == parent["ts"] and row.parts_posted == []
    assert poster(bot).run(AgendaKind.WEEKLY, local(3, 16, 7, 0)) == "weekly 2026-W12: failed before, retried after 2026-03-16T12:01:00+00:00"
    assert poster(bot).run(AgendaKind.WEEKLY, local(3, 16, 7, 1)) == "posted the weekly agenda 2026-W12: 2 replies, 3 native charts"
    assert [m["ts"] for m in parents(bot)] == [parent["ts"]] and part_claims(bot, parent) == ["details", "charts"]
    assert tuple(sections(bot, parent)) == PARTS
    assert agenda_row(bot).status is AgendaStatus.DONE and agenda_row(bot).attempts == 2
    assert_posted_once(bot)


@SQLITE_ONLY
def test_rate_limits_are_waited_out_and_nothing_is_posted_twice(bot, clock, double):
    seed(bot, clock)
    double.fail_next("chat.postMessage", 429, retry_after=0)
    assert poster(bot).run(AgendaKind.WEEKLY, local(3, 16, 7, 0)) == "posted the weekly agenda 2026-W12: parent, 2 replies, 3 native charts"
    statuses = [call.status for call in double.calls_to("chat.postMessage") if claim_of({"metadata": call.params.get("metadata")}).startswith("agenda-")]
    assert statuses.count(429) == 1 and statuses.count(200) == 3  # the parent, the details, the charts
    assert_posted_once(bot)


@SQLITE_ONLY
def test_rate_limits_on_the_png_upload_are_waited_out_and_it_is_shared_once(bot, clock, double):
    seed(bot, clock)
    double.refuse_native_blocks()
    double.fail_next("files.completeUploadExternal", 429, retry_after=0)
    assert poster(bot).run(AgendaKind.WEEKLY, local(3, 16, 7, 0)) == "posted the weekly agenda 2026-W12: parent, 2 replies, 3 PNG charts"
    (parent,) = parents(bot)
    assert len(chart_files(bot, parent)) == 3 and len([m for m in thread(bot, parent["ts"]) if m.get("subtype") == "file_share"]) == 1
    assert_posted_once(bot)


def refused(double) -> list:
    return [call for call in double.calls_to("chat.postMessage") if (call.response or {}).get("error") == "invalid_blocks"]


@SQLITE_ONLY
def test_a_slack_without_native_blocks_gets_the_same_messages_and_one_upload_of_pngs(bot, clock, double):
    seed(bot, clock)
    double.refuse_native_blocks()  # an older Slack: invalid_blocks for charts and tables
    at = local(3, 16, 7, 0)
    assert poster(bot).run(AgendaKind.WEEKLY, at) == "posted the weekly agenda 2026-W12: parent, 2 replies, 3 PNG charts"
    (parent,) = parents(bot)
    run = agenda_row(bot)
    assert part_claims(bot, parent) == ["details"] and run.parts_posted == ["details", "charts"]
    assert tuple(sections(bot, parent)) == PARTS and native(reply(bot, parent, "details")) == []
    assert len(refused(double)) == 1  # the details, refused once (nothing posted), then posted without charts and table
    (upload,) = double.calls_to("files.completeUploadExternal")  # one upload with every chart
    assert sorted(chart_files(bot, parent)) == sorted(f"agenda-{run.id}-{name}.png" for name in ("primary", "sla", "okr"))
    assert all(file.content.startswith(b"\x89PNG") and file.thread_ts == parent["ts"] for file in double.files.values())
    assert upload.params["initial_comment"] == "Gráficos" and len(thread(bot, parent["ts"])) == 2
    assert "S11 $45.000.000" in shown(sections(bot, parent)["kpis"])  # the chart's numbers, in the text
    assert_posted_once(bot)
    # Remembered for the workspace for a day: the next agenda goes straight to PNGs.
    with bot.runtime.session_factory() as session:
        workspace_id = repositories.workspace_by_slack_id(session, slack_team_id=double.team_id).id
        refused_at = session.get(Workspace, workspace_id).native_blocks_refused_at
        assert refused_at is not None
        assert not native_blocks.allowed(session, workspace_id=workspace_id, now=refused_at + timedelta(hours=23))
        assert native_blocks.allowed(session, workspace_id=workspace_id, now=refused_at + timedelta(days=1))
    assert poster(bot).run(AgendaKind.WEEKLY, local(3, 23, 7, 0)) == "posted the weekly agenda 2026-W13: parent, 2 replies, 3 PNG charts"
    assert len(refused(double)) == 1  # not offered again


def test_a_chart_upload_whose_answer_was_lost_is_not_uploaded_again(bot, clock, double):
    seed(bot, clock)
    double.refuse_native_blocks()
    double.fail_next("files.completeUploadExternal", 500, after_effect=True)  # shared in the thread, answer lost
    with pytest.raises(AgendaNotPosted):
        poster(bot).run(AgendaKind.WEEKLY, local(3, 16, 7, 0))
    (parent,) = parents(bot)
    run = agenda_row(bot)
    assert len(chart_files(bot, parent)) == 3 and "charts" not in run.parts_posted
    assert poster(bot).run(AgendaKind.WEEKLY, local(3, 16, 7, 2)) == "posted the weekly agenda 2026-W12: 0 replies, 0 PNG charts"
    assert sorted(chart_files(bot, parent)) == sorted(f"agenda-{run.id}-{name}.png" for name in ("primary", "sla", "okr"))
    assert agenda_row(bot).parts_posted == ["details", "charts"] and len(double.calls_to("files.completeUploadExternal")) == 1
    assert_posted_once(bot)


# Start-up and missed runs -----------------------------------------------------------------------------------


@SQLITE_ONLY
def test_a_missed_run_is_posted_at_start_up_while_its_meeting_has_not_started(bot, clock, double):
    # The bot was down from before 07:00 until 08:40: the agenda is still useful.
    line = poster(bot).catch_up(local(3, 16, 8, 40))
    assert "posted the weekly agenda 2026-W12" in line and "monthly: nothing due" in line
    assert len(parents(bot)) == 1
    # The same catch-up fires when the scheduler starts: the agenda jobs are due at once, the others at their minute.
    scheduler = build_scheduler(bot.runtime)
    started = datetime.now(timezone.utc)
    scheduler.start(paused=True)
    try:
        due_now = {job.id for job in scheduler.get_jobs() if job.next_run_time <= started + timedelta(seconds=5)}
    finally:
        scheduler.shutdown(wait=False)
    assert AT_START <= due_now and "okr-review" not in due_now


@SQLITE_ONLY
def test_a_missed_run_is_skipped_with_a_log_line_once_its_meeting_began(bot, clock, double, caplog):
    caplog.set_level(logging.WARNING, logger="services.agendas")
    line = poster(bot).catch_up(local(3, 16, 9, 30))
    assert line.startswith("weekly 2026-W12 skipped: its meeting already happened; weekly: nothing due")
    assert "skipped the weekly agenda 2026-W12 of team" in caplog.text
    assert parents(bot) == [] and agenda_row(bot).status is AgendaStatus.SKIPPED
    assert "skipped" not in poster(bot).catch_up(local(3, 16, 9, 35))  # logged once


# `alinea jobs run … --team T --at X` ---------------------------------------------------------------------------


@SQLITE_ONLY
def test_jobs_run_with_a_team_posts_the_weeks_agenda_now_unless_its_meeting_happened(bot, clock):
    assert job(bot, clock, "weekly-agenda", local(3, 11, 10)) == "weekly 2026-W11 skipped: the meeting already happened (2026-03-09T14:00:00+00:00)"
    assert job(bot, clock, "weekly-agenda", local(3, 16, 5, 0)) == "posted the weekly agenda 2026-W12: parent, 1 replies, 0 native charts"
    assert agenda_row(bot).claimed_by == "cli"
    assert job(bot, clock, "weekly-agenda", local(3, 16, 7, 0)) == "weekly 2026-W12: already done (posted before)"
    assert len(parents(bot)) == 1


@SQLITE_ONLY
def test_the_cli_posts_by_hand_once_and_says_already_done(bot, clock, double, settings):
    from tests.integration.test_cli import alinea

    env = {"DATABASE_URL": settings.database_url, "SLACK_BOT_TOKEN": "xoxb-cli", "SLACK_API_URL": double.base_url}
    first = alinea("jobs", "run", "weekly-agenda", "--team", "alineacion", "--at", "2026-03-16T05:00-05:00", env=env)
    assert first.returncode == 0, first.stderr
    assert "weekly-agenda alineacion 2026-03-16T10:00: done (posted the weekly agenda 2026-W12: parent, 1 replies, 0 native charts)" in first.stdout
    again = alinea("jobs", "run", "weekly-agenda", "--team", CHANNEL, "--at", "2026-03-16T07:00-05:00", env=env)
    assert again.returncode == 0 and "weekly 2026-W12: already done (posted before)" in again.stdout
    assert len(parents(bot)) == 1


# Charts never block an agenda ------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_a_chart_that_fails_to_render_is_logged_and_skipped(bot, clock, double, monkeypatch, caplog):
    seed(bot, clock)

    def broken(trend):
        raise ValueError("no font for this")

    monkeypatch.setattr("services.agenda_charts.trend_png", broken)
    double.refuse_native_blocks()
    assert poster(bot).run(AgendaKind.WEEKLY, local(3, 16, 7, 0)) == "posted the weekly agenda 2026-W12: parent, 2 replies, 2 PNG charts"
    assert "the primary chart of agenda-" in caplog.text
    (parent,) = parents(bot)
    assert sorted(name.rsplit("-", 1)[1] for name in chart_files(bot, parent)) == ["okr.png", "sla.png"]
    assert agenda_row(bot).status is AgendaStatus.DONE


# The monthly agenda and the OKR reviews ---------------------------------------------------------------------------


def test_the_monthly_agenda_asks_each_objectives_review_once(bot, clock, double):
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)
        objective = okr.create_objective(session, team=team, actor=ANA, draft=parse_objective("Fidelizar"), now=CREATED)
        draft = okr.parse_key_result_line(session, team=team, text="clientes con recompra de 200 a 300 al 31/03/2026 dueño <@U0ANA>", today=date(2026, 3, 2))
        okr.add_key_result(session, team=team, actor=ANA, objective_id=objective.id, draft=draft, now=CREATED)
    with_team(bot, kpis.record, key="sales_cop", value=Decimal(5000000), shown="5000000", period=Period.day(date(2026, 3, 10)),
              source="slack", actor=LUIS, note="", now=local(3, 10))  # fmt: skip
    detail = job(bot, clock, "monthly-agenda", local(4, 7, 7, 0))  # first Tuesday of April, 09:00 meeting
    assert detail.startswith("posted the monthly agenda 2026-04: parent, 2 replies")
    (parent,) = parents(bot)
    assert part_claims(bot, parent) == ["details", "charts"]
    assert tuple(sections(bot, parent)) == ("kpis", "sla", "breaches", "okr", "topics", "glossary")
    assert "Agenda mensual · alineacion" in shown(parent) and "marzo de 2026" in shown(parent)
    okr_part = sections(bot, parent)["okr"]
    assert "*O1* Fidelizar: su revisión se publica ahora en el canal" in shown(okr_part)
    reviews = [m for m in double.messages(CHANNEL) if claim_of(m).startswith("okr-review-")]
    assert len(reviews) == 1 and "O1" in render(reviews[0])
    # The okr-review job shares the claim: it does not ask again.
    assert job(bot, clock, "okr-review", local(4, 7, 8, 7)).startswith("claimed 0 reviews; posted 0")
    assert len([m for m in double.messages(CHANNEL) if claim_of(m).startswith("okr-review-")]) == 1
    assert_posted_once(bot)


# By hand: `/alinea agenda vista|publicar` through the signed endpoint ---------------------------------------------


@SQLITE_ONLY
def test_the_preview_is_private_and_claims_nothing(bot, clock, double):
    seed(bot, clock)
    clock.now = local(3, 12, 10)
    _, reply = bot.command("agenda vista", user_id=PEDRO, channel_id=CHANNEL, timeout=30)
    assert reply.params["response_type"] == "ephemeral"
    text = shown(reply.params)
    assert "Vista previa, solo para ti" in text and "lunes 16 mar, 07:00" in text and "Agenda semanal" in text
    with bot.runtime.session_factory() as session:
        assert session.scalars(select(Agenda)).all() == []
    assert parents(bot) == []
    _, monthly = bot.command("agenda vista mensual", user_id=PEDRO, channel_id=CHANNEL, timeout=30)
    assert "agenda mensual" in shown(monthly.params)
    _, wrong = bot.command("agenda vista trimestral", user_id=PEDRO, channel_id=CHANNEL)
    assert "No conozco `trimestral`" in wrong.params["text"] and "`semanal` o `mensual`" in wrong.params["text"]


@SQLITE_ONLY
def test_an_admin_posts_the_agenda_now_once_per_period(bot, clock, double):
    clock.now = local(3, 12, 10)  # Thursday: this week's meeting (Monday 9 March) already happened
    _, refused = bot.command("agenda publicar", user_id=PEDRO, channel_id=CHANNEL)
    assert "Solo los administradores" in refused.params["text"] and parents(bot) == []
    _, late = bot.command("agenda publicar", user_id=ROSA, channel_id=CHANNEL)
    assert "ya empezó" in late.params["text"] and "lunes 16 mar, 07:00" in late.params["text"] and parents(bot) == []
    clock.now = local(3, 16, 5, 30)  # early on Monday: the meeting of the week has not started
    _, posted = bot.command("agenda publicar semanal", user_id=ROSA, channel_id=CHANNEL, timeout=30)
    assert "Publiqué la agenda semanal en <#C0TEAM>" in posted.params["text"] and "|Abrirla>" in posted.params["text"]
    (parent,) = parents(bot)
    assert "lunes 16 mar, 09:00" in shown(parent) and agenda_row(bot).claimed_by == ROSA
    double.add_user("U0BOSS", name="boss", is_admin=True)  # a Slack workspace admin may too: told it is out already
    _, again = bot.command("agenda publicar", user_id="U0BOSS", channel_id=CHANNEL)
    assert "ya se publicó en <#C0TEAM>" in again.params["text"] and "archives/C0TEAM/p" in again.params["text"]
    assert scheduler_fire(bot, clock, "weekly-agenda", local(3, 16, 7, 0)) == {"alineacion": "weekly 2026-W12: already done (posted before)"}
    assert len(parents(bot)) == 1
    assert_posted_once(bot)
