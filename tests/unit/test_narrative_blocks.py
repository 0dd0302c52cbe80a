"""The narrative's thread part: the AI label with the model's name, or the automatic summary's,
and the note that people decide."""

from __future__ import annotations

from bot.blocks.kpi import TeamLocale
from bot.blocks.narrative import narrative_reply
from bot.transcript import render
from domain.narrative import Hypothesis, Narrative, Source

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
    assert "el equipo decide el experimento de la semana" in shown and "no estuvo disponible" not in shown


def test_the_offline_summary_says_so_and_why_the_model_did_not_speak():
    fallback = Narrative(("Sales fell 15.9%.",), (), Source.OFFLINE, fallback_reason="timeout")
    shown = render(narrative_reply(fallback, EN).__dict__)
    assert shown.startswith("*📝 The week in brief (automatic, no AI)*")
    assert "The model was not available in time" in shown
    plain = render(narrative_reply(Narrative(("Sales fell 15.9%.",), (), Source.OFFLINE), EN).__dict__)
    assert "not available" not in plain
