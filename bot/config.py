"""Settings read from the environment once, at start-up, and passed explicitly.

Nothing here runs at import time: `load_settings()` is called by the CLI with the
environment it was given, so tests build settings from plain dicts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from domain.locales import normalize_locale

SLACK_DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///alinea.db"


class ConfigError(Exception):
    """A setting is missing or invalid; the CLI prints it and exits with code 2."""

    def __init__(self, variable: str, expected: str, got: str | None = None):
        self.variable = variable
        self.expected = expected
        shown = "" if got is None else f" (got {got!r})"
        super().__init__(f"{variable}: expected {expected}{shown}")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = SLACK_DEFAULT_API_URL
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    llm_model: str | None = None
    llm_monthly_tokens: int = 200_000  # per workspace and calendar month (docs/decisions.md: A monthly token budget per workspace)
    llm_timeout_s: float = 20.0  # the narrator's total time, both tries included, so an agenda never waits longer
    default_locale: str = "es"
    default_timezone: str = "America/Bogota"
    # Bolt's listener threads only ack and hand work over, so a modest pool is enough.
    listener_threads: int = 16
    # What follows an ack runs on our own bounded pool. The work mostly waits on Slack and the
    # database, so threads are cheap; 32 keep commands flowing while 20 slow ones wait on Slack.
    work_threads: int = 32
    work_queue_limit: int = 400
    log_format: str = "text"  # or "json": one JSON object per line (bot/logs.py)
    log_level: str = "INFO"  # DEBUG shows Bolt's and slack_sdk's request lines too (redacted)
    # When set, `GET /metrics` wants `Authorization: Bearer <token>`.
    metrics_token: str | None = field(default=None, repr=False)
    # OAuth mode (many workspaces): on when both are set; each workspace's tokens then live in the
    # database, encrypted with `token_keys` (Fernet keys: the first encrypts, all decrypt).
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_redirect_uri: str | None = None
    token_keys: tuple[str, ...] = field(default=(), repr=False)
    # A bot token that expires within this many minutes is refreshed before use (Bolt's default).
    token_refresh_minutes: int = 120
    # Keys of the keyed hash that turns an erased person's Slack id into a stand-in (services/
    # person_data.py): the first makes new stand-ins, the others are older keys still recognised.
    pseudonym_keys: tuple[str, ...] = field(default=(), repr=False)
    # An uninstalled workspace's data is kept this many days (a reinstall keeps it), then purged.
    data_grace_days: int = 30
    # Socket Mode's small local HTTP server for /healthz and /metrics (0: any free port).
    health_port: int = 3000

    def __repr__(self) -> str:  # secrets never reach logs through a repr
        return (
            f"Settings(database_url={redact_url(self.database_url)!r}, "
            f"slack_api_url={self.slack_api_url!r}, default_locale={self.default_locale!r}, "
            f"default_timezone={self.default_timezone!r}, llm_model={self.llm_model!r})"
        )

    def secret_values(self) -> tuple[str, ...]:
        """What the log filter hides wherever it appears (bot/logs.py)."""
        values = (self.slack_bot_token, self.slack_signing_secret, self.slack_app_token, self.openai_api_key, self.metrics_token,
                  self.slack_client_secret, *self.token_keys, *self.pseudonym_keys)
        return tuple(value for value in values if value)

    @property
    def oauth_enabled(self) -> bool:
        """Many workspaces install Alinea through Slack's OAuth flow (else: one workspace, one bot token)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_model)

    def require_http_credentials(self) -> None:
        """`serve --http` needs a signing secret and a bot token."""
        if not self.slack_signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET", "the app's signing secret (Basic Information page)")
        if not self.oauth_enabled:  # in OAuth mode each workspace's token comes from its installation
            require_bot_token(self.slack_bot_token)

    def require_socket_mode_credentials(self) -> None:
        require_bot_token(self.slack_bot_token)
        if not (self.slack_app_token or "").startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN", "an app-level token starting with xapp-")


def require_bot_token(token: str | None) -> None:
    if not token or not token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN", "a bot token starting with xoxb-", None if not token else "…")


def redact_url(url: str) -> str:
    """Hide a password in a database URL before it is printed."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def read_environment(environ: Mapping[str, str] | None = None, env_file: str | Path = ".env") -> dict[str, str]:
    """The process environment over an optional `.env` file (the environment wins)."""
    merged: dict[str, str] = {}
    path = Path(env_file)
    if path.is_file():
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Validate every variable; the first bad one raises ConfigError naming it."""
    get = lambda name: (environ.get(name) or "").strip() or None  # noqa: E731
    return Settings(
        database_url=parse_database_url(get("DATABASE_URL")),
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=parse_slack_api_url(get("SLACK_API_URL")),
        openai_api_key=get("OPENAI_API_KEY"),
        openai_base_url=parse_http_url("OPENAI_BASE_URL", get("OPENAI_BASE_URL")),
        llm_model=get("ALINEA_LLM_MODEL"),
        llm_monthly_tokens=parse_positive_int("ALINEA_LLM_MONTHLY_TOKENS", get("ALINEA_LLM_MONTHLY_TOKENS"), 200_000),
        llm_timeout_s=parse_seconds("ALINEA_LLM_TIMEOUT_S", get("ALINEA_LLM_TIMEOUT_S"), 20.0),
        default_locale=parse_locale(get("ALINEA_DEFAULT_LOCALE")),
        default_timezone=parse_timezone(get("ALINEA_DEFAULT_TIMEZONE")),
        log_format=parse_log_format(get("ALINEA_LOG_FORMAT")),
        log_level=parse_log_level(get("ALINEA_LOG_LEVEL")),
        metrics_token=get("ALINEA_METRICS_TOKEN"),
        **parse_oauth(get),
        data_grace_days=parse_days("ALINEA_DATA_GRACE_DAYS", get("ALINEA_DATA_GRACE_DAYS"), 30),
        pseudonym_keys=parse_pseudonym_keys(get("ALINEA_PSEUDONYM_KEYS")),
        health_port=parse_port("ALINEA_HEALTH_PORT", get("ALINEA_HEALTH_PORT"), 3000),
    )


def parse_oauth(get) -> dict:
    """SLACK_CLIENT_ID and SLACK_CLIENT_SECRET together select OAuth mode, which needs
    ALINEA_TOKEN_KEYS and no SLACK_BOT_TOKEN (each workspace's token comes from its installation)."""
    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    keys = parse_token_keys(get("ALINEA_TOKEN_KEYS"))
    if client_id and not client_secret:
        raise ConfigError("SLACK_CLIENT_SECRET", "the app's client secret (Basic Information page) beside SLACK_CLIENT_ID")
    if client_secret and not client_id:
        raise ConfigError("SLACK_CLIENT_ID", "the app's client id (Basic Information page) beside SLACK_CLIENT_SECRET")
    if client_id:
        if not keys:
            raise ConfigError("ALINEA_TOKEN_KEYS", "in OAuth mode, one or more comma-separated Fernet keys that encrypt the "
                              "workspaces' tokens (see the README: Install in many workspaces)")
        if get("SLACK_BOT_TOKEN"):
            raise ConfigError("SLACK_BOT_TOKEN", "no value in OAuth mode (SLACK_CLIENT_ID is set): each workspace's token "
                              "comes from its installation", "…")
    return {
        "slack_client_id": client_id,
        "slack_client_secret": client_secret,
        "slack_redirect_uri": parse_http_url("SLACK_REDIRECT_URI", get("SLACK_REDIRECT_URI")),
        "token_keys": keys,
    }


def parse_token_keys(value: str | None) -> tuple[str, ...]:
    """Comma-separated Fernet keys (32 bytes in url-safe base64); never echoed in an error."""
    if value is None:
        return ()
    from cryptography.fernet import Fernet

    keys = tuple(key.strip() for key in value.split(",") if key.strip())
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ConfigError(
                "ALINEA_TOKEN_KEYS", f"comma-separated Fernet keys (44 characters of url-safe base64 each); key {number} is not one"
            ) from None
    return keys


MIN_PSEUDONYM_KEY = 32


def parse_pseudonym_keys(value: str | None) -> tuple[str, ...]:
    """Comma-separated secrets of at least 32 characters, newest first; never echoed in an error."""
    keys = tuple(key.strip() for key in (value or "").split(",") if key.strip())
    for number, key in enumerate(keys, 1):
        if len(key) < MIN_PSEUDONYM_KEY:
            raise ConfigError(
                "ALINEA_PSEUDONYM_KEYS", f"comma-separated random secrets of at least {MIN_PSEUDONYM_KEY} characters each, "
                f"e.g. from `python -c \"import secrets; print(secrets.token_urlsafe(32))\"`; key {number} is shorter"
            )
    return keys


def parse_days(variable: str, value: str | None, default: int) -> int:
    """A whole number of days, 0 to 3650."""
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or int(value) > 3650:
        raise ConfigError(variable, "a whole number of days from 0 to 3650", value)
    return int(value)


def parse_seconds(variable: str, value: str | None, default: float) -> float:
    """A positive number of seconds, at most ten minutes ("20", "2.5")."""
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(variable, "a number of seconds such as 20", value) from None
    if not 0 < seconds <= 600:
        raise ConfigError(variable, "a number of seconds above 0 and at most 600", value)
    return seconds


def parse_database_url(value: str | None) -> str:
    if value is None:
        return DEFAULT_DATABASE_URL
    if value.startswith("postgres://"):  # Heroku-style URLs; SQLAlchemy wants the long name
        value = "postgresql://" + value[len("postgres://"):]
    if value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value[len("postgresql://"):]
    if not (value.startswith("sqlite:///") or value.startswith("postgresql+")):
        raise ConfigError("DATABASE_URL", "sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB", redact_url(value))
    return value


def parse_http_url(variable: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not value.startswith(("http://", "https://")):
        raise ConfigError(variable, "an http:// or https:// URL", value)
    return value


def parse_positive_int(variable: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or int(value) <= 0:
        raise ConfigError(variable, "a positive whole number", value)
    return int(value)


def parse_port(variable: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or int(value) > 65535:
        raise ConfigError(variable, "a TCP port number (0 to 65535; 0 picks a free one)", value)
    return int(value)


def parse_log_format(value: str | None) -> str:
    if value is None:
        return "text"
    if value.lower() not in ("text", "json"):
        raise ConfigError("ALINEA_LOG_FORMAT", "text or json", value)
    return value.lower()


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def parse_log_level(value: str | None) -> str:
    if value is None:
        return "INFO"
    if value.upper() not in LOG_LEVELS:
        raise ConfigError("ALINEA_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR", value)
    return value.upper()


def parse_slack_api_url(value: str | None) -> str:
    url = parse_http_url("SLACK_API_URL", value) or SLACK_DEFAULT_API_URL
    # slack_sdk joins method names with urljoin, which drops a last path segment without "/".
    return url if url.endswith("/") else url + "/"


def parse_locale(value: str | None) -> str:
    if value is None:
        return "es"
    locale = normalize_locale(value)
    if locale is None:
        raise ConfigError("ALINEA_DEFAULT_LOCALE", "es or en (es-CO, en-US… also accepted)", value)
    return locale


def parse_timezone(value: str | None) -> str:
    if value is None:
        return "America/Bogota"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("ALINEA_DEFAULT_TIMEZONE", "an IANA timezone such as America/Bogota", value) from None
    return value
