"""`/alinea sla …`: SLA commitments between marketing and sales.

    sla | sla list | lista                the commitments: terms, status, this period, attainment
    sla new | nuevo SIDE KPI CMP TARGET PERIOD [ack N h] [term T] [responsible @lead] [from YYYY-MM-DD]
    sla new | nuevo                       the same as a form, with every field
    sla templates | plantillas            starter commitments, each with a prefilled form
    sla accept | aceptar SLA3             accept the version waiting (same as its Accept button)
    sla breaches | incumplimientos        open breaches (commands/sla_breach.py)
    sla close | cerrar B3 NOTE            an admin closes a breach (commands/sla_breach.py)

Every write is committed before anything is posted to Slack (no lock held across the network);
posts carry a claim id, so a retry never posts twice; the message ts is recorded in a second
short transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Callable, Union

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session

from bot.blocks import Reply
from bot.blocks.team import TeamInfo
from bot.blocks.sla import (
    ACCEPT,
    ACK_WINDOW,
    COMPARATOR,
    KPI,
    NEW_VIEW,
    PERIOD,
    PROPOSE_TEMPLATE,
    RESPONSIBLE,
    SIDE,
    STARTS_ON,
    TARGET,
    TERM,
    Prefill,
    accepted_reply,
    active_thread_reply,
    commitments_list,
    new_modal,
    no_kpis_reply,
    proposal_message,
    proposed_reply,
    template_prefill,
    templates_reply,
)
from bot.notifier import POST_FAILURES, Message, Notifier
from commands import sla_breach
from commands.context import CommandRequest, FieldErrors, Interaction, dispatch_subword, modal_metadata, team_of
from commands.modal_state import Submitted
from commands.team_info import team_info
from db.models import AlignmentTeam, SlaStatus
from db.session import read_only
from domain.errors import UserError
from domain.glossary import MAX_TERM_LENGTH, Side
from domain.kpis import Unit
from domain.number_style import DEFAULT_CURRENCY
from domain.numbers import parse_quantity, typed_whole
from domain.periods import local_date
from domain.sla import MAX_ACK_WINDOW_HOURS, Commitment, Comparator, parse_commitment
from domain.sla_line import split_line
from domain.sla_templates import SLA_TEMPLATES, sla_template
from services import kpis, sla
from services.i18n import language_of
from services.sla import SlaProposal, SlaVersionView
from services.teams import roles_of

logger = logging.getLogger(__name__)

__all__ = ["ACCEPT", "NEW_VIEW", "PROPOSE_TEMPLATE", "accept", "handle", "propose_template", "read_new_form", "submit_new"]

Context = Union[CommandRequest, Interaction]
WORDS = {
    "list": "list", "lista": "list", "new": "new", "nuevo": "new", "nueva": "new",
    "templates": "templates", "plantillas": "templates", "accept": "accept", "aceptar": "accept",
    "breaches": "breaches", "incumplimientos": "breaches", "close": "close", "cerrar": "close",
}
SIDES = {side.value for side in (Side.MARKETING, Side.SALES)}
COMPARATORS = {comparator.value for comparator in Comparator}
PERIODS = {"week", "month"}


@dataclass(frozen=True)
class NewCommitment:
    """A proposal as typed or submitted, before the service checks it against the team."""

    terms: Commitment
    responsible: str | None = None
    starts_on: date | None = None


def handle(request: CommandRequest) -> Reply | None:
    return dispatch_subword(request, WORDS, HANDLERS, usage_id="sla.ui.usage", default="list")


# Posting and updating ------------------------------------------------------------------------------


def _as_message(reply: Reply) -> Message:
    return Message(reply.text, reply.blocks)


def _update_quietly(notifier: Notifier, version: SlaVersionView, reply: Reply) -> None:
    """Refresh a message we posted. The database is the record; a deleted message or a Slack
    hiccup must not turn a committed decision into an error for the person."""
    if not (version.channel_id and version.message_ts):
        return
    try:
        notifier.update(channel=version.channel_id, ts=version.message_ts, message=_as_message(reply))
    except (SlackApiError, SlackClientError, OSError):
        logger.warning("could not update the message of SLA version %s", version.id, exc_info=True)


# /alinea sla [list] --------------------------------------------------------------------------------


def listing(request: CommandRequest, _rest: str) -> Reply:
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        return commitments_list(sla.listing(session, team=team, now=request.now), team_info(team))


# /alinea sla new -------------------------------------------------------------------------------------


def new(request: CommandRequest, rest: str) -> Reply | None:
    if not rest:
        return open_new_form(request)
    line = split_line(rest, today=request.now.date())
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        language, country = team.locale, team.country
        currency = _currency_named_in(session, team, line.terms_text)
    terms = parse_commitment(line.terms_text, language=language, country=country, currency=currency)
    return propose_and_publish(request, NewCommitment(terms, line.responsible, line.starts_on))


def _currency_named_in(session: Session, team: AlignmentTeam, text: str) -> str:
    """The currency of the KPI the line names (its second word), so "$" reads as that currency."""
    words = text.split()
    key = words[1].lower() if len(words) > 1 else ""
    return next((kpi.currency or DEFAULT_CURRENCY for kpi in kpis.active_kpis(session, team=team) if kpi.key == key), DEFAULT_CURRENCY)


def propose_and_publish(ctx: Context, new: NewCommitment) -> Reply:
    """Save the proposal (commit), post it with its Accept button, record where it was posted,
    mark the proposal it withdrew, and tell the person what happens next."""
    try:
        with ctx.unit_of_work() as session:
            team = team_of(session, ctx.scope)
            proposal = sla.propose(
                session, team=team, actor=ctx.user_id, terms=new.terms, now=ctx.now,
                responsible=new.responsible, starts_on=new.starts_on,
            )
            info = team_info(team)
    except UserError as error:
        if error.message_id != "sla.duplicate_proposal":
            raise
        # The same proposal again: fine if an earlier attempt saved it but could not post it.
        proposal, info = _unposted_duplicate(ctx, new.terms, error)
    notifier, version = ctx.notifier, proposal.version
    message = proposal_message(version, info, in_force=proposal.in_force)
    ts = notifier.post(channel=info.channel_id, message=_as_message(message), claim=f"sla-version-{version.id}")
    with ctx.unit_of_work() as session:
        sla.record_post(session, team=team_of(session, ctx.scope), version_id=version.id, channel_id=info.channel_id, ts=ts)
    if proposal.withdrawn is not None:
        _update_quietly(notifier, proposal.withdrawn, proposal_message(proposal.withdrawn, info, replaced_by=version.number))
    return proposed_reply(proposal, info, permalink=notifier.permalink(channel=info.channel_id, ts=ts))


def _unposted_duplicate(ctx: Context, terms: Commitment, error: UserError) -> tuple[SlaProposal, TeamInfo]:
    with read_only(ctx.runtime.session_factory) as session:
        team = team_of(session, ctx.scope)
        for commitment in sla.commitments(session, team=team):
            pending = sla.with_status(commitment, SlaStatus.PENDING)
            if pending is None or commitment.side != terms.side.value or sla.terms_of(pending).kpi_key != terms.kpi_key:
                continue
            if pending.message_ts is not None:
                break
            in_force = sla.with_status(commitment, SlaStatus.ACTIVE)
            proposal = SlaProposal(sla.view_of(team, pending), sla.view_of(team, in_force) if in_force else None, None)
            return proposal, team_info(team)
    raise error


# The form ------------------------------------------------------------------------------------------------


def open_new_form(ctx: Context, prefill: Callable[[TeamInfo], Prefill] | None = None) -> Reply | None:
    """The modal with every field (prefilled from a template when given); a refusal instead when
    the person cannot propose or the team has no KPI to promise on."""
    with read_only(ctx.runtime.session_factory) as session:
        team = team_of(session, ctx.scope)
        if not roles_of(team, ctx.user_id):
            raise UserError("sla.not_a_member")
        catalog = kpis.catalog(session, team=team)
        info, today = team_info(team), local_date(ctx.now, team.timezone)
    if not catalog:
        return no_kpis_reply(info.locale)
    # What the pure validation before the ack needs to read a target the team's way.
    currencies = {view.key: view.spec.currency for view in catalog if view.spec.unit is Unit.CURRENCY and view.spec.currency != DEFAULT_CURRENCY}
    metadata = modal_metadata(channel_id=ctx.channel_id, locale=info.locale, country=info.country, currencies=currencies)
    view = new_modal(info, kpis=[(view.key, view.name) for view in catalog], today=today, metadata=metadata,
                     prefill=prefill(info) if prefill else None)
    ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)
    return None


def read_new_form(form: Submitted, metadata: dict[str, Any]) -> NewCommitment:
    """Pure checks of the form, shown beside the fields; whether the KPI suits the promise, the
    responsible is a lead, the term exists… is the service's, after the ack."""
    errors: dict[str, Any] = {}
    side, key, comparator, period = (_choice(form, block, allowed, errors) for block, allowed in (
        (SIDE, SIDES), (KPI, None), (COMPARATOR, COMPARATORS), (PERIOD, PERIODS),
    ))
    target, unit = _target(form, metadata, key, errors)
    window = _ack_window(form, errors)
    term = form.text(TERM) or None
    if term and len(term) > MAX_TERM_LENGTH:
        errors[TERM] = ("sla.term_too_long", {"limit": MAX_TERM_LENGTH, "length": len(term)})
    starts_on = _day(form, errors)
    if errors:
        raise FieldErrors(errors)
    terms = Commitment(
        side=Side(side), kpi_key=key, comparator=Comparator(comparator), target=target, period_kind=period,
        ack_window_hours=window, term=term, target_unit=unit,
    )
    return NewCommitment(terms, responsible=form.user(RESPONSIBLE), starts_on=starts_on)


def _choice(form: Submitted, block: str, allowed: set[str] | None, errors: dict[str, Any]) -> Any:
    value = form.selected(block)
    if not value or (allowed is not None and value not in allowed):
        errors[block] = "sla.ui.form.choose"
    return value


def _target(form: Submitted, metadata: dict[str, Any], key: str | None, errors: dict[str, Any]) -> tuple[Any, str | None]:
    typed = form.text(TARGET)
    if not typed:
        errors[TARGET] = "sla.ui.form.target_missing"
        return None, None
    currency = (metadata.get("currencies") or {}).get(key or "", DEFAULT_CURRENCY)
    try:
        quantity, rest = parse_quantity(typed, language=metadata.get("locale") or "es", country=metadata.get("country"), currency=currency)
    except UserError as error:
        errors[TARGET] = (error.message_id, dict(error.params))
        return None, None
    if rest.strip():
        errors[TARGET] = ("sla.ui.form.target_extra", {"extra": rest.strip()})
    return quantity.value, quantity.unit


def _ack_window(form: Submitted, errors: dict[str, Any]) -> int:
    typed = form.text(ACK_WINDOW)
    hours = typed_whole(typed, limit=MAX_ACK_WINDOW_HOURS + 1) or 0
    if not 1 <= hours <= MAX_ACK_WINDOW_HOURS:
        errors[ACK_WINDOW] = ("sla.ui.form.ack_window_invalid", {"limit": MAX_ACK_WINDOW_HOURS})
    return hours


def _day(form: Submitted, errors: dict[str, Any]) -> date | None:
    try:
        return form.date(STARTS_ON)
    except ValueError:
        errors[STARTS_ON] = "sla.ui.form.choose"
        return None


def submit_new(interaction: Interaction) -> Reply:
    return propose_and_publish(interaction, interaction.value)


# Templates ---------------------------------------------------------------------------------------------


def templates(request: CommandRequest, _rest: str) -> Reply:
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        keys = {kpi.key for kpi in kpis.active_kpis(session, team=team)}
        info = team_info(team)
    command_word = "nuevo" if language_of(info.locale) == "es" else "new"
    return templates_reply(SLA_TEMPLATES, info, available_keys=keys, command_word=command_word)


def propose_template(interaction: Interaction) -> Reply | None:
    """A template's Propose button: the form, filled with the template."""
    template = sla_template(str(interaction.value or ""))
    if template is None:
        raise UserError("sla.ui.unknown_template")
    return open_new_form(interaction, lambda info: template_prefill(template, info))


# Accepting --------------------------------------------------------------------------------------------


def _version_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError("sla.version_not_found") from None


def accept(interaction: Interaction) -> Reply:
    """The proposal's Accept button."""
    version_id = _version_id(interaction.value)
    return accept_and_publish(interaction, lambda _session, _team: version_id)


def accept_command(request: CommandRequest, rest: str) -> Reply:
    """`/alinea sla accept SLA3`: the version of SLA3 waiting for acceptance."""
    if not rest:
        raise UserError("sla.ui.accept_usage")
    return accept_and_publish(request, lambda session, team: _waiting_version_id(session, team, rest))


def _waiting_version_id(session: Session, team: AlignmentTeam, reference: str) -> int:
    commitment = sla.find_commitment(session, team=team, reference=reference)
    pending = sla.with_status(commitment, SlaStatus.PENDING)
    if pending is None:
        raise UserError("sla.ui.nothing_to_accept", sla=f"SLA{commitment.number}")
    return pending.id


def accept_and_publish(ctx: Context, version_to_accept: Callable[[Session, AlignmentTeam], int]) -> Reply:
    with ctx.unit_of_work() as session:
        team = team_of(session, ctx.scope)
        outcome = sla.accept(session, team=team, version_id=version_to_accept(session, team), actor=ctx.user_id, now=ctx.now)
        info = team_info(team)
    version, notifier = outcome.version, ctx.notifier
    _redraw_proposal(ctx, version.id)
    if outcome.active:
        _announce_active(notifier, version, info)
        if outcome.superseded is not None:
            _update_quietly(notifier, outcome.superseded, proposal_message(outcome.superseded, info, replaced_by=version.number))
    return accepted_reply(version, info, active=outcome.active)


def _redraw_proposal(ctx: Context, version_id: int) -> None:
    """Update a proposal's message from a fresh read: when both leads accept at once, each update
    shows everything committed so far, so a late update cannot bring back a stale button."""
    with read_only(ctx.runtime.session_factory) as session:
        team = team_of(session, ctx.scope)
        latest = sla.version(session, team=team, version_id=version_id)
        in_force = None
        if latest.status is SlaStatus.PENDING:
            commitment = sla.find_commitment(session, team=team, reference=str(latest.commitment_number))
            active = sla.with_status(commitment, SlaStatus.ACTIVE)
            in_force = sla.view_of(team, active) if active else None
        info = team_info(team)
    _update_quietly(ctx.notifier, latest, proposal_message(latest, info, in_force=in_force))


def _announce_active(notifier: Notifier, version: SlaVersionView, info: TeamInfo) -> None:
    if not (version.channel_id and version.message_ts):
        return
    try:
        notifier.post(
            channel=version.channel_id, message=_as_message(active_thread_reply(version, info)),
            claim=f"sla-active-{version.id}", thread_ts=version.message_ts,
        )
    except POST_FAILURES:
        logger.warning("could not announce that SLA version %s is in force", version.id, exc_info=True)


# Breaches (commands/sla_breach.py) ----------------------------------------------------------------------


def breaches(request: CommandRequest, rest: str) -> Reply | None:
    return sla_breach.list_breaches(replace(request, args=rest))


def close(request: CommandRequest, rest: str) -> Reply | None:
    return sla_breach.close(replace(request, args=rest))


HANDLERS: dict[str, Callable[[CommandRequest, str], Reply | None]] = {
    "list": listing, "new": new, "templates": templates, "accept": accept_command, "breaches": breaches, "close": close,
}
