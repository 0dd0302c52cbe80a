"""Slack's side of OAuth in the double: the consent page, oauth.v2.access, and the tokens issued.

- `GET /oauth/v2/authorize?client_id=…&state=…[&team=T…][&redirect_uri=…]`: the person approves at
  once; the answer is a 302 to the redirect URI with a one-time `code` and the same `state`.
  (`issue_code` gives a code without the browser dance.)
- `oauth.v2.access` with the app's credentials in HTTP Basic auth, as slack_sdk sends them:
  `code` -> a bot token for the code's workspace; `grant_type=refresh_token` -> a fresh pair.
  With token rotation on, access tokens look like Slack's (`xoxe.xoxb-1-…`), expire after
  `expires_in` seconds and come with a refresh token that works once (Slack revokes a refresh
  token when it is used).
- Every issued token knows its workspace: auth.test answers with it, and the server refuses an
  expired token (`token_expired`) or a revoked one (`invalid_auth`).

Plain data and functions: the server calls them under its lock.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode

DEFAULT_EXPIRES_IN = 12 * 3600  # Slack's rotating tokens last 12 hours


@dataclass
class IssuedToken:
    token: str
    team_id: str
    kind: str  # "bot" or "user"
    expires_at: float | None  # None: a token that never expires (rotation off)
    expired: bool = False  # made to expire early by the test (`expire_token`)
    revoked: bool = False


@dataclass
class _Grant:
    team_id: str
    team_name: str
    user_id: str


@dataclass
class OAuthServer:
    """The OAuth state of the double's one Slack app: its credentials, codes and tokens."""

    app_id: str
    bot_user_id: str
    default_team_id: str
    default_team_name: str
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None  # the app's configured Redirect URL
    token_rotation: bool = False
    expires_in: int = DEFAULT_EXPIRES_IN
    installer: str = "U0ANA"  # who approves installs on the consent page
    clock: Callable[[], float] = time.time
    codes: dict[str, _Grant] = field(default_factory=dict)
    tokens: dict[str, IssuedToken] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # refresh -> (team, kind)
    team_names: dict[str, str] = field(default_factory=dict)
    _serial: Any = field(default_factory=lambda: itertools.count(1))

    # --- what tests call -------------------------------------------------------------------------

    def issue_code(self, team_id: str | None = None, *, team_name: str | None = None, user_id: str | None = None) -> str:
        """What Slack hands the app's redirect URI once a person approved the install."""
        team = team_id or self.default_team_id
        name = team_name or self.team_names.get(team) or (self.default_team_name if team == self.default_team_id else team.lower())
        self.team_names[team] = name
        code = f"{next(self._serial)}.{secrets.token_hex(12)}"
        self.codes[code] = _Grant(team, name, user_id or self.installer)
        return code

    def bot_tokens(self, team_id: str) -> list[str]:
        """Bot tokens issued for a workspace, oldest first."""
        return [t.token for t in self.tokens.values() if t.team_id == team_id and t.kind == "bot"]

    def expire(self, token: str) -> None:
        self.tokens[token].expired = True

    def revoke_team(self, team_id: str) -> list[str]:
        """What an uninstall does on Slack's side: every token and refresh token of the workspace dies."""
        revoked = []
        for issued in self.tokens.values():
            if issued.team_id == team_id and not issued.revoked:
                issued.revoked = True
                revoked.append(issued.token)
        for refresh, (team, _kind) in list(self.refresh_tokens.items()):
            if team == team_id:
                del self.refresh_tokens[refresh]
        return revoked

    # --- what the server calls -------------------------------------------------------------------

    def team_of(self, token: str | None) -> str | None:
        issued = self.tokens.get(token or "")
        return issued.team_id if issued else None

    def auth_error(self, token: str) -> str | None:
        """For a token this double issued: revoked or expired; None for any other token."""
        issued = self.tokens.get(token)
        if issued is None:
            return None
        if issued.revoked:
            return "invalid_auth"
        if issued.expired or (issued.expires_at is not None and issued.expires_at <= self.clock()):
            return "token_expired"
        return None

    def authorize_page(self, query: str) -> tuple[int, dict[str, str], str]:
        """GET /oauth/v2/authorize: (status, headers, body)."""
        params = {key: values[0] for key, values in parse_qs(query).items()}
        if self.client_id is None or params.get("client_id") != self.client_id:
            return 400, {}, "invalid_client_id"
        redirect_uri = params.get("redirect_uri") or self.redirect_uri
        if not redirect_uri:
            return 400, {}, "no_redirect_uri"
        if self.redirect_uri and redirect_uri != self.redirect_uri:
            return 400, {}, "bad_redirect_uri"
        code = self.issue_code(params.get("team") or None)
        answer = urlencode({"code": code, "state": params.get("state", "")})
        return 302, {"Location": f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{answer}"}, ""

    def access(self, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """oauth.v2.access."""
        client_id, client_secret = _basic_credentials(headers)
        client_id = client_id or params.get("client_id")
        client_secret = client_secret or params.get("client_secret")
        if self.client_id is None or client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        if params.get("grant_type") == "refresh_token":
            return self._refresh(str(params.get("refresh_token") or ""))
        grant = self.codes.pop(str(params.get("code") or ""), None)  # a code works once
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        if params.get("redirect_uri") and self.redirect_uri and params["redirect_uri"] != self.redirect_uri:
            return {"ok": False, "error": "bad_redirect_uri"}
        token = self._issue(grant.team_id, "bot")
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": grant.user_id},
            "scope": "commands,chat:write,users:read",
            "token_type": "bot",
            "bot_user_id": self.bot_user_id,
            "team": {"id": grant.team_id, "name": grant.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
            **token,
        }

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        found = self.refresh_tokens.pop(refresh_token, None)  # revoked once used, as Slack does
        if found is None:
            return {"ok": False, "error": "invalid_refresh_token"}
        team_id, kind = found
        return {"ok": True, "app_id": self.app_id, "token_type": kind, "scope": "commands,chat:write,users:read",
                "team": {"id": team_id, "name": self.team_names.get(team_id, "")}, **self._issue(team_id, kind)}

    def _issue(self, team_id: str, kind: str) -> dict[str, Any]:
        """The token fields of an answer: access_token, and with rotation expires_in and refresh_token."""
        prefix = "xoxb" if kind == "bot" else "xoxp"
        serial = next(self._serial)
        if not self.token_rotation:
            token = f"{prefix}-{team_id}-{serial}-{secrets.token_hex(12)}"
            self.tokens[token] = IssuedToken(token, team_id, kind, None)
            return {"access_token": token}
        token = f"xoxe.{prefix}-1-{team_id}-{serial}-{secrets.token_hex(24)}"
        refresh = f"xoxe-1-{team_id}-{serial}-{secrets.token_hex(24)}"
        self.tokens[token] = IssuedToken(token, team_id, kind, self.clock() + self.expires_in)
        self.refresh_tokens[refresh] = (team_id, kind)
        return {"access_token": token, "expires_in": self.expires_in, "refresh_token": refresh}


def _basic_credentials(headers: dict[str, str]) -> tuple[str | None, str | None]:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value.strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else (None, None)
