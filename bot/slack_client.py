"""The one way we build Slack Web API clients: our base URL and slack_sdk's retry handlers."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

WEB_API_TIMEOUT_S = 10


def retry_handlers() -> list[RetryHandler]:
    """429s wait for Retry-After; 5xx and dropped connections are tried twice more."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
        ConnectionErrorRetryHandler(max_retry_count=2),
    ]


def make_web_client(*, token: str | None, base_url: str) -> WebClient:
    return WebClient(token=token, base_url=base_url, timeout=WEB_API_TIMEOUT_S, retry_handlers=retry_handlers())
