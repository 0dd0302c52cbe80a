"""`/alinea smart TEXT`: checks a goal typed in free text against SMART and answers privately
with a checklist, each failure with its fix. Read-only: nothing is saved."""

from __future__ import annotations

from datetime import datetime

from bot.blocks import Reply
from bot.blocks.smart import checklist_reply
from bot.runtime import Runtime
from commands.context import CommandRequest, Scope, team_of
from domain.locales import team_locale
from db.session import read_only
from domain.errors import UserError
from domain.examples import example_params
from domain.periods import local_date
from services import smart


def handle(request: CommandRequest) -> Reply:
    return checklist(request.runtime, request.scope, request.args, now=request.now)


def checklist(runtime: Runtime, scope: Scope, text: str, *, now: datetime) -> Reply:
    """The SMART checklist of `text` for the scope's team (also behind the what-if's button)."""
    text = text.strip()
    if not text:
        raise UserError("smart.ui.usage", **example_params(now.date(), scope.locale))
    with read_only(runtime.session_factory) as session:
        team = team_of(session, scope)
        where = team_locale(team)
        result = smart.check(session, team=team, text=text, today=local_date(now, team.timezone))
    return checklist_reply(result, where)
