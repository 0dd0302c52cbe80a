"""Posting once per claim, whatever Slack does: real slack_sdk client against the double."""

from __future__ import annotations

import pytest

from bot.notifier import Message, Notifier
from bot.slack_client import make_web_client
from bot.slack_double import SlackDouble
from domain.errors import UserError

MESSAGE = Message("Agenda semanal", [{"type": "section", "text": {"type": "mrkdwn", "text": "*Agenda*"}}])


@pytest.fixture
def double():
    with SlackDouble() as double:
        double.add_channel("C0TEAM", "alineacion")
        double.add_channel("C0OUT", "afuera", bot_is_member=False)
        yield double


@pytest.fixture
def notifier(double):
    waits = []
    notifier = Notifier(make_web_client(token="xoxb-test", base_url=double.base_url), sleep=waits.append)
    notifier.waits = waits
    return notifier


def posted(double, channel="C0TEAM"):
    return [m for m in double.messages(channel) if m.get("metadata")]


def test_a_post_carries_its_claim_in_metadata(double, notifier):
    ts = notifier.post(channel="C0TEAM", message=MESSAGE, claim="agenda-7-2026-W03")
    (message,) = posted(double)
    assert message["ts"] == ts
    assert message["metadata"] == {"event_type": "alinea_post", "event_payload": {"claim": "agenda-7-2026-W03"}}


def test_a_500_after_slack_posted_is_reconciled_not_reposted(double, notifier):
    double.fail_next("chat.postMessage", status=500, after_effect=True)
    ts = notifier.post(channel="C0TEAM", message=MESSAGE, claim="c1")
    assert [m["ts"] for m in posted(double)] == [ts]
    assert len(double.calls_to("chat.postMessage")) == 1
    assert double.calls_to("conversations.history")


def test_a_500_before_slack_posted_is_posted_again_once(double, notifier):
    double.fail_next("chat.postMessage", status=500)
    double.drop_next("chat.postMessage")
    ts = notifier.post(channel="C0TEAM", message=MESSAGE, claim="c2")
    assert [m["ts"] for m in posted(double)] == [ts]
    assert [call.status for call in double.calls_to("chat.postMessage")] == [500, 0, 200]
    assert notifier.waits == [1, 2]  # backing off between attempts


def test_a_reply_in_a_thread_is_reconciled_in_the_thread(double, notifier):
    parent = notifier.post(channel="C0TEAM", message=MESSAGE, claim="parent")
    double.fail_next("chat.postMessage", status=502, after_effect=True)
    reply = notifier.post(channel="C0TEAM", message=MESSAGE, claim="reply", thread_ts=parent)
    assert len(posted(double)) == 2
    assert double.calls_to("conversations.replies")[-1].params["ts"] == parent
    assert reply != parent


def test_rate_limits_are_waited_out_by_the_client(double, notifier):
    double.fail_next("chat.postMessage", status=429, retry_after=1)
    notifier.post(channel="C0TEAM", message=MESSAGE, claim="c3")
    assert len(posted(double)) == 1
    assert not double.calls_to("conversations.history")  # a 429 means Slack did nothing


def test_a_channel_alinea_is_not_in_is_a_clear_user_error(double, notifier):
    with pytest.raises(UserError) as refused:
        notifier.post(channel="C0OUT", message=MESSAGE, claim="c4")
    assert refused.value.message_id == "error.cannot_post"


def test_slack_down_for_good_raises_after_three_attempts(double, notifier):
    double.fail_next("chat.postMessage", status=503, times=3)
    with pytest.raises(Exception):
        notifier.post(channel="C0TEAM", message=MESSAGE, claim="c5")
    assert posted(double) == []
