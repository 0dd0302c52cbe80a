"""The Slack double's OAuth side, through the real slack_sdk client: oauth.v2.access with codes and
refresh tokens, tokens that belong to a workspace and expire, the consent page."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_double import SlackDouble

CLIENT_ID, CLIENT_SECRET = "111.222", "oauth-secret"


@pytest.fixture
def double():
    with SlackDouble() as double:
        double.configure_oauth(CLIENT_ID, CLIENT_SECRET, redirect_uri="https://alinea.example/slack/oauth_redirect")
        yield double
        assert not double.internal_errors, double.internal_errors


def client(double, token=None) -> WebClient:
    return WebClient(token=token, base_url=double.base_url)


def test_a_code_buys_one_bot_token_for_its_workspace(double):
    code = double.issue_oauth_code("T0OTHER", team_name="Other", user_id="U0TOM")
    answer = client(double).oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code)
    assert answer["team"] == {"id": "T0OTHER", "name": "Other"} and answer["authed_user"]["id"] == "U0TOM"
    assert answer["token_type"] == "bot" and "refresh_token" not in answer
    token = answer["access_token"]
    assert token.startswith("xoxb-") and double.issued_bot_tokens("T0OTHER") == [token]
    assert client(double, token).auth_test()["team_id"] == "T0OTHER"  # the token speaks for its workspace
    call = double.calls_to("auth.test")[-1]
    assert call.token == token
    assert double.calls_to("oauth.v2.access")[0].headers["authorization"].startswith("Basic ")  # credentials, not a token
    with pytest.raises(SlackApiError) as used:
        client(double).oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code)
    assert used.value.response["error"] == "invalid_code"


@pytest.mark.parametrize("client_id, secret, error", [("999.999", CLIENT_SECRET, "invalid_client_id"), (CLIENT_ID, "wrong", "bad_client_secret")])
def test_wrong_app_credentials_are_refused(double, client_id, secret, error):
    code = double.issue_oauth_code()
    with pytest.raises(SlackApiError) as refused:
        client(double).oauth_v2_access(client_id=client_id, client_secret=secret, code=code)
    assert refused.value.response["error"] == error


def test_rotating_tokens_expire_and_a_refresh_token_works_once(double):
    double.configure_oauth(CLIENT_ID, CLIENT_SECRET, token_rotation=True, expires_in=600)
    first = client(double).oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=double.issue_oauth_code())
    assert first["access_token"].startswith("xoxe.xoxb-1-") and first["expires_in"] == 600
    assert client(double, first["access_token"]).auth_test()["ok"]

    refreshed = client(double).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert refreshed["token_type"] == "bot" and refreshed["access_token"] != first["access_token"]
    assert refreshed["refresh_token"] != first["refresh_token"]
    with pytest.raises(SlackApiError) as reused:
        client(double).oauth_v2_access(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
    assert reused.value.response["error"] == "invalid_refresh_token"

    double.expire_token(first["access_token"])
    with pytest.raises(SlackApiError) as expired:
        client(double, first["access_token"]).auth_test()
    assert expired.value.response["error"] == "token_expired"
    assert client(double, refreshed["access_token"]).auth_test()["ok"]

    double.revoke_workspace()
    with pytest.raises(SlackApiError) as revoked:
        client(double, refreshed["access_token"]).auth_test()
    assert revoked.value.response["error"] == "invalid_auth"


def test_the_consent_page_sends_the_browser_back_with_a_code_and_the_state(double):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(f"{double.url}/oauth/v2/authorize?client_id={CLIENT_ID}&scope=commands&state=s123&team=T0OTHER", timeout=5)
    assert answer.value.code == 302
    location = urlsplit(answer.value.headers["Location"])
    assert location.netloc == "alinea.example" and location.path == "/slack/oauth_redirect"
    query = parse_qs(location.query)
    assert query["state"] == ["s123"]
    token = client(double).oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=query["code"][0])["access_token"]
    assert double.issued_bot_tokens("T0OTHER") == [token]
    with pytest.raises(urllib.error.HTTPError) as wrong:
        opener.open(f"{double.url}/oauth/v2/authorize?client_id=999.999&state=s", timeout=5)
    assert wrong.value.code == 400


def test_tokens_the_double_did_not_issue_work_as_before(double):
    assert client(double, "xoxb-any").auth_test()["team_id"] == double.team_id
