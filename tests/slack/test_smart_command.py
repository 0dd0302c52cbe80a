"""`/alinea smart TEXT` through the signed endpoint: the goal echoed as understood, one mark per
SMART criterion, and for each failure the fix to type; privately, in the team's language."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.loopback import LoopbackBot
from bot.slack_double import slack_escape
from bot.transcript import render
from domain.setup import SetupChanges
from services import teams, workspaces
from services.teams import TeamDefaults

# Wednesday 14 January 2026, 10:00 in Bogotá.
NOW = datetime(2026, 1, 14, 15, 0, tzinfo=timezone.utc)
CRITERIA = {
    "es": ("Específica", "Medible", "Alcanzable", "Relevante", "Con fecha límite"),
    "en": ("Specific", "Measurable", "Achievable", "Relevant", "Time-bound"),
}


@pytest.fixture
def bot(settings, double):
    double.add_user("U0LUIS", name="luis", locale="es-LA")
    double.add_channel("C0GROWTH", "growth")
    with LoopbackBot(settings, double=double, clock=lambda: NOW) as bot:
        set_up(bot, "C0TEAM", "alineacion", "es", "CO")
        set_up(bot, "C0GROWTH", "growth", "en", "US")
        yield bot


def set_up(bot, channel_id, name, language, country):
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=NOW)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel_id, channel_name=name, actor="U0ANA", is_workspace_admin=False,
            changes=SetupChanges(marketing_leads=("U0ANA",), sales_leads=("U0LUIS",), language=language, country=country),
            defaults=TeamDefaults("America/Bogota", language), now=NOW,
        )
    say(bot, "kpi plantillas" if language == "es" else "kpi templates", channel_id=channel_id)


def say(bot, text, *, user_id="U0ANA", channel_id="C0TEAM"):
    _, reply = bot.command(slack_escape(text), user_id=user_id, channel_id=channel_id)
    assert reply.ok, reply.response
    assert reply.params.get("response_type") == "ephemeral"  # only the person who asked sees it
    return reply


def smart(bot, goal, *, language="es", **where):
    reply = say(bot, f"smart {goal}", **where)
    return render(reply.params), marks(reply.params, language)


def marks(message, language):
    """{criterion label: its mark}, read from the checklist lines ("✅ *Medible*: …")."""
    found = {}
    for block in message["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        for label in CRITERIA[language]:
            for mark in "✅❌❔":
                if text.startswith(f"{mark} *{label}*:"):
                    found[label] = mark
    return found


def test_a_goal_with_everything_but_history(bot):
    shown, found = smart(bot, "Aumentar las ventas de kits de regalo de 18 a 25 millones COP entre el 02/01/2026 y el 31/01/2026")
    assert found == {"Específica": "✅", "Medible": "✅", "Alcanzable": "❔", "Relevante": "✅", "Con fecha límite": "✅"}
    assert "Revisión SMART" in shown
    assert "Entendí tu meta así:" in shown
    assert "Métrica: ventas de kits de regalo" in shown
    assert "Valores: $18.000.000 → $25.000.000 (subir)" in shown
    assert "Fechas: del 2 ene 2026 al 31 ene 2026" in shown
    assert "✅ *Medible*: Va de $18.000.000 a $25.000.000." in shown
    assert "✅ *Relevante*: Se conecta con Ventas, que el equipo sigue." in shown
    assert "❔ *Alcanzable*: Aún no hay historia de ventas de kits de regalo" in shown
    assert "Cumple 4 de 5 criterios. Nada falla" in shown


def test_a_vague_goal_gets_the_fixes(bot):
    shown, found = smart(bot, "Vender más")
    assert found == {"Específica": "❌", "Medible": "❌", "Alcanzable": "❔", "Relevante": "❌", "Con fecha límite": "❌"}
    assert "❌ *Medible*: Agrega de dónde partes y a dónde quieres llegar, con unidades, por ejemplo: `de 18 a 25 millones COP`." in shown
    assert "❌ *Con fecha límite*: Agrega una fecha límite, por ejemplo: `antes del 25 feb 2026` o `en 6 semanas`." in shown
    assert "❌ *Específica*: `Vender` es muy general" in shown
    assert "Valores: ninguno (subir)" in shown and "Fechas: desde el 14 ene 2026, sin fecha límite" in shown
    assert "Cumple 0 de 5 criterios. Corrige lo marcado con ❌" in shown


def test_a_goal_without_a_deadline(bot):
    shown, found = smart(bot, "Reducir la tasa de bajas mensuales del 12% al 7%")
    assert found["Medible"] == "✅" and found["Con fecha límite"] == "❌" and found["Específica"] == "✅"
    assert "Valores: 12\u00a0% → 7\u00a0% (bajar)" in shown
    assert "✅ *Medible*: Va de 12\u00a0% a 7\u00a0%." in shown
    assert "❌ *Con fecha límite*: Agrega una fecha límite, por ejemplo: `antes del 25 feb 2026`" in shown
    # Not a KPI of the team: the fix says how to make it one.
    assert "❌ *Relevante*: `tasa de bajas mensuales` no es un KPI que el equipo siga" in shown


def test_a_goal_the_history_allows_passes_and_one_it_does_not_gets_a_reachable_target(bot):
    # Weekly mobile cart abandonment: it moves up to 1,5 points a week.
    for week, value in [("2025-W50", "80"), ("2025-W51", "78,5"), ("2025-W52", "79,5"), ("2026-W01", "78"), ("2026-W02", "79")]:
        assert "Registré" in render(say(bot, f"registrar cart_abandonment {value} % para {week}").params)
    shown, found = smart(bot, "En 45 días, bajar el abandono de carrito móvil de 78 % a 70 %")
    assert set(found.values()) == {"✅"} and len(found) == 5
    assert "✅ *Alcanzable*: Pide 1,24\u00a0% por semana; lo más rápido que se ha movido es 1,5\u00a0% por semana" in shown
    assert "✅ *Relevante*: Se conecta con Abandono de carrito" in shown
    assert "Fechas: del 14 ene 2026 al 28 feb 2026" in shown
    assert "Es una meta SMART." in shown

    shown, found = smart(bot, "En 45 días, bajar el abandono de carrito móvil de 78 % a 50 %")
    assert found["Alcanzable"] == "❌"
    assert "Prueba con una meta de 59\u00a0% para esa fecha, o mantén la meta y muévela al 21 mar 2026." in shown


def test_an_english_team_gets_the_checklist_in_english(bot):
    shown, found = smart(bot, "Increase web conversion from 1.2% to 1.6% by February 15", language="en", user_id="U0TOM", channel_id="C0GROWTH")
    assert found == {"Specific": "✅", "Measurable": "✅", "Achievable": "❔", "Relevant": "✅", "Time-bound": "✅"}
    assert "SMART check" in shown and "I read your goal as:" in shown
    assert "Metric: web conversion" in shown
    assert "Values: 1.2% → 1.6% (up)" in shown
    assert "Dates: Jan 14, 2026 to Feb 15, 2026" in shown
    assert "✅ *Relevant*: " in shown and "Web conversion rate" in shown

    shown, found = smart(bot, "Reduce churn from 12% to 7%", language="en", user_id="U0TOM", channel_id="C0GROWTH")
    assert found["Time-bound"] == "❌"
    assert "❌ *Time-bound*: Add a deadline, for example: `by Feb 25, 2026` or `in 6 weeks`." in shown
    assert "Fix what is marked ❌" in shown


def test_without_text_a_hint_with_an_example(bot):
    reply = say(bot, "smart")
    assert "Escribe la meta después de `smart`, por ejemplo: `/alinea smart Aumentar las ventas" in render(reply.params)
    reply = say(bot, "smart", user_id="U0TOM", channel_id="C0GROWTH")
    assert "Type the goal after `smart`" in render(reply.params)


def test_what_a_person_typed_pings_nobody(bot):
    reply = say(bot, "smart Subir <!channel> las ventas de <@U0LUIS> kits de 18 a 25 millones COP al 31/01/2026")
    payload = json.dumps(reply.params)
    assert "<!channel>" not in payload and "<@U0LUIS>" not in payload
    assert "&lt;!channel&gt;" in payload  # shown as typed
    assert "Específica" in render(reply.params)


def test_outside_a_team_channel_it_says_how_to_set_one_up(bot):
    reply = say(bot, "smart Vender más", channel_id="C0OTHER")
    assert "Este canal todavía no tiene un equipo de alineación" in render(reply.params)


def test_help_lists_the_command(bot):
    shown = render(say(bot, "ayuda").params)
    assert "/alinea smart" in shown and "Revisa si una meta es SMART" in shown
