"""The one place that builds the running program from settings: engine, runtime, app, server."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

from slack_bolt.error import BoltError

from bot.app import create_app
from bot.config import ConfigError, Settings, redact_url
from bot.http import HttpServer, build_wsgi_app
from bot.alerts import poster_on_queue
from bot.ingest_api import IngestApi
from bot.runtime import Runtime
from bot.scheduler import build_scheduler
from bot.workqueue import WorkQueue
from db.session import make_engine, make_session_factory, ping

logger = logging.getLogger("alinea")


@contextmanager
def open_runtime(settings: Settings) -> Iterator[Runtime]:
    engine = make_engine(settings.database_url)
    work = WorkQueue(workers=settings.work_threads, limit=settings.work_queue_limit)
    try:
        yield Runtime(settings=settings, session_factory=make_session_factory(engine), work=work)
    finally:
        work.shutdown(wait=True)
        engine.dispose()


def build_bolt_app(runtime: Runtime):
    try:
        return create_app(runtime)
    except BoltError as error:  # auth.test refused the token, or Slack is unreachable
        raise ConfigError("SLACK_BOT_TOKEN", f"a token Slack accepts ({error})") from None


def serve_http(runtime: Runtime, *, host: str, port: int) -> int:
    app = build_bolt_app(runtime)
    engine = runtime.session_factory.kw["bind"]
    api = IngestApi(runtime.session_factory, clock=runtime.clock, post_alerts=poster_on_queue(runtime, app.client))
    server = HttpServer(build_wsgi_app(app, lambda: ping(engine), api=api), host=host, port=port)
    scheduler = build_scheduler(runtime)
    scheduler.start()
    logger.info(
        "serving Slack HTTP mode on http://%s:%s/slack/events (database %s)",
        host, server.port, redact_url(runtime.settings.database_url),
    )
    try:
        server.serve_forever()
    finally:
        scheduler.shutdown(wait=False)
    return 0


def serve_socket_mode(runtime: Runtime) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    app = build_bolt_app(runtime)
    scheduler = build_scheduler(runtime)
    scheduler.start()
    logger.info("connecting to Slack in Socket Mode (database %s)", redact_url(runtime.settings.database_url))
    try:
        SocketModeHandler(app, runtime.settings.slack_app_token).start()
    finally:
        scheduler.shutdown(wait=False)
    return 0
