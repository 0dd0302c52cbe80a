"""Acting on an SLA breach: who may, acknowledging it with a reason, adding a plan, and an
admin closing it with a note. Each is a claimed step (`services.sla_breaches.add_step`), said in
the breach's thread once posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AlignmentTeam, BreachStatus, SlaBreach, SlaBreachStep, TeamRole
from domain.errors import UserError
from domain.sla import Reason
from services.sla_breaches import BreachView, add_step, breach_view, scoped_breach
from services.teams import roles_of

MAX_NOTE_LENGTH = 1000
MAX_PLAN_LENGTH = 1500


@dataclass(frozen=True)
class Plan:
    text: str
    owner: str | None
    due: date | None


def _check_may_act(team: AlignmentTeam, view: BreachView, actor: str) -> None:
    if actor not in view.may_acknowledge:
        raise UserError("sla.not_allowed_to_ack", breach=view.label, side=view.version.terms.side.value)


def _refuse_ended(breach: SlaBreach) -> None:
    if breach.status is BreachStatus.RESOLVED:
        raise UserError("sla.breach_resolved", breach=f"B{breach.number}")
    if breach.status is BreachStatus.CLOSED:
        raise UserError("sla.breach_closed", breach=f"B{breach.number}")


def open_for(session: Session, *, team: AlignmentTeam, breach_id: int, actor: str, acknowledging: bool) -> BreachView:
    """The breach, if `actor` may act on it now (before a form is opened); a UserError saying why not."""
    breach = scoped_breach(session, team, breach_id)
    view = breach_view(session, team, breach)
    _check_may_act(team, view, actor)
    _refuse_ended(breach)
    if acknowledging and breach.status is BreachStatus.ACKNOWLEDGED:
        raise UserError("sla.already_acknowledged", breach=view.label, user=breach.acknowledged_by or "")
    return view


def _checked_plan(plan: Plan | None) -> Plan | None:
    if plan is None or not plan.text.strip():
        return None
    if len(plan.text) > MAX_PLAN_LENGTH:
        raise UserError("sla.plan_too_long", limit=MAX_PLAN_LENGTH, length=len(plan.text))
    return Plan(plan.text.strip(), plan.owner, plan.due)


def acknowledge(
    session: Session, *, team: AlignmentTeam, breach_id: int, actor: str, reason: Reason, note: str, now: datetime,
    plan: Plan | None = None,
) -> BreachView:
    breach = scoped_breach(session, team, breach_id, lock=True)
    view = breach_view(session, team, breach)
    _check_may_act(team, view, actor)
    _refuse_ended(breach)
    if breach.status is BreachStatus.ACKNOWLEDGED:
        raise UserError("sla.already_acknowledged", breach=view.label, user=breach.acknowledged_by or "")
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise UserError("sla.note_too_long", limit=MAX_NOTE_LENGTH, length=len(note))
    plan = _checked_plan(plan)
    breach.status, breach.acknowledged_by, breach.acknowledged_at = BreachStatus.ACKNOWLEDGED, actor, now
    breach.reason, breach.note = reason.value, note
    if plan is not None:
        breach.plan, breach.plan_owner, breach.plan_due = plan.text, plan.owner, plan.due
    add_step(session, team, breach, "acknowledged", actor, now, {"reason": reason.value, "note": note, **_plan_json(plan)})
    session.flush()
    return breach_view(session, team, breach)


def _plan_json(plan: Plan | None) -> dict:
    if plan is None:
        return {}
    return {"plan": plan.text, "plan_owner": plan.owner, "plan_due": plan.due.isoformat() if plan.due else None}


def add_plan(session: Session, *, team: AlignmentTeam, breach_id: int, actor: str, plan: Plan, now: datetime) -> BreachView:
    breach = scoped_breach(session, team, breach_id, lock=True)
    _check_may_act(team, breach_view(session, team, breach), actor)
    _refuse_ended(breach)
    checked = _checked_plan(plan)
    if checked is None:
        raise UserError("sla.plan_missing")
    breach.plan, breach.plan_owner, breach.plan_due = checked.text, checked.owner, checked.due
    count = session.scalar(select(func.count()).where(SlaBreachStep.breach_id == breach.id, SlaBreachStep.kind == "plan")) or 0
    add_step(session, team, breach, "plan", actor, now, _plan_json(checked), claim=f"sla-breach-{breach.id}-plan-{count + 1}")
    session.flush()
    return breach_view(session, team, breach)


def close(session: Session, *, team: AlignmentTeam, breach_id: int, actor: str, note: str, now: datetime, is_workspace_admin: bool = False) -> BreachView:
    """An admin closes a breach with a note (a definition fixed, a period that should not count…)."""
    if TeamRole.ADMIN not in roles_of(team, actor) and not is_workspace_admin:
        raise UserError("sla.close_admins_only")
    note = note.strip()
    if not note:
        raise UserError("sla.close_note_missing")
    if len(note) > MAX_NOTE_LENGTH:
        raise UserError("sla.note_too_long", limit=MAX_NOTE_LENGTH, length=len(note))
    breach = scoped_breach(session, team, breach_id, lock=True)
    _refuse_ended(breach)
    breach.status, breach.ended_at, breach.ended_by, breach.end_note = BreachStatus.CLOSED, now, actor, note
    add_step(session, team, breach, "closed", actor, now, {"note": note})
    session.flush()
    return breach_view(session, team, breach)
