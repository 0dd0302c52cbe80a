"""The database layer on real SQLite and PostgreSQL: UTC time, claims, concurrent writers."""

import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from db import repositories
from db.models import JobRun, JobRunStatus, Workspace
from services import job_runs, workspaces
from services.workspaces import WorkspaceDefaults

DEFAULTS = WorkspaceDefaults(locale="es", timezone="America/Bogota")
NOW = datetime(2026, 1, 12, 14, 0, tzinfo=timezone.utc)


def make_workspace(session_factory, slack_team_id="T1") -> int:
    with session_factory.begin() as session:
        return workspaces.ensure_workspace(session, slack_team_id=slack_team_id, defaults=DEFAULTS, now=NOW).id


def test_times_come_back_as_the_same_instant_in_utc(session_factory):
    bogota = datetime(2026, 1, 11, 23, 30, tzinfo=ZoneInfo("America/Bogota"))
    with session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id="T1", defaults=DEFAULTS, now=bogota)
    with session_factory() as session:
        stored = session.get(Workspace, workspace.id).installed_at
    assert stored == bogota
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored.isoformat() == "2026-01-12T04:30:00+00:00"


def test_a_naive_datetime_is_refused(session_factory):
    with pytest.raises(Exception, match="naive datetime"):
        with session_factory.begin() as session:
            workspaces.ensure_workspace(session, slack_team_id="T1", defaults=DEFAULTS, now=datetime(2026, 1, 1))


def test_ensure_workspace_creates_once_and_audits_it(session_factory):
    first = make_workspace(session_factory)
    again = make_workspace(session_factory)
    assert first == again
    with session_factory() as session:
        entries = repositories.audit_entries(session, workspace_id=first)
    assert [entry.action for entry in entries] == ["workspace.created"]


def test_concurrent_first_contacts_make_one_workspace(session_factory):
    ids, errors = [], []

    def contact():
        try:
            ids.append(make_workspace(session_factory, "TRACE"))
        except Exception as error:  # collected: the assertion below shows it
            errors.append(error)

    threads = [threading.Thread(target=contact) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(ids)) == 1


def test_an_event_id_is_claimed_once_per_workspace(session_factory):
    workspace_id = make_workspace(session_factory)
    other_id = make_workspace(session_factory, "T2")
    with session_factory.begin() as session:
        assert workspaces.claim_event(session, workspace_id=workspace_id, event_id="Ev1", event_type="x", now=NOW)
        assert not workspaces.claim_event(session, workspace_id=workspace_id, event_id="Ev1", event_type="x", now=NOW)
        assert workspaces.claim_event(session, workspace_id=other_id, event_id="Ev1", event_type="x", now=NOW)


def test_concurrent_read_modify_write_loses_no_update(session_factory):
    """Eight threads each add 1 to a counter 10 times in read-then-write transactions.

    With SQLite's default deferred transactions, two readers of the same value both write
    value+1 (or fail to upgrade their lock); BEGIN IMMEDIATE makes them queue instead.
    """
    workspace_id = make_workspace(session_factory)
    key = job_runs.RunKey(workspace_id, "counter", "workspace", "p")
    with session_factory.begin() as session:
        assert job_runs.claim(session, key, now=NOW) is None

    def increment_ten_times():
        for _ in range(10):
            with session_factory.begin() as session:
                run = repositories.job_run(session, workspace_id=workspace_id, job="counter", subject="workspace", period="p")
                if session.get_bind().dialect.name == "postgresql":
                    session.refresh(run, with_for_update=True)  # PostgreSQL's way: lock the row
                run.attempts = run.attempts + 1

    threads = [threading.Thread(target=increment_ten_times) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with session_factory() as session:
        run = repositories.job_run(session, workspace_id=workspace_id, job="counter", subject="workspace", period="p")
    assert run.attempts == 1 + 8 * 10


def test_a_job_run_is_claimed_once_and_a_failed_one_again(session_factory):
    workspace_id = make_workspace(session_factory)
    key = job_runs.RunKey(workspace_id, "weekly-agenda", "team:1", "2026-W03")
    calls = []

    def work():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Slack is down")
        return "posted"

    with pytest.raises(RuntimeError):
        job_runs.run_once(session_factory, key, work, now=NOW)
    assert job_runs.run_once(session_factory, key, work, now=NOW) == (job_runs.Outcome.DONE, "posted")
    assert job_runs.run_once(session_factory, key, work, now=NOW)[0] is job_runs.Outcome.ALREADY_DONE
    assert len(calls) == 2
    with session_factory() as session:
        run = session.scalars(select(JobRun)).one()
    assert (run.status, run.attempts) == (JobRunStatus.DONE, 2)


def test_a_running_claim_blocks_others_until_it_goes_stale(session_factory):
    workspace_id = make_workspace(session_factory)
    key = job_runs.RunKey(workspace_id, "weekly-agenda", "team:1", "2026-W03")
    with session_factory.begin() as session:
        assert job_runs.claim(session, key, now=NOW) is None
    with session_factory.begin() as session:
        assert job_runs.claim(session, key, now=NOW + timedelta(minutes=5)) is job_runs.Outcome.IN_PROGRESS
    with session_factory.begin() as session:
        assert job_runs.claim(session, key, now=NOW + timedelta(hours=1)) is None  # the crashed run is taken over


def test_concurrent_claims_of_one_run_have_one_winner(session_factory):
    workspace_id = make_workspace(session_factory)
    key = job_runs.RunKey(workspace_id, "weekly-agenda", "team:1", "2026-W03")
    winners, errors = [], []

    def try_claim():
        try:
            with session_factory.begin() as session:
                if job_runs.claim(session, key, now=NOW) is None:
                    winners.append(1)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=try_claim) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(winners) == 1


def test_stale_reclaim_races_have_one_winner(session_factory):
    workspace_id = make_workspace(session_factory)
    key = job_runs.RunKey(workspace_id, "weekly-agenda", "team:1", "2026-W03")
    with session_factory.begin() as session:
        job_runs.claim(session, key, now=NOW)
        session.execute(update(JobRun).values(status=JobRunStatus.FAILED))
    later = NOW + timedelta(minutes=1)
    results = []
    barrier = threading.Barrier(6)

    def try_claim():
        barrier.wait()
        with session_factory.begin() as session:
            results.append(job_runs.claim(session, key, now=later))

    threads = [threading.Thread(target=try_claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(None) == 1


def test_purge_forgets_only_old_event_ids_of_its_own_workspace(session_factory):
    from services import housekeeping

    ours, theirs = make_workspace(session_factory, "T1"), make_workspace(session_factory, "T2")
    with session_factory.begin() as session:
        for workspace_id in (ours, theirs):
            workspaces.claim_event(session, workspace_id=workspace_id, event_id="old", event_type="x", now=NOW - timedelta(days=8))
            workspaces.claim_event(session, workspace_id=workspace_id, event_id="new", event_type="x", now=NOW - timedelta(days=6))
    with session_factory.begin() as session:
        assert housekeeping.purge_processed_events(session, workspace_id=ours, now=NOW) == 1
    with session_factory.begin() as session:
        assert workspaces.claim_event(session, workspace_id=ours, event_id="old", event_type="x", now=NOW)
        assert not workspaces.claim_event(session, workspace_id=ours, event_id="new", event_type="x", now=NOW)
        assert not workspaces.claim_event(session, workspace_id=theirs, event_id="old", event_type="x", now=NOW)


@pytest.mark.parametrize("value", ["45000000000.123456", "1.6", "-3.000001", "0", "999999999999999999.999999"])
def test_decimals_come_back_exactly(session_factory, value):
    from decimal import Decimal

    from db.models import AlertRule, AlignmentTeam, Kpi

    workspace_id = make_workspace(session_factory)
    with session_factory.begin() as session:
        team = AlignmentTeam(workspace_id=workspace_id, name="t", channel_id="C1", timezone="America/Bogota", locale="es",
                             created_at=NOW, updated_at=NOW)
        session.add(team)
        session.flush()
        kpi = Kpi(workspace_id=workspace_id, team_id=team.id, key="sales_cop", name="Ventas", unit="currency",
                  direction="higher", aggregation="sum", side="sales", created_by="U1", created_at=NOW)
        session.add(kpi)
        session.flush()
        session.add(AlertRule(workspace_id=workspace_id, team_id=team.id, kpi_id=kpi.id, movement="rises",
                              amount=Decimal(value), mode="points", window_hours=48, created_by="U1", created_at=NOW))
    with session_factory() as session:
        stored = session.scalars(select(AlertRule.amount)).one()
    assert stored == Decimal(value) and isinstance(stored, Decimal)
