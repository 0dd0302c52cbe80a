"""The observability settings: ALINEA_LOG_FORMAT and ALINEA_METRICS_TOKEN."""

import pytest

from bot.config import ConfigError, load_settings


def test_logs_are_text_and_metrics_open_by_default():
    settings = load_settings({})
    assert settings.log_format == "text"
    assert settings.metrics_token is None


@pytest.mark.parametrize("given, expected", [("json", "json"), ("JSON", "json"), ("text", "text"), (" json ", "json")])
def test_log_format_accepts_text_or_json(given, expected):
    assert load_settings({"ALINEA_LOG_FORMAT": given}).log_format == expected


def test_an_unknown_log_format_names_the_variable():
    with pytest.raises(ConfigError) as raised:
        load_settings({"ALINEA_LOG_FORMAT": "logfmt"})
    assert raised.value.variable == "ALINEA_LOG_FORMAT"


def test_the_metrics_token_is_read_and_never_shown_in_the_settings_repr():
    settings = load_settings({"ALINEA_METRICS_TOKEN": "scrape-me-0123456789", "SLACK_SIGNING_SECRET": "signing-secret-abc"})
    assert settings.metrics_token == "scrape-me-0123456789"
    assert "scrape-me" not in repr(settings)
    assert {"scrape-me-0123456789", "signing-secret-abc"} <= set(settings.secret_values())
