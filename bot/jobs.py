"""Running a job once for each subject it is due for, as if the scheduler fired at `at`.

The scheduler and `alinea jobs run` both come through `run_job`, and every run is claimed in
the job_runs table first (services/job_runs.py), so a repeat is "already done", never a
second effect.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Collection, Literal

from sqlalchemy.orm import Session

from db import repositories
from db.models import WorkspaceState
from db.session import read_only
from bot.runtime import Runtime
from services import job_runs

logger = logging.getLogger(__name__)


class JobError(Exception):
    """The operator asked for something that does not exist (unknown job or team)."""


@dataclass(frozen=True)
class JobContext:
    runtime: Runtime
    workspace_id: int
    team_id: int | None
    now: datetime
    team_ref: str | None = None  # the team the operator named (`--team`); None when the scheduler fired


@dataclass(frozen=True)
class JobSpec:
    name: str
    description: str
    # "team": each team of an installed workspace; "workspace": each installed workspace;
    # "uninstalled": each workspace Slack told us is uninstalled (purge-uninstalled).
    scope: Literal["workspace", "team", "uninstalled"]
    schedule: str  # human-readable, for `alinea jobs list`
    cron: dict[str, str]  # APScheduler CronTrigger fields, in UTC for workspace jobs
    period_of: Callable[[datetime], str]  # the period an instant falls in
    run: Callable[[JobContext], str]  # does the work; returns a one-line summary
    # False for jobs whose every effect is claimed on its own (e.g. each alert by its episode):
    # they may run as often as they fire without a job_runs row per run.
    claimed: bool = True
    parallel: int = 1  # subjects run this many at a time (each on its own sessions)
    # For a team job that concerns few teams at a time (agenda-resume): the ids of the teams it
    # has work for at an instant (and the runtime clock's reading), in one query, so a frequent
    # fire does not visit every team.
    teams_with_work: Callable[[Session, datetime, datetime], Collection[int]] | None = None


@dataclass(frozen=True)
class Subject:
    workspace_id: int
    team_id: int | None
    label: str  # for output: the workspace's Slack id or the team's name

    @property
    def key(self) -> str:
        return "workspace" if self.team_id is None else f"team:{self.team_id}"


@dataclass(frozen=True)
class JobResult:
    job: str
    subject: str
    period: str
    outcome: job_runs.Outcome
    detail: str

    def line(self) -> str:
        tail = f" ({self.detail})" if self.detail else ""
        return f"{self.job} {self.subject} {self.period}: {self.outcome.value}{tail}"


def subjects(runtime: Runtime, spec: JobSpec, team_ref: str | None, at: datetime) -> list[Subject]:
    with read_only(runtime.session_factory) as session:
        if team_ref is not None:
            teams = repositories.teams_matching(session, reference=team_ref)
            if not teams:
                raise JobError(f"no alignment team with channel id or name {team_ref!r}")
        else:
            teams = repositories.all_teams(session)
            if spec.teams_with_work is not None:
                wanted = set(spec.teams_with_work(session, at, runtime.clock()))
                teams = [team for team in teams if team.id in wanted]
        if spec.scope == "team":  # an uninstalled workspace has no token to post with
            return [Subject(team.workspace_id, team.id, team.name) for team in teams if team.workspace.state is WorkspaceState.INSTALLED]
        if team_ref is not None:
            workspace_ids = sorted({team.workspace_id for team in teams})
            found = [w for w in repositories.all_workspaces(session) if w.id in workspace_ids]
        else:
            found = repositories.all_workspaces(session)
        wanted = WorkspaceState.UNINSTALLED if spec.scope == "uninstalled" else WorkspaceState.INSTALLED
        return [Subject(w.id, None, w.slack_team_id) for w in found if w.state is wanted]


def run_job(runtime: Runtime, spec: JobSpec, *, at: datetime, team_ref: str | None = None) -> list[JobResult]:
    """Runs the job for each subject, `spec.parallel` at a time (in the subjects' order in the
    result). Slack limits messages per channel, so teams' agendas go out side by side rather
    than one channel's waits holding up every other team."""
    found = subjects(runtime, spec, team_ref, at)
    if spec.parallel <= 1 or len(found) <= 1:
        return [_run_for(runtime, spec, subject, at, team_ref) for subject in found]
    with ThreadPoolExecutor(max_workers=spec.parallel, thread_name_prefix=f"job-{spec.name}") as pool:
        return list(pool.map(lambda subject: _run_for(runtime, spec, subject, at, team_ref), found))


def _run_for(runtime: Runtime, spec: JobSpec, subject: Subject, at: datetime, team_ref: str | None) -> JobResult:
    period = spec.period_of(at)
    key = job_runs.RunKey(subject.workspace_id, spec.name, subject.key, period)
    context = JobContext(runtime, subject.workspace_id, subject.team_id, at, team_ref)
    try:
        if spec.claimed:
            outcome, detail = job_runs.run_once(runtime.session_factory, key, lambda: spec.run(context), now=at)
        else:
            outcome, detail = job_runs.Outcome.DONE, spec.run(context)
    except Exception as error:  # recorded as failed in job_runs; the next fire retries
        logger.exception("job %s failed for %s", spec.name, subject.label)
        outcome, detail = job_runs.Outcome.FAILED, type(error).__name__
    return JobResult(spec.name, subject.label, period, outcome, detail)
