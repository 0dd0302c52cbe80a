"""The lease on an agenda's claim, end to end on SQLite and PostgreSQL: the real poster, the
Slack double holding a call in flight (posted, its answer not back yet), real `alinea jobs run`
processes as the other replica, and a kill -9.

Leases are on the clock every replica shares. The subprocesses read the real one, so the team's
weekly agenda is due now, whatever the date (as in tests/integration/test_replicas.py), and this
process runs on a test clock set to instants around it: the in-process poster's heartbeat beats
when the test steps it, and nothing sleeps to wait for a lease to run out.

- a live poster renews its lease while a slow Slack call is in flight: nobody takes over;
- a poster frozen mid-post lets its lease expire: another process takes over, posts only what
  is missing, and the frozen poster, once it wakes, stops at its next step;
- a poster killed mid-post (SIGKILL): the rest is posted when its lease runs out, within a
  minute of its last renewal, not ten minutes later."""

from __future__ import annotations

import signal
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.agenda_posts import AgendaPoster, Outcome
from bot.loopback import LoopbackBot
from bot.slack_client import make_web_client
from db.models import Agenda, AgendaStatus
from db.session import read_only
from domain.meetings import AgendaKind
from services import agendas
from services.leases import LEASE
from tests.integration.test_replicas import due_now, new_team
from tests.slack.test_agenda_posting import CHANNEL, assert_posted_once, parents, part_claims, scheduler_fire, team_id, with_team
from tests.support.clock import Clock
from tests.support.pacer import StepPacer
from tests.support.replicas import AlineaProcess, alinea_environment

# Real seconds a test waits at most for a call to reach the double, a process or a thread to end:
# an `alinea` process takes a minute to start on a loaded machine (2 cores, several test runs).
HELD_FOR_S = 240
SUBPROCESS_TEST = pytest.mark.timeout(2 * HELD_FOR_S)
PARTS = ["details"]  # a team without numbers yet: its agenda's thread (no charts)


@pytest.fixture
def started() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def clock(started):
    return Clock(started)


@pytest.fixture
def bot(settings, double, clock, started):
    with LoopbackBot(settings, double=double, clock=clock) as bot:
        with bot.runtime.session_factory.begin() as session:
            new_team(session, channel=CHANNEL, name="alineacion", changes=due_now(started), now=started - timedelta(days=1))
        yield bot


def run_row(bot) -> Agenda:
    with bot.runtime.session_factory() as session:
        return session.scalars(select(Agenda).where(Agenda.team_id == team_id(bot))).one()


def in_process_poster(bot, clock: Clock, pacer: StepPacer) -> AgendaPoster:
    # The client waits as long as the double holds an answer (the app's gives up after 10 s): the
    # hold stands for a poster stuck mid-call for as long as the test needs.
    client = make_web_client(token=bot.settings.slack_bot_token, base_url=bot.double.base_url)
    client.timeout = HELD_FOR_S
    return AgendaPoster(bot.runtime.session_factory, client, team_id=team_id(bot), sleep=lambda seconds: None, clock=clock,
                        pacer=lambda: pacer)  # fmt: skip


def post_in_background(poster: AgendaPoster, now: datetime) -> tuple[threading.Thread, dict[str, Outcome]]:
    result: dict[str, Outcome] = {}
    thread = threading.Thread(target=lambda: result.update(outcome=poster.post(AgendaKind.WEEKLY, now)), name="poster-a")
    thread.start()
    return thread, result


def other_process(bot, tmp_path, name: str, args: list[str]) -> AlineaProcess:
    env = alinea_environment(database_url=bot.settings.database_url, slack_api_url=bot.double.base_url,
                             bot_token=bot.settings.slack_bot_token, signing_secret=bot.settings.slack_signing_secret)  # fmt: skip
    return AlineaProcess.start(name, args, env=env, workdir=tmp_path)


def posted_once_and_done(bot, *, attempts: int) -> None:
    row = run_row(bot)
    assert row.status is AgendaStatus.DONE and row.attempts == attempts and row.lease_expires_at is None
    assert row.parts_posted == PARTS
    (parent,) = parents(bot)
    assert part_claims(bot, parent) == PARTS
    assert_posted_once(bot)


def test_a_live_poster_renews_its_lease_while_a_slow_slack_call_is_in_flight(bot, clock, started):
    pacer = StepPacer()
    held = bot.double.hold_next("chat.postMessage")  # the parent: posted, its answer slow
    next_part = bot.double.hold_next("chat.postMessage")  # then the details reply
    thread, result = post_in_background(in_process_poster(bot, clock, pacer), started)
    assert held.reached.wait(HELD_FOR_S)
    meeting = with_team(bot, lambda session, team: agendas.meeting_of_period(team, AgendaKind.WEEKLY, started))
    for seconds in (15, 30, 45, 60, 75, 90):  # a minute and a half in flight, the heartbeat beating every 15 s
        clock.now = started + timedelta(seconds=seconds)
        pacer.step()
        assert run_row(bot).lease_expires_at == clock.now + LEASE
        # Another replica, just before the lease would run out, finds it held.
        just_before = clock.now + LEASE - timedelta(seconds=1)
        assert with_team(bot, agendas.claim, meeting=meeting, claimed_by="replica-2", now=just_before) is None
        with read_only(bot.runtime.session_factory) as session:
            assert agendas.expired_leases(session, now=just_before) == []
    # 20 s after the last beat (the heartbeat thread stalled): the poster renews before its next post.
    clock.now = started + timedelta(seconds=110)
    held.release()
    assert next_part.reached.wait(HELD_FOR_S)
    assert run_row(bot).lease_expires_at == clock.now + LEASE
    next_part.release()
    thread.join(HELD_FOR_S)
    assert result["outcome"].status == "posted" and result["outcome"].line.endswith("parent, 1 replies, 0 native charts")
    posted_once_and_done(bot, attempts=1)


@SUBPROCESS_TEST
def test_a_lease_expiring_mid_post_is_taken_over_by_another_process_and_the_frozen_poster_stops(bot, clock, started, tmp_path):
    # The poster claimed 50 s ago and froze in its first thread part (a long pause, the database
    # out of reach): its heartbeat never beats, and its lease ran out 5 s ago.
    clock.now = started - timedelta(seconds=50)
    pacer = StepPacer()
    held = bot.double.hold_next("chat.postMessage", after=1)
    thread, result = post_in_background(in_process_poster(bot, clock, pacer), clock.now)
    assert held.reached.wait(HELD_FOR_S)
    assert run_row(bot).lease_expires_at == started - timedelta(seconds=5)
    other = other_process(bot, tmp_path, "replica-2", ["jobs", "run", "agenda-resume"])
    assert other.wait(HELD_FOR_S) == 0, other.stderr[-3000:]
    # The part in flight was already in the thread: found and recorded, not posted again.
    assert "agenda-resume alineacion" in other.stdout and "0 replies, 0 native charts" in other.stdout, other.stdout
    held.release()  # the frozen poster wakes up with its answer
    thread.join(HELD_FOR_S)
    outcome = result["outcome"]
    assert outcome.status == "in_progress" and "taken over by another run" in outcome.line
    posted_once_and_done(bot, attempts=2)


@SUBPROCESS_TEST
def test_a_poster_killed_mid_post_is_taken_over_when_its_lease_runs_out(bot, clock, tmp_path):
    held = bot.double.hold_next("chat.postMessage", after=1)
    victim = other_process(bot, tmp_path, "replica-1", ["jobs", "run", "weekly-agenda", "--team", CHANNEL])
    try:
        assert held.reached.wait(HELD_FOR_S), victim.stderr[-3000:]
        victim.process.send_signal(signal.SIGKILL)
        killed_at = datetime.now(timezone.utc)
        assert victim.wait(HELD_FOR_S) == -signal.SIGKILL
    finally:
        held.release()
    row = run_row(bot)
    assert row.status is AgendaStatus.POSTED and row.attempts == 1
    # Its lease ends 45 s after its last renewal (the claim, or a beat while it posted), so at
    # most 45 s after the kill, where a claim used to wait ten minutes.
    expires = row.lease_expires_at
    assert row.claimed_at + LEASE <= expires <= killed_at + LEASE
    print(f"\nthe killed poster's lease ran out {(expires - killed_at).total_seconds():.1f} s after the kill")
    assert scheduler_fire(bot, clock, "agenda-resume", expires - timedelta(seconds=1)) == {}
    assert scheduler_fire(bot, clock, "weekly-agenda", expires - timedelta(seconds=1)) == {
        "alineacion": f"weekly {row.period_key}: being posted by another run"}
    detail = scheduler_fire(bot, clock, "agenda-resume", expires)["alineacion"]
    assert detail == f"posted the weekly agenda {row.period_key}: 0 replies, 0 native charts"
    posted_once_and_done(bot, attempts=2)
