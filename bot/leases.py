"""Keeping a claim's lease while its work is under way (services/leases.py says why).

A `LeaseKeeper` renews one claim's lease from a heartbeat thread every `RENEW_EVERY`, so the
lease stays fresh while a slow Slack call is in flight, and `check()` (called by the poster
before each post) renews at once when the last renewal is that old and raises `LeaseLost` when
a renewal found the claim taken over. Renewals are short transactions of their own.

Time is a parameter: the keeper reads instants from `clock` and waits between beats through a
`Pacer`. The running app uses the runtime's clock (the wall clock every replica shares: a lease
is about who is alive, so `jobs run --at` does not move it) and a `Pacer` in real time; a test
passes its own clock and a pacer it steps by hand, so it can say "the heartbeat ran now" without
sleeping.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Callable

from services.leases import RENEW_EVERY, LeaseLost

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class Pacer:
    """Waits between heartbeats in real time; `stop()` ends the wait at once."""

    def __init__(self) -> None:
        self._stopped = threading.Event()

    def wait(self, seconds: float) -> bool:
        """True: time for the next beat; False: stopped."""
        return not self._stopped.wait(seconds)

    def beat_done(self) -> None:
        """Called after each beat (a test's pacer learns the renewal happened)."""

    def stop(self) -> None:
        self._stopped.set()


class LeaseKeeper:
    def __init__(self, renew: Callable[[datetime], bool], *, clock: Clock, name: str, pacer: Pacer | None = None,
                 every: timedelta = RENEW_EVERY):
        self._renew, self._clock, self._name, self._every = renew, clock, name, every
        self._pacer = pacer or Pacer()
        self._guard = threading.Lock()  # one renewal at a time (the heartbeat's and check()'s)
        self._renewed_at = clock()  # the claim itself set the lease
        self._lost = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LeaseKeeper:
        self._thread = threading.Thread(target=self._beat, name=f"lease-{self._name}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pacer.stop()
        if self._thread is not None:
            self._thread.join()

    @property
    def lost(self) -> bool:
        return self._lost

    def renew(self) -> bool:
        """Extend the lease now; False (and lost for good) when the claim was taken over."""
        with self._guard:
            if self._lost:
                return False
            now = self._clock()
            if self._renew(now):
                self._renewed_at = now
            else:
                self._lost = True
                # Taken over (the poster says so when it stops), or the run just ended under a late beat.
                logger.info("%s: this run no longer holds the claim's lease", self._name)
            return not self._lost

    def check(self) -> None:
        """Before a post: the lease is held and fresh (renewed now if the last renewal is
        `every` old: a heartbeat that could not reach the database must not go unnoticed)."""
        if not self._lost and self._clock() - self._renewed_at >= self._every:
            self.renew()
        if self._lost:
            raise LeaseLost(f"{self._name}: the lease lapsed and another run took over")

    def _beat(self) -> None:
        while self._pacer.wait(self._every.total_seconds()):
            try:
                if not self.renew():
                    return
            except Exception:  # the database hiccuped: try again next beat; check() renews before a post
                logger.warning("%s: the lease could not be renewed this beat", self._name, exc_info=True)
            finally:
                self._pacer.beat_done()
