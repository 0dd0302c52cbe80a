"""The real app behind the real HTTP server, with Slack played by the loopback double.

Tests marked `both_transports` run once over signed HTTP and once over Socket Mode: the
`transport` fixture is parametrized for them and LoopbackBot takes it (`bot` here, and each
module's own bot fixture). Unmarked tests run over HTTP only."""

from __future__ import annotations

from typing import Iterator

import pytest

from bot.loopback import LoopbackBot
from bot.slack_double import SlackDouble


TRANSPORTS = ("http", "socket")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "transport" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_transports"):
        metafunc.parametrize("transport", TRANSPORTS, indirect=True)


@pytest.fixture
def transport(request: pytest.FixtureRequest) -> str:
    """"http", or what `both_transports` parametrized."""
    return getattr(request, "param", "http")


@pytest.fixture
def double() -> Iterator[SlackDouble]:
    with SlackDouble() as double:
        double.add_user("U0ANA", name="ana", locale="es-LA")
        double.add_user("U0TOM", name="tom", locale="en-US")
        double.add_channel("C0TEAM", "alineacion")
        yield double
        assert not double.internal_errors, double.internal_errors


@pytest.fixture
def bot(settings, double, transport) -> Iterator[LoopbackBot]:
    with LoopbackBot(settings, double=double, transport=transport) as bot:
        yield bot
