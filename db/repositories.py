"""select()-based queries. Keyword-only arguments; everything below a workspace is scoped by it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import AlignmentTeam, AuditEntry, JobRun, ProcessedEvent, TeamMember, Workspace


def insert_ignoring_conflict(session: Session, model: type, values: dict[str, Any], *, unique: list[str]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on the given unique key; True when this call inserted the row.

    This is how "only once" is claimed: two writers racing on the same key both try, the
    database lets exactly one of them in, and nobody reads first.
    """
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
    # RETURNING tells us reliably whether a row went in (rowcount is not portable here).
    return session.execute(statement.returning(model.id)).first() is not None


# Workspaces ---------------------------------------------------------------------------------


def workspace_by_slack_id(session: Session, *, slack_team_id: str) -> Workspace | None:
    return session.scalars(select(Workspace).where(Workspace.slack_team_id == slack_team_id)).one_or_none()


def all_workspaces(session: Session) -> list[Workspace]:
    return list(session.scalars(select(Workspace).order_by(Workspace.id)))


# Alignment teams -----------------------------------------------------------------------------


def team_by_channel(session: Session, *, workspace_id: int, channel_id: str) -> AlignmentTeam | None:
    return session.scalars(
        select(AlignmentTeam).where(AlignmentTeam.workspace_id == workspace_id, AlignmentTeam.channel_id == channel_id)
    ).one_or_none()


def teams_matching(session: Session, *, reference: str, workspace_id: int | None = None) -> list[AlignmentTeam]:
    """Teams whose channel id or name (case-insensitive) is `reference`; across workspaces only
    for the operator's CLI, which has no workspace of its own."""
    query = select(AlignmentTeam).where(
        (AlignmentTeam.channel_id == reference) | (func.lower(AlignmentTeam.name) == reference.lower())
    )
    if workspace_id is not None:
        query = query.where(AlignmentTeam.workspace_id == workspace_id)
    return list(session.scalars(query.order_by(AlignmentTeam.id)))


def teams_of_workspace(session: Session, *, workspace_id: int) -> list[AlignmentTeam]:
    return list(
        session.scalars(select(AlignmentTeam).where(AlignmentTeam.workspace_id == workspace_id).order_by(AlignmentTeam.id))
    )


def teams_of_member(session: Session, *, workspace_id: int, slack_user_id: str) -> list[AlignmentTeam]:
    """The workspace's teams in which the person has any role."""
    member_of = select(TeamMember.team_id).where(
        TeamMember.workspace_id == workspace_id, TeamMember.slack_user_id == slack_user_id
    )
    return list(
        session.scalars(
            select(AlignmentTeam)
            .where(AlignmentTeam.workspace_id == workspace_id, AlignmentTeam.id.in_(member_of))
            .order_by(AlignmentTeam.id)
        )
    )


def all_teams(session: Session) -> list[AlignmentTeam]:
    return list(session.scalars(select(AlignmentTeam).order_by(AlignmentTeam.workspace_id, AlignmentTeam.id)))


# Audit ------------------------------------------------------------------------------------------


def audit_entries(session: Session, *, workspace_id: int, entity_type: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if entity_type is not None:
        query = query.where(AuditEntry.entity_type == entity_type)
    return list(session.scalars(query.order_by(AuditEntry.id)))


# Slack events ------------------------------------------------------------------------------------


def claim_event(session: Session, *, workspace_id: int, event_id: str, event_type: str, now: datetime) -> bool:
    return insert_ignoring_conflict(
        session,
        ProcessedEvent,
        {"workspace_id": workspace_id, "event_id": event_id, "event_type": event_type, "received_at": now},
        unique=["workspace_id", "event_id"],
    )


def delete_processed_events_before(session: Session, *, workspace_id: int, before: datetime) -> int:
    result = session.execute(
        delete(ProcessedEvent).where(ProcessedEvent.workspace_id == workspace_id, ProcessedEvent.received_at < before)
    )
    return result.rowcount or 0


# Job runs -------------------------------------------------------------------------------------------


def job_run(session: Session, *, workspace_id: int, job: str, subject: str, period: str) -> JobRun | None:
    return session.scalars(
        select(JobRun).where(
            JobRun.workspace_id == workspace_id, JobRun.job == job, JobRun.subject == subject, JobRun.period == period
        )
    ).one_or_none()
