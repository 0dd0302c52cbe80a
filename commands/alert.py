"""`/alinea alert new KEY rises|falls BY [points|%] within HOURS` (alerta nueva … sube|baja …),
`/alinea alert list` (lista) and `/alinea alert delete N` (borrar)."""

from __future__ import annotations

from bot.blocks import Reply
from bot.blocks.alerts import created_reply, deleted_reply, listing_reply
from commands.context import CommandRequest, team_of, dispatch_subword
from domain.locales import team_locale
from db.session import read_only
from domain.alerts import parse_alert
from domain.errors import UserError
from domain.numbers import typed_whole
from services import alerts

ACTIONS = {"new": "new", "nueva": "new", "nuevo": "new", "list": "list", "lista": "list", "delete": "delete", "borrar": "delete"}


def handle(request: CommandRequest) -> Reply:
    return dispatch_subword(request, ACTIONS, {"new": new, "list": listing, "delete": delete}, usage_id="alert.ui.usage")


def new(request: CommandRequest, rest: str) -> Reply:
    spec = parse_alert(rest, language=request.locale)
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        return created_reply(alerts.create(session, team=team, spec=spec, actor=request.user_id, now=request.now), team_locale(team))


def listing(request: CommandRequest, _rest: str) -> Reply:
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        return listing_reply(alerts.listing(session, team=team), team_locale(team))


def delete(request: CommandRequest, rest: str) -> Reply:
    rule_id = typed_whole(rest.strip().lstrip("#"))
    if rule_id is None:
        raise UserError("alert.ui.delete_usage")
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        view = alerts.delete(session, team=team, rule_id=rule_id, actor=request.user_id, now=request.now)
        return deleted_reply(view, team_locale(team))
