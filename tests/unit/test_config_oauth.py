"""OAuth mode's settings: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET together, ALINEA_TOKEN_KEYS,
ALINEA_DATA_GRACE_DAYS; single-workspace mode stays the default."""

import pytest
from cryptography.fernet import Fernet

from bot import cli
from bot.config import ConfigError, Settings, load_settings

KEY, OLD_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
OAUTH = {"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "client-secret", "ALINEA_TOKEN_KEYS": KEY}


def test_single_workspace_mode_is_the_default():
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1"})
    assert not settings.oauth_enabled and settings.token_keys == () and settings.data_grace_days == 30


def test_client_id_and_secret_select_oauth_mode_with_every_key():
    settings = load_settings({**OAUTH, "ALINEA_TOKEN_KEYS": f" {KEY} , {OLD_KEY} ", "SLACK_REDIRECT_URI": "https://alinea.example/slack/oauth_redirect"})
    assert settings.oauth_enabled
    assert settings.token_keys == (KEY, OLD_KEY)
    assert settings.slack_redirect_uri == "https://alinea.example/slack/oauth_redirect"
    Settings(**{**settings.__dict__, "slack_signing_secret": "s"}).require_http_credentials()  # no bot token needed


@pytest.mark.parametrize(
    "environ, variable",
    [
        ({"SLACK_CLIENT_ID": "111.222"}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_CLIENT_SECRET": "client-secret"}, "SLACK_CLIENT_ID"),
        ({**OAUTH, "ALINEA_TOKEN_KEYS": ""}, "ALINEA_TOKEN_KEYS"),
        ({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN"),
        ({**OAUTH, "SLACK_REDIRECT_URI": "alinea.example/slack/oauth_redirect"}, "SLACK_REDIRECT_URI"),
        ({"ALINEA_TOKEN_KEYS": "not-a-key"}, "ALINEA_TOKEN_KEYS"),
        ({"ALINEA_DATA_GRACE_DAYS": "-1"}, "ALINEA_DATA_GRACE_DAYS"),
        ({"ALINEA_DATA_GRACE_DAYS": "30 days"}, "ALINEA_DATA_GRACE_DAYS"),
    ],
)
def test_a_bad_oauth_setting_names_the_variable(environ, variable):
    with pytest.raises(ConfigError) as raised:
        load_settings(environ)
    assert raised.value.variable == variable


def test_a_bad_key_is_named_by_its_place_never_shown():
    secretish = KEY[:-4] + "!!!!"
    with pytest.raises(ConfigError) as raised:
        load_settings({**OAUTH, "ALINEA_TOKEN_KEYS": f"{KEY},{secretish}"})
    assert "key 2" in str(raised.value) and secretish not in str(raised.value) and KEY not in str(raised.value)


def test_grace_days_accepts_zero():
    assert load_settings({"ALINEA_DATA_GRACE_DAYS": "0"}).data_grace_days == 0


def test_oauth_secrets_stay_out_of_repr_and_are_redacted_in_logs():
    settings = load_settings({**OAUTH, "ALINEA_TOKEN_KEYS": f"{KEY},{OLD_KEY}"})
    assert "client-secret" not in repr(settings) and KEY not in repr(settings)
    assert {"client-secret", KEY, OLD_KEY} <= set(settings.secret_values())


def test_serve_in_oauth_mode_needs_http(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    for name, value in {**OAUTH, "SLACK_SIGNING_SECRET": "s"}.items():
        monkeypatch.setenv(name, value)
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["serve"]) == 2
    assert "--http" in capsys.readouterr().err
