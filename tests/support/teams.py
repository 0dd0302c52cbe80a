"""A set-up alignment team for service tests, made through the services as people would, and
`act`: one service call on that team in its own unit of work.

`tests/integration/conftest.py` builds its `team` fixture with `set_up_team`; a test module
says which team with `pytestmark = pytest.mark.team(now=..., marketing=..., sales=..., ...)`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from sqlalchemy.orm import Session, sessionmaker

from db import repositories
from db.models import AlignmentTeam
from domain.setup import SetupChanges
from services import kpis, teams, workspaces
from services.teams import TeamDefaults
from services.workspaces import WorkspaceDefaults

TeamLoader = Callable[[Session], AlignmentTeam]


def set_up_team(
    factory: sessionmaker[Session], *, now: datetime, marketing: str, sales: str | tuple[str, ...], slack_team_id: str = "T1",
    channel_id: str = "C0TEAM", language: str = "es", timezone: str = "America/Bogota", admin: str | None = None,
    starter_kpis: bool = False,
) -> TeamLoader:
    """Creates the workspace and the channel's team (marketing and sales leads); returns a loader
    of the team for any later session.

    The marketing lead sets the team up, unless an `admin` is named: then that person, a Slack
    admin, does and is the team's admin. `starter_kpis`: the marketing lead then enables the
    starter KPIs, named in `language`."""
    actor = admin or marketing
    with factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=slack_team_id, defaults=WorkspaceDefaults(language, timezone), now=now)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel_id, channel_name="t", actor=actor, is_workspace_admin=admin is not None,
            changes=SetupChanges(
                marketing_leads=(marketing,), sales_leads=sales if isinstance(sales, tuple) else (sales,),
                **({"admins": (admin,)} if admin else {}),
            ),
            defaults=TeamDefaults(timezone, language), now=now,
        )

    def load(session: Session) -> AlignmentTeam:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=slack_team_id)
        return repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)

    if starter_kpis:
        with factory.begin() as session:
            kpis.enable_starter_set(session, team=load(session), actor=marketing, now=now, language=language)
    return load


def act(factory: sessionmaker[Session], team: TeamLoader, action: Callable[..., Any], **kwargs: Any) -> Any:
    """`action(session, team=…, **kwargs)` in one unit of work, committed when it returns."""
    with factory.begin() as session:
        return action(session, team=team(session), **kwargs)
