"""What a person's App Home shows, gathered from the database: no Slack, no rendering.

Which teams are "theirs" (one rule, kept simple): every alignment team of the workspace in
which the person
- holds a role (marketing lead, sales lead, admin), or
- owns a key result of an active objective, or
- is the named responsible lead of an SLA commitment version in force or proposed, or of a
  breach still open.
Teams come in the order they were set up; only the first `max_teams` are gathered in full, the
rest are named (with their channel) so the Home stays within Slack's limits.

For each team in full:
- the weekly KPIs: the primary and the two supporting KPIs for the last complete week (the
  week before today's, in the team's timezone), against the week before and against the target
  the team agreed; the same facts the weekly agenda shows (`agenda_facts.kpi_facts`);
- every SLA commitment (`sla.listing`) and the open breaches waiting for *this person's*
  acknowledgement: not yet acknowledged, and the person is among those the acknowledgement
  rule allows (`BreachView.may_acknowledge`: the responsible lead, the side's other leads, the
  team's admins; `breach_acknowledgement.acknowledge` checks the same list);
- the key results the person owns in active objectives (from the team's OKR board);
- the agreed glossary terms (the version in force of each), name and definition.

Every query is scoped by the workspace: teams are looked up within `workspace_id`, and every
per-team read goes through the team, whose rows carry the same workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from db.models import (
    AlignmentTeam,
    BreachStatus,
    ObjectiveStatus,
    OkrKeyResult,
    OkrObjective,
    SlaBreach,
    SlaCommitment,
    SlaStatus,
    SlaVersion,
    TeamMember,
    TeamRole,
)
from domain.periods import Period, local_date
from services import agenda_facts, glossary, kpis, okr, sla, sla_breaches
from services.agenda_facts import KpiFact
from services.okr import Board, KeyResultView
from services.sla import CommitmentRow
from services.sla_breaches import BreachView
from services.teams import roles_of

MAX_TEAMS = 5  # gathered in full; the bot's renderer uses the same number
SUPPORTING_KPIS = 2
_ROLE_ORDER = (TeamRole.MARKETING_LEAD, TeamRole.SALES_LEAD, TeamRole.ADMIN)


@dataclass(frozen=True)
class GlossaryEntry:
    name: str
    definition: str


@dataclass(frozen=True)
class TeamRef:
    name: str
    channel_id: str


@dataclass(frozen=True)
class TeamHome:
    id: int
    name: str
    channel_id: str
    locale: str  # the team's language, country and timezone: domain.locales.team_locale() reads them
    country: str
    timezone: str
    roles: tuple[TeamRole, ...]  # the person's, in a fixed order; empty: a KR owner or responsible lead only
    reported: Period  # the last complete week
    primary: KpiFact | None
    supporting: tuple[KpiFact, ...]
    sla: tuple[CommitmentRow, ...]
    to_acknowledge: tuple[BreachView, ...]  # open breaches the person may acknowledge
    key_results: tuple[KeyResultView, ...]  # the person's, in active objectives
    glossary: tuple[GlossaryEntry, ...]  # agreed terms, by name

    @property
    def has_primary_or_supporting(self) -> bool:
        return self.primary is not None or bool(self.supporting)


@dataclass(frozen=True)
class Home:
    user_id: str
    teams: tuple[TeamHome, ...]
    more_teams: tuple[TeamRef, ...] = ()  # beyond the ones gathered in full

    @property
    def empty(self) -> bool:
        return not self.teams and not self.more_teams


def teams_for(session: Session, *, workspace_id: int, user_id: str) -> list[AlignmentTeam]:
    """The person's alignment teams in this workspace (see the module's rule), oldest first."""
    with_role = select(TeamMember.team_id).where(TeamMember.workspace_id == workspace_id, TeamMember.slack_user_id == user_id)
    owns_kr = (
        select(OkrKeyResult.team_id)
        .join(OkrObjective, OkrObjective.id == OkrKeyResult.objective_id)
        .where(OkrKeyResult.workspace_id == workspace_id, OkrKeyResult.owner_user_id == user_id,
               OkrObjective.status == ObjectiveStatus.ACTIVE)
    )  # fmt: skip
    responsible_sla = (
        select(SlaCommitment.team_id)
        .join(SlaVersion, SlaVersion.commitment_id == SlaCommitment.id)
        .where(SlaVersion.workspace_id == workspace_id, SlaVersion.responsible_user_id == user_id,
               SlaVersion.status.in_([SlaStatus.ACTIVE, SlaStatus.PENDING]))
    )  # fmt: skip
    responsible_breach = select(SlaBreach.team_id).where(
        SlaBreach.workspace_id == workspace_id, SlaBreach.responsible_user_id == user_id,
        SlaBreach.status.not_in(sla_breaches.ENDED),
    )  # fmt: skip
    ids = union(with_role, owns_kr, responsible_sla, responsible_breach).subquery()
    return list(
        session.scalars(
            select(AlignmentTeam)
            .where(AlignmentTeam.workspace_id == workspace_id, AlignmentTeam.id.in_(select(ids.c[0])))
            .order_by(AlignmentTeam.id)
        )
    )


def waiting_for(breaches: list[BreachView], user_id: str) -> tuple[BreachView, ...]:
    """The breaches not yet acknowledged that `user_id` is allowed to acknowledge."""
    return tuple(view for view in breaches if view.status is BreachStatus.OPEN and user_id in view.may_acknowledge)


def weekly_kpis(session: Session, team: AlignmentTeam, reported: Period, board: Board) -> tuple[KpiFact | None, tuple[KpiFact, ...]]:
    """The primary KPI and the first two supporting ones (catalog order, as the weekly agenda
    picks them), each as the agenda's fact for `reported`."""
    views = kpis.catalog(session, team=team)
    chosen = [view for view in views if view.role == "primary"][:1] + [view for view in views if view.role == "support"][:SUPPORTING_KPIS]
    facts = agenda_facts.kpi_facts(session, team, chosen, reported, board)
    primary = next((fact for fact in facts if fact.role == "primary"), None)
    return primary, tuple(fact for fact in facts if fact.role == "support")


def last_complete_week(team: AlignmentTeam, now: datetime) -> Period:
    return Period.week_of(local_date(now, team.timezone)).previous()


def team_home(session: Session, *, team: AlignmentTeam, user_id: str, now: datetime) -> TeamHome:
    today = local_date(now, team.timezone)
    board = okr.board(session, team=team, today=today)
    reported = last_complete_week(team, now)
    primary, supporting = weekly_kpis(session, team, reported, board)
    mine = tuple(kr for objective in board.objectives if objective.active for kr in objective.key_results if kr.owner == user_id)
    terms = tuple(
        GlossaryEntry(term.name, term.in_force.draft.definition)
        for term in glossary.listing(session, team=team) if term.in_force is not None
    )  # fmt: skip
    roles = roles_of(team, user_id)
    return TeamHome(
        id=team.id, name=team.name, channel_id=team.channel_id, locale=team.locale, country=team.country,
        timezone=team.timezone, roles=tuple(role for role in _ROLE_ORDER if role in roles), reported=reported,
        primary=primary, supporting=supporting, sla=tuple(sla.listing(session, team=team, now=now)),
        to_acknowledge=waiting_for(sla_breaches.open_breaches(session, team=team), user_id),
        key_results=mine, glossary=terms,
    )  # fmt: skip


def home(session: Session, *, workspace_id: int, user_id: str, now: datetime, max_teams: int = MAX_TEAMS) -> Home:
    """The person's Home: their first `max_teams` teams in full, the rest by name."""
    found = teams_for(session, workspace_id=workspace_id, user_id=user_id)
    return Home(
        user_id=user_id,
        teams=tuple(team_home(session, team=team, user_id=user_id, now=now) for team in found[:max_teams]),
        more_teams=tuple(TeamRef(team.name, team.channel_id) for team in found[max_teams:]),
    )
