"""The Bolt app factory: settings and collaborators in, a wired App out."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.errors import handle_listener_error
from bot.middleware import request_context, runtime_middleware
from bot.runtime import Runtime
from bot.slack_client import make_web_client
from bot.workqueue import ContextExecutor
from commands import registry

logger = logging.getLogger(__name__)


def create_app(runtime: Runtime, *, client: WebClient | None = None, verify_token: bool = True) -> App:
    """A Bolt app answering `/alinea`, its buttons, modals and events.

    `verify_token` calls auth.test once at start-up, so a wrong bot token fails loudly at
    deploy time instead of at the first command.
    """
    settings = runtime.settings
    if runtime.tokens is not None:  # OAuth mode: each request's token comes from its workspace's installation
        from bot.oauth import oauth_app_arguments

        client = client or make_web_client(token=None, base_url=settings.slack_api_url)
        mode = oauth_app_arguments(runtime, client)
    else:
        client = client or make_web_client(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        mode = {"token_verification_enabled": verify_token}
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret,
        **mode,
        # Bolt's default of 5 threads lets five slow listeners delay every other ack;
        # listeners here only ack and do short database work, so 16 threads keep acks prompt.
        # ContextExecutor: the request id and workspace of bot/logs.py follow the listener.
        listener_executor=ContextExecutor(max_workers=settings.listener_threads, thread_name_prefix="bolt-listener"),
        logger=logging.getLogger("alinea.bolt"),
    )
    app.use(request_context)
    app.use(runtime_middleware(runtime))
    app.error(handle_listener_error)
    registry.register(app)
    return app
