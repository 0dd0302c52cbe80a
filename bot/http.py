"""The HTTP surface: `POST /slack/events` (Bolt), `GET /healthz` and the ingest API under
`/api/v1/` (bot/ingest_api.py), served by waitress.

waitress is a production WSGI server in pure Python: multi-threaded, no C build, runs the
same on Linux, macOS and Windows, and embeds in-process, so one `alinea serve` holds the
Bolt app, the scheduler and the work queue together (a pre-fork server would start one
scheduler per worker).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Callable, Iterable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
API_PREFIX = "/api/v1/"  # the ingest API (bot/ingest_api.py)


def build_wsgi_app(bolt_app: App, health_check: Callable[[], bool], *, api: Callable | None = None) -> Callable:
    """`api`, when given, answers every path under `/api/v1/` (bot/ingest_api.py)."""
    slack_handler = SlackRequestHandler(bolt_app, path=EVENTS_PATH)

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if api is not None and path.startswith(API_PREFIX):
            return api(environ, start_response)
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            healthy = health_check()
            status = "200 OK" if healthy else "503 Service Unavailable"
            body = json.dumps({"status": "ok" if healthy else "database unavailable"}).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return slack_handler(environ, start_response)

    return application


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
