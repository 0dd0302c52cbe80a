"""The audit log: every write of ours records who changed what, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.models import AuditEntry

SYSTEM_ACTOR = "system"


def record(
    session: Session,
    *,
    workspace_id: int,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
    team_id: int | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        workspace_id=workspace_id,
        team_id=team_id,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        at=now,
    )
    session.add(entry)
    return entry
