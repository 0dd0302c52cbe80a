"""The facts' fingerprint a stored narrative is keyed by: the same facts give the same digest,
any figure, id, label or detail that changes gives another."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from domain.narrative import Fact, FactKind, facts_digest

SALES = Fact("kpi.sales_cop.2026-W11", FactKind.KPI_CHANGE, "Ventas", {"value": Decimal("45000000"), "previous": Decimal("40000000")}, "COP",
             {"direction": "better"})  # fmt: skip
HOURS = Fact("sla.SLA1.2026-W11", FactKind.SLA, "SLA1 · seguimiento", {"value": Decimal("30"), "target": Decimal("24")}, "h", {"state": "breached"})


def test_the_same_facts_give_the_same_digest_whatever_the_mapping_order():
    reordered = replace(SALES, numbers={"previous": Decimal("40000000"), "value": Decimal("45000000")})
    assert facts_digest([SALES, HOURS]) == facts_digest([reordered, HOURS])
    assert len(facts_digest([SALES])) == 64


@pytest.mark.parametrize("changed", [
    replace(SALES, numbers={**SALES.numbers, "value": Decimal("45000001")}),
    replace(SALES, id="kpi.sales_cop.2026-W12"),
    replace(SALES, subject="Sales"),
    replace(SALES, unit="USD"),
    replace(SALES, detail={"direction": "worse"}),
])  # fmt: skip
def test_any_change_in_a_fact_changes_the_digest(changed):
    assert facts_digest([changed, HOURS]) != facts_digest([SALES, HOURS])


def test_order_of_the_facts_matters_and_no_facts_is_a_digest_too():
    assert facts_digest([SALES, HOURS]) != facts_digest([HOURS, SALES])  # the narrator reads them in order
    assert facts_digest([]) != facts_digest([SALES])
