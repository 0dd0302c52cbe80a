import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import UserError
from domain.glossary import Side
from domain.kpis import Aggregation, Direction, template
from domain.sla import (
    Commitment,
    Comparator,
    Outcome,
    Reason,
    State,
    Step,
    attainment,
    check_commitment,
    contradicts_direction,
    evaluate_closed,
    evaluate_open,
    next_step,
    parse_ack,
    parse_commitment,
    parse_comparator,
    parse_reason,
)
from services.i18n import message_ids, t

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
FOLLOWUP = Commitment(Side.SALES, "followup_hours", Comparator.AT_MOST, D(24), "week")
MQL = Commitment(Side.MARKETING, "leads_mql", Comparator.AT_LEAST, D(120), "month")
CATALOG = {key: template(key) for key in ("followup_hours", "leads_mql", "conversion_web", "sales_cop")}


def expect_error(message_id, params, call, *args, **kwargs):
    """`call` raises the UserError `message_id` with exactly `params`, renderable in both languages."""
    with pytest.raises(UserError) as info:
        call(*args, **kwargs)
    assert (info.value.message_id, info.value.params) == (message_id, params)
    for language in ("es", "en"):
        assert t(language, message_id, **params)


# ---------------------------------------------------------------------------------------------
# Comparators


@pytest.mark.parametrize(
    "typed, expected",
    [
        (">=", Comparator.AT_LEAST),
        ("≥", Comparator.AT_LEAST),
        ("at least", Comparator.AT_LEAST),
        ("Al  Menos", Comparator.AT_LEAST),
        ("mínimo", Comparator.AT_LEAST),
        ("<=", Comparator.AT_MOST),
        ("≤", Comparator.AT_MOST),
        ("at most", Comparator.AT_MOST),
        ("máximo", Comparator.AT_MOST),
        ("como máximo", Comparator.AT_MOST),
    ],
)
def test_parse_comparator(typed, expected):
    assert parse_comparator(typed) is expected
    assert Comparator.parse(typed) is expected


def test_comparator_values_and_errors():
    assert (Comparator.AT_LEAST.value, Comparator.AT_MOST.value) == (">=", "<=")
    expect_error("sla.strict_comparator", {"word": ">"}, parse_comparator, ">")
    expect_error("sla.unknown_comparator", {"word": "about"}, parse_comparator, "about")


# ---------------------------------------------------------------------------------------------
# The one-line form


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sales followup_hours <= 24 weekly", FOLLOWUP),
        ("ventas followup_hours <=24 semanal", FOLLOWUP),
        ("Ventas followup_hours como máximo 24 horas semanal reconocer en 24 horas", FOLLOWUP),
        ("sales followup_hours ≤ 24h weekly ack 24h", FOLLOWUP),
        ("ventas followup_hours máximo 24 semanal", FOLLOWUP),
        (
            "sales followup_hours <= 24 weekly ack 16 working hours",
            Commitment(Side.SALES, "followup_hours", Comparator.AT_MOST, D(24), "week", ack_window_hours=16),
        ),
        (
            "ventas followup_hours <= 24 semanal reconocer en 8 horas laborales",
            Commitment(Side.SALES, "followup_hours", Comparator.AT_MOST, D(24), "week", ack_window_hours=8),
        ),
        ("marketing leads_mql >= 120 monthly", MQL),
        ("mercadeo leads_mql al menos 120 mensual", MQL),
        (
            'mercadeo leads_mql >= 120 término "MQL" mensual',
            Commitment(Side.MARKETING, "leads_mql", Comparator.AT_LEAST, D(120), "month", term="MQL"),
        ),
        (
            "marketing leads_mql at least 120 monthly term MQL ack 48",
            Commitment(Side.MARKETING, "leads_mql", Comparator.AT_LEAST, D(120), "month", ack_window_hours=48, term="MQL"),
        ),
        ("mercadeo conversion_web mínimo 1,6 % mensual", Commitment(Side.MARKETING, "conversion_web", ">=", D("1.6"), "month")),
        ("ventas sales_cop >= 45 millones COP mensual", Commitment(Side.SALES, "sales_cop", ">=", D(45_000_000), "month")),
    ],
)
def test_parse_commitment(text, expected):
    assert parse_commitment(text) == expected


def test_the_typed_unit_is_kept_for_the_kpi_check():
    assert parse_commitment("mercadeo conversion_web >= 1,6 % mensual").target_unit == "%"
    assert parse_commitment("ventas followup_hours <= 24 h semanal").target_unit == "h"
    assert parse_commitment("ventas followup_hours <= 24 semanal").target_unit is None


def test_english_numbers():
    commitment = parse_commitment("marketing conversion_web >= 1.6% monthly", language="en", country="US")
    assert commitment.target == D("1.6")


@pytest.mark.parametrize(
    "text, message_id, params",
    [
        ("", "sla.side_missing", {}),
        ("both followup_hours <= 24 weekly", "sla.unknown_side", {"word": "both"}),
        ("venta followup_hours <= 24 weekly", "sla.unknown_side_suggestion", {"word": "venta", "suggestion": "ventas"}),
        ("ventas", "sla.kpi_missing", {}),
        ("ventas followup_hours", "sla.comparator_missing", {"key": "followup_hours"}),
        ("ventas followup_hours 24 semanal", "sla.unknown_comparator", {"word": "24"}),
        ("ventas followup_hours < 24 semanal", "sla.strict_comparator", {"word": "<"}),
        ("ventas followup_hours menos de 24 semanal", "sla.strict_comparator", {"word": "menos de"}),
        ("ventas followup_hours <=", "sla.target_missing", {"key": "followup_hours", "comparator": "<="}),
        ("ventas followup_hours <= 24", "sla.period_missing", {"key": "followup_hours"}),
        ("ventas followup_hours <= 24 ack 24h", "sla.period_missing", {"key": "followup_hours"}),
        ("ventas followup_hours <= 24 semanal diario", "sla.unknown_word", {"word": "diario"}),
        ("ventas followup_hours <= 24 semanl", "sla.unknown_word_suggestion", {"word": "semanl", "suggestion": "semanal"}),
        ("ventas followup_hours <= 24 semanal mensual", "sla.repeated_keyword", {"word": "mensual"}),
        ("ventas followup_hours <= 24 semanal ack", "sla.ack_window_missing", {"word": "ack"}),
        ("ventas followup_hours <= 24 semanal reconocer pronto", "sla.ack_window_missing", {"word": "reconocer"}),
        ("ventas followup_hours <= 24 semanal ack 0h", "sla.invalid_ack_window", {"hours": 0, "limit": 240}),
        ("ventas followup_hours <= 24 semanal ack 500", "sla.invalid_ack_window", {"hours": 500, "limit": 240}),
        ("ventas followup_hours <= 24 semanal term", "sla.term_missing", {"word": "term"}),
        ('ventas followup_hours <= 24 semanal term ""', "sla.term_missing", {"word": "term"}),
        ("ventas followup_hours <= 24 term semanal", "sla.term_missing", {"word": "term"}),
        ('ventas followup_hours <= 24 semanal term "MQL', "sla.quote_not_closed", {}),
        ("ventas followup_hours <= 24 semanal term " + '"' + "x" * 61 + '"', "sla.term_too_long", {"limit": 60, "length": 61}),
        ("ventas tasa conversión <= 24 semanal", "kpi.invalid_key", {"key": "tasa", "suggestion": "tasa"}),
        ("ventas followup_hours <= muchas semanal", "numbers.not_a_number", {"text": "muchas", "example": "1.234,5"}),
    ],
)
def test_parse_commitment_errors(text, message_id, params):
    if message_id == "kpi.invalid_key":  # "tasa" is a valid key; the error comes from what follows
        expect_error("sla.unknown_comparator", {"word": "conversión"}, parse_commitment, text)
        return
    expect_error(message_id, params, parse_commitment, text)


# ---------------------------------------------------------------------------------------------
# Against the catalog


def test_contradicts_direction():
    assert contradicts_direction(Commitment("sales", "leads_mql", "<=", D(5), "week"), Direction.HIGHER)
    assert contradicts_direction(Commitment("sales", "followup_hours", ">=", D(5), "week"), Direction.LOWER)
    assert not contradicts_direction(FOLLOWUP, Direction.LOWER)
    assert not contradicts_direction(MQL, "higher")


def test_check_commitment():
    assert check_commitment(FOLLOWUP, CATALOG).key == "followup_hours"
    assert check_commitment(parse_commitment("mercadeo conversion_web >= 1,6 % mensual"), CATALOG).key == "conversion_web"
    expect_error("sla.unknown_kpi", {"key": "nps"}, check_commitment, Commitment("sales", "nps", ">=", D(50), "month"), CATALOG)
    expect_error(
        "sla.unknown_kpi_suggestion",
        {"key": "followup_hour", "suggestion": "followup_hours"},
        check_commitment,
        Commitment("sales", "followup_hour", "<=", D(24), "week"),
        CATALOG,
    )
    expect_error(
        "sla.contradicts_direction",
        {"key": "followup_hours", "name": "Lead follow-up time", "comparator": ">=", "suggested": "<=", "target": "24",
         "side": "sales", "lado": "ventas", "period": "weekly", "periodo": "semanal"},  # the example to type instead
        check_commitment,
        Commitment("sales", "followup_hours", ">=", D(24), "week"),
        CATALOG,
        language="en",
    )
    with pytest.raises(UserError) as info:
        check_commitment(parse_commitment("mercadeo conversion_web >= 1,6 COP mensual"), CATALOG)
    assert info.value.message_id == "kpi.unit_mismatch"
    with pytest.raises(UserError) as info:
        check_commitment(Commitment("marketing", "leads_mql", ">=", D("-3"), "month"), CATALOG)
    assert info.value.message_id == "kpi.negative_value"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"side": "both"},
        {"period_kind": "day"},
        {"ack_window_hours": 0},
        {"target": D("NaN")},
    ],
)
def test_commitment_rejects_impossible_shapes(kwargs):
    base = {"side": "sales", "kpi_key": "followup_hours", "comparator": "<=", "target": D(24), "period_kind": "week"}
    with pytest.raises(ValueError):
        Commitment(**{**base, **kwargs})


# ---------------------------------------------------------------------------------------------
# Closed periods


@pytest.mark.parametrize(
    "commitment, value, expected",
    [
        (MQL, D(130), Outcome(State.MET, D(130), D(120), D(-10))),
        (MQL, D(120), Outcome(State.MET, D(120), D(120), D(0))),
        (MQL, D(95), Outcome(State.BREACHED, D(95), D(120), D(25))),
        (MQL, None, Outcome(State.NO_DATA, None, D(120), None)),
        (FOLLOWUP, D("20.5"), Outcome(State.MET, D("20.5"), D(24), D("-3.5"))),
        (FOLLOWUP, D(24), Outcome(State.MET, D(24), D(24), D(0))),
        (FOLLOWUP, D(31), Outcome(State.BREACHED, D(31), D(24), D(7))),
        (FOLLOWUP, None, Outcome(State.NO_DATA, None, D(24), None)),
    ],
)
def test_evaluate_closed(commitment, value, expected):
    assert evaluate_closed(commitment, value) == expected


values = st.decimals(min_value=-(10**9), max_value=10**9, places=3)
commitments = st.builds(
    Commitment,
    side=st.sampled_from(["marketing", "sales"]),
    kpi_key=st.just("kpi"),
    comparator=st.sampled_from(list(Comparator)),
    target=values,
    period_kind=st.sampled_from(["week", "month"]),
)


@given(commitments, values)
def test_a_closed_period_is_met_exactly_when_the_gap_is_not_positive(commitment, value):
    outcome = evaluate_closed(commitment, value)
    assert outcome.state in (State.MET, State.BREACHED)
    assert (outcome.state is State.MET) == (outcome.gap <= 0)
    assert abs(outcome.gap) == abs(value - commitment.target)


# ---------------------------------------------------------------------------------------------
# Open periods


@pytest.mark.parametrize(
    "commitment, value, elapsed, aggregation, days_left, expected",
    [
        # SUM, at least 120: 50 in 40 % of the month projects 125 -> on track; 40 projects 100 -> at risk.
        (MQL, D(50), 0.4, "sum", 18, State.ON_TRACK),
        (MQL, D(40), 0.4, "sum", 18, State.AT_RISK),
        (MQL, D(48), 0.4, Aggregation.SUM, 18, State.ON_TRACK),  # exactly on pace
        (MQL, D(0), 0.0, "sum", 30, State.ON_TRACK),  # nothing to judge yet
        (MQL, D(119), 1.0, "sum", 0, State.AT_RISK),
        # SUM, at most 24: over the limit already, or on a pace to go over it.
        (Commitment("sales", "k", "<=", D(24), "week"), D(25), 0.2, "sum", 5, State.AT_RISK),
        (Commitment("sales", "k", "<=", D(24), "week"), D(15), 0.5, "sum", 3, State.AT_RISK),
        (Commitment("sales", "k", "<=", D(24), "week"), D(10), 0.5, "sum", 3, State.ON_TRACK),
        (Commitment("sales", "k", "<=", D(24), "week"), D(5), 0.0, "sum", 7, State.ON_TRACK),
        # AVERAGE / LAST: wrong side of the target once half the period has gone by.
        (FOLLOWUP, D(30), 0.3, "average", 5, State.ON_TRACK),
        (FOLLOWUP, D(30), 0.5, "average", 3, State.AT_RISK),
        (FOLLOWUP, D(20), 0.9, "average", 1, State.ON_TRACK),
        (FOLLOWUP, D(30), 0.6, "last", 3, State.AT_RISK),
        (FOLLOWUP, D(30), 0.6, "rate", 3, State.AT_RISK),
        (MQL, D(100), 0.8, "last", 6, State.AT_RISK),
        # No data yet: at risk two days before the close, not before.
        (MQL, None, 0.9, "sum", 2, State.AT_RISK),
        (MQL, None, 0.95, "average", 0, State.AT_RISK),
        (MQL, None, 0.8, "sum", 3, State.ON_TRACK),
    ],
)
def test_evaluate_open(commitment, value, elapsed, aggregation, days_left, expected):
    result = evaluate_open(commitment, value_so_far=value, elapsed_fraction=elapsed, aggregation=aggregation, days_left=days_left)
    assert result is expected


def test_evaluate_open_refuses_an_impossible_fraction():
    with pytest.raises(ValueError):
        evaluate_open(MQL, value_so_far=D(1), elapsed_fraction=1.5, aggregation="sum", days_left=0)


@given(st.decimals(min_value=0, max_value=10**6, places=2), st.decimals(min_value=0, max_value=10**6, places=2), st.floats(min_value=0.01, max_value=1))
def test_a_sum_at_least_is_at_risk_exactly_when_the_projection_falls_short(target, value, elapsed):
    commitment = Commitment("marketing", "kpi", ">=", target, "month")
    result = evaluate_open(commitment, value_so_far=value, elapsed_fraction=elapsed, aggregation="sum", days_left=10)
    projected = value / D(repr(elapsed))
    assert (result is State.AT_RISK) == (projected < target)


@given(st.decimals(min_value=0, max_value=10**6, places=2), st.decimals(min_value=0, max_value=10**6, places=2), st.floats(min_value=0, max_value=1))
def test_a_full_period_at_pace_agrees_with_the_closed_evaluation(target, value, elapsed):
    """With the whole period gone by, an open SUM is at risk exactly when closing it would breach."""
    for comparator in Comparator:
        commitment = Commitment("sales", "kpi", comparator, target, "week")
        open_state = evaluate_open(commitment, value_so_far=value, elapsed_fraction=1.0, aggregation="sum", days_left=0)
        assert (open_state is State.AT_RISK) == (evaluate_closed(commitment, value).state is State.BREACHED)


# ---------------------------------------------------------------------------------------------
# Attainment

MET = Outcome(State.MET, D(1), D(1), D(0))
BREACHED = Outcome(State.BREACHED, D(0), D(1), D(1))
NO_DATA = Outcome(State.NO_DATA, None, D(1), None)


@pytest.mark.parametrize(
    "outcomes, expected",
    [
        ([], (0, 0)),
        ([MET] * 5 + [BREACHED] * 3, (5, 8)),
        ([MET, NO_DATA, BREACHED], (1, 3)),  # no data is never a silent pass
        ([MET, Outcome(State.ON_TRACK, None, D(1), None)], (1, 1)),
    ],
)
def test_attainment(outcomes, expected):
    assert attainment(outcomes) == expected


@given(st.lists(st.sampled_from([MET, BREACHED, NO_DATA]), max_size=8))
def test_attainment_counts_every_closed_period(outcomes):
    met, evaluated = attainment(outcomes)
    assert evaluated == len(outcomes) and met == outcomes.count(MET)


# ---------------------------------------------------------------------------------------------
# Acknowledgements


@pytest.mark.parametrize(
    "word, expected",
    [
        ("tráfico", Reason.LOW_TRAFFIC),
        ("trafico", Reason.LOW_TRAFFIC),
        ("Traffic", Reason.LOW_TRAFFIC),
        ("medición", Reason.TRACKING),
        ("tracking", Reason.TRACKING),
        ("personal", Reason.STAFFING),
        ("equipo", Reason.STAFFING),
        ("staffing", Reason.STAFFING),
        ("definición", Reason.DEFINITION_DISPUTE),
        ("definition", Reason.DEFINITION_DISPUTE),
        ("otro", Reason.OTHER),
        ("other", Reason.OTHER),
        ("low traffic", Reason.LOW_TRAFFIC),
    ],
)
def test_parse_reason(word, expected):
    assert parse_reason(word) is expected


def test_parse_reason_errors():
    expect_error("sla.unknown_reason_suggestion", {"word": "trafic", "suggestion": "trafico"}, parse_reason, "trafic")
    expect_error("sla.unknown_reason", {"word": "lluvia"}, parse_reason, "lluvia")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ack traffic", (Reason.LOW_TRAFFIC, "")),
        ("ack traffic the ads were paused on Tuesday", (Reason.LOW_TRAFFIC, "the ads were paused on Tuesday")),
        ("recibido tráfico: la pauta se pausó el martes", (Reason.LOW_TRAFFIC, "la pauta se pausó el martes")),
        ("Recibido, medición - el píxel dejó de enviar datos", (Reason.TRACKING, "el píxel dejó de enviar datos")),
        ("ACK: staffing two reps on leave", (Reason.STAFFING, "two reps on leave")),
        ("*ack* otro", (Reason.OTHER, "")),
        ("ack low traffic holiday week", (Reason.LOW_TRAFFIC, "holiday week")),
        ("recibido problema de medición con GA4", (Reason.TRACKING, "con GA4")),
        ("recibido definición ¿qué cuenta como MQL?", (Reason.DEFINITION_DISPUTE, "¿qué cuenta como MQL?")),
        ("ack otro  ", (Reason.OTHER, "")),
        # Not acknowledgements: left alone.
        ("", None),
        ("gracias, lo revisamos mañana", None),
        ("¿ack? no entiendo", None),
        ("we will ack tomorrow", None),
        ("acknowledgement pending", None),
    ],
)
def test_parse_ack(text, expected):
    assert parse_ack(text) == expected


def test_parse_ack_errors():
    expect_error("sla.reason_missing", {}, parse_ack, "ack")
    expect_error("sla.reason_missing", {}, parse_ack, "recibido , ")
    expect_error("sla.unknown_reason", {"word": "lluvia"}, parse_ack, "recibido lluvia torrencial")
    expect_error("sla.unknown_reason_suggestion", {"word": "trafic", "suggestion": "trafico"}, parse_ack, "ack trafic")


@given(st.text())
def test_parse_ack_never_fails_on_a_reply_that_does_not_start_with_an_ack_word(text):
    first = text.split()[0].casefold() if text.split() else ""
    if "ack" not in first and "recibido" not in first:
        assert parse_ack(text) is None


# ---------------------------------------------------------------------------------------------
# Escalation


@pytest.mark.parametrize(
    "current, acknowledged, hours, expected",
    [
        (Step.POSTED, False, 0, None),
        (Step.POSTED, False, 23.99, None),
        (Step.POSTED, False, 24, Step.REMINDED),
        (Step.POSTED, False, 60, Step.REMINDED),  # a job that missed both windows reminds first
        (Step.REMINDED, False, 47.5, None),
        (Step.REMINDED, False, 48, Step.ESCALATED),
        (Step.ESCALATED, False, 500, None),
        (Step.POSTED, True, 30, None),
        (Step.REMINDED, True, 50, None),
        ("reminded", False, D(48), Step.ESCALATED),
    ],
)
def test_next_step(current, acknowledged, hours, expected):
    assert next_step(current, acknowledged=acknowledged, working_hours_since_post=hours, window_hours=24) == expected


def test_next_step_refuses_an_empty_window():
    with pytest.raises(ValueError):
        next_step(Step.POSTED, acknowledged=False, working_hours_since_post=1, window_hours=0)


@settings(max_examples=200)
@given(st.floats(min_value=0, max_value=1000), st.integers(min_value=1, max_value=240), st.booleans())
def test_stepping_until_done_matches_the_windows(hours, window, acknowledged):
    """Calling next_step until None reaches the step the elapsed hours call for, one at a time."""
    step, taken = Step.POSTED, []
    while (following := next_step(step, acknowledged=acknowledged, working_hours_since_post=hours, window_hours=window)) is not None:
        taken.append(following)
        step = following
    if acknowledged or hours < window:
        assert taken == []
    elif hours < 2 * window:
        assert taken == [Step.REMINDED]
    else:
        assert taken == [Step.REMINDED, Step.ESCALATED]


# ---------------------------------------------------------------------------------------------
# Messages


def test_every_sla_message_has_both_languages_and_an_example():
    source = (ROOT / "domain" / "sla.py").read_text(encoding="utf-8")
    used = set(re.findall(r"""["'](sla\.[a-z_]+)["']""", source))
    assert len(used) >= 20
    spanish, english = message_ids("es"), message_ids("en")
    for message_id in used:
        assert message_id in spanish and message_id in english, message_id
        for text in (spanish[message_id], english[message_id]):
            assert "`" in text, f"{message_id} shows no example"
