"""`/alinea smart TEXT`: checks a goal typed in free text against SMART and answers privately
with a checklist, each failure with its fix. Read-only: nothing is saved."""

from __future__ import annotations

from bot.blocks import Reply
from bot.blocks.smart import checklist_reply
from commands.context import CommandRequest, team_of
from bot.blocks.kpi import team_locale
from db.session import read_only
from domain.errors import UserError
from domain.examples import example_params
from domain.periods import local_date
from services import smart


def handle(request: CommandRequest) -> Reply:
    text = request.args.strip()
    if not text:
        raise UserError("smart.ui.usage", **example_params(request.now.date(), request.locale))
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        where = team_locale(team)
        result = smart.check(session, team=team, text=text, today=local_date(request.now, team.timezone))
    return checklist_reply(result, where)
