"""Leases on claims: how long a claim's holder is trusted to be alive without a word from it.

A claim row (an agenda run) is taken by one run, which then posts for a while. If its process
dies, someone else must finish the work, but only once the holder is surely gone: so the claim
carries `lease_expires_at`, the holder renews it every `RENEW_EVERY` while it works (a heartbeat
beside the Slack calls, and before each post), and another run may take the claim over once the
lease has passed. Taking over bumps the run's attempt number, and every write of a holder is
fenced on the attempt it claimed (`LeaseLost` when it changed): a holder that was only frozen,
not dead, finds out at its next step and stops without posting again.

Timing: a dead holder's lease runs out within `LEASE` of its last renewal, and the scheduler
looks for expired leases every 15 seconds, so the rest is posted within a minute of the crash.
Each attempt at a post starts under a lease renewed in the last `RENEW_EVERY`, so with at least
30 s left: more than a post's 10 s timeout, so an attempt made by a holder that then froze has
ended before anyone can take the claim over (and the taker finds its message by claim id).
Leases are set and compared on the clock all replicas share (keep it in sync), never on the
instant a run works for, which `jobs run --at` may move.
"""

from __future__ import annotations

from datetime import datetime, timedelta

LEASE = timedelta(seconds=45)
RENEW_EVERY = timedelta(seconds=15)


class LeaseLost(RuntimeError):
    """The claim's lease lapsed and another run took it over (or the run ended): stop posting."""


def expires(now: datetime) -> datetime:
    return now + LEASE
