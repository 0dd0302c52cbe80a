"""`/alinea kpi show` latency on a team with two years of daily values.

What is measured: the time from sending a signed `/alinea kpi show KEY` to the answer arriving
at its response_url (the chart rendered with matplotlib and uploaded to the Slack double
included), through the real HTTP server, on a SQLite file. The same pipeline answering
`/alinea help` in the same run is the baseline, so the ratio says what reading two years of
values and drawing the chart cost on top of a command's fixed costs.

    python bench/kpi_show.py [--runs 40]
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Settings  # noqa: E402
from bot.loopback import LoopbackBot  # noqa: E402
from db import migrations  # noqa: E402
from domain.periods import Period  # noqa: E402
from domain.setup import SetupChanges  # noqa: E402
from services import kpis, teams, workspaces  # noqa: E402
from services.teams import TeamDefaults  # noqa: E402

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)
DAYS = 730


def seed(bot: LoopbackBot) -> int:
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=NOW)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id="C0TEAM", channel_name="bench", actor="U0ANA", is_workspace_admin=False,
            changes=SetupChanges(marketing_leads=("U0ANA",)), defaults=TeamDefaults("America/Bogota", "es"), now=NOW,
        )
        team = teams_of(session, workspace.id)
        kpis.enable_starter_set(session, team=team, actor="U0ANA", now=NOW, language="es")
        written = 0
        for offset in range(DAYS):
            day = date(2026, 11, 22) - timedelta(days=offset)
            for key, value in (("sales_cop", 1_500_000 + offset * 1000), ("orders", 40 + offset % 7), ("sessions", 2500 + offset % 11 * 10)):
                kpis.record(
                    session, team=team, key=key, value=Decimal(value), shown=str(value), period=Period.day(day),
                    source="bench", actor="U0ANA", note="", now=NOW - timedelta(days=offset),
                )
                written += 1
    return written


def teams_of(session, workspace_id):
    from db import repositories

    return repositories.team_by_channel(session, workspace_id=workspace_id, channel_id="C0TEAM")


def measure(bot: LoopbackBot, text: str, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        bot.command(text, user_id="U0ANA", channel_id="C0TEAM", timeout=30)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrations.upgrade(url)
        settings = Settings(database_url=url, slack_signing_secret="bench-secret", slack_bot_token="xoxb-bench")
        with LoopbackBot(settings, clock=lambda: NOW) as bot:
            bot.double.add_channel("C0TEAM", "bench")
            started = time.perf_counter()
            written = seed(bot)
            seeding = time.perf_counter() - started
            rows = {}
            for label, text in (("help", "ayuda"), ("kpi show sales_cop", "kpi ver sales_cop"), ("kpi show conversion_web (rate)", "kpi ver conversion_web")):
                measure(bot, text, 3)  # warm-up
                rows[label] = measure(bot, text, args.runs)
    print(f"/alinea kpi show latency, {DAYS} days of values for 3 KPIs ({written} rows, seeded in {seeding:.1f} s), SQLite file")
    print(f"Python {platform.python_version()}, {args.runs} runs each, sequential, real HTTP + Slack double, chart upload included")
    print(f"{'command':34} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for label, timings in rows.items():
        print(f"{label:34} {statistics.median(timings):8.1f} {percentile(timings, 0.99):8.1f} {statistics.fmean(timings):8.1f}")
    base = statistics.median(rows["help"])
    for label in list(rows)[1:]:
        print(f"ratio {label} / help (p50): {statistics.median(rows[label]) / base:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
