"""The OKR rhythm end to end, through the signed endpoint and the Slack double: the check-in
reminder DM'd once before the weekly meeting (whatever runs, replicas and Slack outages do),
the review posted once after an objective's last deadline, answered in its thread or its form,
and the one `message` listener that hands thread replies to SLA breaches and OKR reviews.

Time is a parameter: the app's clock and the jobs' `at` move together. The team's weekly
meeting is the default one, Monday 09:00 in Bogotá; objectives and KRs are created through the
services (the OKR commands have their own tests)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import okr_posts
from bot.blocks.okr_rhythm import CHECKIN_OPEN, REVIEW_ANSWER, REVIEW_VIEW, VALUE
from bot.jobs import run_job
from bot.loopback import LoopbackBot
from bot.notifier import Notifier
from bot.scheduler import job_named
from bot.transcript import render
from commands.threads import feature_for
from db import repositories
from db.models import OkrReminder, OkrReviewAnswer, SlaBreach
from domain.okr import CheckIn, KeyResult, Objective, ObjectiveKind
from domain.setup import SetupChanges
from domain.sla import parse_commitment
from services import kpis, okr, okr_rhythm, sla, teams, workspaces
from services.job_runs import Outcome
from services.teams import TeamDefaults
from tests.support.clock import Clock

BOGOTA = ZoneInfo("America/Bogota")
CHANNEL = "C0TEAM"
ANA, LUIS, MARTA, ROSA, PEDRO = "U0ANA", "U0LUIS", "U0MARTA", "U0ROSA", "U0PEDRO"  # mkt lead, sales leads, admin, nobody
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def local(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=BOGOTA)


@pytest.fixture
def clock():
    return Clock(local(3, 2, 8))


@pytest.fixture
def language():
    return "es"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """The Notifier waits 1 s and 2 s between attempts at a post; the tests need not."""
    monkeypatch.setattr(okr_posts, "Notifier", lambda client: Notifier(client, sleep=lambda _seconds: None))


@pytest.fixture
def bot(settings, double, clock, language, transport):
    for user_id in (LUIS, MARTA, ROSA, PEDRO):
        double.add_user(user_id, name=user_id.lower(), locale="es-LA")
    with LoopbackBot(settings, double=double, clock=clock, transport=transport) as bot:
        with bot.runtime.session_factory.begin() as session:
            workspace = workspaces.ensure_workspace(session, slack_team_id=double.team_id, defaults=bot.runtime.workspace_defaults, now=clock.now)
            teams.setup_team(
                session, workspace_id=workspace.id, channel_id=CHANNEL, channel_name="alineacion", actor=ROSA,
                is_workspace_admin=True, changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS, MARTA), admins=(ROSA,)),
                defaults=TeamDefaults("America/Bogota", language), now=clock.now,
            )
            team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)
            kpis.enable_starter_set(session, team=team, actor=ANA, now=clock.now, language=language)
        yield bot


def with_team(bot, action, **kwargs):
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)
        return action(session, team=team, **kwargs)


def manual_kr(number, metric, baseline, target, owner, *, deadline=(3, 31)):
    return KeyResult(number=number, metric=metric, baseline=Decimal(baseline), target=Decimal(target), start=local(3, 2).date(),
                     deadline=local(*deadline).date(), unit="%", owner=owner)


def objective_with_krs(bot, clock, *krs, title="Fidelizar clientes incrementando la recompra", kind=ObjectiveKind.COMMITTED):
    """O1 with its KRs, created by the marketing lead; returns the objective's id."""
    objective_id = with_team(bot, lambda session, team: okr.create_objective(
        session, team=team, actor=ANA, draft=Objective(title, kind), now=clock.now).id)
    for kr in krs:
        with_team(bot, okr.add_key_result, actor=ANA, objective_id=objective_id, draft=kr, now=clock.now)
    return objective_id


def check_in(bot, number, value, *, actor, at, confidence=7):
    with_team(bot, okr.check_in, actor=actor, checkin=CheckIn(number, Decimal(value), "%", confidence, ""), now=at)


def run(bot, clock, job, at):
    clock.now = at
    (result,) = run_job(bot.runtime, job_named(job), at=at, team_ref=CHANNEL)
    assert result.outcome is Outcome.DONE, result.line()
    return result.detail


def claim_of(message):
    return ((message.get("metadata") or {}).get("event_payload") or {}).get("claim", "")


def posts(bot, prefix):
    return [m for m in bot.double.messages(CHANNEL) if claim_of(m).startswith(prefix)]


def every_claim(double, *users):
    messages = double.messages(CHANNEL) + [m for user in users for m in double.direct_messages(user)]
    return [claim_of(m) for m in messages if claim_of(m)]


def buttons(message):
    found = [b["accessory"] for b in message["blocks"] if b.get("accessory")]
    found += [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    return [(button["action_id"], button["value"]) for button in found]


def reply_in_thread(bot, ts, user_id, text, *, event_id=None, retry_num=None, **extra):
    event = {"type": "message", "channel": CHANNEL, "channel_type": "channel", "user": user_id, "text": text,
             "ts": extra.pop("message_ts", f"{datetime.now().timestamp():.6f}"), "thread_ts": ts, **extra}
    assert bot.driver.event(event, event_id=event_id, retry_num=retry_num).ok


def answers(bot):
    with bot.runtime.session_factory() as session:
        return [(a.question, a.user_id, a.source, a.answer) for a in session.query(OkrReviewAnswer).order_by(OkrReviewAnswer.id)]


def whispers(double, user_id):
    return [c for c in double.calls_to("chat.postEphemeral") if c.params.get("user") == user_id]


# Reminders -----------------------------------------------------------------------------------------------


def test_one_reminder_dm_per_owner_waiting_for_a_checkin_before_the_meeting(bot, clock, double):
    objective_with_krs(bot, clock, manual_kr(1, "Recompra a 60 días", 20, 25, ANA), manual_kr(2, "Tasa de cierre", 10, 15, LUIS),
                       manual_kr(3, "Leads con respuesta en 1 h", 40, 80, ANA))
    check_in(bot, 2, 12, actor=LUIS, at=local(3, 5, 15))  # Luis is up to date for Monday 9 March

    assert run(bot, clock, "okr-remind", local(3, 8, 8, 55)).startswith("claimed 0 reminders")  # 24 h 5 min before
    assert double.calls_to("conversations.open") == [] and double.direct_messages(ANA) == []

    assert run(bot, clock, "okr-remind", local(3, 8, 9, 10)) == "claimed 1 reminders; posted 1, 0 waiting for Slack"
    (dm,) = double.direct_messages(ANA)
    shown = render(dm).replace("\xa0", " ")
    assert "La reunión semanal de <#C0TEAM> es el *lunes 9 mar, 09:00*" in shown
    assert "*KR1* Recompra a 60 días" in shown and "*KR3* Leads con respuesta en 1 h" in shown and "KR2" not in shown
    assert "sin valor aún (meta 25 %) · progreso 0 %" in shown
    assert "`/alinea okr checkin KR1 VALOR confianza 7`" in shown
    assert buttons(dm) == [(CHECKIN_OPEN, "1"), (CHECKIN_OPEN, "3")]
    assert claim_of(dm).startswith("okr-reminder-") and dm["text"].startswith("Check-in de OKR pendiente")
    assert double.direct_messages(LUIS) == []

    # Later runs in the window, a repeat of the same fire (a second replica) and a restart: nothing more.
    assert run(bot, clock, "okr-remind", local(3, 8, 9, 25)).startswith("claimed 0 reminders; posted 0")
    (again,) = run_job(bot.runtime, job_named("okr-remind"), at=local(3, 8, 9, 10), team_ref=CHANNEL)
    assert again.outcome is Outcome.ALREADY_DONE
    with LoopbackBot(bot.settings, double=double, clock=clock) as replica:
        (result,) = run_job(replica.runtime, job_named("okr-remind"), at=local(3, 9, 8, 40), team_ref=CHANNEL)
        assert result.outcome is Outcome.DONE and result.detail.startswith("claimed 0 reminders; posted 0")
    assert len(double.direct_messages(ANA)) == 1 and double.direct_messages(LUIS) == []

    # After the meeting started, nothing; the next week's window asks again, of both.
    assert run(bot, clock, "okr-remind", local(3, 9, 9, 10)).startswith("claimed 0 reminders; posted 0")
    assert run(bot, clock, "okr-remind", local(3, 15, 9, 10)).startswith("claimed 2 reminders; posted 2")
    assert len(double.direct_messages(ANA)) == 2 and len(double.direct_messages(LUIS)) == 1
    assert len(set(every_claim(double, ANA, LUIS))) == len(every_claim(double, ANA, LUIS)) == 3


def test_a_reminder_slack_refused_is_sent_once_by_the_next_run_and_never_after_the_meeting(bot, clock, double):
    objective_with_krs(bot, clock, manual_kr(1, "Recompra", 20, 25, ANA), manual_kr(2, "Tasa de cierre", 10, 15, LUIS))
    double.fail_next("chat.postMessage", 503, times=3)  # every attempt of the first DM (Ana's)
    assert run(bot, clock, "okr-remind", local(3, 8, 9, 10)) == "claimed 2 reminders; posted 1, 1 waiting for Slack"
    assert double.direct_messages(ANA) == [] and len(double.direct_messages(LUIS)) == 1
    # Slack posts but the answer is lost: the Notifier finds the DM in the conversation, no second copy.
    double.fail_next("chat.postMessage", 500, after_effect=True)
    assert run(bot, clock, "okr-remind", local(3, 8, 9, 25)) == "claimed 0 reminders; posted 1, 0 waiting for Slack"
    assert run(bot, clock, "okr-remind", local(3, 8, 9, 40)).startswith("claimed 0 reminders; posted 0")
    assert len(double.direct_messages(ANA)) == 1 and len(double.direct_messages(LUIS)) == 1
    with bot.runtime.session_factory() as session:
        assert all(row.message_ts for row in session.query(OkrReminder))

    # The next week Slack is down until the meeting starts: the reminder is not sent late.
    double.fail_next("chat.postMessage", 503, times=6)
    assert run(bot, clock, "okr-remind", local(3, 15, 9, 10)) == "claimed 2 reminders; posted 0, 2 waiting for Slack"
    assert run(bot, clock, "okr-remind", local(3, 16, 9, 10)).startswith("claimed 0 reminders; posted 0, 0 waiting")
    assert len(double.direct_messages(ANA)) == 1 and len(double.direct_messages(LUIS)) == 1


def test_a_reminder_posted_by_a_run_that_died_before_recording_it_is_not_sent_again(bot, clock, double):
    objective_with_krs(bot, clock, manual_kr(1, "Recompra", 20, 25, ANA))
    assert with_team(bot, okr_rhythm.claim_reminders, now=local(3, 8, 9, 10)) == 1  # a replica claims...
    (reminder,) = with_team(bot, okr_rhythm.unposted_reminders, now=local(3, 8, 9, 10))
    client = WebClient(token="xoxb-test", base_url=double.base_url)
    dm = client.conversations_open(users=ANA)["channel"]["id"]
    client.chat_postMessage(channel=dm, text="(the reminder)", metadata={  # ...posts it and dies before recording the ts
        "event_type": "alinea_post", "event_payload": {"claim": f"okr-reminder-{reminder.id}"}})
    assert run(bot, clock, "okr-remind", local(3, 8, 9, 25)) == "claimed 0 reminders; posted 1, 0 waiting for Slack"
    assert run(bot, clock, "okr-remind", local(3, 8, 9, 40)).startswith("claimed 0 reminders; posted 0")
    assert [m["text"] for m in double.direct_messages(ANA)] == ["(the reminder)"]
    with bot.runtime.session_factory() as session:
        assert session.query(OkrReminder).one().message_ts == double.direct_messages(ANA)[0]["ts"]


@SQLITE_ONLY
def test_a_reminder_left_waiting_is_not_sent_once_every_kr_got_its_checkin(bot, clock, double):
    objective_with_krs(bot, clock, manual_kr(1, "Recompra", 20, 25, ANA))
    double.fail_next("chat.postMessage", 503, times=3)
    assert "1 waiting for Slack" in run(bot, clock, "okr-remind", local(3, 8, 9, 10))
    check_in(bot, 1, 21, actor=ANA, at=local(3, 8, 10))
    assert run(bot, clock, "okr-remind", local(3, 8, 10, 10)).endswith("posted 0, 0 waiting for Slack, 1 no longer needed")
    assert double.direct_messages(ANA) == []


@SQLITE_ONLY
def test_no_reminder_when_the_first_run_comes_after_the_meeting_started(bot, clock, double):
    objective_with_krs(bot, clock, manual_kr(1, "Recompra", 20, 25, ANA))
    assert run(bot, clock, "okr-remind", local(3, 9, 9, 10)).startswith("claimed 0 reminders; posted 0")
    assert double.calls_to("conversations.open") == []


# Review ----------------------------------------------------------------------------------------------------


def review_due(bot, clock, **objective):
    """O1 (committed) with two KRs ending 31 March; Ana checked in KR1 at 24 %, nobody KR2."""
    objective_id = objective_with_krs(bot, clock, manual_kr(1, "Recompra a 60 días", 20, 25, ANA),
                                      manual_kr(2, "Tasa de cierre", 10, 15, LUIS), **objective)
    check_in(bot, 1, 24, actor=ANA, at=local(3, 30, 10))
    return objective_id


def review_post(bot):
    (message,) = posts(bot, "okr-review-")
    return message


@pytest.mark.both_transports
def test_the_review_is_posted_once_after_the_last_deadline_and_answered_in_its_thread(bot, clock, double):
    objective_id = review_due(bot, clock)
    assert run(bot, clock, "okr-review", local(3, 31, 23, 7)).startswith("claimed 0 reviews")  # still its last day
    assert run(bot, clock, "okr-review", local(4, 1, 0, 7)) == "claimed 1 reviews; posted 1, 0 waiting for Slack"
    (again,) = run_job(bot.runtime, job_named("okr-review"), at=local(4, 1, 0, 7), team_ref=CHANNEL)
    assert again.outcome is Outcome.ALREADY_DONE
    assert run(bot, clock, "okr-review", local(4, 1, 1, 7)).startswith("claimed 0 reviews; posted 0")
    post = review_post(bot)
    shown = render(post).replace("\xa0", " ")
    assert shown.startswith("🏁 Revisión de O1: Fidelizar clientes incrementando la recompra")
    assert "*Puntaje final:* 0,40 — ⚠️ por debajo de lo esperado para un objetivo comprometido (1,00)" in shown
    assert "• *KR1* Recompra a 60 días: 20 % → *24 %* (meta 25 %) · puntaje 0,80 · <@U0ANA>" in shown
    assert "• *KR2* Tasa de cierre: 10 % → sin datos (meta 15 %) · puntaje 0,00 · <@U0LUIS>" in shown
    assert "1. *Logrado* — ¿Qué logramos?" in shown and "`logrado: …`" in shown
    assert buttons(post) == [(REVIEW_ANSWER, str(objective_id))]

    # Answers in the thread; a retried delivery counts once.
    clock.now = local(4, 6, 9, 20)
    text = "logrado: la recompra llegó a 24 % <!channel> <@U0TOM>\naprendido: los combos venden\n& el correo del martes"
    reply_in_thread(bot, post["ts"], ANA, text.replace("&", "&amp;"), event_id="Ev0REVIEW1", message_ts="1775500000.000100")
    reply_in_thread(bot, post["ts"], ANA, text.replace("&", "&amp;"), event_id="Ev0REVIEW1", retry_num=1, message_ts="1775500000.000100")
    double.wait_for("chat.update", lambda c: c.params.get("ts") == post["ts"])
    (thanks,) = double.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == ANA)
    assert thanks.params["thread_ts"] == post["ts"] and "Quedó en la revisión de O1: Logrado, Aprendido" in thanks.params["text"]
    assert answers(bot) == [("achieved", ANA, "thread", "la recompra llegó a 24 % <!channel> <@U0TOM>"),
                            ("learned", ANA, "thread", "los combos venden\n& el correo del martes")]
    redrawn = render(review_post(bot))
    assert "*Respuestas hasta ahora* (2)" in redrawn
    assert "• <@U0ANA>: la recompra llegó a 24 % &lt;!channel&gt; &lt;@U0TOM&gt;" in redrawn  # shown, never pinging
    assert "<!channel>" not in redrawn and "<@U0TOM>" not in redrawn
    assert "• <@U0ANA>: los combos venden &amp; el correo del martes" in redrawn

    # Chatter, a bot's message, an edit and a reply that is not in a review's thread are left alone.
    reply_in_thread(bot, post["ts"], LUIS, "gracias, buen trabajo")
    reply_in_thread(bot, post["ts"], LUIS, "logrado: esto lo escribió un bot", bot_id="B0OTHER")
    reply_in_thread(bot, post["ts"], LUIS, "logrado: editado", subtype="message_changed")
    reply_in_thread(bot, "1775000000.000100", LUIS, "ajustar: en otro hilo")
    reply_in_thread(bot, post["ts"], LUIS, "ajustar — sumar WhatsApp a la recompra")
    double.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == LUIS)
    assert [a[:3] for a in answers(bot)] == [("achieved", ANA, "thread"), ("learned", ANA, "thread"), ("adjust", LUIS, "thread")]
    assert len(whispers(double, LUIS)) == 1
    assert "*Ajustar*\n• <@U0LUIS>: sumar WhatsApp a la recompra" in render(review_post(bot))
    reply_in_thread(bot, post["ts"], MARTA, "*Ajustar:*")  # a question word and nothing else: told privately
    (empty,) = double.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == MARTA)
    assert "Escribe al menos una respuesta" in empty.params["text"] and empty.params["thread_ts"] == post["ts"]
    assert len(answers(bot)) == 3
    assert len(posts(bot, "okr-review-")) == 1 and len(set(every_claim(double))) == len(every_claim(double))


@SQLITE_ONLY
@pytest.mark.both_transports
def test_the_answer_form_records_answers_and_redraws_the_post(bot, clock, double):
    objective_id = review_due(bot, clock)
    run(bot, clock, "okr-review", local(4, 1, 0, 7))
    post = review_post(bot)
    clock.now = local(4, 6, 9, 30)
    pressed = bot.driver.block_action(REVIEW_ANSWER, value=str(objective_id), user_id=LUIS, channel_id=CHANNEL,
                                      message={"ts": post["ts"]}, trigger_id="T0REVIEW")
    assert pressed.ok
    (opened,) = double.wait_for("views.open")
    view = opened.params["view"] if isinstance(opened.params["view"], dict) else json.loads(opened.params["view"])
    assert view["callback_id"] == REVIEW_VIEW and [b["block_id"] for b in view["blocks"][1:]] == ["achieved", "learned", "adjust"]
    assert "Puntaje final" in view["blocks"][0]["text"]["text"]

    def submit(**texts):
        values = {question: {VALUE: {"type": "plain_text_input", "value": text}} for question, text in texts.items()}
        return bot.driver.view_submission(REVIEW_VIEW, values, private_metadata=view["private_metadata"], user_id=LUIS)

    empty = submit(achieved="  ", learned="", adjust="")
    assert empty.json() == {"response_action": "errors", "errors": {"achieved": "Responde al menos una de las tres preguntas."}}
    too_long = submit(learned="x" * 2001)
    assert too_long.json()["errors"] == {"learned": "Máximo 2000 caracteres."}
    assert answers(bot) == []

    assert submit(achieved="", learned="La <b>pauta</b> de martes <!here> rinde más", adjust="Mantener la meta").ok
    double.wait_for("chat.update", lambda c: c.params.get("ts") == post["ts"])
    (thanks,) = double.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == LUIS)
    assert "Quedó en la revisión de O1: Aprendido, Ajustar" in thanks.params["text"]
    assert answers(bot) == [("learned", LUIS, "form", "La <b>pauta</b> de martes <!here> rinde más"),
                            ("adjust", LUIS, "form", "Mantener la meta")]
    shown = render(review_post(bot))
    assert "• <@U0LUIS>: La &lt;b&gt;pauta&lt;/b&gt; de martes &lt;!here&gt; rinde más" in shown and "<!here>" not in shown


@SQLITE_ONLY
@pytest.mark.parametrize("language", ["en"])
def test_an_english_team_gets_its_reminder_and_review_in_english(bot, clock, double):
    review_due(bot, clock, kind=ObjectiveKind.ASPIRATIONAL)
    assert "posted 1" in run(bot, clock, "okr-remind", local(3, 29, 9, 10))  # Luis has had no check-in
    shown = render(double.direct_messages(LUIS)[0])
    assert "The weekly meeting of <#C0TEAM> is on *Monday, Mar 30, 09:00*" in shown
    assert "`/alinea okr checkin KR2 VALUE confidence 7`" in shown
    run(bot, clock, "okr-review", local(4, 1, 0, 7))
    post = review_post(bot)
    assert "*Final score:* 0,40 — ⚠️ below what aspirational objectives expect (0,70)" in render(post)  # docs/decisions.md: Colombian numbers in English
    clock.now = local(4, 6, 9)
    reply_in_thread(bot, post["ts"], LUIS, "learned: WhatsApp closes faster")
    double.wait_for("chat.update", lambda c: c.params.get("ts") == post["ts"])
    assert answers(bot) == [("learned", LUIS, "thread", "WhatsApp closes faster")]
    assert "*Learned*\n• <@U0LUIS>: WhatsApp closes faster" in render(review_post(bot))


# One `message` listener for every thread ----------------------------------------------------------------------


@SQLITE_ONLY
def test_breach_acknowledgements_and_review_answers_share_the_one_message_listener(bot, clock, double):
    proposal = with_team(bot, sla.propose, actor=LUIS, terms=parse_commitment("ventas followup_hours <= 24 semanal"), now=clock.now)
    with_team(bot, sla.accept, version_id=proposal.version.id, actor=ANA, now=clock.now)
    clock.now = local(3, 3, 10)
    _, logged = bot.command("registrar followup_hours 30 para 3/3/2026", user_id=LUIS, channel_id=CHANNEL)
    assert logged.ok
    run(bot, clock, "sla-evaluate", local(3, 9, 0, 15))
    (breach,) = posts(bot, "sla-breach-")
    review_due(bot, clock)
    run(bot, clock, "okr-review", local(4, 1, 0, 7))
    review = review_post(bot)

    clock.now = local(4, 1, 10)
    reply_in_thread(bot, review["ts"], LUIS, "ack personal")  # an acknowledgement in the review's thread: not a breach
    reply_in_thread(bot, breach["ts"], LUIS, "logrado: cerramos más")  # an answer in the breach's thread: not a review
    reply_in_thread(bot, breach["ts"], LUIS, "recibido personal dos asesores de vacaciones")
    reply_in_thread(bot, review["ts"], LUIS, "Ajustar: reasignar leads")
    double.wait_for("chat.update", lambda c: c.params.get("ts") == review["ts"])
    double.wait_for("chat.update", lambda c: c.params.get("ts") == breach["ts"])
    with bot.runtime.session_factory() as session:
        (row,) = session.query(SlaBreach).all()
        assert row.status.value == "acknowledged" and row.reason == "staffing" and row.note == "dos asesores de vacaciones"
    assert answers(bot) == [("adjust", LUIS, "thread", "reasignar leads")]


def test_the_message_listener_decides_without_io():
    reply = {"type": "message", "channel": CHANNEL, "user": ANA, "ts": "2.0", "thread_ts": "1.0"}
    assert feature_for({**reply, "text": "ack tráfico"}, "U0BOT").name == "sla-ack"
    assert feature_for({**reply, "text": "ack trafic"}, "U0BOT").name == "sla-ack"  # told why, privately
    assert feature_for({**reply, "text": "logrado: x"}, "U0BOT").name == "okr-review"
    assert feature_for({**reply, "text": "Learned - y"}, "U0BOT").name == "okr-review"
    assert feature_for({**reply, "text": "*Ajustar:*\n• sumar WhatsApp"}, "U0BOT").name == "okr-review"
    for text in ("gracias", "logrado", "lo logrado: x", "hola\nlogrado: x", ""):
        assert feature_for({**reply, "text": text}, "U0BOT") is None
    assert feature_for({**reply, "text": "logrado: x", "thread_ts": "2.0"}, "U0BOT") is None  # a thread's parent
    assert feature_for({**reply, "text": "logrado: x", "thread_ts": None}, "U0BOT") is None
    assert feature_for({**reply, "text": "logrado: x", "bot_id": "B1"}, "U0BOT") is None
    assert feature_for({**reply, "text": "logrado: x", "user": "U0BOT"}, "U0BOT") is None
    assert feature_for({**reply, "text": "logrado: x", "subtype": "message_changed"}, "U0BOT") is None
    assert feature_for({**reply, "text": "logrado: x", "subtype": "thread_broadcast"}, "U0BOT").name == "okr-review"


def test_the_double_opens_one_dm_per_person_like_slack(double):
    client = WebClient(token="xoxb-test", base_url=double.base_url)
    first = client.conversations_open(users=ANA)
    again = client.conversations_open(users=ANA)
    assert first["channel"]["id"] == again["channel"]["id"] == "D0ANA" and again["already_open"] and not first["already_open"]
    client.chat_postMessage(channel="D0ANA", text="hola")
    assert [m["text"] for m in double.direct_messages(ANA)] == ["hola"]
    for users, error in (("U0NOBODY", "user_not_found"), (double.bot_user_id, "cannot_dm_bot"), ("", "users_list_not_supplied")):
        with pytest.raises(SlackApiError) as refused:
            client.conversations_open(users=users)
        assert refused.value.response["error"] == error
