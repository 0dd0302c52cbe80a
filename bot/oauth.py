"""OAuth mode: Alinea installed in many workspaces through Slack's OAuth flow.

On when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set (bot/config.py); single-workspace mode
(one SLACK_BOT_TOKEN) stays the default. Bolt runs the flow on our HTTP server
(`GET /slack/install` redirects to Slack with a state, `GET /slack/oauth_redirect` exchanges the
code with oauth.v2.access), with slack_sdk's SQLAlchemy stores in our database
(bot/installations.py: tokens encrypted at rest; tables from migration 0009).

Token rotation. With rotation enabled for the app, Slack's bot tokens expire after 12 hours and
come with a refresh token. `WorkspaceTokens.refreshed()` renews a token that expires within
`token_refresh_minutes` (120) and saves it back; both Bolt (on each incoming request, through
`RefreshingAuthorize`) and the background jobs (`client_for`) go through it. Slack revokes a
refresh token once it is used, so two replicas refreshing the same workspace at once would have
one of them fail, or, worse, save a pair whose refresh token the other's exchange already
revoked. So a refresh is serialised per workspace: a lock in the process, and on PostgreSQL a
transaction-level advisory lock that every replica shares (it blocks no other writer); whoever
gets the lock second reads the installation again and finds it already refreshed. The token
being replaced is still valid for the `token_refresh_minutes` margin, so nobody is left without
one while they wait. SQLite has no lock shared between processes: run one `alinea serve` per
SQLite file (replicas need PostgreSQL anyway).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Optional
from urllib.parse import urljoin

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, delete, insert, text

from bot.config import Settings
from bot.installations import EncryptedInstallationStore, TokenCipher
from bot.slack_client import make_web_client

logger = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_EXPIRATION_SECONDS = 600  # a person has ten minutes to approve the install in Slack
# The bot scopes asked for at install: the same as app-manifest.yml's (a test keeps them equal).
BOT_SCOPES = (
    "commands", "chat:write", "users:read", "channels:read", "groups:read", "channels:history", "groups:history",
    "im:history", "im:write", "files:read", "files:write",
)
ROTATION_LOCK_SPACE = 0x414C5452  # "ALTR": the first key of pg_advisory_xact_lock(int, int)
ROTATION_LOCK_TIMEOUT = "20s"  # a refresh is one Slack call; waiting longer means something is stuck
AUTHORIZE_CACHE_SIZE = 10_000


class NotInstalled(LookupError):
    """No installation (bot token) is stored for this workspace: never installed, or uninstalled."""


def authorization_url(slack_api_url: str) -> str:
    """Slack's consent page beside its Web API: https://slack.com/api/ -> https://slack.com/oauth/v2/authorize
    (GovSlack and the loopback double alike)."""
    return urljoin(slack_api_url, "../oauth/v2/authorize")


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


class ClockedOAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's SQLAlchemy state store on our table, with our clock (time is a parameter), a
    state consumed by one conditional DELETE (two callbacks with the same state: one wins), and
    expired states of abandoned installs removed whenever a new one is issued."""

    def __init__(self, *, engine: Engine, expiration_seconds: int, clock: Callable[[], datetime]):
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=logger)
        self._clock = clock

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        now = _naive_utc(self._clock())
        table = self.oauth_states
        with self.engine.begin() as connection:
            connection.execute(delete(table).where(table.c.expire_at <= now))
            connection.execute(insert(table).values(state=state, expire_at=now + timedelta(seconds=self.expiration_seconds)))
        return state

    def consume(self, state: str) -> bool:
        table = self.oauth_states
        with self.engine.begin() as connection:
            removed = connection.execute(
                delete(table).where(table.c.state == state, table.c.expire_at > _naive_utc(self._clock()))
            ).rowcount
        return removed == 1


class WorkspaceTokens:
    """OAuth mode's tokens: the encrypted installation store, the state store, and refreshing."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        clock: Callable[[], datetime],
        wall_clock: Callable[[], float] = time.time,
    ):
        assert settings.oauth_enabled and settings.slack_client_id and settings.slack_client_secret
        self.settings = settings
        self.store = EncryptedInstallationStore(
            client_id=settings.slack_client_id, engine=engine, cipher=TokenCipher(settings.token_keys)
        )
        self.states = ClockedOAuthStateStore(engine=engine, expiration_seconds=STATE_EXPIRATION_SECONDS, clock=clock)
        self.rotator = TokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            client=make_web_client(token=None, base_url=settings.slack_api_url),
        )
        self.refresh_minutes = settings.token_refresh_minutes
        self._engine = engine
        # Slack's token expiry is real time, not the jobs' `--at`: tokens expire while we wait.
        self._wall_clock = wall_clock
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # --- what the jobs use --------------------------------------------------------------------------

    def installation(self, slack_team_id: str) -> Installation:
        """The workspace's latest installation with a bot token fresh for at least the margin."""
        found = self.store.find_for_team(slack_team_id)
        if found is None or found.bot_token is None:
            raise NotInstalled(f"no installation of Alinea in Slack workspace {slack_team_id}")
        return self.refreshed(found) or found

    def client_for(self, slack_team_id: str) -> WebClient:
        """A Web API client with the workspace's own bot token, refreshed first if it is expiring."""
        bot_token = self.installation(slack_team_id).bot_token
        return make_web_client(token=bot_token, base_url=self.settings.slack_api_url)

    # --- refreshing -----------------------------------------------------------------------------------

    def expiring(self, installation: Installation) -> bool:
        """A token with a refresh token that expires within the margin (TokenRotator's own test)."""
        horizon = self._wall_clock() + self.refresh_minutes * 60
        return any(
            refresh is not None and expires_at is not None and expires_at <= horizon
            for refresh, expires_at in (
                (installation.bot_refresh_token, installation.bot_token_expires_at),
                (installation.user_refresh_token, installation.user_token_expires_at),
            )
        )

    def refreshed(self, installation: Installation) -> Optional[Installation]:
        """None when no token of the installation needs refreshing; else the workspace's latest
        installation with fresh tokens, refreshed here or by whoever held the lock before us."""
        if not self.expiring(installation):
            return None
        team = installation.team_id
        with self._rotation_lock(installation.enterprise_id, team):
            current = self.store.find_installation(enterprise_id=installation.enterprise_id, team_id=team)
            if current is None:  # uninstalled meanwhile
                return None
            if not self.expiring(current):
                logger.info("tokens of workspace %s were already refreshed", team)
                return current
            try:
                rotated = self.rotator.perform_token_rotation(installation=current, minutes_before_expiration=self.refresh_minutes)
            except SlackTokenRotationError:
                # A refresher that holds no lock of ours (another process on the same SQLite file)
                # may have used the refresh token first: take what it saved, if it saved anything.
                again = self.store.find_installation(enterprise_id=installation.enterprise_id, team_id=team)
                if again is not None and again.bot_refresh_token != current.bot_refresh_token and not self.expiring(again):
                    return again
                raise
            if rotated is None:
                return None
            self.store.save(rotated)
            logger.info("refreshed the tokens of workspace %s", team)
            return rotated

    @contextmanager
    def _rotation_lock(self, enterprise_id: Optional[str], team_id: Optional[str]) -> Iterator[None]:
        key = f"{enterprise_id or '-'}:{team_id or '-'}"
        with self._locks_guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if self._engine.dialect.name != "postgresql":
                yield
                return
            # Held by an idle transaction of its own across the Slack call: an advisory lock
            # blocks only the other refreshers of this workspace, never a writer.
            with self._engine.begin() as connection:
                connection.execute(text("SELECT set_config('lock_timeout', :timeout, true)"), {"timeout": ROTATION_LOCK_TIMEOUT})
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(:key))"),
                    {"space": ROTATION_LOCK_SPACE, "key": key},
                )
                yield


class _BoundedCache(OrderedDict):
    """Bolt's authorize cache (token -> auth.test result), bounded: rotation adds tokens forever."""

    def __init__(self, size: int):
        super().__init__()
        self._size = size

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self._size:
            self.popitem(last=False)


class RefreshingAuthorize(InstallationStoreAuthorize):
    """Bolt's installation-store authorize, with its token rotation through WorkspaceTokens (so
    requests and jobs share one serialised refresh) and auth.test results cached per token."""

    def __init__(self, tokens: WorkspaceTokens, *, client: WebClient):
        super().__init__(
            logger=logging.getLogger("alinea.bolt"),
            installation_store=tokens.store,
            client_id=tokens.settings.slack_client_id,
            client_secret=tokens.settings.slack_client_secret,
            token_rotation_expiration_minutes=tokens.refresh_minutes,
            cache_enabled=True,
            client=client,
        )
        self.authorize_result_cache = _BoundedCache(AUTHORIZE_CACHE_SIZE)
        self.tokens = tokens

    def _rotate_and_save_tokens_if_necessary(self, installation: Optional[Installation]) -> Optional[Installation]:
        if installation is None or (installation.user_refresh_token is None and installation.bot_refresh_token is None):
            return None
        fresh = self.tokens.refreshed(installation)
        if fresh is None:
            return None
        result = Installation(**installation.to_dict_for_copying())
        result.bot_token, result.bot_refresh_token = fresh.bot_token, fresh.bot_refresh_token
        result.bot_token_expires_at, result.bot_scopes = fresh.bot_token_expires_at, fresh.bot_scopes
        if installation.user_token is not None and installation.user_id == fresh.user_id:
            result.user_token, result.user_refresh_token = fresh.user_token, fresh.user_refresh_token
            result.user_token_expires_at = fresh.user_token_expires_at
        return result


class AlineaOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow; an installation also (re)marks its workspace installed in our tables,
    before its tokens are saved: a reinstall within the grace period keeps the workspace's data."""

    def __init__(self, *, runtime: Any, client: WebClient, settings: OAuthSettings):
        super().__init__(client=client, logger=logging.getLogger("alinea.oauth"), settings=settings)
        self.runtime = runtime

    def store_installation(self, request: Any, installation: Installation) -> None:
        from services import workspaces

        if installation.team_id:
            now = self.runtime.clock()
            with self.runtime.session_factory.begin() as session:
                workspace = workspaces.ensure_workspace(
                    session, slack_team_id=installation.team_id, defaults=self.runtime.workspace_defaults, now=now,
                    name=installation.team_name or "",
                )
                workspaces.mark_installed(session, workspace=workspace, now=now)
        super().store_installation(request, installation)
        logger.info("Alinea installed in Slack workspace %s", installation.team_id or installation.enterprise_id)


def oauth_settings(tokens: WorkspaceTokens) -> OAuthSettings:
    settings = tokens.settings
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        install_page_rendering_enabled=False,  # /slack/install sends the person straight to Slack
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(settings.slack_api_url),
        installation_store=tokens.store,
        token_rotation_expiration_minutes=tokens.refresh_minutes,
        state_store=tokens.states,
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        logger=logging.getLogger("alinea.oauth"),
    )


def oauth_app_arguments(runtime: Any, client: WebClient) -> dict[str, Any]:
    """What `App(...)` takes in OAuth mode: the flow and the authorize that refreshes tokens."""
    tokens: WorkspaceTokens = runtime.tokens
    return {
        "oauth_flow": AlineaOAuthFlow(runtime=runtime, client=client, settings=oauth_settings(tokens)),
        "authorize": RefreshingAuthorize(tokens, client=client),
    }
