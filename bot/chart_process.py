"""PNG charts drawn in a process of their own, beside the one that serves Slack.

Drawing a chart is Python and C under the GIL: about 40 ms a chart, 0.13 s for an agenda's three.
Drawn in the serving process, eight agendas falling back to PNGs at once take the GIL from each
other and from Bolt's listeners (acks included) for whole seconds; drawn here, they use another
core and the serving process only waits. The pool starts on first use (a fresh interpreter:
forking a process that runs threads is not safe) with one worker fewer than the machine's cores
(at least one, at most four), each at a lower priority than the serving process.

Whatever goes wrong there (a worker killed or hung, a chart that cannot be sent) falls back to
drawing in this process, so a chart is never lost to the pool; a chart whose drawing fails raises
here as it would have there.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Sequence

logger = logging.getLogger(__name__)

DRAW_TIMEOUT_S = 60  # a chart takes well under a second; a worker stuck longer is given up
WORKERS = max(1, min(4, (os.cpu_count() or 2) - 1))
CHART_NICENESS = 10

_pool: ProcessPoolExecutor | None = None
_pool_guard = threading.Lock()


def _shared_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_guard:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=_yield_cpu)
        return _pool


def _yield_cpu() -> None:
    """A worker gives way to the serving process when both want a core: a PNG is wanted a second
    or more after it is started (Slack's per-channel limit spaces an agenda's messages), an ack
    within Slack's 3 s."""
    if hasattr(os, "nice"):
        os.nice(CHART_NICENESS)


def _drop_pool(broken: ProcessPoolExecutor) -> None:
    """A broken pool is replaced on next use."""
    global _pool
    with _pool_guard:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def draw(renders: Sequence[Callable[[], bytes]]) -> list[Future[bytes]]:
    """Each render started in the pool; `.result()` gives its PNG or raises its error."""
    pool = _shared_pool()
    try:
        return [pool.submit(render) for render in renders]
    except (BrokenProcessPool, RuntimeError):  # broken, or shut down at exit
        _drop_pool(pool)
        return [_here(render) for render in renders]


def png(render: Callable[[], bytes], started: Future[bytes]) -> bytes:
    """The PNG the pool drew. When anything failed there (the pool broke, a worker hung, the chart
    could not be sent, or its drawing raised) it is drawn once here: the error, if it is the
    chart's own, is raised again from here."""
    try:
        return started.result(timeout=DRAW_TIMEOUT_S)
    except Exception as error:
        if isinstance(error, (BrokenProcessPool, TimeoutError)) and _pool is not None:
            _drop_pool(_pool)
        logger.warning("a chart was not drawn in the chart process (%s); drawing it here", type(error).__name__)
        return render()


def _here(render: Callable[[], bytes]) -> Future[bytes]:
    done: Future[bytes] = Future()
    try:
        done.set_result(render())
    except Exception as error:  # raised again by .result(), as from the pool
        done.set_exception(error)
    return done
