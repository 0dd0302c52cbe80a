import pytest

from bot.config import ConfigError, Settings, load_settings, read_environment, redact_url


def test_defaults_need_nothing_from_the_environment():
    settings = load_settings({})
    assert settings.database_url == "sqlite:///alinea.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (settings.default_locale, settings.default_timezone) == ("es", "America/Bogota")
    assert not settings.llm_enabled


@pytest.mark.parametrize(
    "given, expected",
    [("https://slack-gov.com/api", "https://slack-gov.com/api/"), ("http://127.0.0.1:9/api/", "http://127.0.0.1:9/api/")],
)
def test_slack_api_url_always_ends_with_a_slash(given, expected):
    assert load_settings({"SLACK_API_URL": given}).slack_api_url == expected


@pytest.mark.parametrize("tag, expected", [("es", "es"), ("en", "en"), ("es-CO", "es"), ("es_CO", "es"), ("en-US", "en")])
def test_locale_accepts_language_and_region_tags(tag, expected):
    assert load_settings({"ALINEA_DEFAULT_LOCALE": tag}).default_locale == expected


@pytest.mark.parametrize(
    "variable, value",
    [
        ("ALINEA_DEFAULT_LOCALE", "fr"),
        ("ALINEA_DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("DATABASE_URL", "mysql://root@localhost/alinea"),
        ("SLACK_API_URL", "slack.com/api"),
        ("OPENAI_BASE_URL", "localhost:11434"),
    ],
)
def test_an_invalid_setting_names_the_variable(variable, value):
    with pytest.raises(ConfigError) as raised:
        load_settings({variable: value})
    assert raised.value.variable == variable
    assert variable in str(raised.value)


def test_postgres_urls_use_the_psycopg_driver():
    assert load_settings({"DATABASE_URL": "postgres://u:p@h/db"}).database_url == "postgresql+psycopg://u:p@h/db"


def test_http_mode_requires_secret_and_bot_token():
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        Settings(slack_bot_token="xoxb-1").require_http_credentials()
    with pytest.raises(ConfigError, match="SLACK_BOT_TOKEN"):
        Settings(slack_signing_secret="s", slack_bot_token="xoxp-user-token").require_http_credentials()
    Settings(slack_signing_secret="s", slack_bot_token="xoxb-1").require_http_credentials()


def test_secrets_stay_out_of_repr():
    settings = Settings(
        database_url="postgresql+psycopg://alinea:hunter2@db/alinea",
        slack_bot_token="xoxb-secret-token",
        slack_signing_secret="signing-secret",
        openai_api_key="sk-secret",
    )
    shown = repr(settings)
    for secret in ("hunter2", "xoxb-secret-token", "signing-secret", "sk-secret"):
        assert secret not in shown
    assert redact_url("postgresql+psycopg://alinea:hunter2@db/alinea") == "postgresql+psycopg://alinea:***@db/alinea"


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("ALINEA_DEFAULT_LOCALE=en\nALINEA_DEFAULT_TIMEZONE=America/Lima\n")
    merged = read_environment({"ALINEA_DEFAULT_TIMEZONE": "America/Mexico_City"}, env_file=env_file)
    settings = load_settings(merged)
    assert settings.default_locale == "en"
    assert settings.default_timezone == "America/Mexico_City"
