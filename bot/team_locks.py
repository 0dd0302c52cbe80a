"""One lock per alignment team, for the posters of one process: two threads posting the same
team's messages (a job and a button, or two job fires) take turns, so a thread keeps its order
and an unposted row is not posted twice from one process. Across processes the claims in the
database are what counts."""

from __future__ import annotations

import threading
from collections import defaultdict


class TeamLocks:
    def __init__(self) -> None:
        self._locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    def __call__(self, team_id: int) -> threading.Lock:
        # Two threads meeting a team for the first time must get the same lock, not one each.
        with self._guard:
            return self._locks[team_id]
