"""`/alinea okr …`: objectives and key results shared by marketing and sales.

    okr | okr list | lista                      the board: active objectives, each KR with its bar,
                                                status, value, deadline and owner (privately)
    okr all | todos                             … closed objectives too
    okr new | nuevo                             a form: the objective and its first key result
    okr new | nuevo [comprometido|aspiracional] TITLE    the objective alone; KRs follow in one line
    okr kr [add | agregar] O1 LINE              a key result in one line (domain.okr_kr_line.parse_key_result)
    okr checkin KR3 VALUE [confianza N] [nota]  a check-in; `KR3 confianza 6 nota` on a KPI-backed KR
    okr checkin                                 a form with the KRs I own (the reminder's button too)
    okr retarget | meta KR3 [TARGET] [al DATE] razón TEXT   a new target and/or deadline, with why
    okr close | cerrar O1                       leads and admins close an objective
    okr show | ver O1 | KR3                     one objective or key result in detail

Every write is one unit of work, committed before anything is posted (no lock held across the
network). What the team should see (a new objective, a KR added, a re-target, a closing) is
posted in the team's channel with a claim id, so a retry never posts twice; a post that fails
does not undo the committed change: the person is told it was saved but not posted.

Modals are validated before the ack with pure checks (numbers read the team's way, dates, the
KPI's direction, confidence, owner), so mistakes show beside their fields; what needs the
database is checked by the service after the ack, and a refusal changes nothing.
"""

from __future__ import annotations

import calendar
import logging
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Union

from babel.dates import format_date
from sqlalchemy.orm import Session

from bot.blocks import Reply
from bot.blocks.kpi import quantity_unit
from domain.locales import TeamLocale
from bot.blocks.okr import (
    ADD_KR_OPEN,
    KeyResultPrefill,
    CHECKIN_CONFIDENCE,
    CHECKIN_KR,
    CHECKIN_NOTE,
    CHECKIN_OPEN,
    CHECKIN_VALUE,
    CHECKIN_VIEW,
    KIND,
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
    MAX_NOTE_LENGTH,
    NEW_OPEN,
    NEW_VIEW,
    SECOND,
    SECOND_KEEP,
    TITLE,
    RetargetShown,
    SecondKeyResult,
    board_reply,
    checked_in_reply,
    checkin_modal,
    chosen,
    chosen_many,
    closed_post,
    closed_reply,
    created_reply,
    created_with_kr_reply,
    key_result_detail,
    key_result_modal,
    kr_added_post,
    kr_added_reply,
    new_objective_modal,
    notice,
    objective_detail,
    objective_post,
    retarget_post,
    retargeted_reply,
    with_second_kr,
)
from bot.notifier import POST_FAILURES, Message
from commands.context import CommandRequest, FieldErrors, Interaction, dispatch_subword, modal_metadata, team_of
from domain.locales import team_locale
from db import repositories
from db.models import AlignmentTeam, ObjectiveStatus, OkrKeyResult
from db.session import read_only
from domain.commands import fold
from domain.errors import UserError
from domain.examples import example_params
from domain.glossary import Side
from domain.kpis import Direction, KpiSpec, Unit
from domain.number_format import format_quantity
from domain.number_limits import NUMBER_LIMITS
from domain.number_style import DEFAULT_CURRENCY, HOURS, PERCENT, example_number
from domain.numbers import Quantity, parse_quantity
from domain.okr import (
    MAX_TITLE_LENGTH,
    CheckIn,
    Contributor,
    KeyResult,
    Milestone,
    Objective,
    ObjectiveKind,
    format_kr_id,
    parse_objective,
)
from domain.okr_checkin_line import parse_checkin
from domain.okr_kr_line import nothing_logged
from domain.okr_retarget import parse_retarget
from domain.periods import local_date
from domain.smart_timing import parse_deadline
from services import kpis, okr
from services.i18n import language_of, t
from services.teams import roles_of

logger = logging.getLogger(__name__)

__all__ = [
    "ADD_KR_OPEN", "CHECKIN_OPEN", "CHECKIN_VIEW", "KR_VIEW", "NEW_OPEN", "NEW_VIEW", "handle", "open_checkin_button",
    "open_kr_button", "open_new_button", "read_checkin_form", "read_kr_form", "read_new_form", "submit_checkin",
    "submit_kr", "submit_new",
]

Context = Union[CommandRequest, Interaction]
WORDS = {
    "list": "list", "lista": "list", "all": "all", "todos": "all", "todas": "all",
    "new": "new", "nuevo": "new", "nueva": "new", "kr": "kr",
    "checkin": "checkin", "check-in": "checkin", "avance": "checkin",
    "retarget": "retarget", "meta": "retarget", "close": "close", "cerrar": "close",
    "show": "show", "ver": "show",
}
ADD_WORDS = {"add", "agregar", "anadir", "new", "nuevo", "nueva"}
OBJECTIVE_REFERENCE = re.compile(r"[oO]\s*#?\d{1,4}")
MAX_METADATA = 3000  # Slack's limit for private_metadata
CONFIDENCE = re.compile(r"\s*(\d{1,2})\s*(?:/\s*10)?\s*")


def handle(request: CommandRequest) -> Reply | None:
    return dispatch_subword(request, WORDS, HANDLERS, usage_id="okr.ui.usage", default="list")


def _today(team: AlignmentTeam, ctx: Context) -> date:
    return local_date(ctx.now, team.timezone)


def _post(ctx: Context, channel: str, reply: Reply, *, claim: str) -> bool:
    """Post what the team should see; False (logged) when Slack would not take it. The change
    is already committed, so a failed post is said in the reply, not raised."""
    try:
        ctx.notifier.post(channel=channel, message=Message(reply.text, reply.blocks), claim=claim)
        return True
    except POST_FAILURES:
        logger.warning("could not post %s in %s", claim, channel, exc_info=True)
        return False


# The board ------------------------------------------------------------------------------------------


def board(request: CommandRequest, _rest: str, *, include_closed: bool = False) -> Reply:
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        shown = okr.board(session, team=team, today=_today(team, request), include_closed=include_closed)
        where = team_locale(team)
    return board_reply(shown, where, include_closed=include_closed)


def board_all(request: CommandRequest, rest: str) -> Reply:
    return board(request, rest, include_closed=True)


def show(request: CommandRequest, rest: str) -> Reply:
    """`okr ver O1` or `okr ver KR3`."""
    reference = rest.strip()
    if not reference:
        raise UserError("okr.ui.show.usage")
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        today, where = _today(team, request), team_locale(team)
        if fold(reference).startswith("o"):
            return objective_detail(okr.objective(session, team=team, reference=reference, today=today), where)
        kr = okr.key_result(session, team=team, reference=reference, today=today)
        parent = okr.objective(session, team=team, reference=str(kr.objective_number), today=today)
        retargets = [
            RetargetShown(r.old_target, r.new_target, r.old_deadline, r.new_deadline, r.reason, r.user_id, r.at)
            for r in okr.retargets_of(session, team=team, reference=kr.short_id)
        ]
    return key_result_detail(kr, parent, retargets, where)


# New objectives ----------------------------------------------------------------------------------------


def new(request: CommandRequest, rest: str) -> Reply | None:
    """No text: the form. With text: `[comprometido|aspiracional] TITLE`, the objective alone."""
    if not rest:
        return open_new_form(request)
    draft = parse_objective(rest)
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        row = okr.create_objective(session, team=team, actor=request.user_id, draft=draft, now=request.now)
        today = _today(team, request)
        view = okr.objective_view(session, team, row, today=today)
        where, channel = team_locale(team), team.channel_id
    posted = _post(request, channel, objective_post(view, where, actor=request.user_id), claim=f"okr-objective-{view.id}")
    return created_reply(view, where, channel_id=channel, posted=posted, example=kr_example(view.label, where, today))


def kr_example(label: str, where: TeamLocale, today: date) -> str:
    """A one-line KR for this objective the person can copy: the team's numbers and a deadline
    at the end of the quarter (the next one when this one ends within a month)."""
    language = language_of(where.language)
    deadline = _quarter_end(today)
    if (deadline - today).days < 30:
        deadline = _quarter_end(date(deadline.year + (deadline.month == 12), deadline.month % 12 + 1, 1))
    typed_day = f"{deadline:%d/%m/%Y}" if language == "es" else format_date(deadline, format="medium", locale="en")

    def percent(value: str) -> str:
        return format_quantity(Decimal(value), PERCENT, language=where.language, country=where.country)

    line = t(language, "okr.ui.example.kr_line", baseline=percent("1.2"), target=percent("1.6"), deadline=typed_day)
    add = "agregar" if language == "es" else "add"
    return f"/alinea okr kr {add} {label} {line}"


def _quarter_end(day: date) -> date:
    month = ((day.month - 1) // 3 + 1) * 3
    return date(day.year, month, calendar.monthrange(day.year, month)[1])


def open_new_form(ctx: Context, prefill: KeyResultPrefill | None = None, title: str = "", second: SecondKeyResult | None = None) -> None:
    """The form with the objective and its first KR (filled with `prefill` and `title` when
    given, and a `second` proposed KR below it); refused (nothing opened) to non-leads."""
    with read_only(ctx.runtime.session_factory) as session:
        team = team_of(session, ctx.scope)
        if not roles_of(team, ctx.user_id):
            raise UserError("okr.not_a_lead")
        catalog = kpis.catalog(session, team=team)
        where, today, channel = team_locale(team), _today(team, ctx), team.channel_id
        specs = [view.spec for view in catalog]
        metadata = _form_metadata(channel, where, today, specs, unlogged=_unlogged(session, team, specs, today))
    view = new_objective_modal(where, kpis=[(v.key, v.name) for v in catalog], today=today, metadata=metadata, owner=ctx.user_id,
                               prefill=prefill, title=title, second=second)
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)
    return None


def open_new_button(interaction: Interaction) -> None:
    """The board's "New objective" button."""
    return open_new_form(interaction)


def _unlogged(session: Session, team: AlignmentTeam, specs: list[KpiSpec], today: date) -> dict[str, list[Any]]:
    """The KPIs with no value a KR could start from (`okr.latest_logged`), each with the refusal
    an empty baseline gets beside its field (the example dates are added when the form is read)."""
    found: dict[str, list[Any]] = {}
    for spec in specs:
        if okr.latest_logged(session, team=team, spec=spec, today=today) is None:
            refusal = nothing_logged(spec, spec.name(team.locale), {})
            found[spec.key] = [refusal.message_id, dict(refusal.params)]
    return found


def _form_metadata(
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


@dataclass(frozen=True)
class NewObjectiveForm:
    title: str
    kind: ObjectiveKind
    key_result: KeyResultForm
    second: KeyResultForm | None = None  # a second proposed KR its box kept


def read_new_form(values: dict[str, Any], metadata: dict[str, Any]) -> NewObjectiveForm:
    errors: dict[str, Any] = {}
    title = (chosen(values, TITLE, "value") or "").strip()
    if not title:
        errors[TITLE] = "okr.ui.form.title_missing"
    elif len(title) > MAX_TITLE_LENGTH:
        errors[TITLE] = ("okr.ui.form.title_too_long", {"limit": MAX_TITLE_LENGTH, "length": len(title)})
    kind = chosen(values, KIND)
    if kind not in {k.value for k in ObjectiveKind}:
        errors[KIND] = "okr.ui.form.choose"
    key_result = _read_key_result(values, metadata, errors)
    second = _read_second_key_result(values, metadata, errors)
    if errors:
        raise FieldErrors(errors)
    assert key_result is not None
    return NewObjectiveForm(title, ObjectiveKind(kind), key_result, second)


def _read_second_key_result(values: dict[str, Any], metadata: dict[str, Any], errors: dict[str, Any]) -> KeyResultForm | None:
    """The second proposed KR (`second_key_result_blocks`) while its box is ticked: the same
    checks as the first's, its problems shown beside its own fields."""
    if not chosen_many(values, SECOND_KEEP):
        return None
    own = {block.removeprefix(SECOND): value for block, value in values.items() if block.startswith(SECOND) and block != SECOND_KEEP}
    found: dict[str, Any] = {}
    key_result = _read_key_result(own, metadata, found)
    errors.update({SECOND + block: problem for block, problem in found.items()})
    return key_result


def read_kr_form(values: dict[str, Any], metadata: dict[str, Any]) -> tuple[int, KeyResultForm]:
    errors: dict[str, Any] = {}
    key_result = _read_key_result(values, metadata, errors)
    if errors:
        raise FieldErrors(errors)
    assert key_result is not None
    return int(metadata.get("objective") or 0), key_result


def _reading(metadata: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    currency = (metadata.get("currencies") or {}).get(key or "", DEFAULT_CURRENCY)
    return {"language": metadata.get("locale") or "es", "country": metadata.get("country"), "currency": currency}


def _read_key_result(values: dict[str, Any], metadata: dict[str, Any], errors: dict[str, Any]) -> KeyResultForm | None:
    """Every pure check of the KR's fields; problems go to `errors` by block id."""
    key = chosen(values, KR_KPI) or None
    metric = (chosen(values, KR_METRIC, "value") or "").strip() or None
    if key and metric:
        errors[KR_METRIC] = "okr.ui.form.metric_both"
    elif not key and not metric:
        errors[KR_METRIC] = "okr.ui.form.metric_missing"
    elif metric and len(metric) > MAX_METRIC_LENGTH:
        errors[KR_METRIC] = ("okr.ui.form.too_long", {"limit": MAX_METRIC_LENGTH})
    reading = _reading(metadata, key)
    baseline = _baseline(values, key, metadata, reading, errors)
    target = _quantity(values, KR_TARGET, reading, errors, missing="okr.ui.form.target_missing")
    if baseline and target:
        _check_goal(baseline, target, key, metadata, errors)
    start = _day(values, KR_START, errors)
    deadline = _day(values, KR_DEADLINE, errors)
    if start and deadline and deadline <= start:
        errors[KR_DEADLINE] = "okr.ui.form.deadline_before_start"
    owner = chosen(values, KR_OWNER, "selected_user")
    if not owner:
        errors[KR_OWNER] = "okr.ui.form.owner_missing"
    sides = frozenset(Side(s) for s in chosen_many(values, KR_SIDES) if s in (Side.MARKETING.value, Side.SALES.value)) or None
    contributors = frozenset(Contributor(c) for c in chosen_many(values, KR_CONTRIBUTORS) if c in {w.value for w in Contributor})
    milestones = _milestones(values, reading, start, deadline, baseline, target, errors)
    confidence = _confidence(values, KR_CONFIDENCE, errors)
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
    values: dict[str, Any], key: str | None, metadata: dict[str, Any], reading: dict[str, Any], errors: dict[str, Any]
) -> Quantity | None:
    """The typed starting point. Left empty on a KPI, the KPI's latest logged value is taken
    after the ack; a KPI with nothing logged (as of the form's opening) is told here what to
    log, and a KR on no KPI still needs one typed."""
    if key is None or (chosen(values, KR_BASELINE, "value") or "").strip():
        return _quantity(values, KR_BASELINE, reading, errors, missing="okr.ui.form.baseline_missing")
    refusal = (metadata.get("unlogged") or {}).get(key)
    if refusal is not None:
        message_id, params = refusal
        errors[KR_BASELINE] = (message_id, {**params, **example_params(date.fromisoformat(metadata["today"]), reading["language"])})
    return None


def _quantity(values: dict[str, Any], block: str, reading: dict[str, Any], errors: dict[str, Any], *, missing: str) -> Quantity | None:
    typed = (chosen(values, block, "value") or "").strip()
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


def _day(values: dict[str, Any], block: str, errors: dict[str, Any]) -> date | None:
    typed = chosen(values, block, "selected_date")
    try:
        if typed:
            return date.fromisoformat(typed)
    except ValueError:
        pass
    errors[block] = "okr.ui.form.choose_date"
    return None


def _milestones(
    values: dict[str, Any], reading: dict[str, Any], start: date | None, deadline: date | None,
    baseline: Quantity | None, target: Quantity | None, errors: dict[str, Any],
) -> tuple[Milestone, ...]:
    """"1,4 % 28/02/2026; 1,5 % 31/03/2026": each inside the KR's dates and values."""
    typed = (chosen(values, KR_MILESTONES, "value") or "").strip()
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


def _confidence(values: dict[str, Any], block: str, errors: dict[str, Any]) -> int | None:
    typed = (chosen(values, block, "value") or "").strip()
    if not typed:
        return None
    found = CONFIDENCE.fullmatch(typed)
    if found is None or not 1 <= int(found.group(1)) <= 10:
        errors[block] = ("okr.ui.form.confidence_range", {"value": typed})
        return None
    return int(found.group(1))


def _catalog(session: Session, team: AlignmentTeam) -> dict[str, KpiSpec]:
    return {kpi.key: kpis.spec_of(kpi) for kpi in kpis.active_kpis(session, team=team)}


def _draft(session: Session, team: AlignmentTeam, form: KeyResultForm, today: date) -> tuple[KeyResult, okr.LoggedValue | None]:
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


def submit_new(interaction: Interaction) -> Reply:
    """The objective and its first KR in one unit of work: a refused KR leaves no objective."""
    form: NewObjectiveForm = interaction.value
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        row = okr.create_objective(
            session, team=team, actor=interaction.user_id, draft=Objective(form.title, form.kind), now=interaction.now
        )
        added = _add_from_form(session, team, interaction, row.id, form.key_result)
        second = _add_from_form(session, team, interaction, row.id, form.second) if form.second is not None else None
        where, channel = team_locale(team), team.channel_id
    objective = (second or added).objective
    posted = _post(interaction, channel, objective_post(objective, where, actor=interaction.user_id), claim=f"okr-objective-{objective.id}")
    if second is None:
        return created_with_kr_reply(added, where, channel_id=channel, posted=posted)
    first = created_with_kr_reply(replace(added, warnings=()), where, channel_id=channel, posted=posted)
    return with_second_kr(first, second, where)  # the board's warnings once, with both KRs on it


def _add_from_form(session: Session, team: AlignmentTeam, interaction: Interaction, objective_id: int, form: KeyResultForm) -> okr.AddedKeyResult:
    draft, logged = _draft(session, team, form, _today(team, interaction))
    return okr.add_key_result(
        session, team=team, actor=interaction.user_id, objective_id=objective_id, draft=draft, now=interaction.now, logged_baseline=logged,
    )


# Key results ---------------------------------------------------------------------------------------


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
        parsed = okr.read_key_result_line(session, team=team, text=remainder.strip(), today=_today(team, request))
        added = okr.add_key_result(
            session, team=team, actor=request.user_id, objective_id=parent.id, draft=parsed.key_result, now=request.now,
            logged_baseline=parsed.logged_baseline,
        )
        where, channel = team_locale(team), team.channel_id
    return _announce_kr(request, added, where, channel)


def _announce_kr(ctx: Context, added: okr.AddedKeyResult, where: TeamLocale, channel: str) -> Reply:
    post = kr_added_post(added, where, actor=ctx.user_id)
    posted = _post(ctx, channel, post, claim=f"okr-kr-{added.key_result.id}")
    return kr_added_reply(added, where, channel_id=channel, posted=posted)


def open_kr_button(interaction: Interaction) -> None:
    """The "Add key result" button of an objective: the KR form, the objective fixed."""
    reference = f"O{interaction.value}"
    with read_only(interaction.runtime.session_factory) as session:
        team = team_of(session, interaction.scope)
        if not roles_of(team, interaction.user_id):
            raise UserError("okr.not_a_lead")
        today = _today(team, interaction)
        objective = okr.objective(session, team=team, reference=reference, today=today)
        if not objective.active:
            raise UserError("okr.objective_closed", objective=objective.label)
        catalog = kpis.catalog(session, team=team)
        where, channel = team_locale(team), team.channel_id
        specs = [view.spec for view in catalog]
        metadata = _form_metadata(channel, where, today, specs, unlogged=_unlogged(session, team, specs, today), objective=objective.number)
    view = key_result_modal(where, objective, kpis=[(v.key, v.name) for v in catalog], today=today, metadata=metadata,
                            owner=interaction.user_id)
    interaction.client.views_open(trigger_id=interaction.trigger_id, view=view)
    return None


def submit_kr(interaction: Interaction) -> Reply:
    number, form = interaction.value
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        parent = okr.find_objective(session, team=team, reference=str(number))
        draft, logged = _draft(session, team, form, _today(team, interaction))
        added = okr.add_key_result(
            session, team=team, actor=interaction.user_id, objective_id=parent.id, draft=draft, now=interaction.now, logged_baseline=logged,
        )
        where, channel = team_locale(team), team.channel_id
    return _announce_kr(interaction, added, where, channel)


# Check-ins --------------------------------------------------------------------------------------------


def _currency(row: OkrKeyResult) -> str:
    """How "$" reads for this KR: its unit when that is a currency."""
    return row.unit if row.unit and row.unit not in (PERCENT, HOURS) else DEFAULT_CURRENCY


def checkin(request: CommandRequest, rest: str) -> Reply | None:
    """`okr checkin KR3 1,4 % confianza 7 nota`; without text, the form with my KRs."""
    if not rest:
        return open_checkin_form(request, selected=None)
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        reading = {"language": team.locale, "country": team.country}
        parsed = parse_checkin(rest, **reading)
        currency = _currency(okr.find_key_result(session, team=team, reference=parsed.kr_number))
        if currency != DEFAULT_CURRENCY:
            parsed = parse_checkin(rest, currency=currency, **reading)
        result = okr.check_in(session, team=team, actor=request.user_id, checkin=parsed, now=request.now)
        where = team_locale(team)
    return checked_in_reply(result, where)


def open_checkin_button(interaction: Interaction) -> Reply | None:
    """A KR's "Check in" button, on the board or in the reminder DM: the form, that KR chosen."""
    try:
        number = int(str(interaction.value or "").strip().upper().removeprefix("KR"))
    except ValueError:
        raise UserError("okr.invalid_kr_id", text=str(interaction.value or "")) from None
    return open_checkin_form(interaction, selected=number)


def open_checkin_form(ctx: Context, *, selected: int | None) -> Reply | None:
    with read_only(ctx.runtime.session_factory) as session:
        teams = _teams_for(session, ctx, selected)
        if len(teams) > 1:  # a DM, and the same KR number in two of the person's teams
            language = teams[0].locale if ctx.scope.team_id is None else ctx.locale
            channels = ", ".join(f"<#{team.channel_id}>" for team in teams)
            return notice(t(language, "okr.ui.checkin.several_teams", kr=format_kr_id(selected or 0), channels=channels))
        team = teams[0]
        today, where = _today(team, ctx), team_locale(team)
        mine = okr.key_results_of(session, team=team, owner=ctx.user_id, today=today)
        if selected is not None and selected not in {kr.result.number for kr in mine}:
            other = okr.key_result(session, team=team, reference=selected, today=today)
            row = okr.find_key_result(session, team=team, reference=selected)
            if other.owner != ctx.user_id and not roles_of(team, ctx.user_id):
                raise UserError("okr.checkin_not_owner", kr=other.short_id, owner=row.owner_user_id)
            if not other.objective_active:
                raise UserError("okr.objective_closed", objective=f"O{other.objective_number}")
            mine = [other, *mine]
        channel = team.channel_id
    if not mine:
        return notice(t(where.language, "okr.ui.checkin.none_mine"))
    kpi_backed = [kr.result.number for kr in mine if kr.spec is not None]
    units = {str(kr.result.number): kr.result.unit for kr in mine if kr.result.unit and kr.result.unit not in (PERCENT, HOURS)}
    metadata = modal_metadata(
        channel_id=channel, locale=where.language, from_home=ctx.from_home, country=where.country, kpi_backed=kpi_backed, currencies=units,
    )
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=checkin_modal(where, mine, selected=selected, metadata=metadata))
    return None


def _teams_for(session: Session, ctx: Context, number: int | None) -> list[AlignmentTeam]:
    """The request's team; from a DM (the reminder), the team whose KR `number` the person may
    check in. The modal then carries that team's channel, never the DM's."""
    if ctx.scope.team_id is not None or number is None:
        return [team_of(session, ctx.scope)]
    found = []
    for team in repositories.teams_of_workspace(session, workspace_id=ctx.scope.workspace_id):
        try:
            row = okr.find_key_result(session, team=team, reference=number)
        except UserError:
            continue
        if row.owner_user_id == ctx.user_id or roles_of(team, ctx.user_id):
            found.append((row.owner_user_id == ctx.user_id and row.objective.status is ObjectiveStatus.ACTIVE, team))
    preferred = [team for owned, team in found if owned] or [team for _, team in found]
    if not preferred:
        raise UserError("okr.unknown_kr", kr=format_kr_id(number))
    return preferred


def read_checkin_form(values: dict[str, Any], metadata: dict[str, Any]) -> CheckIn:
    errors: dict[str, Any] = {}
    chosen_kr = chosen(values, CHECKIN_KR)
    number = int(chosen_kr) if chosen_kr and str(chosen_kr).isdigit() else None
    if number is None:
        errors[CHECKIN_KR] = "okr.ui.form.choose"
    typed = (chosen(values, CHECKIN_VALUE, "value") or "").strip()
    note = (chosen(values, CHECKIN_NOTE, "value") or "").strip()
    confidence = _confidence(values, CHECKIN_CONFIDENCE, errors)
    kpi_backed = number in (metadata.get("kpi_backed") or [])
    value: Quantity | None = None
    if number is not None and kpi_backed and typed:
        errors[CHECKIN_VALUE] = "okr.ui.checkin.form.kpi_backed"
    elif number is not None and not kpi_backed and not typed:
        errors[CHECKIN_VALUE] = "okr.ui.checkin.form.value_missing"
    elif typed:
        currency = (metadata.get("currencies") or {}).get(str(number), DEFAULT_CURRENCY)
        reading = {"language": metadata.get("locale") or "es", "country": metadata.get("country"), "currency": currency}
        value = _quantity(values, CHECKIN_VALUE, reading, errors, missing="okr.ui.checkin.form.value_missing")
    if kpi_backed and confidence is None and not note and CHECKIN_CONFIDENCE not in errors:
        errors[CHECKIN_CONFIDENCE] = "okr.ui.checkin.form.kpi_needs_confidence"
    if len(note) > MAX_NOTE_LENGTH:
        errors[CHECKIN_NOTE] = ("okr.ui.form.too_long", {"limit": MAX_NOTE_LENGTH})
    if errors:
        raise FieldErrors(errors)
    assert number is not None
    return CheckIn(number, value.value if value else None, value.unit if value else None, confidence, note)


def submit_checkin(interaction: Interaction) -> Reply:
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        result = okr.check_in(session, team=team, actor=interaction.user_id, checkin=interaction.value, now=interaction.now)
        where = team_locale(team)
    return checked_in_reply(result, where)


# Re-targets and closing ------------------------------------------------------------------------------------


def retarget(request: CommandRequest, rest: str) -> Reply:
    """`okr meta KR3 20 % al 30/06/2026 razón …`: visible and audited (okr_retargets, audit log)."""
    if not rest:
        raise UserError("okr.ui.retarget.usage", **example_params(request.now.date(), request.locale))
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        today = _today(team, request)
        reading = {"language": team.locale, "country": team.country, "today": today}
        parsed = parse_retarget(rest, **reading)
        row = okr.find_key_result(session, team=team, reference=parsed.kr_number)
        if _currency(row) != DEFAULT_CURRENCY:
            parsed = parse_retarget(rest, currency=_currency(row), **reading)
        target = parsed.target
        if target is not None and target.unit and target.unit != row.unit:
            if row.unit is None:
                raise UserError("okr.ui.retarget.unitless", kr=parsed.kr, unit=target.unit)
            raise UserError("okr.ui.retarget.wrong_unit", kr=parsed.kr, unit=target.unit, expected=row.unit)
        result = okr.retarget(
            session, team=team, actor=request.user_id, reference=parsed.kr, target=target.value if target else None,
            deadline=parsed.deadline, reason=parsed.reason, now=request.now,
        )
        where, channel = team_locale(team), team.channel_id
    kr = result.key_result
    posted = _post(request, channel, retarget_post(result, where, actor=request.user_id), claim=f"okr-retarget-{kr.id}-{kr.retargets}")
    return retargeted_reply(result, where, channel_id=channel, posted=posted)


def close(request: CommandRequest, rest: str) -> Reply:
    reference = rest.split()[0] if rest.split() else ""
    if not reference:
        raise UserError("okr.ui.close.usage")
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        view = okr.close_objective(session, team=team, actor=request.user_id, reference=reference, now=request.now)
        where, channel = team_locale(team), team.channel_id
    posted = _post(request, channel, closed_post(view, where, actor=request.user_id), claim=f"okr-close-{view.id}")
    return closed_reply(view, where, channel_id=channel, posted=posted)


HANDLERS: dict[str, Callable[[CommandRequest, str], Reply | None]] = {
    "list": board, "all": board_all, "new": new, "kr": key_result, "checkin": checkin,
    "retarget": retarget, "close": close, "show": show,
}
