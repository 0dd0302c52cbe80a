"""Week-over-week changes: percent, direction, targets, ranking and the bottleneck."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from domain.deltas import Stage, bottleneck, change_of, largest_first
from domain.kpis import Direction, Unit
from domain.periods import Period



def weeks(*values):
    """(period, value) for consecutive weeks ending with ISO week 2026-W12."""
    last = Period.week_of(date(2026, 3, 16))
    periods = [last]
    while len(periods) < len(values):
        periods.insert(0, periods[0].previous())
    return [(p, None if v is None else D(str(v))) for p, v in zip(periods, values)]


@pytest.mark.parametrize(
    "values, direction, target, difference, percent, improved, meets, matters",
    [
        ((100, 120), "higher", None, D(20), D(20), True, None, True),
        ((100, 102), "higher", None, D(2), D(2), True, None, False),  # under 5 %: not worth the minutes
        ((100, 102), "higher", D(110), D(2), D(2), True, False, True),  # … unless it misses its target
        ((78, 70), "lower", D(72), D(-8), D("-10.25641025641025641025641025641025641026"), True, True, True),
        ((0, 5), "higher", None, D(5), None, True, None, True),  # no percent from zero, but it moved
        ((None, 5), "higher", D(10), None, None, None, False, True),  # misses its target: matters without a week before
        ((5, None), "higher", D(10), None, None, None, None, False),  # nothing logged: said apart, never "did not move"
        ((None, 5), "higher", None, None, None, None, None, False),
        ((5,), "higher", None, None, None, None, None, False),
        ((5, 5), "higher", None, D(0), D(0), None, None, False),
    ],
)
def test_change(values, direction, target, difference, percent, improved, meets, matters):
    change = change_of("k", Unit.COUNT, direction, weeks(*values), target=target)
    assert change.difference == difference
    assert change.percent == percent
    assert change.improved is improved
    assert change.meets_target is meets
    assert change.matters is matters


def test_the_fact_id_is_stable_and_the_trend_keeps_the_last_four():
    change = change_of("conversion_web", "percent", "higher", weeks(1, 1.1, None, 1.3, 1.5))
    assert change.fact_id == "kpi.conversion_web.2026-W12"
    assert change.trend == (D("1.1"), None, D("1.3"), D("1.5"))
    assert change.previous == D("1.3")


def test_largest_first_ranks_by_relative_move_and_drops_small_ones():
    changes = [
        change_of("sessions", "count", "higher", weeks(1000, 1100)),  # +10 %
        change_of("orders", "count", "higher", weeks(50, 40)),  # −20 %
        change_of("cac", "currency", "lower", weeks(100, 101)),  # +1 %: dropped
        change_of("roas", "ratio", "higher", weeks(None, 3)),  # nothing to compare: dropped
        change_of("refunds", "count", "lower", weeks(0, 2)),  # from zero: no percent, the largest move
        change_of("leads", "count", "higher", weeks(None, 3), target=D(5)),  # below its target: kept
    ]
    assert [c.kpi_key for c in largest_first(changes)] == ["refunds", "orders", "sessions", "leads"]
    assert [c.kpi_key for c in largest_first(changes, only_mattering=False)] == ["refunds", "orders", "sessions", "cac", "leads"]


def test_the_bottleneck_is_the_stage_furthest_behind_its_target():
    changes = [
        change_of("sessions", "count", "higher", weeks(1000, 900), target=D(1000)),  # 10 % short
        change_of("conversion_web", "percent", "higher", weeks(1.2, 1.2), target=D(1.6)),  # 25 % short
        change_of("avg_deal", "currency", "higher", weeks(90, 95), target=D(80)),  # met
    ]
    assert bottleneck(changes).kpi_key == "conversion_web"


def test_without_targets_the_bottleneck_is_what_worsened_most():
    changes = [
        change_of("sessions", "count", "higher", weeks(1000, 900)),  # −10 %
        change_of("cart_abandonment", "percent", "lower", weeks(70, 77)),  # +10 %, worse; ties broken by key
        change_of("repurchase_60d", "percent", "higher", weeks(20, 15)),  # −25 %
        change_of("orders", "count", "higher", weeks(100, 10)),  # not a stage KPI
    ]
    assert bottleneck(changes).kpi_key == "repurchase_60d"
    assert bottleneck(changes, {"orders": Stage.CONVERSION}).kpi_key == "orders"


def test_no_bottleneck_when_all_is_well():
    assert bottleneck([change_of("sessions", "count", "higher", weeks(1000, 1100))]) is None
    assert bottleneck([]) is None
