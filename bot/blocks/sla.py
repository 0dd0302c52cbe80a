"""SLA commitments as Block Kit: the proposal message with its Accept button and its thread reply,
the list of commitments, the starter templates, the "new commitment" modal and the replies to the
person who acted. Pure functions of the service's views.

KPI names and glossary terms may have been typed by a person: they are escaped in mrkdwn (or
shown as plain_text); mentions are built only from user ids we stored or Slack gave us.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Sequence

from babel.dates import format_date

from bot.blocks import (
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
)
from bot.blocks.glossary import people, side_label
from bot.blocks.team import TeamInfo, babel_locale, local_date
from bot.blocks.kpi import shown
from domain.locales import team_locale
from db.models import SlaStatus
from domain.glossary import MAX_TERM_LENGTH, Side
from domain.sla import DEFAULT_ACK_WINDOW_HOURS, MAX_ACK_WINDOW_HOURS, Comparator, Outcome, State
from domain.sla_templates import SlaTemplate
from services.i18n import t
from services.sla import CommitmentRow, SlaProposal, SlaVersionView

# Ids: the buttons, the modal and its input blocks -----------------------------------------------

ACCEPT = "sla-accept"
PROPOSE_TEMPLATE = "sla-propose-template"
PROPOSAL_ACTIONS = "sla-proposal-actions"  # the block holding the Accept button
NEW_VIEW = "sla-new"
SIDE = "sla-side"
KPI = "sla-kpi"
COMPARATOR = "sla-comparator"
TARGET = "sla-target"
PERIOD = "sla-period"
RESPONSIBLE = "sla-responsible"
STARTS_ON = "sla-starts-on"
ACK_WINDOW = "sla-ack-window"
TERM = "sla-term"
VALUE = "sla-value"  # the action id of every input element: the block id says which field

SYMBOLS = {Comparator.AT_LEAST: "≥", Comparator.AT_MOST: "≤"}
STRIP = {State.MET: "✅", State.BREACHED: "❌", State.NO_DATA: "⬜"}
MAX_MESSAGE_BLOCKS = 50


@dataclass(frozen=True)
class Prefill:
    """What a template puts in the modal before the person edits it."""

    side: Side
    kpi_key: str
    comparator: Comparator
    target_text: str
    period_kind: str


# Small pieces ------------------------------------------------------------------------------------



def period_word(locale: str, kind: str) -> str:
    return t(locale, f"sla.ui.period.{kind}")


def target_text(version: SlaVersionView, team: TeamInfo) -> str:
    """The target in the team's way of writing numbers: "$45.000.000", "24 h", "3,5 %"."""
    return shown(version.terms.target, version.spec, team_locale(team))


def promise(version: SlaVersionView, team: TeamInfo) -> str:
    """"*Tiempo de seguimiento a leads* (`followup_hours`) ≤ 24 h · semanal"."""
    terms = version.terms
    return t(
        team.locale, "sla.ui.promise", name=escape_mrkdwn(version.kpi_name), key=terms.kpi_key,
        comparator=SYMBOLS[terms.comparator], target=target_text(version, team), period=period_word(team.locale, terms.period_kind),
    )


def _sides_in_order(sides: Iterable[Side]) -> list[Side]:
    return [side for side in (Side.MARKETING, Side.SALES) if side in set(sides)]


def missing_line(version: SlaVersionView, team: TeamInfo) -> str | None:
    """"Falta la aceptación de Ventas (@luis)", or None when nobody is missing."""
    parts = []
    for side in _sides_in_order(version.missing_sides):
        leads = team.leads_of(side)
        who = people(leads) if leads else t(team.locale, "sla.ui.no_lead")
        parts.append(f"{side_label(team.locale, side)} ({who})")
    return t(team.locale, "sla.ui.missing", missing=", ".join(parts)) if parts else None


def _accepted_line(version: SlaVersionView, locale: str) -> str:
    if not version.acceptances:
        return t(locale, "sla.ui.no_acceptances")
    accepted = ", ".join(
        f"{mention(a.user_id)} ({', '.join(side_label(locale, s) for s in _sides_in_order(a.sides))})" for a in version.acceptances
    )
    return t(locale, "sla.ui.accepted_by", people=accepted)


def _responsible(version: SlaVersionView, locale: str) -> str:
    return mention(version.responsible) if version.responsible else t(locale, "sla.ui.no_lead")


def _version_fields(version: SlaVersionView, team: TeamInfo) -> Block:
    locale = team.locale
    pairs = [
        (t(locale, "sla.ui.field.responsible"), _responsible(version, locale)),
        (t(locale, "sla.ui.field.starts_on"), local_day(version.starts_on, team)),
        (t(locale, "sla.ui.field.ack_window"), t(locale, "sla.ui.working_hours", hours=version.terms.ack_window_hours)),
    ]
    if version.term_name:
        pairs.append((t(locale, "sla.ui.field.term"), escape_mrkdwn(version.term_name)))
    return fields_section(pairs)


def local_day(day: date, team: TeamInfo) -> str:
    return format_date(day, format="long", locale=babel_locale(team))


# The proposal message ----------------------------------------------------------------------------

_HEADERS = {
    SlaStatus.PENDING: "sla.ui.proposal.header",
    SlaStatus.ACTIVE: "sla.ui.active.header",
    SlaStatus.SUPERSEDED: "sla.ui.replaced.header",
    SlaStatus.WITHDRAWN: "sla.ui.withdrawn.header",
}


def proposal_title(version: SlaVersionView, locale: str) -> str:
    return t(locale, _HEADERS[version.status], sla=version.label, number=version.number)


def proposal_message(
    version: SlaVersionView, team: TeamInfo, *, in_force: SlaVersionView | None = None, replaced_by: int | None = None
) -> Reply:
    """The message in the team's channel, for any status of the version. `in_force` is what a
    pending version would replace; `replaced_by` the number of the version that retired it."""
    locale = team.locale
    title = proposal_title(version, locale)
    commits = t(locale, "sla.ui.commits", side=side_label(locale, version.terms.side), promise=promise(version, team))
    notes = []
    if version.status is SlaStatus.PENDING and in_force is not None:
        notes.append(t(locale, "sla.ui.replaces", number=in_force.number, promise=promise(in_force, team)))
    notes.append(t(locale, "sla.ui.proposed_by", user=mention(version.proposed_by), date=local_date(version.proposed_at, team)))
    if version.status is SlaStatus.PENDING:
        notes.append(_accepted_line(version, locale))
        missing = missing_line(version, team)
        if missing:
            notes.append(missing)
    elif version.active_at is not None:
        notes.append(t(locale, "sla.ui.active_since", date=local_date(version.active_at, team),
                       people=people(a.user_id for a in version.acceptances)))
    if version.status is SlaStatus.SUPERSEDED and replaced_by is not None:
        notes.append(t(locale, "sla.ui.replaced_by", number=replaced_by))
    if version.status is SlaStatus.WITHDRAWN and replaced_by is not None:
        notes.append(t(locale, "sla.ui.withdrawn_by", number=replaced_by))
    blocks: list[Block] = [header(title), section(commits), _version_fields(version, team), context("\n".join(notes))]
    if version.status is SlaStatus.PENDING:
        accept = kit.button(text=t(locale, "sla.ui.accept"), action_id=ACCEPT, value=str(version.id), style="primary")
        blocks.append(kit.actions(block_id=PROPOSAL_ACTIONS, elements=[accept]))
    return Reply(text=title, blocks=blocks)


def active_thread_reply(version: SlaVersionView, team: TeamInfo) -> Reply:
    text = t(
        team.locale, f"sla.ui.thread.active.{version.terms.period_kind}", sla=version.label, number=version.number,
        promise=promise(version, team), people=people(a.user_id for a in version.acceptances),
    )
    return Reply(text=text, blocks=[section(text)])


# Replies to the person who acted ----------------------------------------------------------------


def proposed_reply(proposal: SlaProposal, team: TeamInfo, *, permalink: str | None) -> Reply:
    locale, version = team.locale, proposal.version
    first = t(locale, "sla.ui.posted", sla=version.label, number=version.number, channel=f"<#{team.channel_id}>")
    if permalink:
        first += f" <{permalink}|{t(locale, 'sla.ui.open_proposal')}>"
    lines = [first, promise(version, team)]
    if proposal.in_force is not None:
        lines.append(t(locale, "sla.ui.replaces", number=proposal.in_force.number, promise=promise(proposal.in_force, team)))
    if proposal.withdrawn is not None:
        lines.append(t(locale, "sla.ui.withdrew", number=proposal.withdrawn.number))
    missing = missing_line(version, team)
    if missing:
        lines.append(missing)
    return Reply(text=first, blocks=[section("\n".join(lines))])


def accepted_reply(version: SlaVersionView, team: TeamInfo, *, active: bool) -> Reply:
    lines = [t(team.locale, "sla.ui.you_accepted", sla=version.label, number=version.number)]
    missing = None if active else missing_line(version, team)
    if active:
        lines.append(t(team.locale, "sla.ui.now_active"))
    elif missing:
        lines.append(missing)
    text = " ".join(lines)
    return Reply(text=text, blocks=[section(text)])


def notice(text: str) -> Reply:
    """A short answer that is already mrkdwn (the catalog's words, no user text)."""
    return Reply(text=text, blocks=[section(text)])


# The list -----------------------------------------------------------------------------------------


def _status_line(row: CommitmentRow, team: TeamInfo) -> str:
    locale, pending = team.locale, row.pending
    lines = []
    if row.in_force is not None:
        lines.append(t(locale, "sla.ui.list.in_force", number=row.in_force.number))
    if pending is not None:
        waiting = t(locale, "sla.ui.list.waiting", number=pending.number)
        if row.in_force is not None:  # a change waits while the version in force still counts
            waiting = t(locale, "sla.ui.list.change_waiting", number=pending.number, promise=promise(pending, team))
        missing = missing_line(pending, team)
        lines.append(f"{waiting} {missing}" if missing else waiting)
    return "\n".join(lines)


def _current_line(row: CommitmentRow, team: TeamInfo) -> str | None:
    if row.in_force is None or row.current_period is None:
        return None
    locale = team.locale
    when = t(locale, f"sla.ui.list.this_{row.current_period.kind}")
    if row.current_value is None:
        state = t(locale, "sla.ui.list.state.at_risk_no_data" if row.current_state is State.AT_RISK else "sla.ui.list.state.no_data")
        return f"{when}: {state}"
    value = shown(row.current_value, row.in_force.spec, team_locale(team))
    key = "at_risk" if row.current_state is State.AT_RISK else "on_track"
    return f"{when}: " + t(locale, f"sla.ui.list.state.{key}", value=value)


def strip(outcomes: Sequence[Outcome]) -> str:
    """One mark per closed period, oldest first: ✅ met, ❌ breached, ⬜ no data."""
    return "".join(STRIP.get(outcome.state, "") for outcome in outcomes)


def _attainment_line(row: CommitmentRow, locale: str) -> str | None:
    if row.in_force is None and not row.recent:
        return None
    met, evaluated = row.attainment
    if not evaluated:
        return t(locale, "sla.ui.list.nothing_closed")
    return t(locale, "sla.ui.list.attainment", met=met, total=evaluated, strip=strip(row.recent))


def commitment_lines(row: CommitmentRow, team: TeamInfo) -> str:
    shown_version = row.shown
    locale = team.locale
    first = t(
        locale, "sla.ui.list.line", sla=shown_version.label, side=side_label(locale, shown_version.terms.side),
        promise=promise(shown_version, team),
    )
    lines = [first, t(locale, "sla.ui.list.responsible", user=_responsible(shown_version, locale)), _status_line(row, team)]
    lines += [line for line in (_current_line(row, team), _attainment_line(row, locale)) if line]
    return "\n".join(lines)


def commitments_list(rows: Sequence[CommitmentRow], team: TeamInfo) -> Reply:
    locale = team.locale
    if not rows:
        return notice(t(locale, "sla.ui.list.empty"))
    title = t(locale, "sla.ui.list.title", count=len(rows))
    blocks: list[Block] = [header(title)]
    room = MAX_MESSAGE_BLOCKS - 3  # the header, an "and N more" line and the closing hint
    for row in rows[:room]:
        blocks.append(section(commitment_lines(row, team)))
    if len(rows) > room:
        blocks.append(context(t(locale, "sla.ui.list.more", count=len(rows) - room)))
    blocks.append(context(t(locale, "sla.ui.list.hint")))
    return Reply(text=title, blocks=blocks)


# Templates ----------------------------------------------------------------------------------------


def template_title(template: SlaTemplate, locale: str) -> str:
    return t(locale, f"sla.ui.template.{template.id}")


def templates_reply(templates: Sequence[SlaTemplate], team: TeamInfo, *, available_keys: set[str], command_word: str) -> Reply:
    """Each template with its one-line command and a Propose button (the prefilled modal); a
    template whose KPI the team lacks says how to enable it instead."""
    locale = team.locale
    title = t(locale, "sla.ui.templates.title")
    blocks: list[Block] = [header(title), section(t(locale, "sla.ui.templates.intro"))]
    for side in (Side.MARKETING, Side.SALES):
        blocks += [divider(), section(f"*{side_label(locale, side)}*")]
        for template in (template for template in templates if template.side is side):
            blocks.append(_template_block(template, team, available=template.kpi_key in available_keys, command_word=command_word))
    if not set(template.kpi_key for template in templates) <= available_keys:
        blocks.append(context(t(locale, "sla.ui.templates.enable_kpis")))
    return Reply(text=title, blocks=blocks)


def _template_block(template: SlaTemplate, team: TeamInfo, *, available: bool, command_word: str) -> Block:
    locale = team.locale
    line = template.one_line(language=locale, country=team.country)
    text = f"*{template_title(template, locale)}*\n`/alinea sla {command_word} {line}`"
    if not available:
        return section(text + "\n" + t(locale, "sla.ui.templates.missing_kpi", key=template.kpi_key))
    block = section(text)
    block["accessory"] = kit.button(text=t(locale, "sla.ui.templates.propose"), action_id=PROPOSE_TEMPLATE, value=template.id)
    return block


def template_prefill(template: SlaTemplate, team: TeamInfo) -> Prefill:
    return Prefill(
        side=template.side, kpi_key=template.kpi_key, comparator=template.comparator,
        target_text=template.target_text(language=team.locale, country=team.country), period_kind=template.period_kind,
    )


# The "new commitment" modal ---------------------------------------------------------------------


def _select(block_id: str, label: str, options: list[dict[str, Any]], *, initial: str | None) -> Block:
    return kit.input_block(block_id=block_id, label=label, element=kit.static_select(action_id=VALUE, options=options, initial=initial))


def _text(block_id: str, label: str, *, max_length: int, initial: str = "", optional: bool = False,
          placeholder: str | None = None, hint: str | None = None) -> Block:
    element = kit.plain_text_input(action_id=VALUE, max_length=max_length, initial=initial, placeholder=placeholder)
    return kit.input_block(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def new_modal(
    team: TeamInfo, *, kpis: Sequence[tuple[str, str]], today: date, metadata: str, prefill: Prefill | None = None
) -> dict[str, Any]:
    """Every field of a commitment; `kpis` is the team's (key, name) catalog."""
    locale = team.locale

    def label(field: str) -> str:
        return t(locale, f"sla.ui.form.{field}")

    def options(pairs: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
        return [kit.option(text=text, value=value) for text, value in pairs]

    side = _select(SIDE, label("side"), options((side_label(locale, s), s.value) for s in (Side.MARKETING, Side.SALES)),
                   initial=prefill.side.value if prefill else None)
    kpi = _select(KPI, label("kpi"), options((f"{name} ({key})", key) for key, name in kpis),
                  initial=prefill.kpi_key if prefill else None)
    comparator = _select(
        COMPARATOR, label("comparator"),
        options([(t(locale, "sla.ui.form.at_least"), Comparator.AT_LEAST.value), (t(locale, "sla.ui.form.at_most"), Comparator.AT_MOST.value)]),
        initial=prefill.comparator.value if prefill else Comparator.AT_LEAST.value,
    )
    period = _select(PERIOD, label("period"), options((period_word(locale, kind), kind) for kind in ("week", "month")),
                     initial=prefill.period_kind if prefill else "week")
    responsible = kit.input_block(
        block_id=RESPONSIBLE, label=label("responsible"), optional=True, hint=label("responsible_hint"),
        element=kit.users_select(action_id=VALUE, placeholder=label("responsible_placeholder")),
    )
    starts_on = kit.input_block(block_id=STARTS_ON, label=label("starts_on"), element=kit.datepicker(action_id=VALUE, initial=today))
    return kit.modal(
        callback_id=NEW_VIEW, private_metadata=metadata, title=label("title"), submit=label("propose"), close=label("cancel"),
        blocks=[
            section(label("intro")),
            side, kpi, comparator,
            _text(TARGET, label("target"), max_length=40, initial=prefill.target_text if prefill else "",
                  placeholder=label("target_placeholder")),
            period, responsible, starts_on,
            _text(ACK_WINDOW, label("ack_window"), max_length=3, initial=str(DEFAULT_ACK_WINDOW_HOURS),
                  hint=t(locale, "sla.ui.form.ack_window_hint", limit=MAX_ACK_WINDOW_HOURS)),
            _text(TERM, label("term"), max_length=MAX_TERM_LENGTH, optional=True, placeholder="MQL"),
        ],
    )


def no_kpis_reply(locale: str) -> Reply:
    return notice(t(locale, "sla.ui.form.no_kpis"))
