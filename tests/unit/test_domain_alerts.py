import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.alerts import (
    MAX_WINDOW_HOURS,
    AlertSpec,
    EpisodeState,
    Mode,
    Movement,
    Observation,
    describe_movement,
    next_state,
    parse_alert,
    triggered,
)
from domain.errors import UserError
from services.i18n import message_ids, t

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
BOGOTA = ZoneInfo("America/Bogota")
T0 = datetime(2026, 1, 12, 9, 0, tzinfo=BOGOTA)


def expect_error(message_id, params, call, *args):
    """`call(*args)` raises the UserError `message_id` with exactly `params`, renderable in both languages."""
    with pytest.raises(UserError) as info:
        call(*args)
    assert (info.value.message_id, info.value.params) == (message_id, params)
    for language in ("es", "en"):
        assert t(language, message_id, **params)


def at(hours, value):
    return Observation(T0 + timedelta(hours=hours), D(value))


def rule(movement="rises", amount="3", mode="points", window=48, key="cart_abandonment"):
    return AlertSpec(kpi_key=key, movement=movement, amount=D(amount), mode=mode, window_hours=window)


def test_every_alert_id_used_in_the_module_has_text_in_both_languages():
    source = (ROOT / "domain" / "alerts.py").read_text(encoding="utf-8")
    used = set(re.findall(r"""["'](alert\.[a-z_0-9]+)["']""", source))
    assert len(used) >= 10
    for language in ("es", "en"):
        assert used <= set(message_ids(language)), sorted(used - set(message_ids(language)))
        for message_id in used:
            assert "`" in message_ids(language)[message_id], (language, message_id)  # an example to type


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("cart_abandonment rises 3 points within 48 hours", rule()),
        ("cart_abandonment sube 3 puntos en 48 horas", rule()),
        ("Cart_Abandonment SUBE 3 PUNTOS EN 48 HORAS", rule()),
        ("cart_abandonment rises by 3 pts within 48h", rule()),
        ("cart_abandonment rises 3pts in 48 h", rule()),
        ("cart_abandonment rises 3 within 48", rule()),
        ("cart_abandonment sube 3 dentro de 2 días", rule()),
        ("cart_abandonment sube 3 puntos en 2 dias", rule()),
        ("cart_abandonment rises 3 points within 2 days", rule()),
        ("cart_abandonment rises 3 points within 2d", rule()),
        ("cart_abandonment rises 3 pp within 1 day", rule(window=24)),
        ("cart_abandonment rises +3 points within 48 hours", rule()),
        ("cart_abandonment sube 2,5 puntos en 48 horas", rule(amount="2.5")),
        ("cart_abandonment rises 2.5 points within 48 hours", rule(amount="2.5")),
        ("roas falls 10 % within 24 hours", rule("falls", "10", "percent", 24, "roas")),
        ("roas baja 10% en 24h", rule("falls", "10", "percent", 24, "roas")),
        ("roas baja 10 por ciento en 24 horas", rule("falls", "10", "percent", 24, "roas")),
        ("roas cae 12,5 % en 1 hora", rule("falls", "12.5", "percent", 1, "roas")),
        ("sales_cop baja 5.000.000 en 48 horas", rule("falls", "5000000", key="sales_cop")),
        ("sales_cop falls 5,000,000 within 48 hours", rule("falls", "5000000", key="sales_cop")),
        ("sales_cop falls 1.000 within 48 hours", rule("falls", "1000", key="sales_cop")),
        ("sales_cop falls 1.234,5 within 48 hours", rule("falls", "1234.5", key="sales_cop")),
        ("sales_cop falls 1,234.5 within 48 hours", rule("falls", "1234.5", key="sales_cop")),
        ("sales_cop falls 0.500 within 48 hours", rule("falls", "0.5", key="sales_cop")),
        ("cart_abandonment sube 3 puntos en 720 horas", rule(window=720)),
        ("cart_abandonment sube 3 puntos en 30 días", rule(window=720)),
        ("cart_abandonment sube 3 puntos en 1h", rule(window=1)),
    ],
)
def test_parse_alert(text, expected):
    assert parse_alert(text) == expected


@pytest.mark.parametrize(
    "text, message_id, params",
    [
        ("", "alert.key_missing", {}),
        ("x rises 3 within 48", "kpi.invalid_key", {"key": "x", "suggestion": "conversion_web"}),
        ("cart_abandonment", "alert.movement_missing", {"key": "cart_abandonment"}),
        ("cart_abandonment goes 3 within 48", "alert.unknown_movement", {"key": "cart_abandonment", "word": "goes"}),
        ("cart_abandonment rices 3 within 48", "alert.unknown_movement_suggestion", {"key": "cart_abandonment", "word": "rices", "suggestion": "rises"}),
        ("cart_abandonment sube", "alert.amount_missing", {"key": "cart_abandonment"}),
        ("cart_abandonment sube en 48 horas", "alert.amount_missing", {"key": "cart_abandonment"}),
        ("cart_abandonment rises by", "alert.amount_missing", {"key": "cart_abandonment"}),
        ("cart_abandonment sube tres puntos en 48 horas", "alert.invalid_amount", {"key": "cart_abandonment", "word": "tres"}),
        ("cart_abandonment sube 3kg en 48 horas", "alert.invalid_amount", {"key": "cart_abandonment", "word": "3kg"}),
        ("cart_abandonment sube 3,5,1 en 48 horas", "alert.invalid_amount", {"key": "cart_abandonment", "word": "3,5,1"}),
        ("cart_abandonment sube 0 puntos en 48 horas", "alert.amount_not_positive", {"key": "cart_abandonment", "word": "0"}),
        ("cart_abandonment sube 0,0 puntos en 48 horas", "alert.amount_not_positive", {"key": "cart_abandonment", "word": "0,0"}),
        ("cart_abandonment sube -3 puntos en 48 horas", "alert.amount_not_positive", {"key": "cart_abandonment", "word": "-3"}),
        ("cart_abandonment sube -3% en 48 horas", "alert.amount_not_positive", {"key": "cart_abandonment", "word": "-3%"}),
        ("cart_abandonment sube 3 puntos", "alert.window_missing", {"key": "cart_abandonment"}),
        ("cart_abandonment sube 3 puntos en", "alert.window_missing", {"key": "cart_abandonment"}),
        ("cart_abandonment sube 3 puntos dentro de", "alert.window_missing", {"key": "cart_abandonment"}),
        ("cart_abandonment sube 3 puntos en dos días", "alert.invalid_window", {"key": "cart_abandonment", "word": "dos"}),
        ("cart_abandonment sube 3 puntos en 2 semanas", "alert.unknown_word", {"key": "cart_abandonment", "word": "semanas"}),
        ("cart_abandonment sube 3 puntos en 2sem", "alert.invalid_window", {"key": "cart_abandonment", "word": "2sem"}),
        ("cart_abandonment sube 3 puntos en 1,5 días", "alert.invalid_window", {"key": "cart_abandonment", "word": "1,5"}),
        ("cart_abandonment sube 3 puntos en 0 horas", "alert.window_out_of_range", {"key": "cart_abandonment", "hours": 0, "limit": MAX_WINDOW_HOURS}),
        ("cart_abandonment sube 3 puntos en 721 horas", "alert.window_out_of_range", {"key": "cart_abandonment", "hours": 721, "limit": MAX_WINDOW_HOURS}),
        ("cart_abandonment sube 3 puntos en 31 días", "alert.window_out_of_range", {"key": "cart_abandonment", "hours": 744, "limit": MAX_WINDOW_HOURS}),
        ("cart_abandonment sube 3 puntos 48 horas", "alert.unknown_word", {"key": "cart_abandonment", "word": "48"}),
        ("cart_abandonment sube 3 puntso en 48 horas", "alert.unknown_word_suggestion", {"key": "cart_abandonment", "word": "puntso", "suggestion": "punto"}),
        ("cart_abandonment sube 3 puntos dentr 48 horas", "alert.unknown_word_suggestion", {"key": "cart_abandonment", "word": "dentr", "suggestion": "dentro"}),
        ("cart_abandonment sube 3 puntos en 48 horas ya", "alert.unknown_word", {"key": "cart_abandonment", "word": "ya"}),
    ],
)
def test_parse_alert_refuses(text, message_id, params):
    expect_error(message_id, params, parse_alert, text)


def test_an_injected_number_reader_reads_the_amount():
    seen = []

    def read(text):
        seen.append(text)
        return D(text.replace(".", "").replace(",", ".")) if text[0] != "9" else None

    assert parse_alert("sales_cop baja 1,234 en 48 horas", read_number=read).amount == D("1.234")
    assert parse_alert("roas baja 12,5% en 24h", read_number=read) == rule("falls", "12.5", "percent", 24, "roas")
    assert seen == ["1,234", "12,5"]
    expect_error("alert.invalid_amount", {"key": "roas", "word": "9%"}, lambda: parse_alert("roas baja 9% en 24h", read_number=read))


def test_spec_converts_strings_and_observations_must_be_aware():
    spec = rule()
    assert spec.movement is Movement.RISES and spec.mode is Mode.POINTS
    with pytest.raises(ValueError):
        AlertSpec(kpi_key="x1", movement="jumps", amount=D(1), mode="points", window_hours=1)
    with pytest.raises(ValueError):
        Observation(datetime(2026, 1, 1, 9, 0), D(1))


# --- triggering --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec, history, new, expected",
    [
        # "if cart abandonment rises 3 points within 48 hours"
        (rule(), [at(0, "68")], at(24, "71"), at(0, "68")),
        (rule(), [at(0, "68")], at(24, "70.9"), None),
        (rule(), [at(0, "68")], at(48, "71"), at(0, "68")),  # the window's edge counts
        (rule(), [at(0, "68")], at(48.01, "75"), None),  # just outside
        (rule(), [at(24, "68")], at(24, "80"), None),  # same instant: not earlier
        (rule(), [at(30, "60")], at(24, "80"), None),  # later than new
        (rule(), [], at(24, "80"), None),
        (rule(), [at(0, "68"), at(10, "66"), at(20, "69")], at(24, "71"), at(10, "66")),  # the largest movement
        (rule(), [at(0, "66"), at(10, "66")], at(24, "71"), at(10, "66")),  # a tie: the latest
        (rule(), [at(10, "66"), at(0, "66")], at(24, "71"), at(10, "66")),  # whatever the order given
        (rule(), [at(0, "75")], at(24, "71"), None),  # it fell
        (rule("falls"), [at(0, "75")], at(24, "71"), at(0, "75")),
        (rule("falls"), [at(0, "73")], at(24, "71"), None),
        # relative change
        (rule(amount="10", mode="percent"), [at(0, "100")], at(1, "110"), at(0, "100")),
        (rule(amount="10", mode="percent"), [at(0, "100")], at(1, "109.99"), None),
        (rule(amount="10", mode="percent"), [at(0, "-100")], at(1, "-90"), at(0, "-100")),  # up 10 % of |old|
        (rule(amount="10", mode="percent"), [at(0, "0")], at(1, "1000"), None),  # from 0: undefined
        (rule("falls", "50", "percent"), [at(0, "2")], at(1, "1"), at(0, "2")),
        (rule("falls", "50", "percent"), [at(0, "2")], at(1, "1.01"), None),
        (rule(amount="10", mode="percent"), [at(0, "0"), at(1, "100")], at(2, "120"), at(1, "100")),
    ],
)
def test_triggered(spec, history, new, expected):
    assert triggered(spec, history, new) == expected


def test_triggered_compares_instants_across_time_zones():
    utc_baseline = Observation(datetime(2026, 1, 12, 14, 0, tzinfo=timezone.utc), D("68"))  # 09:00 in Bogotá
    assert triggered(rule(), [utc_baseline], at(48, "71")) == utc_baseline
    assert triggered(rule(), [utc_baseline], at(48.5, "71")) is None


MINUTES = st.integers(-2000, 2000)
VALUES = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
OBSERVATIONS = st.lists(st.builds(lambda minutes, value: Observation(T0 + timedelta(minutes=minutes), value), MINUTES, VALUES), max_size=20)
RULES = st.builds(
    AlertSpec,
    kpi_key=st.just("kpi1"),
    movement=st.sampled_from(list(Movement)),
    amount=st.decimals(min_value=D("0.01"), max_value=500, places=2),
    mode=st.sampled_from(list(Mode)),
    window_hours=st.integers(1, MAX_WINDOW_HOURS),
)


@given(RULES, OBSERVATIONS, st.builds(lambda minutes, value: Observation(T0 + timedelta(minutes=minutes), value), MINUTES, VALUES))
def test_the_baseline_is_earlier_within_the_window_and_moved_enough(spec, history, new):
    baseline = triggered(spec, history, new)
    if baseline is None:
        return
    assert baseline in history
    assert new.at - timedelta(hours=spec.window_hours) <= baseline.at < new.at
    facts = describe_movement(spec, baseline, new)
    assert facts["movement"] is not None and facts["movement"] >= spec.amount - D("0.000001")
    assert D(0) < facts["hours"] <= spec.window_hours


@given(RULES, OBSERVATIONS, st.builds(lambda minutes, value: Observation(T0 + timedelta(minutes=minutes), value), MINUTES, VALUES))
def test_a_falls_rule_on_negated_values_is_the_rises_rule(spec, history, new):
    def negated(observation):
        return Observation(observation.at, -observation.value)

    rises = AlertSpec(spec.kpi_key, Movement.RISES, spec.amount, spec.mode, spec.window_hours)
    falls = AlertSpec(spec.kpi_key, Movement.FALLS, spec.amount, spec.mode, spec.window_hours)
    on_rises = triggered(rises, history, new)
    on_falls = triggered(falls, [negated(observation) for observation in history], negated(new))
    assert (on_falls is None) == (on_rises is None)
    if on_rises is not None:
        assert on_falls == negated(on_rises)


@given(RULES, OBSERVATIONS, st.builds(lambda minutes, value: Observation(T0 + timedelta(minutes=minutes), value), MINUTES, VALUES))
def test_no_candidate_outside_the_window_changes_the_answer(spec, history, new):
    inside = [o for o in history if new.at - timedelta(hours=spec.window_hours) <= o.at < new.at]
    assert triggered(spec, history, new) == triggered(spec, inside, new)


# --- episodes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "current, fired, expected",
    [
        (EpisodeState.QUIET, True, (EpisodeState.FIRING, True)),
        (EpisodeState.FIRING, True, (EpisodeState.FIRING, False)),
        (EpisodeState.FIRING, False, (EpisodeState.QUIET, False)),
        (EpisodeState.QUIET, False, (EpisodeState.QUIET, False)),
        ("quiet", True, (EpisodeState.FIRING, True)),
        ("firing", True, (EpisodeState.FIRING, False)),
    ],
)
def test_next_state(current, fired, expected):
    assert next_state(current, fired) == expected


def test_one_post_per_episode():
    state, posts = EpisodeState.QUIET, []
    for fired in [False, True, True, True, False, False, True, True]:
        state, post = next_state(state, fired)
        posts.append(post)
    assert posts == [False, True, False, False, False, False, True, False]


# --- the numbers an alert shows ----------------------------------------------------------------


def test_describe_a_rise_in_points():
    facts = describe_movement(rule(), at(0, "68"), at(30, "71.5"))
    assert facts == {
        "baseline": D("68"),
        "value": D("71.5"),
        "change": D("3.5"),
        "change_percent": D("5.147059"),
        "movement": D("3.5"),
        "amount": D("3"),
        "mode": "points",
        "hours": D("30"),
        "window_hours": 48,
    }


def test_describe_a_relative_fall():
    facts = describe_movement(rule("falls", "10", "percent", 24, "roas"), at(0, "4"), at(1.5, "3"))
    assert (facts["change"], facts["change_percent"], facts["movement"], facts["mode"], facts["hours"]) == (D("-1"), D("-25"), D("25"), "percent", D("1.5"))


def test_describe_from_zero_has_no_relative_change():
    facts = describe_movement(rule(), at(0, "0"), at(1, "5"))
    assert (facts["change"], facts["change_percent"], facts["movement"]) == (D("5"), None, D("5"))
    facts = describe_movement(rule(mode="percent"), at(0, "0"), at(1, "5"))
    assert (facts["change_percent"], facts["movement"]) == (None, None)
