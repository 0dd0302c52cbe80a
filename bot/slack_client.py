"""The one way we build Slack Web API clients: our base URL and slack_sdk's retry handlers.

The handlers also count (bot/metrics.py): each retry by method and reason, and, through a last
handler that only watches, each call that failed once no retry is left, by method and error.
slack_sdk hands every response, a 200 with `"ok": false` included, to its retry handlers in
order until one retries; Bolt copies the handler list into the client it makes per request,
so the listeners' calls are counted too.
"""

from __future__ import annotations

import json
import time
from typing import Any, Optional
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot import metrics

WEB_API_TIMEOUT_S = 10


def api_method(url: str) -> str:
    """`https://slack.com/api/chat.postMessage` -> `chat.postMessage`."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or "unknown"


class _CountsRetries:
    """Mixed into a slack_sdk handler: counts each retry it decides, then does it."""

    reason = "retry"

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: Optional[HttpResponse] = None, error: Optional[Exception] = None) -> None:
        metrics.slack_api_retry(api_method(request.url), self.reason)
        super().prepare_for_next_attempt(state=state, request=request, response=response, error=error)  # type: ignore[misc]


class CountedRateLimitRetries(_CountsRetries, RateLimitErrorRetryHandler):
    reason = "rate_limited"


class ChannelRateLimitRetries(CountedRateLimitRetries):
    """Waits exactly the Retry-After Slack gives. slack_sdk adds up to a second of jitter, which
    spreads many clients retrying one shared limit; a post waits on its channel's one message a
    second, where it is the only one waiting (one poster per agenda), so the jitter only made each
    429 cost 1.5 s on average instead of 1 (an agenda of three messages posted in ~4 s, not ~2)."""

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: Optional[HttpResponse] = None, error: Optional[Exception] = None) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        metrics.slack_api_retry(api_method(request.url), self.reason)
        state.next_attempt_requested = True
        retry_after = next((values for name, values in response.headers.items() if name.lower() == "retry-after"), None)
        time.sleep(int(retry_after[0]) if retry_after else 1)
        state.increment_current_attempt()


class CountedServerErrorRetries(_CountsRetries, ServerErrorRetryHandler):
    reason = "server_error"


class CountedConnectionErrorRetries(_CountsRetries, ConnectionErrorRetryHandler):
    reason = "connection_error"


class FailureCounter(RetryHandler):
    """Never retries; counts the failures that reach it. It must come last: slack_sdk asks the
    handlers in order and stops at the first that retries, so what reaches this one is final."""

    def can_retry(self, *, state: RetryState, request: HttpRequest,
                  response: Optional[HttpResponse] = None, error: Optional[Exception] = None) -> bool:
        failure = _failure(response, error)
        if failure is not None:
            metrics.slack_api_error(api_method(request.url), failure)
        return False

    def _can_retry(self, **_: Any) -> bool:
        return False


def _failure(response: Optional[HttpResponse], error: Optional[Exception]) -> str | None:
    """Slack's error code for a failed call, `http_<status>`, or the exception's type name."""
    if response is None:
        return type(error).__name__ if error is not None else None
    body = response.body
    if body is None and response.data:
        try:
            body = json.loads(response.data)
        except ValueError:
            body = None
    if isinstance(body, dict) and body.get("ok") is False:
        return str(body.get("error") or f"http_{response.status_code}")
    if response.status_code >= 400:
        return f"http_{response.status_code}"
    return None


def retry_handlers() -> list[RetryHandler]:
    """429s wait for Retry-After; 5xx and dropped connections are tried twice more."""
    return [
        CountedRateLimitRetries(max_retry_count=3),
        CountedServerErrorRetries(max_retry_count=2),
        CountedConnectionErrorRetries(max_retry_count=2),
        FailureCounter(),
    ]


def rate_limit_only_retry_handlers() -> list[RetryHandler]:
    """For calls that a retry after a 500 could repeat (posts, uploads): only 429s, where
    Slack did nothing, are tried again; failures are counted all the same."""
    return [ChannelRateLimitRetries(max_retry_count=3), FailureCounter()]


def make_web_client(*, token: str | None, base_url: str) -> WebClient:
    return WebClient(token=token, base_url=base_url, timeout=WEB_API_TIMEOUT_S, retry_handlers=retry_handlers())
