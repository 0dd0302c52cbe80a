"""Agenda runs and facts on real SQLite and PostgreSQL: the claim that makes an agenda happen
once (replicas, retries with backoff, leases taken over and fenced, missed meetings), topics, experiments, and
the weekly and monthly facts built from logged values, SLAs and OKRs. Time is a parameter."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from db.models import Agenda, AgendaStatus, TopicStatus
from domain.errors import UserError
from domain.meetings import AgendaKind
from domain.okr import parse_objective
from domain.periods import Period
from domain.sla import parse_commitment
from services import agenda_facts, agenda_topics, agendas, breach_evaluation, experiments, kpis, okr, sla
from services.experiments import Result
from services.leases import LeaseLost
from tests.support.teams import act

BOGOTA = ZoneInfo("America/Bogota")
ANA, LUIS, ROSA, PEDRO = "U0ANA", "U0LUIS", "U0ROSA", "U0PEDRO"
CREATED = datetime(2026, 1, 5, 8, 0, tzinfo=BOGOTA)


def local(m, d, h=10, minute=0):
    return datetime(2026, m, d, h, minute, tzinfo=BOGOTA)


pytestmark = pytest.mark.team(now=CREATED, marketing=ANA, sales=LUIS, admin=ROSA, starter_kpis=True)


def weekly_meeting(factory, team, at):
    with factory() as session:
        return agendas.meeting_of_period(team(session), AgendaKind.WEEKLY, at)


def claim(factory, team, meeting, now, by="scheduler"):
    return act(factory, team, agendas.claim, meeting=meeting, claimed_by=by, now=now)


# Claims ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_an_agenda_is_claimed_once_by_racing_replicas(session_factory, team):
    meeting = weekly_meeting(session_factory, team, local(3, 16))  # Monday 16 March 09:00, posted 07:00
    assert meeting.key == "2026-W12" and meeting.post_at == local(3, 16, 7).astimezone(timezone.utc)
    results, barrier = [], threading.Barrier(4)

    def replica(name):
        barrier.wait()
        results.append(claim(session_factory, team, meeting, local(3, 16, 7), by=name))

    threads = [threading.Thread(target=replica, args=(f"replica-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [run for run in results if run is not None]
    assert len(won) == 1 and won[0].status is AgendaStatus.CLAIMED and won[0].claim == f"agenda-{won[0].id}"
    assert claim(session_factory, team, meeting, local(3, 16, 7) + timedelta(seconds=30), by="cli") is None  # a manual run beside it
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Agenda)) == 1


def test_a_failed_run_is_retried_with_backoff_until_the_meeting(session_factory, team):
    meeting = weekly_meeting(session_factory, team, local(3, 16))
    run = claim(session_factory, team, meeting, local(3, 16, 7))
    retry = act(session_factory, team, agendas.record_failure, agenda_id=run.id, attempt=1, error="SlackApiError", now=local(3, 16, 7))
    assert retry == local(3, 16, 7, 1)
    assert claim(session_factory, team, meeting, local(3, 16, 7, 0)) is None  # not yet
    second = claim(session_factory, team, meeting, local(3, 16, 7, 1))
    assert second.id == run.id and second.attempts == 2
    assert act(session_factory, team, agendas.record_failure, agenda_id=run.id, attempt=2, error="e", now=local(3, 16, 7, 1)) == local(3, 16, 7, 3)
    assert claim(session_factory, team, meeting, local(3, 16, 9, 0)) is None  # the meeting began: too late


def seconds_after(at, seconds):
    return at + timedelta(seconds=seconds)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_claim_whose_lease_expired_is_taken_over_and_its_old_holder_is_fenced_off(session_factory, team):
    meeting = weekly_meeting(session_factory, team, local(3, 16))
    start = local(3, 16, 7)
    run = claim(session_factory, team, meeting, start)
    act(session_factory, team, agendas.record_parent, agenda_id=run.id, attempt=run.attempts, ts="10.1", now=start)
    assert claim(session_factory, team, meeting, seconds_after(start, 44)) is None  # the lease (45 s) still holds
    again = claim(session_factory, team, meeting, seconds_after(start, 45), by="replica-2")
    assert again.id == run.id and again.attempts == 2 and again.message_ts == "10.1"  # it continues from the parent posted
    # The first poster was only frozen: it can neither renew nor record anything any more.
    assert act(session_factory, team, agendas.renew, agenda_id=run.id, attempt=1, now=seconds_after(start, 46)) is False
    for stale_write in (
        lambda: act(session_factory, team, agendas.record_part, agenda_id=run.id, attempt=1, part="kpis"),
        lambda: act(session_factory, team, agendas.record_done, agenda_id=run.id, attempt=1),
        lambda: act(session_factory, team, agendas.record_failure, agenda_id=run.id, attempt=1, error="e", now=seconds_after(start, 46)),
    ):
        with pytest.raises(LeaseLost):
            stale_write()
    act(session_factory, team, agendas.record_part, agenda_id=run.id, attempt=2, part="kpis")
    act(session_factory, team, agendas.record_done, agenda_id=run.id, attempt=2)
    with session_factory() as session:
        row = session.get(Agenda, run.id)
        assert row.status is AgendaStatus.DONE and row.parts_posted == ["kpis"] and row.lease_expires_at is None
    assert claim(session_factory, team, meeting, local(3, 16, 8, 30)) is None


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_renewed_lease_keeps_the_claim_and_only_expired_ones_are_listed_for_takeover(session_factory, team):
    meeting = weekly_meeting(session_factory, team, local(3, 16))
    start = local(3, 16, 7)
    run = claim(session_factory, team, meeting, start)
    for seconds in (15, 30, 45, 60):  # the live poster's heartbeat
        assert act(session_factory, team, agendas.renew, agenda_id=run.id, attempt=run.attempts, now=seconds_after(start, seconds))
        assert claim(session_factory, team, meeting, seconds_after(start, seconds + 44)) is None
    with session_factory() as session:
        assert agendas.expired_leases(session, now=seconds_after(start, 104)) == []
        assert agendas.expired_leases(session, now=seconds_after(start, 105)) == [(run.team_id, AgendaKind.WEEKLY)]
        assert [r.id for r in agendas.expired_runs(session, team=team(session), now=seconds_after(start, 105))] == [run.id]
        assert agendas.expired_leases(session, now=local(3, 16, 9)) == []  # its meeting began: nothing left to take over
    taken = claim(session_factory, team, meeting, seconds_after(start, 105))
    assert taken.attempts == 2
    act(session_factory, team, agendas.record_failure, agenda_id=run.id, attempt=2, error="SlackApiError", now=seconds_after(start, 106))
    with session_factory() as session:  # a failed run waits for its retry time, not for a lease
        assert session.get(Agenda, run.id).lease_expires_at is None
        assert agendas.expired_leases(session, now=local(3, 16, 8)) == []


def test_a_claim_written_before_leases_keeps_the_ten_minute_rule(session_factory, team):
    meeting = weekly_meeting(session_factory, team, local(3, 16))
    run = claim(session_factory, team, meeting, local(3, 16, 7))
    with session_factory.begin() as session:  # as a replica still on the previous version wrote it (no lease column)
        session.get(Agenda, run.id).lease_expires_at = None
    assert claim(session_factory, team, meeting, local(3, 16, 7, 9)) is None
    assert claim(session_factory, team, meeting, local(3, 16, 7, 10)).attempts == 2


def test_a_missed_meeting_is_skipped_once_with_a_log_line(session_factory, team, caplog):
    skipped = act(session_factory, team, agendas.skip_if_missed, kind=AgendaKind.WEEKLY, now=local(3, 16, 9, 30))
    assert skipped is not None and skipped.key == "2026-W12"
    assert "skipped the weekly agenda 2026-W12" in caplog.text
    assert act(session_factory, team, agendas.skip_if_missed, kind=AgendaKind.WEEKLY, now=local(3, 16, 10)) is None
    meeting = weekly_meeting(session_factory, team, local(3, 16))
    assert claim(session_factory, team, meeting, local(3, 16, 8)) is None  # skipped is final


def test_a_meeting_that_had_its_agenda_is_not_skipped(session_factory, team):
    meeting = weekly_meeting(session_factory, team, local(3, 16))
    run = claim(session_factory, team, meeting, local(3, 16, 7))
    act(session_factory, team, agendas.record_done, agenda_id=run.id, attempt=run.attempts)
    assert act(session_factory, team, agendas.skip_if_missed, kind=AgendaKind.WEEKLY, now=local(3, 16, 9, 30)) is None


def test_the_holiday_moves_the_post_to_the_previous_working_day(session_factory, team):
    with session_factory() as session:
        t = team(session)
        due = agendas.due_occurrence(t, AgendaKind.WEEKLY, local(3, 20, 7, 0))  # Friday before San José
        assert due is not None and due.key == "2026-W13"
        assert agendas.due_occurrence(t, AgendaKind.WEEKLY, local(3, 20, 6, 59)) is None


# Topics and experiments ------------------------------------------------------------------------------


def test_topics_are_numbered_closed_with_an_outcome_by_their_author_or_a_lead(session_factory, team):
    first = act(session_factory, team, agenda_topics.add, actor=PEDRO, text="  Precios de  envío en diciembre ", now=local(3, 10))
    second = act(session_factory, team, agenda_topics.add, actor=ANA, text="Pauta en TikTok", now=local(3, 11))
    assert (first.label, first.text, second.label) == ("T1", "Precios de envío en diciembre", "T2")
    with pytest.raises(UserError) as empty:
        act(session_factory, team, agenda_topics.add, actor=PEDRO, text="   ", now=local(3, 11))
    assert empty.value.message_id == "agenda.topic_missing"
    with pytest.raises(UserError) as not_yours:
        act(session_factory, team, agenda_topics.close, actor=PEDRO, reference="T2", outcome="x", now=local(3, 16))
    assert not_yours.value.message_id == "agenda.topic_not_yours"
    closed = act(session_factory, team, agenda_topics.close, actor=LUIS, reference="t1", outcome="envío gratis sobre 150 mil", now=local(3, 16))
    assert closed.status is TopicStatus.CLOSED and closed.outcome == "envío gratis sobre 150 mil"
    with pytest.raises(UserError) as twice:
        act(session_factory, team, agenda_topics.close, actor=LUIS, reference="T1", outcome="y", now=local(3, 16))
    assert twice.value.message_id == "agenda.topic_closed"
    with session_factory() as session:
        assert [t.label for t in agenda_topics.open_topics(session, team=team(session))] == ["T2"]


def test_the_weeks_experiment_is_decided_replaced_and_judged(session_factory, team):
    week = Period.week_of(date(2026, 3, 16))
    decided = act(session_factory, team, experiments.decide, actor=ANA, week=week, hypothesis="Envío gratis sube la conversión",
                  metric="conversion_web", owner=LUIS, due=date(2026, 3, 20), now=local(3, 16, 9, 20))
    assert decided.kpi_key == "conversion_web" and decided.result is None
    replaced = act(session_factory, team, experiments.decide, actor=LUIS, week=week, hypothesis="Cupón del 10 % en móvil",
                   metric="mobile_conversion", owner=ANA, due=date(2026, 3, 20), now=local(3, 16, 9, 25))
    assert replaced.id == decided.id and replaced.kpi_key == "mobile_conversion"
    with pytest.raises(UserError) as outsider:
        act(session_factory, team, experiments.record_result, actor=PEDRO, week=week, result=Result.CONFIRMED, note="", now=local(3, 20))
    assert outsider.value.message_id == "agenda.experiment_not_yours"
    act(session_factory, team, experiments.record_result, actor=ANA, week=week, result=Result.CONFIRMED, note="+0,3 puntos", now=local(3, 20))
    with session_factory() as session:
        last = experiments.latest_before(session, team=team(session), week=week.next())
    assert last.result is Result.CONFIRMED and last.result_note == "+0,3 puntos"
    with pytest.raises(UserError) as judged:
        act(session_factory, team, experiments.decide, actor=ANA, week=week, hypothesis="otra", metric="x", owner=ANA,
            due=date(2026, 3, 20), now=local(3, 21))
    assert judged.value.message_id == "agenda.experiment_already_judged"


# Facts --------------------------------------------------------------------------------------------


def log(factory, team, key, value, day):
    act(factory, team, kpis.record, key=key, value=Decimal(value), shown=value, period=Period.day(day),
        source="slack", actor=LUIS, note="", now=local(3, 1))


def log_week(factory, team, key, value, monday):
    act(factory, team, kpis.record, key=key, value=Decimal(value), shown=value, period=Period.week_of(monday),
        source="slack", actor=LUIS, note="", now=local(3, 1))


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_weekly_facts_report_last_week_against_agreed_targets(session_factory, team):
    act(session_factory, team, kpis.set_roles, role="primary", keys=["sales_cop"], actor=ANA, now=local(3, 1))
    act(session_factory, team, kpis.set_roles, role="support", keys=["conversion_web", "avg_deal"], actor=ANA, now=local(3, 1))
    # Sales: W10 40 M, W11 45 M; an SLA on marketing-attributed revenue is not on this KPI.
    log_week(session_factory, team, "sales_cop", "40000000", date(2026, 3, 2))
    log_week(session_factory, team, "sales_cop", "45000000", date(2026, 3, 9))
    for monday, sessions, orders in ((date(2026, 3, 2), 10000, 120), (date(2026, 3, 9), 11000, 121)):
        log_week(session_factory, team, "sessions", str(sessions), monday)
        log_week(session_factory, team, "orders", str(orders), monday)
    # A weekly SLA on follow-up hours gives that KPI its target.
    proposal = act(session_factory, team, sla.propose, actor=LUIS, terms=parse_commitment("ventas followup_hours <= 24 semanal"), now=local(3, 1))
    act(session_factory, team, sla.accept, version_id=proposal.version.id, actor=ANA, now=local(3, 1))
    log_week(session_factory, team, "followup_hours", "20", date(2026, 3, 2))
    log_week(session_factory, team, "followup_hours", "30", date(2026, 3, 9))
    # A key result reading average deal gives it a target on its straight line.
    with session_factory.begin() as session:
        t = team(session)
        objective = okr.create_objective(session, team=t, actor=ANA, draft=parse_objective("Subir el ticket"), now=local(3, 1))
        draft = okr.parse_key_result_line(session, team=t, text="avg_deal de 100.000 a 200.000 COP entre el 02/03/2026 y el 27/03/2026 dueño <@U0LUIS>", today=date(2026, 3, 1))
        okr.add_key_result(session, team=t, actor=ANA, objective_id=objective.id, draft=draft, now=local(3, 1))
    log_week(session_factory, team, "avg_deal", "120000", date(2026, 3, 9))
    act(session_factory, team, agenda_topics.add, actor=PEDRO, text="Precios de envío", now=local(3, 12))

    meeting = weekly_meeting(session_factory, team, local(3, 16))
    with session_factory() as session:
        facts = agenda_facts.weekly(session, team=team(session), occurrence=meeting, now=local(3, 16, 7))
    assert facts.reported == Period.week_of(date(2026, 3, 9)) and facts.kpi_count >= 20
    assert facts.primary.key == "sales_cop" and facts.primary.change.value == 45000000 and facts.primary.change.previous == 40000000
    assert facts.primary.change.fact_id == "kpi.sales_cop.2026-W11" and facts.primary.target_source is None
    supporting = {f.key: f for f in facts.supporting}
    assert sorted(supporting) == ["avg_deal", "conversion_web"]
    assert supporting["conversion_web"].change.value == Decimal("1.1") and supporting["conversion_web"].change.previous == Decimal("1.2")
    deal = supporting["avg_deal"]
    assert deal.target_source == "okr" and deal.change.target == Decimal(152000)  # 13 of 25 days gone on Sunday 15 March
    changes = {f.key: f for f in facts.changes}
    assert changes["followup_hours"].change.target == 24 and changes["followup_hours"].target_source == "sla"
    assert changes["followup_hours"].change.meets_target is False
    assert list(changes)[0] == "followup_hours"  # +50 %: the largest move first
    assert "sales_cop" in changes and "conversion_web" in changes  # +12,5 %, −8,3 %: the primary and supporting ones count too
    assert all(f.change.value is None for f in facts.unlogged) and "followup_hours" not in {f.key for f in facts.unlogged}
    assert "sales_cop" not in {f.key for f in facts.unlogged} and len(facts.unlogged) >= 10  # the starter KPIs nobody logged
    assert facts.bottleneck.key == "avg_deal"  # 21 % short of its target outranks conversion, which only slipped
    assert [t.label for t in facts.topics] == ["T1"] and facts.has_data
    assert [o.label for o in facts.okr.objectives] == ["O1"]
    assert len(facts.primary.history) == agenda_facts.HISTORY_PERIODS and facts.primary.history[-1][1] == 45000000


def test_weekly_facts_without_data_say_so(session_factory, team):
    meeting = weekly_meeting(session_factory, team, local(3, 16))
    with session_factory() as session:
        facts = agenda_facts.weekly(session, team=team(session), occurrence=meeting, now=local(3, 16, 7))
    assert not facts.has_data and facts.primary is None and facts.changes == () and facts.bottleneck is None


def test_monthly_facts_review_the_month(session_factory, team):
    proposal = act(session_factory, team, sla.propose, actor=LUIS, terms=parse_commitment("ventas followup_hours <= 24 semanal"), now=local(2, 20))
    act(session_factory, team, sla.accept, version_id=proposal.version.id, actor=ANA, now=local(2, 20))
    for monday, hours in ((date(2026, 3, 2), "20"), (date(2026, 3, 9), "30"), (date(2026, 3, 16), "22"), (date(2026, 3, 23), "26")):
        log(session_factory, team, "followup_hours", hours, monday)  # one reading a week, on Mondays
    act(session_factory, team, breach_evaluation.evaluate, now=local(4, 1, 8))
    with session_factory.begin() as session:
        t = team(session)
        objective = okr.create_objective(session, team=t, actor=ANA, draft=parse_objective("Fidelizar"), now=local(3, 1))
        draft = okr.parse_key_result_line(session, team=t, text="clientes con recompra de 200 a 300 al 31/03/2026 dueño <@U0ANA>", today=date(2026, 3, 1))
        okr.add_key_result(session, team=t, actor=ANA, objective_id=objective.id, draft=draft, now=local(3, 1))
    act(session_factory, team, agenda_topics.add, actor=PEDRO, text="Precios de envío", now=local(3, 12))
    with session_factory() as session:
        t = team(session)
        meeting = agendas.meeting_of_period(t, AgendaKind.MONTHLY, local(4, 2))
        assert meeting.key == "2026-04" and meeting.meeting_at == local(4, 7, 9).astimezone(timezone.utc)  # first Tuesday
        facts = agenda_facts.monthly(session, team=t, occurrence=meeting, now=local(4, 7, 7))
    assert facts.reported == Period.month_of(date(2026, 3, 1))
    [month] = facts.sla
    assert month.label == "SLA1" and month.attainment == (2, 4)
    assert [b.label for b in facts.breaches] == ["B1", "B2"]
    assert [o.label for o in facts.reviews] == ["O1"]
    assert [t.label for t in facts.topics] == ["T1"]
    hours = next(f for f in facts.kpis if f.key == "followup_hours")
    assert hours.change.value == Decimal("24.5") and hours.change.period == Period.month_of(date(2026, 3, 1))


def test_the_teams_lead_time_sets_when_the_agenda_is_due(session_factory, team):
    with session_factory.begin() as session:
        team(session).agenda_lead_minutes = 180
    with session_factory() as session:
        t = team(session)
        assert agendas.due_occurrence(t, AgendaKind.WEEKLY, local(3, 16, 5, 59)) is None
        assert agendas.due_occurrence(t, AgendaKind.WEEKLY, local(3, 16, 6, 0)).key == "2026-W12"
