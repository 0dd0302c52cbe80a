"""Metrics and structured logs, end to end: signed requests into the real server, `GET /metrics`
scraped over HTTP and parsed with Prometheus's own parser, JSON log lines read back."""

from __future__ import annotations

import io
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import replace
from email.message import Message
from typing import Callable
from urllib.parse import urlencode

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError

from bot.logs import REDACTED, make_handler
from bot.loopback import LoopbackBot
from bot.slack_client import make_web_client
from bot.slack_double import SlackDouble

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


def scrape(bot: LoopbackBot, token: str | None = None) -> tuple[int, Message, str]:
    """Status, headers (case-insensitive) and body of `GET /metrics`."""
    request = urllib.request.Request(f"{bot.url}/metrics", headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: dict, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def command_count(bot: LoopbackBot, subcommand: str, outcome: str) -> float:
    return value(samples(scrape(bot)[2]), "alinea_commands_total", subcommand=subcommand, outcome=outcome)


def test_a_slash_command_is_counted_once_with_its_canonical_name_and_its_ack_timed(bot):
    before = samples(scrape(bot)[2])
    bot.command("ayuda", user_id="U0ANA")  # the Spanish alias: counted as "help"
    eventually(lambda: command_count(bot, "help", "ok") > value(before, "alinea_commands_total", subcommand="help", outcome="ok"))
    time.sleep(0.2)  # nothing else may still be counting
    status, headers, text = scrape(bot)
    after = samples(text)
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    for name in ("alinea_ack_seconds", "alinea_commands_total", "alinea_agendas_total", "alinea_slack_api_errors_total",
                 "alinea_slack_api_retries_total", "alinea_llm_seconds", "alinea_llm_fallbacks_total"):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("alinea_commands_total", subcommand="help", outcome="ok") == 1
    assert delta("alinea_ack_seconds_count", kind="slash-command") == 1
    assert delta("alinea_ack_seconds_sum", kind="slash-command") > 0
    assert sum(delta("alinea_commands_total", subcommand="help", outcome=o) for o in ("user_error", "failed", "busy")) == 0


def test_an_unknown_subcommand_is_a_user_error_and_what_was_typed_is_never_a_label(bot):
    before = command_count(bot, "unknown", "user_error")
    bot.command("zzqqxx-secret-word")
    eventually(lambda: command_count(bot, "unknown", "user_error") == before + 1)
    assert "zzqqxx" not in scrape(bot)[2]


def test_a_full_queue_counts_busy(settings, double):
    with LoopbackBot(replace(settings, work_threads=1, work_queue_limit=1), double=double) as bot:
        held = bot.runtime.work.reserve("held by the test")  # the only slot
        try:
            # The registry is the process's: other tests counted before this one.
            before, answered = command_count(bot, "glossary", "busy"), command_count(bot, "glossary", "ok")
            result = bot.driver.slash_command("glosario")
            assert result.status == 200 and "ephemeral" in result.body  # "busy, try again" in the ack itself
            eventually(lambda: command_count(bot, "glossary", "busy") == before + 1)
            assert command_count(bot, "glossary", "ok") == answered
        finally:
            held.release()


def test_metrics_need_the_bearer_token_when_one_is_configured(settings, double):
    with LoopbackBot(replace(settings, metrics_token=METRICS_TOKEN), double=double) as bot:
        status, headers, _ = scrape(bot)
        assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
        assert scrape(bot, token="not-the-token")[0] == 401
        status, _, text = scrape(bot, token=METRICS_TOKEN)
        assert status == 200 and "alinea_commands_total" in text


def test_metrics_are_open_without_a_token(bot):
    assert scrape(bot)[0] == 200


def test_failed_slack_calls_of_a_listener_are_counted_by_method_and_error(bot):
    # A person the workspace does not know: users.info answers user_not_found, through the
    # client Bolt builds per request (it copies our retry handlers, the counting one included).
    before = value(samples(scrape(bot)[2]), "alinea_slack_api_errors_total", method="users.info", error="user_not_found")
    bot.command("help", user_id="U0NOBODY")
    eventually(lambda: value(samples(scrape(bot)[2]), "alinea_slack_api_errors_total",
                             method="users.info", error="user_not_found") >= before + 1)


def test_retries_and_final_failures_of_our_clients_are_counted(double: SlackDouble):
    from bot import metrics

    client = make_web_client(token="xoxb-test", base_url=double.base_url)
    double.add_channel("C0OBS", "observability")

    def count(name: str, **labels: str) -> float:
        return metrics.sample(name, labels)

    retried = count("alinea_slack_api_retries_total", method="conversations.info", reason="server_error")
    failed_500 = count("alinea_slack_api_errors_total", method="conversations.info", error="fatal_error")
    double.fail_next("conversations.info", status=500)
    assert client.conversations_info(channel="C0OBS")["ok"]
    assert count("alinea_slack_api_retries_total", method="conversations.info", reason="server_error") == retried + 1
    assert count("alinea_slack_api_errors_total", method="conversations.info", error="fatal_error") == failed_500

    dropped = count("alinea_slack_api_retries_total", method="conversations.info", reason="connection_error")
    double.drop_next("conversations.info")
    assert client.conversations_info(channel="C0OBS")["ok"]
    assert count("alinea_slack_api_retries_total", method="conversations.info", reason="connection_error") == dropped + 1

    missing = count("alinea_slack_api_errors_total", method="conversations.info", error="channel_not_found")
    with pytest.raises(SlackApiError):
        client.conversations_info(channel="C0MISSING")
    assert count("alinea_slack_api_errors_total", method="conversations.info", error="channel_not_found") == missing + 1


@pytest.fixture
def json_log(caplog):
    """Our JSON handler on the root logger, writing to a buffer; the lines read back parsed."""
    caplog.set_level(logging.INFO)
    buffer = io.StringIO()
    handler = make_handler("json", ("xoxb-loopback",), stream=buffer)
    logging.getLogger().addHandler(handler)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    yield lines
    logging.getLogger().removeHandler(handler)


def test_the_ack_line_and_the_queued_work_share_the_request_id_and_workspace(bot, json_log):
    result, _ = bot.command("help", user_id="U0ANA")
    request_id = result.headers["X-Request-Id"]

    def finished() -> list[dict]:
        return [line for line in json_log() if line["logger"] == "commands" and "answered" in line["message"]]

    eventually(lambda: bool(finished()))
    ack_line = next(line for line in json_log() if line["message"].startswith("slack slash-command acked"))
    (work_line,) = finished()
    assert ack_line["request_id"] == work_line["request_id"] == request_id
    assert ack_line["workspace"] == work_line["workspace"] == bot.double.team_id
    assert work_line["message"] == "/alinea help answered: ok"
    assert {"time", "level", "logger", "message"} <= set(work_line)
    stamp, _, random_part = request_id.partition("-")  # Slack's request timestamp, then a random part
    assert stamp.isdigit() and len(random_part) == 12


def test_a_request_id_from_the_proxy_is_kept(bot, json_log):
    body = urlencode({
        "token": "x", "team_id": bot.double.team_id, "user_id": "U0ANA", "channel_id": "C0TEAM", "command": "/alinea",
        "text": "help", "response_url": bot.double.new_response_url(), "trigger_id": "1.2.3",
    })
    result = bot.driver.send_raw(body, content_type="application/x-www-form-urlencoded", extra_headers={"X-Request-Id": "proxy-42"})
    assert result.status == 200 and result.headers["X-Request-Id"] == "proxy-42"
    eventually(lambda: any(line.get("request_id") == "proxy-42" and line["logger"] == "commands" for line in json_log()))
    # A header that is not a plain token is replaced, not written into the logs.
    result = bot.driver.send_raw(body, content_type="application/x-www-form-urlencoded", extra_headers={"X-Request-Id": "a b\tc"})
    assert result.headers["X-Request-Id"] != "a b\tc"


def test_no_log_line_carries_the_bot_token(bot, json_log):
    bot.command("help")
    logging.getLogger("alinea.test").warning("calling Slack with %s", bot.settings.slack_bot_token)
    text = "\n".join(json.dumps(line) for line in json_log())
    assert bot.settings.slack_bot_token not in text and REDACTED in text


def test_an_event_ack_is_timed_under_its_own_kind(bot):
    def events_acked() -> float:
        return value(samples(scrape(bot)[2]), "alinea_ack_seconds_count", kind="event")

    before = events_acked()
    result = bot.driver.event({"type": "app_uninstalled", "event_ts": "1700000000.000100"}, event_id="Ev0OBSERVED")
    assert result.status == 200
    assert events_acked() == before + 1  # timed before the answer left: no waiting needed
