"""The CSAT key result of an objective proposed from a customer-feedback theme, as the new
objective form shows it below the theme's complaints one (`SecondKeyResult`): filled in from the
team's CSAT, or, without any, what to do to have one (never an invented number)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.blocks.okr import KeyResultPrefill, SecondKeyResult
from domain.feedback_okr import typed_milestones
from domain.number_format import display_quantity
from domain.number_style import PERCENT
from domain.periods import format_period
from services.feedback_kpis import CSAT
from services.feedback_okr import CsatProposal
from services.i18n import t


def csat_key_result(proposal: CsatProposal | None, *, language: str, country: str | None, today: date, deadline: date) -> SecondKeyResult:
    """The CSAT key result from today to the complaints one's deadline, with where its numbers
    come from and its milestones; none (and why) without CSAT or with CSAT already at 100 %."""
    if proposal is None:
        return SecondKeyResult(t(language, "feedback_okr.no_csat"), None)

    def percent(value: Decimal) -> str:  # as the team writes it, and as the form reads it back
        return display_quantity(value, PERCENT, language=language, country=country)

    month = format_period(proposal.month, language)
    if proposal.target is None:
        return SecondKeyResult(t(language, "feedback_okr.csat_full", baseline=percent(proposal.baseline), month=month), None)
    baseline, target = percent(proposal.baseline), percent(proposal.target)
    intro = t(language, "feedback_okr.csat_intro", baseline=baseline, target=target, month=month)
    milestones = typed_milestones(proposal.baseline, proposal.target, start=today, deadline=deadline, unit=PERCENT, language=language,
                                  country=country)
    return SecondKeyResult(intro, KeyResultPrefill(CSAT, baseline, target, deadline, milestones), label=t(language, "feedback_okr.form.keep_label"))
