"""Posting alert episodes in their team's channel, once each, after the values that started
them were committed. Called right after a value is recorded, and by the `alerts-post` job,
which catches up whatever a Slack outage delayed."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.alerts import alert_message
from domain.locales import team_locale
from db.session import read_only
from bot.notifier import POST_FAILURES, Message, Notifier
from db.models import AlignmentTeam
from services import alerts, kpis

logger = logging.getLogger(__name__)


def post_pending(factory: sessionmaker[Session], client: WebClient, *, team_id: int) -> int:
    """Post every episode of the team not known to be posted; returns how many went out."""
    with read_only(factory) as session:
        team = session.get(AlignmentTeam, team_id)
        if team is None:
            return 0
        where = team_locale(team)
        channel = team.channel_id
        pending = [(episode, kpis.find(session, team=team, key=episode.rule.kpi_key).spec) for episode in alerts.unposted(session, team=team)]
    notifier, posted = Notifier(client), 0
    for episode, spec in pending:
        reply = alert_message(episode, spec, where)
        try:
            ts = notifier.post(channel=channel, message=Message(reply.text, reply.blocks), claim=f"alert-{episode.rule.id}-{episode.number}")
        except POST_FAILURES:
            logger.warning("alert %s-%s not posted yet; the alerts-post job will try again", episode.rule.id, episode.number, exc_info=True)
            continue
        with factory.begin() as session:
            alerts.record_post(session, team=session.get(AlignmentTeam, team_id), episode_id=episode.id, ts=ts)
        posted += 1
    return posted


def poster_on_queue(runtime):
    """For work that records values outside a Slack listener (the ingest API): post the team's new
    alerts on the work queue, off the request; if the queue is full, the alerts-post job will."""
    from bot.workqueue import WorkQueueFull

    def work(team_id: int) -> None:
        post_pending(runtime.session_factory, runtime.slack.for_team(team_id), team_id=team_id)

    def post(team_id: int) -> None:
        try:
            runtime.work.submit("alerts", lambda: work(team_id))
        except WorkQueueFull:
            logger.warning("work queue full: alerts of team %s wait for the alerts-post job", team_id)

    return post
