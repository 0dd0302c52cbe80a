"""The model's pick of new feedback's themes, on the work queue, after the item is stored.

Every way in (the command, the shortcut's form, the ingest API) stores feedback with the
words' themes and answers at once; this queues the model's refinement (services/feedback_ai.py)
so neither Slack's ack nor the person's answer nor the API's caller waits for a model. Without a
model configured nothing is queued; with the queue full the words' themes simply stand.
"""

from __future__ import annotations

import logging
from typing import Sequence

from bot import metrics
from bot.runtime import Runtime
from bot.workqueue import WorkQueueFull
from services import feedback_ai

logger = logging.getLogger(__name__)


def refine_on_queue(runtime: Runtime, *, team_id: int, item_ids: Sequence[int]) -> None:
    if not item_ids or runtime.narrators.server is None:
        return
    ids = list(item_ids)
    try:
        runtime.work.submit("feedback_themes", lambda: refine_now(runtime, team_id=team_id, item_ids=ids))
    except WorkQueueFull:
        logger.warning("work queue full: %d feedback items of team %s keep the words' themes", len(ids), team_id)


def refine_now(runtime: Runtime, *, team_id: int, item_ids: Sequence[int]) -> list[feedback_ai.Refinement]:
    picker_for = runtime.narrators.theme_picker
    done = feedback_ai.refine(runtime.session_factory, team_id=team_id, item_ids=item_ids, now=runtime.clock(), picker_for=picker_for)
    for refined in done:
        metrics.llm_call(refined.picked.seconds, "llm" if refined.applied else "offline", refined.picked.reason)
    return done


def feedback_refiner(runtime: Runtime):
    """For the ingest API: (team id, new item ids) -> their themes refined on the queue."""

    def refine(team_id: int, item_ids: Sequence[int]) -> None:
        refine_on_queue(runtime, team_id=team_id, item_ids=item_ids)

    return refine
