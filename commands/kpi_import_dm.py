"""A spreadsheet uploaded in a direct message with the bot: the same check as `/alinea kpi import`.

    file_shared in a DM (D…)  -> (on the work queue) files.info; a .csv is checked for the one
                                 team the person belongs to, and the report is posted in the DM
                                 with **Save all** / **Cancel** (commands/kpi_import.py handles them)
    no team / several teams   -> a short DM: how to set one up, or which team channels to use
    work queue full           -> (on Bolt's listener thread) files.info; a .csv gets a DM saying
                                 Alinea is busy and to send it again in a minute

Only CSV files (Slack's filetype `csv`, or a name ending in `.csv`) are answered: people share
other files with bots too (images, PDFs, workbooks), and those are ignored without a word.
Files the bot itself uploads (charts) are ignored as well.

A full work queue never swallows a spreadsheet: the person is told at once, in their language,
to send it again (the event is not claimed, so that new upload is checked as usual). Telling
them beats keeping the file for later: a file kept in memory would vanish with a restart
without a word, and Slack does not deliver an acked event again.

The event is claimed by its `event_id` before anything else, so Slack's retries
(X-Slack-Retry-Num) and a second replica do nothing. The claim cannot share a transaction with
the effect (a Slack post, never made with a transaction open), so a delivery whose work failed
after the claim is not redone: the person is told in the DM what went wrong instead. The post
itself goes through the Notifier with the claim `kpi-import-dm-{file_id}`, so a post that fails
half-way is looked up before being sent again.

The buttons carry the team's channel (a DM has no team): Save all writes into that team, and
only when the person pressing is one of its members.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.blocks import Reply, escape_mrkdwn, section
from bot.blocks.kpi_import import report_reply
from bot.errors import describe
from bot.middleware import runtime_of
from bot.notifier import Message, Notifier
from bot.runtime import Runtime
from bot.workqueue import WorkQueueFull
from commands.context import cached_user_locale
from commands import survey_import
from commands.spreadsheet_files import download_described, file_info, file_name
from db import repositories
from db.models import AlignmentTeam
from db.session import read_only
from domain.spreadsheet import read_table
from services import kpi_import, workspaces
from services.i18n import t

logger = logging.getLogger(__name__)

EVENT = "file_shared"
CSV_FILETYPES = frozenset({"csv"})


def claim_id(file_id: str) -> str:
    return f"kpi-import-dm-{file_id}"


def on_file_shared(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Bolt listener (events are acked by Bolt): filter, then hand the work to the queue."""
    channel_id, user_id, file_id = (str(event.get(key) or "") for key in ("channel_id", "user_id", "file_id"))
    if not channel_id.startswith("D") or not user_id or not file_id or user_id == _bot_user_id(body, context):
        return
    runtime = runtime_of(context)
    event_id = str(body.get("event_id") or f"{EVENT}:{file_id}")
    try:
        slot = runtime.work.reserve(EVENT)
    except WorkQueueFull:
        logger.warning("work queue full; asking for the file %s shared in a DM to be sent again", file_id)
        tell_busy(runtime, client, slack_team_id=body["team_id"], user_id=user_id, channel_id=channel_id, file_id=file_id)
        return
    slot.run(lambda: handle_dm_upload(
        runtime, client, slack_team_id=body["team_id"], event_id=event_id, user_id=user_id, channel_id=channel_id,
        file_id=file_id,
    ))


def handle_dm_upload(
    runtime: Runtime, client: WebClient, *, slack_team_id: str, event_id: str, user_id: str, channel_id: str, file_id: str
) -> None:
    now = runtime.clock()
    with runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(
            session, slack_team_id=slack_team_id, defaults=runtime.workspace_defaults, now=now
        )
        if not workspaces.claim_event(session, workspace_id=workspace.id, event_id=event_id, event_type=EVENT, now=now):
            logger.info("event %s already handled; ignoring this delivery", event_id)
            return
        workspace_id, default_locale = workspace.id, workspace.default_locale
    locale: str | None = None
    try:
        info = file_info(client, file_id)
        if not is_csv(info):
            return
        with read_only(runtime.session_factory) as session:
            found = [
                (team.id, team.channel_id)
                for team in repositories.teams_of_member(session, workspace_id=workspace_id, slack_user_id=user_id)
            ]
        if len(found) == 1:
            reply = _check(runtime, client, info, team_id=found[0][0], user_id=user_id)
        else:
            locale = cached_user_locale(runtime, client, slack_team_id, user_id) or default_locale
            reply = _no_single_team(locale, file_name(info), [channel for _, channel in found])
    except Exception as error:  # the person shared the file with us: say what went wrong, right there
        locale = locale or cached_user_locale(runtime, client, slack_team_id, user_id) or default_locale
        text = describe(error, locale)
        reply = Reply(text, [section(text)])
    Notifier(client).post(channel=channel_id, message=Message(reply.text, reply.blocks), claim=claim_id(file_id))


def tell_busy(runtime: Runtime, client: WebClient, *, slack_team_id: str, user_id: str, channel_id: str, file_id: str) -> None:
    """The DM that replaces the check when there is no room to make it: only for a CSV (other
    files are ignored as always). Runs on the listener thread, touching Slack only."""
    try:
        if not is_csv(file_info(client, file_id)):
            return
        locale = cached_user_locale(runtime, client, slack_team_id, user_id) or runtime.settings.default_locale
        text = t(locale, "kpi_import.dm.busy")
        Notifier(client).post(channel=channel_id, message=Message(text, [section(text)]), claim=f"{claim_id(file_id)}-busy")
    except Exception:  # Slack refused too: the warning above and this one are all that is left
        logger.warning("could not tell the person the file %s was not checked", file_id, exc_info=True)


def is_csv(info: dict[str, Any]) -> bool:
    filetype = str(info.get("filetype") or "").lower()
    return filetype in CSV_FILETYPES or file_name(info).lower().endswith(".csv")


def _check(runtime: Runtime, client: WebClient, info: dict[str, Any], *, team_id: int, user_id: str) -> Reply:
    """The dry run for the person's team, with buttons that name the team's channel."""
    name, data = download_described(client, info)
    table = read_table(data)
    now = runtime.clock()
    with read_only(runtime.session_factory) as session:
        team = session.get(AlignmentTeam, team_id)
        assert team is not None
        survey = survey_import.survey_reply(
            session, team=team, table=table, now=now, file_name=name, file_id=str(info["id"]), team_channel=team.channel_id
        )
        if survey is not None:
            return survey
        report = kpi_import.check(session, team=team, table=table, today=kpi_import.team_today(team, now), actor=user_id)
        return report_reply(
            report, team.locale, team=team.name, file_name=name, file_id=str(info["id"]), team_channel=team.channel_id
        )


def _no_single_team(locale: str, name: str, channels: list[str]) -> Reply:
    if channels:
        listed = ", ".join(f"<#{channel}>" for channel in channels)
        text = t(locale, "kpi_import.dm.several_teams", file=escape_mrkdwn(name), channels=listed)
    else:
        text = t(locale, "kpi_import.dm.no_team", file=escape_mrkdwn(name))
    return Reply(text, [section(text)])


def _bot_user_id(body: dict[str, Any], context: BoltContext) -> str | None:
    if context.bot_user_id:
        return context.bot_user_id
    for authorization in body.get("authorizations") or []:
        if authorization.get("is_bot"):
            return authorization.get("user_id")
    return None
