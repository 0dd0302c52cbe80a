"""Posting what the SLA services decided, after their transaction committed.

Each pending item (a breach, a no-data request, an at-risk flag, a step for a breach's thread)
is posted with its claim id as Slack metadata, then its ts is recorded in a short transaction of
its own. An item that Slack refused or that timed out stays pending and the next job run posts it
(the Notifier finds a post that went out but was not recorded, so nothing is posted twice). A
step also redraws its breach's message, so the post shows who acknowledged, the plan, escalation.

Who posts what, so that two posters never race for one item:
- `post_pending` (the jobs, under their job_runs claim) posts everything pending: the steps jobs
  take at once, the steps interactions take only once they are `STEP_GRACE` old (catching up
  what Slack refused then);
- `post_steps_of` (an interaction) posts the steps it just took on one breach, at once.
A lock per team guards the two inside one process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks import Reply
from domain.locales import TeamLocale
from bot.blocks.sla_breach import breach_message, no_data_message, risk_message, step_reply
from bot.team_locks import TeamLocks
from bot.team_sessions import TeamSessions
from bot.notifier import POST_FAILURES, Message, Notifier
from services import sla_breaches, sla_pending_posts
from services.sla_breaches import StepView

logger = logging.getLogger(__name__)

STEP_GRACE = timedelta(minutes=2)
JOB_STEPS = frozenset({"reminded", "escalated", "resolved"})  # what jobs take; interactions take the rest
_team_lock = TeamLocks()


@dataclass
class PostSummary:
    posted: int = 0
    waiting: int = 0  # Slack failed: the next run tries again

    def line(self) -> str:
        return f"posted {self.posted}, {self.waiting} waiting for Slack"



def _message(reply: Reply) -> Message:
    return Message(reply.text, reply.blocks)


class SlaPoster(TeamSessions):
    def __init__(self, factory: sessionmaker[Session], client: WebClient, *, team_id: int):
        super().__init__(factory, team_id)
        self._notifier = Notifier(client)

    def _try(self, summary: PostSummary, what: str, post: Callable[[], None]) -> bool:
        try:
            post()
            summary.posted += 1
            return True
        except POST_FAILURES:
            summary.waiting += 1
            logger.warning("SLA post %s not made yet; the next job run tries again", what, exc_info=True)
            return False

    def _post_steps(self, summary: PostSummary, steps: list[StepView], where: TeamLocale) -> None:
        """In order: once a step of a breach could not be posted, its later steps wait too (an
        escalation never appears above the reminder it follows)."""
        stuck: set[int] = set()
        for step in steps:
            if step.breach.id in stuck:
                summary.waiting += 1
            elif not self._try(summary, step.claim, lambda step=step: self._post_step(step, where)):
                stuck.add(step.breach.id)

    # Everything pending --------------------------------------------------------------------------

    def post_pending(self, *, now: datetime) -> PostSummary:
        summary = PostSummary()
        with _team_lock(self._team_id):
            self._post_each(summary, "sla-breach", sla_pending_posts.unposted_breaches, breach_message,
                            lambda s, team, view, ts: sla_pending_posts.record_breach_post(s, team=team, breach_id=view.id, ts=ts, now=now))
            self._post_each(summary, "sla-no-data", sla_pending_posts.unposted_no_data, no_data_message,
                            lambda s, team, view, ts: sla_pending_posts.record_no_data_post(s, team=team, evaluation_id=view.id, ts=ts))
            self._post_each(summary, "sla-risk", sla_pending_posts.unposted_risks, risk_message,
                            lambda s, team, view, ts: sla_pending_posts.record_risk_post(s, team=team, flag_id=view.id, ts=ts))
            steps, where, _ = self._read(lambda s, team: sla_pending_posts.unposted_steps(s, team=team))
            self._post_steps(summary, [step for step in steps if step.kind in JOB_STEPS or now - step.at >= STEP_GRACE], where)
        return summary

    def _post_each(self, summary: PostSummary, kind: str, pending, render, record) -> None:
        """Post each pending item of one kind in the team's channel, then record its ts."""
        views, where, channel = self._read(lambda s, team: pending(s, team=team))
        for view in views:
            claim = f"{kind}-{view.id}"

            def post(view=view, claim=claim) -> None:
                ts = self._notifier.post(channel=channel, message=_message(render(view, where)), claim=claim)
                self._write(lambda s, team: record(s, team, view, ts))

            self._try(summary, claim, post)

    # One step ----------------------------------------------------------------------------------------

    def post_steps_of(self, breach_id: int) -> PostSummary:
        """The steps an interaction just took on one breach (acknowledged, plan, closed), said at once."""
        summary = PostSummary()
        with _team_lock(self._team_id):
            steps, where, _ = self._read(lambda s, team: sla_pending_posts.unposted_steps(s, team=team))
            self._post_steps(summary, [step for step in steps if step.breach.id == breach_id], where)
        return summary

    def _post_step(self, step: StepView, where: TeamLocale) -> None:
        breach = step.breach
        assert breach.message_ts is not None
        ts = self._notifier.post(channel=breach.channel_id, message=_message(step_reply(step, where)), claim=step.claim, thread_ts=breach.message_ts)
        self._write(lambda s, team: sla_pending_posts.record_step_post(s, team=team, step_id=step.id, ts=ts))
        self.redraw(breach.id)

    def redraw(self, breach_id: int) -> None:
        """Update the breach's post from a fresh read. The database is the record: a message
        someone deleted, or a Slack hiccup, does not undo what was decided."""
        view, where, _ = self._read(lambda s, team: sla_breaches.breach(s, team=team, breach_id=breach_id))
        if view.message_ts is None:
            return
        try:
            self._notifier.update(channel=view.channel_id, ts=view.message_ts, message=_message(breach_message(view, where)))
        except POST_FAILURES:
            logger.warning("could not redraw the post of breach %s", breach_id, exc_info=True)
