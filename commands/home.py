"""The App Home tab: rebuilt and published (views.publish, through the Notifier) every time a
person opens it, and again right after they press one of its buttons (commands/runner.py).

    app_home_opened, tab "home"  -> (on the work queue) read the person's teams in one read-only
                                    transaction (services/home.py), pick the language (their
                                    Slack locale, else the workspace's default; each team's part
                                    in the team's language), render (bot/blocks/home.py), publish
    tab "messages"                -> ignored (the DM with the bot; spreadsheets arrive there)

The Home carries one native table (every team's weekly KPIs; see bot/blocks/home.py) unless the
workspace's Slack refused native blocks in the last day (`services.native_blocks`, the memory the
agendas and `/alinea kpi show` share). When views.publish answers `invalid_blocks` for a view that
holds the table, the refusal is remembered for the workspace and the same Home is published once
more without it: its numbers are in the KPI lines.

Nothing is claimed: publishing the same person's Home twice shows the same thing, so a Slack
retry or two quick opens only rebuild it. The work runs after Bolt's ack, on the bounded queue
like every other listener; a full queue skips this open (the next open rebuilds it).

The Acknowledge and Check in buttons on the Home are the channel messages' own (the same
action ids and values), answered by commands/sla_breach.py and commands/okr_checkins.py; the runner
finds their team from the block id (bot/blocks/home.py), since a Home view has no channel.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import metrics
from bot.blocks import home as home_blocks
from bot.blocks.native import is_native, without_native
from bot.errors import describe
from bot.middleware import runtime_of
from bot.notifier import Notifier
from bot.runtime import Runtime
from bot.workqueue import WorkQueueFull
from commands.context import cached_user_locale, native_refused_in
from db import repositories
from db.session import read_only
from services import home, native_blocks

logger = logging.getLogger(__name__)

EVENT = "app_home_opened"
HOME_TAB = "home"


def on_home_opened(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Bolt listener (events are acked by Bolt): only the Home tab, then the work on the queue."""
    user_id = str(event.get("user") or "")
    if event.get("tab") != HOME_TAB or not user_id:
        return
    runtime = runtime_of(context)
    slack_team_id = str(body.get("team_id") or context.team_id or "")
    try:
        slot = runtime.work.reserve(EVENT)
    except WorkQueueFull:
        logger.warning("work queue full; not rebuilding the Home of %s this time", user_id)
        return
    slot.run(lambda: publish_home(runtime, client, slack_team_id=slack_team_id, user_id=user_id))


def publish_home(runtime: Runtime, client: WebClient, *, slack_team_id: str, user_id: str) -> None:
    """Build the person's Home and publish it; a failure shows its short text there instead."""
    default_locale, native = runtime.settings.default_locale, False
    try:
        with read_only(runtime.session_factory) as session:  # a read: no write lock, nothing to commit
            workspace = repositories.workspace_by_slack_id(session, slack_team_id=slack_team_id)
            if workspace is None:  # first contact: nobody has set up a team here yet
                found = home.Home(user_id=user_id, teams=())
            else:
                default_locale = workspace.default_locale
                native = native_blocks.allowed(session, workspace_id=workspace.id, now=runtime.clock())
                found = home.home(session, workspace_id=workspace.id, user_id=user_id, now=runtime.clock(), max_teams=home_blocks.MAX_TEAMS)
        # The Slack call for the person's language comes after the transaction.
        language = cached_user_locale(runtime, client, slack_team_id, user_id) or default_locale
        view = home_blocks.home_view(found, language=language, native=native)
    except Exception as error:  # logged with a reference by describe(); the person sees its short text
        view = home_blocks.error_view(describe(error, default_locale))
    try:
        _publish(runtime, Notifier(client), slack_team_id=slack_team_id, user_id=user_id, view=view)
    except (SlackApiError, SlackClientError, OSError):
        logger.warning("could not publish the Home of %s", user_id, exc_info=True)


def _publish(runtime: Runtime, notifier: Notifier, *, slack_team_id: str, user_id: str, view: dict[str, Any]) -> None:
    """views.publish; when Slack refuses the view's native table (`invalid_blocks`, and Slack
    published nothing), remembered for the workspace and published once more without it."""
    try:
        notifier.publish_home(user_id=user_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") != "invalid_blocks" or not any(is_native(block) for block in view["blocks"]):
            raise
        logger.warning("Slack refused native blocks in the Home of %s (%s); text only in this workspace for a day",
                       user_id, error.response.get("errors"))  # fmt: skip
        metrics.slack_api_retry("views.publish", "native_blocks_refused")
        native_refused_in(runtime, slack_team_id)()
        notifier.publish_home(user_id=user_id, view={**view, "blocks": without_native(view["blocks"])})
