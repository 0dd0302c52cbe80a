"""Claims on job runs: a unique (workspace, job, subject, period) row makes a run happen once.

A run is claimed before any effect. A second claimer (another replica, a double fire, a
manual run) finds the row and stands down. A failed run, or one left "running" by a crash
for longer than `stale_after`, can be claimed again; that re-claim is a conditional UPDATE,
so two re-claimers still cannot both win.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from db import repositories
from db.models import JobRun, JobRunStatus

DEFAULT_STALE_AFTER = timedelta(minutes=30)


class Outcome(str, enum.Enum):
    DONE = "done"
    ALREADY_DONE = "already done"
    IN_PROGRESS = "in progress elsewhere"
    FAILED = "failed"


@dataclass(frozen=True)
class RunKey:
    workspace_id: int
    job: str
    subject: str
    period: str


def claim(session: Session, key: RunKey, *, now: datetime, stale_after: timedelta = DEFAULT_STALE_AFTER) -> Outcome | None:
    """None when this caller now owns the run; otherwise why it does not."""
    values = {
        "workspace_id": key.workspace_id, "job": key.job, "subject": key.subject, "period": key.period,
        "status": JobRunStatus.RUNNING, "attempts": 1, "claimed_at": now,
    }
    if repositories.insert_ignoring_conflict(session, JobRun, values, unique=["workspace_id", "job", "subject", "period"]):
        return None
    run = repositories.job_run(session, workspace_id=key.workspace_id, job=key.job, subject=key.subject, period=key.period)
    assert run is not None
    if run.status is JobRunStatus.DONE:
        return Outcome.ALREADY_DONE
    if run.status is JobRunStatus.RUNNING and now - run.claimed_at < stale_after:
        return Outcome.IN_PROGRESS
    return None if _reclaim(session, run, now=now) else Outcome.IN_PROGRESS


def _reclaim(session: Session, run: JobRun, *, now: datetime) -> bool:
    result = session.execute(
        update(JobRun)
        .where(JobRun.id == run.id, JobRun.status == run.status, JobRun.claimed_at == run.claimed_at)
        .values(status=JobRunStatus.RUNNING, claimed_at=now, attempts=JobRun.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def settle(session: Session, key: RunKey, *, status: JobRunStatus, detail: str, now: datetime) -> None:
    run = repositories.job_run(session, workspace_id=key.workspace_id, job=key.job, subject=key.subject, period=key.period)
    assert run is not None
    run.status = status
    run.detail = detail[:2000]
    run.finished_at = now


def run_once(
    factory: sessionmaker[Session], key: RunKey, work: Callable[[], str], *, now: datetime
) -> tuple[Outcome, str]:
    """Claim, do the work (which opens its own transactions), then record how it went."""
    with factory.begin() as session:
        refused = claim(session, key, now=now)
    if refused is not None:
        return refused, ""
    try:
        detail = work()
    except Exception as error:
        with factory.begin() as session:
            settle(session, key, status=JobRunStatus.FAILED, detail=f"{type(error).__name__}: {error}", now=now)
        raise
    with factory.begin() as session:
        settle(session, key, status=JobRunStatus.DONE, detail=detail, now=now)
    return Outcome.DONE, detail
