"""Topics members add for the next meeting (`/alinea agenda add|tema TEXT`), listed on the
weekly agenda, closed with an outcome; the ones still open roll over to the monthly agenda.
Anyone in the team's channel may add a topic; its author, a lead or an admin
closes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from db.models import AgendaTopic, AlignmentTeam, TopicStatus
from domain.errors import UserError
from domain.numbers import typed_whole
from services import audit
from services.teams import roles_of

MAX_TOPIC_LENGTH = 300


@dataclass(frozen=True)
class TopicView:
    id: int
    number: int
    text: str
    added_by: str
    added_at: datetime
    status: TopicStatus
    outcome: str
    closed_by: str | None
    closed_at: datetime | None

    @property
    def label(self) -> str:
        return f"T{self.number}"


def _view(row: AgendaTopic) -> TopicView:
    return TopicView(row.id, row.number, row.text, row.added_by, row.added_at, row.status, row.outcome, row.closed_by, row.closed_at)


def add(session, *, team: AlignmentTeam, actor: str, text: str, now: datetime) -> TopicView:
    text = " ".join(text.split())
    if not text:
        raise UserError("agenda.topic_missing")
    if len(text) > MAX_TOPIC_LENGTH:
        raise UserError("agenda.topic_too_long", limit=MAX_TOPIC_LENGTH, length=len(text))
    numbers = session.scalars(select(AgendaTopic.number).where(AgendaTopic.team_id == team.id))
    row = AgendaTopic(
        workspace_id=team.workspace_id, team_id=team.id, number=max(numbers, default=0) + 1, text=text,
        added_by=actor, added_at=now, status=TopicStatus.OPEN,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _audit(session, team, actor, "agenda_topic.add", row, None, {"text": text}, now)
    return _view(row)


def open_topics(session, *, team: AlignmentTeam, added_before: datetime | None = None) -> list[TopicView]:
    query = select(AgendaTopic).where(
        AgendaTopic.workspace_id == team.workspace_id, AgendaTopic.team_id == team.id, AgendaTopic.status == TopicStatus.OPEN
    )
    if added_before is not None:
        query = query.where(AgendaTopic.added_at < added_before)
    return [_view(row) for row in session.scalars(query.order_by(AgendaTopic.number))]


def closed_between(session, *, team: AlignmentTeam, start: datetime, end: datetime) -> list[TopicView]:
    rows = session.scalars(
        select(AgendaTopic).where(
            AgendaTopic.workspace_id == team.workspace_id, AgendaTopic.team_id == team.id,
            AgendaTopic.status == TopicStatus.CLOSED, AgendaTopic.closed_at >= start, AgendaTopic.closed_at < end,
        ).order_by(AgendaTopic.number)
    )  # fmt: skip
    return [_view(row) for row in rows]


def find(session, *, team: AlignmentTeam, reference: str, lock: bool = False) -> AgendaTopic:
    """`T3`, `t 3`, `#3` or `3`."""
    number = typed_whole("".join(reference.split()).upper().removeprefix("T").removeprefix("#"))
    found = None
    if number is not None:
        query = select(AgendaTopic).where(
            AgendaTopic.workspace_id == team.workspace_id, AgendaTopic.team_id == team.id, AgendaTopic.number == number
        )
        found = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if found is None:
        raise UserError("agenda.unknown_topic", reference=reference.strip())
    return found


def close(session, *, team: AlignmentTeam, actor: str, reference: str, outcome: str, now: datetime) -> TopicView:
    row = find(session, team=team, reference=reference, lock=True)
    if actor != row.added_by and not roles_of(team, actor):
        raise UserError("agenda.topic_not_yours", topic=f"T{row.number}", author=row.added_by)
    if row.status is TopicStatus.CLOSED:
        raise UserError("agenda.topic_closed", topic=f"T{row.number}")
    outcome = " ".join(outcome.split())
    if not outcome:
        raise UserError("agenda.outcome_missing", topic=f"T{row.number}")
    row.status, row.outcome, row.closed_by, row.closed_at = TopicStatus.CLOSED, outcome, actor, now
    session.flush()
    _audit(session, team, actor, "agenda_topic.close", row, {"status": "open"}, {"status": "closed", "outcome": outcome}, now)
    return _view(row)


def _audit(session, team: AlignmentTeam, actor: str, action: str, row: AgendaTopic, before, after, now: datetime) -> None:
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action=action,
        entity_type="agenda_topic", entity_id=row.id, before=before, after=after, now=now,
    )  # fmt: skip
