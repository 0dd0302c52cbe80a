"""Keeping our own tables small."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from db import repositories

# Slack retries an event for about an hour at most; a week is a generous margin.
PROCESSED_EVENTS_KEPT_FOR = timedelta(days=7)


def purge_processed_events(session: Session, *, workspace_id: int, now: datetime) -> int:
    """Forget event ids older than the retention window; returns how many were removed."""
    return repositories.delete_processed_events_before(
        session, workspace_id=workspace_id, before=now - PROCESSED_EVENTS_KEPT_FOR
    )
