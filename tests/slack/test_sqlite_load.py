"""SQLite under the app's own load: the weekly-agenda job's 8 posters, slash commands and ingest
batches released at once against one SQLite file, 20 rounds (a new week each), and not one unit
of work fails on a lock.

Everything is real: a SQLite file, the job as the scheduler runs it (`run_job`, 8 teams side by
side, charts rendered and uploaded), signed slash commands into the Bolt endpoint, ingest batches
over HTTP with the teams' tokens, Slack played by the loopback double. With SQLite's busy timeout
as the only queue, a writer polling for the file could lose for more than its 2 s while the
posters' chart rendering starved the lock's holder of the GIL: commands answered "try again",
batches got 503, a poster stopped mid-agenda. SQLite only: PostgreSQL has no file lock to wait on.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.ingest_api import MAX_CONCURRENT
from bot.jobs import run_job
from bot.loopback import LoopbackBot
from bot.scheduler import AGENDA_PARALLEL, job_named
from bot.transcript import render
from db import repositories
from db.models import Agenda, AgendaStatus, AgendaTopic
from domain.kpis import STARTER_TEMPLATES
from domain.periods import Period
from domain.setup import SetupChanges
from domain.sla import parse_commitment
from services import ingest, kpis, sla, teams, workspaces
from services.teams import TeamDefaults
from tests.support.clock import Clock

BOGOTA = ZoneInfo("America/Bogota")
ANA, LUIS, CARO = "U0ANA", "U0LUIS", "U0CARO"  # marketing lead, sales lead, admin
ROUNDS = 20
TEAMS = AGENDA_PARALLEL  # every poster of one job fire busy at once
CHANNELS = [f"C0LOAD{index}" for index in range(TEAMS)]
FIRST_POST = datetime.combine(date(2026, 3, 16), time(7, 0), BOGOTA)  # a Monday, when weekly agendas go out
DAILY = {"sessions": 2900, "orders": 41, "sales_cop": 6_100_000, "avg_deal": 148_000, "cart_abandonment": 74.5, "followup_hours": 17.5}
# Part of the starter set: an agenda's work grows with the team's KPIs, and this keeps the test short.
STARTER = [spec for spec in STARTER_TEMPLATES if spec.key in (*DAILY, "conversion_web")]
# One team's spreadsheet sync per round resends this many days, corrected: 996 rows, one long write.
BACKFILL_DAYS = 166
# What each team's people type in every round, and how Alinea's answer starts when it worked.
COMMANDS = (
    (ANA, "registrar orders 4{round} para semana pasada", "✅ Registré *Pedidos*"),
    (ANA, "registrar sessions 29{round} para semana pasada", "✅ Registré *Sesiones*"),
    (LUIS, "registrar followup_hours 1{round} para semana pasada", "✅ Registré *Tiempo de seguimiento a leads*"),
    (LUIS, "tema Ronda {round}: costo del envío", "Tema *T"),
)


@dataclass
class Round:
    """What one round saw: the job's lines, the commands' answers and ack times, the batches' statuses,
    and any request that failed outright (a timeout, a dropped connection)."""

    jobs: list[str] = field(default_factory=list)
    replies: list[tuple[str, str]] = field(default_factory=list)  # (answer, how it starts when it worked)
    batches: list[tuple[int, str]] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)  # seconds each command took to be acknowledged
    errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        not_posted = [line for line in self.jobs if "posted the weekly agenda" not in line]
        refused = [answer for answer, expected in self.replies if not answer.startswith(expected)]
        failed = [f"{status} {body}" for status, body in self.batches if status != 200]
        late = [f"acked after {seconds:.1f} s (Slack waits 3 s)" for seconds in self.acks if seconds >= 3]
        return self.errors + not_posted + refused + failed + late


@pytest.fixture
def clock() -> Clock:
    return Clock(FIRST_POST)


@pytest.fixture
def bot(settings, double, clock):
    for user_id, name in ((LUIS, "luis"), (CARO, "caro")):
        double.add_user(user_id, name=name, locale="es-LA")
    for channel in CHANNELS:
        double.add_channel(channel, channel.lower())
    with LoopbackBot(settings, double=double, clock=clock) as bot:
        yield bot


def set_up_teams(bot) -> dict[str, str]:
    """Each team set up through the services as its admin would (KPIs, Ventas as the primary KPI,
    an SLA both leads accepted), with an ingest token; its numbers come in during the rounds."""
    tokens = {}
    now = FIRST_POST - timedelta(days=10)
    for channel in CHANNELS:
        with bot.runtime.session_factory.begin() as session:
            workspace = workspaces.ensure_workspace(session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=now)
            teams.setup_team(
                session, workspace_id=workspace.id, channel_id=channel, channel_name=channel.lower(), actor=CARO, is_workspace_admin=True,
                changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,), admins=(CARO,)),
                defaults=TeamDefaults("America/Bogota", "es"), now=now,
            )  # fmt: skip
            team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)
            for spec in STARTER:
                kpis.create(session, team=team, spec=spec, actor=ANA, now=now, language="es")
            kpis.set_roles(session, team=team, role="primary", keys=["sales_cop"], actor=ANA, now=now)
            kpis.set_roles(session, team=team, role="support", keys=["conversion_web", "avg_deal"], actor=ANA, now=now)
            proposal = sla.propose(session, team=team, actor=LUIS, terms=parse_commitment("ventas followup_hours <= 24 semanal"), now=now)
            sla.accept(session, team=team, version_id=proposal.version.id, actor=ANA, now=now)
            tokens[channel] = ingest.create_token(session, team=team, actor=CARO, is_workspace_admin=True, now=now).plain
    return tokens


def daily_rows(days: list[date], *, source: str, bump: int = 0) -> list[dict]:
    return [{"kpi": key, "value": value + bump, "period": day.isoformat(), "source": source} for key, value in DAILY.items() for day in days]


def send_batch(bot, channel: str, token: str, rows: list[dict]) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{bot.url}/api/v1/teams/{channel}/metrics", data=json.dumps({"values": rows}).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def one_round(bot, tokens: dict[str, str], number: int) -> Round:
    """The job, every team's commands and as many ingest batches as the API takes at once (more
    would wait for a slot and get 503 with Retry-After), all released by one barrier."""
    week = Period.week_of(bot.runtime.clock().date()).previous()
    seen = Round()
    work: list[tuple[Callable[..., None], tuple]] = []

    def job() -> None:
        seen.jobs.extend(result.line() for result in run_job(bot.runtime, job_named("weekly-agenda"), at=bot.runtime.clock()))

    def say(channel: str, user_id: str, text: str, expected: str) -> None:
        result, reply = bot.command(text, user_id=user_id, channel_id=channel, timeout=60)
        seen.replies.append((render(reply.params), expected))
        seen.acks.append(result.elapsed)

    def batch(channel: str, rows: list[dict]) -> None:
        seen.batches.append(send_batch(bot, channel, tokens[channel], rows))

    work.append((job, ()))
    for channel in CHANNELS:
        work.extend((say, (channel, user_id, text.format(round=number), expected)) for user_id, text, expected in COMMANDS)
    backfill = [week.end - timedelta(days=back) for back in range(BACKFILL_DAYS)]
    work.append((batch, (CHANNELS[number % TEAMS], daily_rows(backfill, source="sheet", bump=number))))
    for offset in range(1, MAX_CONCURRENT):
        work.append((batch, (CHANNELS[(number + offset) % TEAMS], daily_rows(week.days(), source="load"))))
    start = threading.Barrier(len(work))

    def released(task, args) -> None:
        start.wait()
        try:
            task(*args)
        except Exception as error:  # a timeout or a refused request: reported with the round
            seen.errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=released, args=item) for item in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen.errors or (len(seen.jobs), len(seen.replies), len(seen.batches)) == (TEAMS, TEAMS * len(COMMANDS), MAX_CONCURRENT)
    return seen


@pytest.mark.timeout(400)  # about 2 s of CPU a round; a shared CI machine may take a few times that
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_posters_commands_and_ingest_batches_at_once_never_fail_on_a_lock(bot, clock, caplog):
    caplog.set_level(logging.WARNING)
    tokens = set_up_teams(bot)
    failed_rounds = []
    for number in range(ROUNDS):
        problems = one_round(bot, tokens, number).problems()
        if problems:
            failed_rounds.append(f"round {number}: {len(problems)} failed, first: {problems[0][:160]}")
        clock.advance(days=7)
    assert not failed_rounds, f"{len(failed_rounds)} of {ROUNDS} rounds lost work: {failed_rounds}"
    assert "database is locked" not in caplog.text
    with bot.runtime.session_factory() as session:
        done = session.scalar(select(func.count()).select_from(Agenda).where(Agenda.status == AgendaStatus.DONE))
        topics = session.scalar(select(func.count()).select_from(AgendaTopic))
    assert (done, topics) == (ROUNDS * TEAMS, ROUNDS * TEAMS)
