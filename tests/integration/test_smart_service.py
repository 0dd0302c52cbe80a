"""SMART checks against a team's own catalog and history, on real SQLite and PostgreSQL: the
KPI a goal names brings its weekly history, which decides whether the pace is realistic."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from domain.glossary import Side, TermDraft
from domain.periods import Period
from domain.smart_goal import Criterion, Verdict
from services import glossary, kpis, smart
from tests.support.teams import act

NOW = datetime(2026, 1, 28, 15, 0, tzinfo=timezone.utc)
TODAY = date(2026, 1, 28)  # a Wednesday, in ISO week 2026-W05
THIS_MONDAY = date(2026, 1, 26)
ANA, LUIS = "U0ANA", "U0LUIS"
S, M, A, R, T = Criterion.SPECIFIC, Criterion.MEASURABLE, Criterion.ACHIEVABLE, Criterion.RELEVANT, Criterion.TIME_BOUND
PASS, FAIL, UNKNOWN = Verdict.PASSED, Verdict.FAILED, Verdict.UNKNOWN
# Weekly mobile conversion (%) over the nine weeks before this one: it never moved more than
# 0,1 points from one week to the next.
MOBILE_WEEKS = ["1.0", "1.1", "1.2", "1.1", "1.2", "1.3", "1.2", "1.1", "1.2"]


pytestmark = pytest.mark.team(now=NOW, marketing=ANA, sales=LUIS)


def enable(session_factory, team):
    act(session_factory, team, kpis.enable_starter_set, actor=ANA, now=NOW, language="es")


def log(session_factory, team, key, value, day, kind="day"):
    period = Period(kind, day) if kind == "day" else Period.week_of(day)
    act(
        session_factory, team, kpis.record, key=key, value=Decimal(value), shown=value, period=period, source="slack",
        actor=ANA, note="", now=NOW,
    )


def log_weeks(session_factory, team, key, values, *, last_monday=THIS_MONDAY - timedelta(weeks=1)):
    """One value per week, the last one in the week of `last_monday`, logged as two days (Monday
    and Thursday) that average to it: the history is read week by week, not day by day."""
    first = last_monday - timedelta(weeks=len(values) - 1)
    for index, value in enumerate(values):
        monday = first + timedelta(weeks=index)
        middle = Decimal(value)
        log(session_factory, team, key, str(middle - Decimal("0.05")), monday)
        log(session_factory, team, key, str(middle + Decimal("0.05")), monday + timedelta(days=3))


def check(session_factory, team, text, today=TODAY):
    with session_factory() as session:
        return smart.check(session, team=team(session), text=text, today=today)


def verdicts(result):
    return {finding.criterion: finding.verdict for finding in result.findings}


def test_logged_history_makes_a_fast_climb_unrealistic_and_a_modest_one_acceptable(session_factory, team):
    enable(session_factory, team)
    log_weeks(session_factory, team, "mobile_conversion", MOBILE_WEEKS)

    fast = check(session_factory, team, "Subir la conversión en móvil de 1,2 % a 3,5 % entre el 01/02/2026 y el 28/02/2026")
    assert verdicts(fast) == {S: PASS, M: PASS, A: FAIL, R: PASS, T: PASS}
    finding = fast[A]
    # 2,3 points in 27 days is 0,6 a week; the fastest week moved 0,1: at most 0,2 a week is a stretch.
    assert finding.message_id == "smart.achievable.too_fast"
    assert finding.params == {"required": "0,6\u00a0%", "fastest": "0,1\u00a0%", "suggested_target": "2\u00a0%", "suggested_deadline": "23 abr 2026"}
    assert fast[R].params == {"name": "Conversión en móvil"}

    modest = check(session_factory, team, "Subir la conversión en móvil de 1,2 % a 1,6 % entre el 01/02/2026 y el 28/02/2026")
    assert verdicts(modest) == {S: PASS, M: PASS, A: PASS, R: PASS, T: PASS}
    assert modest[A].params == {"required": "0,1\u00a0%", "fastest": "0,1\u00a0%"}
    assert modest.passed


def test_without_values_achievability_is_unknown_not_failed(session_factory, team):
    enable(session_factory, team)
    result = check(session_factory, team, "Subir la conversión en móvil de 1,2 % a 3,5 % entre el 01/02/2026 y el 28/02/2026")
    assert (result[A].verdict, result[A].message_id) == (UNKNOWN, "smart.achievable.no_history")
    assert result.passed


def test_only_the_last_26_weeks_count(session_factory, team):
    enable(session_factory, team)
    # A jump of 4 points a year ago would make any climb look easy; it is too old to count.
    old = THIS_MONDAY - timedelta(weeks=40)
    log(session_factory, team, "mobile_conversion", "1", old, kind="week")
    log(session_factory, team, "mobile_conversion", "5", old + timedelta(weeks=1), kind="week")
    log_weeks(session_factory, team, "mobile_conversion", MOBILE_WEEKS)
    result = check(session_factory, team, "Subir la conversión en móvil de 1,2 % a 3,5 % entre el 01/02/2026 y el 28/02/2026")
    assert (result[A].verdict, result[A].params["fastest"]) == (FAIL, "0,1\u00a0%")


def test_a_summed_kpi_leaves_out_the_week_in_progress(session_factory, team):
    enable(session_factory, team)
    for weeks_ago, orders in zip(range(6, 0, -1), ["100", "104", "100", "105", "101", "100"]):
        log(session_factory, team, "orders", orders, THIS_MONDAY - timedelta(weeks=weeks_ago), kind="week")
    log(session_factory, team, "orders", "12", THIS_MONDAY)  # Monday of this week, so far
    result = check(session_factory, team, "Aumentar los pedidos de 100 a 150 entre el 02/02/2026 y el 01/03/2026")
    # 50 orders in four weeks is 12,5 a week; complete weeks moved at most 5 (a stretch: 10).
    assert result[A].verdict is FAIL
    assert result[A].params["fastest"] == "5"


def test_english_names_of_starter_kpis_link_in_a_spanish_team(session_factory, team):
    enable(session_factory, team)
    log_weeks(session_factory, team, "mobile_conversion", MOBILE_WEEKS)
    result = check(session_factory, team, "Subir el mobile conversion rate de 1,2 % a 1,6 % entre el 01/02/2026 y el 28/02/2026")
    assert result[R].params == {"name": "Mobile conversion rate"}
    assert result[A].verdict is PASS  # the history came with the name


def test_a_glossary_alias_links_the_goal_to_the_kpi_that_counts_the_term(session_factory, team):
    draft = TermDraft("MQL", "Lead que pidió una demo y cumple el perfil", Side.MARKETING, aliases=("prospectos",))
    act(session_factory, team, glossary.adopt, draft=draft, actor=ANA, now=NOW)
    enable(session_factory, team)  # leads_mql counts the term MQL
    for weeks_ago, leads in zip(range(4, 0, -1), ["100", "110", "105", "112"]):
        log(session_factory, team, "leads_mql", leads, THIS_MONDAY - timedelta(weeks=weeks_ago), kind="week")
    result = check(session_factory, team, "Subir los prospectos de 110 a 130 entre el 02/02/2026 y el 01/03/2026")
    assert result[R].params == {"name": "prospectos"}
    assert (result[A].verdict, result[A].params["fastest"]) == (PASS, "10")


def test_a_goal_in_another_unit_than_its_kpi_gets_no_history(session_factory, team):
    enable(session_factory, team)
    for weeks_ago, orders in zip(range(4, 0, -1), ["100", "104", "100", "105"]):
        log(session_factory, team, "orders", orders, THIS_MONDAY - timedelta(weeks=weeks_ago), kind="week")
    result = check(session_factory, team, "Aumentar los pedidos del 10 % al 12 % entre el 02/02/2026 y el 01/03/2026")
    assert result[A].message_id == "smart.achievable.no_history"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Vender más", {S: FAIL, M: FAIL, A: UNKNOWN, R: FAIL, T: FAIL}),
        ("Reducir la tasa de bajas mensuales del 12% al 7%", {S: PASS, M: PASS, A: UNKNOWN, R: FAIL, T: FAIL}),
        (
            "Aumentar las ventas de kits de regalo de 18 a 25 millones COP entre el 02/01/2026 y el 31/01/2026",
            {S: PASS, M: PASS, A: UNKNOWN, R: PASS, T: PASS},
        ),
    ],
)
def test_the_issue_examples_against_the_starter_set(session_factory, team, text, expected):
    enable(session_factory, team)
    assert verdicts(check(session_factory, team, text, today=date(2026, 1, 14))) == expected
