"""Agenda runs: which meeting's agenda is due, and the claim that makes it happen once.

A run is a row in `agendas`, unique on (team, kind, period). Whoever inserts it (the scheduler
in any replica, `alinea jobs run`, `/alinea agenda post`) posts it; everyone else finds it and
does nothing. The row then records how far the post got: the parent message's ts, each thread
part, done. So:

- two replicas, a double fire or a manual run beside a scheduled one: one insert wins;
- a failed post (Slack down) is marked failed with a retry time that backs off (1, 2, 4 … up
  to 30 minutes) and is taken again by a later run, until the meeting starts;
- a claim carries a lease (services/leases.py) that its live poster renews every 15 seconds; a
  run whose process died is taken over once the lease has passed (45 seconds), and the poster
  first looks for the message it may have posted (every post carries its claim id in Slack
  metadata): half-done runs are reconciled, never blindly re-posted. Every write of a poster is
  fenced on the attempt it claimed, so one whose lease lapsed while it was frozen stops at its
  next step (`LeaseLost`) instead of posting beside the run that took over;
- a run missed while the bot was down is posted at start-up when its meeting has not started,
  and marked skipped (with a log line) when it has.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import repositories
from db.models import Agenda, AgendaStatus, AlignmentTeam
from domain.meetings import AgendaKind, Occurrence, due, missed, next_occurrence, occurrence
from domain.periods import Period, local_date
from services import leases
from services.leases import LeaseLost
from services.teams import meeting_schedule

logger = logging.getLogger(__name__)

# A claim written before leases existed (a replica still on the previous version during an
# upgrade) has no lease: it is taken over once it is this old, as it was then.
UNLEASED_CLAIM_STALE = timedelta(minutes=10)
HELD = (AgendaStatus.CLAIMED, AgendaStatus.POSTED)  # a poster holds the run (and its lease)
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


def claim(session: Session, *, team: AlignmentTeam, meeting: Occurrence, claimed_by: str, now: datetime,
          clock_now: datetime | None = None) -> AgendaRun | None:
    """Takes the run of `meeting`: a new claim, a failed run whose retry time came, or a claim
    whose lease expired. None when someone else holds it, it is done or skipped, or its meeting
    already began. The run's `attempts` is the fencing token its poster's writes carry.

    `now` is the instant the run works for (`jobs run --at` may move it); leases are about who
    is alive, so they are set and compared on the clock every replica shares, `clock_now`
    (the same instant unless given)."""
    clock_now = clock_now or now
    if now >= meeting.meeting_at:
        return None
    values = {
        "workspace_id": team.workspace_id, "team_id": team.id, "kind": meeting.kind.value, "period_key": meeting.key,
        "status": AgendaStatus.CLAIMED.value, "meeting_at": meeting.meeting_at, "claimed_at": now, "claimed_by": claimed_by,
        "lease_expires_at": leases.expires(clock_now), "attempts": 1, "last_error": "", "channel_id": team.channel_id,
        "parts_posted": [],
    }  # fmt: skip
    if repositories.insert_ignoring_conflict(session, Agenda, values, unique=["team_id", "kind", "period_key"]):
        return _run(team, _row(session, team, meeting.kind, meeting))
    row = _row(session, team, meeting.kind, meeting, lock=True)
    assert row is not None
    if not _may_retake(row, now, clock_now):
        return None
    row.status, row.claimed_at, row.claimed_by, row.attempts = AgendaStatus.CLAIMED, now, claimed_by, row.attempts + 1
    row.lease_expires_at = leases.expires(clock_now)
    session.flush()
    return _run(team, row)


def _may_retake(row: Agenda, now: datetime, clock_now: datetime) -> bool:
    if row.status is AgendaStatus.FAILED:
        return row.retry_at is None or row.retry_at <= now
    if row.status not in HELD:
        return False
    if row.lease_expires_at is None:  # claimed by a version without leases
        return now >= row.claimed_at + UNLEASED_CLAIM_STALE
    return clock_now >= row.lease_expires_at  # its poster stopped renewing: it died or froze


def renew(session: Session, *, team: AlignmentTeam, agenda_id: int, attempt: int, now: datetime) -> bool:
    """Extends the lease of the run held at `attempt`; False when that attempt no longer holds it
    (taken over or ended). One conditional UPDATE: a takeover in between makes it match nothing."""
    result = session.execute(
        update(Agenda)
        .where(Agenda.id == agenda_id, Agenda.team_id == team.id, Agenda.attempts == attempt, Agenda.status.in_(HELD))
        .values(lease_expires_at=leases.expires(now))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _held(session: Session, team: AlignmentTeam, agenda_id: int, attempt: int) -> Agenda:
    """The run, locked, if `attempt` still holds it; else LeaseLost (the poster must stop)."""
    row = session.scalars(select(Agenda).where(Agenda.id == agenda_id).with_for_update()).one_or_none()
    assert row is not None and row.team_id == team.id, "an agenda run of another team"
    if row.attempts != attempt or row.status not in HELD:
        raise LeaseLost(f"agenda-{agenda_id}: attempt {attempt} no longer holds the run (now attempt {row.attempts}, {row.status.value})")
    return row


def record_parent(session: Session, *, team: AlignmentTeam, agenda_id: int, attempt: int, ts: str, now: datetime) -> None:
    row = _held(session, team, agenda_id, attempt)
    row.message_ts, row.posted_at, row.status = ts, now, AgendaStatus.POSTED


def record_part(session: Session, *, team: AlignmentTeam, agenda_id: int, attempt: int, part: str) -> None:
    row = _held(session, team, agenda_id, attempt)
    row.parts_posted = [*(row.parts_posted or []), part]


def record_done(session: Session, *, team: AlignmentTeam, agenda_id: int, attempt: int) -> None:
    row = _held(session, team, agenda_id, attempt)
    row.status, row.lease_expires_at = AgendaStatus.DONE, None


def record_failure(session: Session, *, team: AlignmentTeam, agenda_id: int, attempt: int, error: str, now: datetime) -> datetime:
    """Marks the run failed and returns when it may be retried (backing off per attempt)."""
    row = _held(session, team, agenda_id, attempt)
    wait = min(FIRST_RETRY * 2 ** max(row.attempts - 1, 0), LONGEST_RETRY)
    row.status, row.retry_at, row.last_error, row.lease_expires_at = AgendaStatus.FAILED, now + wait, error[:200], None
    return row.retry_at


def expired_runs(session: Session, *, team: AlignmentTeam, now: datetime, clock_now: datetime | None = None) -> list[AgendaRun]:
    """The team's runs whose poster stopped renewing the lease (on `clock_now`, see `claim`)
    before their meeting began (at `now`)."""
    rows = session.scalars(
        select(Agenda)
        .where(Agenda.team_id == team.id, Agenda.status.in_(HELD), Agenda.lease_expires_at <= (clock_now or now),
               Agenda.meeting_at > now)  # fmt: skip
        .order_by(Agenda.id)
    )
    return [_run(team, row) for row in rows]


def expired_leases(session: Session, *, now: datetime, clock_now: datetime | None = None) -> list[tuple[int, AgendaKind]]:
    """(team id, kind) of every run whose poster stopped renewing its lease before its meeting:
    what the scheduler's agenda-resume job takes over. Across workspaces, as the scheduler is."""
    rows = session.execute(
        select(Agenda.team_id, Agenda.kind)
        .where(Agenda.status.in_(HELD), Agenda.lease_expires_at <= (clock_now or now), Agenda.meeting_at > now)
        .order_by(Agenda.lease_expires_at)
    )
    return [(team_id, AgendaKind(kind)) for team_id, kind in rows]


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
