"""The `alinea` command as operators run it: a real subprocess, its output and exit code."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest

from bot.slack_double import SlackDouble, SlackDriver
from bot.transcript import render
from db.models import AlignmentTeam
from db.session import make_engine, make_session_factory
from services import workspaces
from services.workspaces import WorkspaceDefaults
from tests.integration.test_storage import NOW

ALINEA = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parents[2]


def alinea(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ALINEA_", "DATABASE_URL"))}
    environment.update(env or {})
    environment["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [*ALINEA, *args], env=environment, cwd=cwd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def add_team(database_url: str, *, name: str, channel_id: str, slack_team_id: str = "T1") -> None:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            workspace = workspaces.ensure_workspace(
                session, slack_team_id=slack_team_id, defaults=WorkspaceDefaults("es", "America/Bogota"), now=NOW
            )
            session.add(
                AlignmentTeam(
                    workspace_id=workspace.id, name=name, channel_id=channel_id, timezone="America/Bogota",
                    locale="es", created_at=NOW, updated_at=NOW,
                )
            )
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "args, env, message",
    [
        (["db", "upgrade"], {"DATABASE_URL": "mysql://root@db/alinea"}, "DATABASE_URL"),
        (["db", "upgrade"], {"ALINEA_DEFAULT_LOCALE": "fr"}, "ALINEA_DEFAULT_LOCALE"),
        (["db", "upgrade"], {"ALINEA_DEFAULT_TIMEZONE": "Bogota"}, "ALINEA_DEFAULT_TIMEZONE"),
        (["serve"], {}, "--http"),
        (["serve", "--http"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        (["serve", "--http"], {"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        (["jobs", "run", "purge-processed-events", "--at", "2026-01-12T09:00"], {}, "no UTC offset"),
        (["jobs", "run", "no-such-job"], {}, "unknown job"),
    ],
)
def test_bad_settings_and_arguments_exit_2_naming_what_is_wrong(tmp_path, args, env, message):
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    result = alinea(*args, env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_db_upgrade_and_downgrade(empty_database_url):
    env = {"DATABASE_URL": empty_database_url}
    assert alinea("db", "upgrade", env=env).returncode == 0
    down = alinea("db", "downgrade", "base", env=env)
    assert down.returncode == 0, down.stderr
    up = alinea("db", "upgrade", env=env)
    assert up.returncode == 0 and "upgrade done" in up.stdout


def test_jobs_list_names_every_job_in_aligned_columns():
    from bot.scheduler import JOBS

    result = alinea("jobs", "list")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [spec.name for spec in JOBS]
    for column in ("scope", "schedule"):  # each starts in one column, the longest entries' rows included
        starts = {line.index(getattr(spec, column), len(spec.name)) for line, spec in zip(lines, JOBS)}
        assert len(starts) == 1, (column, starts)


def test_jobs_run_once_per_period_and_by_team(database_url):
    add_team(database_url, name="Tienda Norte", channel_id="C0NORTE")
    env = {"DATABASE_URL": database_url}
    first = alinea("jobs", "run", "purge-processed-events", "--at", "2026-01-12T09:00-05:00", env=env)
    assert first.returncode == 0, first.stderr
    assert "T1 2026-01-12: done (removed 0 event ids)" in first.stdout
    again = alinea("jobs", "run", "purge-processed-events", "--team", "C0NORTE", "--at", "2026-01-12T20:00-05:00", env=env)
    assert again.returncode == 0
    assert "2026-01-13: done" in again.stdout  # 20:00 in Bogotá is the next UTC day: a new period
    repeat = alinea("jobs", "run", "purge-processed-events", "--team", "tienda norte", "--at", "2026-01-12T09:00-05:00", env=env)
    assert repeat.returncode == 0
    assert "already done" in repeat.stdout
    unknown = alinea("jobs", "run", "purge-processed-events", "--team", "C0NOPE", env=env)
    assert unknown.returncode == 2 and "C0NOPE" in unknown.stderr


def test_demo_runs_a_week_on_a_fresh_directory(tmp_path):
    result = alinea("demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "¿Quisiste decir `/alinea ayuda`?" in out
    assert "*Versión 1, en vigor*" in out and "Acordada el 19 de diciembre de 2025 por @ana." in out  # glosario MQL
    assert "weekly-agenda alineacion-tienda 2026-03-16T12:00: done (posted the weekly agenda 2026-W12: parent, 2 replies, 3 native charts)" in out
    assert "✅ Reconocido por @luis el 16 mar, 08:15. Razón: falta de personal" in out  # the thread reply acknowledged B1
    assert "Experimento de la semana 2026-W12 decidido por @ana" in out
    assert "Registré el check-in de *KR2*" in out and "OKR del equipo (activos: 2)" in out
    # Monday 23 March is San José: the agenda of week 13 goes out on Friday 20 and reports the experiment.
    # That week's Slack refuses native charts (as an older one does): the same messages, the charts as PNGs.
    assert "posted the weekly agenda 2026-W13: parent, 2 replies, 3 PNG charts" in out and "Se publica antes por un festivo" in out
    assert "✅ Confirmado. la conversión móvil subió" in out
    assert "Direct message to @ana:" in out and "Tu check-in de OKR" in out
    # a month of customer feedback: one more line saved without its email, and the monthly section in the preview
    assert "Comentario F" in out and "escribanme" not in out and out.count("luisa@correo.co") == 1  # only in what Luis typed
    assert "Voz del cliente — marzo de 2026" in out and "Los temas con más quejas:" in out and "Proponer un OKR" in out
    output = tmp_path / "demo-output"
    channel = json.loads((output / "channel.json").read_text(encoding="utf-8"))
    assert any(block["type"] == "header" for message in channel["messages"] for block in message.get("blocks") or [])
    charts = sorted(path.name for path in output.glob("*.png"))
    assert charts == ["agenda-2-okr.png", "agenda-2-primary.png", "agenda-2-sla.png"]
    charted = [block for message in channel["messages"] for block in message.get("blocks") or [] if block["type"] == "data_visualization"]
    assert len(charted) == 3 and any(block["type"] == "table" for message in channel["messages"] for block in message.get("blocks") or [])
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in output.glob("*.png"))
    assert "Slack reaches the app over Socket Mode" in result.stderr  # the default, like `alinea serve`
    written = {path.name: path.read_bytes() for path in output.iterdir()}
    # The demo starts afresh: the same story again, over signed HTTP this time, printed and written the same.
    again = alinea("demo", "--transport", "http", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Slack reaches the app over signed HTTP" in again.stderr
    assert without_timings(again.stdout) == without_timings(out)
    assert {path.name: path.read_bytes() for path in output.iterdir()} == written


def without_timings(transcript: str) -> str:
    return re.sub(r"\(acked in \d+ ms\)", "(acked)", transcript)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early: {process.communicate()[1]}")
        try:
            with urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise AssertionError("serve never became healthy")


def test_serve_http_answers_signed_commands_and_stops_on_sigterm(tmp_path):
    with SlackDouble() as double:
        double.add_user("U0ANA", name="ana", locale="es-LA")
        port = free_port()
        env = {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
            "SLACK_BOT_TOKEN": "xoxb-serve-test",
            "SLACK_SIGNING_SECRET": "serve-secret",
            "SLACK_API_URL": double.base_url.rstrip("/"),  # normalised by the settings
        }
        environment = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [*ALINEA, "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
            env=environment, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
            assert double.calls_to("auth.test"), "serve checks its token at start-up"
            driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", "serve-secret", double)
            result = driver.slash_command("ayuda")
            assert result.status == 200
            reply = double.wait_for_response(result.response_url)[0]
            assert "Alinea: comandos" in render(reply.params)
            assert driver.slash_command("ayuda", user_id="U0ANA").status == 200
            bad = SlackDriver(f"http://127.0.0.1:{port}/slack/events", "wrong-secret", double).slash_command("ayuda")
            assert bad.status == 401
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
        assert process.returncode == 0, stderr
        assert "xoxb-serve-test" not in stderr and "serve-secret" not in stderr  # no secrets in logs


def test_serve_refuses_a_token_slack_rejects(tmp_path):
    with SlackDouble() as double:
        double.revoked_tokens.add("xoxb-revoked")
        result = alinea(
            "serve", "--http", "--port", str(free_port()),
            env={
                "DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "SLACK_BOT_TOKEN": "xoxb-revoked",
                "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": double.base_url,
            },
        )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "xoxb-revoked" not in result.stderr
