"""What every OKR command shares: its context (a slash command, or a button or modal), the team's
today, and posting what the team should see in its channel.

A post carries a claim id, so a retry never posts twice; a post that fails does not undo the
committed change: the person is told it was saved but not posted.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Union

from bot.blocks import Reply
from bot.notifier import POST_FAILURES, Message
from commands.context import CommandRequest, Interaction
from db.models import AlignmentTeam
from domain.periods import local_date

logger = logging.getLogger(__name__)

Context = Union[CommandRequest, Interaction]


def team_today(team: AlignmentTeam, ctx: Context) -> date:
    return local_date(ctx.now, team.timezone)


def post_to_team(ctx: Context, channel: str, reply: Reply, *, claim: str) -> bool:
    """Post what the team should see; False (logged) when Slack would not take it. The change
    is already committed, so a failed post is said in the reply, not raised."""
    try:
        ctx.notifier.post(channel=channel, message=Message(reply.text, reply.blocks), claim=claim)
        return True
    except POST_FAILURES:
        logger.warning("could not post %s in %s", claim, channel, exc_info=True)
        return False
