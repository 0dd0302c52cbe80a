"""OKRs shared by marketing and sales: the shapes of objectives and key results, their short
ids, objectives typed in one line, and the validation of a key result.

Pure rules only; storage, Slack and the clock live elsewhere. The rest of the OKR rules are
beside this module: `domain.okr_progress` (progress, on-track status, scores),
`domain.okr_kr_line` (the one-line KR form), `domain.okr_checkin_line` (the check-in line) and
`domain.okr_review_answers` (answers in a review's thread). Key results are SMART-checked by
`domain.smart_criteria.check_key_result` (`KeyResult.as_goal()`).

Decisions worth knowing:

- **Short ids**: a KR is `KR<n>` everywhere; `parse_kr_id` reads `KR3`, `kr3`,
  `KR 3`, `KR#3`, `#3` and `3`. Numbers are per team; `next_kr_number` gives the next free one.
- **Sides**: a KR belongs to marketing, sales or both (default: the KPI's side, or
  both); customer service and operations join as contributors, never as sides.
- **Owner and KPI.** The owner is a Slack mention, kept as the user id. A KR whose metric is a
  KPI's key or name (case and accents forgiven), or that says `kpi KEY`, is KPI-backed: its
  direction, unit and values must suit the KPI; any other metric is tracked by hand.
- **Relative and rating KRs**: "aumentar la recompra en 25 %" takes 25 % of the
  baseline (20 % → 25 %); "en 5 puntos" / "by 5 points" adds points. A rating ("de 8,2 a 9 de
  10") keeps its scale and both values must lie on it. A guardrail ("manteniendo margen bruto al
  menos 45 %") is a floor or ceiling on another metric; `domain.okr_progress.guardrail_violated`
  says when it broke.
- **Focus**: more than 3 active objectives, or more than 5 KRs in one, is a warning, not an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Iterable, Mapping, Sequence

from babel.dates import format_date

from domain.commands import fold, unknown_word
from domain.errors import UserError
from domain.glossary import Side
from domain.kpis import Direction, KpiSpec, check_unit, validate_value
from domain.locales import normalize_locale
from domain.number_format import format_quantity
from domain.number_limits import check_storable
from domain.sla import Comparator
from domain.smart_goal import ChangeBy, Goal, GoalDirection, Milestone

__all__ = [
    "CheckIn",
    "Contributor",
    "FocusWarning",
    "Guardrail",
    "KeyResult",
    "Milestone",
    "Objective",
    "ObjectiveKind",
    "Status",
    "focus_warnings",
    "format_kr_id",
    "next_kr_number",
    "parse_kr_id",
    "parse_objective",
    "parse_objective_kind",
    "resolve_kpi",
    "validate_confidence",
    "validate_key_result",
    "validate_objective",
]

MAX_ACTIVE_OBJECTIVES = 3
MAX_KRS_PER_OBJECTIVE = 5
MAX_TITLE_LENGTH = 150


# ---------------------------------------------------------------------------------------------
# Shapes


class ObjectiveKind(str, Enum):
    COMMITTED = "committed"
    ASPIRATIONAL = "aspirational"


GOOD_SCORE = {ObjectiveKind.COMMITTED: 1.0, ObjectiveKind.ASPIRATIONAL: 0.7}
KIND_LABELS = {ObjectiveKind.COMMITTED: "okr.kind.committed", ObjectiveKind.ASPIRATIONAL: "okr.kind.aspirational"}


class Contributor(str, Enum):
    """Teams that help a KR without owning it."""

    CUSTOMER_SERVICE = "customer_service"
    OPERATIONS = "operations"


class Status(str, Enum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label_id(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {Status.ON_TRACK: "okr.status.on_track", Status.AT_RISK: "okr.status.at_risk", Status.OFF_TRACK: "okr.status.off_track"}


@dataclass(frozen=True)
class Guardrail:
    """A line the KR must not cross on another metric: `gross_margin >= 45 %`."""

    metric: str  # a KPI key or name, as typed
    comparator: Comparator
    value: Decimal
    unit: str | None = None

    def holds(self, current: Decimal) -> bool:
        return self.comparator.holds(current, self.value)


@dataclass(frozen=True)
class KeyResult:
    """One key result. `number` makes its short id (KR3); `kpi_key` None is a manual metric;
    `scale` is set for ratings ("9 of 10"); `change` keeps how a relative target was derived."""

    number: int
    metric: str
    baseline: Decimal
    target: Decimal
    start: date
    deadline: date
    unit: str | None = None
    kpi_key: str | None = None
    owner: str | None = None  # a Slack user id
    sides: frozenset[Side] = frozenset({Side.MARKETING, Side.SALES})
    contributors: frozenset[Contributor] = frozenset()
    milestones: tuple[Milestone, ...] = ()
    scale: Decimal | None = None
    change: ChangeBy | None = None
    guardrail: Guardrail | None = None
    confidence: int | None = None  # the owner's latest, 1–10

    def __post_init__(self) -> None:
        object.__setattr__(self, "baseline", Decimal(self.baseline))
        object.__setattr__(self, "target", Decimal(self.target))
        object.__setattr__(self, "sides", frozenset(Side(side) for side in self.sides))
        object.__setattr__(self, "contributors", frozenset(Contributor(who) for who in self.contributors))
        object.__setattr__(self, "milestones", tuple(sorted(self.milestones, key=lambda milestone: milestone.due)))
        if Side.BOTH in self.sides:
            raise ValueError("sides are marketing and/or sales; BOTH is both of them")
        if self.number < 1:
            raise ValueError(f"a KR number starts at 1, not {self.number}")

    @property
    def short_id(self) -> str:
        return format_kr_id(self.number)

    @property
    def direction(self) -> GoalDirection:
        return GoalDirection.INCREASE if self.target >= self.baseline else GoalDirection.DECREASE

    def as_goal(self) -> Goal:
        """The KR as `domain.smart_reading` reads goals, for its SMART checklist."""
        return Goal(
            metric=self.metric, direction=self.direction, baseline=self.baseline, target=self.target,
            unit=self.unit, start=self.start, deadline=self.deadline, change=self.change, scale=self.scale,
            milestones=self.milestones, kpi_key=self.kpi_key,
        )  # fmt: skip


@dataclass(frozen=True)
class Objective:
    title: str
    kind: ObjectiveKind = ObjectiveKind.COMMITTED
    key_results: tuple[KeyResult, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class FocusWarning:
    message_id: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckIn:
    kr_number: int
    value: Decimal | None  # None: confidence and note only (a KPI-backed KR reads its KPI)
    unit: str | None
    confidence: int | None
    note: str


# ---------------------------------------------------------------------------------------------
# Short ids

_KR_ID = re.compile(r"\s*(?:kr)?\s*#?\s*(?P<number>\d{1,4})\s*")


def format_kr_id(number: int) -> str:
    return f"KR{number}"


def parse_kr_id(text: str) -> int:
    """`KR3`, `kr3`, `KR 3`, `#3`, `3` → 3; anything else is `okr.invalid_kr_id`."""
    found = _KR_ID.fullmatch(fold(text))
    if found is None or int(found.group("number")) < 1:
        raise UserError("okr.invalid_kr_id", text=text.strip())
    return int(found.group("number"))


def next_kr_number(existing: Iterable[int]) -> int:
    """One more than the highest number the team has used (ids are never reused)."""
    return max(existing, default=0) + 1


# ---------------------------------------------------------------------------------------------
# Objectives

_KIND_WORDS = {
    **dict.fromkeys(("committed", "commitment", "comprometido", "comprometida", "compromiso"), ObjectiveKind.COMMITTED),
    **dict.fromkeys(("aspirational", "aspiracional", "stretch", "ambicioso", "ambiciosa"), ObjectiveKind.ASPIRATIONAL),
}


def parse_objective_kind(word: str) -> ObjectiveKind:
    """`committed|comprometido`, `aspirational|aspiracional` (typos get a suggestion)."""
    kind = _KIND_WORDS.get(fold(word.strip()))
    if kind is not None:
        return kind
    raise unknown_word(word.strip(), _KIND_WORDS, "okr.unknown_kind", match=word)


def parse_objective(text: str) -> Objective:
    """`[committed|comprometido|aspirational|aspiracional] TITLE` (committed by default)."""
    first, _, rest = text.strip().partition(" ")
    kind = _KIND_WORDS.get(fold(first))
    objective = Objective(title=rest.strip() if kind else text.strip(), kind=kind or ObjectiveKind.COMMITTED)
    validate_objective(objective)
    return objective


def validate_objective(objective: Objective) -> None:
    title = objective.title.strip()
    if not title:
        raise UserError("okr.title_missing")
    if len(title) > MAX_TITLE_LENGTH:
        raise UserError("okr.title_too_long", limit=MAX_TITLE_LENGTH, length=len(title))


def focus_warnings(objectives: Sequence[Objective]) -> list[FocusWarning]:
    """More than 3 active objectives, or more than 5 KRs in an active one, dilutes the focus."""
    active = [objective for objective in objectives if objective.active]
    warnings = []
    if len(active) > MAX_ACTIVE_OBJECTIVES:
        warnings.append(FocusWarning("okr.focus.too_many_objectives", {"count": str(len(active)), "limit": str(MAX_ACTIVE_OBJECTIVES)}))
    for objective in active:
        if len(objective.key_results) > MAX_KRS_PER_OBJECTIVE:
            params = {"objective": objective.title, "count": str(len(objective.key_results)), "limit": str(MAX_KRS_PER_OBJECTIVE)}
            warnings.append(FocusWarning("okr.focus.too_many_key_results", params))
    return warnings


# ---------------------------------------------------------------------------------------------
# Validation


def validate_confidence(value: int | str) -> int:
    """The owner's confidence, 1 (no chance) to 10 (certain); `okr.invalid_confidence` otherwise."""
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= 10:
        raise UserError("okr.invalid_confidence", value=str(value).strip())
    return number


@dataclass(frozen=True)
class _Writer:
    """Values and dates in the team's way, for error messages."""

    language: str
    country: str | None
    currency: str

    def value(self, value: Decimal, unit: str | None) -> str:
        return format_quantity(value, unit, language=self.language, country=self.country, currency=self.currency)

    def day(self, day: date) -> str:
        return format_date(day, format="medium", locale=self.language)


def validate_key_result(kr: KeyResult, kpi: KpiSpec | None = None, *, language: str = "es", country: str | None = "CO", currency: str = "COP") -> None:
    """Raise the first thing that makes the KR meaningless: target equal to baseline, deadline
    not after start, no side, a rating off its scale, a milestone outside the KR, a confidence
    outside 1–10, or (KPI-backed) a direction, unit or value the KPI refuses."""
    writer = _Writer(normalize_locale(language) or "es", country, currency)
    for value in (kr.baseline, kr.target):  # a derived target ("en 25 %" of a huge baseline) is read nowhere else
        check_storable(value, format(value, "f"), language=writer.language, country=country, unit=kr.unit, currency=currency)
    if kr.target == kr.baseline:
        raise UserError("okr.target_equals_baseline", kr=kr.short_id, value=writer.value(kr.target, kr.unit))
    if kr.deadline <= kr.start:
        raise UserError("okr.deadline_before_start", kr=kr.short_id, start=writer.day(kr.start), deadline=writer.day(kr.deadline))
    if not kr.sides:
        raise UserError("okr.sides_missing", kr=kr.short_id)
    _check_scale(kr)
    _check_milestones(kr, writer)
    if kr.confidence is not None:
        validate_confidence(kr.confidence)
    if kpi is not None:
        _check_against_kpi(kr, kpi, writer)


def _check_scale(kr: KeyResult) -> None:
    if kr.scale is None:
        return
    for value in (kr.baseline, kr.target):
        if not 0 <= value <= kr.scale:
            raise UserError("okr.rating_out_of_scale", kr=kr.short_id, value=str(value), scale=str(kr.scale))


def _check_milestones(kr: KeyResult, writer: _Writer) -> None:
    low, high = sorted((kr.baseline, kr.target))
    for milestone in kr.milestones:
        if not kr.start < milestone.due < kr.deadline:
            raise UserError(
                "okr.milestone_outside", kr=kr.short_id, date=writer.day(milestone.due),
                start=writer.day(kr.start), deadline=writer.day(kr.deadline),
            )  # fmt: skip
        if not low <= milestone.value <= high:
            raise UserError(
                "okr.milestone_value_outside", kr=kr.short_id, value=writer.value(milestone.value, kr.unit),
                baseline=writer.value(kr.baseline, kr.unit), target=writer.value(kr.target, kr.unit),
            )  # fmt: skip


def _check_against_kpi(kr: KeyResult, kpi: KpiSpec, writer: _Writer) -> None:
    wanted = GoalDirection.INCREASE if kpi.direction is Direction.HIGHER else GoalDirection.DECREASE
    if kr.direction is not wanted:
        message_id = "okr.contradicts_higher" if kpi.direction is Direction.HIGHER else "okr.contradicts_lower"
        raise UserError(
            message_id, kr=kr.short_id, name=kpi.name(writer.language),
            baseline=writer.value(kr.baseline, kr.unit), target=writer.value(kr.target, kr.unit),
        )  # fmt: skip
    check_unit(kpi, kr.unit, language=writer.language)
    for value in (kr.baseline, kr.target):
        validate_value(kpi, value, writer.value(value, kr.unit), language=writer.language)


def resolve_kpi(metric: str, catalog: Mapping[str, KpiSpec]) -> KpiSpec | None:
    """The KPI a metric names exactly: its key ("conversion_web", "conversion web") or one of
    its names, case and accents forgiven. A near miss is not a match (the KR stays manual)."""
    wanted = _name_key(metric)
    if not wanted:
        return None
    for spec in catalog.values():
        if wanted in {_name_key(spec.key), _name_key(spec.name_es), _name_key(spec.name_en)}:
            return spec
    return None


def _name_key(text: str) -> str:
    """"Conversión_web", "60-day  repurchase" → "conversion web", "60 day repurchase"."""
    return " ".join(re.sub(r"[_\-‑]+", " ", fold(text)).split())
