"""Check-ins: `okr checkin KR3 VALUE [confianza N] [nota]` in one line, or the form with the KRs I
own (also behind the board's and the reminder DM's "Check in" button, which from a DM finds the
KR's team), read before the ack and recorded in one unit of work.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.blocks import Reply
from bot.blocks.okr import (
    CHECKIN_CONFIDENCE,
    CHECKIN_KR,
    CHECKIN_NOTE,
    CHECKIN_OPEN,
    CHECKIN_VALUE,
    CHECKIN_VIEW,
    MAX_NOTE_LENGTH,
    checked_in_reply,
    checkin_modal,
    notice,
)
from commands.context import CommandRequest, FieldErrors, Interaction, modal_metadata, team_of
from commands.modal_state import Submitted
from commands.okr_channel import Context, team_today
from commands.okr_key_results import read_confidence, read_quantity
from db import repositories
from db.models import AlignmentTeam, ObjectiveStatus, OkrKeyResult
from db.session import read_only
from domain.errors import UserError
from domain.locales import team_locale
from domain.number_style import DEFAULT_CURRENCY, HOURS, PERCENT
from domain.numbers import Quantity
from domain.okr import CheckIn, format_kr_id
from domain.okr_checkin_line import parse_checkin
from services import okr
from services.i18n import t
from services.teams import roles_of

__all__ = ["CHECKIN_OPEN", "CHECKIN_VIEW", "checkin", "open_checkin_button", "read_checkin_form", "submit_checkin"]


def currency_of(row: OkrKeyResult) -> str:
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
        currency = currency_of(okr.find_key_result(session, team=team, reference=parsed.kr_number))
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
        today, where = team_today(team, ctx), team_locale(team)
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


def read_checkin_form(form: Submitted, metadata: dict[str, Any]) -> CheckIn:
    errors: dict[str, Any] = {}
    chosen_kr = form.selected(CHECKIN_KR)
    number = int(chosen_kr) if chosen_kr and str(chosen_kr).isdigit() else None
    if number is None:
        errors[CHECKIN_KR] = "okr.ui.form.choose"
    typed = form.text(CHECKIN_VALUE)
    note = form.text(CHECKIN_NOTE)
    confidence = read_confidence(form, CHECKIN_CONFIDENCE, errors)
    kpi_backed = number in (metadata.get("kpi_backed") or [])
    value: Quantity | None = None
    if number is not None and kpi_backed and typed:
        errors[CHECKIN_VALUE] = "okr.ui.checkin.form.kpi_backed"
    elif number is not None and not kpi_backed and not typed:
        errors[CHECKIN_VALUE] = "okr.ui.checkin.form.value_missing"
    elif typed:
        currency = (metadata.get("currencies") or {}).get(str(number), DEFAULT_CURRENCY)
        reading = {"language": metadata.get("locale") or "es", "country": metadata.get("country"), "currency": currency}
        value = read_quantity(form, CHECKIN_VALUE, reading, errors, missing="okr.ui.checkin.form.value_missing")
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
