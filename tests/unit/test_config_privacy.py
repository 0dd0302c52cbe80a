"""Settings of the privacy work: the pseudonym keys (never echoed, hidden in logs) and the log level."""

import pytest

from bot.config import ConfigError, load_settings

KEY = "k" * 32
OLD = "o" * 40


def test_pseudonym_keys_are_read_newest_first_and_hidden_in_logs():
    settings = load_settings({"ALINEA_PSEUDONYM_KEYS": f" {KEY} , {OLD} "})
    assert settings.pseudonym_keys == (KEY, OLD)
    assert KEY in settings.secret_values() and OLD in settings.secret_values() and KEY not in repr(settings)
    assert load_settings({}).pseudonym_keys == ()


def test_a_short_pseudonym_key_is_refused_without_echoing_it():
    with pytest.raises(ConfigError) as refused:
        load_settings({"ALINEA_PSEUDONYM_KEYS": f"{KEY},short-secret"})
    assert refused.value.variable == "ALINEA_PSEUDONYM_KEYS" and "key 2" in str(refused.value)
    assert "short-secret" not in str(refused.value)


@pytest.mark.parametrize(("value", "level"), [(None, "INFO"), ("debug", "DEBUG"), ("WARNING", "WARNING")])
def test_the_log_level(value, level):
    assert load_settings({"ALINEA_LOG_LEVEL": value} if value else {}).log_level == level


def test_an_unknown_log_level_names_the_choices():
    with pytest.raises(ConfigError, match="DEBUG, INFO, WARNING or ERROR"):
        load_settings({"ALINEA_LOG_LEVEL": "verbose"})
