"""What if, on a team's own catalog and weeks (real SQLite and PostgreSQL): which KPIs make the
funnel, which weeks count, and what is missing, with the command to fix it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.errors import UserError
from domain.funnel import Lever
from domain.glossary import Side, TermDraft
from domain.kpis import Aggregation, KpiSpec, Unit
from domain.periods import Period
from domain.smart_goal import Verdict
from services import glossary, kpis, whatif
from tests.support.teams import act

NOW = datetime(2026, 1, 28, 15, 0, tzinfo=timezone.utc)
TODAY = date(2026, 1, 28)  # a Wednesday
THIS_MONDAY = date(2026, 1, 26)
ANA, LUIS = "U0ANA", "U0LUIS"


pytestmark = pytest.mark.team(now=NOW, marketing=ANA, sales=LUIS)


def log_weeks(session_factory, team, key, values, *, last_monday=THIS_MONDAY - timedelta(weeks=1)):
    """Whole-week values, the last one for the week of `last_monday`; None skips a week."""
    first = last_monday - timedelta(weeks=len(values) - 1)
    for index, value in enumerate(values):
        if value is not None:
            act(
                session_factory, team, kpis.record, key=key, value=Decimal(value), shown=value,
                period=Period.week_of(first + timedelta(weeks=index)), source="slack", actor=ANA, note="", now=NOW,
            )  # fmt: skip


def simulate(session_factory, team, text, **kwargs):
    with session_factory() as session:
        return whatif.simulate(session, team=team(session), text=text, today=TODAY, **kwargs)


def starter_funnel(session_factory, team, weeks=6):
    act(session_factory, team, kpis.enable_starter_set, actor=ANA, now=NOW, language="es")
    log_weeks(session_factory, team, "sessions", ["25000"] * weeks)
    log_weeks(session_factory, team, "orders", ["300"] * weeks)
    log_weeks(session_factory, team, "avg_deal", ["100000"] * weeks)


def test_the_starter_funnel_uses_the_rate_of_orders_over_sessions(session_factory, team):
    starter_funnel(session_factory, team)
    result = simulate(session_factory, team, "ventas +15 millones por semana con conversión")
    assert (result.kpis.sessions.key, result.kpis.conversion.key, result.kpis.ticket.key) == ("sessions", "conversion_web", "avg_deal")
    conversion = result.plan.path(Lever.CONVERSION)
    assert (conversion.today, conversion.needed) == (Decimal("1.2"), Decimal("1.8"))
    assert result.ask.lever is Lever.CONVERSION


def test_the_weeks_are_the_last_complete_ones_and_the_history_half_a_year(session_factory, team):
    starter_funnel(session_factory, team)
    # the week in progress has a third of its traffic so far: it must not count
    log_weeks(session_factory, team, "sessions", ["8000"], last_monday=THIS_MONDAY)
    result = simulate(session_factory, team, "ventas 60 millones por semana")
    assert result.plan.baseline.weeks == tuple(THIS_MONDAY - timedelta(weeks=week) for week in (4, 3, 2, 1))
    assert result.plan.path(Lever.TRAFFIC).today == Decimal(25000)
    assert result.history == (THIS_MONDAY - timedelta(weeks=26), THIS_MONDAY - timedelta(weeks=1))


def test_a_missing_week_is_left_out_and_the_window_can_be_chosen(session_factory, team):
    act(session_factory, team, kpis.enable_starter_set, actor=ANA, now=NOW, language="es")
    log_weeks(session_factory, team, "sessions", ["20000", "25000", None, "25000"])
    log_weeks(session_factory, team, "orders", ["200", "300", None, "300"])
    log_weeks(session_factory, team, "avg_deal", ["100000"] * 4)
    result = simulate(session_factory, team, "ventas 60 millones por semana")
    assert result.plan.baseline.skipped == (THIS_MONDAY - timedelta(weeks=2),)
    assert result.plan.baseline.total_sessions == Decimal(70000) and len(result.plan.baseline.weeks) == 3
    shorter = simulate(session_factory, team, "ventas 60 millones por semana", weeks=3)
    assert shorter.plan.baseline.sessions == Decimal(25000)


def test_without_a_ticket_kpi_the_ticket_is_sales_over_orders(session_factory, team):
    for spec in (
        KpiSpec("visitas_web", "Visitas web", "Web visits"),
        KpiSpec("pedidos", "Pedidos", "Orders"),
        KpiSpec("ventas", "Ventas", "Sales", unit=Unit.CURRENCY),
        KpiSpec("conversion", "Conversión", "Conversion", unit=Unit.PERCENT, aggregation=Aggregation.RATE, numerator="pedidos", denominator="visitas_web"),
    ):
        act(session_factory, team, kpis.create, spec=spec, actor=ANA, now=NOW, language="es")
    log_weeks(session_factory, team, "visitas_web", ["10000", "30000"])
    log_weeks(session_factory, team, "pedidos", ["100", "600"])
    log_weeks(session_factory, team, "ventas", ["10000000", "120000000"])
    result = simulate(session_factory, team, "ventas +10 % por semana", weeks=2)
    assert result.kpis.ticket is None and (result.kpis.sales.key, result.kpis.orders.key) == ("ventas", "pedidos")
    base = result.plan.baseline
    assert (base.conversion, base.total_orders, base.total_sales, base.sales) == (Decimal("1.75"), 700, 130000000, 65000000)
    assert [role for role, _ in result.kpis.used()] == ["sessions", "conversion", "sales", "orders"]


def test_a_whatsapp_team_uses_its_own_conversion(session_factory, team):
    for spec in (
        KpiSpec("conversaciones", "Sesiones de WhatsApp", "WhatsApp sessions"),
        KpiSpec("cierre_whatsapp", "Conversión en WhatsApp", "WhatsApp conversion", unit=Unit.PERCENT, aggregation=Aggregation.AVERAGE),
        KpiSpec("ticket", "Ticket promedio", "Average ticket", unit=Unit.CURRENCY, aggregation=Aggregation.AVERAGE),
    ):
        act(session_factory, team, kpis.create, spec=spec, actor=ANA, now=NOW, language="es")
    log_weeks(session_factory, team, "conversaciones", ["1000"] * 4)
    log_weeks(session_factory, team, "cierre_whatsapp", ["20"] * 4)
    log_weeks(session_factory, team, "ticket", ["150000"] * 4)
    result = simulate(session_factory, team, "ventas +3 millones por semana con pedidos")
    assert result.kpis.conversion.key == "cierre_whatsapp"
    assert result.plan.path(Lever.ORDERS).needed == Decimal(220)  # 200 today + 3 000 000 ÷ 150 000


def test_the_definitions_in_force_come_with_their_version(session_factory, team):
    starter_funnel(session_factory, team)
    draft = TermDraft("Sesiones", "Visitas a la tienda web contadas por Google Analytics 4.", Side.MARKETING)
    act(session_factory, team, glossary.adopt, draft=draft, actor=ANA, now=NOW)
    result = simulate(session_factory, team, "ventas +15 millones")
    by_role = {definition.role: definition for definition in result.definitions}
    assert (by_role["sessions"].term, by_role["sessions"].text, by_role["sessions"].version) == ("Sesiones", draft.definition, 1)
    assert by_role["conversion"].text is None


def test_realism_reads_the_history(session_factory, team):
    act(session_factory, team, kpis.enable_starter_set, actor=ANA, now=NOW, language="es")
    log_weeks(session_factory, team, "sessions", ["10000"] * 8)
    log_weeks(session_factory, team, "orders", ["120", "110", "120", "130", "120", "120", "120", "120"])
    log_weeks(session_factory, team, "avg_deal", ["100000"] * 8)
    fantasy = simulate(session_factory, team, "ventas 152.187.500 por mes con conversión")  # 3,5 % of 43 482 sessions
    assert fantasy.plan.path(Lever.CONVERSION).needed == Decimal("3.5")
    assert fantasy.plan.path(Lever.CONVERSION).pace.verdict is Verdict.FAILED
    stretch = simulate(session_factory, team, "ventas 69.571.428 por mes")
    assert round(stretch.plan.path(Lever.CONVERSION).needed, 2) == Decimal("1.60")
    assert stretch.plan.path(Lever.CONVERSION).pace.verdict is Verdict.PASSED


@pytest.mark.parametrize(
    "prepare, message_id",
    [
        (lambda factory, team: None, "whatif.missing_sessions"),
        (lambda factory, team: act(factory, team, kpis.create, spec=KpiSpec("sessions", "Sesiones", "Sessions"), actor=ANA, now=NOW, language="es"),
         "whatif.missing_conversion"),
        (lambda factory, team: act(factory, team, kpis.enable_starter_set, actor=ANA, now=NOW, language="es"), "whatif.no_values"),
    ],
)
def test_what_is_missing_is_named(session_factory, team, prepare, message_id):
    prepare(session_factory, team)
    with pytest.raises(UserError) as raised:
        simulate(session_factory, team, "ventas +15 millones")
    assert raised.value.message_id == message_id
    if message_id == "whatif.no_values":
        assert raised.value.params["key"] == "sessions"


def test_a_window_longer_than_a_quarter_is_refused(session_factory, team):
    starter_funnel(session_factory, team)
    with pytest.raises(UserError) as raised:
        simulate(session_factory, team, "ventas +15 millones", weeks=14)
    assert raised.value.message_id == "whatif.weeks_out_of_range"


def test_what_points_of_conversion_were_worth_last_week(session_factory, team):
    starter_funnel(session_factory, team)
    last_week = Period.week_of(THIS_MONDAY - timedelta(weeks=1))
    with session_factory() as session:
        found = whatif.conversion_worth(session, team=team(session), week=last_week)
        unlogged = whatif.conversion_worth(session, team=team(session), week=Period.week_of(THIS_MONDAY))
    assert found.points == Decimal("0.2")
    assert found.worth == Decimal(5000000)  # 25 000 sessions × 0,2 % × $100 000
    assert (found.sessions, found.conversion, found.ticket) == (25000, Decimal("1.2"), 100000)
    assert (found.kpi.key, found.currency, found.week) == ("conversion_web", "COP", last_week)
    assert unlogged is None


def test_the_weeks_typed_choose_the_baseline(session_factory, team):
    act(session_factory, team, kpis.enable_starter_set, actor=ANA, now=NOW, language="es")
    log_weeks(session_factory, team, "sessions", ["10000"] * 4 + ["30000"] * 4)
    log_weeks(session_factory, team, "orders", ["100"] * 4 + ["300"] * 4)
    log_weeks(session_factory, team, "avg_deal", ["100000"] * 8)
    default = simulate(session_factory, team, "ventas 60 millones por semana")
    eight = simulate(session_factory, team, "ventas 60 millones por semana últimas 8 semanas")
    english = simulate(session_factory, team, "sales 60M a week over the last 8 weeks")
    assert len(default.plan.baseline.weeks) == 4 and default.plan.baseline.sessions == 30000
    assert len(eight.plan.baseline.weeks) == 8 and eight.plan.baseline.sessions == 20000  # (4 × 10 000 + 4 × 30 000) ÷ 8
    assert eight.plan.baseline.weeks[0] == THIS_MONDAY - timedelta(weeks=8)
    assert english.plan.baseline == eight.plan.baseline and english.plan.target == Decimal(60000000)


@pytest.mark.parametrize("text, message_id", [
    ("ventas +15 millones últimas 14 semanas", "whatif.weeks_out_of_range"),
    ("ventas +15 millones últimas 0 semanas", "whatif.weeks_out_of_range"),
    ("ventas +15 millones últimas ocho semanas", "whatif.weeks_not_a_number"),
    ("sales +15M last 2.5 weeks", "whatif.weeks_not_a_number"),
])  # fmt: skip
def test_a_bad_number_of_weeks_is_refused(session_factory, team, text, message_id):
    starter_funnel(session_factory, team)
    with pytest.raises(UserError) as raised:
        simulate(session_factory, team, text)
    assert raised.value.message_id == message_id and raised.value.params["limit"] == 13
