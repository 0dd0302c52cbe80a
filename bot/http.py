"""The HTTP surface: `POST /slack/events` (Bolt), `GET /healthz`, `GET /metrics` (Prometheus,
bot/metrics.py) and the ingest API under `/api/v1/` (bot/ingest_api.py), served by waitress. In
OAuth mode Bolt's handler also answers `GET /slack/install` and `GET /slack/oauth_redirect`
(bot/oauth.py); in single-workspace mode those are 404.

Every request runs in a context of its own with a request id (bot/logs.py), answered in the
`X-Request-Id` header; a Slack request's ack is timed and logged here, where it is answered.

waitress is a production WSGI server in pure Python: multi-threaded, no C build, runs the
same on Linux, macOS and Windows, and embeds in-process, so one `alinea serve` holds the
Bolt app, the scheduler and the work queue together (a pre-fork server would start one
scheduler per worker).
"""

from __future__ import annotations

import contextvars
import hmac
import json
import logging
import threading
import time
from typing import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

from bot import metrics
from bot.logs import REQUEST_ID, REQUEST_KIND, new_request_id

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
API_PREFIX = "/api/v1/"  # the ingest API (bot/ingest_api.py)


def build_wsgi_app(
    bolt_app: App, health_check: Callable[[], bool], *, api: Callable | None = None, metrics_token: str | None = None,
) -> Callable:
    """`api`, when given, answers every path under `/api/v1/` (bot/ingest_api.py);
    `metrics_token`, when given, is the bearer token `GET /metrics` requires."""
    slack_handler = SlackRequestHandler(bolt_app, path=EVENTS_PATH)

    def route(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if api is not None and path.startswith(API_PREFIX):
            return api(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return answer_health(start_response, None if health_check() else "database unavailable")
        if path == METRICS_PATH and method in ("GET", "HEAD"):
            return serve_metrics(environ, start_response, metrics_token)
        if path == EVENTS_PATH:
            return timed_ack(slack_handler, environ, start_response)
        return slack_handler(environ, start_response)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        # A context of its own per request: waitress reuses threads, and what one request sets
        # (request id, workspace) must not show up on the next request's log lines.
        return contextvars.Context().run(with_request_id, route, environ, start_response)

    return application


def build_health_app(problem: Callable[[], str | None], *, metrics_token: str | None = None) -> Callable:
    """Socket Mode's small HTTP surface: `GET /healthz` (503 saying what is wrong when `problem()`
    names something) and `GET /metrics`; nothing else."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return answer_health(start_response, problem())
        if path == METRICS_PATH and method in ("GET", "HEAD"):
            return serve_metrics(environ, start_response, metrics_token)
        body = b"not found\n"
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    return application


def answer_health(start_response: Callable, problem: str | None) -> Iterable[bytes]:
    status = "200 OK" if problem is None else "503 Service Unavailable"
    body = json.dumps({"status": problem or "ok"}).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def with_request_id(route: Callable, environ: dict, start_response: Callable) -> Iterable[bytes]:
    request_id = new_request_id(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"), environ.get("HTTP_X_REQUEST_ID"))
    REQUEST_ID.set(request_id)

    def start_with_id(status: str, headers: list, exc_info=None):  # noqa: ANN001 (WSGI's signature)
        return start_response(status, [*headers, ("X-Request-Id", request_id)], exc_info)

    return route(environ, start_with_id)


def timed_ack(slack_handler: Callable, environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Bolt answers once the listener acked (the work goes on after): the ack latency, by kind."""
    started = time.perf_counter()
    answered: list[str] = []

    def start(status: str, headers: list, exc_info=None):  # noqa: ANN001
        answered.append(status)
        return start_response(status, headers, exc_info)

    body = slack_handler(environ, start)
    elapsed = time.perf_counter() - started
    status, kind = (answered[0] if answered else "?"), REQUEST_KIND.get()
    if kind is not None and status.startswith("200"):
        metrics.ack(kind, elapsed)
        logger.info("slack %s acked in %.1f ms", kind, elapsed * 1000)
    else:  # refused (bad signature, stale), nothing listening, or Slack's url_verification
        logger.info("slack request answered %s in %.1f ms", status, elapsed * 1000)
    return body


def serve_metrics(environ: dict, start_response: Callable, token: str | None) -> Iterable[bytes]:
    """Prometheus's text format; with a token configured, only for `Authorization: Bearer <token>`."""
    if token is not None:
        scheme, _, given = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            body = b"unauthorized\n"
            start_response("401 Unauthorized", [
                ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                ("WWW-Authenticate", 'Bearer realm="metrics"'),
            ])
            return [body]
    body = metrics.exposition()
    start_response("200 OK", [("Content-Type", metrics.CONTENT_TYPE), ("Content-Length", str(len(body)))])
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


class HttpServer:
    """waitress in a thread of its own (tests, the demo) or in the foreground (`alinea serve`)."""

    def __init__(self, wsgi_app: Callable, *, host: str = "127.0.0.1", port: int = 3000, threads: int = 16):
        self._server = create_server(wsgi_app, host=host, port=port, threads=threads, ident="alinea")
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return self._server.effective_port

    @property
    def url(self) -> str:
        return f"http://{self._server.effective_host}:{self.port}"

    def serve_forever(self) -> None:
        """waitress's own loop, one poll at a time, until stop() (or SIGTERM in the foreground).

        Everything is closed here, in the loop's thread, so no socket is ever closed under a
        select() in progress. A poll waits at most asyncore_loop_timeout (1 s), so stop() needs
        nothing else to wake the loop; it pulls waitress's trigger only to be quicker.
        """
        server = self._server
        try:
            while server._map and not self._stopping.is_set():
                wasyncore.loop(timeout=server.adj.asyncore_loop_timeout, map=server._map, count=1)
        finally:
            self._close_everything()
            server.task_dispatcher.shutdown()

    def start(self) -> "HttpServer":
        self._thread = threading.Thread(target=self.serve_forever, name="alinea-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is None or not self._thread.is_alive():
            self._close_everything()
            self._server.task_dispatcher.shutdown()
            return
        try:
            self._server.trigger.pull_trigger()
        except OSError:  # the wake-up pipe is gone; the loop still ends within its poll timeout
            pass
        self._thread.join(timeout=10)

    def _close_everything(self) -> None:
        for dispatcher in list(self._server._map.values()):
            dispatcher.close()
