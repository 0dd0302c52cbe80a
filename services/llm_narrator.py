"""The LLM narrator: the week's facts put into words by any OpenAI-compatible server, through
`services.llm_client.NegotiatedClient` (formats, deadline, retry, budget).

The prompt is `services.llm_prompt`'s; the answer is parsed and grounded by
`services.llm_answer`. Fewer than two summary sentences left, or any failure (timeout, server
error, malformed output, exhausted budget, no connection), and the offline narrator speaks
instead, with `fallback_reason` saying why (for too few sentences: "ungrounded" when numbers
were dropped, "unsupported" when sentences were dropped for what they said). `narrate` never raises.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Sequence

import openai

from domain.narrative import Fact, Narrative, Narrator, Source
from services.llm_answer import NUMBER_DROPS, Grounded, ground, parse_answer
from services.llm_client import ModelFallback, NegotiatedClient, Trace
from services.llm_prompt import build_prompt, prompt_for, response_format

log = logging.getLogger(__name__)

PLACEHOLDER_API_KEY = "not-needed"  # Ollama, vLLM, llama.cpp and LM Studio need no key
OPENAI_BASE_URL = "https://api.openai.com/v1"
MIN_SUMMARY_SENTENCES = 2
GRAMMAR_TEMPERATURE = 0.2


@dataclass
class _NarrationTrace(Trace):
    """What a narration went through, for `Attempt`: the ask's trace and what grounding kept."""

    grounded: Grounded | None = None


@dataclass(frozen=True)
class Attempt:
    """One narration as `alinea llm check` and `make test-llm` report it."""

    narrative: Narrative  # the model's, or the offline one with its fallback_reason
    mode: str | None  # the format of the last answer read ("json_schema", "json_object", "text")
    seconds: float
    grounded: Grounded | None  # what the checks kept and dropped, when an answer was parsed
    content: str  # the model's last answer, as it came


def _why_too_little(grounded: Grounded) -> str:
    """Why too little of the model's summary was left, as the team's note says it: numbers not in
    the data ("ungrounded"), sentences dropped for what they said (about no fact, a copy of the
    example, a repeat: "unsupported"), or an answer too short to begin with ("malformed")."""
    reasons = {dropped.reason for dropped in grounded.dropped}
    if reasons & set(NUMBER_DROPS):
        return "ungrounded"
    return "unsupported" if reasons - {"hypothesis"} else "malformed"


class LlmNarrator(NegotiatedClient):
    """A `Narrator` backed by an OpenAI-compatible server; falls back to `fallback`."""

    source = Source.LLM
    # Where the grammar binds the model (llama.cpp's servers, the tier a server reaches only by
    # refusing structured output): a low temperature keeps a small model on its likeliest
    # choice among the true sentences, and its hypothesis on words rather than noise.
    temperatures = {"json_object_schema": GRAMMAR_TEMPERATURE}

    def __init__(self, client: openai.OpenAI, *, fallback: Narrator, **options: Any) -> None:
        super().__init__(client, **options)
        self._fallback = fallback

    def narrate(self, facts: Sequence[Fact], *, language: str, country: str | None) -> Narrative:
        return self.attempt(facts, language=language, country=country).narrative

    def attempt(self, facts: Sequence[Fact], *, language: str, country: str | None, mode: str | None = None) -> Attempt:
        """A narration and what happened on the way (`alinea llm check`, `make test-llm`).
        `mode` asks in that format only, without negotiating or remembering anything."""
        started = time.monotonic()
        trace = _NarrationTrace()
        try:
            narrative = self._narrate(facts, language=language, country=country, deadline=started + self.timeout_s, trace=trace, only=mode)
            return Attempt(narrative, trace.mode, time.monotonic() - started, trace.grounded, trace.content)
        except ModelFallback as fallback:
            reason = fallback.reason
        except Exception:  # a bug here must not cost the team its agenda
            log.exception("LLM narrator failed; the offline narrator speaks instead")
            reason = "error"
        seconds = time.monotonic() - started
        log.warning("LLM narrator fell back (%s) after %.2f s", reason, seconds)
        narrative = self._offline(facts, language=language, country=country, reason=reason)
        return Attempt(narrative, trace.mode, seconds, trace.grounded, trace.content)

    # Steps ----------------------------------------------------------------------------------

    def _narrate(self, facts: Sequence[Fact], *, language: str, country: str | None, deadline: float, trace: _NarrationTrace,
                 only: str | None) -> Narrative:  # fmt: skip
        if not facts:
            raise ModelFallback("no_facts")
        self._check_budget(build_prompt(facts, language=language, country=country))
        build = partial(prompt_for, facts, language=language, country=country)
        formats = partial(response_format, facts=facts, language=language)
        draft = self._ask(build, parse_answer, formats, deadline=deadline, trace=trace, only=only)
        trace.grounded = grounded = ground(draft, facts, language=language, country=country)
        if len(grounded.summary) < MIN_SUMMARY_SENTENCES:
            raise ModelFallback(_why_too_little(grounded))
        return Narrative(
            summary=grounded.summary, hypotheses=grounded.hypotheses, source=Source.LLM, model=self.model,
            dropped=len(grounded.dropped),
        )  # fmt: skip

    def _offline(self, facts: Sequence[Fact], *, language: str, country: str | None, reason: str) -> Narrative:
        try:
            narrative = self._fallback.narrate(facts, language=language, country=country)
        except Exception:
            log.exception("the offline narrator failed too")
            return Narrative(summary=(), hypotheses=(), source=Source.OFFLINE, fallback_reason=reason)
        return replace(narrative, fallback_reason=reason)
