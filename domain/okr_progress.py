"""How far a key result has come and how it is doing: progress, expected progress, the
on-track status, scores, and whether a guardrail broke. Pure: "today" is a parameter.

- **Progress** = (current − baseline) ÷ (target − baseline), clamped to 0–1; lower-is-better KRs
  need nothing special (both differences are negative). No check-in yet is progress 0.
- **Expected progress** grows in a straight line from start (0) to deadline (1), through the
  KR's milestones when it has them (a milestone's value is the progress due on its date).
- **Status** is the worse of two readings:
  - pace: expected − progress ≤ 0.10 → on_track; ≤ 0.25 → at_risk; more → off_track;
  - the owner's latest confidence (1–10): 7–10 → on_track, 4–6 → at_risk, 1–3 → off_track
    (none given: pace alone).
  A KR that reached its target is on_track; one whose deadline passed without it is off_track.
- **Scores**: a KR scores its progress (0.0–1.0); an objective the mean of its KRs. A committed
  objective is good at 1.0 (it was promised), an aspirational one at 0.7 (it was a stretch).
"""

from __future__ import annotations

from datetime import date
from decimal import Context, Decimal, localcontext
from typing import Mapping

from domain.okr import GOOD_SCORE, Guardrail, KeyResult, Objective, ObjectiveKind, Status, validate_confidence

__all__ = ["expected_progress", "guardrail_violated", "is_good_score", "objective_score", "progress", "score", "status"]

ON_TRACK_GAP = 0.10  # expected − progress up to this is on track
AT_RISK_GAP = 0.25  # … up to this at risk; beyond it off track
OFF_TRACK_CONFIDENCE = 3  # the owner's confidence at or below this: off track
AT_RISK_CONFIDENCE = 6  # … at or below this: at risk
_WIDE = Context(prec=60)
_EPSILON = 1e-9  # progress is a float: a gap of exactly 0.10 must not read as 0.1000000001
_SEVERITY = [Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK]


def _fraction(kr: KeyResult, value: Decimal) -> float:
    """How far `value` is from baseline to target, clamped to 0–1 (works both ways)."""
    with localcontext(_WIDE):
        share = (value - kr.baseline) / (kr.target - kr.baseline)
    return min(1.0, max(0.0, float(share)))


def progress(kr: KeyResult, current: Decimal | None) -> float:
    """(current − baseline) ÷ (target − baseline), clamped 0–1; no value yet is 0."""
    return 0.0 if current is None else _fraction(kr, Decimal(current))


def expected_progress(kr: KeyResult, today: date) -> float:
    """Where the KR should be today: a straight line from start to deadline, through milestones."""
    points = [(kr.start, 0.0), *((milestone.due, _fraction(kr, milestone.value)) for milestone in kr.milestones), (kr.deadline, 1.0)]
    if today <= kr.start:
        return 0.0
    for (before, done_before), (after, done_after) in zip(points, points[1:]):
        if before <= today <= after:
            share = (today - before).days / (after - before).days if after > before else 1.0
            return done_before + (done_after - done_before) * share
    return 1.0


def status(kr: KeyResult, current: Decimal | None, *, today: date, confidence: int | None = None) -> Status:
    """on_track / at_risk / off_track (thresholds in the module docstring)."""
    done = progress(kr, current)
    if done >= 1.0:
        return Status.ON_TRACK
    if today > kr.deadline:
        return Status.OFF_TRACK
    by_pace = _by_pace(expected_progress(kr, today) - done)
    confidence = kr.confidence if confidence is None else confidence
    return max(by_pace, _by_confidence(confidence), key=_SEVERITY.index)


def _by_pace(gap: float) -> Status:
    """`gap` is expected progress minus progress: how far behind schedule, 0–1."""
    if gap <= ON_TRACK_GAP + _EPSILON:
        return Status.ON_TRACK
    if gap <= AT_RISK_GAP + _EPSILON:
        return Status.AT_RISK
    return Status.OFF_TRACK


def _by_confidence(confidence: int | None) -> Status:
    if confidence is None:
        return Status.ON_TRACK
    confidence = validate_confidence(confidence)
    if confidence <= OFF_TRACK_CONFIDENCE:
        return Status.OFF_TRACK
    if confidence <= AT_RISK_CONFIDENCE:
        return Status.AT_RISK
    return Status.ON_TRACK


def score(kr: KeyResult, current: Decimal | None) -> float:
    """A KR's score, 0.0–1.0: its progress."""
    return progress(kr, current)


def objective_score(objective: Objective, currents: Mapping[int, Decimal | None]) -> float | None:
    """The mean of the KRs' scores (`currents` by KR number; a missing one scores 0); None
    for an objective without KRs."""
    if not objective.key_results:
        return None
    scores = [score(kr, currents.get(kr.number)) for kr in objective.key_results]
    return sum(scores) / len(scores)


def is_good_score(value: float, kind: ObjectiveKind | str) -> bool:
    """Committed: 1.0 (what was promised); aspirational: 0.7 or more."""
    return value >= GOOD_SCORE[ObjectiveKind(kind)] - _EPSILON


def guardrail_violated(guardrail: Guardrail | None, current: Decimal | None) -> bool:
    """Whether the guarded metric crossed its line; no guardrail or no value is no violation."""
    return guardrail is not None and current is not None and not guardrail.holds(Decimal(current))
