"""Slack's side of the conversation with the bot, on either transport, with one interface.

`SlackDriver` sends signed requests to the bot's HTTP endpoint exactly the way Slack does: bodies,
field names and headers follow what Slack sends for slash commands, Events API callbacks and
interactivity payloads; signatures are computed with slack_sdk's SignatureVerifier, so the bot's real
verification code runs. Posts go over a real socket (urllib).

`SocketModeDriver` sends the same payloads as Socket Mode envelopes over the double's WebSocket
server (socket_mode.py) and waits for the app's ack; the ack's payload is what HTTP would have
answered in its body, so a DriverResult reads the same on both transports.

Response URLs in the payloads are fresh ones from the SlackDouble, so a test can wait for the bot's
follow-up posts with `double.wait_for("response_url", ...)`.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.slack_double.server import SlackDouble
from bot.slack_double.socket_mode import NoConnection, SocketModeServer

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"
# Slack still puts the deprecated verification token in every payload; Bolt ignores it.
LEGACY_VERIFICATION_TOKEN = "double-verification-token"
_SOME_TS = "1700000000.000100"


def slack_escape(text: str) -> str:
    """Escape text the way Slack does before sending it to an app (`&` `<` `>` become entities)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_mention(user_id: str, name: str | None = None) -> str:
    """A user mention as Slack writes it in command text: `<@U123|ana>` (or `<@U123>`)."""
    return f"<@{user_id}|{name}>" if name else f"<@{user_id}>"


@dataclass
class DriverResult:
    """The bot's answer to one driven request."""

    status: int
    body: str
    headers: dict[str, str]
    elapsed: float  # seconds between sending and having read the whole answer
    response_url: str | None = None  # the response_url the payload carried, if any
    trigger_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)  # what was sent (decoded)
    envelope_id: str | None = None  # Socket Mode only

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Driver:
    """Plays Slack's side of slash commands, the Events API and interactivity; the transport
    (`_deliver`) is the subclass's."""

    DEFAULT_USER_ID = "U0ANA"
    DEFAULT_USER_NAME = "ana"
    DEFAULT_CHANNEL_ID = "C0TEAM"
    transport = ""

    def __init__(self, double: SlackDouble, team_id: str | None = None, *, timeout: float = 10.0) -> None:
        self.double = double
        self.team_id = team_id or double.team_id
        self.timeout = timeout
        self._event_numbers = itertools.count(1)

    # --- what Slack sends ------------------------------------------------------------------------------

    def slash_command(
        self,
        text: str,
        *,
        user_id: str = DEFAULT_USER_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        command: str = "/alinea",
        user_name: str = DEFAULT_USER_NAME,
        team_id: str | None = None,
        trigger_id: str | None = None,
    ) -> DriverResult:
        """A slash command, form-encoded. `text` goes as given: escape it with slack_escape if needed."""
        fields = {
            "token": LEGACY_VERIFICATION_TOKEN,
            "team_id": team_id or self.team_id,
            "team_domain": self.double.team_domain,
            "channel_id": channel_id,
            "channel_name": self._channel_name(channel_id),
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": self.double.app_id,
            "is_enterprise_install": "false",
            "response_url": self.double.new_response_url(),
            "trigger_id": trigger_id or new_trigger_id(),
        }
        result = self._deliver("slash_commands", fields)
        result.payload, result.response_url, result.trigger_id = fields, fields["response_url"], fields["trigger_id"]
        return result

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        team_id: str | None = None,
    ) -> DriverResult:
        """An Events API `event_callback` wrapping `event` (given an `event_ts` if it has none).

        `retry_num` adds X-Slack-Retry-Num / X-Slack-Retry-Reason, as Slack does when it redelivers.
        """
        team = team_id or self.team_id
        now = int(time.time())
        envelope = {
            "token": LEGACY_VERIFICATION_TOKEN,
            "team_id": team,
            "api_app_id": self.double.app_id,
            "event": {"event_ts": f"{now}.000100", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev0DBL{next(self._event_numbers):06d}",
            "event_time": now,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": self.double.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        result = self._deliver("events_api", envelope, retry_num=retry_num, retry_reason=retry_reason)
        result.payload = envelope
        return result

    def block_action(
        self,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str = "b",
        user_id: str = DEFAULT_USER_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        message: dict[str, Any] | None = None,
        trigger_id: str | None = None,
        team_id: str | None = None,
        action_type: str = "button",
        action_extra: dict[str, Any] | None = None,
    ) -> DriverResult:
        """A click on an interactive element of a message (`block_actions`).

        `message` is the message that held the element (default: a bare bot message); `action_extra`
        adds fields to the action, e.g. `{"selected_option": {...}}` for a select menu.
        """
        team = team_id or self.team_id
        message = message or {"type": "message", "ts": _SOME_TS, "text": "", "user": self.double.bot_user_id}
        action = {
            "type": action_type,
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}",
            **({"value": value} if value is not None else {}),
            **(action_extra or {}),
        }
        payload = {
            "type": "block_actions",
            **self._interaction_base(user_id, team, trigger_id),
            "container": {
                "type": "message",
                "message_ts": message.get("ts"),
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "message": message,
            "state": {"values": {}},
            "response_url": self.double.new_response_url(),
            "actions": [action],
        }
        return self.interaction(payload)

    def home_action(
        self,
        action_id: str,
        *,
        value: str | None,
        block_id: str,
        user_id: str = DEFAULT_USER_ID,
        view: dict[str, Any] | None = None,
        trigger_id: str | None = None,
        team_id: str | None = None,
    ) -> DriverResult:
        """A click on a button of the App Home tab (`block_actions` from a `home` view), shaped as
        Slack sends it: a `view` container, no channel, no message and no response_url."""
        team = team_id or self.team_id
        view = view or {"id": "V0DBLHOME", "type": "home", "blocks": []}
        action = {"type": "button", "action_id": action_id, "block_id": block_id, "action_ts": f"{time.time():.6f}",
                  **({"value": value} if value is not None else {})}  # fmt: skip
        payload = {
            "type": "block_actions",
            **self._interaction_base(user_id, team, trigger_id),
            "container": {"type": "view", "view_id": view.get("id", "V0DBLHOME")},
            "view": {**view, "type": "home", "team_id": team, "state": {"values": {}}, "app_id": self.double.app_id},
            "actions": [action],
        }
        return self.interaction(payload)

    def message_shortcut(
        self,
        callback_id: str,
        *,
        message: dict[str, Any],
        user_id: str = DEFAULT_USER_ID,
        channel_id: str = DEFAULT_CHANNEL_ID,
        team_id: str | None = None,
        trigger_id: str | None = None,
    ) -> DriverResult:
        """A message shortcut chosen on `message` (`message_action`), shaped as Slack sends it:
        the message, its channel, a response_url and a trigger_id for a modal."""
        team = team_id or self.team_id
        payload = {
            "type": "message_action",
            **self._interaction_base(user_id, team, trigger_id),
            "callback_id": callback_id,
            "action_ts": f"{time.time():.6f}",
            "message_ts": message.get("ts"),
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "message": {"type": "message", **message},
            "response_url": self.double.new_response_url(),
        }
        return self.interaction(payload)

    def view_submission(
        self,
        callback_id: str,
        values: dict[str, Any],
        *,
        private_metadata: str = "",
        user_id: str = DEFAULT_USER_ID,
        team_id: str | None = None,
        view_id: str = "V0DBLSUBMIT",
    ) -> DriverResult:
        """A modal submitted: `values` is `view.state.values` ({block_id: {action_id: {...}}})."""
        team = team_id or self.team_id
        payload = {
            "type": "view_submission",
            **self._interaction_base(user_id, team, None),
            "view": {
                "id": view_id,
                "team_id": team,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values},
                "hash": f"{int(time.time())}.double",
                "title": {"type": "plain_text", "text": "Alinea"},
                "blocks": [],
                "root_view_id": view_id,
                "previous_view_id": None,
                "external_id": "",
                "app_id": self.double.app_id,
                "bot_id": self.double.bot_id,
            },
            "response_urls": [],
        }
        return self.interaction(payload)

    def interaction(self, payload: dict[str, Any]) -> DriverResult:
        """Any interactivity payload (over HTTP, as form field `payload=<json>`)."""
        result = self._deliver("interactive", payload)
        result.payload = payload
        result.response_url = payload.get("response_url")
        result.trigger_id = payload.get("trigger_id")
        return result

    def _deliver(self, envelope_type: str, payload: dict[str, Any], *, retry_num: int | None = None,
                 retry_reason: str | None = None) -> DriverResult:  # fmt: skip
        raise NotImplementedError

    def _interaction_base(self, user_id: str, team_id: str, trigger_id: str | None) -> dict[str, Any]:
        user_name = self._user_name(user_id)
        return {
            "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
            "api_app_id": self.double.app_id,
            "token": LEGACY_VERIFICATION_TOKEN,
            "trigger_id": trigger_id or new_trigger_id(),
            "team": {"id": team_id, "domain": self.double.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _channel_name(self, channel_id: str) -> str:
        if channel_id.startswith("D"):
            return "directmessage"
        return self.double.channel_name(channel_id) or channel_id.lower()

    def _user_name(self, user_id: str) -> str:
        known = self.double.user_name(user_id)
        if known:
            return known
        return self.DEFAULT_USER_NAME if user_id == self.DEFAULT_USER_ID else user_id.lower()


class SlackDriver(Driver):
    """Slack's side over HTTP: signed POSTs to the bot's `/slack/events`."""

    transport = "http"

    def __init__(
        self,
        endpoint_url: str,
        signing_secret: str,
        double: SlackDouble,
        team_id: str | None = None,
        *,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(double, team_id, timeout=timeout)
        self.endpoint_url = endpoint_url
        self._verifier = SignatureVerifier(signing_secret)

    def url_verification(self, challenge: str = "double-challenge") -> DriverResult:
        """The handshake Slack does when the Events request URL is configured (HTTP only)."""
        body = {"token": LEGACY_VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self._send(json.dumps(body).encode("utf-8"), JSON_CONTENT_TYPE)

    def _deliver(self, envelope_type: str, payload: dict[str, Any], *, retry_num: int | None = None,
                 retry_reason: str | None = None) -> DriverResult:  # fmt: skip
        """Encoded the way Slack posts each kind: commands form-encoded, events as JSON (retries
        marked by X-Slack-Retry-Num / X-Slack-Retry-Reason), interactions as form field `payload`."""
        if envelope_type == "slash_commands":
            return self._send(urlencode(payload).encode("utf-8"), FORM_CONTENT_TYPE)
        if envelope_type == "events_api":
            headers = {}
            if retry_num is not None:
                headers["X-Slack-Retry-Num"] = str(retry_num)
                headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
            return self._send(json.dumps(payload).encode("utf-8"), JSON_CONTENT_TYPE, extra_headers=headers)
        return self._send(urlencode({"payload": json.dumps(payload)}).encode("utf-8"), FORM_CONTENT_TYPE)

    # --- raw requests, for negative tests -----------------------------------------------------------

    def send_raw(
        self,
        body: bytes | str,
        *,
        content_type: str,
        timestamp: int | str | None = None,
        signature: str | None = None,
        sign: bool = True,
        extra_headers: dict[str, str] | None = None,
    ) -> DriverResult:
        """POST `body` as is. Signed with `timestamp` (default now) unless `signature` is given or
        `sign=False` (then no X-Slack-Signature header at all)."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "User-Agent": "Slackbot 1.0"}
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        elif sign:
            headers["X-Slack-Signature"] = self.signature(raw, stamp)
        headers.update(extra_headers or {})
        return self._post(raw, headers)

    def signature(self, body: bytes, timestamp: str) -> str:
        """`v0=<hex>` for `body` at `timestamp`, computed by slack_sdk like the bot will verify it."""
        generated = self._verifier.generate_signature(timestamp=timestamp, body=body)
        assert generated is not None  # only None when timestamp is None
        return generated

    # --- internals ----------------------------------------------------------------------------------

    def _send(self, body: bytes, content_type: str, extra_headers: dict[str, str] | None = None) -> DriverResult:
        return self.send_raw(body, content_type=content_type, extra_headers=extra_headers)

    def _post(self, body: bytes, headers: dict[str, str]) -> DriverResult:
        request = urllib.request.Request(self.endpoint_url, data=body, headers=headers, method="POST")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, answer, answer_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:  # 4xx/5xx are answers too (e.g. 401 for a bad signature)
            status, answer, answer_headers = error.code, error.read(), error.headers
        elapsed = time.perf_counter() - started
        return DriverResult(status, answer.decode("utf-8", "replace"), dict(answer_headers.items()), elapsed)


class SocketModeDriver(Driver):
    """Slack's side over Socket Mode: envelopes over the double's WebSocket server.

    The result's status is 200 once the app acked (body: the ack's payload as JSON, or empty),
    0 when it did not ack within `timeout` (body `no_ack`) or had no connection open
    (body `dispatch_failed`, what Slack shows the person then)."""

    transport = "socket"

    def __init__(self, double: SlackDouble, team_id: str | None = None, *, timeout: float = 10.0,
                 server: SocketModeServer | None = None) -> None:  # fmt: skip
        """`server`: the Socket Mode server to send on, when not `double`'s own (a benchmark sends
        on one app's sockets with response_urls of another double)."""
        super().__init__(double, team_id, timeout=timeout)
        self.server = server or double.socket_mode

    def _deliver(self, envelope_type: str, payload: dict[str, Any], *, retry_num: int | None = None,
                 retry_reason: str | None = None) -> DriverResult:  # fmt: skip
        server = self.server
        started = time.perf_counter()
        try:
            envelope = server.send(envelope_type, payload, retry_attempt=retry_num or 0,
                                   retry_reason=(retry_reason or "timeout") if retry_num else "")  # fmt: skip
        except NoConnection:
            return DriverResult(0, "dispatch_failed", {}, time.perf_counter() - started)
        acked = server.wait_for_ack(envelope, self.timeout)
        elapsed = time.perf_counter() - started
        if not acked:
            return DriverResult(0, "no_ack", {}, elapsed, envelope_id=envelope.envelope_id)
        body = json.dumps(envelope.ack_payload) if envelope.ack_payload else ""
        return DriverResult(200, body, {}, elapsed, envelope_id=envelope.envelope_id)


def new_trigger_id() -> str:
    """Shaped like Slack's: `<digits>.<digits>.<hex>`."""
    return f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
