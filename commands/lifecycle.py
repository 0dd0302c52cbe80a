"""Slack's lifecycle events: the app uninstalled, or its tokens revoked.

Each event is claimed by its `event_id` in the same transaction as its effect, so a retried
delivery (X-Slack-Retry-Num) or a second replica changes nothing, and a delivery whose work
failed leaves no claim behind, so Slack's retry does the work.

In OAuth mode the workspace's stored tokens go in that same transaction (bot/installations.py):
an uninstall, or a revoked bot token, deletes every installation row of the workspace; revoked
user tokens delete those people's rows. The workspace's data stays for ALINEA_DATA_GRACE_DAYS
(the purge-uninstalled job), so a reinstall before then finds it again.
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

# (session, workspace, event, now, tokens): `tokens` is the runtime's WorkspaceTokens, None
# in single-workspace mode.
EventHandler = Callable[[Session, Workspace, dict[str, Any], Any, Any], None]


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
            handler(session, workspace, event, now, runtime.tokens)

    listener.__name__ = f"claimed_{handler.__name__}"
    return listener


def on_app_uninstalled(session: Session, workspace: Workspace, event: dict[str, Any], now: Any, tokens: Any = None) -> None:
    workspaces.mark_uninstalled(session, workspace=workspace, reason="uninstalled", now=now)
    if tokens is not None:
        removed = tokens.store.delete_team_in(session, team_id=workspace.slack_team_id)
        logger.info("app uninstalled from %s: %d installation rows deleted", workspace.slack_team_id, removed)


def on_tokens_revoked(session: Session, workspace: Workspace, event: dict[str, Any], now: Any, tokens: Any = None) -> None:
    revoked = event.get("tokens") or {}
    if tokens is not None and revoked.get("oauth"):
        tokens.store.delete_users_in(session, team_id=workspace.slack_team_id, user_ids=revoked["oauth"])
    # Only a revoked bot token stops us; a user token revoked alone changes nothing we use.
    if revoked.get("bot"):
        workspaces.mark_uninstalled(session, workspace=workspace, reason="tokens_revoked", now=now)
        if tokens is not None:
            tokens.store.delete_team_in(session, team_id=workspace.slack_team_id)
