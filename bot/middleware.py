"""Bolt middleware: puts the runtime (settings, session factory, clock) in the context.

No I/O happens here: middleware runs before the listener acks, and Slack's 3-second clock
is already ticking. The unit of work is opened by the listener wrapper after the ack
(see commands/__init__.py).
"""

from __future__ import annotations

from typing import Callable

from slack_bolt import BoltContext

from bot.runtime import Runtime

RUNTIME_KEY = "alinea_runtime"


def runtime_middleware(runtime: Runtime) -> Callable[..., None]:
    def inject_runtime(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002 (Bolt's name)
        context[RUNTIME_KEY] = runtime
        next()

    return inject_runtime


def runtime_of(context: BoltContext) -> Runtime:
    return context[RUNTIME_KEY]
