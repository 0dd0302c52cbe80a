"""What a subcommand handler receives, and how a request finds its workspace, team and language."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session

from bot.blocks import Reply
from bot.notifier import Notifier
from bot.runtime import Runtime
from domain.locales import normalize_locale
from db import repositories
from db.models import AlignmentTeam
from domain.commands import fold, unknown_word
from domain.errors import UserError
from db.session import read_only
from services import workspaces

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """Who and where: resolved once per request, in a short read transaction."""

    workspace_id: int
    slack_team_id: str
    team_id: int | None  # the alignment team bound to this channel, if any
    locale: str


class Handled:
    """What every request after its ack shares (a command, a button, a modal): the person's
    language, a notifier, and units of work. Subclasses provide runtime, client and scope."""

    runtime: Runtime
    client: WebClient
    scope: Scope
    # Pressed on the App Home, or submitted in a modal a Home button opened: the Home is
    # published again afterwards (commands/runner.py). Only interactions can be.
    from_home = False

    @property
    def locale(self) -> str:
        return self.scope.locale

    @property
    def notifier(self) -> Notifier:
        return Notifier(self.client)

    def unit_of_work(self) -> AbstractContextManager[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        return self.runtime.session_factory.begin()


@dataclass(frozen=True)
class CommandRequest(Handled):
    runtime: Runtime
    client: WebClient
    scope: Scope
    user_id: str
    channel_id: str | None
    word: str  # the subcommand as typed (folded)
    args: str  # the rest, entities decoded: what the person typed
    now: datetime
    trigger_id: str | None = None  # for opening a modal (valid for 3 seconds)


@dataclass(frozen=True)
class Subcommand:
    name: str
    aliases: tuple[str, ...]
    handler: Callable[[CommandRequest], Reply]
    summary_id: str  # message id of a one-line description
    example_id: str  # message id of an example, in the reader's language

    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def team_of(session: Session, scope: Scope) -> AlignmentTeam:
    """The alignment team bound to the request's channel, or the hint to set one up."""
    team = session.get(AlignmentTeam, scope.team_id) if scope.team_id is not None else None
    if team is None or team.workspace_id != scope.workspace_id:
        raise UserError("team.not_set_up")
    return team


def resolve_scope(runtime: Runtime, client: WebClient, *, slack_team_id: str, user_id: str, channel_id: str | None) -> Scope:
    """The workspace (created on first contact), the channel's team, and the language to answer in:
    the team's; else the person's Slack locale; else the workspace's default."""
    with read_only(runtime.session_factory) as session:  # the common case takes no write lock
        found = _lookup(session, slack_team_id, channel_id)
    if found is None:
        with runtime.session_factory.begin() as session:
            workspaces.ensure_workspace(
                session, slack_team_id=slack_team_id, defaults=runtime.workspace_defaults, now=runtime.clock()
            )
            found = _lookup(session, slack_team_id, channel_id)
    assert found is not None
    workspace_id, team_id, team_locale, default_locale = found
    # The Slack call happens after the transaction: never hold a lock across the network.
    locale = team_locale or cached_user_locale(runtime, client, slack_team_id, user_id) or default_locale
    return Scope(workspace_id=workspace_id, slack_team_id=slack_team_id, team_id=team_id, locale=locale)


def _lookup(session: Session, slack_team_id: str, channel_id: str | None) -> tuple[int, int | None, str | None, str] | None:
    workspace = repositories.workspace_by_slack_id(session, slack_team_id=slack_team_id)
    if workspace is None:
        return None
    team = workspaces.team_for_channel(session, workspace_id=workspace.id, channel_id=channel_id)
    return workspace.id, (team.id if team else None), (team.locale if team else None), workspace.default_locale


def cached_user_locale(runtime: Runtime, client: WebClient, slack_team_id: str, user_id: str) -> str | None:
    key = (slack_team_id, user_id)
    locale = runtime.user_locales.get(key)
    if locale is None:
        locale = slack_user_locale(client, user_id)
        if locale is not None:  # a failed lookup is retried next time, not remembered
            runtime.user_locales.put(key, locale)
    return locale


def slack_user_locale(client: WebClient, user_id: str) -> str | None:
    try:
        response = client.users_info(user=user_id, include_locale=True)
    except (SlackApiError, SlackClientError, OSError):
        logger.info("users.info failed; answering in the workspace language", exc_info=True)
        return None
    return normalize_locale((response.get("user") or {}).get("locale"))


SubwordHandler = Callable[["CommandRequest", str], Reply | None]


def dispatch_subword(
    request: CommandRequest, words: Mapping[str, str], handlers: Mapping[str, SubwordHandler], *, usage_id: str,
    default: str | None = None,
) -> Reply | None:
    """`/alinea sla WORD rest…`: runs the handler WORD names (either language, accents and case
    forgiven) with the rest of the line. No word runs `default`; an unknown one raises
    `usage_id`, or `usage_id` + "_suggest" with the closest word."""
    word, _, rest = request.args.strip().partition(" ")
    if not word and default is not None:
        return handlers[default](request, "")
    action = words.get(fold(word))
    if action is None:
        raise unknown_word(word, words if word else (), usage_id, suggestion_id=f"{usage_id}_suggest")
    return handlers[action](request, rest.strip())
