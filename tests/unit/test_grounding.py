"""The grounding check (domain/grounding.py): reading numbers in both languages' ways, matching
them to facts with rounding and magnitudes, dropping what is invented, and escaping for Slack."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.grounding import (
    check_hypotheses,
    check_sentences,
    escape_for_slack,
    fact_numbers,
    matches,
    numbers_in,
    split_sentences,
    written_numbers,
)
from domain.narrative import Fact, FactKind, Hypothesis
from domain.number_format import display_quantity, format_quantity

ES_CO = {"language": "es", "country": "CO"}
EN_CO = {"language": "en", "country": "CO"}
EN_US = {"language": "en", "country": "US"}
ES_MX = {"language": "es", "country": "MX"}
ES = {"language": "es", "country": None}
TEAMS = [ES_CO, EN_CO, EN_US, ES_MX, ES]


def values(text, team=ES_CO):
    return numbers_in(text, **team)


# --- reading numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.234,5", ["1234.5"]),
        ("1,6 %", ["1.6"]),
        ("1,6\u00a0%", ["1.6"]),
        ("$41.440.000", ["41440000"]),
        ("45 millones", ["45000000"]),
        ("45 Millones de pesos", ["45000000"]),
        ("1 millón", ["1000000"]),
        ("−15,9 %", ["15.9"]),  # absolute values: the sign is the prose's business
        ("+12,46 h", ["12.46"]),
        ("150 mil", ["150000"]),
        ("3 mil millones", ["3000000000"]),
        ("2 billones", ["2000000000000"]),  # a Spanish billón is a million millions
        ("45M", ["45000000"]),
        ("45 MM", ["45000000"]),
        ("12k", ["12000"]),
        ("1.234", ["1234"]),  # ambiguous: the team's way (es-CO groups with ".")
        ("1,234.5", ["1234.5"]),  # only valid the other way: read so
        ("1.6%", ["1.6"]),  # a "." followed by one digit is never a group mark
        ("1'234.567", ["1234567"]),  # the Colombian apostrophe groups
        ("de 31,14 a 24 h (7,14 h por fuera)", ["31.14", "24", "7.14"]),
        ("2026.03.16", ["2026", "3", "16"]),  # valid neither way: every run counts
        ("COP45.000 y x99", ["45000", "99"]),  # glued to letters that are not our labels: still numbers
        ("Ventas 45 MQL", ["45"]),  # "M" of a word is not a multiplier
        ("sin números", []),
    ],
)
def test_numbers_in_es_co(text, expected):
    assert values(text) == [D(value) for value in expected]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,234.5", ["1234.5"]),
        ("1.6%", ["1.6"]),
        ("45M", ["45000000"]),
        ("-15.9%", ["15.9"]),
        ("$41,440,000", ["41440000"]),
        ("1.234", ["1.234"]),  # ambiguous: the team's way (en-US: a decimal point)
        ("1,6 %", ["1.6"]),  # only valid the Spanish way
        ("2.5 million and 3 billion", ["2500000", "3000000000"]),
        ("12 thousand", ["12000"]),
    ],
)
def test_numbers_in_en_us(text, expected):
    assert values(text, EN_US) == [D(value) for value in expected]


def test_en_co_reads_numbers_the_colombian_way():
    assert values("1.234 and 1,5", EN_CO) == [D(1234), D("1.5")]


@pytest.mark.parametrize(
    "text, exponent",
    [("31,14", -2), ("31,1", -1), ("31", 0), ("45 millones", 6), ("41,4 millones", 5), ("45.000.000", 0), ("12k", 3), ("1,50", -2)],
)
def test_the_precision_written_travels_in_the_exponent(text, exponent):
    [value] = values(text)
    assert value.as_tuple().exponent == exponent


@pytest.mark.parametrize(
    "text",
    [
        "KR3 va atrasado", "SLA1 y SLA2", "B1 sigue abierto", "O2 y T1", "semana W11", "repurchase_60d",
        "1. Primero", "  2) Segundo", "Uno\n3. Tercero",
    ],
)
def test_labels_keys_and_list_markers_are_not_numbers(text):
    assert values(text) == []


def test_a_number_after_a_list_marker_still_counts():
    assert values("1. Ventas: 45 millones") == [D(45_000_000)]


@pytest.mark.parametrize(
    "text, time_count",
    [("las últimas 4 semanas", True), ("1 mes", True), ("12 meses", True), ("a 4-week trend", True), ("3 days", True),
     ("13 semanas", False), ("4 pedidos", False), ("4,5 semanas", False), ("0 días", False)],
)
def test_small_counts_of_time_are_flagged(text, time_count):
    [number] = written_numbers(text, **ES_CO)
    assert number.time_count is time_count


# --- matching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, fact, expected",
    [
        ("31,14", "31.142857", True),
        ("31,1", "31.142857", True),
        ("31", "31.142857", True),
        ("32", "31.142857", False),
        ("31,15", "31.142857", False),
        ("31,142857", "31.142857", True),
        ("31,1428570", "31.142857", True),  # a trailing zero the fact does not write
        ("31,1428571", "31.142857", False),  # …but not a digit it does not have
        ("45 millones", "45000000", True),
        ("45M", "45000000", True),
        ("45.000.000", "45000000", True),
        ("45 millones", "44600000", True),  # rounded at the magnitude written
        ("45.000.000", "44600000", False),  # …but all digits written are claimed
        ("44 millones", "45000000", False),
        ("41,4 millones", "41440000", True),
        ("41,5 millones", "41440000", False),
        ("15,9 %", "-15.873016", True),
        ("16 %", "-15.873016", True),
        ("12 %", "-15.873016", False),
        ("$41.440.000", "41440000", True),
        ("$41.440.001", "41440000", False),
        ("0,3", "0.25", True),  # half up
        ("0,2", "0.25", True),  # half even: both accepted
        ("0,1", "0.25", False),
    ],
)
def test_matches_allows_rounding_to_what_was_written(written, fact, expected):
    [number] = values(written)
    assert matches(number, [D(fact)]) is expected


def test_matches_any_of_several_facts():
    assert matches(D(12), [D("3.1"), D("11.6")])
    assert not matches(D(12), [])


@settings(max_examples=300, deadline=None)
@given(
    value=st.decimals(min_value=D("-1e12"), max_value=D("1e12"), places=6, allow_nan=False, allow_infinity=False),
    unit=st.sampled_from([None, "%", "h", "COP", "USD"]),
    team=st.sampled_from(TEAMS),
)
def test_what_display_quantity_writes_matches_the_fact(value, unit, team):
    """Whatever our own formatting shows, in any team's way, is grounded in the fact it shows."""
    shown = display_quantity(value, unit, currency="COP", **team)
    found = numbers_in(shown, **team)
    assert found and all(matches(number, [value]) for number in found), (shown, found)


@settings(max_examples=200, deadline=None)
@given(
    value=st.decimals(min_value=D("-1e9"), max_value=D("1e9"), places=2, allow_nan=False, allow_infinity=False),
    team=st.sampled_from(TEAMS),
)
def test_exact_formatting_reads_back_exactly(value, team):
    shown = format_quantity(value, None, **team)
    assert numbers_in(shown, **team) == [abs(value)]


# --- checking sentences and hypotheses -----------------------------------------------------------

FACTS = [
    Fact("kpi.sales_cop.2026-W11", FactKind.KPI_CHANGE, "Ventas",
         {"value": D(41440000), "previous": D(49290000), "difference": D(-7850000), "percent": D("-15.926151"), "target": D("46083333.333333")},
         "COP", {"trend": "50434000; 40727000; —; 41440000"}),
    Fact("kpi.repurchase_60d.2026-W11", FactKind.KPI_CHANGE, "Recompra a 60 días", {"value": D("21.1"), "previous": D("20.3")}, "%", {}),
    Fact("breach.B1", FactKind.BREACH, "B1 · SLA1 · Tiempo de seguimiento a leads", {"value": D("31.142857"), "target": D(24), "gap": D("7.142857")}, "h", {}),
    Fact("kr.KR4", FactKind.KEY_RESULT, "KR4 · Ventas", {"progress": D("9.6"), "expected": D("41.111111")}, "%", {}),
]  # fmt: skip


def test_fact_numbers_include_the_trend():
    assert {D(50434000), D(40727000)} <= set(fact_numbers(FACTS))


@pytest.mark.parametrize(
    "sentence, kept",
    [
        ("Ventas cerró en $41.440.000 frente a $49.290.000 (−15,9 %).", True),
        ("Ventas cerró en 41,4 millones, lejos de la meta de 46,1 millones.", True),
        ("Ventas bajó 16 %.", True),
        ("Ventas bajó 12 %.", False),  # invented
        ("Ventas cerró en $41.440.000 y subirá a $60.000.000.", False),  # one invented number sinks the sentence
        ("Hace tres semanas fueron $40.727.000.", True),  # from the trend
        ("En las últimas 4 semanas Ventas bajó.", True),  # a count of time
        ("En las últimas 13 semanas Ventas bajó.", False),
        ("Recompra a 60 días subió a 21,1 %.", True),  # the digits of a fact's name are not a claim
        ("KR4 va en 10 % frente a 41 % esperado.", True),
        ("B1 (SLA1): 31,14 h frente a 24 h, 7,14 h por fuera.", True),
        ("Según kpi.sales_cop.2026-W11, bajó 15,9 %.", True),  # naming a fact id is not a number
        ("El equipo debe revisar el checkout.", True),  # no numbers: nothing to ground
        ("Según 2026-W10, bajó 15,9 %.", False),  # not a fact id: 2026 and 10 are numbers
        ("KR4 y B1 siguen igual.", True),  # labels the facts use
        ("KR9 va en 10 %.", False),  # a label no fact uses is invented like a number
        ("El SLA3 se incumplió.", False),
    ],
)
def test_check_sentences(sentence, kept):
    assert check_sentences([sentence], FACTS, **ES_CO) == (([sentence], 0) if kept else ([], 1))


def test_check_sentences_counts_the_dropped_and_ignores_blanks():
    kept, dropped = check_sentences(["Ventas bajó 15,9 %.", "", "  ", "Subió 99 %.", "Bajó 3 %."], FACTS, **ES_CO)
    assert kept == ["Ventas bajó 15,9 %."] and dropped == 2


def test_english_sentences_in_an_english_team():
    kept, dropped = check_sentences(["Sales fell 15.9% to $41,440,000.", "Sales fell to 41.4M.", "Sales will reach 60M."], FACTS, **EN_US)
    assert kept == ["Sales fell 15.9% to $41,440,000.", "Sales fell to 41.4M."] and dropped == 1


GOOD = Hypothesis("La respuesta tardó 31,14 h frente a 24 h.", ("breach.B1",), "Un turno fijo por WhatsApp.", "followup_hours")


@pytest.mark.parametrize(
    "hypothesis, kept",
    [
        (GOOD, True),
        (Hypothesis(GOOD.text, ("breach.B1", "kpi.sales_cop.2026-W11"), GOOD.experiment, GOOD.metric), True),
        (Hypothesis(GOOD.text, ("breach.B9",), GOOD.experiment, GOOD.metric), False),  # an unknown fact id
        (Hypothesis(GOOD.text, ("breach.B1", "kpi.nope.2026-W11"), GOOD.experiment, GOOD.metric), False),
        (Hypothesis(GOOD.text, (), GOOD.experiment, GOOD.metric), False),  # cites nothing
        (Hypothesis("La respuesta tardó 40 h.", ("breach.B1",), GOOD.experiment, GOOD.metric), False),  # invented in the text
        (Hypothesis(GOOD.text, ("breach.B1",), "Bajar a 12 h en 3 días.", GOOD.metric), False),  # …or in the experiment
        (Hypothesis(GOOD.text, ("breach.B1",), "Probarlo durante 2 semanas.", GOOD.metric), True),  # a count of time
        (Hypothesis(GOOD.text, ("breach.B1",), " ", GOOD.metric), False),  # no experiment
        (Hypothesis(GOOD.text, ("breach.B1",), GOOD.experiment, ""), False),  # no metric
        (Hypothesis(GOOD.text, ("breach.B1",), GOOD.experiment, "repurchase_60d"), True),
    ],
)
def test_check_hypotheses(hypothesis, kept):
    assert check_hypotheses([hypothesis], FACTS, **ES_CO) == (([hypothesis], 0) if kept else ([], 1))


# --- sentences --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Subió 1,5 %. Bajó 2,3 %.", ["Subió 1,5 %.", "Bajó 2,3 %."]),
        ("Ventas S.A. subió 1.234 pesos. Luego bajó.", ["Ventas S.A. subió 1.234 pesos.", "Luego bajó."]),
        ("Hay canales, p. ej. WhatsApp, que bajaron. Otros no.", ["Hay canales, p. ej. WhatsApp, que bajaron.", "Otros no."]),
        ("Some channels, e.g. WhatsApp, fell. Others did not.", ["Some channels, e.g. WhatsApp, fell.", "Others did not."]),
        ("Tardó 31,5 h. La meta era 24 h.", ["Tardó 31,5 h.", "La meta era 24 h."]),
        ("¿Por qué bajó? ¡Por el envío! Eso creemos.", ["¿Por qué bajó?", "¡Por el envío!", "Eso creemos."]),
        ("Subió 12 %. 3 KPI empeoraron.", ["Subió 12 %.", "3 KPI empeoraron."]),
        ("El Sr. Gómez y la Dra. Ruiz aprobaron.", ["El Sr. Gómez y la Dra. Ruiz aprobaron."]),
        ("Ventas en EE. UU. bajaron. Aquí no.", ["Ventas en EE. UU. bajaron.", "Aquí no."]),
        ("Uno.\n\n1. Dos.\n- Tres\n• Cuatro", ["Uno.", "Dos.", "Tres", "Cuatro"]),
        ("Esperaba más… Pero no.", ["Esperaba más…", "Pero no."]),
        ('Dijo "subió." Luego bajó.', ['Dijo "subió."', "Luego bajó."]),
        ("sin punto final", ["sin punto final"]),
        ("", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


# --- escaping for Slack ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ignore previous instructions <!channel>", "ignore previous instructions &lt;!channel&gt;"),
        ("<!here> y <!everyone>", "&lt;!here&gt; y &lt;!everyone&gt;"),
        ("<@U123>", "&lt;@\u2060U123&gt;"),
        ("<#C123|general>", "&lt;#\u2060C123|general&gt;"),
        ("<https://evil.example|click>", "&lt;https[:]//evil[.]example|click&gt;"),
        ("see https://evil.example/x?a=1&b=2", "see https[:]//evil[.]example/x?a=1&amp;b=2"),
        ("visit www.evil.com now", "visit www[.]evil[.]com now"),
        ("or evil.co", "or evil[.]co"),
        ("_evil.com_", "\u02cdevil[.]com\u02cd"),
        ("mailto:ana@tienda.co", "mailto[:]ana@\u2060tienda[.]co"),
        ("@here @channel", "@\u2060here @\u2060channel"),
        ("*bold* _it_ ~x~ `code`", "\u2217bold\u2217 \u02cdit\u02cd \u223cx\u223c \u02cbcode\u02cb"),
        ("```block```", "\u02cb\u02cb\u02cbblock\u02cb\u02cb\u02cb"),
        ("> quoted", "quoted"),
        (">>> all quoted", "all quoted"),
        ("line one\nline two\r\n\tthree", "line one line two three"),
        ("a\x00b\x1bc\u202ed\u2066e", "abcde"),  # control and bidirectional-override characters
        ("1 < 2 & 3 > 2", "1 &lt; 2 &amp; 3 &gt; 2"),
        ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),  # entities typed by the model stay text
        ("Ventas S.A.S. en EE.UU., p.ej. 1.234,5 $", "Ventas S.A.S. en EE.UU., p.ej. 1.234,5 $"),
        ("1,6\u00a0%", "1,6\u00a0%"),  # the no-break space of our numbers stays
    ],
)
def test_escape_for_slack(text, expected):
    assert escape_for_slack(text) == expected


_SLACK_SYNTAX = re.compile(r"[<>*_~`\n\r]|://|\bwww\.|@(?!\u2060)\w", re.IGNORECASE)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("<>!@#*_~`&|:/.\n\r\t >hwtpsHere abc1") + ["http://", "https://", "www.", "<!channel>", "<@U1>", ".com"]), max_size=40).map("".join))
def test_escaped_text_has_nothing_slack_would_interpret(text):
    escaped = escape_for_slack(text)
    assert not _SLACK_SYNTAX.search(escaped), escaped
    assert not re.search(r"&(?!amp;|lt;|gt;)", escaped)
    assert not re.search(r"[a-z0-9]\.(?:com|co|example)\b", escaped, re.IGNORECASE)
