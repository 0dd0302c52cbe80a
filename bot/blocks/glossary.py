"""The glossary as Block Kit: the proposal message and its thread replies, the two modals, the
list of terms, one term and its history. Pure functions of the service's views.

Everything a person typed (term names, definitions, reasons) is escaped here, in mrkdwn, or
shown as plain_text; mentions are built only from user ids we stored ourselves.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from bot.blocks import (
    SECTION_TEXT_LIMIT,
    Block,
    Reply,
    context,
    divider,
    escape_mrkdwn,
    fields_section,
    header,
    kit,
    mention,
    section,
    truncate,
)
from bot.blocks.team import TeamInfo, local_date
from db.models import VersionStatus
from domain.glossary import (
    MAX_DEFINITION_LENGTH,
    MAX_FIELD_LENGTH,
    MAX_TERM_LENGTH,
    FieldChange,
    Side,
    TermDraft,
    changes_between,
)
from services.glossary import MAX_REASON_LENGTH, Proposal, TermView, VersionView
from services.i18n import t

# Ids: buttons, modals and the modals' input blocks ------------------------------------------------

APPROVE = "glossary-approve"
REQUEST_CHANGES = "glossary-request-changes"
PROPOSAL_ACTIONS = "glossary-proposal-actions"  # the block holding the two buttons
DEFINE_VIEW = "glossary-define"
CHANGES_VIEW = "glossary-changes"
NAME = "glossary-name"
DEFINITION = "glossary-definition"
OWNER = "glossary-owner"
FORMULA = "glossary-formula"
SOURCE_SYSTEM = "glossary-source-system"
EXAMPLES = "glossary-examples"
NON_EXAMPLES = "glossary-non-examples"
ALIASES = "glossary-aliases"
REASON = "glossary-reason"
VALUE = "glossary-value"  # the action id of every input element: the block id says which field

# Which input block holds each TermDraft field (validation errors are shown beside it).
FIELD_BLOCKS = {
    "name": NAME, "definition": DEFINITION, "owner_side": OWNER, "formula": FORMULA,
    "source_system": SOURCE_SYSTEM, "examples": EXAMPLES, "non_examples": NON_EXAMPLES, "aliases": ALIASES,
}

# Words -------------------------------------------------------------------------------------------

FIELD_LABELS = {
    "name": "glossary.ui.field.name",
    "definition": "glossary.ui.field.definition",
    "owner_side": "glossary.ui.field.owner_side",
    "formula": "glossary.ui.field.formula",
    "source_system": "glossary.ui.field.source_system",
    "examples": "glossary.ui.field.examples",
    "non_examples": "glossary.ui.field.non_examples",
    "aliases": "glossary.ui.field.aliases",
}
SIDE_LABELS = {
    Side.MARKETING: "glossary.ui.side.marketing",
    Side.SALES: "glossary.ui.side.sales",
    Side.BOTH: "glossary.ui.side.both",
}
STATUS_LABELS = {
    VersionStatus.PENDING: "glossary.ui.status.pending",
    VersionStatus.AGREED: "glossary.ui.status.agreed",
    VersionStatus.SUPERSEDED: "glossary.ui.status.superseded",
    VersionStatus.WITHDRAWN: "glossary.ui.status.withdrawn",
}
OPTIONAL_FIELDS = ("formula", "source_system", "examples", "non_examples")
LIST_PREVIEW_CHARS = 150
CHANGE_VALUE_CHARS = 300
MAX_MESSAGE_BLOCKS = 50
MAX_CHANGE_REQUESTS_SHOWN = 5


# Small pieces ------------------------------------------------------------------------------------


def side_label(locale: str, side: Side | str) -> str:
    return t(locale, SIDE_LABELS[Side(side)])


def field_label(locale: str, field: str) -> str:
    return t(locale, FIELD_LABELS[field])


def version_label(locale: str, number: int) -> str:
    return t(locale, "glossary.ui.version", number=number)


def people(user_ids: Iterable[str]) -> str:
    return ", ".join(mention(user_id) for user_id in user_ids)


def one_line(text: str, limit: int) -> str:
    """A preview on one line, cut to `limit` characters before escaping (escaping only lengthens)."""
    return escape_mrkdwn(truncate(" ".join(text.split()), limit))


def shown_value(locale: str, field: str, value: str) -> str:
    if field == "owner_side" and value:
        return side_label(locale, value)
    return value


def _sorted_sides(sides: Iterable[Side]) -> list[Side]:
    order = [Side.MARKETING, Side.SALES, Side.BOTH]
    return sorted(set(sides), key=order.index)


def missing_line(version: VersionView, team: TeamInfo) -> str | None:
    """"Still needs Sales approval: @luis", or None when nobody is missing."""
    missing = _sorted_sides(version.missing_sides)
    if not missing:
        return None
    parts = []
    for side in missing:
        leads = team.leads_of(side)
        who = people(leads) if leads else t(team.locale, "glossary.ui.no_lead")
        parts.append(f"{side_label(team.locale, side)} ({who})")
    return t(team.locale, "glossary.ui.missing", missing=", ".join(parts))


def changed_fields(locale: str, changes: Sequence[FieldChange]) -> str:
    return ", ".join(field_label(locale, change.field) for change in changes)


def draft_fields(draft: TermDraft, locale: str) -> Block:
    """Owning side, formula, source system, examples, non-examples and aliases: the filled ones."""
    pairs = [(field_label(locale, "owner_side"), side_label(locale, draft.owner_side))]
    for field in OPTIONAL_FIELDS:
        value = getattr(draft, field).strip()
        if value:
            pairs.append((field_label(locale, field), escape_mrkdwn(value)))
    if draft.aliases:
        pairs.append((field_label(locale, "aliases"), escape_mrkdwn(", ".join(draft.aliases))))
    return fields_section(pairs)


def _approvals_line(version: VersionView, locale: str) -> str:
    if not version.approvals:
        return t(locale, "glossary.ui.no_approvals")
    approvers = ", ".join(
        f"{mention(a.user_id)} ({', '.join(side_label(locale, s) for s in _sorted_sides(a.sides))})" for a in version.approvals
    )
    return t(locale, "glossary.ui.approved_by", people=approvers)


def _agreed_line(version: VersionView, team: TeamInfo) -> str:
    assert version.agreed_at is not None
    return t(
        team.locale, "glossary.ui.agreed_line",
        date=local_date(version.agreed_at, team), people=people(a.user_id for a in version.approvals),
    )


def _proposed_line(version: VersionView, team: TeamInfo) -> str:
    return t(team.locale, "glossary.ui.proposed_by", user=mention(version.proposed_by), date=local_date(version.proposed_at, team))


def _change_request_lines(version: VersionView, locale: str) -> list[str]:
    requests = version.change_requests[-MAX_CHANGE_REQUESTS_SHOWN:]
    return [t(locale, "glossary.ui.changes_requested", user=mention(request.user_id)) for request in requests]


# The proposal message ----------------------------------------------------------------------------


def proposal_title(version: VersionView, locale: str) -> str:
    """Plain text (headers are plain_text): the term as typed, nothing to escape."""
    ids = {
        VersionStatus.PENDING: "glossary.ui.proposal.header",
        VersionStatus.AGREED: "glossary.ui.agreed.header",
        VersionStatus.SUPERSEDED: "glossary.ui.replaced.header",
        VersionStatus.WITHDRAWN: "glossary.ui.withdrawn.header",
    }
    return t(locale, ids[version.status], term=version.term_name, number=version.number)


def proposal_message(
    version: VersionView, team: TeamInfo, *, in_force: VersionView | None = None, replaced_by: int | None = None
) -> Reply:
    """The message in the team's channel, in the team's language, for any status of the version.

    `in_force` is the version this proposal would replace (shown as "what changes" while
    pending); `replaced_by` is the number of the version that superseded or withdrew it.
    """
    locale = team.locale
    title = proposal_title(version, locale)
    blocks: list[Block] = [header(title), section(escape_mrkdwn(version.draft.definition)), draft_fields(version.draft, locale)]
    notes: list[str] = []
    if version.status is VersionStatus.PENDING and in_force is not None:
        changes = changes_between(in_force.draft, version.draft)
        if changes:
            notes.append(t(locale, "glossary.ui.changes_vs", number=in_force.number, fields=changed_fields(locale, changes)))
    notes.append(_proposed_line(version, team))
    if version.status is VersionStatus.PENDING:
        notes.append(_approvals_line(version, locale))
        missing = missing_line(version, team)
        if missing:
            notes.append(missing)
    elif version.agreed_at is not None:
        notes.append(_agreed_line(version, team))
    if version.status is VersionStatus.SUPERSEDED and replaced_by is not None:
        notes.append(t(locale, "glossary.ui.replaced_by", number=replaced_by))
    if version.status is VersionStatus.WITHDRAWN and replaced_by is not None:
        notes.append(t(locale, "glossary.ui.withdrawn_by", number=replaced_by))
    blocks.append(context("\n".join(notes)))
    if version.change_requests:
        blocks.append(context("\n".join(_change_request_lines(version, locale))))
    if version.status is VersionStatus.PENDING:
        blocks.append(proposal_actions(version, locale))
    return Reply(text=escape_mrkdwn(title), blocks=blocks)


def proposal_actions(version: VersionView, locale: str) -> Block:
    return kit.actions(block_id=PROPOSAL_ACTIONS, elements=[
        kit.button(text=t(locale, "glossary.ui.approve"), action_id=APPROVE, value=str(version.id), style="primary"),
        kit.button(text=t(locale, "glossary.ui.request_changes"), action_id=REQUEST_CHANGES, value=str(version.id)),
    ])


def agreed_thread_reply(version: VersionView, team: TeamInfo) -> Reply:
    text = t(
        team.locale, "glossary.ui.thread.agreed", term=escape_mrkdwn(version.term_name), number=version.number,
        people=people(a.user_id for a in version.approvals),
    )
    return Reply(text=text, blocks=[section(text)])


def quoted(text: str) -> str:
    return "\n".join(f"> {line}" for line in escape_mrkdwn(text).splitlines() or [""])


def changes_thread_reply(version: VersionView, team: TeamInfo, *, user_id: str, reason: str) -> Reply:
    intro = t(team.locale, "glossary.ui.thread.changes", user=mention(user_id), number=version.number)
    text = truncate(f"{intro}\n{quoted(reason)}", SECTION_TEXT_LIMIT)
    return Reply(text=text, blocks=[section(text)])


# Replies to the person who acted ----------------------------------------------------------------


def proposed_reply(proposal: Proposal, team: TeamInfo, *, permalink: str | None) -> Reply:
    locale, version = team.locale, proposal.version
    term = escape_mrkdwn(version.term_name)
    lines = [t(locale, "glossary.ui.posted", term=term, number=version.number, channel=f"<#{team.channel_id}>")]
    if permalink:
        lines[0] += f" <{permalink}|{t(locale, 'glossary.ui.open_proposal')}>"
    if proposal.in_force is not None:
        changes = proposal.changes
        if changes:
            lines.append(t(locale, "glossary.ui.changes_vs", number=proposal.in_force.number, fields=changed_fields(locale, changes)))
    elif version.number == 1:
        lines.append(t(locale, "glossary.ui.new_term"))
    else:
        lines.append(t(locale, "glossary.ui.detail.none_in_force"))
    if proposal.withdrawn is not None:
        lines.append(t(locale, "glossary.ui.withdrew", number=proposal.withdrawn.number))
    missing = missing_line(version, team)
    if missing:
        lines.append(missing)
    text = "\n".join(lines)
    return Reply(text=lines[0], blocks=[section(text)])


def approved_reply(version: VersionView, team: TeamInfo, *, agreed: bool) -> Reply:
    locale = team.locale
    lines = [t(locale, "glossary.ui.you_approved", term=escape_mrkdwn(version.term_name), number=version.number)]
    if agreed:
        lines.append(t(locale, "glossary.ui.now_agreed"))
    else:
        missing = missing_line(version, team)
        if missing:
            lines.append(missing)
    text = " ".join(lines)
    return Reply(text=text, blocks=[section(text)])


def changes_posted_reply(version: VersionView, team: TeamInfo) -> Reply:
    text = t(team.locale, "glossary.ui.changes_posted", term=escape_mrkdwn(version.term_name), number=version.number)
    return Reply(text=text, blocks=[section(text)])


def notice(text: str) -> Reply:
    """A short answer that is already mrkdwn (the catalog's words, no user text)."""
    return Reply(text=text, blocks=[section(text)])


# Modals ------------------------------------------------------------------------------------------


def _text_input(
    block_id: str, label: str, *, max_length: int, multiline: bool = False, optional: bool = False,
    placeholder: str | None = None, hint: str | None = None,
) -> Block:
    element = kit.plain_text_input(action_id=VALUE, multiline=multiline, max_length=max_length, placeholder=placeholder)
    return kit.input_block(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def define_modal(locale: str, *, private_metadata: str) -> dict[str, Any]:
    label = lambda field: field_label(locale, field)  # noqa: E731
    sides = [kit.option(text=side_label(locale, side), value=side.value) for side in (Side.MARKETING, Side.SALES, Side.BOTH)]
    owner = kit.input_block(block_id=OWNER, label=label("owner_side"),
                            element=kit.static_select(action_id=VALUE, options=sides, initial=Side.BOTH.value))
    return kit.modal(
        callback_id=DEFINE_VIEW, title=t(locale, "glossary.ui.modal.define_title"), submit=t(locale, "glossary.ui.modal.propose"),
        close=t(locale, "glossary.ui.modal.cancel"), private_metadata=private_metadata,
        blocks=[
            section(t(locale, "glossary.ui.modal.define_intro")),
            _text_input(NAME, label("name"), max_length=MAX_TERM_LENGTH, placeholder=t(locale, "glossary.ui.modal.name_placeholder")),
            _text_input(DEFINITION, label("definition"), max_length=MAX_DEFINITION_LENGTH, multiline=True),
            owner,
            _text_input(FORMULA, label("formula"), max_length=MAX_FIELD_LENGTH, optional=True,
                        placeholder=t(locale, "glossary.ui.modal.formula_placeholder")),
            _text_input(SOURCE_SYSTEM, label("source_system"), max_length=MAX_FIELD_LENGTH, optional=True,
                        placeholder=t(locale, "glossary.ui.modal.source_placeholder")),
            _text_input(EXAMPLES, label("examples"), max_length=MAX_FIELD_LENGTH, multiline=True, optional=True),
            _text_input(NON_EXAMPLES, label("non_examples"), max_length=MAX_FIELD_LENGTH, multiline=True, optional=True),
            _text_input(ALIASES, label("aliases"), max_length=MAX_FIELD_LENGTH, optional=True,
                        hint=t(locale, "glossary.ui.modal.aliases_hint")),
        ],
    )


def changes_modal(locale: str, *, term: str, number: int, private_metadata: str) -> dict[str, Any]:
    return kit.modal(
        callback_id=CHANGES_VIEW, title=t(locale, "glossary.ui.modal.changes_title"), submit=t(locale, "glossary.ui.modal.send"),
        close=t(locale, "glossary.ui.modal.cancel"), private_metadata=private_metadata,
        blocks=[
            section(t(locale, "glossary.ui.modal.changes_intro", term=escape_mrkdwn(term), number=number)),
            _text_input(REASON, t(locale, "glossary.ui.modal.reason"), max_length=MAX_REASON_LENGTH, multiline=True,
                        placeholder=t(locale, "glossary.ui.modal.reason_placeholder")),
        ],
    )


# Reading the glossary ------------------------------------------------------------------------------


def _packed(lines: list[str], max_blocks: int) -> tuple[list[Block], int]:
    """Lines joined into as few sections as Slack's 3,000 characters allow, at most `max_blocks`;
    also how many lines did not fit."""
    blocks: list[Block] = []
    current: list[str] = []
    for index, line in enumerate(lines):
        if current and len("\n".join([*current, line])) > SECTION_TEXT_LIMIT:
            blocks.append(section("\n".join(current)))
            current = []
            if len(blocks) >= max_blocks:
                return blocks, len(lines) - index
        current.append(line)
    if current:
        blocks.append(section("\n".join(current)))
    return blocks, 0


def glossary_list(terms: Sequence[TermView], team: TeamInfo) -> Reply:
    locale = team.locale
    agreed = [term for term in terms if term.in_force is not None]
    pending = [term for term in terms if term.pending is not None]
    if not agreed and not pending:
        return notice(t(locale, "glossary.ui.list.empty"))
    title = t(locale, "glossary.ui.list.title")
    blocks: list[Block] = [header(title)]
    # Header, a divider and a closing hint, plus one "and N more" line per group: the rest is for terms.
    budget = (MAX_MESSAGE_BLOCKS - 6) // 2
    groups = []
    if agreed:
        groups.append((
            t(locale, "glossary.ui.list.agreed", count=len(agreed)),
            [
                f"• *{escape_mrkdwn(term.name)}* ({version_label(locale, term.in_force.number)}): "
                f"{one_line(term.in_force.draft.definition, LIST_PREVIEW_CHARS)}"
                for term in agreed if term.in_force is not None
            ],
        ))
    if pending:
        groups.append((
            t(locale, "glossary.ui.list.pending", count=len(pending)),
            [
                f"• *{escape_mrkdwn(term.name)}* ({version_label(locale, term.pending.number)}): "
                + t(locale, "glossary.ui.list.needs", sides=", ".join(side_label(locale, s) for s in _sorted_sides(term.pending.missing_sides)))
                for term in pending if term.pending is not None
            ],
        ))
    for index, (group_title, lines) in enumerate(groups):
        if index:
            blocks.append(divider())
        packed, left_out = _packed([f"*{group_title}*", *lines], budget)
        blocks += packed
        if left_out:
            blocks.append(context(t(locale, "glossary.ui.list.more", count=left_out)))
    blocks.append(context(t(locale, "glossary.ui.list.hint")))
    return Reply(text=title, blocks=blocks)


def term_detail(term: TermView, team: TeamInfo) -> Reply:
    locale = team.locale
    blocks: list[Block] = [header(term.name)]
    in_force, pending = term.in_force, term.pending
    if in_force is not None:
        blocks += [
            section(f"*{t(locale, 'glossary.ui.detail.in_force', number=in_force.number)}*\n{escape_mrkdwn(in_force.draft.definition)}"),
            draft_fields(in_force.draft, locale),
            context(_agreed_line(in_force, team)),
        ]
    else:
        blocks.append(section(t(locale, "glossary.ui.detail.none_in_force")))
    if pending is not None:
        notes = []
        if in_force is not None:
            changes = changes_between(in_force.draft, pending.draft)
            if changes:
                notes.append(t(locale, "glossary.ui.changes_vs", number=in_force.number, fields=changed_fields(locale, changes)))
        notes.append(_proposed_line(pending, team))
        notes.append(_approvals_line(pending, locale))
        missing = missing_line(pending, team)
        if missing:
            notes.append(missing)
        notes += _change_request_lines(pending, locale)
        blocks += [
            divider(),
            section(f"*{t(locale, 'glossary.ui.detail.pending', number=pending.number)}*\n{escape_mrkdwn(pending.draft.definition)}"),
            draft_fields(pending.draft, locale),
            context("\n".join(notes)),
            # Here too, not only on the channel post: a proposal imported from a spreadsheet has none.
            proposal_actions(pending, locale),
        ]
    blocks.append(context(t(locale, "glossary.ui.detail.history_hint", term=escape_mrkdwn(term.name))))
    return Reply(text=escape_mrkdwn(term.name), blocks=blocks)


def _change_line(locale: str, change: FieldChange) -> str:
    empty = t(locale, "glossary.ui.history.empty_value")

    def value(text: str) -> str:
        return one_line(shown_value(locale, change.field, text), CHANGE_VALUE_CHARS) if text else f"_{empty}_"

    label = field_label(locale, change.field)
    if not change.before:
        return f"• {label}: {value(change.after)}"
    return f"• {label}: {value(change.before)} → {value(change.after)}"


def term_history(name: str, versions: Sequence[tuple[VersionView, Sequence[FieldChange]]], team: TeamInfo) -> Reply:
    """Every version, newest first, with its status, dates and what it changed."""
    locale = team.locale
    title = t(locale, "glossary.ui.history.title", term=name)
    blocks: list[Block] = [header(title)]
    room = MAX_MESSAGE_BLOCKS - 3  # the header, the "older versions" line and some slack
    shown = list(versions)[-room:]
    for version, changes in reversed(shown):
        lines = [f"*{version_label(locale, version.number).capitalize()}* · {t(locale, STATUS_LABELS[version.status])}"]
        dates = _proposed_line(version, team)
        if version.agreed_at is not None:
            dates += " " + t(locale, "glossary.ui.history.agreed_on", date=local_date(version.agreed_at, team))
        lines.append(dates)
        lines += [_change_line(locale, change) for change in changes] or [t(locale, "glossary.ui.history.no_changes")]
        blocks.append(section("\n".join(lines)))
    if len(versions) > len(shown):
        blocks.append(context(t(locale, "glossary.ui.history.older", count=len(versions) - len(shown))))
    return Reply(text=escape_mrkdwn(title), blocks=blocks)
