"""Web API clients for background work (jobs, the ingest API's alerts, posts after a command).

One workspace, one bot token: every client carries `SLACK_BOT_TOKEN`. OAuth mode: each
workspace's own bot token from its installation, refreshed first when it is about to expire
(bot/oauth.py). A client is made per use; settings may point at the loopback Slack double.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.oauth import NotInstalled
from bot.slack_client import make_web_client
from db.models import AlignmentTeam, Workspace
from db.session import read_only

if TYPE_CHECKING:
    from bot.oauth import WorkspaceTokens


class SlackClients:
    def __init__(self, settings: Settings, session_factory: sessionmaker[Session], tokens: WorkspaceTokens | None):
        self._settings = settings
        self._session_factory = session_factory
        self._tokens = tokens

    def for_workspace(self, workspace_id: int) -> WebClient:
        """NotInstalled in OAuth mode when the workspace is gone or has no installation."""
        if self._tokens is None:
            return make_web_client(token=self._settings.slack_bot_token, base_url=self._settings.slack_api_url)
        with read_only(self._session_factory) as session:
            workspace = session.get(Workspace, workspace_id)
            slack_team_id = workspace.slack_team_id if workspace is not None else None
        if slack_team_id is None:
            raise NotInstalled(f"workspace {workspace_id} is gone")
        return self._tokens.client_for(slack_team_id)

    def for_team(self, team_id: int) -> WebClient:
        """The client of an alignment team's workspace."""
        with read_only(self._session_factory) as session:
            team = session.get(AlignmentTeam, team_id)
            workspace_id = team.workspace_id if team is not None else None
        if workspace_id is None:
            raise NotInstalled(f"alignment team {team_id} is gone")
        return self.for_workspace(workspace_id)
