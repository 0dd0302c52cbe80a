"""The schema sent with JSON mode to servers that enforce it as a grammar (llama.cpp's): a
sentence it lets through names a fact by placeholder and types no digit; the prompt's example
in that shape is one the grammar allows; the narrator reads sentences as objects."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from domain.narrative import Fact, FactKind
from services.llm_answer import parse_json_answer
from services.llm_client import TIERS
from services.llm_prompt import PROMPT_OUTPUT, build_prompt, response_format
from services.narrative_grammar import response_schema

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
    pattern = response_schema(FACTS)["properties"]["summary"]["items"]["properties"]["text"]["pattern"]
    return re.fullmatch(pattern, text) is not None


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
    hypothesis = response_schema(FACTS)["properties"]["hypotheses"]["items"]["properties"]
    assert hypothesis["fact_ids"]["items"]["enum"] == ["F1", "F2", "F3"] and hypothesis["metric"]["enum"] == ["F1", "F2", "F3"]
    assert re.fullmatch(hypothesis["text"]["pattern"], "El pago móvil frena la conversión.")
    assert not re.fullmatch(hypothesis["experiment"]["pattern"], "Dar un cupón de 10 mil.")


def test_the_prompts_example_is_what_the_grammar_allows():
    """The example answer shown with the schema is in the grammar's shape, and each of its
    sentences passes the grammar for the example's own facts."""
    for language in ("es", "en"):
        system = build_prompt(FACTS, language=language, output="json_facts")[0]["content"]
        example = json.loads(next(line for line in system.splitlines() if line.startswith('{"summary"')))
        assert all(set(item) == {"fact", "text"} and sentence_allowed(item["text"]) for item in example["summary"])
        assert all(re.search(r"\{" + item["fact"] + r"[.}]", item["text"]) for item in example["summary"])


def test_json_mode_with_the_schema_sits_between_structured_output_and_json_mode():
    assert TIERS == ("json_schema", "json_object_schema", "json_object", "text")
    assert response_format("json_object_schema", FACTS) == {"type": "json_object", "schema": response_schema(FACTS)}
    assert response_format("json_object", FACTS) == {"type": "json_object"}
    assert response_format("text", FACTS) is None
    assert PROMPT_OUTPUT["json_object_schema"] == "json_facts"


def test_sentences_as_objects_are_read_for_their_text():
    answer = {
        "summary": [{"fact": "F1", "text": "Ventas bajó a {F1.value}."}, "{F2} mejoró.", {"fact": "F2"}, {"text": 3}],
        "hypotheses": [{"text": "El pago frena la conversión.", "fact_ids": ["F2"], "experiment": "Quitar un paso.", "metric": "F2"}],
    }
    draft = parse_json_answer(json.dumps(answer))
    assert draft.summary == ("Ventas bajó a {F1.value}.", "{F2} mejoró.") and len(draft.hypotheses) == 1
