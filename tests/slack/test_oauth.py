"""OAuth mode end to end, over real HTTP: installs through /slack/install and /slack/oauth_redirect
on our server, with Slack's consent page and oauth.v2.access played by the double; each workspace
answered with its own token; token rotation on requests and in jobs; uninstall and the purge
after the grace period. Real SQLite and PostgreSQL underneath."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot import cli
from bot.installations import BOTS_TABLE, INSTALLATIONS_TABLE, OAUTH_METADATA
from bot.jobs import run_job
from bot.loopback import LoopbackBot
from bot.oauth import BOT_SCOPES, NotInstalled, WorkspaceTokens
from bot.scheduler import job_named
from bot.transcript import render
from db import repositories
from db.models import AuditEntry, WorkspaceState
from domain.setup import SetupChanges
from services import teams
from services.job_runs import Outcome
from services.teams import TeamDefaults
from tests.support.clock import Clock
from tests.support.tokens import holds_slack_token

CLIENT_ID, CLIENT_SECRET = "111.222", "oauth-client-secret"
KEY = Fernet.generate_key().decode()
OTHER = "T0OTHER"
START = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a browser test reads each redirect itself
        return None


BROWSER = urllib.request.build_opener(NoRedirect)


def browse(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with BROWSER.open(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read().decode()


@pytest.fixture
def clock():
    return Clock(START)


@pytest.fixture
def oauth_settings(settings):
    return replace(settings, slack_bot_token=None, slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET, token_keys=(KEY,))


@pytest.fixture
def bot(oauth_settings, double, clock):
    double.add_channel("C0OTHER", "alineacion-otra")
    with LoopbackBot(oauth_settings, double=double, clock=clock) as bot:
        double.configure_oauth(CLIENT_ID, CLIENT_SECRET, redirect_uri=f"{bot.url}/slack/oauth_redirect")
        yield bot


def start_install(bot, team: str | None = None) -> tuple[str, str]:
    """GET /slack/install: (Slack's consent URL, the state cookie)."""
    status, headers, _ = browse(f"{bot.url}/slack/install" + (f"?team={team}" if team else ""))
    assert status == 302
    consent = headers["Location"]
    assert consent.startswith(f"{bot.double.url}/oauth/v2/authorize?")
    query = parse_qs(urlsplit(consent).query)
    assert query["client_id"] == [CLIENT_ID] and set(query["scope"][0].split(",")) == set(BOT_SCOPES)
    cookie = headers["Set-Cookie"].split(";")[0]
    assert cookie == f"slack-app-oauth-state={query['state'][0]}"
    return consent, cookie


def approve(bot, consent: str) -> str:
    """The person approves in Slack: the redirect back to our server, with a code and the state."""
    status, headers, _ = browse(consent)
    assert status == 302
    callback = headers["Location"]
    assert callback.startswith(f"{bot.url}/slack/oauth_redirect?code=")
    return callback


def install(bot, team: str | None = None) -> str:
    """The whole flow in a browser; returns the bot token Slack issued."""
    consent, cookie = start_install(bot, team)
    status, _, body = browse(approve(bot, consent), cookie)
    assert status == 200, body
    return bot.double.issued_bot_tokens(team)[-1]


def stored(bot, team: str | None = None):
    return bot.runtime.tokens.store.find_for_team(team or bot.double.team_id)


def raw_token_cells(bot) -> list[str]:
    cells = []
    with bot.engine.connect() as connection:
        for name in (INSTALLATIONS_TABLE, BOTS_TABLE):
            for row in connection.execute(select(OAUTH_METADATA.tables[name])).mappings():
                cells += [str(value) for value in row.values() if value is not None]
    return cells


def workspace_row(bot, team: str | None = None):
    with bot.runtime.session_factory() as session:
        return repositories.workspace_by_slack_id(session, slack_team_id=team or bot.double.team_id)


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


# Installing --------------------------------------------------------------------------------------------


def test_install_stores_the_workspace_token_encrypted_and_marks_the_workspace_installed(bot):
    token = install(bot)
    (access,) = bot.double.calls_to("oauth.v2.access")
    assert access.ok and access.params["code"]
    found = stored(bot)
    assert found is not None and found.bot_token == token and found.team_id == bot.double.team_id
    assert found.bot_user_id == bot.double.bot_user_id and found.bot_id == bot.double.bot_id  # from auth.test
    assert all(token not in cell and not holds_slack_token(cell) for cell in raw_token_cells(bot))  # encrypted at rest
    workspace = workspace_row(bot)
    assert workspace is not None and workspace.state is WorkspaceState.INSTALLED and workspace.name == bot.double.team_domain


def test_each_workspace_is_answered_with_its_own_token(bot, double):
    double.add_user("U0OTTO", name="otto", locale="en-US")
    ours, theirs = install(bot), install(bot, OTHER)
    assert ours != theirs

    _, reply = bot.command("help", user_id="U0ANA")
    assert "Alinea: comandos" in render(reply.params)
    _, reply = bot.command("help", user_id="U0OTTO", team_id=OTHER, channel_id="C0OTHER")
    assert "Alinea: commands" in render(reply.params)

    by_user = {call.params["user"]: call.token for call in double.calls_to("users.info")}
    assert by_user == {"U0ANA": ours, "U0OTTO": theirs}
    assert workspace_row(bot, OTHER).state is WorkspaceState.INSTALLED


def test_a_workspace_without_an_installation_is_told_to_install(bot, double):
    result = bot.driver.slash_command("help", team_id="T0NOBODY")
    assert result.status == 200
    (answer,) = double.wait_for_response(result.response_url)
    assert "install" in answer.params.get("text", "").lower()
    assert double.calls_to("users.info") == []  # no token, no Web API call for it


# The state parameter ----------------------------------------------------------------------------------


def test_a_state_that_was_not_issued_or_not_this_browsers_is_refused(bot, double):
    consent, cookie = start_install(bot)
    callback = approve(bot, consent)
    code = parse_qs(urlsplit(callback).query)["code"][0]

    forged = f"{bot.url}/slack/oauth_redirect?code={code}&state=forged"
    assert browse(forged, "slack-app-oauth-state=forged")[0] == 401  # the cookie matches, the store does not know it
    assert browse(callback)[0] == 400  # no cookie: another browser
    assert browse(callback, "slack-app-oauth-state=other")[0] == 400
    assert double.calls_to("oauth.v2.access") == [] and stored(bot) is None

    assert browse(callback, cookie)[0] == 200
    assert browse(callback, cookie)[0] == 401  # a state works once
    assert len(double.calls_to("oauth.v2.access")) == 1


def test_an_expired_state_is_refused(bot, double, clock):
    consent, cookie = start_install(bot)
    clock.now += timedelta(minutes=11)  # the person took more than ten minutes to approve
    status, _, _ = browse(approve(bot, consent), cookie)
    assert status == 401
    assert double.calls_to("oauth.v2.access") == [] and stored(bot) is None
    assert workspace_row(bot) is None


def test_slack_refusing_the_code_stores_nothing(bot, double):
    consent, cookie = start_install(bot)
    callback = approve(bot, consent)
    double.issue_oauth_code()  # unrelated
    double.configure_oauth(CLIENT_ID, "rotated-secret", redirect_uri=f"{bot.url}/slack/oauth_redirect")  # the secret changed in Slack
    status, _, _ = browse(callback, cookie)
    assert status == 401
    assert double.calls_to("oauth.v2.access")[0].error == "bad_client_secret"
    assert stored(bot) is None


# Uninstall, grace period, purge ---------------------------------------------------------------------------


def set_up_team(bot, team: str | None = None, channel: str = "C0TEAM") -> None:
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=team or bot.double.team_id)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel, channel_name="alineacion", actor="U0ANA",
            is_workspace_admin=True, changes=SetupChanges(marketing_leads=("U0ANA",)),
            defaults=TeamDefaults("America/Bogota", "es"), now=START,
        )


def uninstall(bot, team: str | None = None, event: dict | None = None) -> None:
    team = team or bot.double.team_id
    bot.double.revoke_workspace(team)
    result = bot.driver.event(event or {"type": "app_uninstalled"}, team_id=team)
    assert result.status == 200
    wait_until(lambda: workspace_row(bot, team).state is WorkspaceState.UNINSTALLED)


def purge(bot, at: datetime):
    results = run_job(bot.runtime, job_named("purge-uninstalled"), at=at)
    assert all(result.outcome is Outcome.DONE for result in results), [r.line() for r in results]
    return {result.subject: result.detail for result in results}


def test_uninstall_deletes_the_tokens_at_once_and_the_data_after_the_grace_period(bot, double, clock):
    install(bot)
    install(bot, OTHER)
    set_up_team(bot)
    set_up_team(bot, OTHER, "C0OTHER")
    uninstalled_at = clock.now = START + timedelta(days=1)
    uninstall(bot)
    wait_until(lambda: stored(bot) is None)
    assert stored(bot, OTHER) is not None  # the other workspace keeps its installation
    with bot.engine.connect() as connection:
        teams_in = [team for (team,) in connection.execute(select(OAUTH_METADATA.tables[BOTS_TABLE].c.team_id))]
    assert teams_in == [OTHER]

    # Jobs skip the uninstalled workspace's teams (no token to post with), the other one runs.
    assert [r.subject for r in run_job(bot.runtime, job_named("alerts-post"), at=uninstalled_at)] == ["alineacion"]

    team_id = bot.double.team_id
    assert purge(bot, uninstalled_at + timedelta(days=29)) == {team_id: f"data kept until {(uninstalled_at + timedelta(days=30)).isoformat()}"}
    assert workspace_row(bot) is not None
    detail = purge(bot, uninstalled_at + timedelta(days=30, minutes=1))[team_id]
    assert detail.startswith("uninstalled 2026-03-03: deleted ") and int(detail.split()[3]) > 2
    assert workspace_row(bot) is None
    with bot.runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.workspace_id == workspace_row(bot, OTHER).id)) > 0
    assert workspace_row(bot, OTHER).state is WorkspaceState.INSTALLED
    assert purge(bot, uninstalled_at + timedelta(days=31)) == {}  # nothing uninstalled is left


def test_a_reinstall_within_the_grace_period_keeps_the_data(bot, double, clock):
    install(bot)
    set_up_team(bot)
    first_id = workspace_row(bot).id
    clock.now = START + timedelta(days=1)
    uninstall(bot)
    clock.now = START + timedelta(days=20)
    token = install(bot)
    workspace = workspace_row(bot)
    assert (workspace.id, workspace.state, workspace.uninstalled_at) == (first_id, WorkspaceState.INSTALLED, None)
    assert stored(bot).bot_token == token
    assert purge(bot, START + timedelta(days=60)) == {}  # installed: not a subject
    with bot.runtime.session_factory() as session:
        team = repositories.team_by_channel(session, workspace_id=first_id, channel_id="C0TEAM")
        actions = [entry.action for entry in repositories.audit_entries(session, workspace_id=first_id, entity_type="workspace")]
    assert team is not None
    assert actions == ["workspace.created", "workspace.uninstalled", "workspace.reinstalled"]


def test_a_revoked_bot_token_deletes_the_tokens_and_a_revoked_user_token_only_the_persons(bot, double):
    install(bot)
    uninstall(bot, event={"type": "tokens_revoked", "tokens": {"oauth": ["U0ANA"], "bot": [double.bot_user_id]}})
    wait_until(lambda: stored(bot) is None)
    assert raw_token_cells(bot) == []


def test_purge_uninstalled_from_the_command_line(bot, database_url, monkeypatch, tmp_path, capsys, clock):
    install(bot)
    clock.now = START + timedelta(days=1)
    uninstall(bot)
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATABASE_URL": database_url, "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "ALINEA_TOKEN_KEYS": KEY, "ALINEA_DATA_GRACE_DAYS": "7", "SLACK_API_URL": bot.double.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert cli.main(["jobs", "run", "purge-uninstalled", "--at", "2026-03-09T10:00-05:00"]) == 0
    assert "data kept until 2026-03-10" in capsys.readouterr().out
    assert cli.main(["jobs", "run", "purge-uninstalled", "--at", "2026-03-10T10:00-05:00"]) == 0
    assert "deleted" in capsys.readouterr().out
    assert workspace_row(bot) is None


# Token rotation ----------------------------------------------------------------------------------------


def rotating(bot, expires_in: int) -> None:
    bot.double.configure_oauth(CLIENT_ID, CLIENT_SECRET, redirect_uri=f"{bot.url}/slack/oauth_redirect", token_rotation=True, expires_in=expires_in)


def install_expiring(bot) -> str:
    """An installation whose token expires in 10 minutes (inside the 120-minute margin); the
    tokens Slack issues after it last 12 hours."""
    rotating(bot, expires_in=600)
    token = install(bot)
    rotating(bot, expires_in=12 * 3600)
    return token


def refreshes(double) -> list:
    return [call for call in double.calls_to("oauth.v2.access") if call.params.get("grant_type") == "refresh_token"]


def test_a_request_refreshes_an_expiring_token_before_using_it(bot, double):
    first = install_expiring(bot)
    assert first.startswith("xoxe.xoxb-") and stored(bot).bot_refresh_token.startswith("xoxe-1-")
    _, reply = bot.command("help", user_id="U0ANA")
    assert "Alinea: comandos" in render(reply.params)
    (refresh,) = refreshes(double)
    assert refresh.ok
    fresh = stored(bot).bot_token
    assert fresh != first and fresh == refresh.response["access_token"]
    assert double.calls_to("users.info")[-1].token == fresh
    assert all(not holds_slack_token(cell) for cell in raw_token_cells(bot))


def test_a_token_far_from_expiring_is_used_as_it_is(bot, double):
    rotating(bot, expires_in=12 * 3600)
    token = install(bot)
    bot.command("help", user_id="U0ANA")
    assert refreshes(double) == [] and double.calls_to("users.info")[-1].token == token
    assert bot.runtime.tokens.client_for(double.team_id).token == token


def test_jobs_refresh_an_expiring_token_and_post_with_the_fresh_one(bot, double, clock):
    first = install_expiring(bot)
    set_up_team(bot)
    double.expire_token(first)  # Slack would refuse it by now
    clock.now = datetime(2026, 3, 9, 12, 30, tzinfo=timezone.utc)  # 07:30 in Bogotá, before Monday's 09:00 meeting
    (result,) = run_job(bot.runtime, job_named("weekly-agenda"), at=clock.now, team_ref="C0TEAM")
    assert result.outcome is Outcome.DONE and "posted" in result.detail, result.line()
    posts = double.calls_to("chat.postMessage")
    assert posts and all(call.ok for call in posts)
    fresh = stored(bot).bot_token
    assert fresh != first and {call.token for call in posts} == {fresh}
    assert len(refreshes(double)) == 1


def test_a_job_for_a_workspace_without_an_installation_fails_clearly(bot, double):
    install(bot)
    set_up_team(bot)
    with bot.runtime.session_factory.begin() as session:
        bot.runtime.tokens.store.delete_team_in(session, team_id=double.team_id)  # gone without Slack telling us
    with pytest.raises(NotInstalled):
        bot.runtime.slack.for_workspace(workspace_row(bot).id)
    (result,) = run_job(bot.runtime, job_named("weekly-agenda"), at=datetime(2026, 3, 9, 12, 30, tzinfo=timezone.utc), team_ref="C0TEAM")
    assert (result.outcome, result.detail) == (Outcome.FAILED, "NotInstalled")
    assert double.calls_to("chat.postMessage") == []


def test_two_replicas_refreshing_at_once_keep_one_working_token(bot, double, engine):
    """Slack's refresh token works once: unserialised, the second replica's exchange fails (or
    one replica saves a pair the other's exchange revoked). Each replica here is a WorkspaceTokens
    of its own (own process-level locks) on the same database; on PostgreSQL the advisory lock
    makes the second wait and then find the token already refreshed. SQLite has no lock across
    processes, so there the two are threads of one replica (one process per SQLite file)."""
    first = install_expiring(bot)
    double.set_delay("oauth.v2.access", 0.3)  # both are inside the refresh at the same time
    if engine.dialect.name == "postgresql":
        replicas = [WorkspaceTokens(bot.settings, engine, clock=bot.runtime.clock) for _ in range(2)]
    else:
        replicas = [bot.runtime.tokens] * 2
    barrier, tokens, errors = threading.Barrier(2), [], []

    def refresh(replica):
        barrier.wait()
        try:
            tokens.append(replica.installation(double.team_id).bot_token)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=refresh, args=(replica,)) for replica in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert len(refreshes(double)) == 1 and refreshes(double)[0].ok
    fresh = stored(bot)
    assert tokens == [fresh.bot_token, fresh.bot_token] and fresh.bot_token != first
    double.set_delay("oauth.v2.access", 0)
    # The saved refresh token is the live one: a replica with a day's margin refreshes with it.
    again = WorkspaceTokens(replace(bot.settings, token_refresh_minutes=24 * 60), engine, clock=bot.runtime.clock)
    assert again.installation(double.team_id).bot_token not in (first, fresh.bot_token)
    assert refreshes(double)[-1].ok


# Settings and the manifest ---------------------------------------------------------------------------------


def test_the_install_asks_for_the_manifests_scopes_and_the_redirect_url_is_in_it():
    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "app-manifest.yml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert [url.endswith("/slack/oauth_redirect") for url in manifest["oauth_config"]["redirect_urls"]] == [True]


def test_single_workspace_mode_has_no_install_pages(settings, double):
    with LoopbackBot(settings, double=double) as bot:
        assert browse(f"{bot.url}/slack/install")[0] == 404
        assert bot.runtime.tokens is None


def test_alerts_from_the_ingest_api_are_posted_with_the_teams_workspace_token(bot, double, clock):
    import json

    from services import ingest, kpis

    double.add_user("U0OTTO", name="otto", locale="es-LA")
    install(bot)
    theirs = install(bot, OTHER)
    set_up_team(bot, OTHER, "C0OTHER")
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=OTHER)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id="C0OTHER")
        kpis.enable_starter_set(session, team=team, actor="U0ANA", now=START, language="es")
        secret = ingest.create_token(session, team=team, actor="U0ANA", is_workspace_admin=False, now=START).plain
    _, reply = bot.command("alerta nueva cart_abandonment sube 3 puntos en 48 horas", user_id="U0ANA", team_id=OTHER, channel_id="C0OTHER")
    assert reply.ok and reply.params.get("text")

    def send(day: str, value: str) -> int:
        body = json.dumps({"values": [{"kpi": "cart_abandonment", "value": value, "period": day, "source": "shop"}]}).encode()
        request = urllib.request.Request(f"{bot.url}/api/v1/teams/C0OTHER/metrics", data=body, method="POST",
                                         headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status

    assert send("2026-03-01", "68") == 200
    clock.now += timedelta(hours=24)
    assert send("2026-03-02", "72.5") == 200

    def is_alert(call):
        return (call.params.get("metadata") or {}).get("event_payload", {}).get("claim", "").startswith("alert-")

    (posted,) = double.wait_for("chat.postMessage", is_alert)  # from the work queue, after the commit
    assert posted.ok and posted.token == theirs and posted.params["channel"] == "C0OTHER"


# Single-workspace mode: the same purge, and a reinstall noticed at start-up ---------------------------------


def test_single_workspace_mode_purges_after_the_grace_period_too(settings, double):
    from bot.serve import note_installed

    with LoopbackBot(replace(settings, data_grace_days=7), double=double) as bot:
        bot.command("help")
        bot.driver.event({"type": "app_uninstalled"})
        wait_until(lambda: workspace_row(bot).state is WorkspaceState.UNINSTALLED)
        uninstalled_at = workspace_row(bot).uninstalled_at
        team_id = double.team_id
        assert purge(bot, uninstalled_at + timedelta(days=6)) == {team_id: f"data kept until {(uninstalled_at + timedelta(days=7)).isoformat()}"}

        note_installed(bot.runtime, bot.app)  # `serve` starting again with a working bot token: reinstalled
        assert workspace_row(bot).state is WorkspaceState.INSTALLED
        assert purge(bot, uninstalled_at + timedelta(days=8)) == {}

        bot.driver.event({"type": "app_uninstalled"})
        wait_until(lambda: workspace_row(bot).state is WorkspaceState.UNINSTALLED)
        again = workspace_row(bot).uninstalled_at
        detail = purge(bot, again + timedelta(days=7))[team_id]
        assert detail.startswith("uninstalled ") and "deleted" in detail
        assert workspace_row(bot) is None


def test_alinea_serve_in_oauth_mode_installs_and_answers(tmp_path):
    """The real `alinea serve --http` process, as an operator starts it in OAuth mode."""
    import os
    import signal
    import subprocess

    from bot.slack_double import SlackDouble, SlackDriver
    from tests.integration.test_cli import ALINEA, ROOT, free_port, wait_healthy

    with SlackDouble() as double:
        double.add_user("U0ANA", name="ana", locale="es-LA")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        double.configure_oauth(CLIENT_ID, CLIENT_SECRET, redirect_uri=f"{url}/slack/oauth_redirect")
        env = {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "SLACK_SIGNING_SECRET": "serve-secret",
            "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, "ALINEA_TOKEN_KEYS": KEY,
            "SLACK_API_URL": double.base_url,
        }
        base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ALINEA_", "DATABASE_URL"))}
        process = subprocess.Popen(
            [*ALINEA, "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
            env={**base, **env, "PYTHONPATH": str(ROOT)}, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            wait_healthy(f"{url}/healthz", process)
            assert double.calls_to("auth.test") == []  # no token of its own to check
            status, headers, _ = browse(f"{url}/slack/install")
            assert status == 302
            cookie = headers["Set-Cookie"].split(";")[0]
            status, headers, _ = browse(headers["Location"])
            assert browse(headers["Location"], cookie)[0] == 200
            (token,) = double.issued_bot_tokens()
            result = SlackDriver(f"{url}/slack/events", "serve-secret", double).slash_command("ayuda")
            assert "Alinea: comandos" in render(double.wait_for_response(result.response_url)[0].params)
            assert double.calls_to("users.info")[-1].token == token
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
        assert process.returncode == 0, stderr
        assert "/slack/install" in stderr  # the log says where workspaces install from
        for secret in (CLIENT_SECRET, KEY, token, "serve-secret"):
            assert secret not in stderr


# The installer's rights (Ley 1581) -----------------------------------------------------------------------


def test_the_installer_sees_and_erases_their_part_of_the_installation_while_the_bot_keeps_working(bot, double):
    token = install(bot)  # the double's consent page is approved by U0ANA
    _, reply = bot.command("datos yo", user_id="U0ANA")
    assert "Instalaciones de Alinea que hiciste*: 1" in render(reply.params)
    erase = next(e for b in reply.params["blocks"] if b["type"] == "actions" for e in b["elements"])
    result = bot.driver.block_action(erase["action_id"], value=erase["value"], user_id="U0ANA", channel_id="C0TEAM")
    (answer,) = double.wait_for_response(result.response_url)
    assert "Instalaciones de Alinea que hiciste (1)" in render(answer.params)
    with bot.engine.connect() as connection:
        installers = [row.user_id for row in connection.execute(select(OAUTH_METADATA.tables[INSTALLATIONS_TABLE]))]
    assert installers and all(user.startswith("UERASED") for user in installers)
    assert stored(bot).bot_token == token  # the workspace's bot token is not the person's
    _, reply = bot.command("help", user_id="U0TOM")
    assert "Alinea" in render(reply.params)
