"""`alinea serve --http` as operators run it, with ALINEA_LOG_FORMAT=json and ALINEA_METRICS_TOKEN:
every stderr line is JSON, one request id follows a command from its ack to its answer, and
`/metrics` wants the token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from bot.slack_double import SlackDouble, SlackDriver
from tests.integration.test_cli import ALINEA, ROOT, free_port, wait_healthy

SIGNING_SECRET = "serve-signing-secret-0123456789"
METRICS_TOKEN = "serve-metrics-token-0123456789"


def get_metrics(port: int, token: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urlopen(Request(f"http://127.0.0.1:{port}/metrics", headers=headers), timeout=5) as response:
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, ""


def test_serve_logs_json_lines_and_protects_its_metrics(tmp_path):
    with SlackDouble() as double:
        double.add_user("U0ANA", name="ana", locale="es-LA")
        port = free_port()
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ALINEA_", "DATABASE_URL"))},
            "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
            "SLACK_BOT_TOKEN": "xoxb-serve-observability",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": double.base_url,
            "ALINEA_LOG_FORMAT": "json",
            "ALINEA_METRICS_TOKEN": METRICS_TOKEN,
            "PYTHONPATH": str(ROOT),
        }
        process = subprocess.Popen(
            [*ALINEA, "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
            env=environment, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
            driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, double)
            result = driver.slash_command("ayuda", user_id="U0ANA")
            assert result.status == 200
            double.wait_for_response(result.response_url)
            assert get_metrics(port, None)[0] == 401
            status, text = get_metrics(port, METRICS_TOKEN)
            assert status == 200 and 'alinea_ack_seconds_count{kind="slash-command"} 1.0' in text
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]  # every line is JSON
    request_id = result.headers["X-Request-Id"]
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert any(line["message"].startswith("slack slash-command acked") for line in mine)
    assert any(line["message"] == "/alinea help answered: ok" for line in mine)
    assert all(line["workspace"] == double.team_id for line in mine)
    assert "xoxb-serve-observability" not in stderr and SIGNING_SECRET not in stderr and METRICS_TOKEN not in stderr
