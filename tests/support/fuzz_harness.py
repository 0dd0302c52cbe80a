"""Send many hostile `/alinea` texts through the real signed endpoint, one after another, and
collect every answer that is not a proper one: the internal-error reference, a traceback, an
error logged by the app, an ack of 3 s or more, or no end to the work.

One app, one database and two seeded teams serve every text (starting the app per text would
cost more than the texts). Each text's work is waited for (the work queue empties) before the
next one is sent, so a failure is pinned to the text that caused it, and the double's record
of calls is cleared between texts so waiting stays cheap.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot import demo_data
from bot.loopback import LoopbackBot
from bot.slack_double import SlackDouble, slack_escape
from db import repositories
from domain.setup import SetupChanges
from services import ingest, kpis, teams, workspaces
from services.i18n import t
from services.teams import TeamDefaults

ACK_LIMIT = 3.0  # seconds: Slack shows the person an error after 3 s without an ack
WORK_LIMIT = 60.0  # seconds a text's work may take before it counts as stuck
MONDAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("America/Bogota"))
ENGLISH_CHANNEL = ("C0GROWTH", "growth")
TOM = "U0TOM"
SPANISH_PEOPLE = (demo_data.ANA, demo_data.LUIS, demo_data.CARO)
TRACEBACK = "Traceback (most recent call last)"


def internal_error_markers() -> tuple[str, ...]:
    """The start of "something failed, reference X" in every language, up to the reference."""
    return tuple(t(language, "error.unexpected", reference="\0").split("\0")[0] for language in ("es", "en"))


@dataclass
class Failure:
    index: int
    text: str
    reason: str

    def __str__(self) -> str:
        shown = self.text if len(self.text) <= 200 else self.text[:200] + f"… ({len(self.text)} characters)"
        return f"#{self.index} {shown!r}: {self.reason}"


@dataclass
class FuzzRun:
    sent: int = 0
    failures: list[Failure] = field(default_factory=list)
    slowest_ack: float = 0.0


class ErrorLog(logging.Handler):
    """Every ERROR the app logs while a text is handled (a crash in background work included)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock:
            self.records.append(self.format(record))

    def take(self) -> list[str]:
        with self._lock:
            taken, self.records = self.records, []
        return taken


def our_frames(logged: str) -> str:
    """A logged traceback cut to its message, the frames in our code and the exception."""
    lines = logged.splitlines()
    kept = lines[:1]
    for number, line in enumerate(lines):
        if line.strip().startswith('File "') and "site-packages" not in line:
            kept.extend(lines[number : number + 2])
    return "\n".join(kept + lines[-1:])


def add_people(double: SlackDouble) -> None:
    for user_id, name, locale in demo_data.PEOPLE:
        double.add_user(user_id, name=name, locale=locale)
    double.add_user(TOM, name="tom", locale="en-US")
    double.add_channel(demo_data.demo_team().channel_id, demo_data.demo_team().name)
    double.add_channel(*ENGLISH_CHANNEL)


def seed_teams(bot: LoopbackBot) -> tuple[str, str]:
    """A Spanish team seeded as `alinea demo` seeds it, and an English one with the starter KPIs.
    Returns their channel ids (Spanish, English)."""
    spanish = demo_data.DemoTeam(slack_team_id=bot.double.team_id, channel_id=demo_data.demo_team().channel_id, name=demo_data.demo_team().name)
    demo_data.seed(bot.runtime.session_factory, spanish, today=MONDAY, daily=False)
    at = NOW - timedelta(days=30)
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=at)
        team = teams.setup_team(
            session, workspace_id=workspace.id, channel_id=ENGLISH_CHANNEL[0], channel_name=ENGLISH_CHANNEL[1], actor=TOM,
            is_workspace_admin=True, changes=SetupChanges(marketing_leads=(TOM,), sales_leads=(demo_data.LUIS,), language="en", country="US"),
            defaults=TeamDefaults("America/Bogota", "en"), now=at,
        ).team  # fmt: skip
        kpis.enable_starter_set(session, team=team, actor=TOM, now=at, language="en")
    return spanish.channel_id, ENGLISH_CHANNEL[0]


def wait_until_idle(bot: LoopbackBot, limit: float = WORK_LIMIT) -> bool:
    """True once the work queue is empty (the text's answer and anything it queued are done)."""
    deadline = time.monotonic() + limit
    while bot.runtime.work.pending:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)  # waiting for work on other threads, not for a clock
    return True


def send_all(bot: LoopbackBot, texts: Iterable[str], channels: tuple[str, str], *, seed_people: int = 0) -> FuzzRun:
    markers = internal_error_markers()
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    run = FuzzRun()
    try:
        for index, text in enumerate(texts):
            english = index % 3 == 2
            user_id = TOM if english else SPANISH_PEOPLE[(index + seed_people) % len(SPANISH_PEOPLE)]
            channel_id = channels[1] if english else channels[0]
            typed = slack_escape(text) if index % 2 else text  # Slack sends & < > as entities; a raw one must not hurt either
            run.failures.extend(Failure(index, text, reason) for reason in _send_one(bot, typed, user_id, channel_id, markers, errors, run))
            run.sent += 1
    finally:
        logging.getLogger().removeHandler(errors)
    return run


def _send_one(bot: LoopbackBot, text: str, user_id: str, channel_id: str, markers: tuple[str, ...], errors: ErrorLog, run: FuzzRun) -> list[str]:
    reasons = []
    result = bot.driver.slash_command(text, user_id=user_id, channel_id=channel_id, user_name=bot.double.user_name(user_id) or user_id)
    run.slowest_ack = max(run.slowest_ack, result.elapsed)
    if result.status != 200:
        reasons.append(f"HTTP {result.status}: {result.body[:300]!r}")
    if result.elapsed >= ACK_LIMIT:
        reasons.append(f"acked in {result.elapsed:.2f} s")
    if not wait_until_idle(bot):
        reasons.append(f"work still running after {WORK_LIMIT:.0f} s")
    said = [result.body] + [json.dumps(call.params, ensure_ascii=False) for call in bot.double.calls]
    bot.double.reset()
    for words in said:
        if any(marker in words for marker in markers):
            reasons.append(f"internal-error reply: {words[:300]}")
        if TRACEBACK in words:
            reasons.append(f"traceback in a reply: {words[:300]}")
    reasons.extend(f"logged: {our_frames(line)}" for line in errors.take())
    if bot.double.internal_errors:
        reasons.append(f"Slack double failed: {bot.double.internal_errors[-1][-800:]}")
        bot.double.internal_errors.clear()
    return reasons


def ingest_token(bot: LoopbackBot) -> str:
    """A token for the Spanish team's ingest API, made by its admin."""
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=bot.channels[0])
        return ingest.create_token(session, team=team, actor=demo_data.CARO, is_workspace_admin=False, now=NOW).plain


def post_metrics(bot: LoopbackBot, token: str, body: bytes) -> tuple[int, bytes]:
    """POST raw bytes to the Spanish team's ingest API: (status, body)."""
    parts = urlsplit(bot.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("POST", f"/api/v1/teams/{bot.channels[0]}/metrics", body=body,
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
