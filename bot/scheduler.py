"""Every recurring job, declared in one table, and the APScheduler wiring that fires them.

APScheduler only says *when*; whether a run already happened is decided by our claim table
(job_runs), so two replicas or a restart never repeat an effect. Missed fires are coalesced
and allowed hours of grace: a run missed while the bot was down happens once when it returns.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.jobs import JobContext, JobSpec, run_job
from bot.runtime import Runtime
from services import housekeeping

logger = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600


def utc_day(at: datetime) -> str:
    return at.astimezone(timezone.utc).date().isoformat()


def purge_processed_events(context: JobContext) -> str:
    with context.runtime.session_factory.begin() as session:
        removed = housekeeping.purge_processed_events(session, workspace_id=context.workspace_id, now=context.now)
    return f"removed {removed} event ids"


def post_alerts(context: JobContext) -> str:
    from bot.alerts import post_pending
    from bot.slack_client import make_web_client

    settings = context.runtime.settings
    client = make_web_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    posted = post_pending(context.runtime.session_factory, client, team_id=context.team_id)
    return f"posted {posted} alerts"


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        name="purge-processed-events",
        description="Forget Slack event ids older than 7 days (they only guard against retries).",
        scope="workspace",
        schedule="daily at 03:17 UTC",
        cron={"hour": "3", "minute": "17"},
        period_of=utc_day,
        run=purge_processed_events,
    ),
    JobSpec(
        name="alerts-post",
        description="Post KPI alerts that could not be posted when their value arrived (Slack was down).",
        scope="team",
        schedule="every 5 minutes",
        cron={"minute": "*/5"},
        period_of=lambda at: at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M"),
        run=post_alerts,
        claimed=False,
    ),
)


def job_named(name: str) -> JobSpec | None:
    return next((spec for spec in JOBS if spec.name == name), None)


def build_scheduler(runtime: Runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    for spec in JOBS:
        scheduler.add_job(
            fire,
            CronTrigger(timezone=timezone.utc, **spec.cron),
            args=[runtime, spec],
            id=spec.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )
    return scheduler


def fire(runtime: Runtime, spec: JobSpec) -> None:
    for result in run_job(runtime, spec, at=runtime.clock()):
        logger.info("%s", result.line())
