"""`/alinea okr …`: objectives and key results shared by marketing and sales.

    okr | okr list | lista                      the board: active objectives, each KR with its bar,
                                                status, value, deadline and owner (privately)
    okr all | todos                             … closed objectives too
    okr new | nuevo                             a form: the objective and its first key result
    okr new | nuevo [comprometido|aspiracional] TITLE    the objective alone; KRs follow in one line
    okr kr [add | agregar] O1 LINE              a key result in one line (domain.okr_kr_line.parse_key_result)
    okr checkin KR3 VALUE [confianza N] [nota]  a check-in; `KR3 confianza 6 nota` on a KPI-backed KR
    okr checkin                                 a form with the KRs I own (the reminder's button too)
    okr retarget | meta KR3 [TARGET] [al DATE] razón TEXT   a new target and/or deadline, with why
    okr close | cerrar O1                       leads and admins close an objective
    okr show | ver O1 | KR3                     one objective or key result in detail

Every write is one unit of work, committed before anything is posted (no lock held across the
network). What the team should see (a new objective, a KR added, a re-target, a closing) is
posted in the team's channel with a claim id, so a retry never posts twice; a post that fails
does not undo the committed change: the person is told it was saved but not posted.

This module holds the subcommand table and the board. New objectives are in
commands/okr_objectives.py, key results (the fields both forms share) in commands/okr_key_results.py,
check-ins in commands/okr_checkins.py, re-targets and closing in commands/okr_retarget_close.py, and
what they all use (the team's day, posting in its channel) in commands/okr_channel.py.

Modals are validated before the ack with pure checks (numbers read the team's way, dates, the
KPI's direction, confidence, owner), so mistakes show beside their fields; what needs the
database is checked by the service after the ack, and a refusal changes nothing.
"""

from __future__ import annotations

from typing import Callable

from bot.blocks import Reply
from bot.blocks.okr import RetargetShown, board_reply, key_result_detail, objective_detail
from commands import okr_checkins, okr_key_results, okr_objectives, okr_retarget_close
from commands.context import CommandRequest, team_of, dispatch_subword
from commands.okr_channel import team_today
from db.session import read_only
from domain.commands import fold
from domain.errors import UserError
from domain.locales import team_locale
from services import okr

WORDS = {
    "list": "list", "lista": "list", "all": "all", "todos": "all", "todas": "all",
    "new": "new", "nuevo": "new", "nueva": "new", "kr": "kr",
    "checkin": "checkin", "check-in": "checkin", "avance": "checkin",
    "retarget": "retarget", "meta": "retarget", "close": "close", "cerrar": "close",
    "show": "show", "ver": "show",
}


def handle(request: CommandRequest) -> Reply | None:
    return dispatch_subword(request, WORDS, HANDLERS, usage_id="okr.ui.usage", default="list")


def board(request: CommandRequest, _rest: str, *, include_closed: bool = False) -> Reply:
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        shown = okr.board(session, team=team, today=team_today(team, request), include_closed=include_closed)
        where = team_locale(team)
    return board_reply(shown, where, include_closed=include_closed)


def board_all(request: CommandRequest, rest: str) -> Reply:
    return board(request, rest, include_closed=True)


def show(request: CommandRequest, rest: str) -> Reply:
    """`okr ver O1` or `okr ver KR3`."""
    reference = rest.strip()
    if not reference:
        raise UserError("okr.ui.show.usage")
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        today, where = team_today(team, request), team_locale(team)
        if fold(reference).startswith("o"):
            return objective_detail(okr.objective(session, team=team, reference=reference, today=today), where)
        kr = okr.key_result(session, team=team, reference=reference, today=today)
        parent = okr.objective(session, team=team, reference=str(kr.objective_number), today=today)
        retargets = [
            RetargetShown(r.old_target, r.new_target, r.old_deadline, r.new_deadline, r.reason, r.user_id, r.at)
            for r in okr.retargets_of(session, team=team, reference=kr.short_id)
        ]
    return key_result_detail(kr, parent, retargets, where)


HANDLERS: dict[str, Callable[[CommandRequest, str], Reply | None]] = {
    "list": board, "all": board_all, "show": show,
    "new": okr_objectives.new, "kr": okr_key_results.key_result, "checkin": okr_checkins.checkin,
    "retarget": okr_retarget_close.retarget, "close": okr_retarget_close.close,
}
