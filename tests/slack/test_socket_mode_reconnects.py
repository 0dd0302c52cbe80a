"""The demo's week over Socket Mode while Slack misbehaves: the double cuts a socket five times
and asks for a refresh twice, at seeded random moments. The app keeps its two connections, so
every command is answered once, the click and the form take effect once, and the breach's thread
reply, whose socket is cut right after it was delivered (its ack lost), comes again 3 s later
as Slack's retry and is recognised by its event id: one effect. No restart: the same process
reconnects each time, within a second."""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from bot import demo
from bot.config import Settings
from bot.loopback import LoopbackBot
from bot.slack_double import SocketModeDriver
from bot.slack_double.server import RESPONSE_URL_METHOD
from db.models import ProcessedEvent

SEED = 16
DROPS, REFRESHES = 5, 2
# The demo's week sends 12 envelopes: 9 commands, 1 thread reply (the 4th), 1 click, 1 form.
ENVELOPES, THREAD_REPLY, COMMANDS = 12, 3, 9


def fault_plan(seed: int) -> dict[int, str]:
    """Which envelope each fault comes just before: the thread reply always gets a drop (after
    its delivery), the other faults fall at random among the rest."""
    others = [index for index in range(ENVELOPES) if index != THREAD_REPLY]
    chosen = random.Random(seed).sample(others, DROPS - 1 + REFRESHES)
    return {THREAD_REPLY: "drop", **{index: "drop" for index in chosen[: DROPS - 1]},
            **{index: "refresh" for index in chosen[DROPS - 1:]}}  # fmt: skip


class ShakyDriver(SocketModeDriver):
    """Slack's side over Socket Mode, with the planned faults injected between envelopes."""

    def __init__(self, double, plan: dict[int, str]) -> None:
        super().__init__(double, timeout=15)
        self.plan, self.sent, self.faults = plan, 0, Counter()

    def _deliver(self, envelope_type: str, payload: dict[str, Any], **retry: Any):
        fault, self.sent = self.plan.get(self.sent), self.sent + 1
        server = self.double.socket_mode
        if fault:
            server.wait_for_connections(2, timeout=1.0)  # the last fault's socket is back within a second
            self.faults[fault] += 1
        if fault == "refresh":
            server.request_refresh(warn_first=True)
        elif fault == "drop" and envelope_type == "events_api":
            server.drop_after_next("events_api")  # delivered, then cut: its ack never arrives
        elif fault == "drop":
            server.drop_connection()
        return super()._deliver(envelope_type, payload, **retry)


def reconnected(link, count: int, *, within: float) -> int:
    """How many of the app's connections are open once `count` are, or `within` seconds have
    passed: the double sees a new socket a moment before slack_sdk's client marks it active."""
    deadline = time.monotonic() + within
    while link.connected < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return link.connected


@pytest.fixture
def week(settings: Settings):
    clock = demo.Clock()
    with LoopbackBot(settings, clock=clock, transport="socket") as bot:
        bot.driver = driver = ShakyDriver(bot.double, fault_plan(SEED))
        demo.seed_demo(bot)
        opened_before = bot.double.socket_mode.connections_opened
        demo.run_week(bot, clock)
        bot.double.socket_mode.wait_for_connections(2, timeout=1.0)
        yield bot, driver, opened_before
        assert not bot.double.internal_errors, bot.double.internal_errors


def test_a_week_over_socket_mode_survives_five_drops_and_two_refreshes_with_one_effect_each(week):
    bot, driver, opened_before = week
    server, double = bot.double.socket_mode, bot.double
    assert driver.sent == ENVELOPES and driver.faults == {"drop": DROPS, "refresh": REFRESHES}
    envelopes = Counter(envelope.type for envelope in server.envelopes)
    assert envelopes == {"slash_commands": COMMANDS, "events_api": 1, "interactive": 2}

    # Every command answered once: one post per response_url, one delivery and one ack per envelope.
    commands = [e for e in server.envelopes if e.type == "slash_commands"]
    answers = Counter(call.url for call in double.calls_to(RESPONSE_URL_METHOD))
    assert sorted(answers[e.payload["response_url"]] for e in commands) == [1] * COMMANDS
    assert all(len(e.deliveries) == 1 and e.ack_count == 1 for e in commands)

    # The thread reply: cut after delivery, sent again as retry 1, one effect.
    (event,) = [e for e in server.envelopes if e.type == "events_api"]
    assert [d.retry_attempt for d in event.deliveries] == [0, 1] and event.acked
    acknowledged = [c for c in double.calls_to("chat.update") if "Reconocido por" in str(c.params.get("blocks"))]
    assert len(acknowledged) == 1
    with bot.runtime.session_factory() as session:
        event_ids = session.scalars(select(ProcessedEvent.event_id)).all()
    assert event_ids.count(event.payload["event_id"]) == 1

    # The click opened one form, and the form decided the experiment once.
    assert all(len(e.deliveries) == 1 and e.ack_count == 1 for e in server.envelopes if e.type == "interactive")
    assert len(double.calls_to("views.open")) == 1
    decided = [m for m in double.messages(demo.CHANNEL[0]) if "decidido por" in str(m.get("blocks") or m.get("text"))]
    assert len(decided) == 1

    # Reconnected every time, in the same process: a new socket for each of the 5 drops and 2
    # refreshes (a refresh's two `disconnect` messages cost one move), and both held open now.
    assert server.connections_opened - opened_before >= DROPS + REFRESHES
    assert bot.link is not None and reconnected(bot.link, 2, within=2.0) == 2
    assert server.unknown_acks == []
