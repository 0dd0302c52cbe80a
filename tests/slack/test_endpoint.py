"""The signed endpoint, end to end: real HTTP into the real Bolt app, Slack played by the double."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest
from sqlalchemy import select, text

from bot.loopback import LoopbackBot
from bot.transcript import render
from db import repositories
from db.models import AuditEntry, Workspace, WorkspaceState


def workspace_row(bot: LoopbackBot) -> Workspace | None:
    with bot.runtime.session_factory() as session:
        return repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)


def test_help_in_spanish_lists_every_subcommand_with_an_example(bot):
    result, reply = bot.command("ayuda", user_id="U0ANA")
    assert result.status == 200
    assert reply.params["response_type"] == "ephemeral"
    shown = render(reply.params)
    assert "Alinea: comandos" in shown
    assert "/alinea help | ayuda" in shown
    assert "_Ejemplo:_ `/alinea ayuda`" in shown


def test_help_in_english_for_a_person_whose_slack_is_in_english(bot):
    _, reply = bot.command("help", user_id="U0TOM")
    shown = render(reply.params)
    assert "Alinea: commands" in shown
    assert "_Example:_ `/alinea help`" in shown
    info = bot.double.calls_to("users.info")[-1]
    assert info.params["user"] == "U0TOM" and str(info.params["include_locale"]).lower() in ("1", "true")


def test_empty_command_shows_help(bot):
    _, reply = bot.command("", user_id="U0ANA")
    assert "Alinea: comandos" in render(reply.params)


def test_unknown_subcommand_answers_with_did_you_mean_and_the_help(bot):
    _, reply = bot.command("ayuad", user_id="U0ANA")
    shown = render(reply.params)
    assert "No conozco el comando `ayuad`." in shown
    assert "¿Quisiste decir `/alinea ayuda`?" in shown
    assert "Alinea: comandos" in shown

    _, reply = bot.command("xyzzy", user_id="U0TOM")
    shown = render(reply.params)
    assert "I don't know the command `xyzzy`." in shown and "Did you mean" not in shown


def test_echoed_text_cannot_mention_anyone(bot):
    # A person typing "<!channel>" or "<@U0TOM>" reaches us as Slack's entities; an @channel
    # picked from the menu arrives as the real <!channel> token. Neither may ping when echoed.
    for typed in ("<!channel>", "&lt;@U0TOM&gt;", "<@U0TOM|tom>"):
        _, reply = bot.command(typed, user_id="U0ANA")
        payload = json.dumps(reply.params)
        assert "<!channel>" not in payload and "<@U0TOM" not in payload, payload
        assert "&lt;" in payload


def test_the_first_command_creates_the_workspace_committed_after_the_ack(bot):
    assert workspace_row(bot) is None
    bot.command("help")
    workspace = workspace_row(bot)  # read in a new session: the write was committed
    assert workspace is not None
    assert (workspace.default_locale, workspace.default_timezone) == ("es", "America/Bogota")
    with bot.runtime.session_factory() as session:
        actions = [entry.action for entry in repositories.audit_entries(session, workspace_id=workspace.id)]
    assert actions == ["workspace.created"]


@pytest.mark.parametrize(
    "tamper",
    [
        {"signature": "v0=" + "0" * 64},
        {"sign": False},
        {"timestamp": str(int(time.time()) - 6 * 60)},
    ],
    ids=["bad-signature", "no-signature", "old-timestamp"],
)
def test_unsigned_or_stale_requests_get_401_and_change_nothing(bot, tamper):
    body = "token=x&team_id=T0DOUBLE&user_id=U0ANA&channel_id=C0TEAM&command=%2Falinea&text=help&response_url=" + bot.double.new_response_url()
    result = bot.driver.send_raw(body.encode(), content_type="application/x-www-form-urlencoded", **tamper)
    assert result.status == 401
    time.sleep(0.3)  # nothing may arrive; give a wrongly accepted request time to show itself
    assert bot.double.calls_to("response_url") == []
    assert workspace_row(bot) is None


def uninstall_event():
    return {"type": "app_uninstalled", "event_ts": "1700000000.000100"}


def test_a_retried_event_has_one_effect(bot):
    first = bot.driver.event(uninstall_event(), event_id="Ev0UNINSTALL")
    retry = bot.driver.event(uninstall_event(), event_id="Ev0UNINSTALL", retry_num=1, retry_reason="http_timeout")
    assert (first.status, retry.status) == (200, 200)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # events are handled after the ack, on Bolt's pool
        workspace = workspace_row(bot)
        if workspace is not None and workspace.state is WorkspaceState.UNINSTALLED:
            break
        time.sleep(0.05)
    time.sleep(0.3)  # let the retry's listener finish too
    with bot.runtime.session_factory() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        claims = session.execute(text("SELECT count(*) FROM processed_events")).scalar_one()
    assert workspace_row(bot).state is WorkspaceState.UNINSTALLED
    assert actions == ["workspace.created", "workspace.uninstalled"]
    assert claims == 1


def test_health_is_200_while_the_database_answers(bot):
    from urllib.request import urlopen

    with urlopen(f"{bot.url}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "ok"}


def test_slack_rate_limits_and_errors_are_retried_by_the_client(bot):
    bot.double.add_user("U0EVE", name="eve", locale="en-GB")
    bot.double.fail_next("users.info", status=429, retry_after=1)
    _, reply = bot.command("help", user_id="U0TOM")
    assert "Alinea: commands" in render(reply.params)  # users.info succeeded on the retry
    bot.double.fail_next("users.info", status=500)
    _, reply = bot.command("help", user_id="U0EVE")
    assert "Alinea: commands" in render(reply.params)
    statuses = [call.status for call in bot.double.calls_to("users.info")]
    assert statuses == [429, 200, 500, 200]


def test_a_persons_language_is_looked_up_once_then_remembered(bot):
    bot.command("help", user_id="U0TOM")
    _, reply = bot.command("help", user_id="U0TOM")
    assert "Alinea: commands" in render(reply.params)
    assert len(bot.double.calls_to("users.info")) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_acks_never_wait_for_slow_work(settings, double):
    """20 commands whose answers take 3.5 s each (Slack slow on response_url): every ack still
    comes inside Bolt's 3-second window (Bolt answers 404 when a listener never acks in time),
    and every answer is delivered in the end."""
    double.set_delay("response_url", 3.5)
    with LoopbackBot(replace(settings, work_threads=20, work_queue_limit=40), double=double) as bot:
        results = [None] * 20

        def send(index):
            results[index] = bot.driver.slash_command("help", user_id="U0ANA")

        threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [result.status for result in results] == [200] * 20
        for result in results:
            double.wait_for_response(result.response_url, timeout=15)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_full_work_queue_is_answered_in_the_ack(settings, double):
    double.set_delay("response_url", 2)
    with LoopbackBot(replace(settings, work_threads=1, work_queue_limit=1), double=double) as bot:
        first = bot.driver.slash_command("help")
        second = bot.driver.slash_command("help")
        assert first.status == 200 and second.status == 200
        assert second.json()["response_type"] == "ephemeral"
        assert "Alinea está muy ocupado" in second.json()["text"]
        double.wait_for_response(first.response_url, timeout=5)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_locked_sqlite_database_gets_try_again_and_nothing_is_lost(bot, database_url):
    import sqlite3

    blocker = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock past our busy_timeout
    try:
        started = time.monotonic()
        _, reply = bot.command("help", user_id="U0ANA", timeout=3)
        assert time.monotonic() - started < 3
        assert "intenta de nuevo en un momento" in reply.params["text"]
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert workspace_row(bot) is None  # the half-done request wrote nothing
    _, reply = bot.command("help", user_id="U0ANA")
    assert "Alinea: comandos" in render(reply.params)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgres_down_then_back(bot, postgres_cluster):
    from urllib.error import HTTPError
    from urllib.request import urlopen

    bot.command("help")  # the pool holds live connections when the server goes away
    postgres_cluster.stop()
    try:
        started = time.monotonic()
        _, reply = bot.command("help", user_id="U0TOM", timeout=3)
        assert time.monotonic() - started < 3
        assert "try again in a moment" in reply.params["text"]
        with pytest.raises(HTTPError) as unhealthy:
            urlopen(f"{bot.url}/healthz", timeout=5)
        assert unhealthy.value.code == 503
    finally:
        postgres_cluster.start()
    _, reply = bot.command("help", user_id="U0TOM")
    assert "Alinea: commands" in render(reply.params)
    with urlopen(f"{bot.url}/healthz", timeout=5) as response:
        assert response.status == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_commands_that_only_read_run_beside_a_writer(bot, database_url):
    import sqlite3

    bot.command("help", user_id="U0ANA")  # the workspace now exists
    blocker = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        _, reply = bot.command("help", user_id="U0ANA", timeout=3)
        assert "Alinea: comandos" in render(reply.params)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_health_stays_200_while_another_writer_holds_sqlite(bot, database_url):
    import sqlite3
    from urllib.request import urlopen

    blocker = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with urlopen(f"{bot.url}/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
