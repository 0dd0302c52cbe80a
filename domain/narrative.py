"""What a narrator receives and returns: facts with stable ids, and a short narrative
whose every number is one of those facts'.

The facts are computed by our code (`services.narrative_facts` from the agenda's facts); a
narrator only puts them into words and proposes hypotheses that cite them. Two narrators share
this interface: the offline one (templates, the default) and the LLM one (any OpenAI-compatible
server). Facts name KPIs, glossary terms, commitments (SLA1) and key results (KR3), never a
person: nothing here may carry a name, a Slack id or an email.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Mapping, Protocol, Sequence


class FactKind(str, Enum):
    KPI_CHANGE = "kpi_change"  # a KPI this period against the last (value, previous, difference, percent, target)
    SLA = "sla"  # a commitment's last period (value, target) and state
    BREACH = "breach"  # an open breach (value, target, gap) and its reason code once acknowledged
    EXPERIMENT = "experiment"  # last week's experiment: its result and its metric's move
    KEY_RESULT = "key_result"  # a KR's progress and expected progress (percent), status
    WHAT_IF = "what_if"  # funnel arithmetic on the week: what more conversion would have sold (points, worth…)


@dataclass(frozen=True)
class Fact:
    id: str  # stable: "kpi.sales_cop.2026-W11", "sla.SLA1.2026-W11", "breach.B1", "experiment.2026-W11", "kr.KR3"
    kind: FactKind
    subject: str  # what it is about, in the team's language: a KPI's name, "SLA1 · …", "KR3 · …"
    numbers: Mapping[str, Decimal] = field(default_factory=dict)  # value, previous, difference, percent, target…
    unit: str | None = None  # "%", "h", a currency code, or None for counts
    detail: Mapping[str, str] = field(default_factory=dict)  # direction, state, reason code, result…


@dataclass(frozen=True)
class Hypothesis:
    text: str
    fact_ids: tuple[str, ...]  # the facts it rests on (each must exist)
    experiment: str  # what to try this week
    metric: str  # the metric that would confirm it (a KPI key or name)


class Source(str, Enum):
    OFFLINE = "offline"
    LLM = "llm"


@dataclass(frozen=True)
class Narrative:
    summary: tuple[str, ...]  # sentences, already checked and escaped for Slack
    hypotheses: tuple[Hypothesis, ...]
    source: Source
    model: str | None = None  # the LLM's model name, shown with the AI label
    dropped: int = 0  # sentences or hypotheses the grounding check removed
    fallback_reason: str | None = None  # why the offline narrator spoke instead (timeout, budget, malformed…)


class Narrator(Protocol):
    source: Source  # what it speaks as when all goes well (the LLM one may still fall back)

    def narrate(self, facts: Sequence[Fact], *, language: str, country: str | None) -> Narrative: ...


def facts_digest(facts: Sequence[Fact]) -> str:
    """A stable fingerprint of what a narrator is given: the same facts give the same digest in
    any process, so a narrative can be stored once and reused until a figure changes."""
    canonical = [
        [fact.id, fact.kind.value, fact.subject, sorted((k, str(v)) for k, v in fact.numbers.items()), fact.unit,
         sorted(fact.detail.items())]
        for fact in facts
    ]  # fmt: skip
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
