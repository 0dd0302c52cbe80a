"""Workspaces: found or created on first contact, uninstalled on Slack's word."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from db import repositories
from db.models import AlignmentTeam, Workspace, WorkspaceState
from services import audit


@dataclass(frozen=True)
class WorkspaceDefaults:
    locale: str
    timezone: str


def ensure_workspace(
    session: Session, *, slack_team_id: str, defaults: WorkspaceDefaults, now: datetime, name: str = ""
) -> Workspace:
    """The workspace row for a Slack team id, created the first time we hear from it.

    Read first (the common case, no write lock); create with an insert that tolerates a
    concurrent creator, then read again.
    """
    workspace = repositories.workspace_by_slack_id(session, slack_team_id=slack_team_id)
    if workspace is not None:
        return workspace
    inserted = repositories.insert_ignoring_conflict(
        session,
        Workspace,
        {
            "slack_team_id": slack_team_id,
            "name": name,
            "default_locale": defaults.locale,
            "default_timezone": defaults.timezone,
            "state": WorkspaceState.INSTALLED,
            "installed_at": now,
        },
        unique=["slack_team_id"],
    )
    workspace = repositories.workspace_by_slack_id(session, slack_team_id=slack_team_id)
    assert workspace is not None  # inserted here or by the concurrent creator
    if inserted:
        audit.record(
            session, workspace_id=workspace.id, actor=audit.SYSTEM_ACTOR, action="workspace.created",
            entity_type="workspace", entity_id=workspace.id, before=None,
            after={"slack_team_id": slack_team_id, "locale": defaults.locale, "timezone": defaults.timezone}, now=now,
        )
    return workspace


def mark_uninstalled(session: Session, *, workspace: Workspace, reason: str, now: datetime) -> bool:
    """Slack told us the app is gone; False when it was already marked."""
    if workspace.state is WorkspaceState.UNINSTALLED:
        return False
    workspace.state = WorkspaceState.UNINSTALLED
    workspace.uninstalled_at = now
    audit.record(
        session, workspace_id=workspace.id, actor=audit.SYSTEM_ACTOR, action=f"workspace.{reason}",
        entity_type="workspace", entity_id=workspace.id, before={"state": "installed"},
        after={"state": "uninstalled"}, now=now,
    )
    return True


def mark_installed(session: Session, *, workspace: Workspace, now: datetime) -> None:
    if workspace.state is WorkspaceState.INSTALLED:
        return
    workspace.state = WorkspaceState.INSTALLED
    workspace.installed_at = now
    workspace.uninstalled_at = None
    audit.record(
        session, workspace_id=workspace.id, actor=audit.SYSTEM_ACTOR, action="workspace.reinstalled",
        entity_type="workspace", entity_id=workspace.id, before={"state": "uninstalled"},
        after={"state": "installed"}, now=now,
    )


def team_for_channel(session: Session, *, workspace_id: int, channel_id: str | None) -> AlignmentTeam | None:
    if not channel_id:
        return None
    return repositories.team_by_channel(session, workspace_id=workspace_id, channel_id=channel_id)


def claim_event(session: Session, *, workspace_id: int, event_id: str, event_type: str, now: datetime) -> bool:
    """True the first time an event id is seen; a retry or a second replica gets False."""
    return repositories.claim_event(
        session, workspace_id=workspace_id, event_id=event_id, event_type=event_type, now=now
    )
