"""The narrative's thread part: the AI label with the model's name, or the automatic summary's,
and the note that people decide."""

from __future__ import annotations

import pytest

from domain.locales import TeamLocale
from bot.blocks.narrative import ADOPT, NOT_USEFUL, narrative_reply
from bot.transcript import render
from domain.narrative import Hypothesis, Narrative, Source
from services.insights import StoredHypothesis

ES = TeamLocale("es", "CO", "America/Bogota")
EN = TeamLocale("en", "US", "America/New_York")
HYPOTHESIS = Hypothesis("La conversión cayó mientras el tráfico subió.", ("kpi.conversion_web.2026-W11",),
                        "Quitar un paso del checkout móvil", "conversion_web")


def test_a_model_narrative_is_labelled_as_ai_with_its_model():
    reply = narrative_reply(Narrative(("Ventas bajó 15,9 %.", "El tráfico subió 4 %."), (HYPOTHESIS,), Source.LLM, model="llama3.1:8b"), ES)
    shown = render(reply.__dict__)
    assert shown.startswith("*🤖 Resumen de la semana · generado con IA (llama3.1:8b)*")
    assert "Ventas bajó 15,9 %. El tráfico subió 4 %." in shown
    assert "*Hipótesis 1:* La conversión cayó" in shown and "_Métrica:_ `conversion_web`" in shown
    assert "el equipo decide el experimento de la semana" in shown and "resumen automático" not in shown


@pytest.mark.parametrize(
    "reason, english, spanish",
    [
        ("timeout", "The model did not answer in time", "El modelo no respondió a tiempo"),
        ("server_error", "The model's server failed", "El servidor del modelo falló"),
        ("connection", "The model's server failed", "El servidor del modelo falló"),
        ("malformed", "The model's answer could not be read", "La respuesta del modelo no se pudo leer"),
        ("refused", "The model's answer could not be read", "La respuesta del modelo no se pudo leer"),
        ("ungrounded", "stated numbers that are not in the data", "daban cifras que no están en los datos"),
        ("unsupported", "did not say what the week's data says", "no decían lo que dicen los datos de la semana"),
        ("budget", "monthly token budget is used up", "Se agotó el presupuesto mensual de tokens"),
    ],
)
def test_the_offline_summary_says_so_and_why_the_model_did_not_speak(reason, english, spanish):
    fallback = Narrative(("Sales fell 15.9%.",), (), Source.OFFLINE, fallback_reason=reason)
    shown = render(narrative_reply(fallback, EN).__dict__)
    assert shown.startswith("*📝 The week in brief (automatic, no AI)*")
    assert english in shown and "this is the automatic summary" in shown
    assert spanish in render(narrative_reply(fallback, ES).__dict__)
    plain = render(narrative_reply(Narrative(("Sales fell 15.9%.",), (), Source.OFFLINE), EN).__dict__)
    assert "automatic summary." not in plain


def _stored(number=1, adopted_by=None, not_useful=0):
    return StoredHypothesis(40 + number, number, HYPOTHESIS, adopted_by, not_useful)


def test_each_stored_hypothesis_gets_adopt_and_not_useful_with_its_id():
    narrative = Narrative(("Ventas bajó 15,9 %.",), (HYPOTHESIS, HYPOTHESIS), Source.LLM, model="m")
    reply = narrative_reply(narrative, EN, stored=(_stored(1), _stored(2, not_useful=2)), week="2026-W12", actionable=True)
    rows = [b for b in reply.blocks if b["type"] == "actions"]
    assert [[(e["action_id"], e["value"], e["text"]["text"]) for e in row["elements"]] for row in rows] == [
        [(ADOPT, "41", "Adopt as this week's experiment"), (NOT_USEFUL, "41", "Not useful")],
        [(ADOPT, "42", "Adopt as this week's experiment"), (NOT_USEFUL, "42", "Not useful")],
    ]
    assert len({row["block_id"] for row in rows}) == 2 and "Marked not useful: 2." in render(reply.__dict__)


def test_an_adopted_hypothesis_says_who_adopted_it_and_loses_its_buttons():
    narrative = Narrative(("Ventas bajó 15,9 %.",), (HYPOTHESIS, HYPOTHESIS), Source.OFFLINE)
    reply = narrative_reply(narrative, ES, stored=(_stored(1, adopted_by="U0ANA"), _stored(2)), week="2026-W12", actionable=True)
    shown = render(reply.__dict__)
    assert "✅ Adoptada por <@U0ANA> como experimento de la semana 2026-W12." in shown
    assert [[e["value"] for e in b["elements"]] for b in reply.blocks if b["type"] == "actions"] == [["42", "42"]]


def test_a_summary_of_a_week_that_is_over_or_a_preview_has_no_buttons():
    narrative = Narrative(("Ventas bajó 15,9 %.",), (HYPOTHESIS,), Source.OFFLINE)
    past = narrative_reply(narrative, ES, stored=(_stored(1, not_useful=1),), week="2026-W10", actionable=False)
    assert not any(b["type"] == "actions" for b in past.blocks) and "Marcada como no útil: 1." in render(past.__dict__)
    assert not any(b["type"] == "actions" for b in narrative_reply(narrative, ES).blocks)
