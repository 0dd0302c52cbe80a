"""The one composition root: settings in, the running program's parts out.

Everything that starts Alinea starts here: `alinea serve` (bot/serve.py), `alinea jobs`, the
CLI's other commands, `alinea demo` and the tests' loopback bot (bot/loopback.py), the
benchmarks and the tests' fixtures. Nothing else builds an engine, a runtime, the Bolt app or
the HTTP surface, so what a test runs is what production runs.

    with open_runtime(settings) as runtime:       # engine, sessions, work queue, tokens,
        app = build_bolt_app(runtime)             # narrators, Slack clients
        wsgi = build_web_app(runtime, app)        # /slack/events, /healthz, /metrics, /api/v1
        scheduler = build_scheduler(runtime)      # every recurring job (bot/scheduler.py)
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

from slack_bolt import App
from slack_bolt.error import BoltError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts import poster_on_queue
from bot.app import create_app
from bot.config import ConfigError, Settings
from bot.feedback_themes import feedback_refiner
from bot.http import build_wsgi_app
from bot.ingest_api import IngestApi
from bot.narrators import ModelServer, Narrators
from bot.runtime import Runtime, utc_now
from bot.scheduler import build_scheduler
from bot.slack_clients import SlackClients
from bot.workqueue import WorkQueue
from db.session import make_engine, make_session_factory, ping

__all__ = ["Database", "build_bolt_app", "build_scheduler", "build_web_app", "open_database", "open_runtime"]


@dataclass(frozen=True)
class Database:
    engine: Engine
    session_factory: sessionmaker[Session]


@contextmanager
def open_database(url: str) -> Iterator[Database]:
    engine = make_engine(url)
    try:
        yield Database(engine, make_session_factory(engine))
    finally:
        engine.dispose()


@contextmanager
def open_runtime(settings: Settings, *, clock: Callable[[], datetime] | None = None, database: Database | None = None) -> Iterator[Runtime]:
    """The runtime on `settings.database_url` (or on `database`, which the caller keeps open)."""
    with _database(settings, database) as db:
        clock = clock or utc_now
        tokens = workspace_tokens(settings, db.engine, clock=clock)
        work = WorkQueue(workers=settings.work_threads, limit=settings.work_queue_limit)
        narrators = Narrators(ModelServer.from_settings(settings), db.session_factory, clock=clock)
        slack = SlackClients(settings, db.session_factory, tokens)
        try:
            yield Runtime(settings=settings, session_factory=db.session_factory, work=work, narrators=narrators, slack=slack,
                          clock=clock, tokens=tokens)  # fmt: skip
        finally:
            work.shutdown(wait=True)
            narrators.close()


@contextmanager
def _database(settings: Settings, database: Database | None) -> Iterator[Database]:
    if database is not None:
        yield database
        return
    with open_database(settings.database_url) as opened:
        yield opened


def workspace_tokens(settings: Settings, engine: Engine, *, clock: Callable[[], datetime]):
    """OAuth mode's installations and tokens (bot/oauth.py); None in single-workspace mode."""
    if not settings.oauth_enabled:
        return None
    from bot.oauth import WorkspaceTokens

    return WorkspaceTokens(settings, engine, clock=clock)


def build_bolt_app(runtime: Runtime) -> App:
    try:
        return create_app(runtime)
    except BoltError as error:  # auth.test refused the token, or Slack is unreachable
        raise ConfigError("SLACK_BOT_TOKEN", f"a token Slack accepts ({error})") from None


def build_web_app(runtime: Runtime, app: App) -> Callable:
    """The WSGI app of HTTP mode: Slack's events, the ingest API, health and metrics."""
    api = IngestApi(runtime.session_factory, clock=runtime.clock, post_alerts=poster_on_queue(runtime),
                    refine_feedback=feedback_refiner(runtime))  # fmt: skip
    return build_wsgi_app(app, lambda: ping(runtime.engine), api=api, metrics_token=runtime.settings.metrics_token)
