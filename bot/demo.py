"""`alinea demo`: the real app, a local SQLite file and the built-in Slack double — no Slack
account, no LLM key.

It seeds a demo team (a Colombian online gift shop with 12 weeks of numbers, an agreed
glossary, two SLAs with an open breach, OKRs, topics and last week's experiment:
`bot.demo_data`) and plays one full weekly cycle on a simulated clock: the scheduler posts the
weekly agenda on Monday before the meeting, the sales lead acknowledges the breach in its
thread, the meeting decides the week's experiment with the agenda's button, people check in
their key results, the owners who did not get one reminder on Sunday, and the next agenda (posted
on Friday, because Monday 23 March is a public holiday in Colombia) reports the experiment.

It prints what each person sees and what the channel shows, and writes every posted message
(Block Kit JSON) and every chart (PNG) into `demo-output/` (`--output`).

Slack reaches the app over Socket Mode, the README's first path (`alinea serve` without
`--http`); `--transport http` plays the same week over signed HTTP requests instead. Both print
and write the same thing: the transport changes how a request arrives, never what people see.
"""

from __future__ import annotations

import json
import logging
import shutil
import textwrap
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import demo_data
from bot.blocks.agenda_topics import DECIDE_EXPERIMENT, DUE, EXPERIMENT_VIEW, HYPOTHESIS, METRIC, METRIC_TEXT, OWNER, VALUE
from bot.config import Settings
from bot.jobs import run_job
from bot.loopback import LoopbackBot
from bot.scheduler import job_named
from bot.transcript import as_seen, render
from db import migrations

BOGOTA = ZoneInfo("America/Bogota")
CHANNEL = ("C0DEMO", "alineacion-tienda")
MONDAY = date(2026, 3, 16)
DEFAULT_OUTPUT = Path("demo-output")


class Clock:
    """The simulated week: the app and its jobs read the time from here."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 16, 6, 0, tzinfo=BOGOTA)

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: int, hour: int, minute: int = 0) -> None:
        self.now = datetime(2026, 3, day, hour, minute, tzinfo=BOGOTA)
        print(f"\n=== {self.now.strftime('%A %d %B %Y, %H:%M')} (Bogotá) ===\n")


TRANSPORTS = {"socket": "Socket Mode", "http": "signed HTTP"}


def run_demo(*, database_url: str, output: Path = DEFAULT_OUTPUT, transport: str = "socket") -> int:
    print(f"Alinea demo: database {database_url} (made anew), Slack played by the built-in loopback double.")
    logging.getLogger("alinea.demo").info("Slack reaches the app over %s", TRANSPORTS[transport])
    logging.getLogger("alembic").setLevel(logging.WARNING)
    start_afresh(database_url)
    migrations.upgrade(database_url)
    settings = Settings(database_url=database_url, slack_signing_secret="demo-signing-secret", slack_bot_token="xoxb-demo")
    clock = Clock()
    with LoopbackBot(settings, clock=clock, transport=transport) as bot:
        seed_demo(bot)
        run_week(bot, clock)
        show_channel(bot)
        show_direct_messages(bot)
        write_output(bot, output)
    print(f"\nDemo finished. Block Kit JSON and chart PNGs are in {output}/. Next: connect a real workspace "
          "(README, 'Run it against your Slack workspace').")
    return 0


def seed_demo(bot: LoopbackBot) -> None:
    """The shop's people and channel in the double, its team and history in the database."""
    bot.double.add_channel(*CHANNEL)
    for user_id, name, locale in demo_data.PEOPLE:
        bot.double.add_user(user_id, name=name, locale=locale)
    team = demo_data.DemoTeam(slack_team_id=bot.double.team_id, channel_id=CHANNEL[0], name=CHANNEL[1])
    demo_data.seed(bot.runtime.session_factory, team, today=MONDAY, with_feedback=True)
    print("Seeded #alineacion-tienda: 12 weeks of values, MQL/SQL/'venta atribuible' agreed, 2 SLAs, 2 objectives, 2 topics, "
          "a month of customer feedback.")


def start_afresh(database_url: str) -> None:
    """The demo's own SQLite file is made anew, so every run tells the same story."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)


def run_week(bot: LoopbackBot, clock: Clock) -> None:
    clock.set(16, 6, 0)
    run(bot, "sla-evaluate", clock.now)  # last week closed: follow-up hours missed the SLA
    clock.set(16, 6, 30)
    say(bot, demo_data.ANA, "ayudaa")  # a typo: Alinea suggests the closest command
    say(bot, demo_data.LUIS, "glosario MQL")
    say(bot, demo_data.LUIS, "tema Cupones para el Día de la Madre: ¿empezamos en abril?")
    clock.set(16, 7, 0)
    run(bot, "weekly-agenda", clock.now)
    clock.set(16, 8, 15)
    acknowledge_breach(bot, demo_data.LUIS, "recibido personal dos asesores estuvieron incapacitados; reforzamos con turnos el sábado")
    clock.set(16, 9, 20)
    decide_experiment(bot, demo_data.ANA)
    say(bot, demo_data.LUIS, "agenda cerrar T1 envío gratis sobre 150 mil solo en diciembre")
    clock.set(18, 16, 0)
    say(bot, demo_data.LUIS, "okr checkin KR2 165 confianza 7 los cupones de referidos ya están activos")
    say(bot, demo_data.ANA, "okr")
    clock.set(20, 7, 0)  # Monday 23 is San José: the agenda of week 13 is posted on Friday
    say(bot, demo_data.ANA, "agenda resultado confirmado la conversión móvil subió tras quitar un paso del checkout")
    # This week's Slack plays one without native charts: the same messages, the charts as PNGs.
    bot.double.refuse_native_blocks()
    run(bot, "weekly-agenda", clock.now)
    clock.set(22, 10, 0)
    run(bot, "okr-remind", clock.now)
    clock.set(22, 11, 0)
    say(bot, demo_data.LUIS, "feedback El kit llegó incompleto y nadie contesta el WhatsApp, mi correo es luisa@correo.co fuente whatsapp nota 3")
    say(bot, demo_data.ANA, "agenda vista mensual")  # the voice of the customer of March, privately


def run(bot: LoopbackBot, job: str, at: datetime) -> None:
    spec = job_named(job)
    assert spec is not None
    for result in run_job(bot.runtime, spec, at=at, team_ref=CHANNEL[0]):
        print(f"The scheduler ran {result.line()}")
    print()


def say(bot: LoopbackBot, user_id: str, text: str) -> None:
    name = bot.double.user_name(user_id)
    result, reply = bot.command(text, user_id=user_id, channel_id=CHANNEL[0], user_name=name or user_id, timeout=30)
    print(f"@{name} typed: /alinea {as_seen(text, bot.double.user_name)}")
    print(f"  (acked in {result.elapsed * 1000:.0f} ms)")
    print("  Alinea answered privately:")
    print(textwrap.indent(seen(bot, reply.params), "  | "))
    print()


def seen(bot: LoopbackBot, message: dict) -> str:
    return render(message, name_of=lambda identifier: bot.double.user_name(identifier) or bot.double.channel_name(identifier))


def acknowledge_breach(bot: LoopbackBot, user_id: str, text: str) -> None:
    breach = next(m for m in bot.double.messages(CHANNEL[0]) if _claim(m).startswith("sla-breach-") and m.get("thread_ts") in (None, m["ts"]))
    updates = len(bot.double.calls_to("chat.update"))
    event = {"type": "message", "channel": CHANNEL[0], "channel_type": "channel", "user": user_id, "text": text,
             "ts": f"{bot.runtime.clock().timestamp():.6f}", "thread_ts": breach["ts"]}  # fmt: skip
    assert bot.driver.event(event).ok
    bot.double.wait_for("chat.update", count=updates + 1, timeout=30)
    print(f"@{bot.double.user_name(user_id)} replied in the breach's thread: {text}")
    print("  The breach post now reads:")
    print(textwrap.indent(seen(bot, _message(bot, breach["ts"])), "  | "))
    print()


def decide_experiment(bot: LoopbackBot, user_id: str) -> None:
    agenda = next(m for m in bot.double.messages(CHANNEL[0]) if _has_button(m, DECIDE_EXPERIMENT))
    week = next(e["value"] for b in agenda["blocks"] if b["type"] == "actions" for e in b["elements"] if e.get("action_id") == DECIDE_EXPERIMENT)
    opened = len(bot.double.calls_to("views.open"))
    bot.driver.block_action(DECIDE_EXPERIMENT, value=week, user_id=user_id, channel_id=CHANNEL[0], message={"ts": agenda["ts"]})
    view = bot.double.wait_for("views.open", count=opened + 1, timeout=30)[-1].params["view"]
    values = {
        HYPOTHESIS: {VALUE: {"type": "plain_text_input", "value": "Quitar el paso de registro del checkout móvil sube la conversión web"}},
        METRIC: {VALUE: {"type": "static_select", "selected_option": {"value": "conversion_web"}}},
        METRIC_TEXT: {VALUE: {"type": "plain_text_input", "value": ""}},
        OWNER: {VALUE: {"type": "users_select", "selected_user": demo_data.ANA}},
        DUE: {VALUE: {"type": "datepicker", "selected_date": "2026-03-20"}},
    }
    posts = len(bot.double.calls_to("chat.postMessage"))
    bot.driver.view_submission(EXPERIMENT_VIEW, values, private_metadata=view["private_metadata"], user_id=user_id)
    bot.double.wait_for("chat.postMessage", count=posts + 1, timeout=30)
    print(f"In the meeting @{bot.double.user_name(user_id)} pressed [{_button_text(agenda, DECIDE_EXPERIMENT)}] and filled the form;")
    print("  the channel shows:")
    print(textwrap.indent(seen(bot, bot.double.messages(CHANNEL[0])[-1]), "  | "))
    print()


def _claim(message: dict[str, Any]) -> str:
    return ((message.get("metadata") or {}).get("event_payload") or {}).get("claim", "")


def _has_button(message: dict[str, Any], action_id: str) -> bool:
    return any(e.get("action_id") == action_id for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"])


def _button_text(message: dict[str, Any], action_id: str) -> str:
    return next(e["text"]["text"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"] if e.get("action_id") == action_id)


def _message(bot: LoopbackBot, ts: str) -> dict[str, Any]:
    return next(m for m in bot.double.messages(CHANNEL[0]) if m["ts"] == ts)


def show_channel(bot: LoopbackBot) -> None:
    print(f"\nWhat #{CHANNEL[1]} shows at the end of the week (thread replies indented):")
    for message in bot.double.messages(CHANNEL[0]):
        prefix = "  ↳ " if message.get("thread_ts") and message.get("thread_ts") != message.get("ts") else ""
        print(textwrap.indent(seen(bot, message), f"  {prefix}| "))
        for file in message.get("files") or []:
            print(f"  {prefix}| [chart {file.get('name')}: {file.get('title')}]")
        print()


def show_direct_messages(bot: LoopbackBot) -> None:
    for user_id, name, _ in demo_data.PEOPLE:
        for message in bot.double.direct_messages(user_id):
            print(f"Direct message to @{name}:")
            print(textwrap.indent(seen(bot, message), "  | "))
            print()


def write_output(bot: LoopbackBot, output: Path) -> None:
    """Every message as Slack stored it (Block Kit JSON) and every uploaded chart as a PNG."""
    shutil.rmtree(output, ignore_errors=True)
    output.mkdir(parents=True)
    channel = {"channel": CHANNEL[1], "messages": bot.double.messages(CHANNEL[0])}
    (output / "channel.json").write_text(json.dumps(channel, ensure_ascii=False, indent=2), encoding="utf-8")
    dms = {name: bot.double.direct_messages(user_id) for user_id, name, _ in demo_data.PEOPLE}
    (output / "direct-messages.json").write_text(json.dumps(dms, ensure_ascii=False, indent=2), encoding="utf-8")
    for file in bot.double.files.values():
        if file.completed and file.content:
            (output / file.filename).write_bytes(file.content)
