"""The one-line key-result form, `/alinea okr kr add O1 LINE`: its grammar (below), the options
it reads, and `parse_key_result`, which turns a line into a validated `domain.okr.KeyResult`.
The goal part (metric, numbers, dates) is `domain.smart_reading`'s; the options (owner, sides,
contributors, milestones, guardrail, confidence, KPI) are read here. A KR whose metric names a
KPI takes its baseline, unit, side and direction from it. Pure: "today" is a parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Mapping

from domain.commands import fold
from domain.errors import UserError
from domain.examples import example_params
from domain.glossary import Side
from domain.kpis import KEY_PATTERN, Aggregation, Direction, KpiSpec, Unit, closest_key
from domain.locales import normalize_locale
from domain.numbers import parse_quantity
from domain.okr import Contributor, Guardrail, KeyResult, resolve_kpi, validate_confidence, validate_key_result
from domain.slack_text import user_id_of
from domain.sla import parse_comparator
from domain.smart_goal import Goal, GoalDirection, Milestone
from domain.smart_reading import parse_goal
from domain.smart_timing import parse_deadline

__all__ = ["LineKpi", "key_result_kpi", "nothing_logged", "parse_key_result"]

# The grammar of a KR line
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
