"""Key results: the fields both OKR forms share (a new objective's first KR, a KR added to an
objective), read and checked before the ack with pure checks (numbers read the team's way,
dates, the KPI's direction, milestones, confidence, owner) so mistakes show beside their fields;
what needs the database is the service's, after the ack. Also `okr kr [agregar] O1 LINE`, a KR
in one line, and an objective's "Add key result" button, its form and their submission.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot.blocks import Reply
from bot.blocks.kpi import quantity_unit
from bot.blocks.okr import (
    ADD_KR_OPEN,
    KR_BASELINE,
    KR_CONFIDENCE,
    KR_CONTRIBUTORS,
    KR_DEADLINE,
    KR_KPI,
    KR_METRIC,
    KR_MILESTONES,
    KR_OWNER,
    KR_SIDES,
    KR_START,
    KR_TARGET,
    KR_VIEW,
    MAX_METRIC_LENGTH,
    key_result_modal,
    kr_added_post,
    kr_added_reply,
)
from commands.context import CommandRequest, FieldErrors, Interaction, modal_metadata, team_of
from commands.modal_state import Submitted
from commands.okr_channel import Context, post_to_team, team_today
from db.models import AlignmentTeam, ObjectiveStatus
from db.session import read_only
from domain.commands import fold
from domain.errors import UserError
from domain.examples import example_params
from domain.glossary import Side
from domain.kpis import Direction, KpiSpec, Unit
from domain.locales import TeamLocale, team_locale
from domain.number_limits import NUMBER_LIMITS
from domain.number_style import DEFAULT_CURRENCY, example_number
from domain.numbers import Quantity, parse_quantity
from domain.okr import Contributor, KeyResult, Milestone
from domain.okr_kr_line import nothing_logged
from domain.smart_timing import parse_deadline
from services import kpis, okr
from services.teams import roles_of

__all__ = ["ADD_KR_OPEN", "KR_VIEW", "key_result", "open_kr_button", "read_kr_form", "submit_kr"]

ADD_WORDS = {"add", "agregar", "anadir", "new", "nuevo", "nueva"}
OBJECTIVE_REFERENCE = re.compile(r"[oO]\s*#?\d{1,4}")
MAX_METADATA = 3000  # Slack's limit for private_metadata
CONFIDENCE = re.compile(r"\s*(\d{1,2})\s*(?:/\s*10)?\s*")


def key_result(request: CommandRequest, rest: str) -> Reply:
    """`okr kr [agregar|add] O1 LINE`."""
    first, _, remainder = rest.partition(" ")
    if fold(first) in ADD_WORDS:
        first, _, remainder = remainder.strip().partition(" ")
    if not OBJECTIVE_REFERENCE.fullmatch(first) or not remainder.strip():
        raise UserError("okr.ui.kr.usage", **example_params(request.now.date(), request.locale))
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        if not roles_of(team, request.user_id):
            raise UserError("okr.not_a_lead")
        parent = okr.find_objective(session, team=team, reference=first)
        if parent.status is not ObjectiveStatus.ACTIVE:
            raise UserError("okr.objective_closed", objective=f"O{parent.number}")
        parsed = okr.read_key_result_line(session, team=team, text=remainder.strip(), today=team_today(team, request))
        added = okr.add_key_result(
            session, team=team, actor=request.user_id, objective_id=parent.id, draft=parsed.key_result, now=request.now,
            logged_baseline=parsed.logged_baseline,
        )
        where, channel = team_locale(team), team.channel_id
    return _announce_kr(request, added, where, channel)


def _announce_kr(ctx: Context, added: okr.AddedKeyResult, where: TeamLocale, channel: str) -> Reply:
    post = kr_added_post(added, where, actor=ctx.user_id)
    posted = post_to_team(ctx, channel, post, claim=f"okr-kr-{added.key_result.id}")
    return kr_added_reply(added, where, channel_id=channel, posted=posted)


def open_kr_button(interaction: Interaction) -> None:
    """The "Add key result" button of an objective: the KR form, the objective fixed."""
    reference = f"O{interaction.value}"
    with read_only(interaction.runtime.session_factory) as session:
        team = team_of(session, interaction.scope)
        if not roles_of(team, interaction.user_id):
            raise UserError("okr.not_a_lead")
        today = team_today(team, interaction)
        objective = okr.objective(session, team=team, reference=reference, today=today)
        if not objective.active:
            raise UserError("okr.objective_closed", objective=objective.label)
        catalog = kpis.catalog(session, team=team)
        where, channel = team_locale(team), team.channel_id
        specs = [view.spec for view in catalog]
        metadata = form_metadata(channel, where, today, specs, unlogged=unlogged_kpis(session, team, specs, today), objective=objective.number)
    view = key_result_modal(where, objective, kpis=[(v.key, v.name) for v in catalog], today=today, metadata=metadata,
                            owner=interaction.user_id)
    interaction.client.views_open(trigger_id=interaction.trigger_id, view=view)
    return None


def submit_kr(interaction: Interaction) -> Reply:
    number, form = interaction.value
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        parent = okr.find_objective(session, team=team, reference=str(number))
        draft, logged = draft_of(session, team, form, team_today(team, interaction))
        added = okr.add_key_result(
            session, team=team, actor=interaction.user_id, objective_id=parent.id, draft=draft, now=interaction.now, logged_baseline=logged,
        )
        where, channel = team_locale(team), team.channel_id
    return _announce_kr(interaction, added, where, channel)


def unlogged_kpis(session: Session, team: AlignmentTeam, specs: list[KpiSpec], today: date) -> dict[str, list[Any]]:
    """The KPIs with no value a KR could start from (`okr.latest_logged`), each with the refusal
    an empty baseline gets beside its field (the example dates are added when the form is read)."""
    found: dict[str, list[Any]] = {}
    for spec in specs:
        if okr.latest_logged(session, team=team, spec=spec, today=today) is None:
            refusal = nothing_logged(spec, spec.name(team.locale), {})
            found[spec.key] = [refusal.message_id, dict(refusal.params)]
    return found


def form_metadata(
    channel: str, where: TeamLocale, today: date, specs: list[KpiSpec], *, unlogged: dict[str, list[Any]], **extra: Any
) -> str:
    """What the pure checks before the ack need: how the team writes numbers, today, the KPIs'
    currencies (other than pesos), which KPIs are better lower and which have nothing logged.
    Slack keeps 3,000 characters: the last two are left out when they do not fit (the service
    checks them anyway, after the ack)."""
    currencies = {s.key: s.currency for s in specs if s.unit is Unit.CURRENCY and s.currency != DEFAULT_CURRENCY}
    lower = [s.key for s in specs if s.direction is Direction.LOWER]
    common = {"channel_id": channel, "locale": where.language, "country": where.country, "today": today.isoformat(), **extra}
    metadata = modal_metadata(**common, currencies=currencies, lower=lower, keys=[s.key for s in specs], unlogged=unlogged)
    if len(metadata) > MAX_METADATA:
        metadata = modal_metadata(**common, currencies=currencies)
    return metadata


@dataclass(frozen=True)
class KeyResultForm:
    """A KR as submitted in a form, before the service checks it against the team."""

    kpi_key: str | None
    metric: str | None
    baseline: Decimal | None  # None: left empty on a KPI, which starts from its latest logged value
    target: Decimal
    unit: str | None
    start: date
    deadline: date
    owner: str
    sides: frozenset[Side] | None  # None: the KPI's side, or both
    contributors: frozenset[Contributor]
    milestones: tuple[Milestone, ...]
    confidence: int | None


def read_kr_form(form: Submitted, metadata: dict[str, Any]) -> tuple[int, KeyResultForm]:
    errors: dict[str, Any] = {}
    key_result = read_key_result(form, metadata, errors)
    if errors:
        raise FieldErrors(errors)
    assert key_result is not None
    return int(metadata.get("objective") or 0), key_result


def _reading(metadata: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    currency = (metadata.get("currencies") or {}).get(key or "", DEFAULT_CURRENCY)
    return {"language": metadata.get("locale") or "es", "country": metadata.get("country"), "currency": currency}


def read_key_result(form: Submitted, metadata: dict[str, Any], errors: dict[str, Any]) -> KeyResultForm | None:
    """Every pure check of the KR's fields; problems go to `errors` by block id."""
    key = form.selected(KR_KPI) or None
    metric = form.text(KR_METRIC) or None
    if key and metric:
        errors[KR_METRIC] = "okr.ui.form.metric_both"
    elif not key and not metric:
        errors[KR_METRIC] = "okr.ui.form.metric_missing"
    elif metric and len(metric) > MAX_METRIC_LENGTH:
        errors[KR_METRIC] = ("okr.ui.form.too_long", {"limit": MAX_METRIC_LENGTH})
    reading = _reading(metadata, key)
    baseline = _baseline(form, key, metadata, reading, errors)
    target = read_quantity(form, KR_TARGET, reading, errors, missing="okr.ui.form.target_missing")
    if baseline and target:
        _check_goal(baseline, target, key, metadata, errors)
    start = _day(form, KR_START, errors)
    deadline = _day(form, KR_DEADLINE, errors)
    if start and deadline and deadline <= start:
        errors[KR_DEADLINE] = "okr.ui.form.deadline_before_start"
    owner = form.user(KR_OWNER)
    if not owner:
        errors[KR_OWNER] = "okr.ui.form.owner_missing"
    sides = frozenset(Side(s) for s in form.selected_many(KR_SIDES) if s in (Side.MARKETING.value, Side.SALES.value)) or None
    contributors = frozenset(Contributor(c) for c in form.selected_many(KR_CONTRIBUTORS) if c in {w.value for w in Contributor})
    milestones = _milestones(form, reading, start, deadline, baseline, target, errors)
    confidence = read_confidence(form, KR_CONFIDENCE, errors)
    if errors:
        return None
    assert (baseline or key) and target and start and deadline and owner
    return KeyResultForm(
        kpi_key=key, metric=metric, baseline=baseline.value if baseline else None, target=target.value,
        unit=(baseline.unit if baseline else None) or target.unit,
        start=start, deadline=deadline, owner=owner, sides=sides, contributors=contributors, milestones=milestones,
        confidence=confidence,
    )


def _baseline(
    form: Submitted, key: str | None, metadata: dict[str, Any], reading: dict[str, Any], errors: dict[str, Any]
) -> Quantity | None:
    """The typed starting point. Left empty on a KPI, the KPI's latest logged value is taken
    after the ack; a KPI with nothing logged (as of the form's opening) is told here what to
    log, and a KR on no KPI still needs one typed."""
    if key is None or form.text(KR_BASELINE):
        return read_quantity(form, KR_BASELINE, reading, errors, missing="okr.ui.form.baseline_missing")
    refusal = (metadata.get("unlogged") or {}).get(key)
    if refusal is not None:
        message_id, params = refusal
        errors[KR_BASELINE] = (message_id, {**params, **example_params(date.fromisoformat(metadata["today"]), reading["language"])})
    return None


def read_quantity(form: Submitted, block: str, reading: dict[str, Any], errors: dict[str, Any], *, missing: str) -> Quantity | None:
    typed = form.text(block)
    if not typed:
        errors[block] = missing
        return None
    try:
        quantity, rest = parse_quantity(typed, **reading)
    except UserError as error:
        if error.message_id in NUMBER_LIMITS:  # a number, but not one a value keeps: say the limit
            errors[block] = (error.message_id, dict(error.params))
        else:
            errors[block] = ("okr.ui.form.not_a_number", {"text": typed, "example": example_number(reading["language"], reading["country"])})
        return None
    if rest.strip():
        errors[block] = ("okr.ui.form.extra", {"extra": rest.strip()})
        return None
    return quantity


def _check_goal(baseline: Quantity, target: Quantity, key: str | None, metadata: dict[str, Any], errors: dict[str, Any]) -> None:
    if baseline.unit and target.unit and baseline.unit != target.unit:
        errors[KR_TARGET] = ("okr.ui.form.units_differ", {"baseline": baseline.text, "target": target.text})
    elif baseline.value == target.value:
        errors[KR_TARGET] = "okr.ui.form.target_equals_baseline"
    elif key and "lower" in metadata and key in (metadata.get("keys") or [key]):
        lower = key in metadata["lower"]
        if lower and target.value > baseline.value:
            errors[KR_TARGET] = "okr.ui.form.contradicts_lower"
        elif not lower and target.value < baseline.value:
            errors[KR_TARGET] = "okr.ui.form.contradicts_higher"


def _day(form: Submitted, block: str, errors: dict[str, Any]) -> date | None:
    try:
        picked = form.date(block)
    except ValueError:
        picked = None
    if picked is None:
        errors[block] = "okr.ui.form.choose_date"
    return picked


def _milestones(
    form: Submitted, reading: dict[str, Any], start: date | None, deadline: date | None,
    baseline: Quantity | None, target: Quantity | None, errors: dict[str, Any],
) -> tuple[Milestone, ...]:
    """"1,4 % 28/02/2026; 1,5 % 31/03/2026": each inside the KR's dates and values."""
    typed = form.text(KR_MILESTONES)
    if start is None:  # the start field already carries its error; milestones are read from it
        return ()
    found = []
    for part in (piece.strip() for piece in re.split(r"[;\n]+", typed)):
        if not part:
            continue
        try:
            quantity, rest = parse_quantity(part, **reading)
            if not rest.strip():
                raise UserError("okr.ui.form.milestone_unreadable")
            due = parse_deadline(rest, today=start, language=reading["language"])
        except UserError:
            errors[KR_MILESTONES] = ("okr.ui.form.milestone_unreadable", {"text": part, **example_params(start, reading["language"])})
            return ()
        if start and deadline and not start < due < deadline:
            errors[KR_MILESTONES] = ("okr.ui.form.milestone_outside", {"text": part})
            return ()
        if baseline and target and not min(baseline.value, target.value) <= quantity.value <= max(baseline.value, target.value):
            errors[KR_MILESTONES] = ("okr.ui.form.milestone_value_outside", {"text": part})
            return ()
        found.append(Milestone(due=due, value=quantity.value))
    return tuple(found)


def read_confidence(form: Submitted, block: str, errors: dict[str, Any]) -> int | None:
    typed = form.text(block)
    if not typed:
        return None
    found = CONFIDENCE.fullmatch(typed)
    if found is None or not 1 <= int(found.group(1)) <= 10:
        errors[block] = ("okr.ui.form.confidence_range", {"value": typed})
        return None
    return int(found.group(1))


def _catalog(session: Session, team: AlignmentTeam) -> dict[str, KpiSpec]:
    return {kpi.key: kpis.spec_of(kpi) for kpi in kpis.active_kpis(session, team=team)}


def draft_of(session: Session, team: AlignmentTeam, form: KeyResultForm, today: date) -> tuple[KeyResult, okr.LoggedValue | None]:
    """The domain KR of a form: a KPI's name, unit and side when one was chosen, and its latest
    logged value when the baseline was left empty (the reply names it)."""
    spec = None
    if form.kpi_key:
        spec = _catalog(session, team).get(form.kpi_key)
        if spec is None:
            raise UserError("okr.unknown_kpi", key=form.kpi_key)
    metric = spec.name(team.locale) if spec is not None else (form.metric or "")
    unit = form.unit or (quantity_unit(spec) if spec is not None else None)
    logged = okr.logged_baseline(session, team=team, spec=spec, today=today) if form.baseline is None and spec is not None else None
    sides = form.sides
    if sides is None:
        sides = frozenset({spec.side}) if spec is not None and spec.side is not Side.BOTH else frozenset({Side.MARKETING, Side.SALES})
    baseline = logged.value if logged is not None else form.baseline
    assert baseline is not None  # a form on no KPI types one (`_baseline`)
    return KeyResult(
        number=okr.next_kr_number(session, team=team), metric=metric, baseline=baseline, target=form.target,
        start=form.start, deadline=form.deadline, unit=unit, kpi_key=spec.key if spec is not None else None,
        owner=form.owner, sides=sides, contributors=form.contributors, milestones=form.milestones,
        confidence=form.confidence,
    ), logged
