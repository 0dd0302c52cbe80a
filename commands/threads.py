"""The one `message` listener: replies in threads of Alinea's posts, handed to the feature whose
words they start with.

Bolt runs only the first listener that matches an event, so every feature that reads thread
replies is dispatched from here rather than registering its own `message` listener:

- `ack <reason> [note]` / `recibido <razón>` in an SLA breach's thread (commands/sla_breach.py);
- `logrado: …` / `aprendido: …` / `ajustar: …` (or `achieved:`, `learned:`, `adjust:`) in an
  OKR review's thread (commands/okr_review.py).

This listener hears every message in every channel Alinea is in, so it decides with pure,
cheap checks first (a reply in a thread, written by a person, whose first word is one of a
feature's) and only then reserves room on the work queue; the handler looks the thread up in the
database there, and leaves the message alone when the thread is not one of its posts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.middleware import runtime_of
from bot.runtime import Runtime
from bot.workqueue import WorkQueueFull
from commands import okr_review, sla_breach
from domain.slack_text import decode_entities

EVENT = "message"
REPLY_SUBTYPES = {None, "thread_broadcast"}  # edits, deletions, joins, bot posts… are not replies

ThreadHandler = Callable[..., None]  # (runtime, client, *, slack_team_id, event_id, event) -> None


@dataclass(frozen=True)
class ThreadFeature:
    name: str
    wants: Callable[[str], bool]  # pure and cheap, on the reply's text (entities decoded)
    handle: ThreadHandler  # runs on the work queue


FEATURES: tuple[ThreadFeature, ...] = (
    ThreadFeature("sla-ack", sla_breach.looks_like_ack, sla_breach.handle_thread_reply),
    ThreadFeature("okr-review", okr_review.looks_like_answer, okr_review.handle_thread_reply),
)


def is_person_reply(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A reply in a thread (not the thread's parent), written by a person other than Alinea."""
    if event.get("subtype") not in REPLY_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return False
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts") and event.get("user") != bot_user_id


def feature_for(event: dict[str, Any], bot_user_id: str | None) -> ThreadFeature | None:
    """The feature a message is for, or None (most messages): no I/O."""
    if not is_person_reply(event, bot_user_id):
        return None
    text = decode_entities(event.get("text") or "")
    return next((feature for feature in FEATURES if feature.wants(text)), None)


def on_message(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Bolt listener (events are acked by Bolt): filter, then do the work on the queue."""
    feature = feature_for(event, context.bot_user_id)
    if feature is None:
        return
    runtime = runtime_of(context)
    dispatch(runtime, client, feature, slack_team_id=body["team_id"], event_id=str(body.get("event_id") or ""), event=event)


def dispatch(runtime: Runtime, client: WebClient, feature: ThreadFeature, *, slack_team_id: str, event_id: str, event: dict[str, Any]) -> None:
    def work() -> None:
        feature.handle(runtime, client, slack_team_id=slack_team_id, event_id=event_id, event=event)

    try:
        runtime.work.reserve(f"{EVENT}:{feature.name}").run(work)
    except WorkQueueFull:  # Bolt already acked; doing it on Bolt's thread is slower, never lost
        work()
