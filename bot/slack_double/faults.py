"""Failures the double can be told to produce: HTTP errors, dropped connections, slowness, rate limits.

These exist to exercise slack_sdk's retry handlers and our own error paths against real HTTP, not
against mocks that never see a socket. Not thread-safe by themselves: the server calls them under its lock.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

# What Slack puts in the JSON body of its error statuses (it is HTML for some 5xx; JSON is kinder to tests).
_ERROR_FOR_STATUS = {429: "ratelimited", 500: "fatal_error", 502: "bad_gateway", 503: "service_unavailable"}


@dataclass(frozen=True)
class Fault:
    """One planned failure. `status == 0` means: read the request, then close without answering."""

    status: int
    retry_after: int | None = None
    after_effect: bool = False  # do the work first, then fail: "posted, but the answer was lost"

    @property
    def drops_connection(self) -> bool:
        return self.status == 0

    @property
    def error(self) -> str:
        return _ERROR_FOR_STATUS.get(self.status, f"http_{self.status}")

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class FaultPlan:
    """Per-method queues of planned failures, consumed one per request in the order they were planned."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Fault]] = {}
        self._delays: dict[str | None, float] = {}

    def add(self, method: str, fault: Fault, times: int) -> None:
        self._queues.setdefault(method, deque()).extend([fault] * times)

    def take(self, method: str) -> Fault | None:
        queue = self._queues.get(method)
        return queue.popleft() if queue else None

    def set_delay(self, method: str | None, seconds: float) -> None:
        if seconds > 0:
            self._delays[method] = seconds
        else:
            self._delays.pop(method, None)

    def delay_for(self, method: str) -> float:
        # A per-method delay overrides the all-methods one (key None).
        return self._delays.get(method, self._delays.get(None, 0.0))

    def clear(self) -> None:
        self._queues.clear()
        self._delays.clear()


class ChannelRateLimiter:
    """Slack's "about one message per second per channel", as a sliding one-second window."""

    WINDOW_SECONDS = 1.0

    def __init__(self) -> None:
        self.per_second: int | None = None
        self._sent: dict[str, deque[float]] = {}

    def configure(self, per_second: int | None) -> None:
        self.per_second = per_second
        self._sent.clear()

    def admit(self, channel: str) -> bool:
        """Count a message to `channel` if the window has room; False means answer 429."""
        if self.per_second is None:
            return True
        now = time.monotonic()
        sent = self._sent.setdefault(channel, deque())
        while sent and now - sent[0] >= self.WINDOW_SECONDS:
            sent.popleft()
        if len(sent) >= self.per_second:
            return False
        sent.append(now)
        return True
