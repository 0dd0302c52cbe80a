from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from domain.errors import UserError
from domain.examples import example_params
from domain.glossary import Side
from domain.kpis import template
from domain.okr import (
    CheckIn,
    Contributor,
    Guardrail,
    KeyResult,
    Milestone,
    Objective,
    ObjectiveKind,
    Status,
    focus_warnings,
    format_kr_id,
    next_kr_number,
    parse_kr_id,
    parse_objective,
    parse_objective_kind,
    resolve_kpi,
    validate_confidence,
    validate_key_result,
)
from domain.okr_checkin_line import parse_checkin
from domain.okr_kr_line import parse_key_result
from domain.okr_progress import expected_progress, guardrail_violated, is_good_score, objective_score, progress, score, status
from domain.okr_review_answers import ReviewQuestion, parse_review_answer
from domain.sla import Comparator
from domain.smart_criteria import check_key_result
from domain.smart_goal import ChangeBy, Criterion, GoalDirection, Verdict
from services.i18n import t

D = Decimal
EXAMPLE_PARAMS = set(example_params(date(2026, 1, 1), "es"))
TODAY = date(2026, 1, 10)
CATALOG = {key: template(key) for key in ("conversion_web", "repurchase_60d", "gross_margin", "cart_abandonment", "sales_cop")}
BOTH = frozenset({Side.MARKETING, Side.SALES})
# Web conversion 1,2 % → 1,6 % over January (30 days), and cart abandonment 78 % → 70 %.
CONVERSION = KeyResult(3, "conversión web", D("1.2"), D("1.6"), date(2026, 1, 1), date(2026, 1, 31), unit="%", kpi_key="conversion_web")
ABANDONMENT = KeyResult(4, "abandono de carrito", D(78), D(70), date(2026, 1, 1), date(2026, 1, 31), unit="%", kpi_key="cart_abandonment")


def expect_error(message_id, params, call, *args, **kwargs):
    """`call` raises the UserError `message_id` with exactly `params` (besides the example dates,
    computed from today: tests/unit/test_examples.py), renderable in both languages."""
    with pytest.raises(UserError) as info:
        call(*args, **kwargs)
    raised = dict(info.value.params)
    dated = {name: raised.pop(name) for name in EXAMPLE_PARAMS if name in raised}
    assert (info.value.message_id, raised) == (message_id, params)
    for language in ("es", "en"):
        assert t(language, message_id, **params, **dated)


def kr_line(text, **kwargs):
    kwargs.setdefault("number", 3)
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("catalog", CATALOG)
    return parse_key_result(text, **kwargs)


# ---------------------------------------------------------------------------------------------
# Short ids


@pytest.mark.parametrize("typed, number", [("KR3", 3), ("kr3", 3), ("KR 3", 3), ("3", 3), ("#3", 3), ("Kr#12", 12), (" kr 7 ", 7)])
def test_parse_kr_id(typed, number):
    assert parse_kr_id(typed) == number
    assert format_kr_id(number) == f"KR{number}"


@pytest.mark.parametrize("typed", ["KR", "x3", "KR0", "", "KR 3a", "3.5"])
def test_parse_kr_id_refuses(typed):
    expect_error("okr.invalid_kr_id", {"text": typed.strip()}, parse_kr_id, typed)


@pytest.mark.parametrize("existing, expected", [([], 1), ([1, 2], 3), ([1, 2, 5], 6)])
def test_next_kr_number_never_reuses_an_id(existing, expected):
    assert next_kr_number(existing) == expected


# ---------------------------------------------------------------------------------------------
# Progress, expected progress and status


@pytest.mark.parametrize(
    "kr, current, expected",
    [
        (CONVERSION, D("1.4"), 0.5),
        (CONVERSION, D("1.2"), 0.0),
        (CONVERSION, D("1.0"), 0.0),  # below the baseline: clamped
        (CONVERSION, D("2.0"), 1.0),  # beyond the target: clamped
        (CONVERSION, None, 0.0),  # no check-in yet
        # Lower is better: 78 % → 70 %.
        (ABANDONMENT, D(74), 0.5),
        (ABANDONMENT, D(76), 0.25),
        (ABANDONMENT, D(80), 0.0),
        (ABANDONMENT, D(65), 1.0),
    ],
)
def test_progress(kr, current, expected):
    assert progress(kr, current) == pytest.approx(expected)
    assert score(kr, current) == pytest.approx(expected)


WITH_MILESTONE = replace(CONVERSION, milestones=(Milestone(date(2026, 1, 11), D("1.5")),))


@pytest.mark.parametrize(
    "kr, today, expected",
    [
        (CONVERSION, date(2025, 12, 20), 0.0),
        (CONVERSION, date(2026, 1, 1), 0.0),
        (CONVERSION, date(2026, 1, 16), 0.5),
        (CONVERSION, date(2026, 1, 31), 1.0),
        (CONVERSION, date(2026, 3, 1), 1.0),
        # A milestone of 1,5 % on 11 January is 75 % of the way, due that day.
        (WITH_MILESTONE, date(2026, 1, 6), 0.375),
        (WITH_MILESTONE, date(2026, 1, 11), 0.75),
        (WITH_MILESTONE, date(2026, 1, 21), 0.875),
    ],
)
def test_expected_progress(kr, today, expected):
    assert expected_progress(kr, today) == pytest.approx(expected)


@pytest.mark.parametrize(
    "kr, current, today, confidence, expected",
    [
        (CONVERSION, D("1.38"), date(2026, 1, 16), None, Status.ON_TRACK),  # 0,45 of 0,5 expected
        (CONVERSION, D("1.32"), date(2026, 1, 16), None, Status.AT_RISK),  # 0,30 of 0,5
        (CONVERSION, D("1.24"), date(2026, 1, 16), None, Status.OFF_TRACK),  # 0,10 of 0,5
        (CONVERSION, D("1.4"), date(2026, 1, 16), 3, Status.OFF_TRACK),  # on pace, but the owner doubts it
        (CONVERSION, D("1.4"), date(2026, 1, 16), 5, Status.AT_RISK),
        (CONVERSION, D("1.4"), date(2026, 1, 16), 8, Status.ON_TRACK),
        (CONVERSION, D("1.24"), date(2026, 1, 16), 10, Status.OFF_TRACK),  # confidence never hides a bad pace
        (CONVERSION, D("1.6"), date(2026, 1, 16), 2, Status.ON_TRACK),  # reached is reached
        (CONVERSION, D("1.55"), date(2026, 2, 2), None, Status.OFF_TRACK),  # deadline passed short of target
        (CONVERSION, None, date(2026, 1, 3), None, Status.ON_TRACK),  # early days, nothing yet
        (ABANDONMENT, D(74.5), date(2026, 1, 16), None, Status.ON_TRACK),
        (ABANDONMENT, D(77), date(2026, 1, 16), None, Status.OFF_TRACK),
    ],
)
def test_status(kr, current, today, confidence, expected):
    assert status(kr, current, today=today, confidence=confidence) is expected


def test_status_uses_the_krs_own_confidence_when_none_is_given():
    assert status(replace(CONVERSION, confidence=4), D("1.4"), today=date(2026, 1, 16)) is Status.AT_RISK
    assert status(replace(CONVERSION, confidence=4), D("1.4"), today=date(2026, 1, 16), confidence=9) is Status.ON_TRACK


def test_status_labels_exist_in_both_languages():
    for state in Status:
        assert t("es", state.label_id) != t("en", state.label_id)


# ---------------------------------------------------------------------------------------------
# Scores


def test_objective_score_is_the_mean_of_its_krs():
    third = replace(CONVERSION, number=5)
    objective = Objective("Más clientes vuelven", key_results=(CONVERSION, ABANDONMENT, third))
    # 1,4 % is half of KR3; KR4 reached its target; KR5 has no value yet and scores 0.
    assert objective_score(objective, {3: D("1.4"), 4: D(70)}) == pytest.approx(0.5)
    assert objective_score(Objective("Vacío"), {}) is None


@pytest.mark.parametrize(
    "value, kind, good",
    [
        (1.0, ObjectiveKind.COMMITTED, True),
        (0.9, ObjectiveKind.COMMITTED, False),
        (0.7, ObjectiveKind.ASPIRATIONAL, True),
        (0.69, ObjectiveKind.ASPIRATIONAL, False),
        (1.0, "aspirational", True),
        (0.1 + 0.2 + 0.4, ObjectiveKind.ASPIRATIONAL, True),  # 0.7000000000000001 or 0.6999…: still 0.7
    ],
)
def test_is_good_score(value, kind, good):
    assert is_good_score(value, kind) is good


# ---------------------------------------------------------------------------------------------
# Objectives and focus


@pytest.mark.parametrize(
    "text, title, kind",
    [
        ("aspiracional Que los clientes de kits vuelvan a comprar", "Que los clientes de kits vuelvan a comprar", ObjectiveKind.ASPIRATIONAL),
        ("Committed Grow repeat buyers", "Grow repeat buyers", ObjectiveKind.COMMITTED),
        ("Crecer la recompra", "Crecer la recompra", ObjectiveKind.COMMITTED),
    ],
)
def test_parse_objective(text, title, kind):
    assert parse_objective(text) == Objective(title, kind)


def test_objective_errors():
    expect_error("okr.title_missing", {}, parse_objective, "aspiracional ")
    expect_error("okr.title_too_long", {"limit": 150, "length": 151}, parse_objective, "x" * 151)
    expect_error("okr.unknown_kind_suggestion", {"word": "aspiracinal", "suggestion": "aspiracional"}, parse_objective_kind, "aspiracinal")
    expect_error("okr.unknown_kind", {"word": "zzz"}, parse_objective_kind, "zzz")


def test_focus_warnings():
    five = tuple(replace(CONVERSION, number=n) for n in range(1, 6))
    six = five + (replace(CONVERSION, number=6),)
    focused = [Objective(f"O{n}", key_results=five) for n in range(3)] + [Objective("Pausado", active=False)]
    assert focus_warnings(focused) == []
    crowded = [Objective(f"O{n}") for n in range(4)] + [Objective("Ventas de kits", key_results=six)]
    warnings = focus_warnings(crowded)
    assert [(warning.message_id, dict(warning.params)) for warning in warnings] == [
        ("okr.focus.too_many_objectives", {"count": "5", "limit": "3"}),
        ("okr.focus.too_many_key_results", {"objective": "Ventas de kits", "count": "6", "limit": "5"}),
    ]
    for warning in warnings:
        for language in ("es", "en"):
            assert t(language, warning.message_id, **warning.params)


# ---------------------------------------------------------------------------------------------
# Guardrails


@pytest.mark.parametrize(
    "text, guardrail",
    [
        (
            "conversión web de 1,2 % a 1,6 % al 31/01/2026 manteniendo margen bruto al menos 45 %",
            Guardrail("margen bruto", Comparator.AT_LEAST, D(45), "%"),
        ),
        ("conversión web de 1,2 % a 1,6 % al 31/01/2026 keeping gross_margin >=45%", Guardrail("gross_margin", Comparator.AT_LEAST, D(45), "%")),
        (
            "abandono de carrito de 78 % a 70 % al 31/01/2026 guardrail CAC como máximo 40 mil COP",
            Guardrail("CAC", Comparator.AT_MOST, D(40000), "COP"),
        ),
    ],
)
def test_guardrail_is_read(text, guardrail):
    assert kr_line(text).guardrail == guardrail


@pytest.mark.parametrize("current, violated", [(D(44), True), (D("44.9"), True), (D(45), False), (D(52), False), (None, False)])
def test_guardrail_violated(current, violated):
    floor = Guardrail("margen bruto", Comparator.AT_LEAST, D(45), "%")
    assert guardrail_violated(floor, current) is violated
    assert guardrail_violated(None, current) is False


# ---------------------------------------------------------------------------------------------
# The one-line KR form


def test_a_full_kr_line_in_spanish():
    kr = kr_line(
        "conversión web de 1,2 % a 1,6 % al 31/03/2026 dueño <@U123|ana maria> lado mercadeo con servicio al cliente y operaciones "
        "hito 1,4 % al 28/02/2026 confianza 7"
    )
    assert kr == KeyResult(
        number=3, metric="conversión web", baseline=D("1.2"), target=D("1.6"), start=TODAY, deadline=date(2026, 3, 31),
        unit="%", kpi_key="conversion_web", owner="U123", sides=frozenset({Side.MARKETING}),
        contributors=frozenset({Contributor.CUSTOMER_SERVICE, Contributor.OPERATIONS}),
        milestones=(Milestone(date(2026, 2, 28), D("1.4")),), confidence=7,
    )  # fmt: skip
    assert kr.short_id == "KR3"


def test_a_full_kr_line_in_english():
    kr = kr_line(
        "Web conversion rate from 1.2% to 1.6% by March 31 owner <@U456|ana> side both with customer service milestone 1.4% by Feb 28 confidence 8/10",
        language="en", country="US",
    )  # fmt: skip
    assert (kr.kpi_key, kr.baseline, kr.target, kr.deadline, kr.owner, kr.sides) == ("conversion_web", D("1.2"), D("1.6"), date(2026, 3, 31), "U456", BOTH)
    assert (kr.contributors, kr.milestones, kr.confidence) == (frozenset({Contributor.CUSTOMER_SERVICE}), (Milestone(date(2026, 2, 28), D("1.4")),), 8)


@pytest.mark.parametrize(
    "text, baseline, expected",
    [
        # Relative (docs/decisions.md): 25 % of the baseline, whichever way the verb says.
        ("Aumentar la recompra a 60 días en 25 % al 31/03/2026", D(20), (D(20), D(25), "%", "repurchase_60d", ChangeBy(D(25), None, True))),
        ("Reducir el abandono de carrito en 10 % al 31/03/2026", D(70), (D(70), D(63), "%", "cart_abandonment", ChangeBy(D(10), None, True))),
        # Points add to the baseline; a KPI-backed KR without a verb moves the way the KPI is better.
        ("conversión web en 0,4 puntos al 31/03/2026", D("1.2"), (D("1.2"), D("1.6"), "%", "conversion_web", ChangeBy(D("0.4"), None, False))),
        ("Increase 60-day repurchase rate by 25 % by March 31", D(20), (D(20), D(25), "%", "repurchase_60d", ChangeBy(D(25), None, True))),
        # The text's own baseline wins over the KPI's latest value.
        ("Aumentar la recompra a 60 días del 18 % en un 25 % al 31/03/2026", D(20), (D(18), D("22.5"), "%", "repurchase_60d", ChangeBy(D(25), None, True))),
    ],
)
def test_relative_krs(text, baseline, expected):
    language = "en" if text.startswith("Increase") else "es"
    kr = kr_line(text, baseline=baseline, language=language)
    assert (kr.baseline, kr.target, kr.unit, kr.kpi_key, kr.change) == expected


def test_rating_kr():
    kr = kr_line("satisfacción promedio de 8,2 a 9 de 10 al 30/06/2026 lado ambos")
    assert (kr.metric, kr.baseline, kr.target, kr.scale, kr.kpi_key, kr.sides) == ("satisfacción promedio", D("8.2"), D(9), D(10), None, BOTH)


def test_kr_side_defaults_to_the_kpis_side():
    assert kr_line("abandono de carrito de 78 % a 70 % al 31/01/2026").sides == frozenset({Side.MARKETING})
    assert kr_line("satisfacción promedio de 8,2 a 9 de 10 al 30/06/2026").sides == BOTH


def test_option_words_inside_a_metric_stay_in_the_metric():
    kr = kr_line("clientes con recompra de 120 a 150 al 31/03/2026")
    assert (kr.metric, kr.contributors) == ("clientes con recompra", frozenset())
    kr = kr_line("confianza del cliente de 7 a 8 de 10 al 31/03/2026")
    assert (kr.metric, kr.confidence, kr.scale) == ("confianza del cliente", None, D(10))


def test_explicit_kpi_option():
    kr = kr_line("Bajar el abandono en el checkout móvil de 78 % a 70 % en 45 días kpi cart_abandonment")
    assert (kr.kpi_key, kr.metric, kr.deadline) == ("cart_abandonment", "abandono en el checkout móvil", date(2026, 2, 24))


@pytest.mark.parametrize(
    "text, kwargs, message_id, params",
    [
        ("conversión web de 1,2 % a 1,2 % al 31/03/2026", {}, "okr.target_equals_baseline", {"kr": "KR3", "value": "1,2\u00a0%"}),
        (
            "conversión web de 1,2 % a 1,6 % entre el 31/03/2026 y el 01/03/2026", {},
            "okr.deadline_before_start", {"kr": "KR3", "start": "31 mar 2026", "deadline": "1 mar 2026"},
        ),
        (
            "conversión web de 1,6 % a 1,2 % al 31/03/2026", {},
            "okr.contradicts_higher", {"kr": "KR3", "name": "Tasa de conversión web", "baseline": "1,6\u00a0%", "target": "1,2\u00a0%"},
        ),
        (
            "abandono de carrito de 70 % a 78 % al 31/03/2026", {"language": "en"},
            "okr.contradicts_lower", {"kr": "KR3", "name": "Cart abandonment", "baseline": "70%", "target": "78%"},
        ),
        (
            "conversión web de 1,2 COP a 1,6 COP al 31/03/2026", {},
            "kpi.unit_mismatch", {"key": "conversion_web", "name": "Tasa de conversión web", "unit": "COP", "expected": "percent", "example": "12 %"},
        ),
        ("conversión web de 1,2 % a 1,6 % al 31/03/2026 confianza 11", {}, "okr.invalid_confidence", {"value": "11"}),
        (
            "conversión web de 1,2 % a 1,6 % al 31/03/2026 hito 1,4 % al 15/04/2026", {},
            "okr.milestone_outside", {"kr": "KR3", "date": "15 abr 2026", "start": "10 ene 2026", "deadline": "31 mar 2026"},
        ),
        (
            "conversión web de 1,2 % a 1,6 % al 31/03/2026 hito 2 % al 28/02/2026", {},
            "okr.milestone_value_outside", {"kr": "KR3", "value": "2\u00a0%", "baseline": "1,2\u00a0%", "target": "1,6\u00a0%"},
        ),
        ("conversión web de 1,2 % a 1,6 % al 31/03/2026 hito 1,4 %", {}, "okr.milestone_date_missing", {"word": "hito", "value": "1,4 %"}),
        ("de 1,2 % a 1,6 % al 31/03/2026", {}, "okr.metric_missing", {}),
        ("clientes en el programa a 300 al 31/03/2026", {}, "okr.baseline_missing", {"metric": "clientes en el programa"}),
        # A KPI with nothing logged (no baseline given): how to log one; a rate names its parts.
        ("conversión web a 1,6 % al 31/03/2026", {}, "okr.kpi_nothing_logged_rate",
         {"metric": "conversión web", "key": "conversion_web", "numerator": "orders", "denominator": "sessions"}),
        ("aumentar repurchase_60d en 25 % al 31/03/2026", {}, "okr.kpi_nothing_logged", {"metric": "repurchase_60d", "key": "repurchase_60d"}),
        ("conversión web de 1,2 % al 31/03/2026", {}, "okr.target_missing", {"metric": "conversión web"}),
        ("conversión web de 1,2 % a 1,6 %", {}, "okr.deadline_missing", {"metric": "conversión web"}),
        ("Aumentar la recompra en 25 % al 31/03/2026", {}, "okr.relative_needs_baseline", {"metric": "recompra"}),
        ("satisfacción en 10 % al 31/03/2026", {"baseline": D(8)}, "okr.relative_needs_direction", {"metric": "satisfacción"}),
        ("Aumentar la satisfacción de 9 a 8 al 31/03/2026", {}, "okr.verb_contradicts_numbers", {"metric": "satisfacción"}),
        ("conversión web de 1,2 % a 1,6 % al 31/03/2026 dueño <@U1|ana> responsable <@U2|luis>", {}, "okr.repeated_option", {"word": "responsable"}),
        ("conversión web de 1,2 % a 1,6 % al 31/03/2026 dueño ana", {}, "okr.owner_missing", {"word": "dueño"}),
        ("conversión web de 1,2 % a 1,6 % al 31/03/2026 lado mercadeo finanzas", {}, "okr.unknown_side", {"word": "finanzas"}),
        ("conversión web de 1,2 % a 1,6 % al 31/03/2026 con operaciones finanzas", {}, "okr.unknown_contributor", {"word": "finanzas"}),
        ("conversión web de 1,2 % a 1,6 % al 31/03/2026 manteniendo margen bruto", {}, "okr.guardrail_incomplete", {"word": "manteniendo"}),
        ("conversión web de 1,2 % a 1,6 % al 31/03/2026 manteniendo margen bruto >= 45 % siempre", {}, "okr.guardrail_incomplete", {"word": "manteniendo"}),
        ("conversión de 1,2 % a 1,6 % al 31/03/2026 kpi conversion_wev", {}, "okr.unknown_kpi_suggestion", {"key": "conversion_wev", "suggestion": "conversion_web"}),
        ("conversión de 1,2 % a 1,6 % al 31/03/2026 kpi zz_nothing", {}, "okr.unknown_kpi", {"key": "zz_nothing"}),
        ("Reducir las bajas de 12 % a 7 USD al 31/03/2026", {}, "smart.units_differ", {"baseline": "12 %", "target": "7 USD"}),
    ],
)
def test_kr_line_errors(text, kwargs, message_id, params):
    expect_error(message_id, params, kr_line, text, **kwargs)


@pytest.mark.parametrize(
    "change, message_id, params",
    [
        ({"deadline": date(2026, 1, 1)}, "okr.deadline_before_start", {"kr": "KR3", "start": "1 ene 2026", "deadline": "1 ene 2026"}),
        ({"sides": frozenset()}, "okr.sides_missing", {"kr": "KR3"}),
        ({"scale": D(10), "baseline": D(8), "target": D(11), "kpi_key": None}, "okr.rating_out_of_scale", {"kr": "KR3", "value": "11", "scale": "10"}),
        ({"confidence": 0}, "okr.invalid_confidence", {"value": "0"}),
    ],
)
def test_validate_key_result(change, message_id, params):
    expect_error(message_id, params, validate_key_result, replace(CONVERSION, **change))


def test_a_valid_kr_passes_validation_against_its_kpi():
    validate_key_result(CONVERSION, CATALOG["conversion_web"])
    validate_key_result(ABANDONMENT, CATALOG["cart_abandonment"])


@pytest.mark.parametrize("value", [0, 11, -1, "x", ""])
def test_confidence_outside_one_to_ten(value):
    expect_error("okr.invalid_confidence", {"value": str(value)}, validate_confidence, value)


@pytest.mark.parametrize("metric, key", [("conversion_web", "conversion_web"), ("Conversion Web", "conversion_web"), ("TASA DE CONVERSIÓN WEB", "conversion_web"), ("60-day repurchase rate", "repurchase_60d"), ("conversión", None)])
def test_resolve_kpi(metric, key):
    spec = resolve_kpi(metric, CATALOG)
    assert (spec.key if spec else None) == key


# ---------------------------------------------------------------------------------------------
# Check-ins


@pytest.mark.parametrize(
    "text, language, country, expected",
    [
        ("KR3 1,4 % confianza 7 la campaña arrancó tarde", "es", "CO", CheckIn(3, D("1.4"), "%", 7, "la campaña arrancó tarde")),
        ("kr 3: 1.4% the campaign started late, confidence 4/10", "en", "US", CheckIn(3, D("1.4"), "%", 4, "the campaign started late")),
        ("KR 12 45 millones COP feria de Medellín", "es", "CO", CheckIn(12, D(45_000_000), "COP", None, "feria de Medellín")),
        ("3 1,4 %", "es", "CO", CheckIn(3, D("1.4"), "%", None, "")),
        ("KR#5 8,7 - conf: 9 - encuesta de enero", "es", "CO", CheckIn(5, D("8.7"), None, 9, "encuesta de enero")),
        # "confianza" not followed by a number is part of the note.
        ("KR3 8,7 la confianza del cliente sube", "es", "CO", CheckIn(3, D("8.7"), None, None, "la confianza del cliente sube")),
        # A KPI-backed KR's check-in: confidence and note, no value.
        ("KR3 confianza 6 el canal creció", "es", "CO", CheckIn(3, None, None, 6, "el canal creció")),
        ("kr4 confidence 8/10", "en", "US", CheckIn(4, None, None, 8, "")),
    ],
)
def test_parse_checkin(text, language, country, expected):
    assert parse_checkin(text, language=language, country=country) == expected


def test_checkin_errors():
    expect_error("okr.checkin_kr_missing", {}, parse_checkin, "1,4 %")
    expect_error("okr.checkin_kr_missing", {}, parse_checkin, "")
    expect_error("okr.checkin_value_missing", {"kr": "KR3"}, parse_checkin, "KR3 ")
    expect_error("okr.invalid_confidence", {"value": "0"}, parse_checkin, "KR3 1,4 % confianza 0")
    expect_error("numbers.not_a_number", {"text": "mucho", "example": "1.234,5"}, parse_checkin, "KR3 mucho")


# ---------------------------------------------------------------------------------------------
# SMART checklist of a structured KR


def test_a_kpi_backed_kr_is_specific_and_relevant_by_its_kpi():
    kr = kr_line("conversión web de 1,2 % a 1,6 % al 31/03/2026 hito 1,4 % al 28/02/2026")
    result = check_key_result(kr, today=TODAY)
    assert result.goal.direction is GoalDirection.INCREASE
    assert {finding.criterion: finding.verdict for finding in result.findings} == {
        Criterion.SPECIFIC: Verdict.PASSED,
        Criterion.MEASURABLE: Verdict.PASSED,
        Criterion.ACHIEVABLE: Verdict.UNKNOWN,  # no history passed
        Criterion.RELEVANT: Verdict.PASSED,
        Criterion.TIME_BOUND: Verdict.PASSED,  # 11 weeks, with a milestone
    }


def test_a_long_kr_without_milestones_is_asked_for_them():
    kr = kr_line("satisfacción promedio de 8,2 a 9 de 10 al 31/03/2026")
    finding = check_key_result(kr, today=TODAY, kpi_names=["Satisfacción promedio"])[Criterion.TIME_BOUND]
    assert (finding.verdict, finding.message_id) == (Verdict.FAILED, "smart.time_bound.needs_milestones")
    assert finding.params["milestones"] == "8,5 (7 feb 2026), 8,8 (7 mar 2026)"


# ---------------------------------------------------------------------------------------------
# Review answers


@pytest.mark.parametrize(
    "text, expected",
    [
        ("logrado: recompra 24 %", (ReviewQuestion.ACHIEVED, "recompra 24 %")),
        ("Logros - dos campañas", (ReviewQuestion.ACHIEVED, "dos campañas")),
        ("Aprendido: los kits se venden en diciembre", (ReviewQuestion.LEARNED, "los kits se venden en diciembre")),
        ("learned: bundles sell", (ReviewQuestion.LEARNED, "bundles sell")),
        ("  ajustar —  bajar la meta de leads", (ReviewQuestion.ADJUST, "bajar la meta de leads")),
        ("Adjust: fewer KRs", (ReviewQuestion.ADJUST, "fewer KRs")),
        # Chatter, a missing answer, or the word without a colon are not answers.
        ("logramos mucho este mes", None),
        ("logrado:", None),
        ("gracias: a todos", None),
        ("", None),
    ],
)
def test_parse_review_answer(text, expected):
    assert parse_review_answer(text) == expected
