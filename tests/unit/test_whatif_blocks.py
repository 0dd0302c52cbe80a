"""A what-if as Block Kit: pure rendering from a plan, no Slack, no database."""

from __future__ import annotations

import json

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from domain.locales import TeamLocale
from bot.blocks.whatif import CHECK_SMART, USE_AS_KR, whatif_reply
from bot.transcript import render
from domain.funnel import Ask, Lever, Per, SalesGoal, WeekFigures, baseline, histories, plan
from domain.kpis import Aggregation, KpiSpec, Unit
from domain.smart_reading import parse_goal
from services.kpis import KpiView
from services.whatif import Definition, FunnelKpis, WhatIf

MONDAY = date(2026, 2, 2)
ES = TeamLocale(language="es", country="CO", timezone="America/Bogota")
EN = TeamLocale(language="en", country="US", timezone="America/Bogota")
SESSIONS = KpiView(1, "sessions", "Sesiones", KpiSpec("sessions", "Sesiones", "Sessions"), "Sesiones", None)
CONVERSION = KpiView(2, "conversion_web", "Conversión <web>", KpiSpec(
    "conversion_web", "Conversión", "Conversion", unit=Unit.PERCENT, aggregation=Aggregation.RATE, numerator="orders", denominator="sessions",
), None, None)  # fmt: skip
SALES = KpiView(3, "ventas", "Ventas", KpiSpec("ventas", "Ventas", "Sales", unit=Unit.CURRENCY), None, None)
ORDERS = KpiView(4, "orders", "Pedidos", KpiSpec("orders", "Pedidos", "Orders"), None, None)


def what_if(goal: SalesGoal, lever=None) -> WhatIf:
    weeks = [WeekFigures(MONDAY + timedelta(weeks=index), D(sessions), D(conversion), D(100000))
             for index, (sessions, conversion) in enumerate([(25000, "1.1"), (25000, "1.3"), (25000, "1.2"), (25000, "1.2")])]  # fmt: skip
    funnel = FunnelKpis(SESSIONS, CONVERSION, None, SALES, ORDERS)
    definitions = (
        Definition("sessions", SESSIONS, "Sesiones", "Visitas <b>contadas</b> por GA4 & la tienda.", 2),
        Definition("conversion", CONVERSION, None, None, None),
        Definition("sales", SALES, None, None, None),
        Definition("orders", ORDERS, None, None, None),
    )
    return WhatIf(Ask(goal, lever), plan(baseline(weeks), goal, histories(weeks)), funnel, definitions, (MONDAY, weeks[-1].start), "COP")


def buttons(reply):
    return [element for block in reply.blocks if block["type"] == "actions" for element in block["elements"]]


def test_the_asked_lever_comes_first_and_every_figure_is_the_teams_way():
    reply = whatif_reply(what_if(SalesGoal(D(15000000), True, Per.WEEK), Lever.TICKET), ES)
    shown = render({"blocks": reply.blocks})
    assert reply.text == "Simulación: ventas +$15.000.000 por semana"
    assert "25.000 sesiones × 1,2\u00a0% × $100.000 = *$30.000.000* por semana (300 pedidos)" in shown
    assert "promedio de 4 semanas completas, del 2 feb 2026 al 1 mar 2026" in shown
    assert shown.index("*Ticket promedio*") < shown.index("*Conversión*") < shown.index("*Tráfico*")
    assert "*Conversión* (`conversion_web`): de 1,2\u00a0% a *1,8\u00a0%* (+0,6 puntos, ×1,5)" in shown
    assert "*Ticket promedio* (`ventas` ÷ `orders`): de $100.000 a *$150.000* (+$50.000, ×1,5)" in shown
    # the conversion moved at most 0,2 points a week; 0,6 in one week is three times that
    assert "❌ Poco realista: tendría que moverse 3 veces más rápido" in shown


def test_people_text_is_escaped_and_definitions_name_their_version():
    shown = render({"blocks": whatif_reply(what_if(SalesGoal(D(1), True)), ES).blocks})
    assert "Visitas &lt;b&gt;contadas&lt;/b&gt; por GA4 &amp; la tienda. _(versión 2 de «Sesiones»)_" in shown
    assert "*Conversión &lt;web&gt;* (`conversion_web`): sin definición acordada" in shown
    assert "(se calcula: `orders` ÷ `sessions`)" in shown
    assert "• *Ticket promedio*: ventas ÷ pedidos (`ventas` ÷ `orders`), semana a semana." in shown


@pytest.mark.parametrize("team, language", [(ES, "es"), (EN, "en")])
def test_check_as_smart_goal_carries_a_goal_the_smart_check_reads_back(team, language):
    result = what_if(SalesGoal(D(1000000), True, Per.MONTH))
    pressed = buttons(whatif_reply(result, team))
    assert [button["action_id"] for button in pressed] == [USE_AS_KR, CHECK_SMART] * 3  # none for a ticket of sales ÷ orders
    values = [button["value"] for button in pressed if button["action_id"] == CHECK_SMART]
    for value in values:
        goal = parse_goal(value, today=date(2026, 3, 4), language=language, country=team.country)
        assert goal.baseline is not None and goal.target is not None and goal.baseline < goal.target
        assert goal.deadline == date(2026, 4, 4)
    conversion = parse_goal(values[0], today=date(2026, 3, 4), language=language, country=team.country)
    assert (conversion.metric, conversion.unit, conversion.baseline) == ("conversion_web", "%", D("1.2"))
    weekly = parse_goal(values[1], today=date(2026, 3, 4), language=language, country=team.country)
    assert weekly.baseline == D(25000)  # sessions per week, as their history is kept


def test_a_goal_already_reached_has_no_button_and_says_so():
    reply = whatif_reply(what_if(SalesGoal(D(30000000), False, Per.WEEK)), ES)
    assert buttons(reply) == []
    assert render({"blocks": reply.blocks}).count("✅ Ya lo tienes hoy.") == 4


def test_use_as_key_result_carries_the_kpi_and_the_values_the_team_writes():
    pressed = buttons(whatif_reply(what_if(SalesGoal(D(15000000), True, Per.WEEK), Lever.CONVERSION), ES))
    first = json.loads(pressed[0]["value"])
    assert pressed[0]["action_id"] == USE_AS_KR
    assert first == {"kpi": "conversion_web", "baseline": "1,2\u00a0%", "target": "1,8\u00a0%", "days": 7}
