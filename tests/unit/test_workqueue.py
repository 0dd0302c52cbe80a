import threading

import pytest

from bot.workqueue import WorkQueue, WorkQueueFull


def test_the_queue_refuses_work_beyond_its_limit_and_frees_room_when_done():
    queue = WorkQueue(workers=1, limit=2)
    gate = threading.Event()
    first = queue.submit("a", gate.wait)
    second = queue.submit("b", lambda: "done")
    with pytest.raises(WorkQueueFull):
        queue.reserve("c")
    assert queue.pending == 2
    gate.set()
    first.result(timeout=5)
    assert second.result(timeout=5) == "done"
    queue.submit("d", lambda: None).result(timeout=5)
    assert queue.pending == 0
    queue.shutdown()


def test_a_reserved_slot_counts_until_released_and_cannot_be_used_twice():
    queue = WorkQueue(workers=1, limit=1)
    slot = queue.reserve("a")
    with pytest.raises(WorkQueueFull):
        queue.reserve("b")
    slot.release()
    with pytest.raises(RuntimeError):
        slot.run(lambda: None)
    queue.submit("c", lambda: None).result(timeout=5)
    queue.shutdown()


def test_a_failing_task_frees_its_slot():
    queue = WorkQueue(workers=1, limit=1)
    future = queue.submit("boom", lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        future.result(timeout=5)
    queue.submit("next", lambda: None).result(timeout=5)
    queue.shutdown()
