"""The one place that posts to Slack on Alinea's own initiative (proposals, agendas, alerts, the
App Home).

Posting is claimed, not blind: every message carries its claim id in `metadata`, and when
Slack fails or the connection drops after the request went out, we look the message up
before posting again. slack_sdk's own retries would re-send a chat.postMessage after a 500,
and a 500 can come after Slack already posted; so posts go through a client that only retries
rate limits (429 means Slack did nothing), and we reconcile the rest ourselves.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import metrics
from bot.slack_client import rate_limit_only_retry_handlers
from domain.errors import UserError

logger = logging.getLogger(__name__)

METADATA_EVENT = "alinea_post"
POST_ATTEMPTS = 3
CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
# What a post can end in when Slack will not take it now (the caller keeps its claim for later).
POST_FAILURES = (UserError, SlackApiError, SlackClientError, OSError)


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[dict[str, Any]]


class Notifier:
    def __init__(self, client: WebClient, *, sleep: Callable[[float], None] = time.sleep):
        self._client = client
        # Same token and URL; only 429s retried inside slack_sdk (see the module docstring).
        self._posting_client = WebClient(
            token=client.token, base_url=client.base_url, timeout=client.timeout,
            retry_handlers=rate_limit_only_retry_handlers(),
        )
        self._sleep = sleep

    def post(self, *, channel: str, message: Message, claim: str, thread_ts: str | None = None,
             hold: Callable[[], None] | None = None) -> str:
        """Post once per claim id and return the message's ts, whatever Slack does meanwhile.
        `hold()`, if given, runs before each attempt and raises to stop (a claim's lease lost)."""
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"claim": claim}}
        for attempt in range(1, POST_ATTEMPTS + 1):
            if hold is not None:
                hold()
            try:
                response = self._posting_client.chat_postMessage(
                    channel=channel, text=message.text, blocks=message.blocks, metadata=metadata, thread_ts=thread_ts
                )
                return response["ts"]
            except SlackApiError as error:
                _raise_if_final(error, channel)
                failure: Exception = error
            except (SlackClientError, OSError) as error:  # dropped connection or timeout
                failure = error
            found = self.find_posted(channel=channel, claim=claim, thread_ts=thread_ts)
            if found:
                logger.info("post %s had gone through before the failure; not posting again", claim)
                return found
            logger.warning("posting %s failed (attempt %d): %s", claim, attempt, type(failure).__name__)
            if attempt < POST_ATTEMPTS:
                metrics.slack_api_retry("chat.postMessage", "reconciled_post")
                self._sleep(2 ** (attempt - 1))
        raise failure

    def find_posted(self, *, channel: str, claim: str, thread_ts: str | None = None) -> str | None:
        """The ts of a message of ours carrying `claim`, among the channel's (or thread's) latest."""
        try:
            if thread_ts:
                response = self._client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True, limit=200)
            else:
                response = self._client.conversations_history(channel=channel, include_all_metadata=True, limit=200)
        except (SlackApiError, SlackClientError, OSError):
            logger.warning("could not look up earlier posts in %s", channel, exc_info=True)
            return None
        for message in response.get("messages", []):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("claim") == claim:
                return message["ts"]
        return None

    def update(self, *, channel: str, ts: str, message: Message) -> None:
        """Replace a message's content; an update is idempotent, so slack_sdk's retries are safe."""
        self._client.chat_update(channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    def publish_home(self, *, user_id: str, view: dict[str, Any]) -> None:
        """Replace a person's App Home; publishing is idempotent, so slack_sdk's retries are safe."""
        self._client.views_publish(user_id=user_id, view=view)

    def permalink(self, *, channel: str, ts: str) -> str | None:
        try:
            return self._client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
        except (SlackApiError, SlackClientError, OSError):
            return None


def _raise_if_final(error: SlackApiError, channel: str) -> None:
    """Errors that no retry can fix: tell the person what to do."""
    code = error.response.get("error")
    if code in CANNOT_POST:
        raise UserError("error.cannot_post", channel=channel) from error
    if error.response.status_code < 500:
        raise error
