"""A lease heartbeat a test steps by hand (bot/leases.py): `step()` lets one beat happen and
returns once its renewal is done, so a test says "15 seconds passed, the heartbeat ran" by moving
its clock and stepping, without sleeping."""

from __future__ import annotations

import threading

from bot.leases import Pacer


class StepPacer(Pacer):
    def __init__(self) -> None:
        super().__init__()
        self._go = threading.Semaphore(0)
        self._done = threading.Semaphore(0)

    def wait(self, seconds: float) -> bool:
        self._go.acquire()
        return not self._stopped.is_set()

    def beat_done(self) -> None:
        self._done.release()

    def step(self, timeout: float = 10) -> None:
        self._go.release()
        if not self._done.acquire(timeout=timeout):
            raise AssertionError(f"the heartbeat did not beat within {timeout:g} s")

    def stop(self) -> None:
        super().stop()
        self._go.release()
