"""SLA breaches as Block Kit: the breach post and its thread replies, no-data and at-risk posts,
the acknowledgement and action-plan modals, the list of open breaches.

People's names are mentions built from ids we stored; everything people typed (notes, plans) is
escaped, so a `<!channel>` in a plan shows as text and pings nobody.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Sequence

from babel.dates import format_date, format_datetime

from bot.blocks import Block, Reply, context, escape_mrkdwn, header, kit, mention, section
from bot.blocks.kpi import display
from domain.locales import TeamLocale
from domain.periods import Period, format_period
from domain.sla import Comparator, Reason
from services.i18n import t
from services.sla import SlaVersionView
from services.sla_breaches import BreachView, NoDataView, RiskView, StepView, BreachStatus

ACKNOWLEDGE = "sla_breach_acknowledge"
ADD_PLAN = "sla_breach_add_plan"
ACK_VIEW = "sla_breach_ack_view"
PLAN_VIEW = "sla_breach_plan_view"
VALUE = "value"
REASON, NOTE, PLAN, PLAN_OWNER, PLAN_DUE = "reason", "note", "plan", "plan_owner", "plan_due"

_SYMBOL = {Comparator.AT_LEAST: "≥", Comparator.AT_MOST: "≤"}


# Pieces -------------------------------------------------------------------------------------------


def promise_text(version: SlaVersionView, team: TeamLocale) -> str:
    """"Tiempo de seguimiento a leads (`followup_hours`) ≤ 24 h por semana"."""
    terms = version.terms
    return t(
        team.language, f"sla.ui.breach.promise.{terms.period_kind}", name=escape_mrkdwn(version.kpi_name),
        key=terms.kpi_key, comparator=_SYMBOL[terms.comparator], target=display(terms.target, version.spec, team),
    )


def _side(version: SlaVersionView, language: str) -> str:
    return t(language, f"sla.ui.breach.side.{version.terms.side.value}")


def _gap_text(view: BreachView, team: TeamLocale) -> str:
    direction = "short" if view.version.terms.comparator is Comparator.AT_LEAST else "over"
    return t(team.language, f"sla.ui.breach.gap.{direction}", gap=display(view.gap, view.version.spec, team))


def _trend_text(view: BreachView, team: TeamLocale) -> str:
    values = [display(value, view.version.spec, team) if value is not None else "—" for _, value in view.trend]
    return t(team.language, "sla.ui.breach.trend", values=" → ".join(values))


def _day(day: date, team: TeamLocale) -> str:
    return format_date(day, format="medium", locale=_babel(team))


def _moment(moment: datetime, team: TeamLocale) -> str:
    return format_datetime(moment, format="d MMM, HH:mm", tzinfo=_zone(team), locale=_babel(team))


def _babel(team: TeamLocale) -> str:
    return f"{team.language}_{team.country}" if team.language == "es" else "en"


def _zone(team: TeamLocale):
    from zoneinfo import ZoneInfo

    return ZoneInfo(team.timezone)


def reason_text(reason: Reason, language: str) -> str:
    return t(language, f"sla.ui.breach.reason.{reason.value}")


def plan_text(view: BreachView, team: TeamLocale) -> str | None:
    if not view.plan:
        return None
    owner = mention(view.plan_owner) if view.plan_owner else t(team.language, "sla.ui.breach.plan.no_owner")
    due = _day(view.plan_due, team) if view.plan_due else t(team.language, "sla.ui.breach.plan.no_due")
    return t(team.language, "sla.ui.breach.plan.line", plan=escape_mrkdwn(view.plan), owner=owner, due=due)


# The breach post ------------------------------------------------------------------------------------


def breach_message(view: BreachView, team: TeamLocale) -> Reply:
    """Posted in the team's channel, and redrawn as the breach is acknowledged, escalated, resolved."""
    language = team.language
    title = t(language, "sla.ui.breach.title", breach=view.label, sla=view.version.label, side=_side(view.version, language))
    happened = t(
        language, "sla.ui.breach.happened", value=display(view.value, view.version.spec, team),
        period=format_period(view.period, language), gap=_gap_text(view, team),
    )
    body = "\n".join([
        t(language, "sla.ui.breach.promised", promise=promise_text(view.version, team)), happened, _trend_text(view, team),
    ])
    blocks: list[Block] = [header(title), section(body), section(_status_text(view, team))]
    if view.plan:
        blocks.append(section(plan_text(view, team) or ""))
    if view.status in (BreachStatus.OPEN, BreachStatus.ACKNOWLEDGED):
        buttons = [kit.button(text=t(language, "sla.ui.breach.add_plan"), action_id=ADD_PLAN, value=str(view.id))]
        if view.status is BreachStatus.OPEN:
            acknowledge = kit.button(text=t(language, "sla.ui.breach.acknowledge"), action_id=ACKNOWLEDGE, value=str(view.id), style="primary")
            buttons.insert(0, acknowledge)
        blocks.append(kit.actions(block_id=f"sla_breach_{view.id}", elements=buttons))
        blocks.append(context(t(language, "sla.ui.breach.thread_hint")))
    return Reply(f"{title}: {happened}", blocks)


def _status_text(view: BreachView, team: TeamLocale) -> str:
    language = team.language
    if view.status is BreachStatus.ACKNOWLEDGED and view.acknowledged_by and view.acknowledged_at and view.reason:
        note = f" — {escape_mrkdwn(view.note)}" if view.note else ""
        return t(language, "sla.ui.breach.status.acknowledged", user=mention(view.acknowledged_by),
                 at=_moment(view.acknowledged_at, team), reason=reason_text(view.reason, language)) + note
    if view.status is BreachStatus.RESOLVED:
        return t(language, "sla.ui.breach.status.resolved", at=_moment(view.ended_at, team) if view.ended_at else "")
    if view.status is BreachStatus.CLOSED:
        return t(language, "sla.ui.breach.status.closed", user=mention(view.ended_by or ""), note=escape_mrkdwn(view.end_note))
    who = mention(view.responsible) if view.responsible else t(language, "sla.ui.breach.no_responsible")
    escalated = " " + t(language, "sla.ui.breach.status.escalated") if view.step.value == "escalated" else ""
    return t(language, "sla.ui.breach.status.open", user=who) + escalated


# Thread replies -----------------------------------------------------------------------------------------


def step_reply(step: StepView, team: TeamLocale) -> Reply:
    """What a step says in the breach's thread."""
    view, language = step.breach, team.language
    params: dict[str, Any] = {"breach": view.label}
    if step.kind == "reminded":
        params["user"] = mention(view.responsible) if view.responsible else t(language, "sla.ui.breach.no_responsible")
    elif step.kind == "escalated":
        params["users"] = " ".join(mention(person) for person in view.escalate_to) or t(language, "sla.ui.breach.nobody")
        params["responsible"] = mention(view.responsible) if view.responsible else t(language, "sla.ui.breach.no_responsible")
    elif step.kind == "acknowledged":
        params.update(user=mention(step.actor), reason=reason_text(Reason(step.detail["reason"]), language),
                      note=escape_mrkdwn(step.detail.get("note") or "—"))
    elif step.kind == "plan":
        params.update(user=mention(step.actor), plan=plan_text(view, team) or "")
    elif step.kind == "resolved":
        params["period"] = format_period(Period.parse_key(step.detail["period"]), language) if step.detail.get("period") else ""
    elif step.kind == "closed":
        params.update(user=mention(step.actor), note=escape_mrkdwn(step.detail.get("note") or ""))
    text = t(language, f"sla.ui.breach.step.{step.kind}", **params)
    if step.kind == "acknowledged" and step.detail.get("plan"):
        text += "\n" + (plan_text(view, team) or "")
    return Reply(text, [section(text)])


# Other posts --------------------------------------------------------------------------------------------


def _log_hint(version: SlaVersionView, period: Period, language: str) -> str:
    return t(language, "sla.ui.breach.log_hint", key=version.terms.kpi_key, period=period.key)


def no_data_message(view: NoDataView, team: TeamLocale) -> Reply:
    language = team.language
    who = mention(view.version.responsible) if view.version.responsible else t(language, "sla.ui.breach.no_responsible")
    text = t(language, "sla.ui.breach.no_data", sla=view.version.label, promise=promise_text(view.version, team),
             period=format_period(view.period, language), user=who)
    return Reply(text, [section(text), context(_log_hint(view.version, view.period, language))])


def risk_message(view: RiskView, team: TeamLocale) -> Reply:
    language = team.language
    so_far = display(view.value_so_far, view.version.spec, team) if view.value_so_far is not None else None
    key = "sla.ui.breach.at_risk" if so_far is not None else "sla.ui.breach.at_risk_no_data"
    who = mention(view.version.responsible) if view.version.responsible else t(language, "sla.ui.breach.no_responsible")
    text = t(language, key, sla=view.version.label, promise=promise_text(view.version, team),
             period=format_period(view.period, language), value=so_far or "", user=who)
    blocks = [section(text)]
    if so_far is None:
        blocks.append(context(_log_hint(view.version, view.period, language)))
    return Reply(text, blocks)


# Modals ---------------------------------------------------------------------------------------------------


def _text_input(language: str, name: str, *, max_length: int) -> dict[str, Any]:
    return kit.plain_text_input(action_id=VALUE, multiline=True, max_length=max_length,
                                placeholder=t(language, f"sla.ui.breach.form.{name}_placeholder"))


def _plan_blocks(language: str, *, optional: bool, owner: str | None, today: date) -> list[Block]:
    return [
        kit.input_block(block_id=PLAN, label=t(language, "sla.ui.breach.form.plan"), element=_text_input(language, "plan", max_length=1500),
                        optional=optional),
        kit.input_block(block_id=PLAN_OWNER, label=t(language, "sla.ui.breach.form.plan_owner"),
                        element=kit.users_select(action_id=VALUE, initial=owner), optional=optional),
        kit.input_block(block_id=PLAN_DUE, label=t(language, "sla.ui.breach.form.plan_due"),
                        element=kit.datepicker(action_id=VALUE, initial=today), optional=optional),
    ]


def _modal(callback_id: str, language: str, title: str, blocks: list[Block], metadata: str) -> dict[str, Any]:
    return kit.modal(callback_id=callback_id, private_metadata=metadata, title=title, submit=t(language, "sla.ui.breach.form.save"),
                     close=t(language, "sla.ui.breach.form.cancel"), blocks=blocks)


def ack_modal(view: BreachView, team: TeamLocale, *, user_id: str, today: date, metadata: str) -> dict[str, Any]:
    language = team.language
    reasons = [kit.option(text=reason_text(reason, language), value=reason.value) for reason in Reason]
    blocks = [
        section(t(language, "sla.ui.breach.form.intro", breach=view.label, promise=promise_text(view.version, team))),
        kit.input_block(block_id=REASON, label=t(language, "sla.ui.breach.form.reason"), element=kit.static_select(action_id=VALUE, options=reasons)),
        kit.input_block(block_id=NOTE, label=t(language, "sla.ui.breach.form.note"), element=_text_input(language, "note", max_length=1000),
                        optional=True),
        *_plan_blocks(language, optional=True, owner=user_id, today=today),
    ]
    return _modal(ACK_VIEW, language, t(language, "sla.ui.breach.form.ack_title", breach=view.label), blocks, metadata)


def plan_modal(view: BreachView, team: TeamLocale, *, user_id: str, today: date, metadata: str) -> dict[str, Any]:
    language = team.language
    blocks = [
        section(t(language, "sla.ui.breach.form.plan_intro", breach=view.label, promise=promise_text(view.version, team))),
        *_plan_blocks(language, optional=False, owner=view.plan_owner or user_id, today=view.plan_due or today),
    ]
    return _modal(PLAN_VIEW, language, t(language, "sla.ui.breach.form.plan_title", breach=view.label), blocks, metadata)


# Replies to the person ------------------------------------------------------------------------------------


def acknowledged_reply(view: BreachView, team: TeamLocale) -> Reply:
    text = t(team.language, "sla.ui.breach.reply.acknowledged", breach=view.label)
    return Reply(text, [section(text)])


def plan_reply(view: BreachView, team: TeamLocale) -> Reply:
    text = t(team.language, "sla.ui.breach.reply.plan", breach=view.label)
    return Reply(text, [section(text)])


def closed_reply(view: BreachView, team: TeamLocale) -> Reply:
    text = t(team.language, "sla.ui.breach.reply.closed", breach=view.label)
    return Reply(text, [section(text)])


def breaches_list(views: Sequence[BreachView], team: TeamLocale) -> Reply:
    language = team.language
    if not views:
        text = t(language, "sla.ui.breach.list.none")
        return Reply(text, [section(text)])
    title = t(language, "sla.ui.breach.list.title", count=len(views))
    lines = [_list_line(view, team) for view in views[:40]]
    blocks: list[Block] = [section(f"*{title}*")]
    for start in range(0, len(lines), 10):
        blocks.append(section("\n".join(lines[start:start + 10])))
    blocks.append(context(t(language, "sla.ui.breach.list.hint")))
    return Reply(title, blocks)


def _list_line(view: BreachView, team: TeamLocale) -> str:
    state = t(team.language, f"sla.ui.breach.list.state.{view.status.value}")
    if view.status is BreachStatus.OPEN and view.step.value != "posted":
        state += " · " + t(team.language, f"sla.ui.breach.list.step.{view.step.value}")
    who = mention(view.responsible) if view.responsible else "—"
    return t(team.language, "sla.ui.breach.list.line", breach=view.label, sla=view.version.label,
             promise=promise_text(view.version, team), period=format_period(view.period, team.language),
             value=display(view.value, view.version.spec, team), state=state, user=who)
