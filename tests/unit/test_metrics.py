"""bot/metrics.py: what each function counts, read back from our registry as differences."""

import pytest

from bot import metrics


def test_agenda_outcome_counts_by_kind_and_status():
    before = metrics.sample("alinea_agendas_total", {"kind": "weekly", "status": "posted"})
    metrics.agenda_outcome("weekly", "posted")
    metrics.agenda_outcome("weekly", "posted")
    metrics.agenda_outcome("monthly", "failed")
    assert metrics.sample("alinea_agendas_total", {"kind": "weekly", "status": "posted"}) == before + 2
    assert metrics.sample("alinea_agendas_total", {"kind": "monthly", "status": "failed"}) >= 1


def test_llm_call_times_every_narrative_and_counts_only_fallbacks():
    count = metrics.sample("alinea_llm_seconds_count", {"source": "llm"})
    total = metrics.sample("alinea_llm_seconds_sum", {"source": "llm"})
    timeouts = metrics.sample("alinea_llm_fallbacks_total", {"reason": "timeout"})
    metrics.llm_call(1.5, "llm", None)
    metrics.llm_call(20.0, "llm", "timeout")
    assert metrics.sample("alinea_llm_seconds_count", {"source": "llm"}) == count + 2
    assert metrics.sample("alinea_llm_seconds_sum", {"source": "llm"}) == pytest.approx(total + 21.5)
    assert metrics.sample("alinea_llm_fallbacks_total", {"reason": "timeout"}) == timeouts + 1
    assert metrics.sample("alinea_llm_seconds_bucket", {"source": "llm", "le": "2.0"}) >= 1


def test_free_text_never_becomes_a_label():
    before = metrics.sample("alinea_agendas_total", {"kind": "other", "status": "posted"})
    metrics.agenda_outcome("semana de <@U0ANA> con espacios", "posted")
    assert metrics.sample("alinea_agendas_total", {"kind": "other", "status": "posted"}) == before + 1
    assert "U0ANA" not in metrics.exposition().decode()
    assert metrics.label("x" * 65) == "other" and metrics.label("chat.postMessage") == "chat.postMessage"


def test_commands_take_only_the_four_outcomes():
    before = metrics.sample("alinea_commands_total", {"subcommand": "kpi", "outcome": "user_error"})
    metrics.command("kpi", "user_error")
    assert metrics.sample("alinea_commands_total", {"subcommand": "kpi", "outcome": "user_error"}) == before + 1
    with pytest.raises(ValueError):
        metrics.command("kpi", "weird")


def test_every_series_of_a_subcommand_exists_before_its_first_use():
    metrics.prepare_commands(["glossary"])
    text = metrics.exposition().decode()
    for outcome in metrics.OUTCOMES:
        assert f'alinea_commands_total{{outcome="{outcome}",subcommand="glossary"}}' in text
    assert 'alinea_ack_seconds_count{kind="view"}' in text


def test_the_exposition_is_prometheus_text_with_our_names():
    text = metrics.exposition().decode()
    for name in ("alinea_ack_seconds", "alinea_commands_total", "alinea_agendas_total", "alinea_slack_api_errors_total",
                 "alinea_slack_api_retries_total", "alinea_llm_seconds", "alinea_llm_fallbacks_total"):
        assert f"# HELP {name} " in text
    assert metrics.CONTENT_TYPE.startswith("text/plain")
