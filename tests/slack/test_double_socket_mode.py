"""The double's Socket Mode, driven by slack_sdk's built-in Socket Mode client (Bolt's default; in
the variant bot/socket_mode.py uses, which closes faster and moves once per refresh) and by the
`websockets` client for what slack_sdk never does (reusing a ticket)."""

from __future__ import annotations

import json
import threading
import time
from typing import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from bot.slack_double import SlackDouble, SocketModeDriver
from bot.socket_mode import _PromptClient as SocketModeClient


class App:
    """A Socket Mode app made of slack_sdk's client: records what it saw, acks as told."""

    def __init__(self, double: SlackDouble, *, ack: bool = True, ack_payload: dict | None = None) -> None:
        self.requests: list[SocketModeRequest] = []
        self.raw: list[dict] = []
        self.ack, self.ack_payload = ack, ack_payload
        self.client = SocketModeClient(
            app_token=double.app_token, web_client=WebClient(base_url=double.base_url), ping_interval=0.25,
            on_message_listeners=[lambda raw: self.raw.append(json.loads(raw))],
        )
        self.client.socket_mode_request_listeners.append(self._on_request)

    def _on_request(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        self.requests.append(request)
        if self.ack:
            client.send_socket_mode_response(SocketModeResponse(request.envelope_id, payload=self.ack_payload))

    def messages_of_type(self, kind: str) -> list[dict]:
        return [message for message in self.raw if message.get("type") == kind]


@pytest.fixture
def double() -> Iterator[SlackDouble]:
    with SlackDouble() as double:
        yield double
        assert not double.internal_errors, double.internal_errors


@pytest.fixture
def apps() -> Iterator[list[App]]:
    made: list[App] = []
    yield made
    for app in made:
        app.client.close()


def connected_app(double: SlackDouble, apps: list[App], **options) -> App:
    app = App(double, **options)
    apps.append(app)
    app.client.connect()
    double.socket_mode.wait_for_connections(len(apps))
    return app


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_connections_open_takes_only_the_app_level_token(double):
    url = WebClient(base_url=double.base_url).apps_connections_open(app_token=double.app_token)["url"]
    assert url.startswith(f"ws://127.0.0.1:{double.socket_mode.port}/link/?ticket=")

    for token, error in (("xoxb-loopback", "not_allowed_token_type"), ("xapp-1-A0DOUBLE-1-wrong", "invalid_auth"),
                         ("nonsense", "invalid_auth")):  # fmt: skip
        with pytest.raises(SlackApiError) as refused:
            WebClient(base_url=double.base_url).apps_connections_open(app_token=token)
        assert refused.value.response["error"] == error
    # …and the app-level token does nothing else.
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=double.app_token, base_url=double.base_url).chat_postMessage(channel="C1", text="hi")
    assert refused.value.response["error"] == "not_allowed_token_type"


def test_a_ticket_opens_one_connection_only(double):
    url = WebClient(base_url=double.base_url).apps_connections_open(app_token=double.app_token)["url"]
    with connect(url) as websocket:
        hello = json.loads(websocket.recv(timeout=5))
        assert hello["type"] == "hello" and hello["connection_info"] == {"app_id": double.app_id}
        assert hello["num_connections"] == 1
        with pytest.raises(InvalidStatus) as refused:
            connect(url)
        assert refused.value.response.status_code == 401


def test_each_kind_of_envelope_reaches_the_app_and_its_ack_payload_comes_back(double, apps):
    errors = {"response_action": "errors", "errors": {"value": "Type a number"}}
    app = connected_app(double, apps, ack_payload=errors)
    server = double.socket_mode

    for kind, payload in (("slash_commands", {"command": "/alinea", "text": "help"}),
                          ("interactive", {"type": "view_submission"}),
                          ("events_api", {"type": "event_callback", "event_id": "Ev1"})):  # fmt: skip
        envelope = server.send(kind, payload)
        assert server.wait_for_ack(envelope, timeout=5)
        assert envelope.ack_payload == errors and envelope.ack_count == 1

    seen = {request.type: request for request in app.requests}
    assert seen["slash_commands"].payload == {"command": "/alinea", "text": "help"}
    assert seen["slash_commands"].accepts_response_payload is True
    assert seen["events_api"].accepts_response_payload is False
    assert seen["events_api"].retry_attempt == 0 and seen["events_api"].retry_reason == ""
    assert app.messages_of_type("hello")


def test_an_unacked_event_is_sent_again_after_three_seconds_and_a_command_is_not(double, apps):
    app = connected_app(double, apps, ack=False)
    server = double.socket_mode
    event = server.send("events_api", {"type": "event_callback", "event_id": "Ev2"})
    command = server.send("slash_commands", {"command": "/alinea", "text": "help"})

    wait_until(lambda: len(event.deliveries) == 2, timeout=5)
    first, second = event.deliveries
    assert 3.0 <= second.sent_at - first.sent_at < 3.5
    wait_until(lambda: len([r for r in app.requests if r.envelope_id == event.envelope_id]) == 2)
    retried = [r for r in app.requests if r.envelope_id == event.envelope_id]
    assert [(r.retry_attempt, r.retry_reason) for r in retried] == [(0, ""), (1, "timeout")]
    assert len(command.deliveries) == 1


def test_envelopes_are_spread_across_the_apps_connections(double, apps):
    first, second = connected_app(double, apps), connected_app(double, apps)
    wait_until(lambda: first.messages_of_type("hello") and second.messages_of_type("hello"))
    hellos = first.messages_of_type("hello") + second.messages_of_type("hello")
    assert sorted(h["num_connections"] for h in hellos) == [1, 2]
    envelopes = [double.socket_mode.send("events_api", {"event_id": f"Ev{i}"}) for i in range(6)]
    for envelope in envelopes:
        assert double.socket_mode.wait_for_ack(envelope, timeout=5)
    assert len(first.requests) == 3 and len(second.requests) == 3


def test_a_refresh_is_announced_and_the_client_moves_once_to_a_new_connection(double, apps):
    app = connected_app(double, apps)
    server = double.socket_mode
    assert server.request_refresh(warn_first=True) is not None
    wait_until(lambda: len(app.messages_of_type("disconnect")) == 2)
    reasons = [message["reason"] for message in app.messages_of_type("disconnect")]
    assert reasons == ["warning", "refresh_requested"]
    # The double routes nothing to a connection it asked to refresh, so the next envelopes go to
    # the new one. Both messages announce one refresh: the client moves once (slack_sdk's own
    # moved at each, and the second move dropped the new connection with what it carried).
    server.wait_for_connections(1)
    for text in ("after the refresh", "and again"):
        envelope = server.send("slash_commands", {"text": text})
        assert server.wait_for_ack(envelope, timeout=5)
    assert server.connections_opened == 2


def test_a_dropped_socket_is_replaced_within_a_second_and_a_refused_attempt_is_tried_again(double, apps):
    connected_app(double, apps)
    server = double.socket_mode
    dropped_at = time.monotonic()
    server.drop_connection()
    assert server.open_connections == 0
    server.wait_for_connections(1, timeout=1.0)
    assert time.monotonic() - dropped_at < 1.0

    server.refuse_connections(times=1)
    server.drop_connection()
    server.wait_for_connections(1, timeout=5.0)
    assert server.connections_opened == 3  # the refused attempt opened nothing


def test_with_no_connection_the_driver_gets_dispatch_failed_as_slack_would_say(double):
    result = SocketModeDriver(double).slash_command("help")
    assert (result.status, result.body) == (0, "dispatch_failed")


def test_a_delay_holds_each_envelope_back(double, apps):
    connected_app(double, apps)
    double.socket_mode.set_envelope_delay(0.3)
    started = time.monotonic()
    envelope = double.socket_mode.send("interactive", {"type": "block_actions"})
    assert double.socket_mode.wait_for_ack(envelope, timeout=5)
    assert time.monotonic() - started >= 0.3
    sent = threading.Event()
    double.socket_mode.set_envelope_delay(0)
    threading.Thread(target=lambda: (double.socket_mode.send("interactive", {}), sent.set())).start()
    assert sent.wait(0.2)
