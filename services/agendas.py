"""Agenda runs: which meeting's agenda is due, and the claim that makes it happen once.

A run is a row in `agendas`, unique on (team, kind, period). Whoever inserts it (the scheduler
in any replica, `alinea jobs run`, `/alinea agenda post`) posts it; everyone else finds it and
does nothing. The row then records how far the post got: the parent message's ts, each thread
part, done. So:

- two replicas, a double fire or a manual run beside a scheduled one: one insert wins;
- a failed post (Slack down) is marked failed with a retry time that backs off (1, 2, 4 … up
  to 30 minutes) and is taken again by a later run, until the meeting starts;
- a run whose process died after claiming is taken again once its claim is stale (10 minutes),
  and the poster first looks for the message it may have posted (every post carries its claim
  id in Slack metadata): half-done runs are reconciled, never blindly re-posted;
- a run missed while the bot was down is posted at start-up when its meeting has not started,
  and marked skipped (with a log line) when it has.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repositories
from db.models import Agenda, AgendaStatus, AlignmentTeam
from domain.meetings import AgendaKind, Occurrence, due, missed, next_occurrence, occurrence
from domain.periods import Period, local_date
from services.teams import meeting_schedule

logger = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(minutes=30)


@dataclass(frozen=True)
class AgendaRun:
    id: int
    team_id: int
    kind: AgendaKind
    occurrence: Occurrence
    status: AgendaStatus
    attempts: int
    channel_id: str
    message_ts: str | None
    parts_posted: tuple[str, ...]

    @property
    def claim(self) -> str:
        """The id every post of this run carries in its Slack metadata."""
        return f"agenda-{self.id}"


def _run(team: AlignmentTeam, row: Agenda) -> AgendaRun:
    kind = AgendaKind(row.kind)
    meeting = occurrence(meeting_schedule(team), kind, Period.parse_key(row.period_key))
    return AgendaRun(row.id, row.team_id, kind, meeting, row.status, row.attempts, row.channel_id, row.message_ts, tuple(row.parts_posted or ()))


def due_occurrence(team: AlignmentTeam, kind: AgendaKind, now: datetime) -> Occurrence | None:
    return due(meeting_schedule(team), kind, now)


def next_meeting(team: AlignmentTeam, kind: AgendaKind, now: datetime) -> Occurrence:
    """The meeting whose agenda comes next: the one due now, else the next one to be posted."""
    return due(meeting_schedule(team), kind, now) or next_occurrence(meeting_schedule(team), kind, now)


def meeting_of_period(team: AlignmentTeam, kind: AgendaKind, at: datetime) -> Occurrence:
    """The meeting of the week (or month) `at` falls in, in the team's timezone."""
    day = local_date(at, team.timezone)
    period = Period.week_of(day) if kind is AgendaKind.WEEKLY else Period.month_of(day)
    return occurrence(meeting_schedule(team), kind, period)


def _row(session: Session, team: AlignmentTeam, kind: AgendaKind, meeting: Occurrence, *, lock: bool = False) -> Agenda | None:
    query = select(Agenda).where(Agenda.team_id == team.id, Agenda.kind == kind.value, Agenda.period_key == meeting.key)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def claim(session: Session, *, team: AlignmentTeam, meeting: Occurrence, claimed_by: str, now: datetime) -> AgendaRun | None:
    """Takes the run of `meeting`: a new claim, a failed run whose retry time came, or a stale
    claim. None when someone else has it, it is done or skipped, or its meeting already began."""
    if now >= meeting.meeting_at:
        return None
    values = {
        "workspace_id": team.workspace_id, "team_id": team.id, "kind": meeting.kind.value, "period_key": meeting.key,
        "status": AgendaStatus.CLAIMED.value, "meeting_at": meeting.meeting_at, "claimed_at": now, "claimed_by": claimed_by,
        "attempts": 1, "last_error": "", "channel_id": team.channel_id, "parts_posted": [],
    }  # fmt: skip
    if repositories.insert_ignoring_conflict(session, Agenda, values, unique=["team_id", "kind", "period_key"]):
        return _run(team, _row(session, team, meeting.kind, meeting))
    row = _row(session, team, meeting.kind, meeting, lock=True)
    assert row is not None
    if not _may_retake(row, now):
        return None
    row.status, row.claimed_at, row.claimed_by, row.attempts = AgendaStatus.CLAIMED, now, claimed_by, row.attempts + 1
    session.flush()
    return _run(team, row)


def _may_retake(row: Agenda, now: datetime) -> bool:
    if row.status is AgendaStatus.FAILED:
        return row.retry_at is None or row.retry_at <= now
    if row.status in (AgendaStatus.CLAIMED, AgendaStatus.POSTED):  # its process may have died mid-way
        return now - row.claimed_at >= STALE_CLAIM
    return False


def _scoped(session: Session, team: AlignmentTeam, agenda_id: int) -> Agenda:
    row = session.get(Agenda, agenda_id)
    assert row is not None and row.team_id == team.id, "an agenda run of another team"
    return row


def record_parent(session: Session, *, team: AlignmentTeam, agenda_id: int, ts: str, now: datetime) -> None:
    row = _scoped(session, team, agenda_id)
    row.message_ts, row.posted_at, row.status = ts, now, AgendaStatus.POSTED


def record_part(session: Session, *, team: AlignmentTeam, agenda_id: int, part: str) -> None:
    row = _scoped(session, team, agenda_id)
    row.parts_posted = [*(row.parts_posted or []), part]


def record_done(session: Session, *, team: AlignmentTeam, agenda_id: int) -> None:
    _scoped(session, team, agenda_id).status = AgendaStatus.DONE


def record_failure(session: Session, *, team: AlignmentTeam, agenda_id: int, error: str, now: datetime) -> datetime:
    """Marks the run failed and returns when it may be retried (backing off per attempt)."""
    row = _scoped(session, team, agenda_id)
    wait = min(FIRST_RETRY * 2 ** max(row.attempts - 1, 0), LONGEST_RETRY)
    row.status, row.retry_at, row.last_error = AgendaStatus.FAILED, now + wait, error[:200]
    return row.retry_at


def skip_if_missed(session: Session, *, team: AlignmentTeam, kind: AgendaKind, now: datetime) -> Occurrence | None:
    """The most recent meeting that started without an agenda run (the bot was down through its
    whole posting window): marked skipped, logged, returned. None when it had one."""
    meeting = missed(meeting_schedule(team), kind, now)
    if meeting.post_at < team.created_at:  # the team did not exist yet: nothing was missed
        return None
    values = {
        "workspace_id": team.workspace_id, "team_id": team.id, "kind": kind.value, "period_key": meeting.key,
        "status": AgendaStatus.SKIPPED.value, "meeting_at": meeting.meeting_at, "claimed_at": now, "claimed_by": "scheduler",
        "attempts": 0, "last_error": "the meeting started before the agenda could be posted", "channel_id": team.channel_id,
        "parts_posted": [],
    }  # fmt: skip
    if not repositories.insert_ignoring_conflict(session, Agenda, values, unique=["team_id", "kind", "period_key"]):
        return None
    logger.warning("skipped the %s agenda %s of team %s: its meeting began at %s, before it could be posted",
                   kind.value, meeting.key, team.id, meeting.meeting_at.isoformat())
    return meeting


def run_of(session: Session, *, team: AlignmentTeam, kind: AgendaKind, meeting: Occurrence) -> AgendaRun | None:
    row = _row(session, team, kind, meeting)
    return _run(team, row) if row is not None else None
