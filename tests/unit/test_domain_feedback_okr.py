"""The CSAT target proposed with an objective from a feedback theme: half of what CSAT lacks to
100 %, capped by the SMART check's stretch pace so the proposal never fails the check that
judges it, one decimal, rounded towards the baseline; and the advised milestones typed the way
the form's field reads them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.feedback_okr import csat_target, typed_milestones
from domain.number_style import PERCENT
from domain.smart_goal import History, Verdict, judge_pace

UNKNOWN = History(None)


@pytest.mark.parametrize(
    "baseline, days, history, expected",
    [
        ("60", 81, UNKNOWN, "80"),  # no history: the half stands (the check says achievability is unknown)
        ("66.7", 81, UNKNOWN, "83.3"),  # 83,35 rounded towards the baseline
        ("60", 81, History(Decimal(50)), "80"),  # a KPI that moved fast: the half is well within reach
        ("60", 28, History(Decimal(1)), "68"),  # 2 x 1 point a week for 4 weeks: the stretch pace caps it
        ("60", 28, History(Decimal("0.3")), "62.4"),  # 62,4 reached exactly: within the cap
        ("60", 81, History(Decimal(0)), "80"),  # never moved: the check fails it whatever is asked; the half stands
        ("99.9", 81, UNKNOWN, "100"),  # never past 100 %, at least one step up
        ("70", 7, History(Decimal("0.01")), "70.1"),  # a cap smaller than a step: one step, the check says it is a stretch too far
    ],
)
def test_half_of_what_is_left_within_the_stretch_pace(baseline, days, history, expected):
    assert csat_target(Decimal(baseline), days=days, history=history) == Decimal(expected)


@pytest.mark.parametrize("baseline, days", [("60", 81), ("41.3", 30), ("12.5", 200)])
@pytest.mark.parametrize("fastest", ["0.2", "1", "3.7", "25"])
def test_the_proposed_target_passes_the_achievable_rule(baseline, days, fastest):
    history = History(Decimal(fastest))
    target = csat_target(Decimal(baseline), days=days, history=history)
    assert target is not None and Decimal(baseline) < target <= 100
    assert judge_pace(target - Decimal(baseline), days, history).verdict is Verdict.PASSED


@pytest.mark.parametrize("baseline, days", [("100", 81), ("60", 0), ("60", -3)])
def test_nothing_to_raise_or_no_time_proposes_nothing(baseline, days):
    assert csat_target(Decimal(baseline), days=days, history=UNKNOWN) is None


@pytest.mark.parametrize(
    "baseline, target, deadline, unit, language, country, expected",
    [
        # 11 March to 31 May: every four weeks, none in the last week; whole complaints stay whole (1,65 -> 2; 1,31 -> 1)
        ("2", "1", date(2026, 5, 31), None, "es", "CO", "2 08/04/2026; 1 06/05/2026"),
        # a stored baseline's trailing zeros are not decimals
        ("60.000000", "80", date(2026, 5, 31), PERCENT, "es", "CO", "67\u00a0% 08/04/2026; 74\u00a0% 06/05/2026"),
        ("66.7", "83.3", date(2026, 5, 31), PERCENT, "en", "US", "72.4% Apr 8, 2026; 78.2% May 6, 2026"),
        ("60", "80", date(2026, 4, 15), PERCENT, "es", "CO", ""),  # five weeks: the check asks for none
    ],
)
def test_milestones_are_typed_as_the_form_reads_them(baseline, target, deadline, unit, language, country, expected):
    typed = typed_milestones(Decimal(baseline), Decimal(target), start=date(2026, 3, 11), deadline=deadline, unit=unit,
                             language=language, country=country)
    assert typed == expected
