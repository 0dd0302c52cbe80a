"""`alinea llm check`: what a model server does with Alinea's week in brief, before a team
depends on it. The configured server is asked once in each response format (JSON schema, JSON
mode, plain text), without negotiating, on a sample week (no team's data: nothing of anyone's
leaves), and each answer is put through the same checks as a real narration: placeholders
filled, typed numbers and unknown placeholders dropped, the grounding check, links and mentions.

The report says per format whether it worked, how long it took, the sentences kept (as a team
would read them) and each sentence dropped with the reason; and the first format that worked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Sequence

from domain.narrative import Fact, FactKind, Source
from services.llm_answer import Dropped
from services.llm_client import TIERS
from services.llm_narrator import LlmNarrator

_SUBJECTS = {
    "es": ("Ventas", "Tasa de conversión web", "SLA1 · Tiempo de seguimiento a leads", "KR2 · Recompra a 60 días"),
    "en": ("Sales", "Web conversion rate", "SLA1 · Lead follow-up time", "KR2 · Repurchase within 60 days"),
}


def sample_facts(language: str) -> tuple[Fact, ...]:
    """A plausible week of a marketing and sales team: sales down and short of target,
    conversion down, a follow-up commitment breached, a key result at risk."""
    sales, conversion, sla, kr = _SUBJECTS["en" if language.startswith("en") else "es"]
    return (
        Fact("kpi.sales_cop.2026-W11", FactKind.KPI_CHANGE, sales,
             {"value": Decimal("41440000"), "previous": Decimal("45000000"), "difference": Decimal("-3560000"),
              "percent": Decimal("-7.911111"), "target": Decimal("45000000"), "to_target": Decimal("3560000")}, "COP",
             {"kpi": "sales_cop", "role": "primary", "direction": "worse", "meets_target": "no"}),
        Fact("kpi.conversion_web.2026-W11", FactKind.KPI_CHANGE, conversion,
             {"value": Decimal("1.24"), "previous": Decimal("1.31"), "difference": Decimal("-0.07"), "percent": Decimal("-5.343511")},
             "%", {"kpi": "conversion_web", "direction": "worse", "matters": "yes"}),
        Fact("sla.SLA1.2026-W11", FactKind.SLA, sla, {"value": Decimal("31.5"), "target": Decimal("24"), "gap": Decimal("7.5")}, "h",
             {"state": "breached", "kpi": "lead_follow_up_hours"}),
        Fact("kr.KR2", FactKind.KEY_RESULT, kr, {"progress": Decimal("25"), "expected": Decimal("40")}, "%",
             {"status": "at_risk", "kpi": "repurchase_60d"}),
    )  # fmt: skip


@dataclass(frozen=True)
class ModeReport:
    mode: str
    worked: bool  # the model's summary would have been shown
    seconds: float
    reason: str | None  # why not, when it did not work ("format_refused", "timeout", "ungrounded"…)
    kept: tuple[str, ...]  # the summary as a team would read it (escaped for Slack)
    hypotheses: int
    dropped: tuple[Dropped, ...]
    typed: int  # numbers the model typed itself


class UnlimitedBudget:
    """A check is the operator's own call: it is charged to no workspace's token budget."""

    def remaining(self, *, workspace_id: int, now: datetime) -> int:
        return 10**12

    def record(self, *, workspace_id: int, tokens: int, now: datetime) -> None:
        return None


def check(narrator: LlmNarrator, *, language: str, country: str | None) -> list[ModeReport]:
    facts = sample_facts(language)
    reports = []
    for mode in TIERS:
        attempt = narrator.attempt(facts, language=language, country=country, mode=mode)
        grounded = attempt.grounded
        worked = attempt.narrative.source is Source.LLM
        reports.append(ModeReport(
            mode, worked, attempt.seconds, attempt.narrative.fallback_reason,
            grounded.summary if grounded else (), len(grounded.hypotheses) if grounded else 0,
            grounded.dropped if grounded else (), grounded.typed if grounded else 0,
        ))  # fmt: skip
    return reports


def report_lines(reports: Sequence[ModeReport], *, server: str, model: str) -> list[str]:
    lines = [f"LLM server {server}, model {model}: one request in each format, on a sample week"]
    for report in reports:
        verdict = "worked" if report.worked else f"did not work ({report.reason})"
        lines.append(f"{report.mode}: {verdict} in {report.seconds:.2f} s")
        lines += [f"  kept: {sentence}" for sentence in report.kept]
        lines += [f"  dropped ({dropped.reason}): {dropped.text}" for dropped in report.dropped if dropped.text]
        unreadable = sum(1 for dropped in report.dropped if not dropped.text)
        if unreadable:
            lines.append(f"  dropped ({unreadable} ill-formed hypotheses)")
        if report.kept or report.dropped:
            lines.append(f"  hypotheses kept: {report.hypotheses}; numbers the model typed itself: {report.typed}")
    working = next((report.mode for report in reports if report.worked), None)
    if working:
        lines.append(f"first format that worked here: {working} (narrations step down to it on their own)")
    else:
        lines.append("no format worked: every narration on this server falls back to the automatic summary")
    return lines
