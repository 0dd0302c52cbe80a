"""`alinea llm check` against the loopback OpenAI-compatible double, through the real `openai`
client: one request per format, what worked and how fast, the sample week as a team would read
it, and every dropped sentence with its reason; and `make test-llm`'s harness, so it cannot rot
between the runs someone makes with a real model."""

from __future__ import annotations

import socket

import pytest

from bot import cli
from tests.support.openai_double import INVENTED_NUMBER, OpenAIDouble


@pytest.fixture
def environment(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("OPENAI_API_KEY", "ALINEA_DEFAULT_LOCALE", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALINEA_LLM_MODEL", "smollm2")
    monkeypatch.setenv("ALINEA_LLM_TIMEOUT_S", "2")
    return monkeypatch


def run_check(environment, capsys, base_url: str, *args: str) -> tuple[int, list[str]]:
    environment.setenv("OPENAI_BASE_URL", base_url)
    code = cli.main(["llm", "check", *args])
    return code, capsys.readouterr().out.splitlines()


def test_a_llama_cpp_server_refuses_the_schema_and_answers_json_mode_and_text(environment, capsys):
    with OpenAIDouble("llama_cpp") as double:
        code, lines = run_check(environment, capsys, double.base_url)
    assert code == 0
    sent = [r.get("response_format") or {} for r in double.requests]
    assert [(f.get("type"), "schema" in f) for f in sent] == [("json_schema", False), ("json_object", True), ("json_object", False), (None, False)]
    assert lines[0] == f"LLM server {double.base_url}, model smollm2: one request in each format, on a sample week"
    assert lines[1].startswith("json_schema: did not work (format_refused) in ")
    worked = [line for line in lines if line.startswith(("json_object_schema:", "json_object:", "text:"))]
    assert len(worked) == 3 and all(": worked in " in line for line in worked)
    # What a team would read: the model named the facts by placeholder, Alinea wrote the numbers.
    assert "  kept: El indicador Ventas quedó en $41.440.000 en el periodo." in lines
    assert "  kept: El indicador Tasa de conversión web quedó en 1,24\xa0% en el periodo." in lines
    assert "  hypotheses kept: 1; numbers the model typed itself: 0" in lines
    assert lines[-1] == "first format that worked here: json_object_schema (narrations step down to it on their own)"


def test_dropped_sentences_are_shown_with_their_reason_in_english(environment, capsys):
    with OpenAIDouble("invents") as double:
        code, lines = run_check(environment, capsys, double.base_url, "--language", "en")
    assert code == 0 and len(double.requests) == 4
    assert "Write no figures and no digits" in double.requests[0]["messages"][0]["content"]
    assert lines.count(f"  dropped (typed_number): Las ventas llegaron a {INVENTED_NUMBER} pedidos, un récord.") == 4
    assert lines.count("  dropped (hypothesis): Los clientes nuevos compran menos.") == 4
    assert "  kept: El indicador Sales quedó en COP41,440,000 en el periodo." in lines  # pesos, written the en-US way
    assert not any(INVENTED_NUMBER in line for line in lines if line.startswith("  kept:"))


def test_no_format_working_exits_1_and_no_model_exits_2(environment, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, lines = run_check(environment, capsys, f"http://127.0.0.1:{port}/v1")
    assert code == 1 and sum("did not work (connection)" in line for line in lines) == 4
    assert lines[-1] == "no format worked: every narration on this server falls back to the automatic summary"
    environment.delenv("ALINEA_LLM_MODEL")
    assert cli.main(["llm", "check"]) == 2
    assert "ALINEA_LLM_MODEL" in capsys.readouterr().err


def test_make_test_llm_narrates_six_demo_agendas_and_counts_what_reached_slack(capsys):
    """`make test-llm`'s harness (bench/real_llm.py), pointed at the double instead of a real
    model (one that types a number and cites a fact that does not exist): six agendas, the figures."""
    from bench.real_llm import narrate_six

    with OpenAIDouble("invents") as double:
        code = narrate_six(double.base_url, "smollm2", timeout_s=5.0)
    out = capsys.readouterr().out
    assert code == 0 and len(double.requests) == 6
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("2026-W")] == [f"2026-W{n:02}" for n in range(6, 12)]
    assert "  agendas whose summary kept at least one model sentence: 6 of 6" in out
    assert "  model sentences kept: 24; dropped: 12 (hypothesis 6, typed_number 6)" in out
    assert "  numbers the model typed itself: 6; numbers not in the data that reached Slack: 0" in out
