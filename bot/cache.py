"""A small thread-safe cache with expiry, for answers from Slack that rarely change."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")


class ExpiringCache(Generic[V]):
    def __init__(self, *, ttl_seconds: float, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self._ttl, self._max, self._clock = ttl_seconds, max_entries, clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] < self._clock():
                self._entries.pop(key, None)
                return None
            return entry[1]

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
