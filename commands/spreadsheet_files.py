"""What the two spreadsheet imports (KPI values, survey exports) share: the file read from Slack
(`files.info`, then a GET of its `url_private` with the bot token, never while a database
transaction is open) and the team an import's Save all button writes into."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session

from bot.blocks.kpi_import import MAX_FILE_BYTES, MAX_FILE_MB, Decision, read_decision
from commands.context import Interaction, team_of
from db import repositories
from db.models import AlignmentTeam
from db.session import read_only
from domain.errors import UserError
from domain.spreadsheet import Table, read_table
from services import teams

logger = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_S = 20
DOWNLOAD_ATTEMPTS = 2
# Slack serves files from its own hosts; the bot token is never sent anywhere else.
SLACK_FILE_HOSTS = ("slack.com", "slack-gov.com")
NO_ACCESS = {"missing_scope", "not_allowed_token_type", "no_permission", "access_denied"}
GONE = {"file_not_found", "file_deleted"}


def button_team(session: Session, interaction: Interaction, team_channel: str | None) -> AlignmentTeam:
    """The team a Save all button writes into: the channel's, where the check was posted in a
    team's channel; else (a DM with the bot) the team whose channel the button names, and only
    for one of its members."""
    if interaction.scope.team_id is not None or not team_channel:
        return team_of(session, interaction.scope)
    team = repositories.team_by_channel(session, workspace_id=interaction.scope.workspace_id, channel_id=team_channel)
    if team is None:
        raise UserError("kpi_import.dm.team_gone", channel=team_channel)
    if not teams.roles_of(team, interaction.user_id):
        raise UserError("kpi_import.dm.not_allowed", channel=team_channel)
    return team


def file_to_save(interaction: Interaction) -> tuple[Decision, str, Table]:
    """What Save all saves, for either import: the button's decision, the person's right to the
    team checked before any download, and the file read again (it may have changed since)."""
    decision = read_decision(interaction.value)
    if decision is None:
        raise UserError("kpi_import.invalid_button")
    with read_only(interaction.runtime.session_factory) as session:
        button_team(session, interaction, decision.team_channel)
    name, data = download(interaction.client, decision.file_id)
    return decision, name, read_table(data)


# Reading the file from Slack ------------------------------------------------------------------------


def download(client: WebClient, file_id: str) -> tuple[str, bytes]:
    """(file name, bytes) of a file people uploaded, at most MAX_FILE_BYTES; UserError otherwise."""
    return download_described(client, {"id": file_id, **file_info(client, file_id)})


def file_info(client: WebClient, file_id: str) -> dict[str, Any]:
    """What files.info says about a file people uploaded; UserError when Slack will not say."""
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        if code in GONE:
            raise UserError("kpi_import.file_not_found") from None
        if code in NO_ACCESS:
            raise UserError("kpi_import.missing_scope") from None
        logger.warning("files.info failed for %s: %s", file_id, code)
        raise UserError("kpi_import.download_failed") from None
    except (SlackClientError, OSError, KeyError):
        logger.warning("files.info failed for %s", file_id, exc_info=True)
        raise UserError("kpi_import.download_failed") from None
    return info


def file_name(info: dict[str, Any]) -> str:
    return str(info.get("name") or info.get("title") or info.get("id") or "")


def download_described(client: WebClient, info: dict[str, Any]) -> tuple[str, bytes]:
    """(file name, bytes) of the file files.info described, at most MAX_FILE_BYTES."""
    file_id, name = info.get("id"), file_name(info)
    if int(info.get("size") or 0) > MAX_FILE_BYTES:
        raise UserError("kpi_import.file_too_big", limit_mb=MAX_FILE_MB)
    url = info.get("url_private_download") or info.get("url_private")
    if not url or not is_slack_file_url(url, client.base_url):
        logger.warning("file %s has no url_private on a Slack host: %r", file_id, url)
        raise UserError("kpi_import.download_failed")
    return name, _fetch(client, url)


def is_slack_file_url(url: str, api_base_url: str) -> bool:
    """An https URL on Slack's hosts, or any URL on the Web API's own host (a proxy or the double)."""
    parts, api = urlsplit(url), urlsplit(api_base_url)
    host = (parts.hostname or "").lower()
    if host and host == (api.hostname or "").lower() and parts.port == api.port and parts.scheme == api.scheme:
        return True
    return parts.scheme == "https" and any(host == base or host.endswith("." + base) for base in SLACK_FILE_HOSTS)


class _SlackOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to where the bot token may go."""

    def __init__(self, api_base_url: str):
        super().__init__()
        self.api_base_url = api_base_url

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        if not is_slack_file_url(newurl, self.api_base_url):
            raise urllib.error.HTTPError(newurl, code, "redirect away from Slack", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch(client: WebClient, url: str) -> bytes:
    handlers: list[urllib.request.BaseHandler] = [_SlackOnlyRedirects(client.base_url)]
    if client.proxy:
        handlers.append(urllib.request.ProxyHandler({"http": client.proxy, "https": client.proxy}))
    if client.ssl is not None:
        handlers.append(urllib.request.HTTPSHandler(context=client.ssl))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            with opener.open(request, timeout=DOWNLOAD_TIMEOUT_S) as response:
                if "text/html" in (response.headers.get("Content-Type") or "").lower():
                    # Slack's sign-in page: the token was refused (or lacks files:read).
                    logger.warning("downloading %s gave an HTML page: the bot token was not accepted", url)
                    raise UserError("kpi_import.missing_scope")
                data = response.read(MAX_FILE_BYTES + 1)
        except urllib.error.HTTPError as error:
            if error.code in (404, 410):
                raise UserError("kpi_import.file_not_found") from None
            if error.code < 500 or attempt == DOWNLOAD_ATTEMPTS:
                logger.warning("downloading %s failed: HTTP %s", url, error.code)
                raise UserError("kpi_import.download_failed") from None
            continue
        except (urllib.error.URLError, OSError):
            if attempt == DOWNLOAD_ATTEMPTS:
                logger.warning("downloading %s failed", url, exc_info=True)
                raise UserError("kpi_import.download_failed") from None
            continue
        if len(data) > MAX_FILE_BYTES:
            raise UserError("kpi_import.file_too_big", limit_mb=MAX_FILE_MB)
        return data
    raise UserError("kpi_import.download_failed")  # not reached: every attempt returns or raises
