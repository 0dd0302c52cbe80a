"""The OKRs in an agenda's words: each active objective with its key results (progress bar,
progress against expected, status, a broken guardrail), the one-line summary for the parent, and
where each objective's monthly review prompt stands (`ReviewState`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.blocks import Block, context, escape_mrkdwn, section, truncate
from bot.blocks.agenda_pieces import packed_sections
from domain.locales import TeamLocale
from bot.blocks.okr import kr_heading, objective_heading, progress_bar, status_text, warning_lines
from domain.number_format import format_quantity
from domain.okr import Status
from domain.sla import Comparator
from services.agenda_charts import share_text
from services.i18n import t
from services.okr import Board, KeyResultView, ObjectiveView

_COMPARATOR = {Comparator.AT_LEAST: "≥", Comparator.AT_MOST: "≤"}


@dataclass(frozen=True)
class ReviewState:
    """Where an objective's review prompt stands, for the monthly agenda's OKR part:
    "asking" (this agenda claimed it: posted in the channel with it), "pending" (claimed by the
    okr-review job, being posted), "asked" (posted already; `link` to it when Slack gave one),
    "later" (a preview: not asked yet)."""

    kind: str
    link: str | None = None


def _guardrail_line(kr: KeyResultView, where: TeamLocale) -> str | None:
    guardrail = kr.result.guardrail
    if guardrail is None or not kr.guardrail_broken:
        return None
    limit = format_quantity(guardrail.value, guardrail.unit, language=where.language, country=where.country)
    current = format_quantity(kr.guardrail_value, guardrail.unit, language=where.language, country=where.country) if kr.guardrail_value is not None else "?"
    return t(where.language, "agenda.ui.okr.guardrail", metric=escape_mrkdwn(guardrail.metric), comparator=_COMPARATOR[guardrail.comparator],
             value=limit, current=current)  # fmt: skip


def kr_text(kr: KeyResultView, where: TeamLocale) -> str:
    """"• *KR3* · metric" then "▰▰▰▱▱▱▱▱▱▱ 30 % · esperado 45 % · 🟡 En riesgo" (the chart's numbers)."""
    language, country = where.language, where.country
    progress = t(language, "agenda.ui.okr.kr", bar=progress_bar(kr.progress), progress=share_text(kr.progress, language=language, country=country),
                 expected=share_text(kr.expected, language=language, country=country), status=status_text(kr.status, language))  # fmt: skip
    lines = [f"• {kr_heading(kr, language)}", f"   {progress}"]
    guardrail = _guardrail_line(kr, where)
    if guardrail:
        lines.append(f"   {guardrail}")
    return "\n".join(lines)


def okr_summary(board: Board, where: TeamLocale) -> str:
    language = where.language
    active = [objective for objective in board.objectives if objective.active]
    if not active:
        return t(language, "agenda.ui.okr.summary.none")
    results = [kr for objective in active for kr in objective.key_results]
    count = {status: sum(kr.status is status for kr in results) for status in Status}
    return t(language, "agenda.ui.okr.summary", objectives=len(active), on_track=count[Status.ON_TRACK],
             at_risk=count[Status.AT_RISK], off_track=count[Status.OFF_TRACK])  # fmt: skip


def okr_blocks(board: Board, where: TeamLocale) -> list[Block]:
    language = where.language
    active = [objective for objective in board.objectives if objective.active]
    if not active:
        return [section(t(language, "agenda.ui.okr.none"))]
    blocks: list[Block] = []
    for objective in active:
        lines = [objective_heading(objective, where)]
        if not objective.key_results:
            lines.append(t(language, "agenda.ui.okr.no_krs", objective=objective.label))
        lines += [kr_text(kr, where) for kr in objective.key_results]
        blocks += packed_sections(lines)
    if board.warnings:
        blocks.append(context(truncate(warning_lines(board.warnings, language), 2000)))
    return blocks


def review_line(objective: ObjectiveView, state: ReviewState | None, where: TeamLocale) -> str:
    language = where.language
    kind = state.kind if state is not None else "later"
    params = {"objective": objective.label, "title": escape_mrkdwn(truncate(objective.title, 150))}
    if kind == "asked" and state is not None and state.link:
        return t(language, "agenda.ui.review.asked_link", link=state.link, **params)
    return t(language, f"agenda.ui.review.{kind}", **params)
