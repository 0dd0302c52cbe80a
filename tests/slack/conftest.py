"""The real app behind the real HTTP server, with Slack played by the loopback double.

Tests marked `both_transports` run once over signed HTTP and once over Socket Mode: the
`transport` fixture is parametrized for them and LoopbackBot takes it (`bot` here, and each
module's own bot fixture). Unmarked tests run over HTTP only.

`team` is the team of #alineacion, set up through the services (tests/support/channel_team.py)
in the language the test parametrizes (`indirect`, es by default); the module says the rest
with a marker, since the instant and the people differ from module to module:

    pytestmark = pytest.mark.team(now=NOW, admins=(CARO,), starter_kpis=True)

`countries` in the marker gives the team's country by language ({"en": "US"})."""

from __future__ import annotations

from typing import Iterator

import pytest

from bot.loopback import LoopbackBot
from bot.slack_double import SlackDouble
from tests.support.channel_team import set_up_team


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


@pytest.fixture
def team(request: pytest.FixtureRequest, bot: LoopbackBot) -> str:
    """The team's language."""
    marker = request.node.get_closest_marker("team")
    if marker is None:
        pytest.fail("the `team` fixture needs `pytest.mark.team(now=...)` on the module or test")
    how = dict(marker.kwargs)
    language = getattr(request, "param", "es")
    set_up_team(bot, language=language, country=how.pop("countries", {}).get(language), **how)
    return language
