"""Alinea wired to the loopback Slack double: the real app behind the real HTTP server or
connected in Socket Mode, with every Web API call going to the double. Used by `alinea demo`,
the tests and the benchmarks.

`transport="socket"` connects the app to the double's Socket Mode server the way
`alinea serve` does (bot/socket_mode.py) and drives it with envelopes; the HTTP server still
runs beside it for the ingest API, /healthz and /metrics, but Slack's traffic never uses it."""

from __future__ import annotations

import secrets
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

from bot.bootstrap import build_bolt_app, build_web_app, open_runtime
from bot.config import Settings
from bot.http import HttpServer
from bot.slack_double import Call, Driver, DriverResult, SlackDouble, SlackDriver, SocketModeDriver
from bot.socket_mode import SocketModeLink


class LoopbackBot:
    """`with LoopbackBot(settings) as bot: bot.command("help")` — starts everything, stops everything."""

    TRANSPORTS = ("http", "socket")

    def __init__(self, settings: Settings, *, double: SlackDouble | None = None, clock=None, transport: str = "http"):
        if transport not in self.TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}; expected one of {self.TRANSPORTS}")
        self.transport = transport
        self.link: SocketModeLink | None = None
        self._own_double = double is None
        self.double = double or SlackDouble()
        self._base_settings = settings
        self._clock = clock
        self.server: HttpServer | None = None

    def __enter__(self) -> LoopbackBot:
        if self._own_double:
            self.double.start()
        self.settings = replace(
            self._base_settings,
            slack_api_url=self.double.base_url,
            # OAuth mode has no bot token of its own: each workspace's comes from its installation.
            slack_bot_token=None if self._base_settings.oauth_enabled else (self._base_settings.slack_bot_token or "xoxb-loopback"),
            slack_signing_secret=self._base_settings.slack_signing_secret or secrets.token_hex(16),
            slack_app_token=self.double.app_token,
        )
        self._stack = ExitStack()
        self.runtime = self._stack.enter_context(open_runtime(self.settings, clock=self._clock))
        self.engine = self.runtime.engine
        self.app = build_bolt_app(self.runtime)
        self.server = HttpServer(build_web_app(self.runtime, self.app), host="127.0.0.1", port=0).start()
        self.driver: Driver = SlackDriver(f"{self.server.url}/slack/events", self.settings.slack_signing_secret, self.double)
        if self.transport == "socket":
            self.link = SocketModeLink(self.app, self.settings.slack_app_token).connect()
            self.double.socket_mode.wait_for_connections(self.link.connected)
            self.driver = SocketModeDriver(self.double)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.link is not None:
            self.link.close()
        if self.server is not None:
            self.server.stop()
        self.app.listener_runner.listener_executor.shutdown(wait=True)
        self._stack.close()  # the work queue drains, then the engine is disposed
        if self._own_double:
            self.double.stop()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def command(self, text: str, *, timeout: float = 5.0, **fields: Any) -> tuple[DriverResult, Call]:
        """Send `/alinea <text>` (signed, or as an envelope), and wait for the answer posted to its response_url."""
        result = self.driver.slash_command(text, **fields)
        if not result.ok:
            raise AssertionError(f"/alinea {text}: {self.transport} {result.status} {result.body!r}")
        return result, self.double.wait_for_response(result.response_url, timeout=timeout)[0]
