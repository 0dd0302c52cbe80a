"""What the model said, read and checked: its answer parsed (JSON or the S:/H: line format) into a
`Draft`, then grounded into what may reach Slack.

What we keep: Alinea writes every number (`services.narrative_placeholders` fills the
placeholders the team's way); a sentence in which the model typed a number itself, or named a
fact that does not exist, is dropped, and `domain.grounding` still checks what is left. A
sentence carrying a link or a Slack mention is dropped, the rest is escaped for Slack.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from functools import cache
from typing import Callable, Mapping, Sequence

from domain import grounding
from domain.kpis import KEY_PATTERN
from domain.narrative import Fact, Hypothesis
from services.llm_client import FENCE, Malformed, language_of
from services.llm_prompt import EXAMPLE_ANSWER, NUMBER_NAMES, grammar_example
from services.narrative_clauses import is_true_sentence
from services.narrative_placeholders import BARE_ALIAS, PLACEHOLDER, TYPED_NUMBER, UNKNOWN_PLACEHOLDER, Placeholders

MAX_SUMMARY_SENTENCES = 5
MAX_HYPOTHESES = 3

# What a model's sentence must never carry to Slack, even escaped.
_LINK = re.compile(r"(?i)\b(?:https?://|www\.|mailto:)|<[!@#]|<[a-z]+:")
_FORMATTING = re.compile(r"[*~`]+")


# Parsing what the model said ------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    summary: tuple[str, ...]
    hypotheses: tuple[Hypothesis, ...]
    unusable: int = 0  # hypotheses that were not even well-formed


def parse_json_answer(content: str) -> Draft:
    fenced = FENCE.match(content)
    text = fenced.group(1) if fenced else content.strip()
    try:
        data = json.loads(text)
    except ValueError as error:
        raise Malformed(f"not JSON: {error}", ignored_format=not text.startswith(("{", "["))) from None
    if not isinstance(data, dict) or not isinstance(data.get("summary"), list):
        raise Malformed("no summary list")
    summary = tuple(text.strip() for text in map(_sentence_text, data["summary"]) if text.strip())
    hypotheses: list[Hypothesis] = []
    unusable = 0
    raw = data.get("hypotheses") or []
    for item in raw if isinstance(raw, list) else []:
        hypothesis = _hypothesis(item)
        if hypothesis is None:
            unusable += 1
        else:
            hypotheses.append(hypothesis)
    return Draft(summary, tuple(hypotheses), unusable)


def _sentence_text(item: object) -> str:
    """A summary sentence: a string, or an object whose "text" is one (the grammar's shape, where
    "fact" says what it is about; the text is checked on its own all the same)."""
    if isinstance(item, Mapping):
        item = item.get("text")
    return item if isinstance(item, str) else ""


def _hypothesis(item: object) -> Hypothesis | None:
    if not isinstance(item, Mapping):
        return None
    text, ids = item.get("text"), item.get("fact_ids")
    experiment, metric = item.get("experiment", ""), item.get("metric", "")
    if not isinstance(text, str) or not text.strip() or not isinstance(ids, list):
        return None
    if not all(isinstance(i, str) for i in ids) or not isinstance(experiment, str) or not isinstance(metric, str):
        return None
    return Hypothesis(text=text.strip(), fact_ids=tuple(i.strip() for i in ids), experiment=experiment.strip(), metric=metric.strip())


_S_LINE = re.compile(r"^\s*[-•*]?\s*S\s*:\s*(?P<text>.+?)\s*$")
_H_LINE = re.compile(
    r"^\s*[-•*]?\s*H\s*:\s*(?P<text>.+?)\s*\[(?P<ids>[^\]]*)\]\s*"
    r"(?:\|\s*E\s*:\s*(?P<experiment>[^|]*?)\s*)?(?:\|\s*M\s*:\s*(?P<metric>.*?)\s*)?$"
)


def parse_text_answer(content: str, *, split: Callable[[str], Sequence[str]]) -> Draft:
    """The S:/H: line format; a server that ignored it still gives sentences (split from the
    text that is not a hypothesis line)."""
    summary: list[str] = []
    hypotheses: list[Hypothesis] = []
    loose: list[str] = []
    unusable = 0
    for line in content.splitlines():
        if s := _S_LINE.match(line):
            summary.append(s.group("text"))
        elif h := _H_LINE.match(line):
            ids = tuple(i.strip() for i in h.group("ids").split(",") if i.strip())
            hypotheses.append(Hypothesis(h.group("text"), ids, h.group("experiment") or "", h.group("metric") or ""))
        elif re.match(r"^\s*H\s*:", line):
            unusable += 1
        elif line.strip():
            loose.append(line.strip())
    if not summary:
        summary = [s.strip() for s in split(" ".join(loose)) if s.strip()]
    if not summary:
        raise Malformed("no sentences")
    return Draft(tuple(summary), tuple(hypotheses), unusable)


def parse_answer(content: str, mode: str) -> Draft:
    """An answer in `mode`'s shape; in plain text, JSON is read too (models that saw JSON in
    other prompts often answer it unasked)."""
    if mode != "text":
        return parse_json_answer(content)
    if content.lstrip().startswith(("{", "```")):
        try:
            return parse_json_answer(content)
        except Malformed:
            pass
    return parse_text_answer(content, split=grounding.split_sentences)


# Grounding ------------------------------------------------------------------------------------


# Reasons a sentence or hypothesis of the model is dropped (counted by `alinea llm check` and
# `make test-llm`): it typed a number itself, a placeholder named no fact, the filled text failed
# the grounding check anyway, a summary sentence named no fact at all ("no_fact": filler, or
# people and events a small model made up), it copied the prompt's worked example ("example":
# true of the example's facts, not of this week's), it was a bare number with no words
# ("fragment"), it repeated a sentence already kept ("repeated"), it carried a link or a mention,
# or a hypothesis was ill-formed or cited a fact that does not exist.
NUMBER_DROPS = (TYPED_NUMBER, UNKNOWN_PLACEHOLDER, "ungrounded")


@dataclass(frozen=True)
class Dropped:
    text: str  # as the model wrote it
    reason: str  # one of the reasons above: TYPED_NUMBER, "no_fact", "example", "repeated"…


@dataclass(frozen=True)
class Grounded:
    summary: tuple[str, ...]  # filled, checked and escaped for Slack
    hypotheses: tuple[Hypothesis, ...]
    dropped: tuple[Dropped, ...]
    typed: int  # numbers the model typed itself, in everything it wrote


def ground(draft: Draft, facts: Sequence[Fact], *, language: str, country: str | None) -> Grounded:
    """Numbers placed by us (`services.narrative_placeholders`), then the grounding check, then
    nothing that could act in Slack; the rest escaped."""
    number_words = {word: name for name, word in NUMBER_NAMES[language_of(language)].items()}
    places = Placeholders(facts, language=language, country=country, names=number_words)
    dropped = [Dropped("", "hypothesis")] * draft.unusable
    sentences = [s for part in draft.summary for s in grounding.split_sentences(part) if s.strip()]
    kept: list[str] = []
    for sentence in sentences:
        text, reason = _checked(places, sentence, facts, language=language, country=country)
        if not reason and text in kept:  # a small model in a grammar may pick the same sentence twice
            reason = "repeated"
        if reason:
            dropped.append(Dropped(sentence, reason))
        else:
            kept.append(text)
    held: list[Hypothesis] = []
    for hypothesis in draft.hypotheses:
        found, reason = _checked_hypothesis(places, hypothesis, facts, language=language, country=country)
        if found is None:
            dropped.append(Dropped(hypothesis.text, reason))
        else:
            held.append(found)
    written = [*sentences, *(text for h in draft.hypotheses for text in (h.text, h.experiment, h.metric))]
    summary = tuple(text for text in (_for_slack(s) for s in kept[:MAX_SUMMARY_SENTENCES]) if text)
    escaped = tuple(
        replace(h, text=_for_slack(h.text), experiment=_for_slack(h.experiment), metric=_metric_for_slack(h.metric))
        for h in held[:MAX_HYPOTHESES]
    )
    return Grounded(summary, escaped, tuple(dropped), sum(places.typed_numbers(text) for text in written))


def _checked(places: Placeholders, text: str, facts: Sequence[Fact], *, language: str, country: str | None) -> tuple[str, str]:
    """(the text with its numbers in, "") or ("", why it is dropped)."""
    if _LINK.search(text):
        return "", "link"
    filled = places.fill(text)
    if filled.text is None:
        return "", filled.reason or UNKNOWN_PLACEHOLDER
    if not grounding.grounded(filled.text, facts, language=language, country=country):
        return "", "ungrounded"
    if not places.names_a_fact(text):
        return "", "no_fact"
    if _copies_the_example(text) and not is_true_sentence(text, facts, language=language):
        return "", "example"
    if not _WORD.search(PLACEHOLDER.sub(" ", BARE_ALIAS.sub(" ", text))):
        return "", "fragment"
    return filled.text, ""


# A sentence copied from the prompt's worked example says what the example's facts did, not this
# week's: "Las ventas bajaron a {F1.value}" when this week's F1 rose, "La conversión web mejoró a
# {F2.value}" when F2 is another KPI (SmolLM2-135M did both). Its numbers are real, its words false.
# Compared with every placeholder masked: the example's words around other placeholders are as false.
def _shape(text: str) -> str:
    return " ".join(PLACEHOLDER.sub("{}", BARE_ALIAS.sub("{}", text)).casefold().split()).rstrip(".")


@cache
def _example_sentences() -> frozenset[str]:
    """The example's sentences in every shape a prompt shows them (on first use: the grammar's
    come from the catalogs)."""
    written = [text for answer in EXAMPLE_ANSWER.values()
               for text in (*answer["summary"], *(h[key] for h in answer["hypotheses"] for key in ("text", "experiment")))]  # fmt: skip
    written += [item["text"] for language in EXAMPLE_ANSWER for item in grammar_example(language)]
    return frozenset(map(_shape, written))


_WORD = re.compile(r"[^\W\d_]{3,}")  # a word of three letters or more: a sentence, not a bare number


def _copies_the_example(text: str) -> bool:
    return _shape(text) in _example_sentences()


# A hypothesis nearly the example's is the example's: at a low temperature SmolLM2-135M wrote "La
# mejora de la conversión web aún no compensa la caída de las ventas" for the example's "La mejor
# conversión web…" in a week web conversion fell, and the example's experiment word for word. (A
# summary sentence is held to the exact copy: one like the example may well be true, and a
# grammar's sentence is checked against the facts instead.)
NEAR_COPY = 0.8


def _nearly_the_example(text: str) -> bool:
    shape = _shape(text)
    return any(SequenceMatcher(None, shape, example).ratio() >= NEAR_COPY for example in _example_sentences())


def _checked_hypothesis(places: Placeholders, hypothesis: Hypothesis, facts: Sequence[Fact], *, language: str,
                        country: str | None) -> tuple[Hypothesis | None, str]:  # fmt: skip
    if any(_LINK.search(text) for text in (hypothesis.text, hypothesis.experiment, hypothesis.metric)):
        return None, "link"
    if _nearly_the_example(hypothesis.text) or _nearly_the_example(hypothesis.experiment):
        return None, "example"
    texts = []
    for text in (hypothesis.text, hypothesis.experiment):
        filled = places.fill(text)
        if filled.text is None:
            return None, filled.reason or UNKNOWN_PLACEHOLDER
        texts.append(filled.text)
    metric = places.metric(hypothesis.metric)
    if metric.text is None:
        return None, metric.reason or UNKNOWN_PLACEHOLDER
    found = Hypothesis(texts[0], places.fact_ids(hypothesis.fact_ids), texts[1], metric.text)
    held, _ = grounding.check_hypotheses([found], facts, language=language, country=country)
    return (found, "") if held else (None, "hypothesis")


def _for_slack(text: str) -> str:
    # Markdown emphasis a model adds out of habit goes; grounding.escape_for_slack does the rest.
    return grounding.escape_for_slack(_FORMATTING.sub("", text))


def _metric_for_slack(metric: str) -> str:
    """A KPI key ("conversion_web") stays as typed, so a hypothesis can be adopted as the week's
    experiment; anything else is text like the rest."""
    return metric if KEY_PATTERN.fullmatch(metric) else _for_slack(metric)

