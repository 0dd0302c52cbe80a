"""Alignment teams: set up in a channel, changed later by their admins, every change audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from db import repositories
from db.models import AlignmentTeam, TeamMember, TeamRole
from domain.errors import UserError
from domain.meetings import MeetingSchedule
from domain.setup import SetupChanges
from services import audit

ROLE_FIELDS = {
    TeamRole.MARKETING_LEAD: "marketing_leads",
    TeamRole.SALES_LEAD: "sales_leads",
    TeamRole.ADMIN: "admins",
}
SCALAR_FIELDS = {
    "name": "name",
    "timezone": "timezone",
    "language": "locale",
    "country": "country",
    "weekly_weekday": "weekly_meeting_weekday",
    "weekly_time": "weekly_meeting_time",
    "monthly_nth": "monthly_meeting_nth",
    "monthly_weekday": "monthly_meeting_weekday",
    "monthly_time": "monthly_meeting_time",
    "work_start": "work_start",
    "work_end": "work_end",
    "agenda_lead_minutes": "agenda_lead_minutes",
    "llm_enabled": "llm_enabled",  # False: the team's summaries use the offline narrator
}


@dataclass(frozen=True)
class TeamDefaults:
    timezone: str
    locale: str
    country: str = "CO"


@dataclass(frozen=True)
class SetupResult:
    team: AlignmentTeam
    created: bool
    changed: tuple[str, ...]  # snapshot keys whose value changed


def members_with_role(team: AlignmentTeam, role: TeamRole) -> list[str]:
    return sorted(member.slack_user_id for member in team.members if member.role is role)


def roles_of(team: AlignmentTeam, user_id: str) -> set[TeamRole]:
    return {member.role for member in team.members if member.slack_user_id == user_id}


def can_change_setup(team: AlignmentTeam, user_id: str, *, is_workspace_admin: bool) -> bool:
    return is_workspace_admin or TeamRole.ADMIN in roles_of(team, user_id)


def snapshot(team: AlignmentTeam) -> dict[str, Any]:
    """The configuration as plain JSON-able data: what the audit log keeps and `setup show` prints."""
    data: dict[str, Any] = {field: _plain(getattr(team, column)) for field, column in SCALAR_FIELDS.items()}
    data["channel_id"] = team.channel_id
    data["work_days"] = [int(day) for day in team.work_days.split(",") if day.strip()]
    for role, field in ROLE_FIELDS.items():
        data[field] = members_with_role(team, role)
    return data


def _plain(value: Any) -> Any:
    return value.strftime("%H:%M") if isinstance(value, time) else value


def setup_team(
    session: Session,
    *,
    workspace_id: int,
    channel_id: str,
    channel_name: str,
    actor: str,
    is_workspace_admin: bool,
    changes: SetupChanges,
    defaults: TeamDefaults,
    now: datetime,
) -> SetupResult:
    """Create the channel's team (the first person becomes its admin) or change it (admins only)."""
    team = repositories.team_by_channel(session, workspace_id=workspace_id, channel_id=channel_id)
    created = team is None
    if team is None:
        team = _new_team(session, workspace_id, channel_id, channel_name, actor, defaults, now)
        before = None
    elif not can_change_setup(team, actor, is_workspace_admin=is_workspace_admin):
        raise UserError("setup.not_allowed")
    else:
        before = snapshot(team)
    _apply(session, team, changes, workspace_id=workspace_id, now=now)
    after = snapshot(team)
    changed = tuple(key for key in after if before is None or before.get(key) != after[key])
    if changed or created:
        audit.record(
            session, workspace_id=workspace_id, team_id=team.id, actor=actor,
            action="alignment_team.created" if created else "alignment_team.updated", entity_type="alignment_team", entity_id=team.id,
            before=before, after=after, now=now,
        )
    return SetupResult(team=team, created=created, changed=changed)


def _new_team(
    session: Session, workspace_id: int, channel_id: str, channel_name: str, actor: str, defaults: TeamDefaults, now: datetime
) -> AlignmentTeam:
    team = AlignmentTeam(
        workspace_id=workspace_id, channel_id=channel_id, name=_free_name(session, workspace_id, channel_name or channel_id, channel_id),
        timezone=defaults.timezone, locale=defaults.locale, country=defaults.country,
        weekly_meeting_weekday=0, weekly_meeting_time=time(9, 0), weekly_meeting_minutes=30,
        monthly_meeting_nth=1, monthly_meeting_weekday=1, monthly_meeting_time=time(9, 0), monthly_meeting_minutes=60,
        created_at=now, updated_at=now,
    )
    team.members.append(TeamMember(workspace_id=workspace_id, slack_user_id=actor, role=TeamRole.ADMIN))
    session.add(team)
    session.flush()
    return team


def _free_name(session: Session, workspace_id: int, wanted: str, channel_id: str) -> str:
    taken = {team.name.casefold() for team in repositories.teams_of_workspace(session, workspace_id=workspace_id)}
    return wanted if wanted.casefold() not in taken else f"{wanted}-{channel_id}"


def _apply(session: Session, team: AlignmentTeam, changes: SetupChanges, *, workspace_id: int, now: datetime) -> None:
    if changes.name is not None and changes.name.casefold() != team.name.casefold():
        others = repositories.teams_matching(session, reference=changes.name, workspace_id=workspace_id)
        if any(other.id != team.id for other in others):
            raise UserError("setup.name_taken", name=changes.name)
    for field, column in SCALAR_FIELDS.items():
        value = getattr(changes, field)
        if value is not None:
            setattr(team, column, value)
    if changes.work_days is not None:
        team.work_days = ",".join(str(day) for day in sorted(set(changes.work_days)))
    for role, field in ROLE_FIELDS.items():
        wanted = getattr(changes, field)
        if wanted is not None:
            _replace_role(team, role, wanted, workspace_id)
    if not members_with_role(team, TeamRole.ADMIN):
        raise UserError("setup.needs_an_admin")
    team.updated_at = now
    session.flush()


def _replace_role(team: AlignmentTeam, role: TeamRole, user_ids: tuple[str, ...], workspace_id: int) -> None:
    wanted = set(user_ids)
    for member in [m for m in team.members if m.role is role and m.slack_user_id not in wanted]:
        team.members.remove(member)
    present = set(members_with_role(team, role))
    for user_id in user_ids:
        if user_id not in present:
            team.members.append(TeamMember(workspace_id=workspace_id, slack_user_id=user_id, role=role))
            present.add(user_id)


def meeting_schedule(team: AlignmentTeam) -> MeetingSchedule:
    """The team's meeting settings as `domain.meetings` reads them."""
    return MeetingSchedule(
        timezone=team.timezone, country=team.country or "CO",
        weekly_meeting_weekday=team.weekly_meeting_weekday, weekly_meeting_time=team.weekly_meeting_time,
        weekly_meeting_minutes=team.weekly_meeting_minutes, monthly_meeting_nth=team.monthly_meeting_nth,
        monthly_meeting_weekday=team.monthly_meeting_weekday, monthly_meeting_time=team.monthly_meeting_time,
        monthly_meeting_minutes=team.monthly_meeting_minutes,
        work_days=tuple(int(day) for day in team.work_days.split(",") if day.strip()),
        agenda_lead_time=timedelta(minutes=team.agenda_lead_minutes or 120),
    )  # fmt: skip
