"""A bounded pool for slow work (charts, LLM calls, many posts), apart from Bolt's listeners.

Bolt acks on its listener threads; if slow work ran there, a handful of slow tasks would
make the next command miss Slack's 3-second deadline. Here slow work waits in its own
queue, and when that queue is full the caller is told at once instead of blocking.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

logger = logging.getLogger(__name__)


class WorkQueueFull(Exception):
    """More slow work is waiting than the queue allows; the caller should say "try again"."""


class WorkQueue:
    def __init__(self, *, workers: int, limit: int):
        if workers < 1 or limit < workers:
            raise ValueError("need at least one worker and a limit of at least the worker count")
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="alinea-work")
        self._slots = threading.BoundedSemaphore(limit)
        self._pending = 0
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def submit(self, name: str, task: Callable[[], object]) -> Future:
        """Queue `task`; raises WorkQueueFull rather than waiting for room."""
        if not self._slots.acquire(blocking=False):
            raise WorkQueueFull(name)
        with self._lock:
            self._pending += 1
        try:
            return self._executor.submit(self._run, name, task)
        except RuntimeError:  # shut down
            self._release()
            raise

    def _run(self, name: str, task: Callable[[], object]) -> object:
        try:
            return task()
        except Exception:
            logger.exception("background task %s failed", name)
            raise
        finally:
            self._release()

    def _release(self) -> None:
        with self._lock:
            self._pending -= 1
        self._slots.release()

    def shutdown(self, *, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
