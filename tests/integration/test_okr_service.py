"""OKRs on real SQLite and PostgreSQL: objectives and key results, check-ins (manual and
KPI-backed), re-targets, closing, the refusals that change nothing, the check-in reminder claim
and the end-of-period review. Time is a parameter."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, OkrCheckIn, OkrKeyResult, OkrObjective, OkrReminder, OkrRetarget, OkrReviewPrompt
from domain.errors import UserError
from domain.okr import Objective, ObjectiveKind, Status, parse_objective
from domain.okr_checkin_line import parse_checkin
from domain.okr_review_answers import ReviewQuestion
from domain.periods import Period
from domain.smart_goal import Criterion, Verdict
from services import kpis, okr, okr_rhythm
from tests.support.teams import act

BOGOTA = ZoneInfo("America/Bogota")
ANA, LUIS, ROSA, PEDRO = "U0ANA", "U0LUIS", "U0ROSA", "U0PEDRO"  # mkt lead, sales lead, admin, nobody
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=BOGOTA)  # Monday of ISO week 2026-W10, after the 09:00 meeting


def local(m, d, h=10, minute=0):
    return datetime(2026, m, d, h, minute, tzinfo=BOGOTA)


pytestmark = pytest.mark.team(now=NOW, marketing=ANA, sales=LUIS, admin=ROSA, starter_kpis=True)


def new_objective(factory, team, text="comprometido Fidelizar clientes incrementando la recompra", *, actor=ANA, now=NOW):
    with factory.begin() as session:
        return act_objective(session, team(session), text, actor, now)


def act_objective(session, t, text, actor, now):
    row = okr.create_objective(session, team=t, actor=actor, draft=parse_objective(text), now=now)
    return row.id, row.number


def add_kr(factory, team, objective_id, line, *, actor=ANA, now=NOW):
    with factory.begin() as session:
        t = team(session)
        draft = okr.parse_key_result_line(session, team=t, text=line, today=now.date())
        return okr.add_key_result(session, team=t, actor=actor, objective_id=objective_id, draft=draft, now=now)


def check_in(factory, team, text, *, actor=ANA, now=NOW):
    return act(factory, team, okr.check_in, actor=actor, checkin=parse_checkin(text, language="es", country="CO"), now=now)


def log(factory, team, key, value, day):
    return act(factory, team, kpis.record, key=key, value=Decimal(value), shown=value, period=Period.day(day),
               source="slack", actor=LUIS, note="", now=NOW)


def counts(factory):
    with factory() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (OkrObjective, OkrKeyResult, OkrCheckIn, OkrRetarget, AuditEntry)}


def board(factory, team, today=date(2026, 3, 2)):
    with factory() as session:
        return okr.board(session, team=team(session), today=today)


MANUAL_KR = "clientes con recompra de 200 a 300 al 31/05/2026 dueño <@U0ANA>"


# Creating ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_objectives_and_key_results_are_numbered_per_team_and_checked_against_smart(session_factory, team):
    objective_id, number = new_objective(session_factory, team)
    assert number == 1
    added = add_kr(session_factory, team, objective_id, MANUAL_KR)
    assert added.key_result.short_id == "KR1" and added.key_result.owner == ANA
    assert added.key_result.result.baseline == 200 and added.key_result.result.target == 300
    assert added.key_result.spec is None and added.key_result.current is None and added.key_result.progress == 0.0
    # A goal of 12 weeks without milestones is not time-bound enough; the checklist says so.
    assert added.smart[Criterion.TIME_BOUND].verdict is Verdict.FAILED
    second = add_kr(session_factory, team, objective_id, "repurchase_60d de 20 % a 25 % al 30/06/2026 hito 22 % 30/04/2026 dueño <@U0LUIS>")
    assert second.key_result.short_id == "KR2" and second.key_result.spec is not None  # KPI-backed by its key
    assert second.key_result.result.unit == "%" and second.smart[Criterion.TIME_BOUND].verdict is Verdict.PASSED
    other_id, other_number = new_objective(session_factory, team, "aspiracional Ser la tienda de regalos favorita")
    assert other_number == 2
    third = add_kr(session_factory, team, other_id, "satisfacción de 8 a 9 de 10 al 30/04/2026 dueño <@U0LUIS>")
    assert third.key_result.short_id == "KR3" and third.objective.kind is ObjectiveKind.ASPIRATIONAL
    shown = board(session_factory, team)
    assert [o.label for o in shown.objectives] == ["O1", "O2"]
    assert [kr.short_id for kr in shown.objectives[0].key_results] == ["KR1", "KR2"]
    assert shown.objectives[0].owners == (ANA, LUIS) and shown.warnings == ()


def test_only_leads_and_admins_create_objectives_and_key_results(session_factory, team):
    with pytest.raises(UserError) as refused:
        new_objective(session_factory, team, actor=PEDRO)
    assert refused.value.message_id == "okr.not_a_lead"
    objective_id, _ = new_objective(session_factory, team, actor=ROSA)
    before = counts(session_factory)
    with pytest.raises(UserError) as again:
        add_kr(session_factory, team, objective_id, MANUAL_KR, actor=PEDRO)
    assert again.value.message_id == "okr.not_a_lead"
    assert counts(session_factory) == before


def test_a_key_result_needs_an_owner(session_factory, team):
    objective_id, _ = new_objective(session_factory, team)
    with pytest.raises(UserError) as refused:
        add_kr(session_factory, team, objective_id, "clientes con recompra de 200 a 300 al 31/05/2026")
    assert refused.value.message_id == "okr.kr_owner_required"


@pytest.mark.parametrize(
    "line, message_id",
    [
        ("clientes con recompra de 200 a 200 al 31/05/2026 dueño <@U0ANA>", "okr.target_equals_baseline"),
        ("clientes con recompra de 200 a 300 entre el 01/06/2026 y el 01/05/2026 dueño <@U0ANA>", "okr.deadline_before_start"),
        # Cart abandonment is lower-is-better: a KR that raises it contradicts the KPI.
        ("cart_abandonment de 70 % a 78 % al 31/05/2026 dueño <@U0ANA>", "okr.contradicts_lower"),
        ("clientes con recompra de 200 a 300 al 31/05/2026 dueño <@U0ANA> confianza 11", "okr.invalid_confidence"),
    ],
)
def test_bad_key_results_are_refused_and_change_nothing(session_factory, team, line, message_id):
    objective_id, _ = new_objective(session_factory, team)
    before = counts(session_factory)
    with pytest.raises(UserError) as refused:
        add_kr(session_factory, team, objective_id, line)
    assert refused.value.message_id == message_id
    assert counts(session_factory) == before


def test_more_than_three_active_objectives_is_a_focus_warning(session_factory, team):
    for index in range(4):
        objective_id, _ = new_objective(session_factory, team, f"Objetivo número {index + 1}")
    added = add_kr(session_factory, team, objective_id, MANUAL_KR)
    assert [w.message_id for w in added.warnings] == ["okr.focus.too_many_objectives"]
    assert [w.message_id for w in board(session_factory, team).warnings] == ["okr.focus.too_many_objectives"]


# Check-ins -------------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_manual_check_in_moves_progress_and_status_and_is_audited(session_factory, team):
    objective_id, _ = new_objective(session_factory, team)
    add_kr(session_factory, team, objective_id, MANUAL_KR)  # 2 Mar → 31 May: 90 days
    done = check_in(session_factory, team, "KR1 250 confianza 8 la campaña de marzo funcionó", now=local(4, 15))
    assert done.before.current is None and done.before.progress == 0.0
    view = done.key_result
    assert view.current.value == 250 and view.current.source == "checkin" and view.progress == pytest.approx(0.5)
    assert view.result.confidence == 8 and view.note == "la campaña de marzo funcionó"
    assert view.status is Status.ON_TRACK  # 44 of 90 days gone: 0.49 expected
    later = check_in(session_factory, team, "KR1 255 confianza 3", now=local(5, 20)).key_result
    assert later.status is Status.OFF_TRACK  # far behind pace, and the owner says so
    with session_factory() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "okr_key_result")).all()
    assert actions.count("okr_key_result.checkin") == 2


def test_lower_is_better_progress(session_factory, team):
    objective_id, _ = new_objective(session_factory, team)
    add_kr(session_factory, team, objective_id, "devoluciones de 12 % a 7 % al 31/05/2026 dueño <@U0LUIS>")
    view = check_in(session_factory, team, "KR1 9,5 %", actor=LUIS).key_result
    assert view.progress == pytest.approx(0.5)


def test_a_kpi_backed_key_result_reads_its_kpi_and_takes_confidence_only(session_factory, team):
    objective_id, _ = new_objective(session_factory, team)
    add_kr(session_factory, team, objective_id, "repurchase_60d de 20 % a 25 % al 30/06/2026 dueño <@U0LUIS>")
    log(session_factory, team, "repurchase_60d", "21", date(2026, 3, 3))
    log(session_factory, team, "repurchase_60d", "22.5", date(2026, 3, 10))
    with session_factory() as session:
        view = okr.key_result(session, team=team(session), reference="KR1", today=date(2026, 3, 11))
    assert view.current.value == Decimal("22.5") and view.current.source == "kpi" and view.current.at == date(2026, 3, 9)
    assert view.progress == pytest.approx(0.5)
    before = counts(session_factory)
    with pytest.raises(UserError) as refused:
        check_in(session_factory, team, "KR1 23 %", actor=LUIS)
    assert refused.value.message_id == "okr.checkin_kpi_backed" and refused.value.params["key"] == "repurchase_60d"
    assert counts(session_factory) == before
    confident = check_in(session_factory, team, "KR1 confianza 5 el canal de WhatsApp tarda", actor=LUIS, now=local(3, 11))
    assert confident.key_result.result.confidence == 5 and confident.key_result.status is Status.AT_RISK
    assert confident.key_result.current.value == Decimal("22.5")  # still the KPI's


def test_a_sum_kpi_reads_complete_weeks_only(session_factory, team):
    objective_id, _ = new_objective(session_factory, team)
    add_kr(session_factory, team, objective_id, "leads_mql de 100 a 150 al 31/05/2026 dueño <@U0ANA>")
    for day in range(2, 9):  # all of week 10
        log(session_factory, team, "leads_mql", "18", date(2026, 3, day))
    log(session_factory, team, "leads_mql", "30", date(2026, 3, 9))  # Monday of week 11: half a week is no reading
    with session_factory() as session:
        view = okr.key_result(session, team=team(session), reference="KR1", today=date(2026, 3, 10))
    assert view.current.value == 126 and view.current.at == date(2026, 3, 2)


@pytest.mark.parametrize(
    "text, actor, message_id",
    [
        ("KR9 250", ANA, "okr.unknown_kr"),
        ("KR1 250", PEDRO, "okr.checkin_not_owner"),  # neither owner nor lead
        ("KR1 250 confianza 0", ANA, "okr.invalid_confidence"),
        ("KR1 25 %", ANA, "okr.checkin_plain_number"),  # a count, not a percentage
    ],
)
def test_bad_check_ins_are_refused_and_change_nothing(session_factory, team, text, actor, message_id):
    objective_id, _ = new_objective(session_factory, team)
    add_kr(session_factory, team, objective_id, MANUAL_KR)
    before = counts(session_factory)
    with pytest.raises(UserError) as refused:
        check_in(session_factory, team, text, actor=actor)
    assert refused.value.message_id == message_id
    assert counts(session_factory) == before


def test_a_closed_objective_takes_no_check_ins(session_factory, team):
    objective_id, _ = new_objective(session_factory, team)
    add_kr(session_factory, team, objective_id, MANUAL_KR)
    with pytest.raises(UserError) as outsider:
        act(session_factory, team, okr.close_objective, actor=PEDRO, reference="O1", now=NOW)
    assert outsider.value.message_id == "okr.not_a_lead"
    closed = act(session_factory, team, okr.close_objective, actor=LUIS, reference="O1", now=NOW)
    assert not closed.active
    before = counts(session_factory)
    with pytest.raises(UserError) as refused:
        check_in(session_factory, team, "KR1 250")
    assert refused.value.message_id == "okr.objective_closed" and refused.value.params == {"objective": "O1"}
    assert counts(session_factory) == before
    assert board(session_factory, team).objectives == ()
    with session_factory() as session:
        assert [o.label for o in okr.board(session, team=team(session), today=NOW.date(), include_closed=True).objectives] == ["O1"]


# Re-targeting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_retarget_needs_a_reason_and_is_kept_with_it(session_factory, team):
    objective_id, _ = new_objective(session_factory, team)
    add_kr(session_factory, team, objective_id, MANUAL_KR)
    check_in(session_factory, team, "KR1 250")
    with pytest.raises(UserError) as no_reason:
        act(session_factory, team, okr.retarget, actor=ANA, reference="KR1", target=Decimal(280), deadline=None, reason=" ", now=NOW)
    assert no_reason.value.message_id == "okr.retarget_reason_missing"
    with pytest.raises(UserError) as outsider:
        act(session_factory, team, okr.retarget, actor=PEDRO, reference="KR1", target=Decimal(280), deadline=None, reason="x", now=NOW)
    assert outsider.value.message_id == "okr.retarget_not_owner"
    with pytest.raises(UserError) as equal:
        act(session_factory, team, okr.retarget, actor=ANA, reference="KR1", target=Decimal(200), deadline=None, reason="x", now=NOW)
    assert equal.value.message_id == "okr.target_equals_baseline"
    done = act(session_factory, team, okr.retarget, actor=ANA, reference="KR1", target=Decimal(280),
               deadline=date(2026, 6, 30), reason="la feria de mayo se canceló", now=NOW)
    assert done.old_target == 300 and done.old_deadline == date(2026, 5, 31)
    assert done.key_result.result.target == 280 and done.key_result.retargets == 1
    assert done.key_result.progress == pytest.approx(50 / 80)
    with session_factory() as session:
        kept = okr.retargets_of(session, team=team(session), reference="KR1")
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "okr_key_result.retarget")).one()
    assert [(r.old_target, r.new_target, r.reason, r.user_id) for r in kept] == [(300, 280, "la feria de mayo se canceló", ANA)]
    assert entry.before["target"] == "300" and entry.after["target"] == "280" and entry.after["reason"] == "la feria de mayo se canceló"


# Reminders -------------------------------------------------------------------------------------------


def claim_reminders(factory, team, now):
    return act(factory, team, okr_rhythm.claim_reminders, now=now)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_one_reminder_per_owner_before_the_weekly_meeting(session_factory, team):
    objective_id, _ = new_objective(session_factory, team)
    add_kr(session_factory, team, objective_id, MANUAL_KR)  # Ana
    add_kr(session_factory, team, objective_id, "pedidos por WhatsApp de 80 a 120 al 31/05/2026 dueño <@U0LUIS>")
    add_kr(session_factory, team, objective_id, "recompras de 10 a 20 al 31/05/2026 dueño <@U0LUIS>")
    check_in(session_factory, team, "KR1 230", now=local(3, 4))  # Ana checked in this week
    assert claim_reminders(session_factory, team, local(3, 8, 8, 59)) == 0  # more than 24 h before Monday 09:00
    assert claim_reminders(session_factory, team, local(3, 8, 9, 0)) == 1  # Luis, for his two KRs
    assert claim_reminders(session_factory, team, local(3, 9, 8, 0)) == 0  # once, not a stream
    with session_factory() as session:
        waiting = okr_rhythm.unposted_reminders(session, team=team(session), now=local(3, 9, 8, 0))
        assert [(r.user_id, [kr.short_id for kr in r.key_results]) for r in waiting] == [(LUIS, ["KR2", "KR3"])]
        assert okr_rhythm.unposted_reminders(session, team=team(session), now=local(3, 9, 9, 0)) == []  # the meeting started
    act(session_factory, team, okr_rhythm.record_reminder_post, reminder_id=waiting[0].id, ts="1.1")
    with session_factory() as session:
        assert okr_rhythm.unposted_reminders(session, team=team(session), now=local(3, 9, 8, 0)) == []
        assert session.scalar(select(func.count()).select_from(OkrReminder)) == 1


# Review --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_review_is_asked_once_after_the_last_deadline_and_answers_are_kept(session_factory, team):
    objective_id, _ = new_objective(session_factory, team)
    add_kr(session_factory, team, objective_id, "clientes con recompra de 200 a 300 al 31/03/2026 dueño <@U0ANA>")
    check_in(session_factory, team, "KR1 270", now=local(3, 30))
    assert act(session_factory, team, okr_rhythm.claim_review_prompts, now=local(3, 31, 23)) == 0  # still its last day
    assert act(session_factory, team, okr_rhythm.claim_review_prompts, now=local(4, 1, 8)) == 1
    assert act(session_factory, team, okr_rhythm.claim_review_prompts, now=local(4, 2, 8)) == 0
    assert act(session_factory, team, okr_rhythm.claim_review_prompt, objective_id=objective_id, now=local(4, 2)) is False
    with session_factory() as session:
        [prompt] = okr_rhythm.unposted_review_prompts(session, team=team(session), now=local(4, 1, 8))
    assert prompt.objective.label == "O1" and prompt.objective.score == pytest.approx(0.7) and prompt.objective.good is False
    act(session_factory, team, okr_rhythm.record_review_prompt_post, prompt_id=prompt.id, ts="55.5")
    with session_factory() as session:
        found = okr_rhythm.prompt_in_thread(session, team=team(session), channel_id="C0TEAM", thread_ts="55.5")
        assert found is not None and found.objective_id == objective_id
    with pytest.raises(UserError) as empty:
        act(session_factory, team, okr_rhythm.answer_review, objective_id=objective_id, actor=PEDRO,
            answers={ReviewQuestion.ACHIEVED: "  "}, source="form", now=local(4, 7))
    assert empty.value.message_id == "okr.review_answer_missing"
    answers = act(session_factory, team, okr_rhythm.answer_review, objective_id=objective_id, actor=PEDRO,
                  answers={ReviewQuestion.ACHIEVED: "270 clientes recompraron", ReviewQuestion.LEARNED: "los kits funcionan"},
                  source="form", now=local(4, 7))
    assert [(a.question, a.answer, a.user_id) for a in answers] == [
        (ReviewQuestion.ACHIEVED, "270 clientes recompraron", PEDRO), (ReviewQuestion.LEARNED, "los kits funcionan", PEDRO)]
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(OkrReviewPrompt)) == 1
