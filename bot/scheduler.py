"""Every recurring job, declared in one table, and the APScheduler wiring that fires them.

APScheduler only says *when*; whether a run already happened is decided by our claim table
(job_runs), so two replicas or a restart never repeat an effect. Missed fires are coalesced
and allowed hours of grace: a run missed while the bot was down happens once when it returns.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot.jobs import JobContext, JobSpec, run_job
from bot.runtime import Runtime
from db.models import AlignmentTeam, Workspace, WorkspaceState
from domain.meetings import AgendaKind
from services import agendas, breach_escalation, breach_evaluation, housekeeping

logger = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600
# Teams whose agendas are posted side by side: each posts ~8 messages into its own channel, and
# Slack allows about one message per second per channel.
AGENDA_PARALLEL = 8


def utc_day(at: datetime) -> str:
    return at.astimezone(timezone.utc).date().isoformat()


def purge_processed_events(context: JobContext) -> str:
    with context.runtime.session_factory.begin() as session:
        removed = housekeeping.purge_processed_events(session, workspace_id=context.workspace_id, now=context.now)
    return f"removed {removed} event ids"


def _slack(context: JobContext):
    """A Web API client for a job's posts: in OAuth mode, the workspace's own bot token."""
    return context.runtime.slack.for_workspace(context.workspace_id)


def purge_uninstalled(context: JobContext) -> str:
    """A workspace uninstalled longer than the grace period ago loses every row (its tokens went
    at the uninstall); one installed again before then keeps everything."""
    from services.workspace_deletion import delete_workspace_data

    runtime = context.runtime
    with runtime.session_factory.begin() as session:
        # Locked (PostgreSQL) so a reinstall cannot mark it installed between the check and the delete.
        workspace = session.scalars(select(Workspace).where(Workspace.id == context.workspace_id).with_for_update()).one_or_none()
        if workspace is None:
            return "already purged"
        if workspace.state is not WorkspaceState.UNINSTALLED or workspace.uninstalled_at is None:
            return "installed again; data kept"
        keep_until = workspace.uninstalled_at + timedelta(days=runtime.settings.data_grace_days)
        if context.now < keep_until:
            return f"data kept until {keep_until.isoformat()}"
        uninstalled_on = workspace.uninstalled_at.date().isoformat()
        if runtime.tokens is not None:
            runtime.tokens.store.delete_team_in(session, team_id=workspace.slack_team_id)
        deleted = delete_workspace_data(session, workspace.id, context.now)
    return f"uninstalled {uninstalled_on}: deleted {sum(deleted.values())} rows"


def _poster(poster_class, context: JobContext):
    """A team's poster (SLA, OKR, agenda): they share the session factory, a client and the team."""
    assert context.team_id is not None
    return poster_class(context.runtime.session_factory, _slack(context), team_id=context.team_id)


def post_alerts(context: JobContext) -> str:
    from bot.alerts import post_pending

    posted = post_pending(context.runtime.session_factory, _slack(context), team_id=context.team_id)
    return f"posted {posted} alerts"


def quarter_hour(at: datetime) -> str:
    """The UTC quarter of an hour an instant falls in: "2026-03-09T05:15"."""
    at = at.astimezone(timezone.utc)
    return at.strftime("%Y-%m-%dT%H:") + f"{at.minute // 15 * 15:02d}"


def _sla_poster(context: JobContext):
    from bot.sla_posts import SlaPoster

    return _poster(SlaPoster, context)


def evaluate_slas(context: JobContext) -> str:
    with context.runtime.session_factory.begin() as session:
        summary = breach_evaluation.evaluate(session, team=session.get(AlignmentTeam, context.team_id), now=context.now)
    posted = _sla_poster(context).post_pending(now=context.now)
    return f"{summary.line()}; {posted.line()}"


def escalate_slas(context: JobContext) -> str:
    with context.runtime.session_factory.begin() as session:
        steps = breach_escalation.escalate(session, team=session.get(AlignmentTeam, context.team_id), now=context.now)
    posted = _sla_poster(context).post_pending(now=context.now)
    return f"{steps} reminders or escalations; {posted.line()}"


def utc_hour(at: datetime) -> str:
    """The UTC hour an instant falls in: "2026-03-09T05"."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")


def _okr_poster(context: JobContext):
    from bot.okr_posts import OkrPoster

    return _poster(OkrPoster, context)


def remind_okr_checkins(context: JobContext) -> str:
    return _okr_poster(context).remind(now=context.now).line("reminders")


def post_okr_reviews(context: JobContext) -> str:
    return _okr_poster(context).post_reviews(now=context.now).line("reviews")


def utc_minute(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M")


def _agenda_poster(context: JobContext):
    from bot.agenda_posts import AgendaPoster

    assert context.team_id is not None
    runtime = context.runtime
    narrator = runtime.narrators.narrator(context.workspace_id)
    return AgendaPoster(runtime.session_factory, _slack(context), team_id=context.team_id, narrator=narrator, clock=runtime.clock)


def resume_agendas(context: JobContext) -> str:
    return _agenda_poster(context).resume(context.now)


def _teams_with_expired_leases(session, at: datetime, clock_now: datetime) -> set[int]:
    return {team_id for team_id, _ in agendas.expired_leases(session, now=at, clock_now=clock_now)}


def _post_agenda(kind: AgendaKind):
    """Each fire decides per team, in the team's timezone (domain.meetings.due), whether its
    agenda is due: a new team or a changed meeting time needs no restart. `--team` on the CLI
    posts this period's agenda now if its meeting has not started (a repeat says it is done)."""

    def run(context: JobContext) -> str:
        poster = _agenda_poster(context)
        if context.team_ref is not None:
            return poster.by_hand(kind, context.now)
        return poster.scheduled(kind, context.now)

    return run


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
        name="purge-uninstalled",
        description="Delete every row of each workspace uninstalled more than ALINEA_DATA_GRACE_DAYS (default 30) "
        "ago; a workspace installed again before then keeps its data.",
        scope="uninstalled",
        schedule="daily at 03:47 UTC",
        cron={"hour": "3", "minute": "47"},
        period_of=utc_day,
        run=purge_uninstalled,
        claimed=False,  # its job_runs row would go with the workspace; a second purge finds nothing
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
    JobSpec(
        name="sla-evaluate",
        description="Evaluate SLA periods that closed in the team's timezone (met, breached, no data), flag open "
        "periods at risk once, post breaches and catch up posts Slack delayed.",
        scope="team",
        schedule="every 15 minutes",
        cron={"minute": "*/15"},
        period_of=quarter_hour,
        run=evaluate_slas,
    ),
    JobSpec(
        name="sla-escalate",
        description="Remind the responsible lead of an unacknowledged breach after one window of working hours, "
        "escalate after a second; holidays of the team's country pause the clock.",
        scope="team",
        schedule="every 15 minutes (at 5, 20, 35, 50)",
        cron={"minute": "5-59/15"},
        period_of=quarter_hour,
        run=escalate_slas,
    ),
    # The OKR jobs are claimed per period like the SLA ones although each reminder and review is
    # claimed on its own row: the row stops a second claim, the run's claim stops two replicas
    # firing at the same minute from both posting an unposted row. A post Slack refused is
    # retried by the next period's run.
    JobSpec(
        name="okr-remind",
        description="In the 24 hours before the team's weekly meeting, DM each KR owner once with the KRs that had "
        "no check-in since the last meeting (a Check in button per KR); catch up DMs Slack delayed.",
        scope="team",
        schedule="every 15 minutes (at 10, 25, 40, 55)",
        cron={"minute": "10-59/15"},
        period_of=quarter_hour,
        run=remind_okr_checkins,
    ),
    JobSpec(
        name="okr-review",
        description="Once an objective's last KR deadline has passed, post its review in the team's channel once: "
        "final score, each KR's result, and what was achieved, learned and to adjust (answered in the thread or a form).",
        scope="team",
        schedule="hourly at minute 7",
        cron={"minute": "7"},
        period_of=utc_hour,
        run=post_okr_reviews,
    ),
    # The agendas are claimed per team and meeting in the agendas table (services/agendas.py),
    # which also records how far a post got: no job_runs row, so a fire after a failure resumes.
    JobSpec(
        name="weekly-agenda",
        description="Post each team's weekly meeting agenda once (parent, thread parts, charts), a lead time before "
        "the meeting in the team's timezone (a holiday moves it to the previous working day); resume a failed post "
        "with backoff until the meeting; a run missed while the bot was down is posted if its meeting has not "
        "started, else logged as skipped. `jobs run weekly-agenda --team T --at X` posts that team's agenda of the week "
        "X falls in right away if its meeting has not started.",
        scope="team",
        schedule="every 5 min (+ at start-up)",
        cron={"minute": "*/5"},
        period_of=utc_minute,
        run=_post_agenda(AgendaKind.WEEKLY),
        claimed=False,
        parallel=AGENDA_PARALLEL,
    ),
    JobSpec(
        name="monthly-agenda",
        description="Post each team's monthly meeting agenda once: the month against its targets, SLA attainment, "
        "breaches with their plans, OKR progress and the objectives' reviews, open topics, glossary changes; the "
        "same timing, resumption and catch-up as weekly-agenda.",
        scope="team",
        schedule="every 5 min (+ at start-up)",
        cron={"minute": "*/5"},
        period_of=utc_minute,
        run=_post_agenda(AgendaKind.MONTHLY),
        claimed=False,
        parallel=AGENDA_PARALLEL,
    ),
    # A poster renews its claim's lease every 15 s; a dead one's lease runs out within 45 s, and
    # this sweep (one query, then only the teams concerned) posts the rest within a minute.
    JobSpec(
        name="agenda-resume",
        description="Take over an agenda whose poster stopped renewing its claim's lease (its process died or "
        "froze mid-post) and post what is missing, once, before the meeting starts.",
        scope="team",
        schedule="every 15 s",
        cron={"second": "*/15"},
        period_of=lambda at: at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
        run=resume_agendas,
        claimed=False,
        parallel=AGENDA_PARALLEL,
        teams_with_work=_teams_with_expired_leases,
    ),
)

# Jobs that also fire once when the scheduler starts: the agendas' catch-up (a run missed while
# the bot was down is posted if its meeting has not started, logged as skipped otherwise).
AT_START = frozenset({"weekly-agenda", "monthly-agenda"})


class _QuietRoutineFires(logging.Filter):
    """Drops APScheduler's "Running job" / "executed successfully" lines for jobs that fire every
    few seconds (agenda-resume: eight lines a minute per replica, nearly all with nothing to do).
    Their warnings and errors, and every line of the other jobs, still go through."""

    JOBS = frozenset({"agenda-resume"})

    def filter(self, record: logging.LogRecord) -> bool:
        job = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return record.levelno > logging.INFO or getattr(job, "id", None) not in self.JOBS


_quiet_routine_fires = _QuietRoutineFires()


def job_named(name: str) -> JobSpec | None:
    return next((spec for spec in JOBS if spec.name == name), None)


def build_scheduler(runtime: Runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    logging.getLogger("apscheduler.executors.default").addFilter(_quiet_routine_fires)  # once: the same instance
    for spec in JOBS:
        scheduler.add_job(
            fire,
            CronTrigger(timezone=timezone.utc, **spec.cron),
            args=[runtime, spec],
            id=spec.name,
            name=spec.name,  # APScheduler's log lines name the job, not the function behind every job ("fire")
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            **({"next_run_time": datetime.now(timezone.utc)} if spec.name in AT_START else {}),
        )
    return scheduler


def fire(runtime: Runtime, spec: JobSpec) -> None:
    for result in run_job(runtime, spec, at=runtime.clock()):
        logger.info("%s", result.line())
