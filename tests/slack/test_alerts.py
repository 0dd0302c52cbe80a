"""KPI alert rules end to end: created in Slack, checked on each new value, posted once per
episode in the team's channel, and caught up by the alerts-post job after a Slack outage."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.jobs import run_job
from bot.loopback import LoopbackBot
from bot.scheduler import job_named
from bot.transcript import render
from domain.setup import SetupChanges
from services import teams, workspaces
from services.teams import TeamDefaults
from tests.support.clock import Clock

START = datetime(2026, 3, 2, 14, 0, tzinfo=timezone.utc)



@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def bot(settings, double, clock):
    with LoopbackBot(settings, double=double, clock=clock) as bot:
        with bot.runtime.session_factory.begin() as session:
            workspace = workspaces.ensure_workspace(session, slack_team_id=double.team_id, defaults=bot.runtime.workspace_defaults, now=START)
            teams.setup_team(
                session, workspace_id=workspace.id, channel_id="C0TEAM", channel_name="alineacion", actor="U0ANA",
                is_workspace_admin=False, changes=SetupChanges(marketing_leads=("U0ANA",)),
                defaults=TeamDefaults("America/Bogota", "es"), now=START,
            )
        bot.command("kpi plantillas")
        yield bot


def say(bot, text):
    _, reply = bot.command(text)
    assert reply.ok, reply.response
    return render(reply.params)


def alerts_in_channel(bot):
    return [render(m) for m in bot.double.messages("C0TEAM") if (m.get("metadata") or {}).get("event_payload", {}).get("claim", "").startswith("alert-")]


def test_a_rule_posts_once_per_episode(bot, clock):
    assert "Alerta creada" in say(bot, "alerta nueva cart_abandonment sube 3 puntos en 48 horas")
    say(bot, "registrar cart_abandonment 68 %")
    clock.advance(hours=20)
    say(bot, "registrar cart_abandonment 71,5 %")  # +3.5 points in 20 hours: fires
    clock.advance(hours=2)
    say(bot, "registrar cart_abandonment 72 %")  # still firing: the same episode, no second post
    (posted,) = alerts_in_channel(bot)
    assert "*Abandono de carrito* subió 3,5 puntos en 20 horas: de 68" in posted
    clock.advance(hours=30)
    say(bot, "registrar cart_abandonment 71 %")  # no rise of 3 within 48 h: the episode ends
    clock.advance(hours=24)  # values are one per day: the next day's value rises from this one
    say(bot, "registrar cart_abandonment 74,5 %")  # a new rise: a new episode, posted again
    assert len(alerts_in_channel(bot)) == 2
    listing = say(bot, "alerta lista")
    assert "sube 3 puntos en 48 h" in listing and "🔴" in listing


def test_an_alert_delayed_by_slack_is_posted_later_by_the_job(bot, clock, double):
    say(bot, "alerta nueva cart_abandonment sube 3 puntos en 48 horas")
    say(bot, "registrar cart_abandonment 68 %")
    clock.advance(hours=24)
    double.fail_next("chat.postMessage", status=503, times=3)  # Slack is down for the post
    assert "Registré" in say(bot, "registrar cart_abandonment 75 %")  # the value itself is safe
    assert alerts_in_channel(bot) == []
    results = run_job(bot.runtime, job_named("alerts-post"), at=clock.now)
    assert [r.detail for r in results] == ["posted 1 alerts"]
    assert len(alerts_in_channel(bot)) == 1
    run_job(bot.runtime, job_named("alerts-post"), at=clock.now)  # nothing left: never twice
    assert len(alerts_in_channel(bot)) == 1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("alerta nueva cart_abandonmen sube 3 puntos en 48 horas", "¿Quisiste decir `cart_abandonment`?"),
        ("alerta nueva cart_abandonment vuela 3 puntos en 48 horas", "sube"),
        ("alerta nueva cart_abandonment sube 0 puntos en 48 horas", "0"),
        ("alerta borrar 99", "número 99"),
        ("alerta borrar todo", "/alinea alerta borrar 2"),
    ],
)
def test_bad_alert_commands_are_answered_privately(bot, text, expected):
    assert expected in say(bot, text)
    assert "Este equipo no tiene alertas" in say(bot, "alerta lista")


def test_a_deleted_rule_stops_posting(bot, clock):
    say(bot, "alerta nueva cart_abandonment sube 3 puntos en 48 horas")
    assert "Alerta borrada" in say(bot, "alerta borrar 1")
    say(bot, "registrar cart_abandonment 60 %")
    clock.advance(hours=24)
    say(bot, "registrar cart_abandonment 70 %")
    assert alerts_in_channel(bot) == []


def test_only_the_creator_or_a_team_member_deletes_a_rule(bot, double):
    double.add_user("U0PEDRO", name="pedro", locale="es-LA")
    say(bot, "alerta nueva cart_abandonment sube 3 puntos en 48 horas")
    _, reply = bot.command("alerta borrar 1", user_id="U0PEDRO")
    assert "Solo quien creó la alerta #1" in reply.params["text"]
    assert "sube 3 puntos" in say(bot, "alerta lista")  # still there
