"""OKRs shared by marketing and sales: objectives, key results, check-ins, progress and scores.

Pure rules only: the shape of an objective and a key result (KR), reading the one-line forms
(`/alinea okr kr add …`, `/alinea okr checkin …`), validation, progress, the on-track status,
scores and focus warnings. Storage, Slack and the clock live elsewhere: "today" is a parameter.
Key results are SMART-checked by `domain.smart_criteria.check_key_result` (`KeyResult.as_goal()`).

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
  menos 45 %") is a floor or ceiling on another metric; `guardrail_violated` says when it broke.
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
- **Focus**: more than 3 active objectives, or more than 5 KRs in one, is a warning, not an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, localcontext
from enum import Enum
from typing import Iterable, Mapping, Sequence

from babel.dates import format_date

from domain.commands import fold, unknown_word
from domain.errors import UserError
from domain.examples import example_params
from domain.glossary import Side
from domain.kpis import KEY_PATTERN, Aggregation, Direction, KpiSpec, Unit, check_unit, closest_key, validate_value
from domain.locales import normalize_locale
from domain.numbers import check_storable, fold_keeping_positions, format_quantity, parse_quantity
from domain.slack_text import user_id_of
from domain.sla import Comparator, parse_comparator
from domain.smart_goal import ChangeBy, Goal, GoalDirection, Milestone
from domain.smart_reading import parse_goal
from domain.smart_timing import parse_deadline

__all__ = [
    "CheckIn",
    "Contributor",
    "FocusWarning",
    "Guardrail",
    "KeyResult",
    "Milestone",
    "Objective",
    "ObjectiveKind",
    "ReviewQuestion",
    "Status",
    "expected_progress",
    "focus_warnings",
    "format_kr_id",
    "guardrail_violated",
    "is_good_score",
    "next_kr_number",
    "objective_score",
    "parse_checkin",
    "parse_key_result",
    "parse_kr_id",
    "parse_objective",
    "parse_objective_kind",
    "parse_review_answer",
    "progress",
    "resolve_kpi",
    "score",
    "status",
    "validate_confidence",
    "validate_key_result",
    "validate_objective",
]

MAX_ACTIVE_OBJECTIVES = 3
MAX_KRS_PER_OBJECTIVE = 5
MAX_TITLE_LENGTH = 150
ON_TRACK_GAP = 0.10  # expected − progress up to this is on track
AT_RISK_GAP = 0.25  # … up to this at risk; beyond it off track
OFF_TRACK_CONFIDENCE = 3  # the owner's confidence at or below this: off track
AT_RISK_CONFIDENCE = 6  # … at or below this: at risk
_WIDE = Context(prec=60)
_EPSILON = 1e-9  # progress is a float: a gap of exactly 0.10 must not read as 0.1000000001


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
_SEVERITY = [Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK]


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


# ---------------------------------------------------------------------------------------------
# Progress, status and scores


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


# ---------------------------------------------------------------------------------------------
# The one-line KR form
#
#   METRIC [de|from] BASELINE a|to TARGET [de|of SCALE] DEADLINE [options]
#   METRIC en|by CHANGE DEADLINE [options]            (relative: "en 25 %", "by 5 points")
#
# Options, in any order, each once (milestone repeats):
#   owner|dueño|responsable @PERSON           side|lado marketing|mercadeo|sales|ventas|both|ambos
#   with|con|apoyo servicio|customer_service|operaciones|operations
#   milestone|hito VALUE DATE                 keeping|manteniendo|guardrail METRIC COMPARATOR VALUE
#   confidence|confianza 1-10                 kpi KEY
#
# An option word counts only when followed by something it reads ("clientes con recompra" keeps
# its "con"; "confianza del cliente" is a metric), so metrics keep their natural words.

_OPTIONS = {
    **dict.fromkeys(("owner", "dueno", "duena", "responsable", "lider"), "owner"),
    **dict.fromkeys(("side", "sides", "lado", "lados"), "side"),
    **dict.fromkeys(("with", "con", "apoyo", "contributors", "contribuyen"), "with"),
    **dict.fromkeys(("milestone", "hito"), "milestone"),
    **dict.fromkeys(("keeping", "manteniendo", "guardrail", "salvaguarda"), "guardrail"),
    **dict.fromkeys(("confidence", "confianza"), "confidence"),
    "kpi": "kpi",
}
_SIDE_WORDS = {
    **dict.fromkeys(("marketing", "mercadeo", "mkt"), {Side.MARKETING}),
    **dict.fromkeys(("sales", "ventas"), {Side.SALES}),
    **dict.fromkeys(("both", "ambos", "ambas"), {Side.MARKETING, Side.SALES}),
}
_CONTRIBUTOR_WORDS = {
    **dict.fromkeys(("servicio", "service", "customer_service", "servicio_al_cliente", "soporte", "support"), Contributor.CUSTOMER_SERVICE),
    **dict.fromkeys(("operaciones", "operations", "operacion", "ops", "logistica"), Contributor.OPERATIONS),
}
_FILLERS = {"al", "cliente", "customer", "y", "and", "e", "de"}
_CONFIDENCE = re.compile(r"(?P<number>\d{1,2})(?:/10)?")
_VALUE_FIRST = re.compile(r"[-+$€£]?\d")
_COMPARATOR_SYMBOLS = re.compile(r"(>=|<=|=>|=<|≥|≤)")
_LONGEST_COMPARATOR = 3
_TOKEN = re.compile(r"<[@#!][^>]*>|\S+")  # a mention is one token, spaces in its label and all


def _reads(option: str, following: str | None) -> bool:
    """Whether the word after an option word is something that option reads."""
    if following is None:
        return False
    word = fold(following).strip(",;")
    if option == "side":
        return word in _SIDE_WORDS
    if option == "with":
        return word in _CONTRIBUTOR_WORDS or word == "customer"
    if option == "milestone":
        return bool(_VALUE_FIRST.match(following))
    if option == "confidence":
        return bool(_CONFIDENCE.fullmatch(word))
    if option == "kpi":
        return bool(KEY_PATTERN.fullmatch(word))
    return True


def _split_options(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """(the head, [(option, word as typed, its text)]) in the order typed."""
    tokens = list(_TOKEN.finditer(text))
    starts = []
    for index, token in enumerate(tokens):
        option = _OPTIONS.get(fold(token.group(0)))
        following = tokens[index + 1].group(0) if index + 1 < len(tokens) else None
        if option and _reads(option, following):
            starts.append((index, option))
    if not starts:
        return text.strip(), []
    head = text[: tokens[starts[0][0]].start()].strip()
    options = []
    for number, (index, option) in enumerate(starts):
        end = tokens[starts[number + 1][0]].start() if number + 1 < len(starts) else len(text)
        options.append((option, tokens[index].group(0), text[tokens[index].end() : end].strip()))
    return head, options


@dataclass
class _Draft:
    """What the options of a KR line said."""

    owner: str | None = None
    sides: set[Side] | None = None
    contributors: set[Contributor] = field(default_factory=set)
    milestones: list[Milestone] = field(default_factory=list)
    guardrail: Guardrail | None = None
    confidence: int | None = None
    kpi_key: str | None = None


def parse_key_result(
    text: str,
    *,
    number: int,
    today: date,
    catalog: Mapping[str, KpiSpec] | None = None,
    baseline: Decimal | None = None,
    language: str = "es",
    country: str | None = "CO",
    currency: str = "COP",
) -> KeyResult:
    """What follows `/alinea okr kr add` → a validated KeyResult numbered `number`.

    `catalog` is the team's KPIs (a metric that names one makes the KR KPI-backed); `baseline`
    the KPI's latest value, used when the text gives none (a relative KR needs one).
    """
    catalog = catalog or {}
    reading = {"language": normalize_locale(language) or "es", "country": country, "currency": currency}
    head, options = _split_options(text)
    draft = _read_options(options, today=today, catalog=catalog, reading=reading)
    goal = parse_goal(head, today=today, **reading) if head else Goal(metric="")
    spec = catalog.get(draft.kpi_key) if draft.kpi_key else resolve_kpi(goal.metric, catalog)
    examples = example_params(today, reading["language"])
    if not goal.metric and spec is None:
        raise UserError("okr.metric_missing", **examples)
    metric = goal.metric or spec.name(reading["language"])  # type: ignore[union-attr]
    base, target, deadline = _numbers(goal, baseline, spec, metric, examples)
    kr = KeyResult(
        number=number, metric=metric, baseline=base, target=target, start=goal.start or today, deadline=deadline,
        unit=goal.unit or _unit_of(spec), kpi_key=spec.key if spec else None, owner=draft.owner,
        sides=frozenset(draft.sides or _default_sides(spec)), contributors=frozenset(draft.contributors),
        milestones=tuple(draft.milestones), scale=goal.scale, change=goal.change, guardrail=draft.guardrail,
        confidence=draft.confidence,
    )  # fmt: skip
    validate_key_result(kr, spec, language=reading["language"], country=country, currency=currency)
    return kr


@dataclass(frozen=True)
class LineKpi:
    """What a KR line says before its numbers are checked: the KPI it follows, if any, and
    whether it types its own starting point."""

    spec: KpiSpec | None
    baseline_typed: bool


def key_result_kpi(
    text: str, *, today: date, catalog: Mapping[str, KpiSpec], language: str = "es", country: str | None = "CO", currency: str = "COP"
) -> LineKpi:
    """The KPI a KR line follows (its `kpi KEY` option, else its metric): when the line types
    no starting point, the KPI's latest logged value is the baseline (`parse_key_result`)."""
    reading = {"language": normalize_locale(language) or "es", "country": country, "currency": currency}
    head, options = _split_options(text)
    draft = _read_options(options, today=today, catalog=catalog, reading=reading)
    goal = parse_goal(head, today=today, **reading) if head else Goal(metric="")
    spec = catalog.get(draft.kpi_key) if draft.kpi_key else resolve_kpi(goal.metric, catalog)
    return LineKpi(spec, goal.baseline is not None)


def _numbers(goal: Goal, latest: Decimal | None, spec: KpiSpec | None, metric: str, examples: dict[str, str]) -> tuple[Decimal, Decimal, date]:
    """Baseline (the text's, else the KPI's latest value), target (derived for a relative KR)
    and deadline, each required; a verb that contradicts the typed numbers is refused. A KR on
    a KPI with nothing logged yet is told how to log a value rather than to type one."""
    baseline = goal.baseline if goal.baseline is not None else latest
    if baseline is None and spec is not None:
        raise nothing_logged(spec, metric, examples)
    target = goal.target
    if target is None and goal.change is not None:
        target = _relative_target(goal, baseline, spec, metric, examples)
    if baseline is None:
        raise UserError("okr.baseline_missing", metric=metric, **examples)
    if target is None:
        raise UserError("okr.target_missing", metric=metric, **examples)
    if goal.deadline is None:
        raise UserError("okr.deadline_missing", metric=metric, **examples)
    if goal.direction is not None and goal.target is not None and (target > baseline) != (goal.direction is GoalDirection.INCREASE):
        raise UserError("okr.verb_contradicts_numbers", metric=metric)
    return baseline, target, goal.deadline


def nothing_logged(spec: KpiSpec, metric: str, examples: dict[str, str]) -> UserError:
    """No starting point typed and none logged: the values to log (a rate's two parts, since
    a rate is computed from them), or the baseline to type."""
    if spec.aggregation is Aggregation.RATE:
        return UserError("okr.kpi_nothing_logged_rate", metric=metric, key=spec.key, numerator=spec.numerator, denominator=spec.denominator, **examples)
    return UserError("okr.kpi_nothing_logged", metric=metric, key=spec.key, **examples)


def _relative_target(goal: Goal, baseline: Decimal | None, spec: KpiSpec | None, metric: str, examples: dict[str, str]) -> Decimal:
    """"en 25 %" applied to the baseline, the way the verb (or else the KPI) says."""
    assert goal.change is not None
    if baseline is None:
        raise UserError("okr.relative_needs_baseline", metric=metric, **examples)
    direction = goal.direction
    if direction is None and spec is not None:
        direction = GoalDirection.INCREASE if spec.direction is Direction.HIGHER else GoalDirection.DECREASE
    if direction is None:
        raise UserError("okr.relative_needs_direction", metric=metric, **examples)
    return goal.change.applied_to(baseline, direction)


def _unit_of(spec: KpiSpec | None) -> str | None:
    """The unit a KPI's values carry, for a KR typed without one ("en 25 %" of a percent KPI)."""
    if spec is None:
        return None
    return {Unit.PERCENT: "%", Unit.HOURS: "h", Unit.CURRENCY: spec.currency}.get(spec.unit)


def _default_sides(spec: KpiSpec | None) -> set[Side]:
    if spec is None or spec.side is Side.BOTH:
        return {Side.MARKETING, Side.SALES}
    return {spec.side}


def _read_options(options: list[tuple[str, str, str]], *, today: date, catalog: Mapping[str, KpiSpec], reading: dict) -> _Draft:
    draft = _Draft()
    seen: set[str] = set()
    for option, word, value in options:
        if option in seen and option != "milestone":
            raise UserError("okr.repeated_option", word=word)
        seen.add(option)
        if option == "owner":
            draft.owner = _read_owner(value, word)
        elif option == "side":
            draft.sides = _read_sides(value)
        elif option == "with":
            draft.contributors = _read_contributors(value)
        elif option == "milestone":
            draft.milestones.append(_read_milestone(value, word, today=today, reading=reading))
        elif option == "guardrail":
            draft.guardrail = _read_guardrail(value, word, reading=reading)
        elif option == "confidence":
            draft.confidence = _read_confidence(value)
        else:
            draft.kpi_key = _read_kpi(value, catalog)
    return draft


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,;]+", fold(text)) if word]


def _read_sides(text: str) -> set[Side]:
    sides: set[Side] = set()
    for word in _words(text):
        if word in _FILLERS:
            continue
        if word not in _SIDE_WORDS:
            raise UserError("okr.unknown_side", word=word)
        sides |= _SIDE_WORDS[word]
    return sides


def _read_contributors(text: str) -> set[Contributor]:
    """`servicio al cliente y operaciones`, `customer service, operations`, `ops`."""
    found: set[Contributor] = set()
    for word in _words(text):
        if word in _CONTRIBUTOR_WORDS:
            found.add(_CONTRIBUTOR_WORDS[word])
        elif word not in _FILLERS:
            raise UserError("okr.unknown_contributor", word=word)
    return found


def _read_owner(text: str, word: str) -> str:
    """A Slack mention (`<@U123|ana>`, as Slack sends `@ana`): the owner's user id."""
    user_id = user_id_of(text)
    if user_id is None:
        raise UserError("okr.owner_missing", word=word)
    return user_id


def _read_confidence(text: str) -> int:
    """`7` or `7/10` (the option word only counts when one follows, see `_reads`)."""
    first = fold(text.split()[0]).strip(",;") if text.split() else ""
    found = _CONFIDENCE.fullmatch(first)
    return validate_confidence(found.group("number") if found else text)


def _read_milestone(text: str, word: str, *, today: date, reading: dict) -> Milestone:
    """`1,4 % al 28/02/2026`, `1.4% by Feb 28`."""
    quantity, rest = parse_quantity(text, **reading)
    if not rest:
        raise UserError("okr.milestone_date_missing", word=word, value=quantity.text, **example_params(today, reading["language"]))
    return Milestone(due=parse_deadline(rest, today=today, language=reading["language"]), value=quantity.value)


def _read_guardrail(text: str, word: str, *, reading: dict) -> Guardrail:
    """`margen bruto al menos 45 %`, `gross_margin >= 45%`."""
    spaced = _COMPARATOR_SYMBOLS.sub(r" \1 ", text)
    tokens = list(re.finditer(r"\S+", spaced))
    for index in range(1, len(tokens)):
        for size in range(min(_LONGEST_COMPARATOR, len(tokens) - index - 1), 0, -1):
            phrase = " ".join(token.group(0) for token in tokens[index : index + size])
            try:
                comparator = parse_comparator(phrase)
            except UserError:
                continue
            quantity, rest = parse_quantity(spaced[tokens[index + size].start() :], **reading)
            if rest:
                raise UserError("okr.guardrail_incomplete", word=word)
            metric = spaced[: tokens[index].start()].strip()
            return Guardrail(metric=metric, comparator=comparator, value=quantity.value, unit=quantity.unit)
    raise UserError("okr.guardrail_incomplete", word=word)


def _read_kpi(text: str, catalog: Mapping[str, KpiSpec]) -> str:
    key = fold(text.split()[0])
    if not catalog or key in catalog:
        return key
    suggestion = closest_key(key, catalog)
    if suggestion:
        raise UserError("okr.unknown_kpi_suggestion", key=key, suggestion=suggestion)
    raise UserError("okr.unknown_kpi", key=key)


# ---------------------------------------------------------------------------------------------
# Check-ins: `KR VALUE [confidence|confianza 1-10] [note]`

# "KR3", "kr 3", "KR#3", or a bare "3" when a value follows it ("3 1,4 %").
_CHECKIN_ID = re.compile(r"\s*(?:kr\s*#?\s*(?P<kr>\d{1,4})(?![\d.,])|#?(?P<bare>\d{1,4})(?=\s+[-+$€£]?\d))\s*:?\s*")
_CHECKIN_CONFIDENCE = re.compile(r"(?<!\w)(?:confidence|confianza|conf)\s*:?\s*(?P<number>\d{1,3})(?:\s*/\s*10)?(?!\w)")
_NOTE_EDGES = " \t\r\n,;:-–—"


def parse_checkin(text: str, *, language: str = "es", country: str | None = "CO", currency: str = "COP") -> CheckIn:
    """`KR3 1,4 % confianza 7 la campaña arrancó tarde` → CheckIn(3, 1.4, "%", 7, "la campaña…");
    `KR3 confianza 6 nota` (no value) → CheckIn(3, None, None, 6, "nota").

    The confidence may come anywhere after the value (`confidence 7`, `confianza: 7`, `conf 7/10`).
    Raises `okr.checkin_kr_missing`, `okr.checkin_value_missing`, `okr.invalid_confidence` or a
    `numbers.*` error for the value.
    """
    folded = fold_keeping_positions(text)
    found = _CHECKIN_ID.match(folded)
    if found is None:
        raise UserError("okr.checkin_kr_missing")
    number = int(found.group("kr") or found.group("bare"))
    rest = text[found.end() :]
    if not rest.strip():
        raise UserError("okr.checkin_value_missing", kr=format_kr_id(number))
    if _CHECKIN_CONFIDENCE.match(fold_keeping_positions(rest).lstrip()):  # no value: a KPI-backed KR's check-in
        value, unit, note = None, None, rest
    else:
        quantity, note = parse_quantity(rest, language=normalize_locale(language) or "es", country=country, currency=currency)
        value, unit = quantity.value, quantity.unit
    confidence = None
    mentioned = _CHECKIN_CONFIDENCE.search(fold_keeping_positions(note))
    if mentioned:
        confidence = validate_confidence(mentioned.group("number"))
        note = note[: mentioned.start()].rstrip(_NOTE_EDGES) + " " + note[mentioned.end() :].lstrip(_NOTE_EDGES)
    return CheckIn(number, value, unit, confidence, note.strip(_NOTE_EDGES))


# ---------------------------------------------------------------------------------------------
# Review answers, replied in the review prompt's thread


class ReviewQuestion(str, Enum):
    ACHIEVED = "achieved"
    LEARNED = "learned"
    ADJUST = "adjust"


_REVIEW_WORDS = {
    **dict.fromkeys(("logrado", "logros", "logro", "logramos", "achieved", "achievement", "achievements"), ReviewQuestion.ACHIEVED),
    **dict.fromkeys(("aprendido", "aprendimos", "aprendizaje", "aprendizajes", "learned", "learnt", "lessons", "lesson"), ReviewQuestion.LEARNED),
    **dict.fromkeys(("ajustar", "ajuste", "ajustes", "ajustamos", "adjust", "adjustment", "adjustments", "change"), ReviewQuestion.ADJUST),
}
_REVIEW_LEAD = re.compile(r"\s*(?P<word>[^\W\d_]+)\s*[:\-–—]\s*", re.UNICODE)


def parse_review_answer(text: str) -> tuple[ReviewQuestion, str] | None:
    """`logrado: recompra 24 %` / `learned - bundles sell` / `ajustar: …` → (question, answer).
    The word must be followed by a colon or dash, so ordinary thread chatter is not an answer
    (None)."""
    found = _REVIEW_LEAD.match(text)
    if found is None:
        return None
    question = _REVIEW_WORDS.get(fold(found.group("word")))
    answer = text[found.end() :].strip()
    if question is None or not answer:
        return None
    return question, answer
