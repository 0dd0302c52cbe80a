"""The week's narrative with a model, end to end: the weekly agenda posted by the job
with the real `openai` client against a loopback OpenAI-compatible server, in every way that
server can behave; the Adopt and Not useful buttons through the signed endpoint; `/alinea
insights`; and a team's own switch. Each scenario must end in a correct, safe agenda."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.blocks.agenda_layout import sections_of
from bot.blocks.narrative import ADOPT, NOT_USEFUL
from bot.slack_double import slack_escape
from bot.transcript import render
from db.models import AgendaStatus, Experiment, NarrativeFeedback
from tests.slack.test_agenda_posting import (  # noqa: F401 (fixtures)
    ANA, CHANNEL, LUIS, PEDRO, PARTS, ROSA, agenda_row, assert_posted_once, bot, claim_of, clock, job, local, parents, sections, seed, shown, thread, utc,
)  # fmt: skip
from tests.support.openai_double import INVENTED_NUMBER, OpenAIDouble

MODEL = "double-model"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
SLACK_ID = re.compile(r"\b[UW]0[A-Z0-9]{2,}")
PEOPLE = ("ana", "luis", "marta", "rosa", "pedro")


@pytest.fixture
def llm(request):
    with OpenAIDouble(getattr(request, "param", "good")) as double:
        yield double


@pytest.fixture
def settings(settings, llm):
    """The operator configured a model; a short timeout keeps the hanging scenarios quick."""
    return replace(settings, llm_model=MODEL, openai_base_url=llm.base_url, openai_api_key="sk-test-key", llm_timeout_s=2.0)


WHY = {
    "malformed": "La respuesta del modelo no se pudo leer",
    "hang": "El modelo no respondió a tiempo",
    "trickle": "El modelo no respondió a tiempo",
    "error500": "El servidor del modelo falló",
    "all_invented": "Se descartaron las oraciones del modelo porque daban cifras que no están en los datos",
    "filler": "Se descartaron las oraciones del modelo porque no decían lo que dicen los datos de la semana",
}


def post_weekly_agenda(bot, clock) -> dict[str, dict]:
    seed(bot, clock)
    detail = job(bot, clock, "weekly-agenda", local(3, 16, 7, 0))
    assert detail == "posted the weekly agenda 2026-W12: parent, 2 replies, 3 native charts"
    (parent,) = parents(bot)
    details = next(m for m in thread(bot, parent["ts"]) if claim_of(m).endswith("-details"))
    # Each section as its own message-like dict, with the details message it is posted in (buttons act on it).
    return {name: {**found, "ts": details["ts"], "message": details} for name, found in sections(bot, parent).items()}


def buttons(message) -> list[dict]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def everything_posted(bot) -> str:
    return "\n".join(str(m.get("text", "")) + str(m.get("blocks", "")) for m in bot.double.messages(CHANNEL))


def assert_nothing_personal_reached_the_model(llm):
    for body in llm.raw_bodies:
        text = body.decode()
        assert not SLACK_ID.search(text) and "<@" not in text and "@" not in text, text[:300]
        assert not any(re.search(rf"\b{name}\b", text, re.IGNORECASE) for name in PEOPLE)


# The agenda with a model ------------------------------------------------------------------------------------


@SQLITE_ONLY
def test_the_agenda_carries_the_models_summary_labelled_with_its_name_and_the_decision_buttons(bot, clock, llm):
    parts = post_weekly_agenda(bot, clock)
    summary = shown(parts["summary"])
    assert summary.startswith(f"*🤖 Resumen de la semana · generado con IA ({MODEL})*")
    assert "el equipo decide el experimento" in summary and "Hipótesis 1:" in summary
    assert len(llm.requests) == 1 and llm.requests[0]["model"] == MODEL
    assert_nothing_personal_reached_the_model(llm)
    pressed = buttons(parts["summary"])
    assert [b["action_id"] for b in pressed][:2] == [ADOPT, NOT_USEFUL] and len(pressed) == 2 * summary.count("Hipótesis ")
    assert agenda_row(bot).status is AgendaStatus.DONE
    assert_posted_once(bot)


@pytest.mark.parametrize("llm", ["invents", "malformed", "inject", "hang", "trickle", "error500", "all_invented", "llama_cpp", "filler"],
                         indirect=True)
@SQLITE_ONLY
def test_whatever_the_model_does_the_agenda_is_posted_correct_and_safe(bot, clock, llm):
    parts = post_weekly_agenda(bot, clock)
    summary = shown(parts["summary"])
    everything = everything_posted(bot)
    assert agenda_row(bot).status is AgendaStatus.DONE and set(parts) == set(PARTS)
    assert INVENTED_NUMBER not in everything and "987.654" not in everything
    assert "<!channel>" not in everything and "<http" not in everything and "ignore previous" not in everything.lower()
    if llm.scenario in ("invents", "inject", "llama_cpp"):  # the grounded sentences stay, labelled as the model's
        assert summary.startswith(f"*🤖 Resumen de la semana · generado con IA ({MODEL})*")
    else:  # nothing usable came back in time: the automatic summary, saying why
        assert summary.startswith("*📝 Resumen de la semana (automático, sin IA)*")
        assert WHY[llm.scenario] + "; este es el resumen automático." in summary
    assert re.search(r"45\.?000\.?000", summary), summary  # the model writes numbers its own way
    # The injected hypothesis carried a mention and was dropped whole; every other case proposes one.
    assert ("Hipótesis 1:" in summary) is (llm.scenario != "inject")
    assert_nothing_personal_reached_the_model(llm)
    assert_posted_once(bot)


# People decide ------------------------------------------------------------------------------------------


def press(bot, action_id, button, message, user_id=PEDRO):
    result = bot.driver.block_action(action_id, value=button["value"], user_id=user_id, channel_id=CHANNEL, message=message.get("message") or {"ts": message["ts"]})
    assert result.status == 200
    (answer,) = bot.double.wait_for_response(result.response_url)
    return render(answer.params)


@SQLITE_ONLY
def test_adopting_a_hypothesis_makes_it_the_weeks_experiment_and_next_weeks_agenda_reports_it(bot, clock, llm):
    parts = post_weekly_agenda(bot, clock)
    clock.now = local(3, 16, 9, 20)  # in the meeting
    adopt = next(b for b in buttons(parts["summary"]) if b["action_id"] == ADOPT)
    answer = press(bot, ADOPT, adopt, parts["summary"])
    assert "Listo: es el experimento de la semana 2026-W12, a tu cargo, con fecha 2026-03-20" in answer
    with bot.runtime.session_factory() as session:
        (experiment,) = session.scalars(select(Experiment).where(Experiment.week_key == "2026-W12")).all()
    assert (experiment.owner_user_id, experiment.decided_by, experiment.source) == (PEDRO, PEDRO, "ai")
    # The decision is posted in the channel; the summary is redrawn without its buttons, saying who adopted it.
    decided = bot.double.wait_for("chat.postMessage", lambda call: "2026-W12" in str(call.params.get("text")) and "<@U0PEDRO>" in str(call.params))
    assert decided
    (update,) = bot.double.wait_for("chat.update")
    assert update.params["ts"] == parts["summary"]["ts"] and "✅ Adoptada por <@U0PEDRO>" in render(update.params)
    redrawn = sections_of(update.params["blocks"])
    assert sum(1 for b in redrawn["summary"] if b["type"] == "actions") == len(buttons(parts["summary"])) // 2 - 1
    assert redrawn.keys() == parts.keys() and all(redrawn[name] == parts[name]["blocks"] for name in parts if name != "summary")  # the rest untouched
    # A second press (someone else, the stale button) is refused and changes nothing.
    assert "ya es el experimento de la semana: la adoptó <@U0PEDRO>" in press(bot, ADOPT, adopt, parts["summary"], user_id=ANA)

    # Next weekly agenda (Friday 20 March: Monday 23 is San José) reports on it.
    job(bot, clock, "weekly-agenda", utc(3, 20, 12, 0))
    newest = parents(bot)[-1]
    reported = sections(bot, newest)["experiment"]
    assert experiment.hypothesis[:40] in shown(reported).replace("\xa0", " ")


@SQLITE_ONLY
def test_not_useful_is_recorded_once_per_person(bot, clock, llm):
    parts = post_weekly_agenda(bot, clock)
    not_useful = next(b for b in buttons(parts["summary"]) if b["action_id"] == NOT_USEFUL)
    assert "Gracias: quedó registrado" in press(bot, NOT_USEFUL, not_useful, parts["summary"])
    assert "se cuenta una sola vez" in press(bot, NOT_USEFUL, not_useful, parts["summary"])
    (update,) = bot.double.wait_for("chat.update")
    assert "Marcada como no útil: 1." in render(update.params)
    with bot.runtime.session_factory() as session:
        assert [(f.user_id, f.verdict) for f in session.scalars(select(NarrativeFeedback))] == [(PEDRO, "not_useful")]


# /alinea insights and the team's switch ------------------------------------------------------------------


def command(bot, text, user_id=ANA, channel_id=CHANNEL) -> str:
    _, reply = bot.command(slack_escape(text), user_id=user_id, channel_id=channel_id)
    assert reply.ok and reply.params["response_type"] == "ephemeral", reply.response
    return render(reply.params)


@SQLITE_ONLY
def test_insights_shows_the_summary_privately_and_asks_the_model_once_per_set_of_figures(bot, clock, llm):
    seed(bot, clock)
    clock.now = local(3, 16, 6, 0)
    private = command(bot, "insights")
    assert private.startswith(f"*🤖 Resumen de la semana · generado con IA ({MODEL})*") and "Semana 2026-W11 · solo tú ves este mensaje." in private
    assert len(llm.requests) == 1
    assert command(bot, "analisis", user_id=LUIS) == private  # the Spanish alias; the stored narrative, no new request
    assert len(llm.requests) == 1
    # The agenda an hour later reuses it too: the figures did not change.
    job(bot, clock, "weekly-agenda", local(3, 16, 7, 0))
    assert len(llm.requests) == 1
    assert bot.double.messages(CHANNEL) and "Semana 2026-W11" not in everything_posted(bot)  # the private heading stays private

    assert "La semana 2026-W12 aún no ha terminado. La última semana completa es 2026-W11" in command(bot, "insights semana 12")
    assert "no tiene ningún valor registrado" in command(bot, "insights 2025-W10")
    assert "resume una semana, no «2026-02»" in command(bot, "insights febrero")
    assert "/alinea configurar" in command(bot, "insights", channel_id="C0ELSEWHERE")  # no team in that channel
    assert "generado con IA" in command(bot, "insights semana pasada")


@pytest.mark.parametrize("llm", ["error500"], indirect=True)
@SQLITE_ONLY
def test_a_failed_attempt_is_remembered_for_an_hour_or_until_a_figure_changes(bot, clock, llm):
    seed(bot, clock)
    clock.now = local(3, 16, 6, 10)
    first = command(bot, "insights")
    assert "El servidor del modelo falló; este es el resumen automático." in first
    asked = len(llm.requests)
    assert asked == 2  # the one retry of a 500
    clock.now = local(3, 16, 6, 45)
    assert command(bot, "insights", user_id=LUIS) == first and len(llm.requests) == asked  # not asked again
    assert job(bot, clock, "weekly-agenda", local(3, 16, 7, 0)).startswith("posted the weekly agenda 2026-W12")
    assert len(llm.requests) == asked  # nor by the agenda, within the hour
    (parent,) = parents(bot)
    summary = sections(bot, parent)["summary"]
    assert "El servidor del modelo falló; este es el resumen automático." in shown(summary)
    clock.now = local(3, 16, 7, 11)  # an hour later: asked again; it fails again and that is remembered anew
    assert "El servidor del modelo falló" in command(bot, "insights") and len(llm.requests) == 2 * asked
    clock.now = local(3, 16, 7, 40)
    command(bot, "insights")
    assert len(llm.requests) == 2 * asked
    llm.scenario = "good"  # the server is back; a corrected figure means new figures: the model is asked at once
    command(bot, "kpi log sales_cop 46000000 para 2026-W11", user_id=ANA)
    assert command(bot, "insights").startswith(f"*🤖 Resumen de la semana · generado con IA ({MODEL})*")
    assert len(llm.requests) == 2 * asked + 1


@SQLITE_ONLY
def test_a_team_that_switches_the_model_off_sends_it_nothing(bot, clock, llm):
    assert "desactivado" in command(bot, "configurar ia no", user_id=ROSA)
    parts = post_weekly_agenda(bot, clock)
    assert llm.requests == []
    assert shown(parts["summary"]).startswith("*📝 Resumen de la semana (automático, sin IA)*")
    assert "este es el resumen automático" not in shown(parts["summary"])  # not a failure: the team's choice
    assert "automático, sin IA" in command(bot, "insights", user_id=LUIS)
    assert llm.requests == []
