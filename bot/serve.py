"""`alinea serve`: the program built by bot/bootstrap.py, serving Slack over HTTP or Socket Mode
until it is stopped, with the scheduler running beside it."""

from __future__ import annotations

import gc
import logging

from bot.bootstrap import build_bolt_app, build_scheduler, build_web_app
from bot.config import redact_url
from bot.http import HttpServer, build_health_app
from bot.runtime import Runtime
from db.session import ping

logger = logging.getLogger("alinea")


def note_installed(runtime: Runtime, app) -> None:
    """Single-workspace mode: the bot token works, so its workspace is installed — after a
    reinstall too, which would otherwise stay marked uninstalled until purge-uninstalled deleted
    its data. (OAuth mode marks a workspace installed when its installation arrives.)"""
    if runtime.tokens is not None:
        return
    from db import repositories
    from services import workspaces

    try:
        team_id = app.client.auth_test()["team_id"]
        with runtime.session_factory.begin() as session:
            workspace = repositories.workspace_by_slack_id(session, slack_team_id=team_id)
            if workspace is not None:
                workspaces.mark_installed(session, workspace=workspace, now=runtime.clock())
    except Exception:  # noqa: BLE001 - start-up goes on; the next start tries again
        logger.warning("could not check which workspace the bot token belongs to", exc_info=True)


def settle_heap() -> None:
    """Once start-up is done: what it made (modules, the app, settings, catalogs) lives as long as
    the process, so it is moved out of the garbage collector's reach. Otherwise every full
    collection walks it all, and those pauses show as ack-latency spikes: bench/ack_latency.py
    measured an idle p99 of 110–150 ms without this and about 45 ms with it."""
    gc.collect()
    gc.freeze()


def serve_http(runtime: Runtime, *, host: str, port: int) -> int:
    app = build_bolt_app(runtime)
    note_installed(runtime, app)
    server = HttpServer(build_web_app(runtime, app), host=host, port=port)
    scheduler = build_scheduler(runtime)
    scheduler.start()
    logger.info(
        "serving Slack HTTP mode on http://%s:%s/slack/events (database %s)",
        host, server.port, redact_url(runtime.settings.database_url),
    )
    if runtime.tokens is not None:
        logger.info("OAuth mode: workspaces install Alinea from http://%s:%s/slack/install", host, server.port)
    settle_heap()
    try:
        server.serve_forever()
    finally:
        scheduler.shutdown(wait=False)
    return 0


def serve_socket_mode(runtime: Runtime, *, host: str = "127.0.0.1") -> int:
    """Bolt over Socket Mode (bot/socket_mode.py), with /healthz and /metrics on a small local
    port: unhealthy when the database is down or no socket has been open for a minute."""
    from bot.socket_mode import SocketModeLink

    app = build_bolt_app(runtime)
    note_installed(runtime, app)
    link = SocketModeLink(app, runtime.settings.slack_app_token)
    health = HttpServer(
        build_health_app(lambda: socket_mode_problem(link, lambda: ping(runtime.engine)), metrics_token=runtime.settings.metrics_token),
        host=host, port=runtime.settings.health_port, threads=2,
    ).start()
    scheduler = build_scheduler(runtime)
    scheduler.start()
    try:
        logger.info("connecting to Slack in Socket Mode (database %s)", redact_url(runtime.settings.database_url))
        link.connect()
        logger.info("connected in Socket Mode (%d connections); health and metrics on %s/healthz", link.connected, health.url)
        settle_heap()
        link.serve_forever()
    finally:
        link.close()
        health.stop()
        scheduler.shutdown(wait=False)
    return 0


SOCKET_SILENCE_LIMIT_S = 60.0  # longer than this without any open socket: Slack cannot reach us


def socket_mode_problem(link, database_ok) -> str | None:
    """What /healthz reports in Socket Mode, or None when healthy."""
    if not database_ok():
        return "database unavailable"
    if link.seconds_disconnected() > SOCKET_SILENCE_LIMIT_S:
        return "socket disconnected"
    return None
