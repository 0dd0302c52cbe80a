"""`alinea demo`: the real app, a local SQLite file and the built-in Slack double — no Slack
account, no LLM key. People type commands and press buttons as they would in Slack; the demo
prints what each of them sees and what the team's channel shows."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

from bot.blocks.glossary import APPROVE
from bot.config import Settings
from bot.loopback import LoopbackBot
from bot.transcript import as_seen, render
from db import migrations

CHANNEL = ("C0DEMO", "alineacion-tienda")
PEOPLE = (
    ("U0ANA", "ana", "es-LA"),  # marketing lead
    ("U0LUIS", "luis", "es-LA"),  # sales lead
    ("U0TOM", "tom", "en-US"),  # a teammate whose Slack is in English
)


def run_demo(*, database_url: str) -> int:
    print(f"Alinea demo: database {database_url} (made anew), Slack played by the built-in loopback double.\n")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    start_afresh(database_url)
    migrations.upgrade(database_url)
    settings = Settings(database_url=database_url, slack_signing_secret="demo-signing-secret", slack_bot_token="xoxb-demo")
    with LoopbackBot(settings) as bot:
        bot.double.add_channel(*CHANNEL)
        for user_id, name, locale in PEOPLE:
            bot.double.add_user(user_id, name=name, locale=locale)
        run_script(bot)
    print("Demo finished. Next: connect a real workspace (README, 'Run it against your Slack workspace').")
    return 0


def start_afresh(database_url: str) -> None:
    """The demo's own SQLite file is made anew, so every run tells the same story."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)


def run_script(bot: LoopbackBot) -> None:
    say(bot, "U0TOM", "help")
    say(bot, "U0ANA", "ayudaa")  # a typo: Alinea suggests the closest command
    say(bot, "U0ANA", "configurar mercadeo <@U0ANA|ana> ventas <@U0LUIS|luis> zona America/Bogota idioma es")
    say(bot, "U0ANA", "definir MQL: Lead que pidió una demo y cumple el perfil de cliente ideal")
    press_approve(bot, "U0LUIS")
    say(bot, "U0LUIS", "glosario MQL")
    show_channel(bot)


def say(bot: LoopbackBot, user_id: str, text: str) -> None:
    name = bot.double.user_name(user_id)
    result, reply = bot.command(text, user_id=user_id, channel_id=CHANNEL[0], user_name=name or user_id)
    print(f"@{name} typed: /alinea {as_seen(text, bot.double.user_name)}")
    print(f"  (signed request acked: HTTP {result.status} in {result.elapsed * 1000:.0f} ms)")
    print("  Alinea answered privately:")
    print(textwrap.indent(seen(bot, reply.params), "  | "))
    print()


def seen(bot: LoopbackBot, message: dict) -> str:
    return render(message, name_of=lambda identifier: bot.double.user_name(identifier) or bot.double.channel_name(identifier))


def press_approve(bot: LoopbackBot, user_id: str) -> None:
    proposal = latest_with_button(bot, APPROVE)
    button = next(e for b in proposal["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == APPROVE)
    result = bot.driver.block_action(
        APPROVE, value=button["value"], user_id=user_id, channel_id=CHANNEL[0], message={"ts": proposal["ts"]}
    )
    reply = bot.double.wait_for_response(result.response_url)[0]
    print(f"@{bot.double.user_name(user_id)} pressed [Aprobar] on the proposal")
    print("  Alinea answered privately:")
    print(textwrap.indent(seen(bot, reply.params), "  | "))
    print()


def latest_with_button(bot: LoopbackBot, action_id: str) -> dict:
    for message in reversed(bot.double.messages(CHANNEL[0])):
        for block in message.get("blocks") or []:
            if block["type"] == "actions" and any(e.get("action_id") == action_id for e in block["elements"]):
                return message
    raise RuntimeError("no proposal with an Approve button was posted")


def show_channel(bot: LoopbackBot) -> None:
    print(f"What #{CHANNEL[1]} shows now:")
    for message in bot.double.messages(CHANNEL[0]):
        prefix = "  ↳ " if message.get("thread_ts") and message.get("thread_ts") != message.get("ts") else ""
        print(textwrap.indent(seen(bot, message), f"  {prefix}| "))
        print()
