"""`/alinea agenda` topics and the week's experiment through the signed endpoint and the double:
`/alinea tema` and `agenda add|tema`, the list, closing with an outcome, the "decide this week's
experiment" button and form (checked beside its fields), its post in the channel and the result."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import pytest

from bot.blocks.agenda_topics import DECIDE_EXPERIMENT, DUE, EXPERIMENT_VIEW, HYPOTHESIS, METRIC, METRIC_TEXT, OWNER, VALUE
from bot.loopback import LoopbackBot
from bot.slack_double import Call, slack_escape
from bot.transcript import render
from db.models import AgendaTopic, Experiment, TopicStatus
from domain.periods import Period
from services import experiments
from tests.support.channel_team import load_team
from tests.support.clock import Clock

BOGOTA = ZoneInfo("America/Bogota")
ANA, LUIS, CARO, PEDRO = "U0ANA", "U0LUIS", "U0CARO", "U0PEDRO"  # mkt lead, sales lead, admin, a member
CHANNEL = "C0TEAM"
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=BOGOTA)  # Wednesday of 2026-W11; next meeting Monday 16 March 09:00
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def bot(settings, double, clock, transport) -> Iterator[LoopbackBot]:
    for user_id in (LUIS, CARO, PEDRO):
        double.add_user(user_id, name=user_id[3:].lower())
    with LoopbackBot(settings, double=double, clock=clock, transport=transport) as bot:
        yield bot


# The team of these tests and of those that borrow their fixtures: the starter KPIs, Caro its admin.
TEAM = pytest.mark.team(now=NOW, admins=(CARO,), starter_kpis=True)
pytestmark = TEAM


def command(bot: LoopbackBot, text: str, user_id: str = ANA) -> str:
    _, reply = bot.command(slack_escape(text), user_id=user_id, channel_id=CHANNEL)
    assert reply.ok and reply.params["response_type"] == "ephemeral", reply.response
    return render(reply.params)


def stored(bot, model) -> list:
    with bot.runtime.session_factory() as session:
        return list(session.query(model).order_by(model.id))


# Topics --------------------------------------------------------------------------------------------


@pytest.mark.both_transports
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_topics_are_added_listed_and_closed(bot, team):
    added = command(bot, "tema Precios de envío en diciembre <!channel>", user_id=PEDRO)
    assert "Tema *T1* agregado para la reunión del lunes 16 mar, 09:00" in added
    assert "&lt;!channel&gt;" in added and "<!channel>" not in added
    assert "Tema *T2*" in command(bot, "agenda tema Pauta en TikTok")
    assert "Tema *T3*" in command(bot, "agenda add Cupones de Black Friday")
    listed = command(bot, "agenda")
    assert "Temas para la reunión del lunes 16 mar, 09:00" in listed
    assert listed.index("*T1* Precios de envío") < listed.index("*T2* Pauta en TikTok") and "<@U0PEDRO>" in listed
    closed = command(bot, "agenda cerrar T2 pauta aprobada por 2 millones", user_id=LUIS)
    assert "Tema *T2* cerrado: Pauta en TikTok" in closed and "pauta aprobada por 2 millones" in closed
    assert "T2" not in command(bot, "agenda lista")
    [first, second, third] = stored(bot, AgendaTopic)
    assert (first.added_by, second.status, second.outcome, third.status) == (PEDRO, TopicStatus.CLOSED, "pauta aprobada por 2 millones", TopicStatus.OPEN)
    assert bot.double.messages(CHANNEL) == []  # topics are private until the agenda shows them


@SQLITE_ONLY
def test_topic_mistakes_are_explained_and_change_nothing(bot, team):
    assert "Escribe el tema después de `tema`" in command(bot, "tema   ")
    command(bot, "tema Precios de envío", user_id=PEDRO)
    assert "El tema T1 lo cierra quien lo propuso, <@U0PEDRO>" in command(bot, "agenda cerrar T1 listo", user_id="U0OTRO")
    assert "Di cómo se resolvió" in command(bot, "agenda cerrar T1", user_id=PEDRO)
    assert "No hay un tema `T9`" in command(bot, "agenda cerrar T9 listo")
    assert "¿quisiste decir `agenda cerrar`?" in command(bot, "agenda cerar T1 listo")
    [topic] = stored(bot, AgendaTopic)
    assert topic.status is TopicStatus.OPEN


@pytest.mark.parametrize("team", ["en"], indirect=True)
@SQLITE_ONLY
def test_topics_in_english(bot, team):
    assert "Topic *T1* added for the meeting on Monday 16 Mar, 09:00" in command(bot, "agenda add Shipping prices")
    assert "Topic *T2* added" in command(bot, "topic Another one")  # the top-level English alias
    listed = command(bot, "agenda")
    assert "Topics for the meeting on Monday 16 Mar, 09:00" in listed and "*T2* Another one" in listed


# The week's experiment ------------------------------------------------------------------------------------


def form(hypothesis="Envío gratis sobre 150 mil sube la conversión móvil", kpi="mobile_conversion", metric="", owner=LUIS, due="2026-03-20"):
    return {
        HYPOTHESIS: {VALUE: {"type": "plain_text_input", "value": hypothesis}},
        METRIC: {VALUE: {"type": "static_select", "selected_option": {"value": kpi} if kpi else None}},
        METRIC_TEXT: {VALUE: {"type": "plain_text_input", "value": metric}},
        OWNER: {VALUE: {"type": "users_select", "selected_user": owner}},
        DUE: {VALUE: {"type": "datepicker", "selected_date": due}},
    }


def open_experiment_form(bot, week="2026-W12", user_id=ANA) -> dict[str, Any]:
    result = bot.driver.block_action(DECIDE_EXPERIMENT, value=week, user_id=user_id, channel_id=CHANNEL, message={"ts": "1.1"})
    assert result.status == 200
    opened = bot.double.wait_for("views.open")[-1]
    assert opened.ok, opened.response
    return opened.params["view"]


@pytest.mark.both_transports
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_weeks_experiment_is_decided_in_the_form_posted_and_judged(bot, team, clock):
    view = open_experiment_form(bot)
    assert json.loads(view["private_metadata"])["week"] == "2026-W12"
    due = next(b for b in view["blocks"] if b.get("block_id") == DUE)
    assert due["element"]["initial_date"] == "2026-03-20"  # the Friday of the week
    submitted = bot.driver.view_submission(EXPERIMENT_VIEW, form(), private_metadata=view["private_metadata"], user_id=ANA)
    assert submitted.status == 200 and not submitted.body
    posted = bot.double.wait_for("chat.postMessage")[-1]
    assert posted.params["channel"] == CHANNEL
    shown = render(posted.params)
    assert "Experimento de la semana 2026-W12 decidido por <@U0ANA>" in shown
    assert "Envío gratis sobre 150 mil sube la conversión móvil" in shown and "<@U0LUIS>" in shown and "vie 20 mar" in shown
    [row] = stored(bot, Experiment)
    assert (row.week_key, row.metric, row.owner_user_id, row.due) == ("2026-W12", "mobile_conversion", LUIS, date(2026, 3, 20))
    clock.now = datetime(2026, 3, 20, 17, 0, tzinfo=BOGOTA)
    judged = command(bot, "agenda resultado confirmado +0,3 puntos en móvil", user_id=LUIS)
    assert "✅ Confirmado. +0,3 puntos en móvil" in judged
    with bot.runtime.session_factory() as session:
        last = experiments.latest_before(session, team=load_team(session, bot), week=Period.week_of(date(2026, 3, 23)))
    assert last.result.value == "confirmed"


@SQLITE_ONLY
def test_experiment_form_mistakes_are_shown_beside_their_fields(bot, team):
    metadata = json.dumps({"channel_id": CHANNEL, "locale": "es", "week": "2026-W12"})
    answer = bot.driver.view_submission(EXPERIMENT_VIEW, form(hypothesis=" ", kpi="mobile_conversion", metric="otra", owner=None, due="2026-03-13"),
                                        private_metadata=metadata).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {HYPOTHESIS, METRIC_TEXT, OWNER, DUE}
    assert "antes" in answer["errors"][DUE] or "anterior" in answer["errors"][DUE]
    assert stored(bot, Experiment) == []


@SQLITE_ONLY
def test_a_result_without_an_experiment_or_a_verdict_is_explained(bot, team):
    assert "La semana 2026-W12 no tiene experimento decidido" in command(bot, "agenda resultado confirmado")
    assert "Di cómo salió el experimento" in command(bot, "agenda resultado genial")
