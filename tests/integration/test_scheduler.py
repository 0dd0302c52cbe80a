"""The scheduler's table: every job is wired with coalescing and hours of misfire grace, and a
fire goes through the claim table like `alinea jobs run`."""

import logging
from datetime import datetime, timezone

from apscheduler.triggers.cron import CronTrigger

from bot.scheduler import JOBS, MISFIRE_GRACE_SECONDS, build_scheduler, fire
from db import repositories
from db.models import JobRunStatus
from services import workspaces
from services.workspaces import WorkspaceDefaults

AT = datetime(2026, 1, 12, 3, 17, tzinfo=timezone.utc)


def test_every_job_in_the_table_is_scheduled_once_with_grace_and_coalescing(runtime):
    scheduler = build_scheduler(runtime)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {spec.name for spec in JOBS}
    for job in jobs.values():
        assert isinstance(job.trigger, CronTrigger)
        assert job.coalesce is True
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS >= 3600
        assert job.max_instances == 1


def test_a_fire_claims_its_period_and_a_second_fire_does_nothing(runtime):
    with runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(
            session, slack_team_id="T1", defaults=WorkspaceDefaults("es", "America/Bogota"), now=AT
        )
    runtime.clock = lambda: AT
    spec = JOBS[0]
    fire(runtime, spec)
    fire(runtime, spec)  # a double fire, or a second replica
    with runtime.session_factory() as session:
        run = repositories.job_run(
            session, workspace_id=workspace.id, job=spec.name, subject="workspace", period="2026-01-12"
        )
    assert run.status is JobRunStatus.DONE and run.attempts == 1


def test_the_frequent_agenda_resume_fires_do_not_fill_the_log_but_other_jobs_and_warnings_still_show(runtime, caplog):
    scheduler = build_scheduler(runtime)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    executor_log = logging.getLogger("apscheduler.executors.default")
    with caplog.at_level(logging.INFO, logger="apscheduler.executors.default"):
        for name in ("agenda-resume", "weekly-agenda"):
            executor_log.info('Running job "%s" (scheduled at %s)', jobs[name], AT)
        executor_log.warning('Run time of job "%s" was missed by %s', jobs["agenda-resume"], "0:01:00")
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith('Running job "weekly-agenda (trigger') and lines[1].startswith('Run time of job "agenda-resume (trigger')
