"""The OKR rhythm as Block Kit, pure: the check-in reminder DM, the review post (with and without
answers) and the review form, in Spanish and English, validated as strictly as Slack would."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from domain.locales import TeamLocale
from bot.blocks.okr_rhythm import (
    CHECKIN_OPEN,
    MAX_REMINDER_KRS,
    REVIEW_ANSWER,
    REVIEW_VIEW,
    answer_blocks,
    kr_value,
    reminder_message,
    review_message,
    review_modal,
)
from bot.slack_double.validation import message_blocks_errors, view_errors
from bot.transcript import render
from commands.okr_review import answers_in
from db.models import ObjectiveStatus
from domain.kpis import Aggregation, KpiSpec, Unit
from domain.okr import KeyResult, ObjectiveKind, Status
from domain.okr_review_answers import ReviewQuestion
from services.okr import KeyResultView, ObjectiveView, Reading
from services.okr_rhythm import AnswerView, ReminderView, ReviewPromptView

ES = TeamLocale("es", "CO", "America/Bogota")
EN = TeamLocale("en", "US", "America/Bogota")
MEETING = datetime(2026, 3, 9, 14, 0, tzinfo=timezone.utc)  # Monday 09:00 in Bogotá
REPURCHASE = KpiSpec("repurchase_60d", "Recompra a 60 días", "60-day repurchase", unit=Unit.PERCENT, aggregation=Aggregation.AVERAGE)


def kr_view(number, metric="Recompra", *, baseline="20", target="25", current=None, unit="%", owner="U0ANA", spec=None,
            status=Status.AT_RISK, confidence=None, scale=None, progress=None):
    result = KeyResult(number=number, metric=metric, baseline=Decimal(baseline), target=Decimal(target), start=date(2026, 3, 2),
                       deadline=date(2026, 3, 31), unit=unit, owner=owner, kpi_key=spec.key if spec else None,
                       confidence=confidence, scale=Decimal(scale) if scale else None)
    reading = Reading(Decimal(current), "kpi" if spec else "checkin", date(2026, 3, 5)) if current is not None else None
    if progress is None:
        progress = 0.0 if current is None else float((Decimal(current) - result.baseline) / (result.target - result.baseline))
    return KeyResultView(
        id=number, objective_id=1, objective_number=1, result=result, spec=spec, current=reading, progress=progress,
        expected=0.3, status=status, guardrail_value=None, guardrail_broken=False, last_checkin_at=None, note="",
        retargets=0, objective_active=True,
    )  # fmt: skip


def objective(*krs, kind=ObjectiveKind.COMMITTED, title="Fidelizar clientes <!channel>"):
    scores = [kr.progress for kr in krs]
    return ObjectiveView(id=7, number=1, title=title, kind=kind, status=ObjectiveStatus.ACTIVE, created_by="U0ANA",
                         key_results=tuple(krs), score=sum(scores) / len(scores) if scores else None)


def prompt(view):
    return ReviewPromptView(id=3, channel_id="C0TEAM", message_ts="1.1", objective=view)


def answer(question, text, user="U0LUIS", minute=0):
    return AnswerView(ReviewQuestion(question), text, user, "thread", datetime(2026, 4, 6, 14, minute, tzinfo=timezone.utc))


def shown(reply):
    return render({"blocks": reply.blocks}).replace("\xa0", " ")


def valid(reply):
    assert message_blocks_errors(reply.blocks) == []
    assert reply.text and len(reply.text) <= 3000
    return reply


# The reminder ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("team, expected", [
    (ES, ["⏰ Tu check-in de OKR", "La reunión semanal de <#C0TEAM> es el *lunes 9 mar, 09:00*",
          "*KR3* Recompra", "22 % (meta 25 %) · progreso 40 % · 🟡 En riesgo · confianza 6/10",
          "*KR4* 60-day repurchase", "Se mueve con el KPI `repurchase_60d`",
          "¿Prefieres escribirlo? En <#C0TEAM>: `/alinea okr checkin KR3 VALOR confianza 7`",
          "Un KR atado a un KPI solo lleva la confianza: `/alinea okr checkin KR4 confianza 7`"]),
    (EN, ["⏰ Your OKR check-in", "The weekly meeting of <#C0TEAM> is on *Monday, Mar 9, 09:00*",
          "22% (target 25%) · progress 40% · 🟡 At risk · confidence 6/10", "Moves with the KPI `repurchase_60d`",
          "Rather type it? In <#C0TEAM>: `/alinea okr checkin KR3 VALUE confidence 7`",
          "A KPI-backed KR takes only your confidence: `/alinea okr checkin KR4 confidence 7`"]),
])
def test_the_reminder_lists_each_kr_with_its_progress_a_button_and_the_one_line_form(team, expected):
    view = ReminderView(5, "U0ANA", MEETING, (kr_view(3, current="22", confidence=6), kr_view(4, "60-day repurchase", spec=REPURCHASE)))
    reply = valid(reminder_message(view, team, channel_id="C0TEAM"))
    text = shown(reply)
    for line in expected:
        assert line in text
    accessories = [block["accessory"] for block in reply.blocks if "accessory" in block]
    assert [(b["action_id"], b["value"]) for b in accessories] == [(CHECKIN_OPEN, "3"), (CHECKIN_OPEN, "4")]
    assert "KR3, KR4" in reply.text


def test_a_reminder_of_kpi_backed_krs_only_asks_for_confidence_and_a_long_one_stays_valid():
    only_kpi = valid(reminder_message(ReminderView(5, "U0ANA", MEETING, (kr_view(4, spec=REPURCHASE),)), ES, channel_id="C0TEAM"))
    assert "`/alinea okr checkin KR4 confianza 7` (el valor sale del KPI)" in shown(only_kpi) and "VALOR" not in shown(only_kpi)
    many = tuple(kr_view(n, "métrica <@U0TOM> " + "x" * 300) for n in range(1, 31))
    reply = valid(reminder_message(ReminderView(5, "U0ANA", MEETING, many), ES, channel_id="C0TEAM"))
    assert sum("accessory" in block for block in reply.blocks) == MAX_REMINDER_KRS
    assert "…y 10 KRs más." in shown(reply) and "<@U0TOM>" not in shown(reply) and "&lt;@U0TOM&gt;" in shown(reply)


def test_values_keep_the_krs_unit_the_teams_way_and_ratings_their_scale():
    assert kr_value(Decimal("24.5"), kr_view(1), ES).replace("\xa0", " ") == "24,5 %"
    assert kr_value(Decimal("24.123456"), kr_view(1), EN) == "24.12%"
    assert kr_value(Decimal("45000000"), kr_view(1, unit="COP"), ES).replace("\xa0", " ") == "$45.000.000"
    assert kr_value(Decimal("8.2"), kr_view(1, unit=None, baseline="8", target="9", scale="10"), ES) == "8,2 de 10"


# The review ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("team, kind, lines", [
    (ES, ObjectiveKind.COMMITTED, ["🏁 Revisión de O1: Fidelizar clientes <!channel>",
                                   "*Puntaje final:* 0,90 — ⚠️ por debajo de lo esperado para un objetivo comprometido (1,00)",
                                   "*Periodo terminado:* 31/03/2026 · objetivo comprometido",
                                   "• *KR1* Recompra: 20 % → *25 %* (meta 25 %) · puntaje 1,00 · <@U0ANA>",
                                   "2. *Aprendido* — ¿Qué aprendimos?", "`logrado: …`, `aprendido: …`, `ajustar: …`"]),
    (EN, ObjectiveKind.ASPIRATIONAL, ["🏁 Review of O1: Fidelizar clientes <!channel>",
                                      "*Final score:* 0.90 — ✅ good for aspirational objectives (0.70 expected)",
                                      "*Period ended:* Mar 31, 2026 · aspirational objective",
                                      "• *KR2* Tasa de cierre: 10% → *14%* (target 15%) · score 0.80 · <@U0LUIS>",
                                      "3. *Adjust* — What do we adjust for the next period?", "`achieved: …`"]),
])
def test_the_review_shows_the_score_against_the_kind_each_kr_and_the_three_questions(team, kind, lines):
    view = objective(kr_view(1, current="25", status=Status.ON_TRACK),
                     kr_view(2, "Tasa de cierre", baseline="10", target="15", current="14", owner="U0LUIS"), kind=kind)
    reply = valid(review_message(prompt(view), [], team))
    text = shown(reply)
    for line in lines:
        assert line in text
    assert reply.blocks[0]["type"] == "header"  # plain text: the title's <!channel> cannot ping
    assert "&lt;!channel&gt;" in reply.text  # the fallback text is mrkdwn: escaped
    (actions,) = [block for block in reply.blocks if block["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions["elements"]] == [(REVIEW_ANSWER, "7")]


def test_answers_are_grouped_by_question_with_mentions_neutralised():
    given = [answer("achieved", "recompra 24 % <!channel>", "U0ANA"), answer("adjust", "sumar <@U0TOM> & WhatsApp", minute=1),
             answer("achieved", "cierre 14 %", minute=2)]
    reply = valid(review_message(prompt(objective(kr_view(1, current="24"))), given, ES))
    text = shown(reply)
    assert "*Respuestas hasta ahora* (3)" in text
    assert "*Logrado*\n• <@U0ANA>: recompra 24 % &lt;!channel&gt;\n• <@U0LUIS>: cierre 14 %" in text
    assert "*Ajustar*\n• <@U0LUIS>: sumar &lt;@U0TOM&gt; &amp; WhatsApp" in text and "*Aprendido*" not in text.split("Respuestas")[1]


def test_many_long_answers_keep_the_newest_within_slacks_limits():
    given = [answer("learned", f"respuesta {n} " + "palabra " * 400, minute=n % 60) for n in range(40)]
    blocks = answer_blocks(given, EN)
    assert message_blocks_errors(blocks) == []
    text = render({"blocks": blocks})
    assert "respuesta 39 " in text and "respuesta 0 " not in text and "earlier ones that do not fit here" in text
    reply = valid(review_message(prompt(objective(kr_view(1))), given, EN))
    assert len(reply.blocks) < 50


def test_a_review_without_krs_says_there_is_no_score():
    reply = valid(review_message(prompt(objective()), [], ES))
    assert "*Puntaje final:* sin KRs no hay puntaje" in shown(reply)


@pytest.mark.parametrize("team, title, labels", [
    (ES, "Revisión O1", ["Logrado — ¿Qué logramos?", "Aprendido — ¿Qué aprendimos?", "Ajustar — ¿Qué ajustamos para el próximo periodo?"]),
    (EN, "Review O1", ["Achieved — What did we achieve?", "Learned — What did we learn?", "Adjust — What do we adjust for the next period?"]),
])
def test_the_review_form_has_three_optional_multiline_answers(team, title, labels):
    modal = review_modal(prompt(objective(kr_view(1, current="24"))), team, metadata='{"objective_id": 7}')
    assert view_errors(modal) == []
    assert modal["callback_id"] == REVIEW_VIEW and modal["title"]["text"] == title
    inputs = [block for block in modal["blocks"] if block["type"] == "input"]
    assert [block["label"]["text"] for block in inputs] == labels
    assert [block["block_id"] for block in inputs] == ["achieved", "learned", "adjust"]
    assert all(block["optional"] and block["element"]["multiline"] and block["element"]["max_length"] == 2000 for block in inputs)


# Reading answers typed in the thread --------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("logrado: recompra 24 %", {ReviewQuestion.ACHIEVED: "recompra 24 %"}),
    ("Learned - bundles sell", {ReviewQuestion.LEARNED: "bundles sell"}),
    ("logrado: a\nsigue a\naprendido: b\n\najustar: c", {ReviewQuestion.ACHIEVED: "a\nsigue a", ReviewQuestion.LEARNED: "b",
                                                         ReviewQuestion.ADJUST: "c"}),
    ("logrado: a\nlogrado: b", {ReviewQuestion.ACHIEVED: "a\nb"}),
    ("\nadjust: keep the target", {ReviewQuestion.ADJUST: "keep the target"}),
    ("*Logrado:* 24 % de recompra", {ReviewQuestion.ACHIEVED: "24 % de recompra"}),
    ("logrado: *24 %* de recompra", {ReviewQuestion.ACHIEVED: "*24 %* de recompra"}),
    ("_learned_ - bundles sell", {ReviewQuestion.LEARNED: "bundles sell"}),
    ("- logrado: a\n- nota: sigue\n• aprendido: b", {ReviewQuestion.ACHIEVED: "a\n- nota: sigue", ReviewQuestion.LEARNED: "b"}),
    ("*Ajustar:*\n• sumar WhatsApp\n• bajar la meta", {ReviewQuestion.ADJUST: "• sumar WhatsApp\n• bajar la meta"}),
    ("ajustar:", {}),
    ("gracias\nlogrado: a", {}),
    ("logrado", {}),
    ("logrado:", {}),
    ("lo logrado fue mucho", {}),
])
def test_thread_answers_one_or_several_per_message(text, expected):
    assert answers_in(text) == expected
