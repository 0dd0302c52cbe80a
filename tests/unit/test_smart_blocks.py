"""The SMART checklist as Block Kit: pure rendering, no Slack, no database."""

from datetime import date

from domain.locales import TeamLocale
from bot.blocks.smart import checklist_reply
from bot.transcript import render
from domain.smart_criteria import check_text

TODAY = date(2025, 12, 15)
ES = TeamLocale(language="es", country="CO", timezone="America/Bogota")


def rendered(text, **kwargs):
    reply = checklist_reply(check_text(text, today=TODAY, **kwargs), ES)
    return reply, render({"blocks": reply.blocks})


def test_one_marked_line_per_criterion_in_smart_order():
    reply, shown = rendered("Reducir la tasa de bajas mensuales del 12% al 7%", kpi_names=["Tasa de bajas mensuales"])
    lines = [line for line in shown.splitlines() if line[:1] in "✅❌❔"]
    assert [line.split("*")[1] for line in lines[:5]] == ["Específica", "Medible", "Alcanzable", "Relevante", "Con fecha límite"]
    assert [line[0] for line in lines[:5]] == ["✅", "✅", "❔", "✅", "❌"]
    assert reply.text == "Revisión SMART: Cumple 3 de 5 criterios."


def test_typed_text_is_escaped_and_a_long_metric_clipped():
    goal = "Subir <!channel> " + "ventas de kits & regalos " * 100 + "de 18 a 25 millones COP al 31/01/2026"
    reply, shown = rendered(goal)
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert all(len(block.get("text", {}).get("text", "")) <= 3000 for block in reply.blocks)
    metric_line = next(line for line in shown.splitlines() if line.startswith("• Métrica:"))
    assert metric_line.endswith("…") and len(metric_line) < 300
