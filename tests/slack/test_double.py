"""Tests of the Slack double itself: real slack_sdk clients against it, and real Bolt behind the driver."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    FixedValueRetryIntervalCalculator,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.slack_double import Call, SlackDouble, SlackDriver, WaitTimeout, slack_escape, slack_mention

NO_WAIT = FixedValueRetryIntervalCalculator(0.0)
SIGNING_SECRET = "double-signing-secret"


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.fixture
def double() -> Iterator[SlackDouble]:
    with SlackDouble() as running:
        running.add_channel("C1", "general")
        running.add_channel("C2", "random")
        yield running
    assert running.internal_errors == [], "the double itself crashed:\n" + "\n".join(running.internal_errors)


@pytest.fixture
def client(double: SlackDouble) -> WebClient:
    return WebClient(token="xoxb-test", base_url=double.base_url, retry_handlers=[])


# --- Block Kit validation --------------------------------------------------------------------------

INVALID_BLOCKS = {
    "unknown block type": [{"type": "carousel_of_dreams", "text": "hi"}],
    "header in mrkdwn": [{"type": "header", "text": {"type": "mrkdwn", "text": "*Weekly agenda*"}}],
    "51 blocks": [section(f"line {i}") for i in range(51)],
    "3001-character section": [section("x" * 3001)],
    "11 section fields": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
    "2001-character field": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
    "151-character header": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
    "11 context elements": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
    "section text as a bare string": [{"type": "section", "text": "hi"}],
    "duplicate block_id": [{**section("a"), "block_id": "same"}, {**section("b"), "block_id": "same"}],
    "image without alt_text": [{"type": "image", "image_url": "https://example.com/a.png"}],
}


@pytest.mark.parametrize("blocks", list(INVALID_BLOCKS.values()), ids=list(INVALID_BLOCKS))
def test_blocks_slack_would_reject_get_invalid_blocks(double: SlackDouble, client: WebClient, blocks: list) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)

    assert raised.value.response["error"] == "invalid_blocks"
    assert raised.value.response["errors"], "Slack lists what is wrong; so does the double"
    assert all("[json-pointer:/blocks" in error for error in raised.value.response["errors"])
    assert double.messages("C1") == []
    (call,) = double.calls_to("chat.postMessage")
    assert call.error == "invalid_blocks" and call.params["blocks"] == blocks


def test_each_rejection_points_at_the_offending_field(client: WebClient) -> None:
    blocks = [section("ok"), {"type": "header", "text": {"type": "mrkdwn", "text": "no"}}]

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="t", blocks=blocks)

    (error,) = raised.value.response["errors"]
    assert "plain_text" in error and error.endswith("[json-pointer:/blocks/1/text/type]")


def test_a_valid_50_block_message_is_posted_and_stored(double: SlackDouble, client: WebClient) -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Agenda"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10},
        {"type": "divider"},
        *[section("y" * 3000) for _ in range(46)],
    ]
    assert len(blocks) == 50

    response = client.chat_postMessage(channel="C1", text="fallback", blocks=blocks)

    assert response["ok"] and response["channel"] == "C1"
    (stored,) = double.messages("C1")
    assert stored["ts"] == response["ts"] and stored["blocks"] == blocks and stored["user"] == double.bot_user_id


def test_a_message_without_text_or_blocks_is_no_text(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postMessage", json={"channel": "C1", "text": ""})  # api_call: no client-side warning
    assert raised.value.response["error"] == "no_text"


def test_blocks_sent_form_encoded_are_decoded_and_validated(double: SlackDouble, client: WebClient) -> None:
    blocks = [section("from a form")]
    client.api_call("chat.postMessage", params={"channel": "C1", "text": "t", "blocks": json.dumps(blocks)})

    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps([{"type": "nope"}])})

    assert raised.value.response["error"] == "invalid_blocks"
    first, _ = double.calls_to("chat.postMessage")
    assert first.params["blocks"] == blocks
    assert first.headers["content-type"] == "application/x-www-form-urlencoded"


def test_views_are_validated_with_the_100_block_limit(double: SlackDouble, client: WebClient) -> None:
    def modal(count: int) -> dict:
        return {"type": "modal", "title": {"type": "plain_text", "text": "Goal"}, "blocks": [section("b")] * count}

    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id="1.2.abc", view=modal(101))
    opened = client.views_open(trigger_id="1.2.abc", view=modal(100))

    assert raised.value.response["error"] == "invalid_blocks"
    assert any("[json-pointer:/view/blocks]" in e for e in raised.value.response["errors"])
    view_id = opened["view"]["id"]
    updated = client.views_update(view_id=view_id, view=modal(1))
    assert updated["view"]["id"] == view_id and len(double.views[view_id]["blocks"]) == 1
    with pytest.raises(SlackApiError) as raised:
        client.views_update(view_id=view_id, view={**modal(1), "title": {"type": "mrkdwn", "text": "x" * 30}})
    assert raised.value.response["error"] == "invalid_blocks"


def test_views_publish_keeps_the_home_tab_per_user(double: SlackDouble, client: WebClient) -> None:
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("Hola")]})

    assert double.home_views["U1"]["blocks"] == [section("Hola")]
    with pytest.raises(SlackApiError) as raised:
        client.views_publish(user_id="U1", view={"type": "home", "blocks": [{"type": "mystery"}]})
    assert raised.value.response["error"] == "invalid_blocks"


# --- auth and unknown methods -------------------------------------------------------------------------


def test_tokens_are_checked(double: SlackDouble) -> None:
    double.revoked_tokens.add("xoxb-revoked")

    assert WebClient(token="xoxb-any", base_url=double.base_url).auth_test()["user_id"] == "UBOT"
    for token, error in [(None, "not_authed"), ("xoxb-revoked", "invalid_auth"), ("nonsense", "invalid_auth")]:
        with pytest.raises(SlackApiError) as raised:
            WebClient(token=token, base_url=double.base_url).auth_test()
        assert raised.value.response["error"] == error


def test_get_with_a_query_string_and_token_parameter_is_understood(double: SlackDouble) -> None:
    double.add_user("U1", name="ana")
    url = double.base_url + "users.info?" + urlencode({"token": "xoxb-q", "user": "U1", "include_locale": "true"})

    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.loads(response.read())

    assert body["ok"] and body["user"]["locale"] == "es-LA"
    (call,) = double.calls_to("users.info")
    assert call.params == {"user": "U1", "include_locale": "true"}  # the token is not a parameter


def test_unknown_methods_are_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("chat.teleport", params={"channel": "C1"})
    assert raised.value.response["error"] == "unknown_method"


# --- fault injection against slack_sdk's retry handlers ---------------------------------------------


def test_429_with_retry_after_is_retried_and_posts_exactly_once(double: SlackDouble) -> None:
    client = WebClient(
        token="xoxb-test", base_url=double.base_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)]
    )
    double.fail_next("chat.postMessage", status=429, retry_after=0)

    response = client.chat_postMessage(channel="C1", text="once")

    assert response["ok"]
    limited, posted = double.calls_to("chat.postMessage")
    assert (limited.status, limited.error) == (429, "ratelimited") and posted.ok
    assert [m["text"] for m in double.messages("C1")] == ["once"]


def test_429_wire_format_has_retry_after_and_ratelimited_body(double: SlackDouble) -> None:
    double.fail_next("chat.postMessage", status=429)  # Retry-After defaults to 1, like Slack
    request = urllib.request.Request(
        double.base_url + "chat.postMessage",
        data=urlencode({"channel": "C1", "text": "x"}).encode(),
        headers={"Authorization": "Bearer xoxb-test"},
    )

    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)

    assert raised.value.code == 429 and raised.value.headers["Retry-After"] == "1"
    assert json.loads(raised.value.read()) == {"ok": False, "error": "ratelimited"}


def test_500_is_retried_by_the_server_error_handler(double: SlackDouble) -> None:
    handler = ServerErrorRetryHandler(max_retry_count=1, interval_calculator=NO_WAIT)
    client = WebClient(token="xoxb-test", base_url=double.base_url, retry_handlers=[handler])
    double.fail_next("chat.postMessage", status=500)

    assert client.chat_postMessage(channel="C1", text="after a 500")["ok"]
    assert [c.status for c in double.calls_to("chat.postMessage")] == [500, 200]
    assert len(double.messages("C1")) == 1


def test_without_a_retry_handler_a_500_surfaces(double: SlackDouble, client: WebClient) -> None:
    double.fail_next("chat.postMessage", status=500, times=2)

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="x")

    assert raised.value.response.status_code == 500
    assert double.messages("C1") == []


def test_a_dropped_connection_is_retried_by_the_connection_error_handler(double: SlackDouble) -> None:
    handler = ConnectionErrorRetryHandler(max_retry_count=1, interval_calculator=NO_WAIT)
    client = WebClient(token="xoxb-test", base_url=double.base_url, retry_handlers=[handler])
    double.drop_next("chat.postMessage")

    assert client.chat_postMessage(channel="C1", text="after a drop")["ok"]
    dropped, posted = double.calls_to("chat.postMessage")
    assert dropped.status == 0 and dropped.response is None and posted.ok
    assert len(double.messages("C1")) == 1


def test_the_channel_rate_limit_answers_429(double: SlackDouble, client: WebClient) -> None:
    double.set_channel_rate_limit(2)

    client.chat_postMessage(channel="C1", text="1")
    client.chat_postMessage(channel="C1", text="2")
    client.chat_postMessage(channel="C2", text="other channel")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="3")

    assert raised.value.response.status_code == 429 and raised.value.response.headers["Retry-After"] == "1"
    assert len(double.messages("C1")) == 2


def test_set_delay_slows_one_method(double: SlackDouble, client: WebClient) -> None:
    double.set_delay("auth.test", 0.3)

    started = time.perf_counter()
    client.auth_test()
    slow = time.perf_counter() - started
    started = time.perf_counter()
    client.chat_postMessage(channel="C1", text="fast")
    fast = time.perf_counter() - started

    assert slow >= 0.3 and fast < 0.3


def test_reset_forgets_calls_faults_and_messages(double: SlackDouble, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="x")
    double.fail_next("auth.test", status=500)

    double.reset()

    assert double.calls == [] and double.messages("C1") == []
    assert client.auth_test()["ok"]


# --- messages, threads, permalinks, users, channels ---------------------------------------------------


def test_history_is_newest_first_and_carries_metadata_only_when_asked(double: SlackDouble, client: WebClient) -> None:
    metadata = {"event_type": "agenda_posted", "event_payload": {"agenda_id": 7}}
    first = client.chat_postMessage(channel="C1", text="agenda", metadata=metadata)
    second = client.chat_postMessage(channel="C1", text="later")
    client.chat_postMessage(channel="C1", text="a reply", thread_ts=first["ts"])

    with_metadata = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    without = client.conversations_history(channel="C1")["messages"]

    assert [m["ts"] for m in with_metadata] == [second["ts"], first["ts"]]
    assert float(second["ts"]) > float(first["ts"])
    assert with_metadata[1]["metadata"] == metadata and with_metadata[1]["reply_count"] == 1
    assert all("metadata" not in m for m in without)
    with pytest.raises(SlackApiError) as raised:
        client.conversations_history(channel="C_NEVER_SEEN")
    assert raised.value.response["error"] == "channel_not_found"


def test_replies_update_and_permalink(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])

    client.chat_update(channel="C1", ts=parent["ts"], text="edited", blocks=[section("edited")])
    thread = client.conversations_replies(channel="C1", ts=parent["ts"])["messages"]
    permalink = client.chat_getPermalink(channel="C1", message_ts=reply["ts"])["permalink"]

    assert [m["text"] for m in thread] == ["edited", "reply"]
    assert thread[0]["blocks"] == [section("edited")] and thread[1]["thread_ts"] == parent["ts"]
    assert permalink.endswith(f"/archives/C1/p{reply['ts'].replace('.', '')}")
    for call in (
        lambda: client.chat_update(channel="C1", ts="1.2", text="x"),
        lambda: client.chat_getPermalink(channel="C1", message_ts="1.2"),
    ):
        with pytest.raises(SlackApiError) as raised:
            call()
        assert raised.value.response["error"] == "message_not_found"


def test_ephemeral_messages_are_validated_but_not_stored(double: SlackDouble, client: WebClient) -> None:
    assert client.chat_postEphemeral(channel="C1", user="U1", text="only you")["ok"]
    with pytest.raises(SlackApiError) as raised:
        client.chat_postEphemeral(channel="C1", user="U1", text="t", blocks=[section("z" * 3001)])

    assert raised.value.response["error"] == "invalid_blocks"
    assert double.messages("C1") == []


def test_users_info_with_locale(double: SlackDouble, client: WebClient) -> None:
    double.add_user("U1", name="ana", real_name="Ana Gómez", locale="pt-BR", tz="America/Sao_Paulo", is_admin=True)

    user = client.users_info(user="U1", include_locale=True)["user"]
    without_locale = client.users_info(user="U1")["user"]

    assert (user["locale"], user["tz"]) == ("pt-BR", "America/Sao_Paulo")
    assert (user["is_admin"], user["is_owner"]) == (True, False)
    assert user["real_name"] == "Ana Gómez" and user["profile"]["real_name"] == "Ana Gómez"
    assert "locale" not in without_locale
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U_NOBODY")
    assert raised.value.response["error"] == "user_not_found"


def test_conversations_info(double: SlackDouble, client: WebClient) -> None:
    double.add_channel("C0TEAM", "marketing-sales")

    assert client.conversations_info(channel="C0TEAM")["channel"]["name"] == "marketing-sales"
    with pytest.raises(SlackApiError) as raised:
        client.conversations_info(channel="C404")
    assert raised.value.response["error"] == "channel_not_found"


# --- files ----------------------------------------------------------------------------------------------


def test_files_upload_v2_end_to_end(double: SlackDouble, client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C1", text="report thread")
    content = bytes(range(256)) * 40  # binary, so any text decoding on the way would show

    response = client.files_upload_v2(
        channel="C1",
        thread_ts=parent["ts"],
        content=content,
        filename="okr-chart.png",
        title="OKR chart",
        initial_comment="Here it is",
    )

    (stored,) = double.files.values()
    assert response["file"]["id"] == stored.id
    assert (stored.content, stored.title, stored.filename) == (content, "OKR chart", "okr-chart.png")
    assert (stored.channel, stored.thread_ts, stored.initial_comment) == ("C1", parent["ts"], "Here it is")
    assert [c.method for c in double.calls][1:] == [
        "files.getUploadURLExternal",
        "upload_url",
        "files.completeUploadExternal",
    ]
    share = client.conversations_replies(channel="C1", ts=parent["ts"])["messages"][-1]
    assert share["subtype"] == "file_share" and share["files"][0]["id"] == stored.id


def test_completing_an_upload_that_never_happened_is_file_not_found(client: WebClient) -> None:
    url = client.files_getUploadURLExternal(filename="a.txt", length=3)

    with pytest.raises(SlackApiError) as raised:
        client.files_completeUploadExternal(files=[{"id": url["file_id"], "title": "a"}], channel_id="C1")
    assert raised.value.response["error"] == "file_not_found"


# --- response_url -----------------------------------------------------------------------------------------


def test_response_url_posts_are_recorded_and_validated(double: SlackDouble) -> None:
    webhook = WebhookClient(double.new_response_url())

    sent = webhook.send(text="Listo", response_type="ephemeral", replace_original=False)
    rejected = webhook.send(text="t", blocks=[{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}])
    empty = webhook.send(text="")

    assert (sent.status_code, sent.body) == (200, "ok")
    assert (rejected.status_code, rejected.body) == (400, "invalid_blocks")
    assert (empty.status_code, empty.body) == (400, "no_text")
    first = double.wait_for("response_url")[0]
    assert first.params == {"text": "Listo", "response_type": "ephemeral", "replace_original": False}
    assert [c.error for c in double.calls_to("response_url")] == [None, "invalid_blocks", "no_text"]


def test_faults_apply_to_response_urls_and_unknown_urls_are_404(double: SlackDouble) -> None:
    double.fail_next("response_url", status=503)

    assert WebhookClient(double.new_response_url()).send(text="x").status_code == 503
    assert WebhookClient(double.url + f"/commands/{double.team_id}/1/never-issued").send(text="x").status_code == 404


# --- wait_for ---------------------------------------------------------------------------------------------


def test_wait_for_wakes_up_when_the_call_arrives(double: SlackDouble, client: WebClient) -> None:
    timer = threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="late"))
    timer.start()
    try:
        (call,) = double.wait_for("chat.postMessage", lambda c: c.params.get("text") == "late", timeout=5)
    finally:
        timer.join()
    assert isinstance(call, Call) and call.ok


def test_wait_for_times_out_with_the_calls_it_saw(double: SlackDouble, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="something else")

    started = time.perf_counter()
    with pytest.raises(WaitTimeout) as raised:
        double.wait_for("views.open", timeout=0.2)

    assert time.perf_counter() - started < 2
    assert isinstance(raised.value, AssertionError) and isinstance(raised.value, TimeoutError)
    message = str(raised.value)
    assert "'views.open'" in message and "found 0" in message
    assert "chat.postMessage" in message and "something else" in message


def test_wait_for_counts_matching_calls(double: SlackDouble, client: WebClient) -> None:
    for text in ("a", "b", "c"):
        client.chat_postMessage(channel="C1", text=text)

    assert len(double.wait_for("chat.postMessage", count=3, timeout=1)) == 3
    with pytest.raises(AssertionError, match="found 2"):
        double.wait_for("chat.postMessage", lambda c: c.params["text"] != "b", count=3, timeout=0.1)


# --- the driver, against a real Bolt app ------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietWSGIHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def bolt_url(double: SlackDouble) -> Iterator[str]:
    """A real Bolt app, served over WSGI, talking to the double."""
    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(base_url=double.base_url, token="xoxb-x"),
        token_verification_enabled=False,
        # Listeners run in the request's own thread: by default Bolt hands each to a new thread
        # and answers 404 if it has not acked within 3 s, which a loaded CI machine's scheduler
        # made happen now and then. What these tests check (signatures, payloads) is the same.
        process_before_response=True,
    )

    @app.command("/alinea")
    def on_command(ack, command, respond):  # noqa: ANN001 - Bolt injects by name
        ack()
        if command.get("response_url"):  # a hand-made body may have none
            respond(f"echo: {command['text']}")

    @app.event("app_mention")
    def on_mention(event, say):  # noqa: ANN001
        say(f"mentioned by {event['user']}")

    @app.action("approve")
    def on_approve(ack, body, say):  # noqa: ANN001
        ack()
        say(f"approved {body['actions'][0]['value']}")

    @app.view("goal_modal")
    def on_goal(ack, view, client):  # noqa: ANN001
        ack()
        goal = view["state"]["values"]["goal"]["goal_input"]["value"]
        client.chat_postMessage(channel="C0TEAM", text=f"{goal} / {view['private_metadata']}")

    server = make_server(
        "127.0.0.1", 0, SlackRequestHandler(app), server_class=_ThreadingWSGIServer, handler_class=_QuietWSGIHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack/events"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def driver(bolt_url: str, double: SlackDouble) -> SlackDriver:
    double.add_channel("C0TEAM", "marketing-sales")
    return SlackDriver(bolt_url, SIGNING_SECRET, double)


def test_a_signed_slash_command_reaches_bolt(double: SlackDouble, driver: SlackDriver) -> None:
    text = slack_escape("R&D <all>") + " " + slack_mention("U0BETO", "beto")
    assert text == "R&amp;D &lt;all&gt; <@U0BETO|beto>"

    result = driver.slash_command(text)

    assert result.status == 200 and result.elapsed < 3
    (reply,) = double.wait_for("response_url", lambda c: c.params.get("text", "").startswith("echo"))
    assert reply.params["text"] == f"echo: {text}"
    assert result.response_url and result.payload["channel_name"] == "marketing-sales"


def test_a_signed_event_reaches_bolt_including_retries(double: SlackDouble, driver: SlackDriver) -> None:
    event = {"type": "app_mention", "user": "U0ANA", "text": "<@UBOT> hola", "channel": "C0TEAM", "ts": "1.1"}

    first = driver.event(event, event_id="Ev1")
    retried = driver.event(event, event_id="Ev1", retry_num=1, retry_reason="http_timeout")

    assert (first.status, retried.status) == (200, 200)
    posts = double.wait_for("chat.postMessage", count=2)
    assert {p.params["text"] for p in posts} == {"mentioned by U0ANA"}


def test_a_signed_block_action_reaches_bolt(double: SlackDouble, driver: SlackDriver) -> None:
    result = driver.block_action("approve", value="sla-42", message={"type": "message", "ts": "5.5", "text": "SLA"})

    assert result.status == 200
    (post,) = double.wait_for("chat.postMessage")
    assert (post.params["channel"], post.params["text"]) == ("C0TEAM", "approved sla-42")
    assert result.payload["container"]["message_ts"] == "5.5"


def test_a_signed_view_submission_reaches_bolt(double: SlackDouble, driver: SlackDriver) -> None:
    values = {"goal": {"goal_input": {"type": "plain_text_input", "value": "100 MQLs"}}}

    result = driver.view_submission("goal_modal", values, private_metadata="q3")

    assert result.status == 200 and result.body == ""
    (post,) = double.wait_for("chat.postMessage")
    assert post.params["text"] == "100 MQLs / q3"


def test_url_verification_is_answered(driver: SlackDriver) -> None:
    result = driver.url_verification("abc123")
    assert result.status == 200 and result.json() == {"challenge": "abc123"}


def test_bad_missing_or_stale_signatures_get_401_and_run_nothing(double: SlackDouble, driver: SlackDriver) -> None:
    body = urlencode({"command": "/alinea", "text": "x", "user_id": "U0ANA", "team_id": double.team_id})
    form = "application/x-www-form-urlencoded"

    bad = driver.send_raw(body, content_type=form, signature="v0=" + "0" * 64)
    missing = driver.send_raw(body, content_type=form, sign=False)
    stale = driver.send_raw(body, content_type=form, timestamp=int(time.time()) - 6 * 60)
    fresh = driver.send_raw(body, content_type=form)

    assert [r.status for r in (bad, missing, stale)] == [401, 401, 401]
    assert fresh.status == 200  # same body, correctly signed: only the signature made the difference
    assert double.calls_to("response_url") == []


def test_posting_needs_a_known_channel_the_bot_was_invited_to(double: SlackDouble, client: WebClient) -> None:
    double.add_channel("C0OUT", "outside", bot_is_member=False)
    for channel, error in (("C0OUT", "not_in_channel"), ("C_NEVER_SEEN", "channel_not_found")):
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel=channel, text="x")
        assert refused.value.response["error"] == error
    assert client.chat_postMessage(channel="U1", text="a DM")["ok"]
    assert client.conversations_info(channel="C0OUT")["channel"]["is_member"] is False


def test_a_failure_after_the_effect_stores_the_message_but_fails_the_call(double: SlackDouble) -> None:
    plain = WebClient(token="xoxb-test", base_url=double.base_url)  # no retry handlers
    double.fail_next("chat.postMessage", status=500, after_effect=True)
    with pytest.raises(SlackApiError):
        plain.chat_postMessage(channel="C1", text="posted, but the answer was lost")
    assert [m["text"] for m in double.messages("C1")] == ["posted, but the answer was lost"]


def test_a_held_call_is_carried_out_at_once_and_answered_only_when_released(double: SlackDouble, client: WebClient) -> None:
    held = double.hold_next("chat.postMessage", after=1)
    assert client.chat_postMessage(channel="C1", text="first").get("ok")  # let through
    answers: list[str] = []
    poster = threading.Thread(target=lambda: answers.append(client.chat_postMessage(channel="C1", text="second")["ts"]))
    poster.start()
    assert held.reached.wait(10)
    assert [m["text"] for m in double.messages("C1")] == ["first", "second"] and answers == []  # posted, answer still held
    assert client.chat_postMessage(channel="C2", text="meanwhile").get("ok")  # the rest of Slack keeps answering
    held.release()
    poster.join(10)
    assert answers == [double.messages("C1")[1]["ts"]]
