"""What the glossary and SLA messages are told about the channel's team (its language, dates,
channel and leads), read from the team inside the unit of work. Its own module, not
commands/context.py: every command imports the context, and only these two need the leads."""

from __future__ import annotations

from bot.blocks.team import TeamInfo
from db.models import AlignmentTeam, TeamRole
from services.teams import members_with_role


def team_info(team: AlignmentTeam) -> TeamInfo:
    return TeamInfo(
        locale=team.locale, timezone=team.timezone, country=team.country, channel_id=team.channel_id,
        marketing_leads=tuple(members_with_role(team, TeamRole.MARKETING_LEAD)),
        sales_leads=tuple(members_with_role(team, TeamRole.SALES_LEAD)),
    )
