"""The week in brief as a grammar: a JSON schema written for one narration's facts, for servers
that constrain their sampling to a schema sent with JSON mode (llama.cpp's and llama-cpp-python's
servers take `response_format: {"type": "json_object", "schema": {...}}` and compile it to a
grammar; they refuse OpenAI's `json_schema` type).

The schema says more than the structured-output one (`services.llm_prompt.RESPONSE_SCHEMA`),
because a grammar is enforced token by token, and a small model needs the help:

- each summary sentence is an object: the fact it is about (`"fact"`, one of this week's aliases
  "F1", "F2"…) and its text, which is one of the sentences that are true of that fact
  (`services.narrative_clauses`: "{F1} empeoró y no cumple la meta de {F1.target}."). So the
  model chooses what the summary tells, and cannot write a sentence that is false, about a
  fact that does not exist, or with a number it typed (SmolLM2-135M, given free text around
  placeholders, wrote "Las ventas bajaron a {F1.value}" in a week sales rose);
- where no fact has such sentences, a text with one to three placeholders of the week's facts
  ({F1}, {F1.value}…) and no digit, brace outside a placeholder, quote, backslash, `<`, `>` or
  control character: a number can only be said by placeholder, and Alinea writes it;
- a hypothesis cites facts by alias, and its metric is one of them.

The checks after it (placeholders filled, the grounding check, links and mentions) stay as they
are, because a server may take the schema and ignore it.
Lengths are bounded so that a model that rambles still closes its JSON within the output cap.
"""

from __future__ import annotations

from typing import Any, Sequence

from domain.narrative import Fact
from services.narrative_clauses import sentences_by_fact
from services.narrative_placeholders import alias

# A character a model may write in a text: no digit, brace, quote, backslash, angle bracket or
# control character (a JSON escape would let any of them back in).
_FREE = r'[^0-9{}"\\<>\x00-\x1f]'
# Short on purpose: the servers that enforce a grammar are mostly local ones on small machines,
# where every token costs; two sentences are what the narrator needs to keep the summary.
MIN_SENTENCES, MAX_SENTENCES = 2, 3
MAX_HYPOTHESES, MAX_CITED = 1, 2
_LEAD, _TAIL, _TEXT = 100, 80, 160  # characters of free text before, between and after placeholders; a hypothesis'


def references(number: int, fact: Fact) -> list[str]:
    """What a placeholder of the `number`-th fact may say: its name, then each of its numbers."""
    name = alias(number)
    return [name, *(f"{name}[.]{key}" for key, value in fact.numbers.items() if value is not None)]


def sentence_pattern(facts: Sequence[Fact]) -> str:
    """Free text with one to three placeholders of these facts (as the prompt's example has)."""
    options = "|".join(reference for number, fact in enumerate(facts, start=1) for reference in references(number, fact))
    return rf"^{_FREE}{{0,{_LEAD}}}(\{{({options})\}}{_FREE}{{0,{_TAIL}}}){{1,3}}$"


FREE_TEXT = {"type": "string", "pattern": f"^{_FREE}{{10,{_TEXT}}}$"}


def true_sentence_schema(facts: Sequence[Fact], *, language: str) -> dict[str, Any] | None:
    """A summary sentence as one of its fact's true sentences (None when no fact has any)."""
    choices = [
        {"type": "object", "properties": {"fact": {"const": name}, "text": {"enum": sentences}}, "required": ["fact", "text"]}
        for name, sentences in sentences_by_fact(facts, language=language).items()
    ]
    return {"anyOf": choices} if choices else None


def response_schema(facts: Sequence[Fact], *, language: str) -> dict[str, Any]:
    """The schema of one narration's answer: sentences tied to these facts, hypotheses citing them."""
    names = [alias(number) for number in range(1, len(facts) + 1)]
    sentence = true_sentence_schema(facts, language=language) or {
        "type": "object",
        "properties": {"fact": {"enum": names}, "text": {"type": "string", "pattern": sentence_pattern(facts)}},
        "required": ["fact", "text"],
    }
    hypothesis = {
        "type": "object",
        "properties": {
            "text": FREE_TEXT,
            "fact_ids": {"type": "array", "items": {"enum": names}, "minItems": 1, "maxItems": MAX_CITED},
            "experiment": FREE_TEXT,
            "metric": {"enum": names},
        },
        "required": ["text", "fact_ids", "experiment", "metric"],
    }
    return {
        "type": "object",
        "properties": {
            "summary": {"type": "array", "items": sentence, "minItems": MIN_SENTENCES, "maxItems": MAX_SENTENCES},
            "hypotheses": {"type": "array", "items": hypothesis, "minItems": 1, "maxItems": MAX_HYPOTHESES},
        },
        "required": ["summary", "hypotheses"],
    }
