"""The lease on an agenda's claim, end to end on SQLite and PostgreSQL: the real poster, the
Slack double holding a call in flight (posted, its answer not back yet), real `alinea jobs run`
processes as the other replica, and a kill -9. Time is a parameter: the in-process poster runs
on the test's clock and its heartbeat beats when the test steps it; a subprocess works in the
time of its `--at`.

- a live poster renews its lease while a slow Slack call is in flight: nobody takes over;
- a poster frozen mid-post lets its lease expire: another process takes over, posts only what
  is missing, and the frozen poster, once it wakes, stops at its next step;
- a poster killed mid-post (SIGKILL): the rest is posted when its lease runs out, within a
  minute of its last renewal, not ten minutes later."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta

from bot.agenda_posts import AgendaPoster, Outcome
from bot.slack_client import make_web_client
from db.models import AgendaStatus
from domain.meetings import AgendaKind
from db.session import read_only
from services import agendas
from services.leases import LEASE
from tests.slack.test_agenda_posting import (  # noqa: F401 (fixtures)
    CHANNEL,
    agenda_row,
    assert_posted_once,
    bot,
    clock,
    local,
    parents,
    part_claims,
    scheduler_fire,
    team_id,
    with_team,
)
from tests.support.pacer import StepPacer
from tests.support.replicas import AlineaProcess, alinea_environment

START = local(3, 16, 7, 0)  # the weekly agenda of 16 March is due at 07:00; its meeting is at 09:00
HELD_FOR_S = 60  # real seconds a test waits at most for a call to reach the double or a thread to end


def after(seconds: float):
    return START + timedelta(seconds=seconds)


def in_process_poster(bot, clock, pacer: StepPacer) -> AgendaPoster:
    # The client waits as long as the double holds an answer (the app's gives up after 10 s): the
    # hold stands for a poster stuck mid-call for as long as the test needs.
    client = make_web_client(token=bot.settings.slack_bot_token, base_url=bot.double.base_url)
    client.timeout = HELD_FOR_S
    return AgendaPoster(bot.runtime.session_factory, client, team_id=team_id(bot), sleep=lambda seconds: None, clock=clock,
                        pacer=lambda: pacer)  # fmt: skip


def post_in_background(poster: AgendaPoster) -> tuple[threading.Thread, dict[str, Outcome]]:
    result: dict[str, Outcome] = {}
    thread = threading.Thread(target=lambda: result.update(outcome=poster.post(AgendaKind.WEEKLY, START)), name="poster-a")
    thread.start()
    return thread, result


def other_process(bot, tmp_path, name: str, args: list[str]) -> AlineaProcess:
    env = alinea_environment(database_url=bot.settings.database_url, slack_api_url=bot.double.base_url,
                             bot_token=bot.settings.slack_bot_token, signing_secret=bot.settings.slack_signing_secret)  # fmt: skip
    return AlineaProcess.start(name, args, env=env, workdir=tmp_path)


def meeting_of(bot):
    return with_team(bot, lambda session, team: agendas.meeting_of_period(team, AgendaKind.WEEKLY, START))


def test_a_live_poster_renews_its_lease_while_a_slow_slack_call_is_in_flight(bot, clock):
    clock.now = START
    pacer = StepPacer()
    held = bot.double.hold_next("chat.postMessage", after=1)  # the first thread part: posted, its answer slow
    next_part = bot.double.hold_next("chat.postMessage")  # then the part after it
    thread, result = post_in_background(in_process_poster(bot, clock, pacer))
    assert held.reached.wait(HELD_FOR_S)
    meeting = meeting_of(bot)
    for seconds in (15, 30, 45, 60, 75, 90):  # a minute and a half in flight, the heartbeat beating every 15 s
        clock.now = after(seconds)
        pacer.step()
        assert agenda_row(bot).lease_expires_at == after(seconds) + LEASE
        # Another replica, just before the lease would run out, finds it held.
        assert with_team(bot, agendas.claim, meeting=meeting, claimed_by="replica-2", now=after(seconds + 44)) is None
        with read_only(bot.runtime.session_factory) as session:
            assert agendas.expired_leases(session, now=after(seconds + 44)) == []
    # 20 s after the last beat (the heartbeat thread stalled): the poster renews before its next post.
    clock.now = after(110)
    held.release()
    assert next_part.reached.wait(HELD_FOR_S)
    assert agenda_row(bot).lease_expires_at == after(110) + LEASE
    next_part.release()
    thread.join(HELD_FOR_S)
    assert result["outcome"].line == "posted the weekly agenda 2026-W12: parent, 2 parts, 0 charts"
    row = agenda_row(bot)
    assert row.status is AgendaStatus.DONE and row.attempts == 1 and row.lease_expires_at is None
    (parent,) = parents(bot)
    assert part_claims(bot, parent) == ["topics", "plan"]
    assert_posted_once(bot)


def test_a_lease_expiring_mid_post_is_taken_over_by_another_process_and_the_frozen_poster_stops(bot, clock, tmp_path):
    clock.now = START
    pacer = StepPacer()  # never stepped: the poster froze (a long pause, the database out of reach)
    held = bot.double.hold_next("chat.postMessage", after=1)
    thread, result = post_in_background(in_process_poster(bot, clock, pacer))
    assert held.reached.wait(HELD_FOR_S)
    assert agenda_row(bot).lease_expires_at == after(45)
    early = other_process(bot, tmp_path, "replica-2-early", ["jobs", "run", "agenda-resume", "--at", after(44).isoformat()])
    assert early.wait(HELD_FOR_S) == 0, early.stderr[-3000:]
    assert early.stdout.strip() == f"agenda-resume: nothing due at {after(44).isoformat()}"  # no lease had run out
    other = other_process(bot, tmp_path, "replica-2", ["jobs", "run", "agenda-resume", "--at", after(45).isoformat()])
    assert other.wait(HELD_FOR_S) == 0, other.stderr[-3000:]
    # The part in flight was already in the thread: found and recorded, not posted again.
    assert "alineacion" in other.stdout and "posted the weekly agenda 2026-W12: 1 parts, 0 charts" in other.stdout, other.stdout
    clock.now = after(46)
    held.release()  # the frozen poster wakes up with its answer
    thread.join(HELD_FOR_S)
    outcome = result["outcome"]
    assert outcome.status == "in_progress" and "taken over by another run" in outcome.line
    row = agenda_row(bot)
    assert row.status is AgendaStatus.DONE and row.attempts == 2 and row.parts_posted == ["topics", "plan"]
    (parent,) = parents(bot)
    assert part_claims(bot, parent) == ["topics", "plan"]
    assert_posted_once(bot)


def test_a_poster_killed_mid_post_is_taken_over_when_its_lease_runs_out(bot, clock, tmp_path):
    held = bot.double.hold_next("chat.postMessage", after=1)
    victim = other_process(bot, tmp_path, "replica-1", ["jobs", "run", "weekly-agenda", "--team", CHANNEL, "--at", START.isoformat()])
    try:
        assert held.reached.wait(HELD_FOR_S), victim.stderr[-3000:]
        victim.process.send_signal(signal.SIGKILL)
        assert victim.wait(HELD_FOR_S) == -signal.SIGKILL
    finally:
        held.release()
    row = agenda_row(bot)
    assert row.status is AgendaStatus.POSTED and row.attempts == 1
    # Its lease ends 45 s after its last renewal (the claim, or a beat while it posted): well
    # within a minute of the kill, where a claim used to wait ten minutes.
    expires = row.lease_expires_at
    assert after(45) <= expires < after(60)
    assert scheduler_fire(bot, clock, "agenda-resume", expires - timedelta(seconds=1)) == {}
    assert scheduler_fire(bot, clock, "weekly-agenda", expires - timedelta(seconds=1)) == {
        "alineacion": "weekly 2026-W12: being posted by another run"}
    detail = scheduler_fire(bot, clock, "agenda-resume", expires)["alineacion"]
    assert detail == "posted the weekly agenda 2026-W12: 1 parts, 0 charts"
    row = agenda_row(bot)
    assert row.status is AgendaStatus.DONE and row.attempts == 2 and row.parts_posted == ["topics", "plan"]
    (parent,) = parents(bot)
    assert part_claims(bot, parent) == ["topics", "plan"]
    assert_posted_once(bot)
