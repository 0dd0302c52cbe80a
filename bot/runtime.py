"""What every listener and job needs, built once by the composition root (bot/bootstrap.py)
and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cache import ExpiringCache
from bot.config import Settings
from bot.workqueue import WorkQueue
from services.workspaces import WorkspaceDefaults

if TYPE_CHECKING:
    from bot.narrators import Narrators
    from bot.oauth import WorkspaceTokens
    from bot.slack_clients import SlackClients


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Runtime:
    settings: Settings
    session_factory: sessionmaker[Session]
    work: WorkQueue
    narrators: Narrators  # the model's narrator and theme picker per workspace, or the offline ones
    slack: SlackClients  # Web API clients for background work, per workspace or team
    clock: Callable[[], datetime] = field(default=utc_now)
    # A person's Slack language, so a command costs no users.info call most of the time.
    user_locales: ExpiringCache[str] = field(default_factory=lambda: ExpiringCache(ttl_seconds=600))
    # OAuth mode only (bot/oauth.py): each workspace's installation and tokens. None: one bot token.
    tokens: WorkspaceTokens | None = None

    @property
    def engine(self) -> Engine:
        """The engine the session factory is bound to (health checks ping it)."""
        return self.session_factory.kw["bind"]

    @property
    def workspace_defaults(self) -> WorkspaceDefaults:
        return WorkspaceDefaults(locale=self.settings.default_locale, timezone=self.settings.default_timezone)
