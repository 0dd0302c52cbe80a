"""The `team` of the service tests: the channel's team, set up through the services
(tests/support/teams.py). Each module says which team with a marker, since the instant and the
people differ from module to module:

    pytestmark = pytest.mark.team(now=NOW, marketing=ANA, sales=LUIS, admin=ROSA, starter_kpis=True)

The fixture returns a loader of the team for any later session (`team(session)`)."""

from __future__ import annotations

import pytest

from tests.support.teams import TeamLoader, set_up_team


@pytest.fixture
def team(request: pytest.FixtureRequest, session_factory) -> TeamLoader:
    marker = request.node.get_closest_marker("team")
    if marker is None:
        pytest.fail("the `team` fixture needs `pytest.mark.team(now=..., marketing=..., sales=...)` on the module or test")
    return set_up_team(session_factory, **marker.kwargs)
