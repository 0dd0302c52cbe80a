"""Whether a workspace's Slack draws native charts and tables, remembered for a day.

Slack answers `invalid_blocks` when a workspace (or the Slack it runs) does not have the
data_visualization or table block yet. The agenda poster then posts the same messages without
them and uploads the charts as PNGs (a command's reply is sent again without them), and the
refusal is recorded here, so the next posts and `/alinea kpi show` answers of that workspace go
straight to PNGs instead of being refused one by one. After a day native blocks
are offered again: Slack rolls features out gradually, and a refusal is not forever.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from db import repositories
from db.models import Workspace

REMEMBERED_FOR = timedelta(days=1)


def allowed(session: Session, *, workspace_id: int, now: datetime) -> bool:
    workspace = session.get(Workspace, workspace_id)
    refused = workspace.native_blocks_refused_at if workspace is not None else None
    return refused is None or now >= refused + REMEMBERED_FOR


def record_refused(session: Session, *, workspace_id: int, now: datetime) -> None:
    workspace = session.get(Workspace, workspace_id)
    if workspace is not None:
        workspace.native_blocks_refused_at = now


def record_refused_in(session: Session, *, slack_team_id: str, now: datetime) -> None:
    """The same, for the workspace Slack calls `slack_team_id` (a command's reply was refused)."""
    workspace = repositories.workspace_by_slack_id(session, slack_team_id=slack_team_id)
    if workspace is not None:
        record_refused(session, workspace_id=workspace.id, now=now)
