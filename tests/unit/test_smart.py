from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.errors import UserError
from domain.examples import example_params
from domain.smart_criteria import check_goal, check_text
from domain.smart_goal import ChangeBy, Criterion, Goal, GoalDirection, History, Milestone, Verdict
from domain.smart_reading import parse_goal
from domain.smart_timing import parse_deadline
from services.i18n import t

D = Decimal
UP, DOWN = GoalDirection.INCREASE, GoalDirection.DECREASE
TODAY = date(2025, 12, 15)
KPI_NAMES = ["conversion_web", "Tasa de conversión web", "cart_abandonment", "Abandono de carrito", "sales_cop", "Ventas"]
TERMS = ["MQL", "Cliente recurrente"]
# Monthly web conversion that never moved more than 0,3 points in a month.
CONVERSION = [
    (date(2025, 7, 1), "1.0"), (date(2025, 8, 1), "1.3"), (date(2025, 9, 1), "1.1"),
    (date(2025, 10, 1), "1.2"), (date(2025, 11, 1), "1.4"), (date(2025, 12, 1), "1.2"),
]  # fmt: skip
# Weekly mobile cart abandonment that moves up to 1,5 points a week.
ABANDONMENT = [(date(2025, 11, 3), 80), (date(2025, 11, 10), 78.5), (date(2025, 11, 17), 79.5), (date(2025, 11, 24), 78), (date(2025, 12, 1), 79)]


def expect_error(message_id, params, call, *args, **kwargs):
    """`call` raises the UserError `message_id` with exactly `params`, renderable in both languages."""
    with pytest.raises(UserError) as info:
        call(*args, **kwargs)
    assert (info.value.message_id, info.value.params) == (message_id, params)
    for language in ("es", "en"):
        assert t(language, message_id, **params)


def verdicts(check):
    return {finding.criterion: finding.verdict for finding in check.findings}


# ---------------------------------------------------------------------------------------------
# Reading a goal


@pytest.mark.parametrize(
    "text, language, country, expected",
    [
        (
            "Aumentar las ventas de kits de regalo de 18 a 25 millones COP entre el 02/01/2026 y el 31/01/2026", "es", "CO",
            ("ventas de kits de regalo", UP, D(18_000_000), D(25_000_000), "COP", date(2026, 1, 2), date(2026, 1, 31)),
        ),
        ("Vender más", "es", "CO", ("Vender", UP, None, None, None, TODAY, None)),
        ("Reducir la tasa de bajas mensuales del 12% al 7%", "es", "CO", ("tasa de bajas mensuales", DOWN, D(12), D(7), "%", TODAY, None)),
        (
            "En 45 días, bajar el abandono de carrito móvil de 78 % a 70 %", "es", "CO",
            ("abandono de carrito móvil", DOWN, D(78), D(70), "%", TODAY, TODAY + timedelta(days=45)),
        ),
        ("Subir la conversión web de 1,2 % a 1,6 % al 31/03/2026", "es", "CO", ("conversión web", UP, D("1.2"), D("1.6"), "%", TODAY, date(2026, 3, 31))),
        ("Aumentar los leads MQL de 100 a 150 antes del 15/02/2026", "es", "CO", ("leads MQL", UP, D(100), D(150), None, TODAY, date(2026, 2, 15))),
        ("Bajar el tiempo de respuesta en WhatsApp de 4 h a 1 h para fin de febrero", "es", "CO", ("tiempo de respuesta en WhatsApp", DOWN, D(4), D(1), "h", TODAY, date(2026, 2, 28))),
        ("Reducir el CAC de $ 45.000 a $ 38.000 en marzo", "es", "CO", ("CAC", DOWN, D(45000), D(38000), "COP", date(2026, 3, 1), date(2026, 3, 31))),
        ("Reducir la tasa de bajas de un 12 % a un 7 % para el 30 de junio", "es", "CO", ("tasa de bajas", DOWN, D(12), D(7), "%", TODAY, date(2026, 6, 30))),
        # A multiplier said once belongs to both values only when that brings them together.
        ("Aumentar los leads de 1.500 a 2 mil desde el 5 de enero hasta el 28 de febrero", "es", "CO", ("leads", UP, D(1500), D(2000), None, date(2026, 1, 5), date(2026, 2, 28))),
        ("Aumentar las ventas de 18 - 25 millones dentro de 2 meses", "es", "CO", ("ventas", UP, D(18_000_000), D(25_000_000), None, TODAY, date(2026, 2, 15))),
        ("Increase web conversion from 1.2% to 1.6% by March 31", "en", "US", ("web conversion", UP, D("1.2"), D("1.6"), "%", TODAY, date(2026, 3, 31))),
        ("Grow gift kit sales from 18 to 25 million COP by 03/31/2026", "en", "CO", ("gift kit sales", UP, D(18_000_000), D(25_000_000), "COP", TODAY, date(2026, 3, 31))),
        ("Reduce checkout abandonment from 70% to 65% in 6 weeks", "en", "US", ("checkout abandonment", DOWN, D(70), D(65), "%", TODAY, date(2026, 1, 26))),
        ("Increase MQLs from 100 to 150 between Jan 5 and Feb 27", "en", "US", ("MQLs", UP, D(100), D(150), None, date(2026, 1, 5), date(2026, 2, 27))),
        ("Improve lead response time from 24 hours to 8 hours by the end of January", "en", "US", ("lead response time", DOWN, D(24), D(8), "h", TODAY, date(2026, 1, 31))),
        # "From the end of a month" starts on its last day, not its first (it read as the 1st before).
        ("Aumentar los leads de 100 a 150 desde fin de enero hasta el 31/03/2026", "es", "CO", ("leads", UP, D(100), D(150), None, date(2026, 1, 31), date(2026, 3, 31))),
        ("Increase MQLs from 100 to 150 between the end of January and the end of March", "en", "US", ("MQLs", UP, D(100), D(150), None, date(2026, 1, 31), date(2026, 3, 31))),
        # Read the same ways `kpi log … for` reads a day: "marzo 31 de 2026", "31-03-26", "30 set".
        ("Subir la conversión web de 1,2 % a 1,6 % al marzo 31 de 2026", "es", "CO", ("conversión web", UP, D("1.2"), D("1.6"), "%", TODAY, date(2026, 3, 31))),
        ("Subir la conversión web de 1,2 % a 1,6 % al 31-03-26", "es", "CO", ("conversión web", UP, D("1.2"), D("1.6"), "%", TODAY, date(2026, 3, 31))),
        ("Subir la conversión web de 1,2 % a 1,6 % para el 30 set", "es", "CO", ("conversión web", UP, D("1.2"), D("1.6"), "%", TODAY, date(2026, 9, 30))),
        # Neutral verbs take the direction from the numbers; "más" and "menos" also say it.
        ("Mejorar el tiempo de respuesta de 6 h a 2 h al 31/01/2026", "es", "CO", ("tiempo de respuesta", DOWN, D(6), D(2), "h", TODAY, date(2026, 1, 31))),
        ("Menos devoluciones de kits", "es", "CO", ("devoluciones de kits", DOWN, None, None, None, TODAY, None)),
        ("Llegar a 25 millones COP en ventas de kits al 31/01/2026", "es", "CO", ("ventas de kits", None, None, D(25_000_000), "COP", TODAY, date(2026, 1, 31))),
    ],
)
def test_parse_goal(text, language, country, expected):
    goal = parse_goal(text, today=TODAY, language=language, country=country)
    assert (goal.metric, goal.direction, goal.baseline, goal.target, goal.unit, goal.start, goal.deadline) == expected


@pytest.mark.parametrize(
    "text, baseline, target, unit, change",
    [
        # "en 25 %" is 25 % of the baseline; "en 2 h" and "en 1 punto" add or take units.
        ("Aumentar la recompra a 60 días del 20 % en un 25 % al 31/03/2026", D(20), D(25), "%", ChangeBy(D(25), None, True)),
        ("Reducir el tiempo de respuesta de 10 h en 2 h al 31/01/2026", D(10), D(8), "h", ChangeBy(D(2), "h", False)),
        ("Subir la conversión de 2 % en 1 punto al 31/01/2026", D(2), D(3), "%", ChangeBy(D(1), None, False)),
        ("Increase 60-day repurchase from 20% by 25% by March 31", D(20), D(25), "%", ChangeBy(D(25), None, True)),
        ("Aumentar la recompra en 25 % al 31/03/2026", None, None, None, ChangeBy(D(25), None, True)),
    ],
)
def test_relative_changes(text, baseline, target, unit, change):
    language = "en" if text.startswith("Increase") else "es"
    goal = parse_goal(text, today=TODAY, language=language, country="CO")
    assert (goal.baseline, goal.target, goal.unit, goal.change) == (baseline, target, unit, change)


@pytest.mark.parametrize(
    "text, language, baseline, target, scale",
    [
        ("Subir la satisfacción promedio de 8,2 a 9 de 10 al 31/03/2026", "es", D("8.2"), D(9), D(10)),
        ("Improve average satisfaction from 8.2 to 9 of 10 by June 30", "en", D("8.2"), D(9), D(10)),
        ("Subir la calificación en la tienda de 4,1 a 4,6 sobre 5 al 31/03/2026", "es", D("4.1"), D("4.6"), D(5)),
        # 25 millones is not a rating out of 10.
        ("Aumentar las ventas de 18 a 25 millones COP de 10 tiendas al 31/03/2026", "es", D(18_000_000), D(25_000_000), None),
    ],
)
def test_ratings(text, language, baseline, target, scale):
    goal = parse_goal(text, today=TODAY, language=language, country="CO")
    assert (goal.baseline, goal.target, goal.scale) == (baseline, target, scale)


def test_a_number_in_the_metric_name_is_not_a_value():
    goal = parse_goal("Aumentar la recompra a 60 días del 20 % al 24 % al 31/03/2026", today=TODAY)
    assert (goal.metric, goal.baseline, goal.target) == ("recompra a 60 días", D(20), D(24))


@pytest.mark.parametrize(
    "text, language, today, expected",
    [
        ("al 31/03/2026", "es", TODAY, date(2026, 3, 31)),
        ("antes del 15/02/2026", "es", TODAY, date(2026, 2, 15)),
        ("en 45 días", "es", TODAY, date(2026, 1, 29)),
        ("dentro de un mes", "es", date(2026, 1, 31), date(2026, 2, 28)),
        ("para fin de marzo", "es", TODAY, date(2026, 3, 31)),
        ("31 de marzo de 2026", "es", TODAY, date(2026, 3, 31)),
        ("al 28 feb 2026", "es", TODAY, date(2026, 2, 28)),
        ("2026-02-28", "es", TODAY, date(2026, 2, 28)),
        # Day first in Spanish, month first in English; the other order when only it exists.
        ("02/01/2026", "es", TODAY, date(2026, 1, 2)),
        ("02/01/2026", "en", TODAY, date(2026, 2, 1)),
        ("by 13/03/2026", "en", TODAY, date(2026, 3, 13)),
        ("by March 31", "en", TODAY, date(2026, 3, 31)),
        ("by March 31", "en", date(2026, 4, 10), date(2027, 3, 31)),  # the next one, never a past one
        ("Feb 28, 2026", "en", TODAY, date(2026, 2, 28)),
        ("in 6 weeks", "en", TODAY, date(2026, 1, 26)),
        ("by the end of March", "en", TODAY, date(2026, 3, 31)),
    ],
)
def test_parse_deadline(text, language, today, expected):
    assert parse_deadline(text, today=today, language=language) == expected


def test_dates_proposed_in_fixes_read_back():
    """The dates written into the fixes ("26 ene 2026", "Jan 26, 2026") can be typed back."""
    for language in ("es", "en"):
        check = check_text("Reducir la tasa de bajas mensuales del 12% al 7%", today=TODAY, language=language)
        example = check[Criterion.TIME_BOUND].params["example"]
        assert parse_deadline(example, today=TODAY, language=language) == TODAY + timedelta(days=42)


def test_reading_errors():
    expect_error("smart.empty_goal", example_params(TODAY, "es"), parse_goal, "  ", today=TODAY)
    expect_error("numbers.ambiguous", {"text": "45,000", "example": "1.234,5"}, parse_goal, "Aumentar las ventas de 45,000 a 50.000", today=TODAY)
    expect_error("smart.units_differ", {"baseline": "12 %", "target": "7 USD"}, parse_goal, "Reducir las bajas de 12 % a 7 USD", today=TODAY)
    expect_error("smart.unknown_date", {"text": "mañana", "example": "12 ene 2026", **example_params(TODAY, "es")}, parse_deadline, "mañana", today=TODAY)


# ---------------------------------------------------------------------------------------------
# The checklist


def check(text, **kwargs):
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("kpi_names", KPI_NAMES)
    kwargs.setdefault("terms", TERMS)
    return check_text(text, **kwargs)


S, M, A, R, T = Criterion.SPECIFIC, Criterion.MEASURABLE, Criterion.ACHIEVABLE, Criterion.RELEVANT, Criterion.TIME_BOUND
PASS, FAIL, UNKNOWN = Verdict.PASSED, Verdict.FAILED, Verdict.UNKNOWN


@pytest.mark.parametrize(
    "text, history, expected",
    [
        ("Vender más", None, {S: FAIL, M: FAIL, A: UNKNOWN, R: FAIL, T: FAIL}),
        ("Reducir la tasa de bajas mensuales del 12% al 7%", None, {S: PASS, M: PASS, A: UNKNOWN, R: FAIL, T: FAIL}),
        ("En 45 días, bajar el abandono de carrito móvil de 78 % a 70 %", ABANDONMENT, {S: PASS, M: PASS, A: PASS, R: PASS, T: PASS}),
        ("En 45 días, bajar el abandono de carrito móvil de 78 % a 50 %", ABANDONMENT, {S: PASS, M: PASS, A: FAIL, R: PASS, T: PASS}),
        (
            "Aumentar las ventas de kits de regalo de 18 a 25 millones COP entre el 02/01/2026 y el 31/01/2026", None,
            {S: PASS, M: PASS, A: UNKNOWN, R: PASS, T: PASS},
        ),
        ("Subir la conversión web de 1,2 % a 1,6 % entre el 01/01/2026 y el 31/01/2026", CONVERSION, {S: PASS, M: PASS, A: PASS, R: PASS, T: PASS}),
        ("Subir la conversión web de 1,2 % a 3,5 % entre el 01/01/2026 y el 31/01/2026", CONVERSION, {S: PASS, M: PASS, A: FAIL, R: PASS, T: PASS}),
        ("Increase web conversion from 1.2% to 1.6% by January 25", CONVERSION, {S: PASS, M: PASS, A: PASS, R: PASS, T: PASS}),
    ],
)
def test_checklist(text, history, expected):
    language = "en" if text.startswith("Increase") else "es"
    result = check(text, history=history, language=language, kpi_names=KPI_NAMES + ["Web conversion"])
    assert verdicts(result) == expected
    assert result.passed == (FAIL not in expected.values())
    assert [finding.criterion for finding in result.findings] == [S, M, A, R, T]


def test_unrealistic_pace_gets_a_reachable_target_and_deadline():
    result = check("Subir la conversión web de 1,2 % a 3,5 % entre el 01/01/2026 y el 31/01/2026", history=CONVERSION)
    finding = result[A]
    # 2,3 points in 30 days is 0,54 a week; the fastest month moved 0,3 points (0,07 a week).
    assert finding.message_id == "smart.achievable.too_fast"
    assert finding.params == {"required": "0,54\u00a0%", "fastest": "0,07\u00a0%", "suggested_target": "1,8\u00a0%", "suggested_deadline": "30 abr 2026"}


def test_a_modest_goal_on_the_same_history_passes():
    finding = check("Subir la conversión web de 1,2 % a 1,6 % entre el 01/01/2026 y el 31/01/2026", history=CONVERSION)[A]
    assert (finding.verdict, finding.message_id, finding.params) == (PASS, "smart.achievable.ok", {"required": "0,09\u00a0%", "fastest": "0,07\u00a0%"})


def test_history_as_largest_moves_grades_like_history_as_points():
    text = "Subir la conversión web de 1,2 % a 1,6 % entre el 01/01/2026 y el 31/01/2026"
    by_moves = check(text, history=History.from_moves(per_month=0.3))[A]
    assert by_moves.verdict is PASS
    assert check(text.replace("1,6 %", "3,5 %"), history=History.from_moves(per_month=0.3))[A].verdict is FAIL
    assert check(text.replace("1,6 %", "3,5 %"), history=History.from_moves(per_week=Decimal("0.3")))[A].verdict is PASS


@pytest.mark.parametrize(
    "history, message_id",
    [
        (None, "smart.achievable.no_history"),
        ([(date(2025, 12, 1), "1.2")], "smart.achievable.no_history"),  # one reading is no history
        (History.from_moves(), "smart.achievable.no_history"),
    ],
)
def test_without_history_achievable_is_unknown_not_failed(history, message_id):
    result = check("Subir la conversión web de 1,2 % a 1,6 % entre el 01/01/2026 y el 31/01/2026", history=history)
    assert (result[A].verdict, result[A].message_id) == (UNKNOWN, message_id)
    assert result.passed


def test_a_kpi_that_never_moved():
    flat = [(date(2025, 10, 1), 5), (date(2025, 11, 1), 5), (date(2025, 12, 1), 5)]
    finding = check("Subir la conversión web de 1,2 % a 1,6 % entre el 01/01/2026 y el 31/01/2026", history=flat)[A]
    assert (finding.verdict, finding.message_id) == (FAIL, "smart.achievable.never_moved")


def test_a_target_decades_away_suggests_only_a_smaller_target():
    finding = check("Aumentar las ventas de 18 a 25 millones COP al 31/01/2026", history=History.from_moves(per_month=1000))[A]
    assert finding.message_id == "smart.achievable.too_fast_target_only"
    assert "suggested_deadline" not in finding.params


@pytest.mark.parametrize(
    "text, message_id, params",
    [
        ("Vender más", "smart.specific.missing_scope", {"metric": "Vender"}),
        ("de 18 a 25 millones COP al 31/01/2026", "smart.specific.missing_metric", {}),
        ("Aumentar los pedidos de 100 a 150 al 31/01/2026", "smart.specific.missing_scope", {"metric": "pedidos"}),
        ("Aumentar los pedidos de kits de regalo de 100 a 150 al 31/01/2026", "smart.specific.ok", {"metric": "pedidos de kits de regalo"}),
        # A tracked KPI carries its own scope.
        ("Aumentar las ventas de 18 a 25 millones COP al 31/01/2026", "smart.specific.ok", {"metric": "ventas"}),
    ],
)
def test_specific(text, message_id, params):
    finding = check(text)[S]
    assert (finding.message_id, dict(finding.params)) == (message_id, params)


@pytest.mark.parametrize(
    "text, message_id, params",
    [
        ("Vender más", "smart.measurable.missing_numbers", {}),
        ("Llegar a 25 millones COP en ventas de kits al 31/01/2026", "smart.measurable.missing_baseline", {"target": "$25.000.000"}),
        ("Reducir la tasa de bajas del 12 % al 31/01/2026", "smart.measurable.missing_target", {"baseline": "12\u00a0%"}),
        ("Aumentar la recompra en 25 % al 31/03/2026", "smart.measurable.change_needs_baseline", {"change": "25\u00a0%"}),
        ("Mantener la tasa de bajas de 7 % a 7 % al 31/01/2026", "smart.measurable.same_value", {"value": "7\u00a0%"}),
        (
            "Aumentar las ventas de kits de 25 a 18 millones COP al 31/01/2026", "smart.measurable.contradicts_increase",
            {"baseline": "$25.000.000", "target": "$18.000.000"},
        ),
        ("Reducir el abandono de carrito de 70 % a 78 % al 31/01/2026", "smart.measurable.contradicts_decrease", {"baseline": "70\u00a0%", "target": "78\u00a0%"}),
        ("Reducir el abandono de carrito de 78 % a 70 % al 31/01/2026", "smart.measurable.ok", {"baseline": "78\u00a0%", "target": "70\u00a0%"}),
    ],
)
def test_measurable(text, message_id, params):
    finding = check(text)[M]
    assert (finding.message_id, dict(finding.params)) == (message_id, params)
    assert finding.verdict is (PASS if message_id.endswith(".ok") else FAIL)


@pytest.mark.parametrize(
    "text, kpi_names, terms, message_id, params",
    [
        # Case, accents and small words do not matter; the longest name wins.
        ("Bajar el ABANDONO DEL CARRITO móvil de 78 % a 70 % al 31/01/2026", KPI_NAMES, (), "smart.relevant.ok", {"name": "Abandono de carrito"}),
        ("Reduce cart abandonment from 78% to 70% by January 31", ["cart_abandonment"], (), "smart.relevant.ok", {"name": "cart_abandonment"}),
        ("Subir los leads MQL de 100 a 150 al 31/01/2026", (), TERMS, "smart.relevant.ok", {"name": "MQL"}),
        ("Subir la conversión web de 1,2 % a 1,6 % al 31/01/2026", KPI_NAMES, (), "smart.relevant.ok", {"name": "Tasa de conversión web"}),
        ("Reducir la tasa de bajas mensuales del 12% al 7%", KPI_NAMES, TERMS, "smart.relevant.unlinked", {"metric": "tasa de bajas mensuales"}),
        ("Subir la convercion wep de 1,2 % a 1,6 %", ["Conversión web"], (), "smart.relevant.unlinked_suggestion", {"metric": "convercion wep", "suggestion": "Conversión web"}),
        ("de 1,2 % a 1,6 % al 31/01/2026", KPI_NAMES, (), "smart.relevant.needs_metric", {}),
    ],
)
def test_relevant(text, kpi_names, terms, message_id, params):
    language = "en" if text.startswith("Reduce") else "es"
    finding = check(text, kpi_names=kpi_names, terms=terms, language=language)[R]
    assert (finding.message_id, dict(finding.params)) == (message_id, params)


@pytest.mark.parametrize(
    "text, today, message_id, params",
    [
        ("Subir los leads MQL de 100 a 150", TODAY, "smart.time_bound.missing_deadline", {"example": "26 ene 2026"}),
        ("Subir los leads MQL de 100 a 150 al 01/12/2025", TODAY, "smart.time_bound.deadline_passed", {"start": "15 dic 2025", "deadline": "1 dic 2025"}),
        (
            "Subir los leads MQL de 100 a 150 entre el 31/01/2026 y el 02/01/2026", TODAY,
            "smart.time_bound.deadline_before_start", {"start": "31 ene 2026", "deadline": "2 ene 2026"},
        ),
        # Six weeks as people say them: 45 days is six weeks, 46 days is seven and needs milestones.
        ("Subir los leads MQL de 100 a 150 en 45 días", TODAY, "smart.time_bound.ok", {"start": "15 dic 2025", "deadline": "29 ene 2026"}),
        ("Subir los leads MQL de 100 a 150 en 46 días", TODAY, "smart.time_bound.needs_milestones", {"weeks": "7", "milestones": "130 (12 ene 2026)"}),
        (
            "Subir la conversión web de 1,2 % a 1,6 % al 31/03/2026", TODAY, "smart.time_bound.needs_milestones",
            {"weeks": "15", "milestones": "1,3\u00a0% (12 ene 2026), 1,4\u00a0% (9 feb 2026), 1,5\u00a0% (9 mar 2026)"},
        ),
    ],
)
def test_time_bound(text, today, message_id, params):
    finding = check(text, today=today)[T]
    assert (finding.message_id, dict(finding.params)) == (message_id, params)


def test_milestones_make_a_long_goal_time_bound_and_must_fall_inside_it():
    goal = parse_goal("Subir la conversión web de 1,2 % a 1,6 % al 31/03/2026", today=TODAY)
    inside = Goal(**{**goal.__dict__, "milestones": (Milestone(date(2026, 2, 1), D("1.4")),)})
    outside = Goal(**{**goal.__dict__, "milestones": (Milestone(date(2026, 4, 15), D("1.4")),)})
    assert check_goal(inside, today=TODAY)[T].verdict is PASS
    finding = check_goal(outside, today=TODAY)[T]
    assert (finding.verdict, finding.message_id, finding.params["date"]) == (FAIL, "smart.time_bound.milestone_outside", "15 abr 2026")


def test_every_finding_renders_in_both_languages():
    texts = [
        "Vender más", "Reducir la tasa de bajas mensuales del 12% al 7%", "Aumentar la recompra en 25 % al 31/03/2026",
        "En 45 días, bajar el abandono de carrito móvil de 78 % a 70 %", "Subir la conversión web de 1,2 % a 3,5 % al 31/03/2026",
        "Llegar a 25 millones COP en ventas de kits al 31/01/2026", "Subir los leads MQL de 100 a 150 al 01/12/2025",
    ]
    for text in texts:
        for language in ("es", "en"):
            for finding in check(text, history=CONVERSION, language=language).findings:
                assert t(language, finding.message_id, **finding.params)
                assert t(language, finding.label_id)


def test_english_team_in_colombia_writes_numbers_the_colombian_way():
    finding = check("Increase web conversion from 1.2% to 1.6% by January 31", language="en", country="CO")[M]
    assert finding.params == {"baseline": "1,2%", "target": "1,6%"}
    finding = check("Increase web conversion from 1.2% to 1.6% by January 31", language="en", country="US")[M]
    assert finding.params == {"baseline": "1.2%", "target": "1.6%"}
