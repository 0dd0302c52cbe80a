"""Ingest API throughput: values per second for batches of 1,000 through the real HTTP server.

What is measured: the time from sending `POST /api/v1/teams/{team}/metrics` with 1,000 values
until its JSON answer has been read, client side, one request at a time (a CRM's nightly sync).
The server is the real one (`bot.loopback.LoopbackBot`: waitress, the Bolt app beside it, the
Slack double for the setup commands); the database a fresh migrated SQLite file, and also the
PostgreSQL database given with `--postgres-url` (migrated first; a new team per run).

Phases, `--batches` requests of 1,000 values each (5 KPIs × 200 days, every batch other days):

* new:      every value is new (`recorded`), one audit row each;
* resend:   the same batches again (`unchanged`): nothing written but the token's last use;
* changed:  the same batches with every value changed (`replaced`), one audit row each.

Run: `python bench/ingest.py [--batches N] [--postgres-url postgresql://…]`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings, parse_database_url, redact_url  # noqa: E402
from bot.loopback import LoopbackBot  # noqa: E402
from bot.slack_double import SlackDouble  # noqa: E402
from db import migrations, repositories  # noqa: E402
from domain.periods import local_date  # noqa: E402
from services import ingest, kpis  # noqa: E402

BATCH = 1000
KPIS = ("orders", "sessions", "sales_cop", "leads_mql", "sql")
DAYS_PER_BATCH = BATCH // len(KPIS)
USER_ID = "U0ANA"


def set_up(bot: LoopbackBot, channel: str) -> str:
    """A team in `channel` with the starter KPIs and an ingest token; returns the token."""
    bot.double.add_channel(channel, f"bench-{channel.lower()}")
    bot.command(f"setup marketing <@{USER_ID}> sales <@{USER_ID}> tz America/Bogota lang en", user_id=USER_ID, channel_id=channel)
    now = bot.runtime.clock()
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)
        kpis.enable_starter_set(session, team=team, actor=USER_ID, now=now, language="en")
        return ingest.create_token(session, team=team, actor=USER_ID, is_workspace_admin=True, now=now).plain


def batches(count: int, today, *, bump: int = 0) -> list[bytes]:
    bodies = []
    for number in range(count):
        last = today - timedelta(days=1 + number * DAYS_PER_BATCH)
        rows = [
            {"kpi": key, "value": str(100 + day + index + bump) + (".25" if key == "sales_cop" else ""),
             "period": (last - timedelta(days=day)).isoformat(), "source": "bench"}
            for day in range(DAYS_PER_BATCH) for index, key in enumerate(KPIS)
        ]
        bodies.append(json.dumps({"values": rows}).encode())
    return bodies


def post_all(url: str, channel: str, token: str, bodies: list[bytes], expect: str) -> list[float]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    seconds = []
    try:
        for body in bodies:
            started = time.perf_counter()
            connection.request("POST", f"/api/v1/teams/{channel}/metrics", body=body, headers=headers)
            response = connection.getresponse()
            answer: Any = json.loads(response.read())
            seconds.append(time.perf_counter() - started)
            if response.status != 200 or answer.get(expect) != BATCH:
                raise SystemExit(f"unexpected answer {response.status}: {str(answer)[:300]}")
    finally:
        connection.close()
    return seconds


def run(database_url: str, label: str, count: int) -> list[tuple[str, str, list[float]]]:
    migrations.upgrade(database_url)
    settings = Settings(database_url=database_url, slack_bot_token="xoxb-bench", slack_signing_secret="bench-secret")
    with SlackDouble() as double:
        double.add_user(USER_ID, name="ana", locale="en-US")
        with LoopbackBot(settings, double=double) as bot:
            channel = "C" + secrets.token_hex(5).upper()  # a new team each run, also on a reused PostgreSQL
            token = set_up(bot, channel)
            today = local_date(datetime.now().astimezone(), "America/Bogota")
            first = batches(count, today)
            post_all(bot.url, channel, token, batches(1, today - timedelta(days=count * DAYS_PER_BATCH + 7)), "recorded")  # warm-up
            results = [(label, "new", post_all(bot.url, channel, token, first, "recorded"))]
            results.append((label, "resend", post_all(bot.url, channel, token, first, "unchanged")))
            results.append((label, "changed", post_all(bot.url, channel, token, batches(count, today, bump=1), "replaced")))
    return results


def report(results: list[tuple[str, str, list[float]]]) -> None:
    print(f"{'database':<12}{'phase':<10}{'batches':>8}{'values/s':>11}{'p50 ms':>9}{'max ms':>9}")
    for label, phase, seconds in results:
        rate = BATCH * len(seconds) / sum(seconds)
        print(f"{label:<12}{phase:<10}{len(seconds):>8}{rate:>11,.0f}{statistics.median(seconds) * 1000:>9.0f}{max(seconds) * 1000:>9.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--batches", type=int, default=10, help="requests of 1,000 values per phase (default 10)")
    parser.add_argument("--postgres-url", help="also measure on this PostgreSQL database (migrated first)")
    args = parser.parse_args(argv)
    if args.batches < 1:
        parser.error("--batches must be at least 1")
    logging.basicConfig(level=logging.WARNING)
    started = time.monotonic()
    print(f"Ingest API, batches of {BATCH} values, one client; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}")
    results = []
    with tempfile.TemporaryDirectory(prefix="alinea-bench-") as tmp:
        results += run(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", args.batches)
    if args.postgres_url:
        url = parse_database_url(args.postgres_url)
        print(f"PostgreSQL: {redact_url(url)}")
        results += run(url, "postgresql", args.batches)
    report(results)
    print(f"finished in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
