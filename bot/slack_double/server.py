"""SlackDouble: a loopback HTTP server that answers like Slack's Web API, for tests and `alinea demo`.

Point a real `slack_sdk.WebClient(base_url=double.base_url)` at it and the whole client stack runs for
real: encoding, headers, retries, file uploads. The double records every call (`calls`, `wait_for`),
validates Block Kit the way Slack does (see validation.py), and can fail on demand (see faults.py).

Layout: `_Handler` only speaks HTTP; `SlackDouble` decides what to answer (`_handle_*`), under one lock,
using the `Workspace` (workspace.py) for the Web API methods themselves.
"""

from __future__ import annotations

import copy
import json
import secrets
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from bot.slack_double.decoding import decode_params
from bot.slack_double.faults import ChannelRateLimiter, Fault, FaultPlan
from bot.slack_double.models import Call, SlackDoubleChannel, SlackDoubleFile, SlackDoubleUser
from bot.slack_double.oauth import DEFAULT_EXPIRES_IN, OAuthServer
from bot.slack_double.socket_mode import SocketModeServer
from bot.slack_double.workspace import API_METHODS, Workspace, file_from_url_path, message_content_error, store_upload

RESPONSE_URL_METHOD = "response_url"
UPLOAD_URL_METHOD = "upload_url"
FILE_DOWNLOAD_METHOD = "file_download"  # a GET of a file's url_private
OAUTH_AUTHORIZE_METHOD = "oauth.authorize"  # a browser's GET of the consent page
OAUTH_ACCESS_METHOD = "oauth.v2.access"
CONNECTIONS_OPEN_METHOD = "apps.connections.open"  # Socket Mode: an app-level token asks for a WebSocket URL
APP_TOKEN_PREFIX = "xapp-"
_AUTHORIZE_PATH = "/oauth/v2/authorize"
_API_PREFIX = "/api/"
# Shaped like Slack's own (https://hooks.slack.com/commands/T…/…/…), so what treats those as
# secrets (the log redaction) treats the double's the same way.
_RESPONSE_PREFIX = "/commands/"
_UPLOAD_PREFIX = "/upload/"
_FILES_PREFIX = "/files-pri/"
# Slack answers a file URL fetched without a valid token with its sign-in page, not an API error.
_SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>"


class WaitTimeout(AssertionError, TimeoutError):
    """`wait_for` gave up. Both an AssertionError (reads as a test failure) and a TimeoutError."""


@dataclass
class _Outcome:
    """What to send back for one request, and what to record about it."""

    status: int  # 0 = close the connection without answering
    response: dict[str, Any] | None
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, response: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> _Outcome:
        body = json.dumps(response).encode("utf-8")
        # Record what the client actually received, not a live reference into the workspace.
        return cls(status, json.loads(body), body, headers=headers or {})

    @classmethod
    def text(cls, text: str, response: dict[str, Any], status: int = 200) -> _Outcome:
        return cls(status, response, text.encode("utf-8"), "text/plain; charset=utf-8")

    @classmethod
    def from_fault(cls, fault: Fault) -> _Outcome:
        if fault.drops_connection:
            return cls(0, None)
        return cls.json({"ok": False, "error": fault.error}, fault.status, fault.headers())


class SlackDouble:
    """A fake Slack (Web API, response_urls, file uploads) on 127.0.0.1, in a daemon thread."""

    def __init__(
        self,
        *,
        team_id: str = "T0DOUBLE",
        team_domain: str = "alinea-double",
        bot_user_id: str = "UBOT",
        bot_id: str = "B0DOUBLE",
        app_id: str = "A0DOUBLE",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._address = (host, port)
        self._workspace = Workspace(
            team_id=team_id, team_domain=team_domain, bot_user_id=bot_user_id, bot_id=bot_id, app_id=app_id
        )
        # One reentrant lock guards everything; the condition lets wait_for sleep until a call arrives.
        self._lock = threading.RLock()
        self._call_arrived = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._faults = FaultPlan()
        self._holds: dict[str, deque[Hold]] = {}
        self._all_holds: list[Hold] = []
        self._rate_limiter = ChannelRateLimiter()
        self._response_tokens: set[str] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.revoked_tokens: set[str] = set()
        self.accepted_token_prefixes: tuple[str, ...] = ("xoxb-", "xoxp-", "xoxe.xoxb-", "xoxe.xoxp-")
        # Slack's side of OAuth (oauth.py): off until configure_oauth() gives the app credentials.
        self.oauth = OAuthServer(app_id=app_id, bot_user_id=bot_user_id, default_team_id=team_id, default_team_name=team_domain)
        # Socket Mode (socket_mode.py): the app-level token apps.connections.open takes, and the server.
        self.app_token = f"{APP_TOKEN_PREFIX}1-{app_id}-1-{secrets.token_hex(8)}"
        self.socket_mode = SocketModeServer(app_id=app_id, host=host)
        # Tracebacks of bugs in the double itself (answered as HTTP 500, never printed): assert it stays empty.
        self.internal_errors: list[str] = []

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> SlackDouble:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self._address, _Handler, self)
        self._workspace.upload_url_prefix = f"{self.url}{_UPLOAD_PREFIX}"
        self._workspace.file_url_prefix = f"{self.url}{_FILES_PREFIX}"
        # A short poll interval keeps stop() fast: shutdown() waits for the loop's next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-double", daemon=True
        )
        self._thread.start()
        self.socket_mode.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # cuts short any injected delay, so shutdown is not held up by it
        for hold in self._all_holds:  # and any held answer
            hold.release()
        self.socket_mode.stop()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> SlackDouble:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, no trailing slash."""
        if self._server is None:
            raise RuntimeError("SlackDouble is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """For `WebClient(base_url=...)`: the trailing slash matters, slack_sdk joins method names onto it."""
        return f"{self.url}{_API_PREFIX}"

    # --- identity and directory ---------------------------------------------------------------------

    @property
    def team_id(self) -> str:
        return self._workspace.team_id

    @property
    def team_domain(self) -> str:
        return self._workspace.team_domain

    @property
    def bot_user_id(self) -> str:
        return self._workspace.bot_user_id

    @property
    def bot_id(self) -> str:
        return self._workspace.bot_id

    @property
    def app_id(self) -> str:
        return self._workspace.app_id

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        locale: str = "es-LA",
        tz: str = "America/Bogota",
        is_admin: bool = False,
        is_owner: bool = False,
        email: str | None = None,
        is_bot: bool = False,
    ) -> SlackDoubleUser:
        user = SlackDoubleUser(
            id=user_id,
            name=name,
            real_name=real_name or name,
            locale=locale,
            tz=tz,
            is_admin=is_admin,
            is_owner=is_owner,
            is_bot=is_bot,
            email=email,
        )
        with self._lock:
            self._workspace.add_user(user)
        return user

    def add_channel(
        self, channel_id: str, name: str, *, is_private: bool = False, bot_is_member: bool = True
    ) -> SlackDoubleChannel:
        channel = SlackDoubleChannel(id=channel_id, name=name, is_private=is_private, bot_is_member=bot_is_member)
        with self._lock:
            self._workspace.add_channel(channel)
        return channel

    def channel_name(self, channel_id: str) -> str | None:
        with self._lock:
            channel = self._workspace.channels.get(channel_id)
        return channel.name if channel else None

    def user_name(self, user_id: str) -> str | None:
        with self._lock:
            user = self._workspace.users.get(user_id)
        return user.name if user else None

    # --- OAuth (oauth.py) ----------------------------------------------------------------------------

    def configure_oauth(
        self,
        client_id: str,
        client_secret: str,
        *,
        redirect_uri: str | None = None,
        token_rotation: bool = False,
        expires_in: int = DEFAULT_EXPIRES_IN,
        installer: str = "U0ANA",
    ) -> None:
        """The app's credentials and Redirect URL as configured at api.slack.com; with
        `token_rotation`, tokens expire after `expires_in` seconds and come with refresh tokens."""
        with self._lock:
            oauth = self.oauth
            oauth.client_id, oauth.client_secret, oauth.redirect_uri = client_id, client_secret, redirect_uri
            oauth.token_rotation, oauth.expires_in, oauth.installer = token_rotation, expires_in, installer

    def issue_oauth_code(self, team_id: str | None = None, *, team_name: str | None = None, user_id: str | None = None) -> str:
        """The code Slack sends to the redirect URI once a person approved the install."""
        with self._lock:
            return self.oauth.issue_code(team_id, team_name=team_name, user_id=user_id)

    def issued_bot_tokens(self, team_id: str | None = None) -> list[str]:
        """Bot tokens oauth.v2.access issued for a workspace (default: the double's own), oldest first."""
        with self._lock:
            return self.oauth.bot_tokens(team_id or self.team_id)

    def expire_token(self, token: str) -> None:
        """An issued token expires now: calls with it get `token_expired`."""
        with self._lock:
            self.oauth.expire(token)

    def revoke_workspace(self, team_id: str | None = None) -> list[str]:
        """Slack's side of an uninstall: the workspace's issued tokens stop working."""
        with self._lock:
            return self.oauth.revoke_team(team_id or self.team_id)

    # --- what happened in the workspace ------------------------------------------------------------

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Messages stored for `channel`, oldest first (thread replies included)."""
        with self._lock:
            return copy.deepcopy(self._workspace.messages.get(channel, []))

    def direct_messages(self, user_id: str) -> list[dict[str, Any]]:
        """What the bot posted in its DM with `user_id` (opened with conversations.open), oldest first."""
        with self._lock:
            return copy.deepcopy(self._workspace.messages.get(self._workspace.im_channel_id(user_id), []))

    @property
    def files(self) -> dict[str, SlackDoubleFile]:
        """file_id -> uploaded file (`content` holds the bytes that arrived)."""
        with self._lock:
            return dict(self._workspace.files)

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """view_id -> last view opened/updated/published under that id."""
        with self._lock:
            return copy.deepcopy(self._workspace.views)

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        """user_id -> home tab last published for that user."""
        with self._lock:
            return copy.deepcopy(self._workspace.home_views)

    def new_response_url(self) -> str:
        """A fresh response_url, as Slack puts in slash commands and interactions."""
        token = f"{self.team_id}/{secrets.randbelow(10**13):013d}/{secrets.token_hex(12)}"
        with self._lock:
            self._response_tokens.add(token)
        return f"{self.url}{_RESPONSE_PREFIX}{token}"

    # --- recorded calls -----------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def reset(self) -> None:
        """Forget calls, planned faults, delays, the rate limit, messages, views and files.

        Users, channels, tokens settings and issued response_urls stay: they are the workspace's setup.
        """
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._rate_limiter.configure(None)
            self._workspace.clear_activity()

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Block until at least `count` calls to `method` (matching `predicate`) were recorded.

        Returns every matching call recorded so far, oldest first. Raises WaitTimeout listing the
        calls that did arrive, so a failing test says what the bot did instead.
        """
        deadline = time.monotonic() + timeout
        with self._call_arrived:
            while True:
                matching = [c for c in self._calls if c.method == method and (predicate is None or predicate(c))]
                remaining = deadline - time.monotonic()
                if len(matching) >= count or remaining <= 0:
                    break
                self._call_arrived.wait(remaining)
            if len(matching) >= count:
                return matching
            raise WaitTimeout(self._timeout_message(method, predicate, count, timeout, len(matching)))

    def _timeout_message(
        self, method: str, predicate: Callable[[Call], bool] | None, count: int, timeout: float, found: int
    ) -> str:
        which = f"{method!r} matching {getattr(predicate, '__name__', 'predicate')}" if predicate else repr(method)
        seen = "\n".join(f"  {i}. {c.summary()}" for i, c in enumerate(self._calls, 1)) or "  (none)"
        return (
            f"timed out after {timeout}s waiting for {count} call(s) to {which}; found {found}.\n"
            f"Calls the Slack double received:\n{seen}"
        )

    def wait_for_response(self, response_url: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """The posts the bot made to one response_url (a slash command's or an interaction's)."""

        def to_this_url(call: Call) -> bool:
            return call.url == response_url

        return self.wait_for(RESPONSE_URL_METHOD, to_this_url, count=count, timeout=timeout)

    def refuse_native_blocks(self, refuse: bool = True) -> None:
        """Answer chart (data_visualization) and table blocks with invalid_blocks, in messages and
        in views (a Home's table too), as a Slack that does not have them yet does;
        `refuse_native_blocks(False)` takes them again."""
        with self._lock:
            self._workspace.native_blocks = not refuse

    # --- fault injection ----------------------------------------------------------------------------

    def fail_next(
        self, method: str, status: int = 500, *, retry_after: int | None = None, times: int = 1, after_effect: bool = False
    ) -> None:
        """Answer the next `times` requests to `method` with HTTP `status`.

        A 429 always carries Retry-After (default 1 second), like Slack's rate limiting.
        `method` may also be "response_url", "upload_url" or "file_download". With `after_effect`, the request is
        carried out first (a message is stored) and only the answer fails, as when Slack posts
        but the response is lost: the case that makes a blind retry post twice.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._faults.add(method, Fault(status, retry_after, after_effect), times)

    def drop_next(self, method: str, times: int = 1) -> None:
        """Read the next `times` requests to `method`, then close the connection without an answer."""
        with self._lock:
            self._faults.add(method, Fault(0), times)

    def hold_next(self, method: str, *, after: int = 0) -> Hold:
        """Let `after` requests to `method` through, then carry out the next one (a message is
        stored) and hold its answer until `release()`: a Slack call still in flight, for as long
        as a test needs, without a delay measured in seconds. `reached` is set once it is held."""
        hold = Hold(after)
        with self._lock:
            self._holds.setdefault(method, deque()).append(hold)
            self._all_holds.append(hold)
        return hold

    def set_delay(self, method: str | None, seconds: float) -> None:
        """Wait `seconds` before answering `method` (None = every method). 0 removes the delay."""
        with self._lock:
            self._faults.set_delay(method, seconds)

    def set_channel_rate_limit(self, per_second: int | None) -> None:
        """Answer chat.postMessage with 429 past `per_second` messages per channel (None = no limit)."""
        with self._lock:
            self._rate_limiter.configure(per_second)

    # --- request handling (called from server threads) -----------------------------------------------

    def _handle(self, path: str, query: str, headers: dict[str, str], body: bytes) -> _Outcome:
        if path.startswith(_API_PREFIX):
            return self._handle_api(path[len(_API_PREFIX) :], query, headers, body)
        if path.startswith(_RESPONSE_PREFIX):
            return self._handle_response_url(path[len(_RESPONSE_PREFIX) :], headers, body)
        if path.startswith(_UPLOAD_PREFIX):
            return self._handle_upload(path[len(_UPLOAD_PREFIX) :], headers, body)
        if path.startswith(_FILES_PREFIX):
            return self._handle_file_download(path[len(_FILES_PREFIX) :], headers)
        if path == _AUTHORIZE_PATH:
            return self._handle_authorize(query, headers)
        return _Outcome.text("not found", {"ok": False, "error": "not_found"}, 404)

    def _handle_api(self, method: str, query: str, headers: dict[str, str], body: bytes) -> _Outcome:
        try:
            params = decode_params(headers.get("content-type", ""), body, query)
        except (ValueError, UnicodeDecodeError):
            return self._answer(method, {}, headers, lambda: _Outcome.json({"ok": False, "error": "invalid_json"}))
        token = _bearer_token(headers) or params.pop("token", None)
        params.pop("token", None)
        if method == OAUTH_ACCESS_METHOD:  # the app's credentials in Basic auth, no token
            return self._answer(method, params, headers, lambda: _Outcome.json(self.oauth.access(params, headers)))
        return self._answer(method, params, headers, lambda: self._api_outcome(method, params, token))

    def _handle_authorize(self, query: str, headers: dict[str, str]) -> _Outcome:
        def outcome() -> _Outcome:
            status, extra, body = self.oauth.authorize_page(query)
            if status != 302:
                return _text_error(body, status)
            return _Outcome(302, {"ok": True, "location": extra["Location"]}, b"", "text/plain; charset=utf-8", headers=extra)

        return self._answer(OAUTH_AUTHORIZE_METHOD, {"query": query}, headers, outcome)

    def _api_outcome(self, method: str, params: dict[str, Any], token: str | None) -> _Outcome:
        if method == CONNECTIONS_OPEN_METHOD:
            return self._connections_open(token)
        handler = API_METHODS.get(method)
        if handler is None:
            return _Outcome.json({"ok": False, "error": "unknown_method"})
        if token and token.startswith(APP_TOKEN_PREFIX):  # app-level tokens open sockets, nothing else
            return _Outcome.json({"ok": False, "error": "not_allowed_token_type"})
        auth_error = self._auth_error(token)
        if auth_error:
            return _Outcome.json({"ok": False, "error": auth_error})
        if method == "chat.postMessage" and not self._rate_limiter.admit(str(params.get("channel", ""))):
            return _Outcome.from_fault(Fault(429, retry_after=1))
        response = handler(self._workspace, params)
        team = self.oauth.team_of(token)
        if method == "auth.test" and team is not None:  # a token issued for another workspace speaks for it
            response = {**response, "team_id": team, "team": self.oauth.team_names.get(team, team)}
        return _Outcome.json(response)

    def _connections_open(self, token: str | None) -> _Outcome:
        """Only the app-level token opens a socket: a bot or user token is the wrong type."""
        if not token:
            return _Outcome.json({"ok": False, "error": "not_authed"})
        if token != self.app_token:
            wrong_type = token.startswith(self.accepted_token_prefixes) and not self._auth_error(token)
            return _Outcome.json({"ok": False, "error": "not_allowed_token_type" if wrong_type else "invalid_auth"})
        return _Outcome.json({"ok": True, "url": self.socket_mode.new_url()})

    def _auth_error(self, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        if token in self.revoked_tokens or not token.startswith(self.accepted_token_prefixes):
            return "invalid_auth"
        return self.oauth.auth_error(token)

    def _handle_response_url(self, token: str, headers: dict[str, str], body: bytes) -> _Outcome:
        try:
            params = json.loads(body.decode("utf-8")) if body else {}
        except (ValueError, UnicodeDecodeError):
            params = None
        if not isinstance(params, dict):
            return self._answer(RESPONSE_URL_METHOD, {}, headers, lambda: _text_error("invalid_payload", 400))
        url = f"{self.url}{_RESPONSE_PREFIX}{token}"
        return self._answer(
            RESPONSE_URL_METHOD, params, headers, lambda: self._response_url_outcome(token, params), url=url
        )

    def _response_url_outcome(self, token: str, params: dict[str, Any]) -> _Outcome:
        if token not in self._response_tokens:
            return _text_error("invalid_token", 404)
        if params.get("delete_original"):
            return _Outcome.text("ok", {"ok": True})
        # Slack answers response_urls in plain text: "ok", or the error code with a 4xx status.
        problem = message_content_error(params, native=self._workspace.native_blocks)
        if problem:
            return _Outcome.text(problem["error"], problem, 400)
        return _Outcome.text("ok", {"ok": True})

    def _handle_upload(self, file_id: str, headers: dict[str, str], body: bytes) -> _Outcome:
        params = {"file_id": file_id, "length": len(body)}

        def outcome() -> _Outcome:
            if not store_upload(self._workspace, file_id, body):
                return _text_error("file_not_found", 404)
            return _Outcome.text(f"OK - {len(body)}", {"ok": True})

        return self._answer(UPLOAD_URL_METHOD, params, headers, outcome)

    def _handle_file_download(self, rest: str, headers: dict[str, str]) -> _Outcome:
        """A GET of a file's url_private: its bytes, with the bot's token as a Bearer header."""
        params = {"path": f"{_FILES_PREFIX}{rest}"}

        def outcome() -> _Outcome:
            if self._auth_error(_bearer_token(headers)):
                return _Outcome(200, {"ok": False, "error": "not_authed"}, _SIGN_IN_PAGE, "text/html; charset=utf-8")
            file = file_from_url_path(self._workspace, rest)
            if file is None:
                return _text_error("file_not_found", 404)
            return _Outcome(200, {"ok": True, "file_id": file.id, "length": len(file.content)}, file.content, "application/octet-stream")

        return self._answer(FILE_DOWNLOAD_METHOD, params, headers, outcome)

    def _answer(
        self,
        method: str,
        params: dict[str, Any],
        headers: dict[str, str],
        compute: Callable[[], _Outcome],
        *,
        url: str = "",
    ) -> _Outcome:
        """Delay, then a planned fault or the real answer; record the call before the client sees it."""
        with self._lock:
            delay = self._faults.delay_for(method)
        if delay:
            self._stopping.wait(delay)  # outside the lock: a slow method must not stall the others
        with self._lock:
            fault = self._faults.take(method)
            if fault is not None and fault.after_effect:
                compute()  # the effect happens (a message is stored) but the client sees the failure
            outcome = _Outcome.from_fault(fault) if fault else compute()
            self._record(method, params, headers, outcome, url)
            hold = self._hold_for(method)
        if hold is not None:  # outside the lock: everything else keeps answering meanwhile
            hold.reached.set()
            hold.released.wait()
        return outcome

    def _hold_for(self, method: str) -> Hold | None:
        queue = self._holds.get(method)
        if not queue:
            return None
        if queue[0].after > 0:
            queue[0].after -= 1
            return None
        return queue.popleft()

    def _record(
        self, method: str, params: dict[str, Any], headers: dict[str, str], outcome: _Outcome, url: str
    ) -> None:
        call = Call(method, copy.deepcopy(params), dict(headers), outcome.response, time.time(), outcome.status, url)
        self._calls.append(call)
        self._call_arrived.notify_all()


class Hold:
    """One answer held back by `hold_next`."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.reached = threading.Event()
        self.released = threading.Event()

    def release(self) -> None:
        self.released.set()


def _text_error(code: str, status: int) -> _Outcome:
    return _Outcome.text(code, {"ok": False, "error": code}, status)


def _bearer_token(headers: dict[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stuck client must not keep the test process alive

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], double: SlackDouble) -> None:
        self.double = double
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up early (timeouts in tests do that); report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """HTTP only: read the request, ask the double, write (or withhold) the answer."""

    server: _Server
    server_version = "SlackDouble/1.0"

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the double must not print anything during tests or the demo."""

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        headers = {name.lower(): value for name, value in self.headers.items()}
        body = self._read_body()
        outcome = self._outcome_for(path, query, headers, body)
        if outcome.status == 0:
            # Dropped on purpose: the body was read, so closing now yields a clean
            # "Remote end closed connection without response" on the client side.
            self.close_connection = True
            return
        self._write(outcome)

    def _outcome_for(self, path: str, query: str, headers: dict[str, str], body: bytes) -> _Outcome:
        double = self.server.double
        try:
            return double._handle(path, query, headers, body)
        except Exception:  # noqa: BLE001 - a bug in the double: answer 500 and keep the traceback, print nothing
            double.internal_errors.append(traceback.format_exc())
            return _Outcome.json({"ok": False, "error": "double_internal_error"}, 500)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()  # the CRLF after the last chunk (no trailers expected)
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _write(self, outcome: _Outcome) -> None:
        self.send_response(outcome.status)
        self.send_header("Content-Type", outcome.content_type)
        self.send_header("Content-Length", str(len(outcome.body)))
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(outcome.body)
