"""The short transactions a poster runs on one team: a read that takes no write lock (SQLite
would otherwise hold it for the whole computation, and parallel posters would time out), and a
write committed at once. Nothing is held open across a Slack call."""

from __future__ import annotations

from typing import Callable, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from domain.locales import TeamLocale, team_locale
from db.models import AlignmentTeam
from db.session import read_only

T = TypeVar("T")


class TeamSessions:
    def __init__(self, factory: sessionmaker[Session], team_id: int):
        self._factory, self._team_id = factory, team_id

    def _team(self, session: Session) -> AlignmentTeam:
        team = session.get(AlignmentTeam, self._team_id)
        assert team is not None, f"no alignment team {self._team_id}"
        return team

    def _read(self, read: Callable[[Session, AlignmentTeam], T]) -> tuple[T, TeamLocale, str]:
        """`read`'s result, with the team's locale and channel."""
        with read_only(self._factory) as session:
            team = self._team(session)
            return read(session, team), team_locale(team), team.channel_id

    def _write(self, write: Callable[[Session, AlignmentTeam], T]) -> T:
        with self._factory.begin() as session:
            return write(session, self._team(session))
