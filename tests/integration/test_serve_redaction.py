"""`alinea serve --http` at ALINEA_LOG_LEVEL=DEBUG, as an operator chasing a problem runs it: Bolt,
slack_sdk (its Web API and response_url clients log every request body at DEBUG) and our own
loggers all write, and no line carries an ingest token, the signing secret, the bot token, a
response_url or an `sk-` key, whether configured or typed by someone."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from types import SimpleNamespace

from bot.slack_double import SlackDouble, SlackDriver
from bot.transcript import render
from tests.integration.test_cli import ALINEA, ROOT, free_port, wait_healthy
from tests.slack.test_token_command import api_status

SIGNING_SECRET = "debug-signing-secret-0123456789"
BOT_TOKEN = "xoxb-debug-redaction-4242"
OPENAI_KEY = "sk-proj-DebugRedactionKey0123456789abcdef"
TYPED_KEY = "sk-proj-SomeoneTypedThisKey0123456789"
ONE_LINE = "configurar mercadeo <@U0ANA|ana> ventas <@U0LUIS|luis> zona America/Bogota idioma es"
TOKEN = re.compile(r"aln_[A-Za-z0-9_-]{40,}")


def test_serve_at_debug_writes_no_secret_in_any_line(tmp_path):
    with SlackDouble() as double:
        double.add_user("U0ANA", name="ana", locale="es-LA", is_admin=True)
        double.add_user("U0LUIS", name="luis", locale="es-LA")
        port = free_port()
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ALINEA_", "DATABASE_URL", "OPENAI_"))},
            "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": double.base_url,
            "OPENAI_API_KEY": OPENAI_KEY,
            "ALINEA_LOG_LEVEL": "DEBUG",
            "PYTHONPATH": str(ROOT),
        }
        process = subprocess.Popen(
            [*ALINEA, "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
            env=environment, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        response_urls: list[str] = []
        try:
            wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
            driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, double)

            def command(text: str):
                result = driver.slash_command(text, user_id="U0ANA", channel_id="C0TEAM")
                assert result.status == 200
                response_urls.append(result.response_url)
                (reply,) = double.wait_for_response(result.response_url, timeout=15)
                return reply

            command(ONE_LINE)
            issued = command("token crear")
            (token,) = set(TOKEN.findall(json.dumps(issued.params)))  # shown once, to Ana, through the response_url
            assert api_status(SimpleNamespace(url=f"http://127.0.0.1:{port}"), token) in (200, 207, 422)  # the API read the token (the KPI may not exist)
            refused = command(f"registrar {TYPED_KEY} 12")  # someone pastes a key; the refusal quotes what they typed
            assert TYPED_KEY in render(refused.params)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert "Sending a request - url:" in stderr and "slack_sdk" in stderr  # DEBUG was on, third-party lines included
    assert "[REDACTED]" in stderr
    for secret in (token, SIGNING_SECRET, BOT_TOKEN, OPENAI_KEY, TYPED_KEY, *response_urls):
        assert secret not in stderr, f"{secret[:12]}… is in the log"
    assert not re.search(r"\bsk-[A-Za-z0-9_-]{16,}", stderr) and not TOKEN.search(stderr)
    response_paths = [url.split("/commands/", 1)[1] for url in response_urls]
    assert not any(path in stderr for path in response_paths)  # not even without its host
