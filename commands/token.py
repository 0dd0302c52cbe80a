"""`/alinea token create|rotate|revoke [PREFIX]|list` (crear, rotar, revocar, lista): the team's
tokens for the ingest API (`POST /api/v1/teams/{channel}/metrics`, see openapi.yaml).

Team admins and Slack workspace admins or owners only (the rule of `/alinea setup`), in the
team's channel. A new token is shown once, in the private reply to the admin who asked.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.blocks import Reply
from bot.blocks import token as blocks
from commands.context import CommandRequest, is_workspace_admin, team_of
from db.models import AlignmentTeam, Kpi
from domain.commands import fold
from domain.errors import UserError
from domain.kpis import Aggregation
from domain.periods import Period, local_date
from services import ingest

CREATE, ROTATE, REVOKE, LIST = "create", "rotate", "revoke", "list"
WORDS = {
    "create": CREATE, "crear": CREATE, "new": CREATE, "nuevo": CREATE,
    "rotate": ROTATE, "rotar": ROTATE,
    "revoke": REVOKE, "revocar": REVOKE,
    "list": LIST, "lista": LIST, "listar": LIST, "ver": LIST, "show": LIST,
}


def handle(request: CommandRequest) -> Reply:
    words = request.args.split()
    action = WORDS.get(fold(words[0])) if words else LIST
    if action is None:
        raise UserError("ingest.unknown_action", word=words[0])
    extra = words[1:]
    if extra and action != REVOKE or len(extra) > 1:
        raise UserError("ingest.unknown_action", word=" ".join(words))
    admin = is_workspace_admin(request.client, request.user_id)  # Slack first: no lock held across the network
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        common = dict(team=team, actor=request.user_id, is_workspace_admin=admin)
        if action == LIST:
            tokens = ingest.active_tokens(session, **common)
            return blocks.listing(request.locale, tokens, country=team.country, timezone=team.timezone)
        if action == REVOKE:
            revoked = ingest.revoke_tokens(session, **common, now=request.now, prefix=extra[0] if extra else None)
            return blocks.revoked(request.locale, revoked)
        issue = ingest.rotate_token if action == ROTATE else ingest.create_token
        token = issue(session, **common, now=request.now)
        kpi, period = _example(session, team, request)
    return blocks.issued(
        request.locale, token=token.plain, prefix=token.prefix, replaced=token.replaced, rotated=action == ROTATE,
        channel_id=team.channel_id, kpi=kpi, period=period,
    )


def _example(session, team: AlignmentTeam, request: CommandRequest) -> tuple[str, str]:
    """One of the team's own KPIs (not a rate) and the current week, for the example request."""
    keys = session.scalars(
        select(Kpi.key).where(
            Kpi.team_id == team.id, Kpi.archived_at.is_(None), Kpi.aggregation != Aggregation.RATE.value,
        ).order_by(Kpi.key)
    ).all()
    kpi = "orders" if "orders" in keys or not keys else keys[0]
    return kpi, Period.week_of(local_date(request.now, team.timezone)).key
