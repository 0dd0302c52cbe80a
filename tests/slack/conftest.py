"""The real app behind the real HTTP server, with Slack played by the loopback double."""

from __future__ import annotations

from typing import Iterator

import pytest

from bot.loopback import LoopbackBot
from bot.slack_double import SlackDouble


@pytest.fixture
def double() -> Iterator[SlackDouble]:
    with SlackDouble() as double:
        double.add_user("U0ANA", name="ana", locale="es-LA")
        double.add_user("U0TOM", name="tom", locale="en-US")
        double.add_channel("C0TEAM", "alineacion")
        yield double
        assert not double.internal_errors, double.internal_errors


@pytest.fixture
def bot(settings, double) -> Iterator[LoopbackBot]:
    with LoopbackBot(settings, double=double) as bot:
        yield bot
