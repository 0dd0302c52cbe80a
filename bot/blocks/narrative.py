"""The week's narrative in the agenda's thread: labelled as AI-generated with the model's name
(or as the automatic summary), its sentences and hypotheses. The narrators already checked every
number against our facts and escaped the text for Slack; nothing here adds to it."""

from __future__ import annotations

from bot.blocks import Block, Reply, context, section
from bot.blocks.kpi import TeamLocale
from domain.kpis import KEY_PATTERN
from domain.narrative import Hypothesis, Narrative, Source
from services.i18n import t


def _metric(metric: str) -> str:
    return f"`{metric}`" if KEY_PATTERN.fullmatch(metric) else metric


def _hypothesis(number: int, hypothesis: Hypothesis, language: str) -> str:
    return t(language, "narrative.ui.hypothesis", number=number, text=hypothesis.text, experiment=hypothesis.experiment,
             metric=_metric(hypothesis.metric))  # fmt: skip


def narrative_reply(narrative: Narrative, where: TeamLocale) -> Reply:
    language = where.language
    if narrative.source is Source.LLM:
        title = t(language, "narrative.ui.title_llm", model=narrative.model or "?")
    else:
        title = t(language, "narrative.ui.title_offline")
    blocks: list[Block] = [section(f"*{title}*")]
    if narrative.summary:
        blocks.append(section(" ".join(narrative.summary)))
    for number, hypothesis in enumerate(narrative.hypotheses, start=1):
        blocks.append(section(_hypothesis(number, hypothesis, language)))
    notes = [t(language, "narrative.ui.people_decide")]
    if narrative.source is Source.OFFLINE and narrative.fallback_reason:
        notes.append(t(language, "narrative.ui.fallback"))
    blocks.append(context(" ".join(notes)))
    return Reply(title, blocks)
