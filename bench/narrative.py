"""The week in brief: what the LLM narrator costs against the offline one, and what the stored
narrative saves, in one run.

What is measured, on the demo team's facts for its 2026-W12 agenda (`bot.demo_data`, SQLite):

* offline: `OfflineNarrator.narrate` (templates, rules, the grounding check);
* llm: `LlmNarrator.narrate` with the real `openai` client against the loopback
  OpenAI-compatible double (`tests/support/openai_double.py`, "good" scenario: it answers at
  once, so this is our side of the call: prompt building, HTTP through httpx, JSON parsing,
  grounding, escaping, the token budget's two transactions);
* stored: `services.insights.narrate_once` once the narrative of those facts is stored (what a
  retried agenda, `/alinea insights` and the agenda after it pay): one read.

Each `--runs` times, interleaved; p50 and p95 in milliseconds and the ratios llm / offline and
stored / llm. A real model adds its own latency on top (seconds); the double shows ours.

Run: `python bench/narrative.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import demo_data  # noqa: E402
from bot.config import Settings  # noqa: E402
from db import migrations  # noqa: E402
from bot.bootstrap import open_database  # noqa: E402
from services import insights  # noqa: E402
from bot.narrators import ModelServer, Narrators  # noqa: E402
from services.offline_narrator import OfflineNarrator  # noqa: E402
from tests.support.openai_double import OpenAIDouble  # noqa: E402

MONDAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 7, 0, tzinfo=ZoneInfo("America/Bogota"))


@contextmanager
def demo_factory(folder: str):
    """A SQLite database in `folder`, migrated, with the demo team's twelve weeks up to MONDAY."""
    url = f"sqlite:///{folder}/bench.db"
    migrations.upgrade(url)
    with open_database(url) as database:
        demo_data.seeded(database.session_factory, today=MONDAY)
        yield database.session_factory


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, OpenAIDouble("good") as llm, demo_factory(folder) as factory:
        with factory() as session:
            team = demo_data._load(session, demo_data.demo_team())
            found = insights.week_facts(session, team=team, week=None, now=NOW)
            team_id, workspace_id = team.id, team.workspace_id
        settings = Settings(llm_model="bench-model", openai_base_url=llm.base_url, openai_api_key="sk-bench",
                            llm_monthly_tokens=10**9)  # fmt: skip
        model = Narrators(ModelServer.from_settings(settings), factory, clock=lambda: NOW).narrator(workspace_id)
        offline = OfflineNarrator()
        insights.narrate_once(factory, model, team_id=team_id, week=found.meeting.period, facts=found.facts, language="es", country="CO", now=NOW)
        timings: dict[str, list[float]] = {"offline": [], "llm": [], "stored": []}
        calls = {
            "offline": lambda: offline.narrate(found.facts, language="es", country="CO"),
            "llm": lambda: model.narrate(found.facts, language="es", country="CO"),
            "stored": lambda: insights.narrate_once(factory, model, team_id=team_id, week=found.meeting.period, facts=found.facts,
                                                    language="es", country="CO", now=NOW),
        }  # fmt: skip
        for _ in range(args.runs):
            for name, call in calls.items():
                started = time.perf_counter()
                narrative = call()
                timings[name].append((time.perf_counter() - started) * 1000)
                if name == "llm":
                    assert narrative.model == "bench-model", narrative.fallback_reason  # a fallback would measure the wrong thing
        requests = len(llm.requests)
    print(f"{len(found.facts)} facts; {args.runs} runs each; {requests} requests reached the model double")
    print(f"{'narrator':<10}{'p50 ms':>10}{'p95 ms':>10}")
    for name, values in timings.items():
        print(f"{name:<10}{statistics.median(values):>10.2f}{percentile(values, 0.95):>10.2f}")
    p50 = {name: statistics.median(values) for name, values in timings.items()}
    print(f"ratio llm/offline (p50): {p50['llm'] / p50['offline']:.2f}; stored/llm (p50): {p50['stored'] / p50['llm']:.3f}")


if __name__ == "__main__":
    main()
