"""`alinea demo`: the real app, a local SQLite file and the built-in Slack double — no Slack
account, no LLM key. It sends commands as people would and prints what they see."""

from __future__ import annotations

import logging
import textwrap

from bot.config import Settings
from bot.loopback import LoopbackBot
from bot.transcript import render
from db import migrations

DEMO_CHANNEL = ("C0DEMO", "alineacion-tienda")
DEMO_PEOPLE = (
    ("U0ANA", "ana", "es-LA"),  # marketing, Spanish
    ("U0TOM", "tom", "en-US"),  # sales, English
)
SCRIPT = (
    ("U0ANA", "ayuda"),
    ("U0TOM", "help"),
    ("U0ANA", "ayudaa"),  # a typo: Alinea suggests the closest command
)


def run_demo(*, database_url: str) -> int:
    print(f"Alinea demo: database {database_url}, Slack played by the built-in loopback double.\n")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    migrations.upgrade(database_url)
    settings = Settings(database_url=database_url, slack_signing_secret="demo-signing-secret", slack_bot_token="xoxb-demo")
    with LoopbackBot(settings) as bot:
        bot.double.add_channel(*DEMO_CHANNEL)
        for user_id, name, locale in DEMO_PEOPLE:
            bot.double.add_user(user_id, name=name, locale=locale)
        for user_id, text in SCRIPT:
            show_exchange(bot, user_id, text)
    print("Demo finished. Next: connect a real workspace (README, 'Connect a Slack workspace').")
    return 0


def show_exchange(bot: LoopbackBot, user_id: str, text: str) -> None:
    name = bot.double.user_name(user_id)
    result, reply = bot.command(text, user_id=user_id, channel_id=DEMO_CHANNEL[0], user_name=name or user_id)
    print(f"@{name} typed: /alinea {text}")
    print(f"  (signed request acked: HTTP {result.status} in {result.elapsed * 1000:.0f} ms)")
    print("  Alinea answered privately:")
    print(textwrap.indent(render(reply.params), "  | "))
    print()
