"""The lease keeper's rules, on a clock the test moves and a heartbeat it steps: when it renews,
when it gives up, and that a beat that could not reach the database is not the end of the lease.
The renewal itself (a conditional UPDATE fenced on the attempt) is tested on real databases in
tests/integration/test_agenda_service.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.leases import LeaseKeeper
from services.leases import LeaseLost
from tests.support.clock import Clock
from tests.support.pacer import StepPacer

T0 = datetime(2026, 3, 16, 12, 0, tzinfo=timezone.utc)


class Claim:
    """What the database answers to a renewal: held until taken over; `down` raises as an
    unreachable database would."""

    def __init__(self) -> None:
        self.renewals: list[datetime] = []
        self.taken_over = False
        self.down = False

    def renew(self, at: datetime) -> bool:
        if self.down:
            raise ConnectionError("database unreachable")
        if self.taken_over:
            return False
        self.renewals.append(at)
        return True


def keeper(claim: Claim, clock: Clock, pacer: StepPacer | None = None) -> LeaseKeeper:
    return LeaseKeeper(claim.renew, clock=clock, name="agenda-1", pacer=pacer or StepPacer())


def test_check_renews_only_once_the_last_renewal_is_fifteen_seconds_old():
    claim, clock = Claim(), Clock(T0)
    held = keeper(claim, clock)
    clock.advance(seconds=14)
    held.check()
    assert claim.renewals == []
    clock.advance(seconds=1)
    held.check()
    assert claim.renewals == [T0 + timedelta(seconds=15)]
    clock.advance(seconds=10)
    held.check()
    assert claim.renewals == [T0 + timedelta(seconds=15)]


def test_a_claim_taken_over_stops_the_holder_for_good():
    claim, clock = Claim(), Clock(T0)
    held = keeper(claim, clock)
    claim.taken_over = True
    clock.advance(seconds=20)
    with pytest.raises(LeaseLost):
        held.check()
    claim.taken_over = False  # even if a renewal would match again, a lost lease stays lost
    with pytest.raises(LeaseLost):
        held.check()
    assert held.lost and claim.renewals == []


def test_the_heartbeat_renews_on_each_beat_and_outlives_a_beat_that_failed():
    claim, clock, pacer = Claim(), Clock(T0), StepPacer()
    with keeper(claim, clock, pacer) as held:
        clock.advance(seconds=15)
        pacer.step()
        claim.down = True
        clock.advance(seconds=15)
        pacer.step()  # logged, not fatal: the next beat (or the check before a post) tries again
        claim.down = False
        clock.advance(seconds=15)
        pacer.step()
        assert not held.lost
    assert claim.renewals == [T0 + timedelta(seconds=15), T0 + timedelta(seconds=45)]


def test_a_check_that_cannot_reach_the_database_stops_the_post():
    claim, clock = Claim(), Clock(T0)
    held = keeper(claim, clock)
    claim.down = True
    clock.advance(seconds=15)
    with pytest.raises(ConnectionError):  # the poster records the failure and the run is retried
        held.check()
