"""The Bolt app factory: settings and collaborators in, a wired App out."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

import commands
from bot.errors import handle_listener_error
from bot.middleware import runtime_middleware
from bot.runtime import Runtime
from bot.slack_client import make_web_client

logger = logging.getLogger(__name__)


def create_app(runtime: Runtime, *, client: WebClient | None = None, verify_token: bool = True) -> App:
    """A Bolt app answering `/alinea`, its buttons, modals and events.

    `verify_token` calls auth.test once at start-up, so a wrong bot token fails loudly at
    deploy time instead of at the first command.
    """
    settings = runtime.settings
    client = client or make_web_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=verify_token,
        # Bolt's default of 5 threads lets five slow listeners delay every other ack;
        # listeners here only ack and do short database work, so 16 threads keep acks prompt.
        listener_executor=ThreadPoolExecutor(max_workers=settings.listener_threads, thread_name_prefix="bolt-listener"),
        logger=logging.getLogger("alinea.bolt"),
    )
    app.use(runtime_middleware(runtime))
    app.error(handle_listener_error)
    commands.register(app)
    return app
