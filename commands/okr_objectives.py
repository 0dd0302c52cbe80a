"""New objectives: `okr nuevo` (the form, or the objective alone in one line), the board's "New
objective" button, and the form's submission: the objective and its first key result (and the
second one a customer-feedback theme proposes, while its box is ticked) in one unit of work, so a
refused KR leaves no objective. The same form opens filled in from a what-if path and from a
customer-feedback theme (`open_new_form`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from sqlalchemy.orm import Session

from bot.blocks import Reply
from bot.blocks.okr import (
    KeyResultPrefill,
    KIND,
    NEW_OPEN,
    NEW_VIEW,
    SECOND,
    SECOND_KEEP,
    TITLE,
    SecondKeyResult,
    created_reply,
    created_with_kr_reply,
    new_objective_modal,
    objective_post,
    with_second_kr,
)
from commands.context import CommandRequest, FieldErrors, Interaction, team_of
from commands.modal_state import Submitted
from commands.okr_channel import Context, post_to_team, team_today
from commands.okr_key_results import KeyResultForm, draft_of, form_metadata, read_key_result, unlogged_kpis
from db.models import AlignmentTeam
from db.session import read_only
from domain.errors import UserError
from domain.locales import TeamLocale, team_locale
from domain.number_format import format_quantity
from domain.number_style import PERCENT
from domain.okr import MAX_TITLE_LENGTH, Objective, ObjectiveKind, parse_objective
from services import kpis, okr
from services.i18n import language_of, t
from services.teams import roles_of

__all__ = ["NEW_OPEN", "NEW_VIEW", "new", "open_new_button", "open_new_form", "read_new_form", "submit_new"]


def new(request: CommandRequest, rest: str) -> Reply | None:
    """No text: the form. With text: `[comprometido|aspiracional] TITLE`, the objective alone."""
    if not rest:
        return open_new_form(request)
    draft = parse_objective(rest)
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        row = okr.create_objective(session, team=team, actor=request.user_id, draft=draft, now=request.now)
        today = team_today(team, request)
        view = okr.objective_view(session, team, row, today=today)
        where, channel = team_locale(team), team.channel_id
    posted = post_to_team(request, channel, objective_post(view, where, actor=request.user_id), claim=f"okr-objective-{view.id}")
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
        where, today, channel = team_locale(team), team_today(team, ctx), team.channel_id
        specs = [view.spec for view in catalog]
        metadata = form_metadata(channel, where, today, specs, unlogged=unlogged_kpis(session, team, specs, today))
    view = new_objective_modal(where, kpis=[(v.key, v.name) for v in catalog], today=today, metadata=metadata, owner=ctx.user_id,
                               prefill=prefill, title=title, second=second)
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)
    return None


def open_new_button(interaction: Interaction) -> None:
    """The board's "New objective" button."""
    return open_new_form(interaction)


@dataclass(frozen=True)
class NewObjectiveForm:
    title: str
    kind: ObjectiveKind
    key_result: KeyResultForm
    second: KeyResultForm | None = None  # a second proposed KR its box kept


def read_new_form(form: Submitted, metadata: dict[str, Any]) -> NewObjectiveForm:
    errors: dict[str, Any] = {}
    title = form.text(TITLE)
    if not title:
        errors[TITLE] = "okr.ui.form.title_missing"
    elif len(title) > MAX_TITLE_LENGTH:
        errors[TITLE] = ("okr.ui.form.title_too_long", {"limit": MAX_TITLE_LENGTH, "length": len(title)})
    kind = form.selected(KIND)
    if kind not in {k.value for k in ObjectiveKind}:
        errors[KIND] = "okr.ui.form.choose"
    key_result = read_key_result(form, metadata, errors)
    second = _read_second_key_result(form, metadata, errors)
    if errors:
        raise FieldErrors(errors)
    assert key_result is not None
    return NewObjectiveForm(title, ObjectiveKind(kind), key_result, second)


def _read_second_key_result(form: Submitted, metadata: dict[str, Any], errors: dict[str, Any]) -> KeyResultForm | None:
    """The second proposed KR (`second_key_result_blocks`) while its box is ticked: the same
    checks as the first's, its problems shown beside its own fields."""
    if not form.selected_many(SECOND_KEEP):
        return None
    found: dict[str, Any] = {}
    key_result = read_key_result(form.within(SECOND), metadata, found)
    errors.update({SECOND + block: problem for block, problem in found.items()})
    return key_result


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
    posted = post_to_team(interaction, channel, objective_post(objective, where, actor=interaction.user_id), claim=f"okr-objective-{objective.id}")
    if second is None:
        return created_with_kr_reply(added, where, channel_id=channel, posted=posted)
    first = created_with_kr_reply(replace(added, warnings=()), where, channel_id=channel, posted=posted)
    return with_second_kr(first, second, where)  # the board's warnings once, with both KRs on it


def _add_from_form(session: Session, team: AlignmentTeam, interaction: Interaction, objective_id: int, form: KeyResultForm) -> okr.AddedKeyResult:
    draft, logged = draft_of(session, team, form, team_today(team, interaction))
    return okr.add_key_result(
        session, team=team, actor=interaction.user_id, objective_id=objective_id, draft=draft, now=interaction.now, logged_baseline=logged,
    )
