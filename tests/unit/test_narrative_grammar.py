"""The schema sent with JSON mode to servers that enforce it as a grammar (llama.cpp's): a
sentence it lets through is one of the true sentences of the fact it names (or, where no fact
has any, names a fact by placeholder and types no digit); the prompt's example in that shape is
one the grammar allows; the narrator reads sentences as objects."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from domain.narrative import Fact, FactKind
from services.llm_answer import parse_json_answer
from services.llm_client import TIERS
from services.llm_prompt import EXAMPLE_FACTS, PROMPT_OUTPUT, build_prompt, response_format
from services.narrative_grammar import response_schema, sentence_pattern

# The prompt's example facts (F1 sales, F2 web conversion), as facts.
FACTS = (
    Fact("kpi.sales.2026-W11", FactKind.KPI_CHANGE, "Ventas",
         {"value": Decimal("41"), "previous": Decimal("45"), "percent": Decimal("-8.9"), "target": Decimal("50")}, "COP",
         {"direction": "worse", "meets_target": "no"}),
    Fact("kpi.conversion_web.2026-W11", FactKind.KPI_CHANGE, "Conversión web", {"value": Decimal("1.2"), "percent": Decimal("3")},
         "%", {"direction": "better"}),
    Fact("sla.SLA1.2026-W11", FactKind.SLA, "SLA1 · seguimiento", {"value": Decimal("31.5"), "target": None}, "h", {}),
)  # fmt: skip


def sentence_allowed(text: str) -> bool:
    """What the free-text grammar lets through (the schema's sentences where no fact has true ones)."""
    return re.fullmatch(sentence_pattern(FACTS), text) is not None


def true_sentences(facts, language="es") -> dict[str, list[str]]:
    """The schema's sentences, by the fact they are about."""
    branches = response_schema(facts, language=language)["properties"]["summary"]["items"]["anyOf"]
    return {branch["properties"]["fact"]["const"]: branch["properties"]["text"]["enum"] for branch in branches}


def test_each_fact_gets_only_sentences_true_of_it():
    """Sales worsened and missed its target, web conversion improved: a sentence that says the
    opposite, or says one fact's number about another, cannot be written."""
    allowed = true_sentences(FACTS)
    assert set(allowed) == {"F1", "F2"}  # F3 has no state and no number to tell: not offered
    assert "{F1} empeoró y no cumple la meta de {F1.target}." in allowed["F1"]
    assert "{F1} bajó {F1.percent}." in allowed["F1"] and "{F2} subió {F2.percent}." in allowed["F2"]
    for wrong in ("{F1} mejoró.", "{F1} cumple la meta de {F1.target}.", "{F1} subió {F1.percent}.", "{F2} empeoró.",
                  "{F2} pasó de {F2.previous} a {F2.value}.", "{F2} no cumple la meta de {F2.target}."):  # fmt: skip
        assert wrong not in allowed["F1"] + allowed["F2"]
    for name, sentences in allowed.items():
        assert all(re.findall(r"\{(F\d+)", text) and set(re.findall(r"\{(F\d+)", text)) == {name} for text in sentences)
        assert all(text.startswith(f"{{{name}}} ") and not re.search(r"\d(?![^{]*\})", text) for text in sentences)


def test_the_sentences_speak_the_teams_language():
    allowed = true_sentences(FACTS, language="en")
    assert "{F1} worsened and misses its target of {F1.target}." in allowed["F1"] and "{F2} improved." in allowed["F2"]


@pytest.mark.parametrize(
    "fact, expected",
    [
        (Fact("sla.SLA1.2026-W11", FactKind.SLA, "SLA1 · seguimiento", {"value": Decimal(31), "target": Decimal(24),
              "attained": Decimal(7), "evaluated": Decimal(8)}, "h", {"state": "breached"}),
         ["{F1} incumplió su compromiso.", "{F1} quedó en {F1.value} frente a una meta de {F1.target}.",
          "{F1} se cumplió en {F1.attained} de {F1.evaluated} periodos."]),
        (Fact("breach.B1", FactKind.BREACH, "B1 · SLA1", {"value": Decimal(31), "target": Decimal(24)}, "h", {"status": "open"}),
         ["{F1} sigue abierto y sin reconocer.", "{F1} quedó en {F1.value} frente a una meta de {F1.target}."]),
        (Fact("kr.KR2", FactKind.KEY_RESULT, "KR2 · referidos", {"progress": Decimal(0), "expected": Decimal(21)}, "%",
              {"status": "off_track"}),
         ["{F1} va atrasado.", "{F1} lleva un avance de {F1.progress} frente a {F1.expected} esperado."]),
        (Fact("experiment.2026-W11", FactKind.EXPERIMENT, "Conversión web", {}, None, {"result": "refuted"}),
         ["{F1} no confirmó el experimento de la semana pasada."]),
        (Fact("kpi.mql.2026-W06", FactKind.KPI_CHANGE, "MQL", {"value": Decimal(134)}, None, {"direction": "no_previous",
              "bottleneck": "yes"}),
         ["{F1} quedó en {F1.value}.", "{F1} es el cuello de botella del embudo."]),
    ],
)  # fmt: skip
def test_each_kind_of_fact_is_told_by_its_state_and_the_numbers_it_has(fact, expected):
    sentences = true_sentences([fact])["F1"]
    assert sentences[: len(expected)] == expected
    assert all(" y " in text for text in sentences[len(expected) :])  # the rest: the state joined with another clause


def test_summaries_and_the_what_if_are_left_out_and_without_true_sentences_the_free_grammar_speaks():
    summary = Fact("sla.summary.2026-W11", FactKind.SLA, "Estado de los SLA", {"met": Decimal(1), "breached": Decimal(1)}, None,
                   {"summary": "yes"})  # fmt: skip
    whatif = Fact("whatif.conversion.2026-W11", FactKind.WHAT_IF, "Conversión web", {"worth": Decimal(6), "points": Decimal("0.2")}, None, {})
    sentence = response_schema([summary, whatif], language="es")["properties"]["summary"]["items"]
    assert "anyOf" not in sentence and sentence["properties"]["fact"]["enum"] == ["F1", "F2"]
    assert re.fullmatch(sentence["properties"]["text"]["pattern"], "{F1} sumó {F1.met} compromisos cumplidos.")


@pytest.mark.parametrize(
    "text",
    [
        "Las ventas bajaron a {F1.value}, un cambio de {F1.percent}.",
        "{F2} mejoró.",
        "{F1} cayó mientras {F2.value} subió, y {F3.value} quedó lejos.",
        "Sales fell to {F1.value} — below {F1.target}!",
    ],
)
def test_a_sentence_that_names_a_fact_by_placeholder_is_allowed(text):
    assert sentence_allowed(text)


@pytest.mark.parametrize(
    "text",
    [
        "Las ventas bajaron a 41 millones, {F1}.",  # a digit typed by the model
        "La semana fue buena para el equipo.",  # no fact named
        "Ventas quedó en {F4.value}.",  # no such fact
        "Ventas quedó en {F2.target}.",  # a number F2 does not have
        "El SLA quedó en {F3.target}.",  # a number F3 has no value for
        'Ventas "subieron" a {F1.value}.',  # a quote would need a JSON escape
        "Ventas <!channel> {F1.value}.",
        "Ventas {F1.value}\nsubieron.",
        "Ventas {F1.value} {",
        "{F1} {F1.value}, {F2} {F2.value}.",  # more placeholders than a short sentence needs
    ],
)
def test_the_grammar_refuses_digits_unknown_placeholders_and_sentences_about_nothing(text):
    assert not sentence_allowed(text)


def test_hypotheses_cite_this_weeks_facts_and_type_no_digit():
    hypothesis = response_schema(FACTS, language="es")["properties"]["hypotheses"]["items"]["properties"]
    assert hypothesis["fact_ids"]["items"]["enum"] == ["F1", "F2", "F3"] and hypothesis["metric"]["enum"] == ["F1", "F2", "F3"]
    assert re.fullmatch(hypothesis["text"]["pattern"], "El pago móvil frena la conversión.")
    assert not re.fullmatch(hypothesis["experiment"]["pattern"], "Dar un cupón de 10 mil.")


def test_the_prompts_example_is_what_the_grammar_allows():
    """The example answer shown with the schema is in the grammar's shape, and each of its
    sentences is one the grammar allows for the example's own facts."""
    for language in ("es", "en"):
        system = build_prompt(FACTS, language=language, output="json_facts")[0]["content"]
        example = json.loads(next(line for line in system.splitlines() if line.startswith('{"summary"')))
        allowed = true_sentences(EXAMPLE_FACTS, language=language)
        assert all(set(item) == {"fact", "text"} and item["text"] in allowed[item["fact"]] for item in example["summary"])
        assert len(example["summary"]) == 3


def test_json_mode_with_the_schema_sits_between_structured_output_and_json_mode():
    assert TIERS == ("json_schema", "json_object_schema", "json_object", "text")
    assert response_format("json_object_schema", FACTS, language="es-CO") == {"type": "json_object",
                                                                               "schema": response_schema(FACTS, language="es")}
    assert response_format("json_object", FACTS, language="es") == {"type": "json_object"}
    assert response_format("text", FACTS, language="es") is None
    assert PROMPT_OUTPUT["json_object_schema"] == "json_facts"


def test_sentences_as_objects_are_read_for_their_text():
    answer = {
        "summary": [{"fact": "F1", "text": "Ventas bajó a {F1.value}."}, "{F2} mejoró.", {"fact": "F2"}, {"text": 3}],
        "hypotheses": [{"text": "El pago frena la conversión.", "fact_ids": ["F2"], "experiment": "Quitar un paso.", "metric": "F2"}],
    }
    draft = parse_json_answer(json.dumps(answer))
    assert draft.summary == ("Ventas bajó a {F1.value}.", "{F2} mejoró.") and len(draft.hypotheses) == 1


def test_a_move_too_small_to_show_is_not_told_as_one():
    """1.4809 % to 1.4751 % both read "1,48 %": "pasó de 1,48 % a 1,48 %" and "bajó 0,0 %" would
    read as nonsense, so only the state and the value are offered."""
    tiny = Fact("kpi.conversion_web.2026-W07", FactKind.KPI_CHANGE, "Conversión web",
                {"value": Decimal("1.4751"), "previous": Decimal("1.4809"), "difference": Decimal("-0.0058"),
                 "percent": Decimal("-0.039")}, "%", {"direction": "worse"})  # fmt: skip
    assert true_sentences([tiny])["F1"] == ["{F1} empeoró.", "{F1} quedó en {F1.value}.", "{F1} empeoró y quedó en {F1.value}."]
