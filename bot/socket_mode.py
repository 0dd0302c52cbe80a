"""Alinea's Socket Mode link to Slack: Bolt's own adapter on slack_sdk's built-in client, held
as two connections with a short ping interval, observed like the HTTP endpoint.

Why the built-in client: it is Bolt's default, it needs no extra package, and it is the one the
Bolt and slack_sdk maintainers test first. Its weakness is the gap after a dropped socket: a
socket cut without a close frame is noticed only by its monitor, after five failed pings or
four intervals without a pong, at `ping_interval` (Bolt's default 10 s): 59 s measured on the
double. Commands sent in that gap fail for the person (`dispatch_failed`). Two remedies, both
used:

- a 0.25 s ping interval, and a dead socket given up at its first failed ping (see
  _PromptClient), so it is replaced within about half a second (a socket closed cleanly, or a
  `disconnect` message, is replaced at once anyway);
- two connections held open: Slack spreads envelopes across an app's connections, so while
  one reconnects the other still hears everything.

Every envelope runs in a context of its own with a request id (the envelope id) for the logs,
and the time from envelope received to ack sent is the ack latency (`alinea_ack_seconds`),
as `bot/http.py` measures it for HTTP.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from slack_bolt import App
from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot import metrics
from bot.logs import REQUEST_ID, REQUEST_KIND, new_request_id

logger = logging.getLogger(__name__)

CONNECTIONS = 2
PING_INTERVAL_SECONDS = 0.25
_WATCH_SECONDS = 0.25  # how often the liveness watch looks at the connections


class _Heard:
    """What Slack said on one connection that matters later: whether it asked the app to move off it."""

    def __init__(self) -> None:
        self.asked_to_move = False


class _PromptClient(SocketModeClient):
    """slack_sdk's built-in client with three changes:

    - a connection is replaced once per refresh, not once per `disconnect` message. Slack
      announces a refresh with two messages on the same socket (`warning`, then
      `refresh_requested`; Slack's Node SDK handles the two as one event since
      slackapi/node-slack-sdk#1762), and slack_sdk's client moves at each one, whichever socket
      it came on: the second message, read off the socket already replaced, made it drop the
      brand-new connection too, and an envelope Slack had just routed there was lost (a slash
      command is never sent again: the person sees an error). Here a `disconnect` moves the client
      only while the connection it came on is still the current one.
    - a session being replaced or closed has its socket shut down first. The client's receive
      loop holds the socket's lock while it waits up to 3 s in recv(), and closing a session
      takes that lock: without this, replacing a connection (Slack's refresh) stalled this
      client's message processing for up to 3 s, and stopping took as long. The envelopes lost
      are the same ones: the client closes the old session right after opening the new one.
    - a socket the peer cut is given up at the first failed send of the monitor's ping. The
      client's receive loop does not notice an end of stream; its monitor waits for four ping
      intervals without a pong (or five failed pings), which is the deaf gap.
    """

    _shut_on_purpose = 0  # receive errors still to come from sockets shut here
    _heard_on_current: _Heard | None = None  # what the current connection was told

    def connect(self) -> None:
        self._shut_current_socket()
        heard = _Heard()
        # slack_sdk gives the new connection `self._on_message` as its listener: this one also
        # notes which connection a message came on.
        self._on_message = functools.partial(self._on_message_from, heard)  # type: ignore[method-assign]
        super().connect()
        self._heard_on_current = heard

    def connect_to_new_endpoint(self, force: bool = False) -> None:
        """slack_sdk's, with `force` (what it passes for every `disconnect` message) meaning "if
        the current connection was asked to move": decided under the lock, after any move
        already under way."""
        with self.connect_operation_lock:
            heard = self._heard_on_current
            if self.closed:
                return
            if self.is_connected() and not (force and heard is not None and heard.asked_to_move):
                if force:
                    self.logger.debug("socket mode disconnect message from a connection already replaced; staying")
                return
            self.logger.info("Connecting to a new endpoint...")
            self.wss_uri = self.issue_new_wss_url()
            self.connect()
            self.logger.info("Connected to a new endpoint...")

    def _on_message_from(self, heard: _Heard, message: str) -> None:
        if '"disconnect"' in message and _is_disconnect(message):
            heard.asked_to_move = True
        SocketModeClient._on_message(self, message)

    def close(self) -> None:
        self.closed, self.auto_reconnect_enabled = True, False
        self._shut_current_socket()
        self.message_queue.put(None)  # wakes the message processor now, not at its next 1 s poll
        super().close()

    def _monitor_current_session(self) -> None:
        session = self.current_session
        if session is not None and session.is_active() and not self.closed:
            try:
                session.ping(f"{session.session_id}:{time.time()}")
            except OSError:  # broken pipe, reset: the peer is gone
                self.logger.info("socket mode connection lost; reconnecting (session id: %s)", session.session_id)
                session.disconnect()
        super()._monitor_current_session()

    def _on_error(self, error: Exception) -> None:
        if self._shut_on_purpose or self.closed:  # a socket shut down on purpose, not a failure
            self._shut_on_purpose = max(self._shut_on_purpose - 1, 0)
            self.logger.debug("socket mode session closed to be replaced (%s)", error)
            return
        super()._on_error(error)

    def _shut_current_socket(self) -> None:
        sock = getattr(self.current_session, "sock", None)
        if sock is None:
            return
        self._shut_on_purpose += 1
        self.current_session_state.terminated = True
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _is_disconnect(raw: str) -> bool:
    try:
        message = json.loads(raw)
    except ValueError:
        return False
    return isinstance(message, dict) and message.get("type") == "disconnect"


class _ObservedHandler(SocketModeHandler):
    """Bolt's handler (on the client above), with the request id, the ack timing and its log line added."""

    def __init__(self, app: App, app_token: str, *, ping_interval: float) -> None:  # noqa: super-init-not-called
        # Bolt's __init__ would start a client of its own (threads and all): same fields, our client.
        self.app, self.app_token = app, app_token
        self.client = _PromptClient(app_token=app_token, logger=app.logger, web_client=app.client,
                                    proxy=app.client.proxy, ping_interval=ping_interval)  # fmt: skip
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]
        self._received: dict[str, float] = {}
        self._received_lock = threading.Lock()
        self.client.on_message_listeners.append(self._note_arrival)

    def _note_arrival(self, raw: str) -> None:
        """The moment an envelope came off the socket, before it waits for a worker thread."""
        if '"envelope_id"' not in raw:
            return
        try:
            envelope_id = json.loads(raw).get("envelope_id")
        except ValueError:
            return
        if envelope_id:
            with self._received_lock:
                self._received[envelope_id] = time.perf_counter()

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        # A context of its own per envelope: worker threads are reused, and what one envelope
        # sets (request id, workspace, kind) must not show up on the next one's log lines.
        contextvars.Context().run(self._handle, client, req)

    def _handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        with self._received_lock:
            started = self._received.pop(req.envelope_id, None) or time.perf_counter()
        REQUEST_ID.set(new_request_id(incoming=req.envelope_id))
        response = run_bolt_app(self.app, req)
        send_response(client, req, response, started)
        elapsed = time.perf_counter() - started
        kind = REQUEST_KIND.get()
        if kind is not None and response.status == 200:
            metrics.ack(kind, elapsed)
            logger.info("slack %s acked in %.1f ms (socket mode, %s)", kind, elapsed * 1000, req.type)
        else:  # nothing listening for it, or refused: Slack gets no ack
            logger.info("slack %s envelope not acked: status %s in %.1f ms", req.type, response.status, elapsed * 1000)


class SocketModeLink:
    """`connections` Bolt Socket Mode handlers for one app, and how long Slack has not heard us."""

    def __init__(self, app: App, app_token: str, *, connections: int = CONNECTIONS,
                 ping_interval: float = PING_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._handlers = [_ObservedHandler(app, app_token, ping_interval=ping_interval) for _ in range(connections)]
        self._clock = clock
        self._last_connected = clock()
        self._closing = threading.Event()
        self._watch = threading.Thread(target=self._watch_connections, name="alinea-socket-watch", daemon=True)

    def connect(self) -> SocketModeLink:
        # Side by side: each handshake waits on the network, not on the other.
        with ThreadPoolExecutor(max_workers=len(self._handlers)) as pool:
            for connected in [pool.submit(handler.connect) for handler in self._handlers]:
                connected.result()
        self._last_connected = self._clock()
        self._watch.start()
        return self

    def serve_forever(self) -> None:
        """Connected until the process is told to stop (SIGTERM raises SystemExit here)."""
        try:
            while not self._closing.wait(3600):
                pass
        finally:
            self.close()

    def close(self) -> None:
        self._closing.set()
        for handler in self._handlers:
            handler.close()

    @property
    def connected(self) -> int:
        """How many of our connections are open now."""
        return sum(1 for handler in self._handlers if handler.client.is_connected())

    def seconds_disconnected(self) -> float:
        """0 while any connection is open; else how long since the last one was."""
        if self.connected:
            self._last_connected = self._clock()
            return 0.0
        return self._clock() - self._last_connected

    def _watch_connections(self) -> None:
        # Looked at often, so "disconnected since" is known even when nobody asks /healthz.
        while not self._closing.wait(_WATCH_SECONDS):
            self.seconds_disconnected()
