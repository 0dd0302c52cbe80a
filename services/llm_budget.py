"""The monthly token budget of a workspace's LLM narrator.

Before a call the narrator asks how much of this month's budget is left; after a response it
adds the tokens the server reported (`usage.total_tokens`). Months are calendar months in UTC
("2026-03"): a budget is an operator's cost control, not something a team's timezone changes.

Accounting is claimed, not checked: `record` inserts the month's row ignoring a conflict, then
increments it in place (`tokens = tokens + n`) in the same transaction, so two narrators of the
same workspace finishing together both count, on SQLite and on PostgreSQL alike. The check
before a call is a plain read: a few concurrent calls may overshoot the limit by at most their
own output cap, which is the price of never holding a write transaction across an LLM call
(SQLite would lock every other writer for the length of the call).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import LlmUsage
from db.repositories import insert_ignoring_conflict
from db.session import read_only

DEFAULT_MONTHLY_TOKENS = 200_000


def month_key(now: datetime) -> str:
    """The budget month `now` falls in, in UTC: "2026-03"."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(timezone.utc).strftime("%Y-%m")


def used(session: Session, *, workspace_id: int, month: str) -> int:
    tokens = session.scalar(select(LlmUsage.tokens).where(LlmUsage.workspace_id == workspace_id, LlmUsage.month == month))
    return int(tokens or 0)


def remaining(session: Session, *, workspace_id: int, month: str, limit: int) -> int:
    """Tokens left this month; never negative (a month can overshoot by a call's output cap)."""
    return max(0, limit - used(session, workspace_id=workspace_id, month=month))


def record(session: Session, *, workspace_id: int, month: str, tokens: int, now: datetime) -> None:
    """Add one request and its tokens to the month, atomically; the caller commits."""
    if tokens < 0:
        raise ValueError("tokens must not be negative")
    insert_ignoring_conflict(
        session,
        LlmUsage,
        {"workspace_id": workspace_id, "month": month, "tokens": 0, "requests": 0, "updated_at": now},
        unique=["workspace_id", "month"],
    )
    session.execute(
        update(LlmUsage)
        .where(LlmUsage.workspace_id == workspace_id, LlmUsage.month == month)
        .values(tokens=LlmUsage.tokens + tokens, requests=LlmUsage.requests + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )


class TokenBudget(Protocol):
    """What the LLM narrator needs of a budget (tests pass a fake)."""

    def remaining(self, *, workspace_id: int, now: datetime) -> int: ...

    def record(self, *, workspace_id: int, tokens: int, now: datetime) -> None: ...


class DatabaseBudget:
    """The budget kept in `llm_usage`; each check and each record is its own short transaction,
    so no transaction is open while the model answers."""

    def __init__(self, session_factory: sessionmaker[Session], *, limit: int = DEFAULT_MONTHLY_TOKENS) -> None:
        self._factory = session_factory
        self.limit = limit

    def remaining(self, *, workspace_id: int, now: datetime) -> int:
        with read_only(self._factory) as session:
            return remaining(session, workspace_id=workspace_id, month=month_key(now), limit=self.limit)

    def record(self, *, workspace_id: int, tokens: int, now: datetime) -> None:
        with self._factory.begin() as session:
            record(session, workspace_id=workspace_id, month=month_key(now), tokens=tokens, now=now)
