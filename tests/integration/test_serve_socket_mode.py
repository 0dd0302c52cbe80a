"""`alinea serve` in Socket Mode as the README's first path runs it: a real process, connected to
the Slack double's Socket Mode server with the app-level token, JSON logs, and its health port.
It answers over its sockets, keeps hearing Slack while a socket is dropped or refreshed, comes
back within a second when every socket is cut, and reports health and metrics."""

from __future__ import annotations

import json
import time
from urllib.error import HTTPError
from urllib.request import urlopen

from bot.config import Settings
from bot.http import HttpServer, build_health_app
from bot.loopback import LoopbackBot
from bot.slack_double import SlackDouble, SocketModeDriver
from bot.socket_mode import SocketModeLink
from bot.serve import socket_mode_problem
from db.session import make_engine, ping
from tests.support.replicas import AlineaProcess, Replica, alinea_environment, free_port

BOT_TOKEN = "xoxb-serve-socket-mode"


def get(url: str) -> tuple[int, str]:
    try:
        with urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


def answered(double: SlackDouble, driver: SocketModeDriver, text: str) -> str:
    result = driver.slash_command(text, user_id="U0ANA")
    assert result.ok, (result.status, result.body)
    (post,) = double.wait_for_response(result.response_url, timeout=10)
    assert result.envelope_id
    return result.envelope_id


def test_serve_in_socket_mode_answers_reconnects_and_reports_health(tmp_path):
    with SlackDouble() as double:
        double.add_user("U0ANA", name="ana", locale="es-LA")
        port = free_port()
        env = alinea_environment(
            database_url=f"sqlite:///{tmp_path / 'serve.db'}", slack_api_url=double.base_url, bot_token=BOT_TOKEN,
            signing_secret="unused-in-socket-mode", app_token=double.app_token,
            extra={"ALINEA_LOG_FORMAT": "json", "ALINEA_HEALTH_PORT": str(port)},
        )
        started = AlineaProcess.start("serve", ["serve"], env=env, workdir=tmp_path)
        process = Replica(started.name, started.process, started.stdout_path, started.stderr_path, port=port)
        server, driver = double.socket_mode, SocketModeDriver(double)
        try:
            process.wait_healthy(time.monotonic() + 60)
            assert server.wait_for_connections(2, timeout=30) == 2  # two sockets held open
            first = answered(double, driver, "ayuda")

            # One socket cut: the other still hears Slack, so nothing said meanwhile is lost.
            server.drop_connection()
            during_drop = answered(double, driver, "ayuda")
            server.wait_for_connections(2, timeout=1.0)
            # Every socket cut at once: back within a second.
            cut_at = time.monotonic()
            while server.drop_connection() is not None:
                pass
            server.wait_for_connections(1, timeout=1.0)
            gap = time.monotonic() - cut_at
            # Slack's refresh, announced: the process moves without a restart.
            server.wait_for_connections(2, timeout=2.0)
            server.request_refresh(warn_first=True)
            after_refresh = answered(double, driver, "ayuda")

            assert get(f"{process.url}/healthz") == (200, '{"status": "ok"}')
            # A command is counted once its answer is posted: the last one may still be on its way.
            answers_counted = 'alinea_commands_total{outcome="ok",subcommand="help"} 3.0'
            wait_for(lambda: answers_counted in get(f"{process.url}/metrics")[1])
            status, metrics = get(f"{process.url}/metrics")
            assert status == 200 and 'alinea_ack_seconds_count{kind="slash-command"} 3.0' in metrics
            assert answers_counted in metrics
            assert get(f"{process.url}/slack/events")[0] == 404  # Slack's traffic never comes here
        finally:
            exit_code = process.stop()
        assert not double.internal_errors, double.internal_errors
        assert server.unknown_acks == []
    assert exit_code == 0, process.stderr[-3000:]
    assert gap < 1.0, gap
    print(f"\nSocket Mode: back {gap * 1000:.0f} ms after every socket was cut")
    lines = [json.loads(line) for line in process.stderr.splitlines() if line.strip()]  # every line is JSON
    for envelope_id in (first, during_drop, after_refresh):  # one request id from the ack to the answer
        mine = [line["message"] for line in lines if line.get("request_id") == envelope_id]
        assert any(message.startswith("slack slash-command acked") for message in mine), mine
        assert "/alinea help answered: ok" in mine, mine
    assert BOT_TOKEN not in process.stderr and double.app_token not in process.stderr


def test_healthz_says_503_when_the_database_is_down_or_no_socket_was_open_for_a_minute(tmp_path, database_url):
    now = [1000.0]
    with SlackDouble() as double, LoopbackBot(Settings(database_url=database_url), double=double, transport="socket") as bot:
        link = SocketModeLink(bot.app, double.app_token, clock=lambda: now[0]).connect()
        engine, down = make_engine(database_url), make_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
        up = HttpServer(build_health_app(lambda: socket_mode_problem(link, lambda: ping(engine))), port=0).start()
        broken = HttpServer(build_health_app(lambda: socket_mode_problem(link, lambda: ping(down))), port=0).start()
        try:
            assert get(f"{up.url}/healthz") == (200, '{"status": "ok"}')
            assert get(f"{broken.url}/healthz") == (503, '{"status": "database unavailable"}')
            double.socket_mode.refuse_connections(times=10_000)  # Slack unreachable from now on
            while double.socket_mode.drop_connection() is not None:
                pass
            wait_for(lambda: link.connected == 0)
            now[0] += 59
            assert get(f"{up.url}/healthz")[0] == 200  # a short outage is not a failure
            now[0] += 2
            assert get(f"{up.url}/healthz") == (503, '{"status": "socket disconnected"}')
        finally:
            link.close()
            up.stop()
            broken.stop()
            engine.dispose()
            down.dispose()


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
