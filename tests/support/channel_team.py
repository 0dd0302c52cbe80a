"""The team of #alineacion (C0TEAM) in the loopback Slack's workspace, for the end-to-end tests:
set up through the services as people would, loaded in any later session, and `act`: one
service call on it in its own unit of work.

`tests/slack/conftest.py` builds its `team` fixture with `set_up_team`; a test module says
which team with `pytest.mark.team(now=..., ...)` (the language is the test's parameter).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from sqlalchemy.orm import Session

from bot.loopback import LoopbackBot
from db import repositories
from db.models import AlignmentTeam
from domain.setup import SetupChanges
from services import kpis, teams, workspaces
from services.teams import TeamDefaults

CHANNEL = "C0TEAM"
ANA, LUIS, CARO = "U0ANA", "U0LUIS", "U0CARO"  # the marketing lead, a sales lead, who sets the team up


def set_up_team(
    bot: LoopbackBot, *, now: datetime, language: str = "es", country: str | None = None, sales: tuple[str, ...] = (LUIS,),
    admins: tuple[str, ...] = (), starter_kpis: bool = False, kpis_by: str = ANA,
) -> None:
    """Caro sets up the channel's team (Ana its marketing lead, `sales` its sales leads) in
    `language`; `starter_kpis`: then `kpis_by` enables the starter KPIs, named in that language."""
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=now)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=CHANNEL, channel_name="alineacion", actor=CARO,
            is_workspace_admin=False, defaults=TeamDefaults("America/Bogota", "es"), now=now,
            changes=SetupChanges(
                marketing_leads=(ANA,), sales_leads=sales, language=language, country=country, **({"admins": admins} if admins else {}),
            ),
        )
        if starter_kpis:
            kpis.enable_starter_set(session, team=load_team(session, bot), actor=kpis_by, now=now, language=language)


def load_team(session: Session, bot: LoopbackBot) -> AlignmentTeam:
    workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
    return repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)


def act(bot: LoopbackBot, action: Callable[..., Any], **kwargs: Any) -> Any:
    """`action(session, team=…, **kwargs)` in one unit of work, committed when it returns."""
    with bot.runtime.session_factory.begin() as session:
        return action(session, team=load_team(session, bot), **kwargs)
