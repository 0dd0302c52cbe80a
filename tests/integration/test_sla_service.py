"""SLA commitments, evaluation, breaches, acknowledgement and escalation on real SQLite and
PostgreSQL, with time as a parameter."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from db import repositories
from db.models import BreachStatus, SlaBreachStep, SlaEvaluation, SlaStatus
from domain.errors import UserError
from domain.periods import Period
from domain.sla import Commitment, Reason, State, Step, parse_commitment
from services import breach_acknowledgement, breach_escalation, breach_evaluation, kpis, sla, sla_breaches, sla_pending_posts
from services.breach_acknowledgement import Plan
from tests.support.teams import act

BOGOTA = ZoneInfo("America/Bogota")
ANA, LUIS, MARTA, ROSA, PEDRO = "U0ANA", "U0LUIS", "U0MARTA", "U0ROSA", "U0PEDRO"  # mkt lead, sales lead, 2nd sales lead, admin, nobody
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=BOGOTA)  # Monday of ISO week 2026-W10


def local(y, m, d, h=9, minute=0):
    return datetime(y, m, d, h, minute, tzinfo=BOGOTA)


pytestmark = pytest.mark.team(now=NOW, marketing=ANA, sales=(LUIS, MARTA), admin=ROSA, starter_kpis=True)


def log(factory, team, key, value, day, *, now=None):
    return act(factory, team, kpis.record, key=key, value=Decimal(value), shown=value, period=Period.day(day),
               source="slack", actor=LUIS, note="", now=now or NOW)


def activate(factory, team, line="sales followup_hours <= 24 weekly", *, by=(LUIS, ANA), now=NOW, **extra) -> sla.SlaVersionView:
    proposal = act(factory, team, sla.propose, actor=by[0], terms=parse_commitment(line), now=now, **extra)
    outcome = act(factory, team, sla.accept, version_id=proposal.version.id, actor=by[1], now=now)
    assert outcome.active
    return outcome.version


def post_all(factory, team, now):
    """What the poster does after Slack answered: record the ts of everything pending."""
    with factory.begin() as session:
        t = team(session)
        for breach in sla_pending_posts.unposted_breaches(session, team=t):
            sla_pending_posts.record_breach_post(session, team=t, breach_id=breach.id, ts=f"{now.timestamp():.6f}", now=now)
        for step in sla_pending_posts.unposted_steps(session, team=t):
            sla_pending_posts.record_step_post(session, team=t, step_id=step.id, ts="1.2")


# Commitments ----------------------------------------------------------------------------------------


def test_a_commitment_is_active_only_once_a_lead_of_each_side_accepted_it(session_factory, team):
    proposal = act(session_factory, team, sla.propose, actor=LUIS, terms=parse_commitment("ventas followup_hours <= 24 semanal"), now=NOW)
    assert proposal.version.status is SlaStatus.PENDING and proposal.version.label == "SLA1"
    assert proposal.version.missing_sides == {sla.Side.MARKETING}
    assert proposal.version.responsible == LUIS  # the side's first lead by default
    same_side = act(session_factory, team, sla.accept, version_id=proposal.version.id, actor=MARTA, now=NOW)
    assert not same_side.active and same_side.version.missing_sides == {sla.Side.MARKETING}  # two sellers are not agreement
    with pytest.raises(UserError) as outsider:
        act(session_factory, team, sla.accept, version_id=proposal.version.id, actor=PEDRO, now=NOW)
    assert outsider.value.message_id == "sla.not_a_lead"
    done = act(session_factory, team, sla.accept, version_id=proposal.version.id, actor=ANA, now=NOW)
    assert done.active and done.version.status is SlaStatus.ACTIVE
    with session_factory() as session:
        actions = [e.action for e in repositories.audit_entries(session, workspace_id=1, entity_type="sla_version")]
    assert actions == ["sla_version.proposed", "sla_version.accepted", "sla_version.accepted", "sla_version.accepted", "sla_version.active"]


def test_acceptance_by_the_other_side_activates_and_a_new_version_waits_for_both(session_factory, team):
    first = activate(session_factory, team)
    assert first.status is SlaStatus.ACTIVE and first.active_at is not None
    change = act(session_factory, team, sla.propose, actor=ANA, terms=parse_commitment("sales followup_hours <= 12 weekly"), now=NOW)
    assert change.version.number == 2 and change.in_force.id == first.id
    with session_factory() as session:
        (row,) = sla.listing(session, team=team(session), now=NOW)
    assert row.in_force.terms.target == Decimal(24) and row.pending.terms.target == Decimal(12)
    done = act(session_factory, team, sla.accept, version_id=change.version.id, actor=LUIS, now=NOW)
    assert done.active and done.superseded.id == first.id
    with pytest.raises(UserError) as again:
        act(session_factory, team, sla.accept, version_id=first.id, actor=MARTA, now=NOW)
    assert again.value.message_id == "sla.version_superseded"


@pytest.mark.parametrize(
    "line, message_id",
    [
        ("sales followups <= 24 weekly", "sla.unknown_kpi_suggestion"),
        ("sales followup_hours >= 24 weekly", "sla.contradicts_direction"),
        ("marketing leads_mql <= 100 weekly", "sla.contradicts_direction"),
        ("marketing leads_mql >= 100 weekly term Inexistente", "glossary.unknown_term"),
    ],
)
def test_nonsense_commitments_are_refused_and_nothing_is_stored(session_factory, team, line, message_id):
    with pytest.raises(UserError) as refused:
        act(session_factory, team, sla.propose, actor=ANA, terms=parse_commitment(line), now=NOW)
    assert refused.value.message_id == message_id
    with session_factory() as session:
        assert sla.listing(session, team=team(session), now=NOW) == []


def test_the_same_proposal_twice_and_a_responsible_who_is_not_a_lead_are_refused(session_factory, team):
    act(session_factory, team, sla.propose, actor=ANA, terms=parse_commitment("marketing leads_mql >= 120 weekly"), now=NOW)
    with pytest.raises(UserError) as twice:
        act(session_factory, team, sla.propose, actor=ANA, terms=parse_commitment("marketing leads_mql >= 120 weekly"), now=NOW)
    assert twice.value.message_id == "sla.duplicate_proposal"
    with pytest.raises(UserError) as wrong:
        act(session_factory, team, sla.propose, actor=ANA, terms=parse_commitment("marketing leads_mql >= 100 weekly"), now=NOW, responsible=LUIS)
    assert wrong.value.message_id == "sla.responsible_not_lead_marketing"
    with pytest.raises(UserError) as outsider:
        act(session_factory, team, sla.propose, actor=PEDRO, terms=parse_commitment("marketing leads_mql >= 100 weekly"), now=NOW)
    assert outsider.value.message_id == "sla.not_a_member"


# Evaluation -----------------------------------------------------------------------------------------


def test_a_closed_week_is_evaluated_once_met_breached_or_no_data(session_factory, team):
    activate(session_factory, team)  # sales follow-up <= 24 h, week of Monday 2 March
    for day, hours in ((2, "30"), (3, "28"), (4, "20")):
        log(session_factory, team, "followup_hours", hours, date(2026, 3, day))
    before_close = local(2026, 3, 8, 23, 59)
    assert act(session_factory, team, breach_evaluation.evaluate, now=before_close).evaluated == 0
    after_close = local(2026, 3, 9, 0, 5)
    summary = act(session_factory, team, breach_evaluation.evaluate, now=after_close)
    assert (summary.evaluated, summary.breaches) == (1, 1)
    assert act(session_factory, team, breach_evaluation.evaluate, now=after_close).evaluated == 0  # the same instant again
    with session_factory() as session:
        (breach,) = sla_breaches.open_breaches(session, team=team(session))
    assert breach.label == "B1" and breach.value == Decimal(26) and breach.gap == Decimal(2)
    assert breach.responsible == LUIS and breach.may_acknowledge == (LUIS, MARTA, ROSA) and breach.escalate_to == (ANA, ROSA)
    assert [value for _, value in breach.trend] == [None, None, None, Decimal(26)]
    # The next week has no value at all: its own state, never a pass.
    summary = act(session_factory, team, breach_evaluation.evaluate, now=local(2026, 3, 16, 0, 5))
    assert (summary.evaluated, summary.no_data) == (1, 1)
    with session_factory() as session:
        (pending,) = sla_pending_posts.unposted_no_data(session, team=team(session))
        outcomes = sla.recent_outcomes(session, commitment_id=breach.version.commitment_id)
    assert pending.period == Period.week_of(date(2026, 3, 9))
    assert [o.state for o in outcomes] == [State.BREACHED, State.NO_DATA]


def test_a_value_logged_late_reevaluates_a_period_without_data_and_a_met_period_resolves_breaches(session_factory, team):
    activate(session_factory, team)
    log(session_factory, team, "followup_hours", "30", date(2026, 3, 3))
    act(session_factory, team, breach_evaluation.evaluate, now=local(2026, 3, 16, 0, 5))  # W10 breached, W11 no data
    log(session_factory, team, "followup_hours", "10", date(2026, 3, 10), now=local(2026, 3, 16, 10))
    summary = act(session_factory, team, breach_evaluation.evaluate, now=local(2026, 3, 16, 10, 5))
    assert (summary.evaluated, summary.resolved) == (1, 1)
    with session_factory() as session:
        states = [e.state for e in session.query(SlaEvaluation).order_by(SlaEvaluation.period_start)]
        assert sla_breaches.open_breaches(session, team=team(session)) == []
        kinds = [step.kind for step in session.query(SlaBreachStep)]
    assert states == ["breached", "met"] and kinds == ["resolved"]


def test_accepting_a_commitment_does_not_breach_periods_that_closed_before(session_factory, team):
    log(session_factory, team, "followup_hours", "99", date(2026, 2, 23))
    activate(session_factory, team, starts_on=date(2026, 2, 1))
    assert act(session_factory, team, breach_evaluation.evaluate, now=NOW).evaluated == 0


def test_at_risk_is_flagged_once_per_open_period(session_factory, team):
    activate(session_factory, team, "marketing leads_mql >= 100 weekly", by=(ANA, LUIS))
    log(session_factory, team, "leads_mql", "10", date(2026, 3, 2))
    thursday = local(2026, 3, 5, 12)  # more than half of the week gone, 10 of 100 leads
    assert act(session_factory, team, breach_evaluation.evaluate, now=thursday).at_risk == 1
    assert act(session_factory, team, breach_evaluation.evaluate, now=thursday + timedelta(hours=5)).at_risk == 0
    with session_factory() as session:
        (risk,) = sla_pending_posts.unposted_risks(session, team=team(session))
        (row,) = sla.listing(session, team=team(session), now=thursday)
    assert risk.value_so_far == Decimal(10) and row.current_state is State.AT_RISK


# Acknowledgement --------------------------------------------------------------------------------------


def breached(factory, team) -> sla_breaches.BreachView:
    activate(factory, team)
    log(factory, team, "followup_hours", "40", date(2026, 3, 3))
    act(factory, team, breach_evaluation.evaluate, now=local(2026, 3, 9, 0, 5))
    post_all(factory, team, local(2026, 3, 9, 8))
    with factory() as session:
        (found,) = sla_breaches.open_breaches(session, team=team(session))
    return found


def test_acknowledgement_rules(session_factory, team):
    found = breached(session_factory, team)
    with pytest.raises(UserError) as outsider:
        act(session_factory, team, breach_acknowledgement.acknowledge, breach_id=found.id, actor=ANA, reason=Reason.STAFFING, note="", now=NOW)
    assert outsider.value.message_id == "sla.not_allowed_to_ack"
    plan = Plan("Contratar un asesor", MARTA, date(2026, 3, 20))
    done = act(session_factory, team, breach_acknowledgement.acknowledge, breach_id=found.id, actor=MARTA, reason=Reason.STAFFING,
               note="dos asesores de vacaciones", now=local(2026, 3, 9, 9), plan=plan)
    assert done.status is BreachStatus.ACKNOWLEDGED and done.acknowledged_by == MARTA and done.plan_owner == MARTA
    with pytest.raises(UserError) as twice:
        act(session_factory, team, breach_acknowledgement.acknowledge, breach_id=found.id, actor=LUIS, reason=Reason.OTHER, note="", now=NOW)
    assert twice.value.message_id == "sla.already_acknowledged"
    with pytest.raises(UserError) as not_admin:
        act(session_factory, team, breach_acknowledgement.close, breach_id=found.id, actor=LUIS, note="x", now=NOW)
    assert not_admin.value.message_id == "sla.close_admins_only"
    closed = act(session_factory, team, breach_acknowledgement.close, breach_id=found.id, actor=ROSA, note="Semana con paro nacional", now=NOW)
    assert closed.status is BreachStatus.CLOSED
    with pytest.raises(UserError) as after_close:
        act(session_factory, team, breach_acknowledgement.add_plan, breach_id=found.id, actor=LUIS, plan=plan, now=NOW)
    assert after_close.value.message_id == "sla.breach_closed"
    with session_factory() as session:
        kinds = [step.kind for step in sla_pending_posts.unposted_steps(session, team=team(session))]
    assert kinds == ["acknowledged", "closed"]


# Escalation -------------------------------------------------------------------------------------------


def step_of(factory, team, breach_id):
    with factory() as session:
        return sla_breaches.breach(session, team=team(session), breach_id=breach_id).step


def test_reminder_then_escalation_counted_in_working_hours(session_factory, team):
    found = breached(session_factory, team)  # posted Monday 9 March 08:00; 24 working hours
    assert found.posted_at == local(2026, 3, 9, 8)
    escalate = lambda at: act(session_factory, team, breach_escalation.escalate, now=at)  # noqa: E731
    assert escalate(local(2026, 3, 11, 13, 59)) == 0  # 9 + 9 + 5:59 working hours
    assert escalate(local(2026, 3, 11, 14, 0)) == 1 and step_of(session_factory, team, found.id) is Step.REMINDED
    assert escalate(local(2026, 3, 11, 14, 0)) == 0  # the same instant again: nothing twice
    assert escalate(local(2026, 3, 14, 12)) == 0  # Saturday: 3 + 9 + 9 = 21 h of the second window
    assert escalate(local(2026, 3, 16, 11, 0)) == 1 and step_of(session_factory, team, found.id) is Step.ESCALATED
    assert escalate(local(2026, 4, 30, 11, 0)) == 0  # escalated is the last step
    with session_factory() as session:
        kinds = [step.kind for step in sla_pending_posts.unposted_steps(session, team=team(session))]
    assert kinds == ["reminded", "escalated"]  # waiting for the poster
    with session_factory() as session:
        rows = [(s.kind, s.message_ts) for s in session.query(SlaBreachStep).order_by(SlaBreachStep.id)]
    assert rows == [("reminded", None), ("escalated", None)]


def test_a_job_down_for_both_windows_reminds_before_it_escalates(session_factory, team):
    found = breached(session_factory, team)
    assert act(session_factory, team, breach_escalation.escalate, now=local(2026, 3, 20, 12)) == 2
    with session_factory() as session:
        kinds = [s.kind for s in session.query(SlaBreachStep).order_by(SlaBreachStep.id)]
    assert kinds == ["reminded", "escalated"] and step_of(session_factory, team, found.id) is Step.ESCALATED


def test_a_public_holiday_pauses_the_clock(session_factory, team):
    # Week of 16 March closes on Monday 23 March, San José (observed), a holiday in Colombia.
    activate(session_factory, team, now=local(2026, 3, 16, 8))
    log(session_factory, team, "followup_hours", "40", date(2026, 3, 17))
    act(session_factory, team, breach_evaluation.evaluate, now=local(2026, 3, 23, 0, 5))
    post_all(session_factory, team, local(2026, 3, 23, 0, 5))
    (found,) = act(session_factory, team, sla_breaches.open_breaches)
    escalate = lambda at: act(session_factory, team, breach_escalation.escalate, now=at)  # noqa: E731
    assert escalate(local(2026, 3, 25, 14, 30)) == 0  # would be due Wednesday 14:00 without the holiday
    assert escalate(local(2026, 3, 26, 14, 0)) == 1 and step_of(session_factory, team, found.id) is Step.REMINDED


def test_an_acknowledged_breach_is_not_escalated(session_factory, team):
    found = breached(session_factory, team)
    act(session_factory, team, breach_acknowledgement.acknowledge, breach_id=found.id, actor=LUIS, reason=Reason.TRACKING, note="", now=local(2026, 3, 9, 10))
    assert act(session_factory, team, breach_escalation.escalate, now=local(2026, 3, 20, 12)) == 0
