"""The week's narrative: labelled as AI-generated with the model's name (or as the automatic
summary), its sentences and hypotheses, and under each stored hypothesis the people-decide
buttons (Adopt as this week's experiment, Not useful). The narrators already checked every
number against our facts and escaped the text for Slack; nothing here adds to it."""

from __future__ import annotations

from typing import Sequence

from bot.blocks import Block, Reply, context, kit, mention, section
from domain.locales import TeamLocale
from domain.kpis import KEY_PATTERN
from domain.narrative import Hypothesis, Narrative, Source
from services.i18n import t
from services.insights import Insight, StoredHypothesis

ADOPT = "insights-adopt"
NOT_USEFUL = "insights-not-useful"
# Why the automatic summary speaks, in the team's words; any other failure is the server's.
_FALLBACK_NOTES = {
    "timeout": "narrative.ui.fallback.timeout",
    "malformed": "narrative.ui.fallback.unreadable",
    "refused": "narrative.ui.fallback.unreadable",
    "ungrounded": "narrative.ui.fallback.ungrounded",
    "unsupported": "narrative.ui.fallback.unsupported",
    "budget": "narrative.ui.fallback.budget",
}


def fallback_note(reason: str) -> str:
    """The message id that says why the model's summary is not there."""
    return _FALLBACK_NOTES.get(reason, "narrative.ui.fallback.server")


def _metric(metric: str) -> str:
    return f"`{metric}`" if KEY_PATTERN.fullmatch(metric) else metric


def _hypothesis(number: int, hypothesis: Hypothesis, language: str) -> str:
    return t(language, "narrative.ui.hypothesis", number=number, text=hypothesis.text, experiment=hypothesis.experiment,
             metric=_metric(hypothesis.metric))  # fmt: skip


def narrative_reply(narrative: Narrative, where: TeamLocale, *, stored: Sequence[StoredHypothesis] = (), week: str = "",
                    actionable: bool = False) -> Reply:  # fmt: skip
    """`stored` (with `week`, the meeting's) gives each hypothesis its state and, when
    `actionable`, its buttons; a preview passes neither."""
    language = where.language
    if narrative.source is Source.LLM:
        title = t(language, "narrative.ui.title_llm", model=narrative.model or "?")
    else:
        title = t(language, "narrative.ui.title_offline")
    blocks: list[Block] = [section(f"*{title}*")]
    if narrative.summary:
        blocks.append(section(" ".join(narrative.summary)))
    states = {entry.number: entry for entry in stored}
    for number, hypothesis in enumerate(narrative.hypotheses, start=1):
        blocks.append(section(_hypothesis(number, hypothesis, language)))
        if number in states:
            blocks.extend(_decision(states[number], week, language, actionable))
    notes = [t(language, "narrative.ui.people_decide")]
    if narrative.source is Source.OFFLINE and narrative.fallback_reason:
        notes.append(t(language, fallback_note(narrative.fallback_reason)))
    blocks.append(context(" ".join(notes)))
    return Reply(title, blocks)


def insight_reply(insight: Insight, where: TeamLocale, *, actionable: bool) -> Reply:
    return narrative_reply(insight.narrative, where, stored=insight.hypotheses, week=insight.week.key, actionable=actionable)


def _decision(entry: StoredHypothesis, week: str, language: str, actionable: bool) -> list[Block]:
    if entry.adopted_by:
        return [context(t(language, "narrative.ui.adopted", who=mention(entry.adopted_by), week=week))]
    blocks: list[Block] = []
    if actionable:
        blocks.append(kit.actions(block_id=f"insights-h{entry.number}", elements=[
            kit.button(text=t(language, "narrative.ui.adopt_button"), action_id=ADOPT, value=str(entry.id), style="primary"),
            kit.button(text=t(language, "narrative.ui.not_useful_button"), action_id=NOT_USEFUL, value=str(entry.id)),
        ]))  # fmt: skip
    if entry.not_useful:
        blocks.append(context(t(language, "narrative.ui.not_useful_count", count=entry.not_useful)))
    return blocks
