"""A bounded pool for work that follows an ack, apart from Bolt's listener threads.

If a command's processing ran on Bolt's listener threads, a handful of requests waiting on a
slow Slack or database would leave no thread to ack the next command within Slack's 3
seconds. Listeners here only reserve a slot, ack, and hand the work to this pool; when the
pool is full, the reservation fails at once and the person is told to try again in the ack.

Work runs in a copy of the context variables of the thread that queued it (ContextExecutor),
so the request id and workspace that bot/logs.py puts on log lines follow the work.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

logger = logging.getLogger(__name__)


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in a copy of the submitting thread's context variables
    (threads do not inherit them); also Bolt's listener pool (bot/app.py)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


class WorkQueueFull(Exception):
    """More work is waiting than the queue allows; the caller should say "try again"."""


class Slot:
    """Room for one task, reserved before the ack; run it (or release it) exactly once."""

    def __init__(self, queue: WorkQueue, name: str):
        self._queue, self.name, self._used = queue, name, False

    def run(self, task: Callable[[], object]) -> Future:
        self._claim()
        try:
            return self._queue._executor.submit(self._queue._run, self.name, task)
        except RuntimeError:  # the pool is shutting down
            self._queue._release()
            raise

    def release(self) -> None:
        self._claim()
        self._queue._release()

    def _claim(self) -> None:
        if self._used:
            raise RuntimeError(f"slot {self.name} used twice")
        self._used = True


class WorkQueue:
    def __init__(self, *, workers: int, limit: int):
        if workers < 1 or limit < workers:
            raise ValueError("need at least one worker and a limit of at least the worker count")
        self._executor = ContextExecutor(max_workers=workers, thread_name_prefix="alinea-work")
        self._slots = threading.BoundedSemaphore(limit)
        self._pending = 0
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        """Tasks reserved, queued or running."""
        with self._lock:
            return self._pending

    def reserve(self, name: str) -> Slot:
        if not self._slots.acquire(blocking=False):
            raise WorkQueueFull(name)
        with self._lock:
            self._pending += 1
        return Slot(self, name)

    def submit(self, name: str, task: Callable[[], object]) -> Future:
        return self.reserve(name).run(task)

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
