"""Slack's lifecycle events: the app uninstalled, or its tokens revoked.

Each event is claimed by its `event_id` in the same transaction as its effect, so a retried
delivery (X-Slack-Retry-Num) or a second replica changes nothing, and a delivery whose work
failed leaves no claim behind, so Slack's retry does the work.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from slack_bolt import BoltContext
from sqlalchemy.orm import Session

from bot.middleware import runtime_of
from db.models import Workspace
from services import workspaces

logger = logging.getLogger(__name__)

EventHandler = Callable[[Session, Workspace, dict[str, Any], Any], None]


def claimed(handler: EventHandler) -> Callable[..., None]:
    def listener(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        runtime = runtime_of(context)
        now = runtime.clock()
        with runtime.session_factory.begin() as session:
            workspace = workspaces.ensure_workspace(
                session, slack_team_id=body["team_id"], defaults=runtime.workspace_defaults, now=now
            )
            event_id = body.get("event_id") or ""
            if not workspaces.claim_event(
                session, workspace_id=workspace.id, event_id=event_id, event_type=event.get("type", ""), now=now
            ):
                logger.info("event %s already handled; ignoring this delivery", event_id)
                return
            handler(session, workspace, event, now)

    listener.__name__ = f"claimed_{handler.__name__}"
    return listener


def on_app_uninstalled(session: Session, workspace: Workspace, event: dict[str, Any], now: Any) -> None:
    workspaces.mark_uninstalled(session, workspace=workspace, reason="uninstalled", now=now)


def on_tokens_revoked(session: Session, workspace: Workspace, event: dict[str, Any], now: Any) -> None:
    # Only a revoked bot token stops us; a user token revoked alone changes nothing we use.
    if (event.get("tokens") or {}).get("bot"):
        workspaces.mark_uninstalled(session, workspace=workspace, reason="tokens_revoked", now=now)
