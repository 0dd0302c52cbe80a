"""What a handler receives (a subcommand's request, a button press or a modal submission, the
errors a modal shows beside its fields), and how a request finds its workspace, team and language
and whether the person is one of Slack's admins."""

from __future__ import annotations

import json
import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session

from bot.blocks import Reply
from bot.notifier import Notifier
from bot.runtime import Runtime
from commands.modal_state import Submitted
from domain.locales import normalize_locale
from db import repositories
from db.models import AlignmentTeam
from domain.commands import fold, unknown_word
from domain.errors import UserError
from db.session import read_only
from services import native_blocks, workspaces
from services.i18n import t

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scope:
    """Who and where: resolved once per request, in a short read transaction."""

    workspace_id: int
    slack_team_id: str
    team_id: int | None  # the alignment team bound to this channel, if any
    locale: str


class AckedRequest:
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
class CommandRequest(AckedRequest):
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


@dataclass(frozen=True)
class Interaction(AckedRequest):
    """A button press or a modal submission, after the ack, with its scope resolved."""

    runtime: Runtime
    client: WebClient
    scope: Scope
    user_id: str
    channel_id: str | None
    value: Any  # the button's value, or the modal's validated submission
    message_ts: str | None
    trigger_id: str | None
    now: datetime
    ephemeral: bool = False  # the button was on an ephemeral message (no chat.update for it)
    from_home: bool = False  # see AckedRequest
    message: dict[str, Any] | None = None  # the message the button was on, as Slack sent it (blocks included)


InteractionHandler = Callable[[Interaction], Reply | None]
# A view validator gets the submitted state and the modal's metadata; it returns the parsed
# submission or raises FieldErrors for the fields to flag.
ViewValidator = Callable[[Submitted, dict[str, Any]], Any]


class FieldErrors(Exception):
    """Problems to show beside a modal's fields: block_id -> message id, or (message id, params)."""

    def __init__(self, errors: dict[str, str | tuple[str, dict[str, Any]]]):
        super().__init__(errors)
        self.errors = errors

    def texts(self, locale: str) -> dict[str, str]:
        def text(message: str | tuple[str, dict[str, Any]]) -> str:
            message_id, params = (message, {}) if isinstance(message, str) else message
            return t(locale, message_id, **params)

        return {block: text(message) for block, message in self.errors.items()}


def modal_metadata(*, channel_id: str | None, locale: str, from_home: bool = False, **extra: Any) -> str:
    """What a modal carries to its submission; `from_home` when a Home button opened it (the
    submission then publishes the Home again)."""
    return json.dumps({"channel_id": channel_id, "locale": locale, **({"home": True} if from_home else {}), **extra})


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


def is_workspace_admin(client: WebClient, user_id: str) -> bool:
    """Slack's own admins and owners may change any team's setup (asked every time: not cached)."""
    try:
        user = client.users_info(user=user_id)["user"]
    except (SlackApiError, SlackClientError, OSError, KeyError):
        logger.warning("users.info failed; treating %s as a regular member", user_id)
        return False
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


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


def native_refused_in(runtime: Runtime, slack_team_id: str) -> Callable[[], None]:
    """What remembers, for the workspace, that its Slack refused native chart or table blocks
    (`services.native_blocks`): called once Slack has answered `invalid_blocks` for them."""

    def remember() -> None:
        with runtime.session_factory.begin() as session:
            native_blocks.record_refused_in(session, slack_team_id=slack_team_id, now=runtime.clock())

    return remember
