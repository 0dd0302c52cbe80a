"""A simulated month of SLAs, end to end, on SQLite and PostgreSQL: values logged in Slack,
periods closing in Bogotá, the jobs run as the scheduler (or `alinea jobs run --at`) would, a
breach acknowledged with the button and modal, another by a thread reply, one escalating through
both levels across a public holiday, and a restart between claiming an escalation and posting it.

Time is a parameter: the app's clock and the jobs' `at` move together."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.blocks.sla_breach import ACK_VIEW, ACKNOWLEDGE, NOTE, PLAN, PLAN_DUE, PLAN_OWNER, REASON, VALUE
from bot.jobs import run_job
from bot.loopback import LoopbackBot
from bot.scheduler import job_named
from bot.transcript import render
from db import repositories
from db.models import SlaBreach, SlaBreachStep
from domain.periods import Period
from domain.setup import SetupChanges
from domain.sla import parse_commitment
from services import breach_escalation, kpis, sla, sla_breaches, teams, workspaces
from services.job_runs import Outcome
from services.teams import TeamDefaults
from tests.support.clock import Clock

BOGOTA = ZoneInfo("America/Bogota")
CHANNEL = "C0TEAM"
ANA, LUIS, MARTA, ROSA, PEDRO = "U0ANA", "U0LUIS", "U0MARTA", "U0ROSA", "U0PEDRO"  # mkt lead, sales leads, admin, nobody


def local(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=BOGOTA)


@pytest.fixture
def clock():
    return Clock(local(3, 2, 8))


def start_bot(settings, double, clock, transport: str = "http") -> LoopbackBot:
    return LoopbackBot(settings, double=double, clock=clock, transport=transport)


@pytest.fixture
def bot(settings, double, clock, transport):
    for user_id in (LUIS, MARTA, ROSA, PEDRO):
        double.add_user(user_id, name=user_id.lower(), locale="es-LA")
    with start_bot(settings, double, clock, transport) as bot:
        with bot.runtime.session_factory.begin() as session:
            workspace = workspaces.ensure_workspace(session, slack_team_id=double.team_id, defaults=bot.runtime.workspace_defaults, now=clock.now)
            teams.setup_team(
                session, workspace_id=workspace.id, channel_id=CHANNEL, channel_name="alineacion", actor=ROSA,
                is_workspace_admin=True, changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS, MARTA), admins=(ROSA,)),
                defaults=TeamDefaults("America/Bogota", "es"), now=clock.now,
            )
            team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)
            kpis.enable_starter_set(session, team=team, actor=ANA, now=clock.now, language="es")
        for line, proposer, accepter in (
            ("ventas followup_hours <= 24 semanal", LUIS, ANA),
            ("mercadeo leads_mql >= 100 semanal", ANA, LUIS),
            ("ventas contact_attempts >= 3 semanal", MARTA, ANA),
        ):
            activate(bot, line, proposer, accepter, clock.now)
        yield bot


def with_team(bot, action, **kwargs):
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)
        return action(session, team=team, **kwargs)


def activate(bot, line, proposer, accepter, now):
    proposal = with_team(bot, sla.propose, actor=proposer, terms=parse_commitment(line), now=now)
    assert with_team(bot, sla.accept, version_id=proposal.version.id, actor=accepter, now=now).active


# Driving Slack and time ------------------------------------------------------------------------------------


def say(bot, text, user_id=LUIS):
    _, reply = bot.command(text, user_id=user_id, channel_id=CHANNEL)
    assert reply.ok, reply.response
    return render(reply.params)


def run(bot, clock, job, at):
    clock.now = at
    (result,) = run_job(bot.runtime, job_named(job), at=at, team_ref=CHANNEL)
    assert result.outcome is Outcome.DONE, result.line()
    return result.detail


def posts(bot, prefix):
    return [m for m in bot.double.messages(CHANNEL) if claim_of(m).startswith(prefix)]


def claim_of(message):
    return ((message.get("metadata") or {}).get("event_payload") or {}).get("claim", "")


def shown(message) -> str:
    """What the channel shows, with the narrow spaces Babel puts before units read as spaces."""
    return render(message).replace("\xa0", " ")


def thread(bot, ts):
    return [m for m in bot.double.messages(CHANNEL) if m.get("thread_ts") == ts and m["ts"] != ts]


def breach_post(bot, number):
    (message,) = [m for m in posts(bot, "sla-breach-") if m.get("thread_ts") in (None, m["ts"]) and f"B{number} " in render(m)]
    return message


def reply_in_thread(bot, ts, user_id, text, **extra):
    event = {"type": "message", "channel": CHANNEL, "channel_type": "channel", "user": user_id, "text": text,
             "ts": f"{datetime.now().timestamp():.6f}", "thread_ts": ts, **extra}
    assert bot.driver.event(event).ok


def breach_row(bot, number) -> SlaBreach:
    with bot.runtime.session_factory() as session:
        return session.query(SlaBreach).filter_by(number=number).one()


# The month ----------------------------------------------------------------------------------------------


@pytest.mark.both_transports
def test_a_month_of_slas_breaches_acknowledgements_and_escalation(bot, clock, double):
    # Week 10 (2–8 March): slow follow-up, few leads until Thursday, no contact attempts logged.
    clock.now = local(3, 3, 10)
    say(bot, "registrar followup_hours 30 para 3/3/2026")
    say(bot, "registrar leads_mql 20 para 2/3/2026", user_id=ANA)
    assert "flagged at risk" in run(bot, clock, "sla-evaluate", local(3, 5, 12, 15))
    slow, few = (render(m) for m in posts(bot, "sla-risk-"))  # an average over 24 h; 20 of 100 leads past mid-week
    assert "SLA1 en riesgo" in slow and "<@U0LUIS>" in slow and "SLA2 en riesgo" in few and "<@U0ANA>" in few
    run(bot, clock, "sla-evaluate", local(3, 5, 12, 30))
    assert len(posts(bot, "sla-risk-")) == 2  # flagged once per period
    clock.now = local(3, 7, 18)
    assert "60" in say(bot, "registrar leads_mql 60 para 7/3/2026", user_id=ANA)

    # Monday 9 March, 00:15: the week closed in Bogotá.
    detail = run(bot, clock, "sla-evaluate", local(3, 9, 0, 15))
    assert detail.startswith("evaluated 3 periods: 2 breached, 1 without data")
    b1, b2 = breach_post(bot, 1), breach_post(bot, 2)
    assert "*Resultado:* 30 h en semana 10 de 2026 (2–8 mar); 6 h por encima del límite" in shown(b1)
    assert "*Tendencia:* — → — → — → 30 h" in shown(b1)
    assert "<@U0LUIS>" in shown(b1) and "<@U0ANA>" in shown(b2) and "80 en semana 10 de 2026 (2–8 mar); faltaron 20" in shown(b2)
    (no_data,) = posts(bot, "sla-no-data-")
    assert "SLA3 sin datos" in render(no_data) and "<@U0LUIS>" in render(no_data)  # the side's first lead by default
    again = run_job(bot.runtime, job_named("sla-evaluate"), at=local(3, 9, 0, 15), team_ref=CHANNEL)
    assert again[0].outcome is Outcome.ALREADY_DONE

    # B1 acknowledged with the button and its modal, by the responsible lead.
    clock.now = local(3, 9, 10)
    result = bot.driver.block_action(ACKNOWLEDGE, value=str(breach_row(bot, 1).id), user_id=LUIS, channel_id=CHANNEL,
                                     message={"ts": b1["ts"]}, trigger_id="T0ACK")
    assert result.ok
    (opened,) = double.wait_for("views.open")
    view = opened.params["view"] if isinstance(opened.params["view"], dict) else json.loads(opened.params["view"])
    assert view["callback_id"] == ACK_VIEW
    values = {
        REASON: {VALUE: {"type": "static_select", "selected_option": {"value": "staffing"}}},
        NOTE: {VALUE: {"type": "plain_text_input", "value": "Dos asesores de vacaciones <!channel>"}},
        PLAN: {VALUE: {"type": "plain_text_input", "value": "Reasignar leads a Marta"}},
        PLAN_OWNER: {VALUE: {"type": "users_select", "selected_user": MARTA}},
        PLAN_DUE: {VALUE: {"type": "datepicker", "selected_date": "2026-03-13"}},
    }
    assert bot.driver.view_submission(ACK_VIEW, values, private_metadata=view["private_metadata"], user_id=LUIS).ok
    double.wait_for("chat.update", lambda c: c.params.get("ts") == b1["ts"])
    (ack_reply,) = thread(bot, b1["ts"])
    assert "<@U0LUIS> reconoció B1" in render(ack_reply) and "&lt;!channel&gt;" in render(ack_reply)
    redrawn = breach_post(bot, 1)
    assert "Reconocido por <@U0LUIS>" in render(redrawn) and "Reasignar leads a Marta" in render(redrawn)
    assert not any(e.get("action_id") == ACKNOWLEDGE for b in redrawn["blocks"] if b["type"] == "actions" for e in b["elements"])

    # B2 by a thread reply: an outsider is refused privately, chatter is left alone, the lead acknowledges.
    reply_in_thread(bot, b2["ts"], PEDRO, "ack tráfico")
    (refusal,) = double.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == PEDRO)
    assert "Solo el líder responsable" in refusal.params["text"] and refusal.params["thread_ts"] == b2["ts"]
    reply_in_thread(bot, b2["ts"], ANA, "gracias, lo miro")
    reply_in_thread(bot, b2["ts"], ANA, "recibido tráfico la pauta se pausó el martes")
    double.wait_for("chat.postMessage", lambda c: c.params.get("thread_ts") == b2["ts"])
    assert breach_row(bot, 2).status.value == "acknowledged" and breach_row(bot, 2).reason == "low_traffic"
    assert breach_row(bot, 2).note == "la pauta se pausó el martes"
    reply_in_thread(bot, b2["ts"], ANA, "ack otro", bot_id="B0SELF")  # a bot's own message: ignored

    # Week 11: follow-up still slow (B3), leads recover (B2 resolves), contact attempts logged late for week 10.
    clock.now = local(3, 12, 10)
    say(bot, "registrar followup_hours 35 para 10/3/2026")
    say(bot, "registrar leads_mql 120 para 11/3/2026", user_id=ANA)
    say(bot, "registrar contact_attempts 3,5 para 4/3/2026", user_id=MARTA)
    detail = run(bot, clock, "sla-evaluate", local(3, 16, 0, 15))
    assert "1 breaches resolved" in detail
    assert any("B2 quedó resuelto" in render(m) for m in thread(bot, b2["ts"]))
    b3 = breach_post(bot, 3)
    assert breach_row(bot, 3).posted_at is not None

    # B3 nobody acknowledges: a reminder after 24 working hours (Wednesday 14:00)...
    assert run(bot, clock, "sla-escalate", local(3, 18, 13, 45)).startswith("0 reminders")
    run(bot, clock, "sla-escalate", local(3, 18, 14, 0))
    (reminder,) = thread(bot, b3["ts"])
    assert "⏰ <@U0LUIS>" in render(reminder)
    # ... and the escalation after a second window: Monday 23 March is San José, a holiday, so
    # it falls due on Tuesday 24 March at 11:00 instead of Monday at 11:00.
    assert run(bot, clock, "sla-escalate", local(3, 23, 16, 0)).startswith("0 reminders")
    # A replica claims the escalation and dies before posting it (the claim is committed).
    assert with_team(bot, breach_escalation.escalate, now=local(3, 24, 11, 0)) == 1
    assert len(thread(bot, b3["ts"])) == 1
    run(bot, clock, "sla-escalate", local(3, 24, 11, 15))  # the next run posts it, once
    run(bot, clock, "sla-escalate", local(3, 24, 11, 30))
    replies = [render(m) for m in thread(bot, b3["ts"])]
    assert len(replies) == 2 and replies[1].startswith("📣") and "<@U0ANA>" in replies[1] and "<@U0ROSA>" in replies[1]
    assert breach_row(bot, 3).step == "escalated" and "Escalado" in render(breach_post(bot, 3))
    # What the monthly meeting will see: March's breaches with their reasons and plans.
    month = with_team(bot, sla_breaches.breaches_for_month, month=Period.month(2026, 3))
    assert [(b.label, b.status.value) for b in month] == [("B1", "acknowledged"), ("B2", "resolved"), ("B3", "open")]
    assert month[0].plan == "Reasignar leads a Marta" and month[0].plan_owner == MARTA
    # Nothing was ever posted twice.
    claims = [claim_of(m) for m in bot.double.messages(CHANNEL) if claim_of(m)]
    assert len(claims) == len(set(claims))


def test_restart_between_claiming_an_escalation_and_posting_it(bot, clock, double, settings):
    clock.now = local(3, 3, 10)
    say(bot, "registrar followup_hours 30 para 3/3/2026")
    run(bot, clock, "sla-evaluate", local(3, 9, 0, 15))
    b1 = breach_post(bot, 1)
    # Slack is down for the whole reminder run: the step is claimed, the post waits.
    double.fail_next("chat.postMessage", 500, times=6)
    assert "1 waiting for Slack" in run(bot, clock, "sla-escalate", local(3, 11, 14, 0))
    assert thread(bot, b1["ts"]) == []
    # A replica claims the escalation and dies before posting it.
    assert with_team(bot, breach_escalation.escalate, now=local(3, 16, 11, 0)) == 1
    # A new process (the old one no longer acts) picks up both pending posts.
    with start_bot(settings, double, clock) as restarted:
        run(restarted, clock, "sla-escalate", local(3, 16, 11, 15))
        run(restarted, clock, "sla-escalate", local(3, 16, 11, 30))
        replies = [render(m) for m in thread(restarted, b1["ts"])]
    assert len(replies) == 2 and replies[0].startswith("⏰") and replies[1].startswith("📣")
    assert "<@U0ANA>" in replies[1] and "<@U0ROSA>" in replies[1]  # the other side's lead and the admin
    with restarted.runtime.session_factory() as session:
        steps = [(s.kind, s.message_ts is not None) for s in session.query(SlaBreachStep).order_by(SlaBreachStep.id)]
    assert steps == [("reminded", True), ("escalated", True)]


# Refusals and retries -----------------------------------------------------------------------------------


def first_breach(bot, clock):
    clock.now = local(3, 3, 10)
    say(bot, "registrar followup_hours 30 para 3/3/2026")
    run(bot, clock, "sla-evaluate", local(3, 9, 0, 15))
    clock.now = local(3, 9, 10)
    return breach_post(bot, 1)


def click(bot, action_id, message, user_id):
    result = bot.driver.block_action(action_id, value=str(breach_row(bot, 1).id), user_id=user_id, channel_id=CHANNEL,
                                     message={"ts": message["ts"]}, trigger_id=f"T0{user_id}")
    assert result.ok
    return result


@pytest.mark.both_transports
def test_the_buttons_refuse_people_who_may_not_act_privately_and_open_nothing(bot, clock, double):
    b1 = first_breach(bot, clock)
    refused = click(bot, ACKNOWLEDGE, b1, PEDRO)
    (answer,) = double.wait_for_response(refused.response_url)
    assert "Solo el líder responsable" in answer.params["text"] and answer.params["response_type"] == "ephemeral"
    assert double.calls_to("views.open") == []
    assert breach_row(bot, 1).status.value == "open"
    reply_in_thread(bot, b1["ts"], MARTA, "recibido personal")  # another lead of the responsible side may
    double.wait_for("chat.postMessage", lambda c: c.params.get("thread_ts") == b1["ts"])
    late = click(bot, ACKNOWLEDGE, b1, LUIS)
    (answer,) = double.wait_for_response(late.response_url)
    assert "<@U0MARTA> ya reconoció B1" in answer.params["text"]


@pytest.mark.both_transports
def test_a_retried_thread_reply_counts_once_and_a_wrong_reason_is_explained_privately(bot, clock, double):
    b1 = first_breach(bot, clock)
    reply_in_thread(bot, b1["ts"], LUIS, "ack trafic")
    (hint,) = double.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == LUIS)
    assert "`trafic` no es una razón. ¿Quisiste decir `trafico`?" in hint.params["text"] and hint.params["thread_ts"] == b1["ts"]
    assert breach_row(bot, 1).status.value == "open"
    event = {"type": "message", "channel": CHANNEL, "user": LUIS, "text": "ack tracking el píxel se cayó",
             "ts": "1773100000.000200", "thread_ts": b1["ts"]}
    assert bot.driver.event(event, event_id="Ev0RETRY").ok
    assert bot.driver.event(event, event_id="Ev0RETRY", retry_num=1).ok
    double.wait_for("chat.postMessage", lambda c: c.params.get("thread_ts") == b1["ts"])
    with bot.runtime.session_factory() as session:
        assert session.query(SlaBreachStep).filter_by(kind="acknowledged").count() == 1
    assert breach_row(bot, 1).reason == "tracking" and breach_row(bot, 1).note == "el píxel se cayó"
    reply_in_thread(bot, b1["ts"], LUIS, "ack otro")  # twice: told privately, nothing changes
    (twice,) = double.wait_for("chat.postEphemeral", lambda c: "ya reconoció" in c.params.get("text", ""))
    assert twice.params["user"] == LUIS and breach_row(bot, 1).reason == "tracking"


def test_a_resolved_breach_cannot_be_acknowledged(bot, clock, double):
    b1 = first_breach(bot, clock)
    clock.now = local(3, 11, 10)
    say(bot, "registrar followup_hours 10 para 10/3/2026")
    run(bot, clock, "sla-evaluate", local(3, 16, 0, 15))
    reply_in_thread(bot, b1["ts"], LUIS, "recibido otro")
    (refusal,) = double.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == LUIS)
    assert "B1 ya se resolvió" in refusal.params["text"]
    assert breach_row(bot, 1).status.value == "resolved" and "Resuelto" in render(breach_post(bot, 1))
