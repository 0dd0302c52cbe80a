"""Weekly agendas for many teams against the loopback Slack double, with Slack's per-channel
rate limit on (one chat.postMessage per second per channel; a 429 carries Retry-After: 1).

What is measured, in one run:

* `--teams` demo teams (default 200) in one workspace, each in its own channel, seeded with 12
  weeks of weekly values, two SLAs with an open breach, OKRs, topics and last week's experiment
  (`bot.demo_data`, weekly readings). Seeding is timed but not part of the results.
* The weekly agenda of every team, posted as the `weekly-agenda` job does: one `AgendaPoster`
  per team, `--parallel` teams at a time (the job's `AGENDA_PARALLEL`), at Monday 07:00 Bogotá,
  twice: with Slack's native charts (three messages per agenda: parent, details, charts), and
  with the PNG fallback (the double refuses native blocks, as an older Slack does: the details
  are refused once, then posted without them, and the charts go in one upload). Each run is
  compared with its floor: Slack lets a channel take about one message a second, so a team
  whose agenda is N messages cannot be done in less than N − 1 seconds after its first (N counts
  the chat.postMessage calls the limit applies to; a PNG upload is a file share, which it does
  not limit, so the PNG fallback's floor is lower); the
  fan-out's floor is the longest team's (all teams post in parallel, in their own channels),
  times the number of waves `--parallel` imposes. The ratio wall / floor says how much of the
  time is ours (goal ≤ 1.2); per-agenda posting time is the goal's other half (≤ 4 s).
  Per agenda, the poster's own phase timings:
  - facts: the facts from the database and the Block Kit rendering;
  - charts: rendering the PNGs (matplotlib, Agg);
  - narrative: the week in brief (the offline narrator here: no LLM is configured), written
    once the parent is posted, while the rate limit holds the replies back;
  - posting: the parent and its replies through the double, including the waits the rate
    limit imposes (PNG rendering and the narrative subtracted).
* Chart rendering against a bare matplotlib chart of the same data: the same primary-KPI
  history drawn by our `services.agenda_charts.trend_chart` (styled, labelled in the team's
  locale, target line) and by a plain Figure + Agg line plot with default styling, `--chart-runs`
  times each, same process, interleaved. The ratio is ours / bare.
* CPU: this process's CPU time per fan-out, and how busy the machine's cores were meanwhile
  (/proc/stat; the double and the chart process share them). Peak memory: the process's maximum
  resident set size (ru_maxrss) after the run. (tracemalloc, used before, slowed every
  allocation: 279 ms of CPU per agenda with it, 106 ms without.)

Run: `python bench/agendas.py [--teams N] [--parallel P] [--chart-runs R] [--no-rate-limit] [--only native|png]`.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.managers import BaseManager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot import demo_data  # noqa: E402
from bot.agenda_posts import AgendaPoster  # noqa: E402
from bot.scheduler import AGENDA_PARALLEL  # noqa: E402
from bot.slack_client import make_web_client  # noqa: E402
from bot.slack_double import SlackDouble  # noqa: E402
from db import migrations  # noqa: E402
from bot.bootstrap import open_database  # noqa: E402
from domain.meetings import AgendaKind  # noqa: E402
from services import agenda_charts, agenda_facts, agendas  # noqa: E402

MONDAY = date(2026, 3, 16)
POST_TIME = datetime(2026, 3, 16, 7, 0, tzinfo=ZoneInfo("America/Bogota"))
PHASES = ("facts", "charts", "narrative", "posting")


class DoubleInItsProcess:
    """The loopback Slack double served from a process of its own, as Slack answers from its own
    servers: in the bench's process its request handling (parsing, Block Kit validation) would
    take the GIL from the posters it measures. Called through a multiprocessing manager."""

    def __init__(self) -> None:
        self._double = SlackDouble().start()

    def base_url(self) -> str:
        return self._double.base_url

    def add_channel(self, channel_id: str, name: str) -> None:
        self._double.add_channel(channel_id, name)

    def calls_to(self, method: str) -> list:
        return self._double.calls_to(method)

    def reset(self) -> None:
        self._double.reset()

    def set_channel_rate_limit(self, per_second: int | None) -> None:
        self._double.set_channel_rate_limit(per_second)

    def refuse_native_blocks(self, refuse: bool) -> None:
        self._double.refuse_native_blocks(refuse)


class DoubleProcess(BaseManager):
    pass


DoubleProcess.register("SlackDouble", DoubleInItsProcess)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def post_all(factory, double: SlackDouble, team_ids: list[int], parallel: int) -> tuple[list[dict[str, float]], float, list[str]]:
    client = make_web_client(token="xoxb-bench", base_url=double.base_url())

    def one(team_id: int) -> tuple[dict[str, float], str]:
        poster = AgendaPoster(factory, client, team_id=team_id)
        started = time.perf_counter()
        line = poster.run(AgendaKind.WEEKLY, POST_TIME)
        total = time.perf_counter() - started
        timings = dict(poster.timings)
        charts, narrative = timings.get("charts", 0.0), timings.get("narrative", 0.0)
        return {"facts": timings.get("facts", 0.0), "charts": charts, "narrative": narrative,
                "posting": timings.get("posting", 0.0) - charts - narrative, "total": total}, line  # fmt: skip

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        done = list(pool.map(one, team_ids))
    return [timings for timings, _ in done], time.perf_counter() - started, [line for _, line in done]


def bare_png(values: list[float]) -> bytes:
    figure = Figure(figsize=(6.4, 3.6), dpi=110)
    FigureCanvasAgg(figure)
    figure.add_subplot().plot(range(len(values)), values)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def chart_ratio(factory, team_id: int, runs: int) -> tuple[list[float], list[float]]:
    with factory() as session:
        from db.models import AlignmentTeam

        team = session.get(AlignmentTeam, team_id)
        facts = agenda_facts.weekly(session, team=team, occurrence=agendas.due_occurrence(team, AgendaKind.WEEKLY, POST_TIME), now=POST_TIME)
        language, country = team.locale, team.country
    primary = facts.primary
    ours = agenda_charts.trend_chart("primary", primary.name, primary.spec, primary.history, target=primary.change.target,
                                     definition_changes=primary.definition_changes, language=language, country=country)  # fmt: skip
    values = [float(value) if value is not None else float("nan") for _, value in primary.history]
    ours_ms, bare_ms = [], []
    ours.render(), bare_png(values)  # warm-up: font cache, first figure
    for _ in range(runs):
        started = time.perf_counter()
        ours.render()
        ours_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        bare_png(values)
        bare_ms.append((time.perf_counter() - started) * 1000)
    return ours_ms, bare_ms


def fan_out(factory, double: SlackDouble, team_ids: list[int], parallel: int) -> dict:
    """Post every team's agenda once and measure it (from the calls the double recorded)."""
    ours_before, machine_before = resource.getrusage(resource.RUSAGE_SELF), machine_cpu()
    per_agenda, wall, lines = post_all(factory, double, team_ids, parallel)
    ours_after, machine_after = resource.getrusage(resource.RUSAGE_SELF), machine_cpu()
    ours_cpu = (ours_after.ru_utime + ours_after.ru_stime) - (ours_before.ru_utime + ours_before.ru_stime)
    busy = None
    if machine_before and machine_after:
        busy = (machine_after[0] - machine_before[0]) / max(machine_after[1] - machine_before[1], 1e-9)
    calls = double.calls_to("chat.postMessage")
    accepted = [call for call in calls if call.status == 200 and (call.response or {}).get("ok")]
    uploads = [call for call in double.calls_to("files.completeUploadExternal") if call.status == 200]
    per_channel: dict[str, int] = {}  # what the per-channel limit applies to: chat.postMessage, not file uploads
    for call in accepted:
        channel = str(call.params.get("channel"))
        per_channel[channel] = per_channel.get(channel, 0) + 1
    waves = -(-len(team_ids) // parallel)
    floor = waves * max((count - 1 for count in per_channel.values()), default=0)
    return {
        "posted": sum(1 for line in lines if line.startswith("posted")), "wall": wall, "floor": floor, "per_agenda": per_agenda,
        "messages": len(accepted) + len(uploads), "calls": len(calls), "throttled": sum(1 for call in calls if call.status == 429),
        "refused": sum(1 for call in calls if (call.response or {}).get("error") == "invalid_blocks"), "uploads": len(uploads),
        "lines": lines, "ours_cpu": ours_cpu, "busy": busy,
    }  # fmt: skip


def machine_cpu() -> tuple[float, float] | None:
    """(busy, total) jiffies of every core since boot, from /proc/stat (Linux); None elsewhere."""
    try:
        fields = [float(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def report(name: str, run: dict, teams: int) -> None:
    ratio = run["wall"] / run["floor"] if run["floor"] else float("nan")
    print(f"\n[{name}] posted {run['posted']}/{teams} agendas in {run['wall']:.1f} s wall ({teams / run['wall']:.2f} agendas/s); "
          f"{run['messages']} messages in the channels ({run['messages'] / teams:.1f} per agenda, uploads included)")
    print(f"  floor set by 1 chat.postMessage/s per channel (uploads are not limited): {run['floor']:.1f} s; wall / floor = {ratio:.2f} (goal ≤ 1.2)")
    busy = f"; the machine's {os.cpu_count()} cores were {run['busy']:.0%} busy (the double and the chart process included)" if run["busy"] is not None else ""
    print(f"  CPU: this process {run['ours_cpu']:.1f} s ({run['ours_cpu'] / teams * 1000:.0f} ms per agenda){busy}")
    print(f"  chat.postMessage calls: {run['calls']}, of which {run['throttled']} answered 429 and {run['refused']} invalid_blocks; "
          f"{run['uploads']} chart uploads")
    print(f"  {'phase (per agenda)':22} {'mean ms':>9} {'p50 ms':>9} {'p95 ms':>9}")
    for phase in (*PHASES, "total"):
        values = [timings[phase] * 1000 for timings in run["per_agenda"]]
        print(f"  {phase:22} {statistics.fmean(values):9.1f} {statistics.median(values):9.1f} {percentile(values, 0.95):9.1f}")
    posting = [timings["posting"] for timings in run["per_agenda"]]
    print(f"  per-agenda posting time: p50 {statistics.median(posting):.2f} s, p95 {percentile(posting, 0.95):.2f} s (goal ≤ 4 s at 1 message/s)")


def warm_up(factory, team_id: int) -> None:
    """One agenda built and its charts drawn before the clock starts, as a running server has
    done: the imports made on first use (the holiday calendars, the message catalogs) and the
    chart process's start (a fresh interpreter importing matplotlib) are not a fan-out's cost."""
    from bot import chart_process
    from bot.agenda_posts import build

    with factory() as session:
        from db.models import AlignmentTeam

        meeting = agendas.due_occurrence(session.get(AlignmentTeam, team_id), AgendaKind.WEEKLY, POST_TIME)
    draft = build(factory, None, team_id=team_id, meeting=meeting, now=POST_TIME)
    renders = [chart.render for chart in draft.charts]
    for render, started in zip(renders, chart_process.draw(renders)):
        chart_process.png(render, started)


def clear_agendas(factory) -> None:
    """Forget the posted runs, their stored weeks in brief (a fan-out would reuse the other's) and
    the workspace's refusal, so the next fan-out posts them again from the same start."""
    from sqlalchemy import delete, update

    from db.models import Agenda, NarrativeHypothesis, StoredNarrative, Workspace

    with factory.begin() as session:
        session.execute(delete(Agenda))
        session.execute(delete(NarrativeHypothesis))
        session.execute(delete(StoredNarrative))
        session.execute(update(Workspace).values(native_blocks_refused_at=None))


def run_fan_outs(factory, double, args) -> tuple[dict, float, tuple[list[float], list[float]]]:
    """Seed the teams, then post every team's weekly agenda with native blocks and with PNGs."""
    runs = {}
    started = time.perf_counter()
    teams = demo_data.seeded(factory, today=MONDAY, count=args.teams, daily=False)
    seeding = time.perf_counter() - started
    for team in teams:
        double.add_channel(team.channel_id, team.name)
    with factory() as session:
        team_ids = [demo_data._load(session, team).id for team in teams]
    warm_up(factory, team_ids[0])
    for name in ("native", "png"):
        if args.only not in (None, name):
            continue
        clear_agendas(factory)
        double.reset()  # calls, messages, the rate limiter's window
        if not args.no_rate_limit:
            double.set_channel_rate_limit(1)
        double.refuse_native_blocks(name == "png")
        runs[name] = fan_out(factory, double, team_ids, args.parallel)
    return runs, seeding, chart_ratio(factory, team_ids[0], args.chart_runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=AGENDA_PARALLEL)
    parser.add_argument("--chart-runs", type=int, default=30)
    parser.add_argument("--no-rate-limit", action="store_true")
    parser.add_argument("--only", choices=("native", "png"), default=None, help="one of the two fan-outs")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder, DoubleProcess() as slack:
        double = slack.SlackDouble()
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrations.upgrade(url)
        with open_database(url) as database:
            runs, seeding, chart_ms = run_fan_outs(database.session_factory, double, args)
    ours_ms, bare_ms = chart_ms
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Weekly agendas for {args.teams} teams, {args.parallel} at a time, SQLite file, loopback Slack double "
          f"({'rate limit 1 message/s per channel' if not args.no_rate_limit else 'no rate limit'})")
    print(f"Python {platform.python_version()}; seeding {args.teams} teams took {seeding:.1f} s (not measured below)")
    for name, run in runs.items():
        report({"native": "native charts and table", "png": "PNG fallback (native blocks refused)"}[name], run, args.teams)
    print(f"\nchart: ours p50 {statistics.median(ours_ms):.1f} ms, bare matplotlib p50 {statistics.median(bare_ms):.1f} ms, "
          f"ratio {statistics.median(ours_ms) / statistics.median(bare_ms):.2f} (goal ≤ 1.3; {args.chart_runs} runs each, interleaved)")
    print(f"peak memory: {peak_rss_mb:.0f} MB resident (process maximum)")
    return 0 if all(run["posted"] == args.teams for run in runs.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
