"""Posting what the OKR rhythm claimed, after its transaction committed.

- `remind` claims this week's check-in reminders (one row per owner and meeting: the claim),
  commits, then DMs each reminder not sent yet and records its ts. The DM is the bot's direct
  message with the owner, opened with conversations.open (im:write), so the Notifier can look the
  message up in that conversation (im:history) before posting again after a failure.
- `post_reviews` claims the review of each objective whose last deadline passed, commits, then
  posts each prompt not posted yet in the team's channel and records its ts.
- `redraw_review` updates a review post from a fresh read after an answer.

Every post carries its claim as Slack metadata (`okr-reminder-<id>`, `okr-review-<id>`). A post
Slack refused or that timed out stays unposted and the next job run tries again. Before posting
an unposted row, the conversation is looked up for its claim (a run that died between posting and
recording its ts, or another process posting it, left it there), and the Notifier does the same
after a failed attempt, so nothing is sent twice. A reminder is useful
only until its meeting starts (the service stops listing it then) and only for KRs still waiting:
one whose KRs all got a check-in while Slack was down is not sent at all.

A lock per team keeps two threads of one process from posting the same row; across processes
the jobs are claimed per period in job_runs (bot/scheduler.py), so one replica runs each job at
a time. (The monthly agenda also calls `post_reviews`, outside that claim: the look-up before
posting narrows a race with another replica's okr-review run to the moment between the two
calls; closing it would take a posting lease on the row.)
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
from bot.blocks.okr_rhythm import reminder_message, review_message
from bot.team_locks import TeamLocks
from bot.team_sessions import TeamSessions
from bot.notifier import POST_FAILURES, Message, Notifier
from services import okr_rhythm
from services.okr_rhythm import ReminderView

logger = logging.getLogger(__name__)

CHECKIN_WINDOW = timedelta(days=7)  # a check-in this close to the meeting counts (services.okr_rhythm)
_team_lock = TeamLocks()


@dataclass
class RhythmSummary:
    claimed: int = 0  # new claims this run
    posted: int = 0
    waiting: int = 0  # Slack failed: the next run tries again
    skipped: int = 0  # nothing left to say (every KR got its check-in meanwhile)

    def line(self, what: str) -> str:
        skipped = f", {self.skipped} no longer needed" if self.skipped else ""
        return f"claimed {self.claimed} {what}; posted {self.posted}, {self.waiting} waiting for Slack{skipped}"


def _message(reply: Reply) -> Message:
    return Message(reply.text, reply.blocks)


def still_waiting(view: ReminderView) -> ReminderView:
    """The reminder without the KRs that got a check-in after it was claimed."""
    since = view.meeting_at - CHECKIN_WINDOW
    waiting = tuple(kr for kr in view.key_results if kr.last_checkin_at is None or kr.last_checkin_at < since)
    return ReminderView(view.id, view.user_id, view.meeting_at, waiting)


class OkrPoster(TeamSessions):
    def __init__(self, factory: sessionmaker[Session], client: WebClient, *, team_id: int):
        super().__init__(factory, team_id)
        self._client, self._notifier = client, Notifier(client)

    def _post_once(self, *, channel: str, reply: Reply, claim: str) -> str:
        """Look first, then post: a row still unposted may have gone out in a run that died (or
        in another process) before recording its ts. Cheap at these volumes: a DM per owner a
        week, a review per objective."""
        found = self._notifier.find_posted(channel=channel, claim=claim)
        if found:
            logger.info("OKR post %s was already in Slack; recording it, not posting again", claim)
            return found
        return self._notifier.post(channel=channel, message=_message(reply), claim=claim)

    def _try(self, summary: RhythmSummary, claim: str, post: Callable[[], None]) -> None:
        try:
            post()
            summary.posted += 1
        except POST_FAILURES:
            summary.waiting += 1
            logger.warning("OKR post %s not made yet; the next job run tries again", claim, exc_info=True)

    # Check-in reminders --------------------------------------------------------------------------------

    def remind(self, *, now: datetime) -> RhythmSummary:
        summary = RhythmSummary()
        with _team_lock(self._team_id):
            summary.claimed = self._write(lambda s, team: okr_rhythm.claim_reminders(s, team=team, now=now))
            views, where, channel = self._read(lambda s, team: okr_rhythm.unposted_reminders(s, team=team, now=now))
            for view in views:
                view = still_waiting(view)
                if not view.key_results:
                    summary.skipped += 1
                    continue
                claim = f"okr-reminder-{view.id}"
                self._try(summary, claim, lambda view=view, claim=claim: self._send_reminder(view, where, channel, claim))
        return summary

    def _send_reminder(self, view: ReminderView, where: TeamLocale, team_channel: str, claim: str) -> None:
        dm = self.open_dm(view.user_id)
        ts = self._post_once(channel=dm, reply=reminder_message(view, where, channel_id=team_channel), claim=claim)
        self._write(lambda s, team: okr_rhythm.record_reminder_post(s, team=team, reminder_id=view.id, ts=ts))

    def open_dm(self, user_id: str) -> str:
        """The bot's DM with a person (the same conversation every time)."""
        return self._client.conversations_open(users=user_id)["channel"]["id"]

    # Reviews ---------------------------------------------------------------------------------------------

    def post_reviews(self, *, now: datetime) -> RhythmSummary:
        summary = RhythmSummary()
        with _team_lock(self._team_id):
            summary.claimed = self._write(lambda s, team: okr_rhythm.claim_review_prompts(s, team=team, now=now))
            pending, where, _ = self._read(lambda s, team: [
                (view, okr_rhythm.review_answers(s, team=team, objective_id=view.objective.id))
                for view in okr_rhythm.unposted_review_prompts(s, team=team, now=now)
            ])  # fmt: skip
            for view, answers in pending:
                claim = f"okr-review-{view.id}"

                def post(view=view, answers=answers, claim=claim) -> None:
                    ts = self._post_once(channel=view.channel_id, reply=review_message(view, answers, where), claim=claim)
                    self._write(lambda s, team: okr_rhythm.record_review_prompt_post(s, team=team, prompt_id=view.id, ts=ts))

                self._try(summary, claim, post)
        return summary

    def redraw_review(self, objective_id: int, *, now: datetime) -> None:
        """Update the review post from a fresh read (under the team's lock, so an older read never
        lands after a newer one). The database is the record: a Slack hiccup only delays the view."""
        with _team_lock(self._team_id):
            (view, answers), where, _ = self._read(lambda s, team: (
                okr_rhythm.review_prompt(s, team=team, objective_id=objective_id, now=now),
                okr_rhythm.review_answers(s, team=team, objective_id=objective_id),
            ))  # fmt: skip
            if view is None or view.message_ts is None:
                return
            try:
                self._notifier.update(channel=view.channel_id, ts=view.message_ts, message=_message(review_message(view, answers, where)))
            except POST_FAILURES:
                logger.warning("could not redraw the review post of objective %s", objective_id, exc_info=True)
