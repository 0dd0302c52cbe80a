"""A set-up alignment team for service tests, made through the services as people would."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from db import repositories
from db.models import AlignmentTeam
from domain.setup import SetupChanges
from services import teams, workspaces
from services.teams import TeamDefaults
from services.workspaces import WorkspaceDefaults


def set_up_team(
    factory: sessionmaker[Session], *, now: datetime, marketing: str, sales: str, slack_team_id: str = "T1", channel_id: str = "C0TEAM",
    language: str = "es", timezone: str = "America/Bogota",
) -> Callable[[Session], AlignmentTeam]:
    """Creates the workspace and the channel's team (marketing and sales leads); returns a loader
    of the team for any later session."""
    with factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=slack_team_id, defaults=WorkspaceDefaults(language, timezone), now=now)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel_id, channel_name="t", actor=marketing, is_workspace_admin=False,
            changes=SetupChanges(marketing_leads=(marketing,), sales_leads=(sales,)), defaults=TeamDefaults(timezone, language), now=now,
        )

    def load(session: Session) -> AlignmentTeam:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=slack_team_id)
        return repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)

    return load
