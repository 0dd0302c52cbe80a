"""Deleting a workspace's data: every row of every table of ours that belongs to it, on an admin's
confirmed request or from the purge job after an uninstall's grace period.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from services.data_rights import owned_rows, tables

logger = logging.getLogger(__name__)


def delete_workspace_data(session: Session, workspace_id: int, now: datetime) -> dict[str, int]:
    """Deletes every row of the workspace in every table of ours, children first, the workspace's
    own row last (the model has no state for "data deleted"; the row is created again on the
    next contact with Slack). Returns table -> rows deleted. Runs in the caller's transaction:
    a slash command's unit of work, or a purge job after an uninstall's grace period."""
    deleted: dict[str, int] = {}
    for table in reversed(tables()):
        owned = owned_rows(table, workspace_id)
        if owned is None:
            continue
        count = session.execute(delete(table).where(owned)).rowcount or 0
        if count:
            deleted[table.name] = count
    session.expire_all()  # objects loaded before are gone from the database
    logger.info("deleted the data of workspace %s at %s: %d rows", workspace_id, now.isoformat(), sum(deleted.values()))
    return deleted

