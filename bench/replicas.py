"""Signed slash commands against one `alinea serve --http` replica and against three, on one
PostgreSQL database: throughput (ratio three / one) and ack latency.

What is measured, in one run:

* A throwaway PostgreSQL server (`tests/support/postgres.py`, as the test setup starts it), one
  database migrated once and seeded with one team (the starter KPIs, a few weeks of values).
* Two phases, each with fresh `alinea serve --http` processes (`tests/support/replicas.py`) on
  loopback ports and one Slack double in this process as SLACK_API_URL: 1 replica, then 3.
  `--clients` threads send signed `/alinea …` commands back to back, each request to the next
  replica in turn (client c's request i goes to replica (c + i) mod N, as a round-robin load
  balancer would), the same command mix in both phases: `help`, `kpi list`, `kpi log sessions
  N para WEEK` (a write: each client its own week, so clients do not queue on one row),
  `glossary`, `sla`.
* ack: from sending a command to having read its HTTP answer (Slack gives up at 3 s). "busy"
  counts acks that turned the command away (a replica's work queue was full).
* throughput: commands answered per second, an answer being the reply the replica posts to
  the command's response_url after the ack; from the first send to the last answer. acks/s
  counts acks alone.

The clients and the Slack double run in this process (one GIL), on the same machine as the
replicas and the database: on a small machine they compete for the same cores, so the ratio
says how much a second and third process add there, not what separate machines would.
Run: `python bench/replicas.py [--requests N] [--clients C] [--replicas R] [--quick]`.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.slack_double import SlackDouble, SlackDriver  # noqa: E402
from db import migrations, repositories  # noqa: E402
from bot.bootstrap import open_database  # noqa: E402
from domain.periods import Period  # noqa: E402
from domain.setup import SetupChanges  # noqa: E402
from services import kpis, teams, workspaces  # noqa: E402
from services.teams import TeamDefaults  # noqa: E402
from services.workspaces import WorkspaceDefaults  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402
from tests.support.replicas import Replicas, alinea_environment  # noqa: E402

SIGNING_SECRET = "bench-replicas-signing-secret"
BOT_TOKEN = "xoxb-bench-replicas"
SLACK_TEAM, CHANNEL, ANA, LUIS = "T0DOUBLE", "C0TEAM", "U0ANA", "U0LUIS"
BOGOTA = "America/Bogota"
CLIENT_TIMEOUT = 10.0
ANSWER_TIMEOUT = 120.0


def command_mix(client: int, number: int, weeks: list[str]) -> str:
    mix = ("help", "kpi list", f"kpi log sessions {1000 + number} para {weeks[client % len(weeks)]}", "glossary", "sla")
    return mix[number % len(mix)]


@dataclass
class Phase:
    replicas: int
    acks_ms: list[float]
    statuses: list[int]
    busy: int
    answered: int
    sent: int
    ack_seconds: float  # first send to last ack
    answer_seconds: float  # first send to last answer

    @property
    def answers_per_second(self) -> float:
        return self.answered / self.answer_seconds

    @property
    def acks_per_second(self) -> float:
        return self.sent / self.ack_seconds

    def percentile(self, percent: int) -> float:
        return statistics.quantiles(self.acks_ms, n=100, method="inclusive")[percent - 1]


def seed(database_url: str) -> list[str]:
    """One team with the starter KPIs and eight weeks of values; the weeks the clients log into."""
    now = datetime.now(timezone.utc)
    this_week = Period.week_of(now.astimezone(ZoneInfo(BOGOTA)).date())
    weeks = [this_week]
    for _ in range(8):
        weeks.append(weeks[-1].previous())
    with open_database(database_url) as database, database.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=SLACK_TEAM, defaults=WorkspaceDefaults("es", BOGOTA), now=now)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=CHANNEL, channel_name="alineacion", actor=ANA, is_workspace_admin=True,
            changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,), language="es", country="CO"),
            defaults=TeamDefaults(BOGOTA, "es"), now=now,
        )  # fmt: skip
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)
        kpis.enable_starter_set(session, team=team, actor=ANA, now=now, language="es")
        for index, week in enumerate(weeks[1:]):
            kpis.record(session, team=team, key="sales_cop", value=Decimal(40_000_000 + index * 100_000), shown="x", period=week,
                        source="slack", actor=LUIS, note="", now=now - timedelta(days=7 * index))  # fmt: skip
    return [week.key for week in weeks[1:]]


def run_phase(count: int, *, database_url: str, args: argparse.Namespace, weeks: list[str], workdir: Path) -> Phase:
    with SlackDouble(team_id=SLACK_TEAM) as double:
        double.add_user(ANA, name="ana", locale="es-LA")
        double.add_user(LUIS, name="luis", locale="es-LA")
        double.add_channel(CHANNEL, "alineacion")
        env = alinea_environment(database_url=database_url, slack_api_url=double.base_url, bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET)
        with Replicas(count, env=env, workdir=workdir / f"{count}-replicas") as replicas:
            drivers = [SlackDriver(replica.events_url, SIGNING_SECRET, double, timeout=CLIENT_TIMEOUT) for replica in replicas]
            warm_up(drivers, double, weeks)
            return measure(drivers, double, args=args, weeks=weeks)


def warm_up(drivers: list[SlackDriver], double: SlackDouble, weeks: list[str]) -> None:
    """Every command of the mix once on every replica, each answered without an error."""
    for driver in drivers:
        for number in range(5):
            text = command_mix(0, number, weeks)
            result = driver.slash_command(text, user_id=ANA, channel_id=CHANNEL)
            if result.status != 200 or result.body:
                raise SystemExit(f"warm-up: /alinea {text}: HTTP {result.status} {result.body!r}")
            answer = double.wait_for_response(result.response_url, timeout=CLIENT_TIMEOUT)[0]
            shown = str(answer.params.get("text"))
            if not answer.ok or "referencia" in shown or "reference" in shown:
                raise SystemExit(f"warm-up: /alinea {text} answered {shown!r}")


def measure(drivers: list[SlackDriver], double: SlackDouble, *, args: argparse.Namespace, weeks: list[str]) -> Phase:
    lock = threading.Lock()
    acks_ms: list[float] = []
    statuses: list[int] = []
    response_urls: list[str] = []
    busy = 0
    tickets = iter(range(args.requests))
    last_ack = 0.0

    def client(index: int) -> None:
        nonlocal busy, last_ack
        number = 0
        while True:
            with lock:
                ticket = next(tickets, None)
            if ticket is None:
                return
            driver = drivers[(index + number) % len(drivers)]  # round robin over the replicas
            text = command_mix(index, ticket, weeks)
            try:
                result = driver.slash_command(text, user_id=ANA, channel_id=CHANNEL)
                status, elapsed, body, url = result.status, result.elapsed, result.body, result.response_url
            except OSError:
                status, elapsed, body, url = 0, CLIENT_TIMEOUT, "", None
            with lock:
                acks_ms.append(elapsed * 1000)
                statuses.append(status)
                last_ack = time.time()
                if status == 200 and body:
                    busy += 1  # "busy, try again": nothing will be answered
                elif status == 200 and url:
                    response_urls.append(url)
            number += 1

    started = time.time()
    threads = [threading.Thread(target=client, args=(index,), name=f"bench-client-{index}") for index in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wanted = set(response_urls)
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while True:
        answers = [call for call in double.calls_to("response_url") if call.url in wanted]
        if len(answers) >= len(wanted) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    last_answer = max((call.at for call in answers), default=started)
    return Phase(len(drivers), acks_ms, statuses, busy, len(answers), len(statuses), last_ack - started, last_answer - started)


def print_report(phases: list[Phase], args: argparse.Namespace, seconds: float) -> None:
    print(f"slash commands against alinea serve --http replicas, one PostgreSQL database; {args.clients} clients, "
          f"{args.requests} commands per phase, round robin over the replicas")
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs shared by the replicas, PostgreSQL, the clients and the Slack double")
    print("mix: help, kpi list, kpi log (a write), glossary, sla; answered = reply posted to the response_url")
    print(f"{'replicas':>8} {'answered/s':>11} {'acks/s':>8} {'ack p50 ms':>11} {'ack p99 ms':>11} {'answered':>9} {'busy':>5} {'non-200':>8}")
    for phase in phases:
        non_200 = sum(1 for status in phase.statuses if status != 200)
        print(f"{phase.replicas:>8} {phase.answers_per_second:>11.1f} {phase.acks_per_second:>8.1f} {phase.percentile(50):>11.1f} "
              f"{phase.percentile(99):>11.1f} {phase.answered:>5}/{phase.sent:<4}{phase.busy:>5} {non_200:>8}")
    one, many = phases[0], phases[-1]
    print(f"ratio {many.replicas} replicas / 1: answered/s {many.answers_per_second / one.answers_per_second:.2f}, "
          f"acks/s {many.acks_per_second / one.acks_per_second:.2f}, ack p99 {many.percentile(99) / one.percentile(99):.2f}")
    print(f"finished in {seconds:.1f} s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=3000, help="commands per phase (default 3000)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--replicas", type=int, default=3, help="replicas in the second phase (default 3)")
    parser.add_argument("--quick", action="store_true", help="a short run (600 commands per phase, under a minute)")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests = min(args.requests, 600)
    if args.requests < 100 or args.clients < 1 or args.replicas < 2:
        parser.error("--requests at least 100, --clients at least 1, --replicas at least 2")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    started = time.monotonic()
    with PostgresCluster() as cluster, tempfile.TemporaryDirectory(prefix="alinea-bench-replicas-") as tmp:
        database_url = cluster.create_database("bench")
        migrations.upgrade(database_url)
        weeks = seed(database_url)
        phases = [run_phase(count, database_url=database_url, args=args, weeks=weeks, workdir=Path(tmp)) for count in (1, args.replicas)]
    print_report(phases, args, time.monotonic() - started)
    return 0 if all(phase.answered == phase.sent - phase.busy for phase in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
