"""True sentences about one fact: what a small model may choose among where a server enforces
the summary's grammar (`services.narrative_grammar`).

A tiny model (SmolLM2-135M) given free text within a grammar still wrote false sentences
around real placeholders ("Las ventas bajaron a {F1.value}" in a week sales rose), or
nonsense. So for each fact Alinea writes the clauses that are true of it, from its own
detail and numbers ("mejoró", "pasó de {F1.previous} a {F1.value}", "no cumple la meta de
{F1.target}", "va en camino"), and a summary sentence is the fact's name followed by one
clause, or by its state and one more clause ("{F1} empeoró y no cumple la meta de
{F1.target}."). The model chooses which facts the week's summary tells and what it says about
each; every sentence it can write is true, and every number in it is a placeholder Alinea fills.

Facts without a clause (the SLA and key-result summaries, the what-if) are left out of the
choice: their counts need grammar a clause bank cannot write well.
The words are in the `narrative_clauses` catalogs (es, en).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from domain.narrative import Fact, FactKind
from services.i18n import t
from services.narrative_placeholders import alias
from services.offline_narrator import fact_number

_STATES = {  # (kind, detail key) -> the detail values that have a clause of their own
    (FactKind.KPI_CHANGE, "direction"): ("better", "worse", "unchanged", "no_value"),
    (FactKind.EXPERIMENT, "result"): ("confirmed", "refuted", "inconclusive"),
    (FactKind.EXPERIMENT, "direction"): ("better", "worse", "unchanged"),
    (FactKind.SLA, "state"): ("met", "breached", "no_data", "at_risk"),
    (FactKind.BREACH, "status"): ("open", "acknowledged"),
    (FactKind.KEY_RESULT, "status"): ("on_track", "at_risk", "off_track"),
}
_CLAUSE_GROUP = {FactKind.KPI_CHANGE: "kpi", FactKind.EXPERIMENT: "kpi", FactKind.SLA: "sla", FactKind.BREACH: "breach",
                 FactKind.KEY_RESULT: "kr"}  # fmt: skip
_STATE_GROUP = {**_CLAUSE_GROUP, FactKind.EXPERIMENT: "experiment"}


def _message(language: str, message_id: str, fact_alias: str, *numbers: str) -> str:
    """A clause of the catalog with each number named by the fact's placeholder ({F1.value})."""
    return t(language, message_id, **{key: f"{{{fact_alias}.{key}}}" for key in numbers})


def state_clauses(fact: Fact, fact_alias: str, *, language: str) -> list[str]:
    """What the fact's state says in words ("mejoró", "va en camino"): the clauses a sentence leads with."""
    if fact.detail.get("summary") == "yes":
        return []
    found = []
    for (kind, key), values in _STATES.items():
        value = fact.detail.get(key)
        if kind is fact.kind and value in values:
            group = "kpi" if key == "direction" else _STATE_GROUP[kind]
            found.append(_message(language, f"narrative.clause.{group}.{value}", fact_alias))
    return found


def number_clauses(fact: Fact, fact_alias: str, *, language: str) -> list[str]:
    """Clauses that say the fact's numbers by placeholder, only those it has and only what they show."""
    if fact.detail.get("summary") == "yes":
        return []
    has = {name for name, value in fact.numbers.items() if value is not None}

    def say(message_id: str | None, *needs: str) -> list[str]:  # the clause, if the fact has every number it needs
        return [_message(language, message_id, fact_alias, *needs)] if message_id and has >= set(needs) else []

    if fact.kind in (FactKind.KPI_CHANGE, FactKind.EXPERIMENT):
        if has >= {"previous", "value"} and _written(fact, "previous", language) == _written(fact, "value", language):
            has.discard("previous")  # "pasó de 1,48 % a 1,48 %": a move too small to show is not told as one
        change = fact.numbers.get("percent") or Decimal(0)  # the clause says its magnitude: its sign says which way
        if "percent" in has and not any(ch in "123456789" for ch in _written(fact, "percent", language)):
            change = Decimal(0)  # "subió 0,0 %" neither
        moved = "narrative.clause.kpi.rose" if change > 0 else "narrative.clause.kpi.fell" if change < 0 else None
        target = {"yes": "narrative.clause.kpi.meets_target", "no": "narrative.clause.kpi.misses_target"}
        bottleneck = "narrative.clause.kpi.bottleneck" if fact.detail.get("bottleneck") == "yes" else None
        return [
            *say("narrative.clause.kpi.value", "value"), *say("narrative.clause.kpi.from_to", "previous", "value"),
            *say(moved, "percent"), *say(target.get(fact.detail.get("meets_target", "")), "target"), *say(bottleneck),
        ]  # fmt: skip
    if fact.kind is FactKind.SLA:
        return [*say("narrative.clause.sla.against_target", "value", "target"), *say("narrative.clause.sla.attained", "attained", "evaluated")]
    if fact.kind is FactKind.BREACH:
        return say("narrative.clause.sla.against_target", "value", "target")
    if fact.kind is FactKind.KEY_RESULT:
        return say("narrative.clause.kr.progress", "progress", "expected")
    return []


def _written(fact: Fact, name: str, language: str) -> str:
    """The number as the placeholder will be filled (decimal marks aside, which do not change equality)."""
    return fact_number(fact, name, language=language, country=None)


def true_sentences(fact: Fact, number: int, *, language: str) -> list[str]:
    """Every sentence the grammar lets a model write about the `number`-th fact: its name and
    one clause, or its name, a state clause, "and", and another clause."""
    name = alias(number)
    states = state_clauses(fact, name, language=language)
    clauses = [*states, *number_clauses(fact, name, language=language)]
    joined = t(language, "narrative.clause.and")
    pairs = [f"{first} {joined} {second}" for first in states for second in clauses if second != first]
    return [f"{{{name}}} {clause}." for clause in (*clauses, *pairs)]


def sentences_by_fact(facts: Sequence[Fact], *, language: str) -> dict[str, list[str]]:
    """The true sentences of each fact that has any, by alias, in the facts' order."""
    found = {alias(number): true_sentences(fact, number, language=language) for number, fact in enumerate(facts, start=1)}
    return {name: sentences for name, sentences in found.items() if sentences}


def is_true_sentence(text: str, facts: Sequence[Fact], *, language: str) -> bool:
    """Whether `text` is one of the sentences the clause bank writes for these facts (so true by
    construction, whatever it resembles)."""
    wanted = " ".join(text.split())
    return any(wanted in sentences for sentences in sentences_by_fact(facts, language=language).values())
