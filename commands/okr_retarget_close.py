"""Re-targets and closing: `okr meta KR3 [TARGET] [al DATE] razón TEXT`, a KR's new target and/or
deadline with why (visible and audited), and `okr cerrar O1`, leads and admins closing an
objective with its score. Each is posted in the team's channel.
"""

from __future__ import annotations

from bot.blocks import Reply
from bot.blocks.okr import closed_post, closed_reply, retarget_post, retargeted_reply
from commands.context import CommandRequest, team_of
from commands.okr_channel import post_to_team, team_today
from commands.okr_checkins import currency_of
from domain.errors import UserError
from domain.examples import example_params
from domain.locales import team_locale
from domain.number_style import DEFAULT_CURRENCY
from domain.okr_retarget import parse_retarget
from services import okr


def retarget(request: CommandRequest, rest: str) -> Reply:
    """`okr meta KR3 20 % al 30/06/2026 razón …`: visible and audited (okr_retargets, audit log)."""
    if not rest:
        raise UserError("okr.ui.retarget.usage", **example_params(request.now.date(), request.locale))
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        today = team_today(team, request)
        reading = {"language": team.locale, "country": team.country, "today": today}
        parsed = parse_retarget(rest, **reading)
        row = okr.find_key_result(session, team=team, reference=parsed.kr_number)
        if currency_of(row) != DEFAULT_CURRENCY:
            parsed = parse_retarget(rest, currency=currency_of(row), **reading)
        target = parsed.target
        if target is not None and target.unit and target.unit != row.unit:
            if row.unit is None:
                raise UserError("okr.ui.retarget.unitless", kr=parsed.kr, unit=target.unit)
            raise UserError("okr.ui.retarget.wrong_unit", kr=parsed.kr, unit=target.unit, expected=row.unit)
        result = okr.retarget(
            session, team=team, actor=request.user_id, reference=parsed.kr, target=target.value if target else None,
            deadline=parsed.deadline, reason=parsed.reason, now=request.now,
        )
        where, channel = team_locale(team), team.channel_id
    kr = result.key_result
    posted = post_to_team(request, channel, retarget_post(result, where, actor=request.user_id), claim=f"okr-retarget-{kr.id}-{kr.retargets}")
    return retargeted_reply(result, where, channel_id=channel, posted=posted)


def close(request: CommandRequest, rest: str) -> Reply:
    reference = rest.split()[0] if rest.split() else ""
    if not reference:
        raise UserError("okr.ui.close.usage")
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        view = okr.close_objective(session, team=team, actor=request.user_id, reference=reference, now=request.now)
        where, channel = team_locale(team), team.channel_id
    posted = post_to_team(request, channel, closed_post(view, where, actor=request.user_id), claim=f"okr-close-{view.id}")
    return closed_reply(view, where, channel_id=channel, posted=posted)
