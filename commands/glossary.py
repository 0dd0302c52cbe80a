"""`/alinea define` and `/alinea glossary`: propose a definition, approve it or ask for changes
with the proposal's buttons, and read the glossary.

Every write is committed before anything is posted to Slack (no lock is held across the
network); posts carry a claim id, so a retry never posts twice; the message ts is recorded
in a second short transaction.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Callable, Union

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session

from bot.blocks import Reply
from bot.blocks.glossary import (
    ALIASES,
    APPROVE,
    CHANGES_VIEW,
    DEFINE_VIEW,
    DEFINITION,
    EXAMPLES,
    FIELD_BLOCKS,
    FORMULA,
    NAME,
    NON_EXAMPLES,
    OWNER,
    REASON,
    REQUEST_CHANGES,
    SOURCE_SYSTEM,
    agreed_thread_reply,
    approved_reply,
    changes_modal,
    changes_posted_reply,
    changes_thread_reply,
    define_modal,
    glossary_list,
    notice,
    proposal_message,
    proposed_reply,
    term_detail,
    term_history,
)
from bot.blocks.team import TeamInfo
from bot.notifier import POST_FAILURES, Message, Notifier
from commands.context import CommandRequest, FieldErrors, Interaction, modal_metadata, team_of
from commands.modal_state import Submitted
from commands.team_info import team_info
from db.models import AlignmentTeam, VersionStatus
from db.session import read_only
from domain.errors import UserError
from domain.glossary import (
    Side,
    TermDraft,
    changes_between,
    parse_define,
    parse_glossary_args,
    split_aliases,
    term_key,
    validate_draft,
)
from services import glossary
from services.glossary import MAX_REASON_LENGTH, Proposal, TermView, VersionView
from services.i18n import t
from services.teams import roles_of

logger = logging.getLogger(__name__)

__all__ = [
    "APPROVE", "CHANGES_VIEW", "DEFINE_VIEW", "REQUEST_CHANGES",
    "approve", "ask_for_changes", "define", "show", "submit_changes", "submit_define", "validate_changes", "validate_define",
]

Context = Union[CommandRequest, Interaction]
UNKNOWN_TERM = {"glossary.unknown_term", "glossary.unknown_term_suggest"}

# A draft's problem -> (input block, a short message for beside the field; the limits come as parameters).
DRAFT_ERRORS = {
    "glossary.name_missing": (NAME, "glossary.ui.error.name_missing"),
    "glossary.term_too_long": (NAME, "glossary.ui.error.name_too_long"),
    "glossary.definition_missing": (DEFINITION, "glossary.ui.error.definition_missing"),
    "glossary.definition_too_long": (DEFINITION, "glossary.ui.error.definition_too_long"),
    "glossary.formula_too_long": (FORMULA, "glossary.ui.error.field_too_long"),
    "glossary.source_system_too_long": (SOURCE_SYSTEM, "glossary.ui.error.field_too_long"),
    "glossary.examples_too_long": (EXAMPLES, "glossary.ui.error.field_too_long"),
    "glossary.non_examples_too_long": (NON_EXAMPLES, "glossary.ui.error.field_too_long"),
    "glossary.too_many_aliases": (ALIASES, "glossary.ui.error.too_many_aliases"),
    "glossary.alias_too_long": (ALIASES, "glossary.ui.error.alias_too_long"),
    "glossary.alias_is_name": (ALIASES, "glossary.ui.error.alias_is_name"),
    "glossary.unknown_side": (OWNER, "glossary.ui.error.invalid"),
}


def _as_message(reply: Reply) -> Message:
    return Message(reply.text, reply.blocks)


def _update_quietly(notifier: Notifier, version: VersionView, reply: Reply) -> None:
    """Refresh a message we posted. The database is the record; a message someone deleted, or
    a Slack hiccup, must not turn a committed decision into an error for the person."""
    if not (version.channel_id and version.message_ts):
        return
    try:
        notifier.update(channel=version.channel_id, ts=version.message_ts, message=_as_message(reply))
    except (SlackApiError, SlackClientError, OSError):
        logger.warning("could not update the message of glossary version %s", version.id, exc_info=True)


# /alinea define ------------------------------------------------------------------------------------


def define(request: CommandRequest) -> Reply | None:
    name, definition = parse_define(request.args)
    if not name:  # no text: the form, with every field
        with read_only(request.runtime.session_factory) as session:
            team_of(session, request.scope)
        metadata = modal_metadata(channel_id=request.channel_id, locale=request.locale)
        request.client.views_open(trigger_id=request.trigger_id, view=define_modal(request.locale, private_metadata=metadata))
        return None
    return propose_and_publish(request, lambda session, team: one_line_draft(session, team, name, definition))


def one_line_draft(session: Session, team: AlignmentTeam, name: str, definition: str) -> TermDraft:
    """A new definition for an existing term keeps everything else of its latest version."""
    term = _find_or_none(session, team, name)
    latest = (term.pending or term.in_force) if term else None
    if term is None or latest is None or term_key(term.name) != term_key(name):
        # New term; or `name` is another term's alias, which the service refuses with a hint.
        return TermDraft(name=name, definition=definition, owner_side=Side.BOTH)
    return replace(latest.draft, name=name, definition=definition)


def find_term(session: Session, team: AlignmentTeam, query: str) -> TermView:
    return glossary.find(session, team=team, query=query)


def _find_or_none(session: Session, team: AlignmentTeam, query: str) -> TermView | None:
    try:
        return find_term(session, team, query)
    except UserError as error:
        if error.message_id in UNKNOWN_TERM:
            return None
        raise


def propose_and_publish(ctx: Context, build_draft: Callable[[Session, AlignmentTeam], TermDraft]) -> Reply:
    """Save the proposal (commit), post it to the team's channel, record where it was posted,
    mark the proposal it replaced, and tell the person what happens next."""
    draft: TermDraft | None = None
    try:
        with ctx.unit_of_work() as session:
            team = team_of(session, ctx.scope)
            draft = build_draft(session, team)
            proposal = glossary.propose(session, team=team, actor=ctx.user_id, draft=draft, now=ctx.now)
            info = team_info(team)
    except UserError as error:
        if error.message_id != "glossary.duplicate_proposal" or draft is None:
            raise
        # The same proposal again: fine if an earlier attempt saved it but could not post it.
        proposal, info = _unposted_duplicate(ctx, draft.name, error)
    notifier = ctx.notifier
    version = proposal.version
    message = proposal_message(version, info, in_force=proposal.in_force)
    ts = notifier.post(channel=info.channel_id, message=_as_message(message), claim=f"glossary-version-{version.id}")
    with ctx.unit_of_work() as session:
        glossary.record_post(session, team=team_of(session, ctx.scope), version_id=version.id, channel_id=info.channel_id, ts=ts)
    withdrawn = proposal.withdrawn
    if withdrawn is not None:
        _update_quietly(notifier, withdrawn, proposal_message(withdrawn, info, replaced_by=version.number))
    return proposed_reply(proposal, info, permalink=notifier.permalink(channel=info.channel_id, ts=ts))


def _unposted_duplicate(ctx: Context, name: str, error: UserError) -> tuple[Proposal, TeamInfo]:
    with read_only(ctx.runtime.session_factory) as session:
        team = team_of(session, ctx.scope)
        term = find_term(session, team, name)
        info = team_info(team)
    pending = term.pending
    if pending is None or pending.message_ts is not None:
        raise error
    changes = tuple(changes_between(term.in_force.draft, pending.draft)) if term.in_force else ()
    return Proposal(pending, term.in_force, None, changes), info


# The proposal's buttons -------------------------------------------------------------------------------


def _version_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError("glossary.version_not_found") from None


def _in_force_beside(session: Session, team: AlignmentTeam, version: VersionView) -> VersionView | None:
    """The version in force while `version` waits (what its message compares it with)."""
    if version.status is not VersionStatus.PENDING:
        return None
    return find_term(session, team, version.term_name).in_force


def _redraw_proposal(interaction: Interaction, version_id: int) -> None:
    """Update a proposal's message from a fresh read: when two leads approve at once, each
    update shows everything committed so far, so a late update cannot bring back stale buttons."""
    with read_only(interaction.runtime.session_factory) as session:
        team = team_of(session, interaction.scope)
        latest = glossary.version(session, team=team, version_id=version_id)
        in_force, info = _in_force_beside(session, team, latest), team_info(team)
    _update_quietly(interaction.notifier, latest, proposal_message(latest, info, in_force=in_force))


def approve(interaction: Interaction) -> Reply:
    version_id = _version_id(interaction.value)
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        outcome = glossary.approve(session, team=team, version_id=version_id, actor=interaction.user_id, now=interaction.now)
        info = team_info(team)
    version, notifier = outcome.version, interaction.notifier
    _redraw_proposal(interaction, version.id)
    if outcome.agreed:
        if version.channel_id and version.message_ts:
            try:
                notifier.post(
                    channel=version.channel_id, message=_as_message(agreed_thread_reply(version, info)),
                    claim=f"glossary-agreed-{version.id}", thread_ts=version.message_ts,
                )
            except POST_FAILURES:
                logger.warning("could not announce the agreement of glossary version %s", version.id, exc_info=True)
        if outcome.superseded is not None:
            _update_quietly(notifier, outcome.superseded, proposal_message(outcome.superseded, info, replaced_by=version.number))
    return approved_reply(version, info, agreed=outcome.agreed)


def ask_for_changes(interaction: Interaction) -> Reply | None:
    """The "Request changes" button: a modal asking what should change."""
    version_id = _version_id(interaction.value)
    with read_only(interaction.runtime.session_factory) as session:
        team = team_of(session, interaction.scope)
        if not roles_of(team, interaction.user_id):
            raise UserError("glossary.not_a_member")
        proposal = glossary.open_version(session, team=team, version_id=version_id)
        term, number = proposal.term_name, proposal.number
    metadata = modal_metadata(channel_id=interaction.channel_id, locale=interaction.locale, version_id=version_id)
    interaction.client.views_open(
        trigger_id=interaction.trigger_id,
        view=changes_modal(interaction.locale, term=term, number=number, private_metadata=metadata),
    )
    return None


# Modals -------------------------------------------------------------------------------------------


def validate_define(form: Submitted, metadata: dict[str, Any]) -> TermDraft:
    """Pure checks of the form, shown beside the fields; the rest (names taken…) after the ack."""
    try:
        draft = TermDraft(
            name=form.text(NAME),
            definition=form.text(DEFINITION),
            owner_side=Side(form.selected(OWNER) or Side.BOTH.value),
            formula=form.text(FORMULA),
            source_system=form.text(SOURCE_SYSTEM),
            examples=form.text(EXAMPLES),
            non_examples=form.text(NON_EXAMPLES),
            aliases=split_aliases(form.text(ALIASES)),
        )
    except ValueError:  # an owner side that is none of ours
        raise FieldErrors({OWNER: "glossary.ui.error.invalid"}) from None
    try:
        validate_draft(draft)
    except UserError as error:
        block, message_id = DRAFT_ERRORS.get(
            error.message_id, (FIELD_BLOCKS.get(str(error.params.get("field")), NAME), "glossary.ui.error.invalid")
        )
        raise FieldErrors({block: (message_id, dict(error.params))}) from None
    return draft


def submit_define(interaction: Interaction) -> Reply:
    draft: TermDraft = interaction.value
    return propose_and_publish(interaction, lambda _session, _team: draft)


def validate_changes(form: Submitted, metadata: dict[str, Any]) -> dict[str, Any]:
    reason = form.text(REASON)
    if not reason:
        raise FieldErrors({REASON: "glossary.reason_empty"})
    if len(reason) > MAX_REASON_LENGTH:
        raise FieldErrors({REASON: ("glossary.ui.error.reason_too_long", {"limit": MAX_REASON_LENGTH})})
    return {"version_id": _version_id(metadata.get("version_id")), "reason": reason}


def submit_changes(interaction: Interaction) -> Reply:
    submission = interaction.value
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        version = glossary.request_changes(
            session, team=team, version_id=submission["version_id"], actor=interaction.user_id,
            reason=submission["reason"], now=interaction.now,
        )
        in_force = _in_force_beside(session, team, version)
        info = team_info(team)
    notifier = interaction.notifier
    thread = changes_thread_reply(version, info, user_id=interaction.user_id, reason=submission["reason"])
    notifier.post(
        channel=version.channel_id or info.channel_id, message=_as_message(thread),
        claim=f"glossary-changes-{version.id}-{len(version.change_requests)}", thread_ts=version.message_ts,
    )
    _update_quietly(notifier, version, proposal_message(version, info, in_force=in_force))
    return changes_posted_reply(version, info)


# /alinea glossary ----------------------------------------------------------------------------------


def show(request: CommandRequest) -> Reply:
    query, wants_history = parse_glossary_args(request.args)
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        info = team_info(team)
        if query is None and wants_history:
            return notice(t(request.locale, "glossary.ui.history.needs_term"))
        if query is None:
            return glossary_list(glossary.listing(session, team=team), info)
        if wants_history:
            versions = glossary.history(session, team=team, query=query)
            return term_history(versions[-1][0].term_name, versions, info)
        return term_detail(find_term(session, team, query), info)
