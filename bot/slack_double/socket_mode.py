"""Slack's side of Socket Mode for the loopback double: a WebSocket server that behaves like Slack's.

What Slack does, and so what this does (see Slack's "Using Socket Mode" and slack_sdk's own
Socket Mode tests):

- `apps.connections.open` (an app-level `xapp-` token) hands out a single-use `ws://` URL;
- on connect the server sends `hello`; an app may hold several connections at once and each
  envelope goes to one of them (spread round-robin here);
- envelopes are `slash_commands`, `events_api` and `interactive`, each with an `envelope_id`,
  `accepts_response_payload`, and for events `retry_attempt` / `retry_reason`;
- the app acks with `{"envelope_id": ..., "payload": {...}?}`; the payload is the body an HTTP
  app would have answered (a command's text, a modal's `response_action`);
- an `events_api` envelope not acked within 3 seconds is sent again (next `retry_attempt`,
  reason `timeout`), up to three retries, on whichever connection is open then; commands and
  interactions are never retried (a person sees an error instead);
- `disconnect` messages: `warning` ahead of a refresh, `refresh_requested` then the socket closes.

Faults on request: drop a connection without a close frame, delay envelopes, refuse the next
connection attempts. The framing is the `websockets` library's (its threaded, synchronous server),
so the double never speaks a hand-written WebSocket.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

ENVELOPE_TYPES = ("slash_commands", "events_api", "interactive")
ACK_SECONDS = 3.0  # Slack's ack deadline
MAX_RETRIES = 3  # Slack retries an event three times, then gives up
_LINK_PATH = "/link/"
_HOST_NAME = "applink-double"
# websockets logs refused handshakes and abrupt closes; the double must stay quiet in tests and the demo.
_QUIET = logging.getLogger("bot.slack_double.socket_mode.websockets")
_QUIET.setLevel(logging.CRITICAL)
_QUIET.propagate = False


@dataclass
class Delivery:
    """One sending of an envelope: which attempt, over which connection, when."""

    retry_attempt: int
    connection_id: int
    sent_at: float


@dataclass
class Envelope:
    """An envelope Slack sent, with every delivery of it and the app's ack (if any)."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    deliveries: list[Delivery] = field(default_factory=list)
    acked_at: float | None = None
    ack_payload: dict[str, Any] | None = None
    ack_count: int = 0  # acks for this envelope received, any delivery (a late ack after a retry counts)
    # The connection cut right after carrying this envelope: an ack that still arrives on it is
    # lost, as on a real socket cut at that moment (set before sending, so a fast ack cannot win).
    lost_on: int | None = None

    @property
    def acked(self) -> bool:
        return self.acked_at is not None

    def message(self, retry_attempt: int, retry_reason: str) -> dict[str, Any]:
        message = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            message |= {"retry_attempt": retry_attempt, "retry_reason": retry_reason}
        return message


class _Link:
    """One open WebSocket connection of the app."""

    def __init__(self, link_id: int, websocket: ServerConnection) -> None:
        self.id = link_id
        self.websocket = websocket
        self.open = True
        self.refreshing = False  # asked to reconnect: Slack routes nothing new to it
        self._send_lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> bool:
        try:
            with self._send_lock:
                self.websocket.send(json.dumps(message))
            return True
        except (ConnectionClosed, OSError):
            self.open = False
            return False

    def drop(self) -> None:
        """Gone without a close frame, as when a load balancer or the network cuts the socket."""
        self.open = False
        try:
            self.websocket.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class SocketModeServer:
    """Slack's Socket Mode for one app, on 127.0.0.1, in daemon threads."""

    def __init__(self, *, app_id: str, host: str = "127.0.0.1", ack_seconds: float = ACK_SECONDS) -> None:
        self.app_id = app_id
        self.ack_seconds = ack_seconds
        self._host = host
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._tickets: set[str] = set()
        self._links: dict[int, _Link] = {}
        self._link_ids = itertools.count(1)
        self._round_robin = itertools.count()
        self._envelopes: dict[str, Envelope] = {}
        self._unknown_acks: list[dict[str, Any]] = []
        self._refusals = 0
        self._drops_after: dict[str, int] = {}  # envelope type -> deliveries still to cut right after sending
        self._envelope_delay = 0.0
        self.connections_opened = 0  # successful handshakes, reconnects included
        self._stopping = threading.Event()
        self._server: Server | None = None
        self._threads: list[threading.Thread] = []

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> SocketModeServer:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = serve(
            self._serve_link, self._host, 0, process_request=self._check_ticket, compression=None, logger=_QUIET,
        )
        serving = threading.Thread(target=self._server.serve_forever, name="slack-double-socket", daemon=True)
        retrying = threading.Thread(target=self._retry_unacked_events, name="slack-double-retries", daemon=True)
        self._threads = [serving, retrying]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        with self._lock:
            links = list(self._links.values())
        for link in links:
            link.drop()
        self._server.shutdown(close_connections=False)
        for thread in self._threads:
            thread.join(timeout=5)
        self._server, self._threads = None, []

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Socket Mode server is not started")
        return self._server.socket.getsockname()[1]

    # --- apps.connections.open -----------------------------------------------------------------------

    def new_url(self) -> str:
        """A single-use WebSocket URL, what `apps.connections.open` returns."""
        ticket = secrets.token_hex(16)
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://{self._host}:{self.port}{_LINK_PATH}?ticket={ticket}&app_id={self.app_id}"

    # --- connections ----------------------------------------------------------------------------------

    @property
    def open_connections(self) -> int:
        with self._lock:
            return sum(1 for link in self._links.values() if link.open)

    @property
    def serving_connections(self) -> int:
        """Open connections not asked to refresh: the ones new envelopes go to."""
        with self._lock:
            return sum(1 for link in self._links.values() if link.open and not link.refreshing)

    def wait_for_connections(self, count: int = 1, timeout: float = 5.0) -> int:
        """Block until at least `count` serving connections are open; returns how many are. A
        connection asked to refresh does not count: the app is leaving it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.serving_connections < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.serving_connections} serving Socket Mode connection(s) after {timeout}s, wanted {count}")
                self._changed.wait(remaining)
            return self.serving_connections

    def drop_connection(self, connection_id: int | None = None) -> int | None:
        """Cut one open connection (default: the oldest serving one, else the oldest) without a
        close frame; its id, or None."""
        link = self._pick_link(connection_id)
        if link is not None:
            link.drop()
            self._forget(link)
        return link.id if link else None

    def request_refresh(self, connection_id: int | None = None, *, warn_first: bool = False) -> int | None:
        """Slack's routine refresh: (`warning` first, if asked) `refresh_requested`, then close."""
        link = self._pick_link(connection_id)
        if link is None:
            return None
        debug_info = {"host": _HOST_NAME, "build_number": 1, "approximate_connection_time": 3600}
        link.refreshing = True
        if warn_first:
            link.send({"type": "disconnect", "reason": "warning", "debug_info": debug_info})
        link.send({"type": "disconnect", "reason": "refresh_requested", "debug_info": debug_info})
        # Slack closes the socket shortly after asking; the app is expected to have a new one by then.
        closer = threading.Timer(0.5, self._close_link, args=(link,))
        closer.daemon = True
        closer.start()
        return link.id

    def drop_after_next(self, envelope_type: str, times: int = 1) -> None:
        """Cut the connection right after it carried the next `times` envelopes of this type: the
        app may have read it, but its ack is lost (an event is then sent again after 3 s)."""
        with self._lock:
            self._drops_after[envelope_type] = self._drops_after.get(envelope_type, 0) + times

    def refuse_connections(self, times: int = 1) -> None:
        """Answer the next `times` connection attempts with HTTP 503 (Slack unavailable)."""
        with self._lock:
            self._refusals += times

    def set_envelope_delay(self, seconds: float) -> None:
        """Wait `seconds` before sending each envelope, as a slow Slack would (0 removes the delay)."""
        with self._lock:
            self._envelope_delay = max(seconds, 0.0)

    # --- envelopes --------------------------------------------------------------------------------------

    def send(self, envelope_type: str, payload: dict[str, Any], *, accepts_response_payload: bool | None = None,
             retry_attempt: int = 0, retry_reason: str = "") -> Envelope:  # fmt: skip
        """Send one envelope over one open connection. Raises NoConnection when none is open
        (Slack would tell the person `dispatch_failed`)."""
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {envelope_type!r}; expected one of {ENVELOPE_TYPES}")
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type != "events_api"
        envelope = Envelope(str(uuid.uuid4()), envelope_type, payload, accepts_response_payload)
        with self._lock:
            self._envelopes[envelope.envelope_id] = envelope
            delay = self._envelope_delay
        if delay:
            self._stopping.wait(delay)
        with self._lock:
            cut = self._drops_after.get(envelope_type, 0) > 0
            if cut:
                self._drops_after[envelope_type] -= 1
        if not self._deliver(envelope, retry_attempt, retry_reason, cut=cut):
            raise NoConnection(f"no open Socket Mode connection for app {self.app_id}")
        if cut:
            self.drop_connection(envelope.deliveries[-1].connection_id)
        return envelope

    def wait_for_ack(self, envelope: Envelope, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not envelope.acked:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    @property
    def envelopes(self) -> list[Envelope]:
        with self._lock:
            return list(self._envelopes.values())

    @property
    def unknown_acks(self) -> list[dict[str, Any]]:
        """Acks for envelope ids never sent (a bug in the app, or in the double)."""
        with self._lock:
            return list(self._unknown_acks)

    # --- internals --------------------------------------------------------------------------------------

    def _check_ticket(self, connection: ServerConnection, request: Any):
        parts = urlsplit(request.path)
        ticket = parse_qs(parts.query).get("ticket", [""])[0]
        with self._lock:
            if self._refusals:
                self._refusals -= 1
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "service unavailable\n")
            if parts.path != _LINK_PATH or ticket not in self._tickets:
                return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")
            self._tickets.discard(ticket)
        return None

    def _serve_link(self, websocket: ServerConnection) -> None:
        with self._lock:
            link = _Link(next(self._link_ids), websocket)
            self._links[link.id] = link
            self.connections_opened += 1
            count = len(self._links)
        link.send({
            "type": "hello",
            "num_connections": count,
            "debug_info": {"host": _HOST_NAME, "build_number": 1, "approximate_connection_time": 3600},
            "connection_info": {"app_id": self.app_id},
        })
        with self._changed:
            self._changed.notify_all()
        try:
            for raw in websocket:
                self._receive(raw, link.id)
        except (ConnectionClosed, OSError):
            pass
        finally:
            self._forget(link)

    def _receive(self, raw: str | bytes, connection_id: int) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict) or "envelope_id" not in message:
            return
        with self._changed:
            envelope = self._envelopes.get(message["envelope_id"])
            if envelope is None:
                self._unknown_acks.append(message)
                return
            if envelope.lost_on == connection_id:
                return
            envelope.ack_count += 1
            if envelope.acked_at is None:
                envelope.acked_at = time.monotonic()
                envelope.ack_payload = message.get("payload")
            self._changed.notify_all()

    def _deliver(self, envelope: Envelope, retry_attempt: int, retry_reason: str, *, cut: bool = False) -> bool:
        """Send over the next open connection in turn; try the others if that one just died.
        With `cut`, an ack that comes back on that connection is lost (it is about to be cut)."""
        for _ in range(len(self._links) + 1):
            link = self._next_link()
            if link is None:
                return False
            if cut:
                envelope.lost_on = link.id
            sent_at = time.monotonic()
            if link.send(envelope.message(retry_attempt, retry_reason)):
                with self._lock:
                    envelope.deliveries.append(Delivery(retry_attempt, link.id, sent_at))
                return True
            self._forget(link)
        return False

    def _next_link(self) -> _Link | None:
        with self._lock:
            links = [link for link in sorted(self._links.values(), key=lambda l: l.id) if link.open]
            # A connection being refreshed gets envelopes only while it is the app's last one.
            links = [link for link in links if not link.refreshing] or links
            return links[next(self._round_robin) % len(links)] if links else None

    def _pick_link(self, connection_id: int | None) -> _Link | None:
        with self._lock:
            links = [link for link in sorted(self._links.values(), key=lambda l: l.id) if link.open]
        if connection_id is not None:
            links = [link for link in links if link.id == connection_id]
        # One the app still uses first: a fault on a connection it is leaving would test nothing.
        return next((link for link in links if not link.refreshing), links[0] if links else None)

    def _close_link(self, link: _Link) -> None:
        self._forget(link)
        try:
            link.websocket.close()
        except (ConnectionClosed, OSError):
            pass

    def _forget(self, link: _Link) -> None:
        with self._changed:
            link.open = False
            self._links.pop(link.id, None)
            self._changed.notify_all()

    def _retry_unacked_events(self) -> None:
        """Slack's redelivery: an events envelope unacked after the deadline goes again."""
        while not self._stopping.wait(0.05):
            now = time.monotonic()
            with self._lock:
                due = [
                    envelope for envelope in self._envelopes.values()
                    if envelope.type == "events_api" and not envelope.acked and envelope.deliveries
                    and envelope.deliveries[-1].retry_attempt < MAX_RETRIES
                    and now - envelope.deliveries[-1].sent_at >= self.ack_seconds
                ]  # fmt: skip
            for envelope in due:
                self._deliver(envelope, envelope.deliveries[-1].retry_attempt + 1, "timeout")


class NoConnection(ConnectionError):
    """The app has no open Socket Mode connection to send an envelope to."""
