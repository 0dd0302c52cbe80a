"""Starter SLA commitments: the promises marketing and sales usually make each other.

Pure data. Each template is one commitment on a starter KPI (`domain.kpis.STARTER_TEMPLATES`)
and knows how to write itself as the one-line `/alinea sla new` text in the team's words, so
what we show is exactly what `domain.sla.parse_commitment` reads back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.glossary import Side
from domain.number_format import format_quantity
from domain.number_style import HOURS, NBSP, PERCENT
from domain.sla import Comparator, Commitment

__all__ = ["SLA_TEMPLATES", "SlaTemplate", "sla_template"]

MILLION = Decimal(1_000_000)
# The words `parse_commitment` reads, in each language the team may use.
_SIDE_WORDS = {"es": {Side.MARKETING: "mercadeo", Side.SALES: "ventas"}, "en": {Side.MARKETING: "marketing", Side.SALES: "sales"}}
_PERIOD_WORDS = {"es": {"week": "semanal", "month": "mensual"}, "en": {"week": "weekly", "month": "monthly"}}
_MILLIONS = {"es": "millones", "en": "million"}


@dataclass(frozen=True)
class SlaTemplate:
    """`id` names the template (its title is the catalog's `sla.ui.template.<id>`); `unit` is how
    the target is written: None (a count or a ratio), "%", "h" or a currency code."""

    id: str
    side: Side
    kpi_key: str
    comparator: Comparator
    target: Decimal
    unit: str | None
    period_kind: str

    def commitment(self) -> Commitment:
        return Commitment(
            side=self.side, kpi_key=self.kpi_key, comparator=self.comparator, target=self.target,
            period_kind=self.period_kind, target_unit=self.unit,
        )

    def target_text(self, *, language: str, country: str | None) -> str:
        """The target as the team types it: "120", "3 %", "24 h", "45 millones COP", "250.000 COP"."""
        words = _language(language)
        if self.unit in (PERCENT, HOURS):  # a plain space: easier to copy and edit than a non-breaking one
            return format_quantity(self.target, self.unit, language=language, country=country).replace(NBSP, " ")
        if self.unit is None:
            return format_quantity(self.target, None, language=language, country=country)
        if self.target >= MILLION and self.target % MILLION == 0:
            millions = format_quantity(self.target / MILLION, None, language=language, country=country)
            return f"{millions} {_MILLIONS[words]} {self.unit}"
        return f"{format_quantity(self.target, None, language=language, country=country)} {self.unit}"

    def one_line(self, *, language: str, country: str | None) -> str:
        """What follows `/alinea sla new|nuevo`: "ventas followup_hours <= 24 semanal"."""
        words = _language(language)
        return " ".join((
            _SIDE_WORDS[words][self.side], self.kpi_key, self.comparator.value,
            self.target_text(language=language, country=country), _PERIOD_WORDS[words][self.period_kind],
        ))


def _language(language: str) -> str:
    return "en" if (language or "").lower().startswith("en") else "es"


_MKT, _SALES = Side.MARKETING, Side.SALES
_AT_LEAST, _AT_MOST = Comparator.AT_LEAST, Comparator.AT_MOST

SLA_TEMPLATES: tuple[SlaTemplate, ...] = (
    # Marketing promises sales volume and quality of what it hands over.
    SlaTemplate("leads_delivered", _MKT, "leads_mql", _AT_LEAST, Decimal(120), None, "week"),
    SlaTemplate("marketing_revenue", _MKT, "revenue_marketing", _AT_LEAST, Decimal(45_000_000), "COP", "month"),
    SlaTemplate("average_deal", _MKT, "avg_deal", _AT_LEAST, Decimal(250_000), "COP", "month"),
    SlaTemplate("marketing_conversion", _MKT, "lead_to_customer", _AT_LEAST, Decimal(3), PERCENT, "month"),
    # Sales promises to work those leads fast and often enough to convert them.
    SlaTemplate("followup_speed", _SALES, "followup_hours", _AT_MOST, Decimal(24), HOURS, "week"),
    SlaTemplate("contact_attempts", _SALES, "contact_attempts", _AT_LEAST, Decimal(3), None, "week"),
    SlaTemplate("sales_conversion", _SALES, "lead_to_customer", _AT_LEAST, Decimal(3), PERCENT, "month"),
)

_BY_ID = {template.id: template for template in SLA_TEMPLATES}


def sla_template(template_id: str) -> SlaTemplate | None:
    return _BY_ID.get(template_id)
