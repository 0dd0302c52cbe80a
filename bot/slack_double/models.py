"""Plain data objects of the Slack double: recorded calls and the fake workspace's contents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """One request the double received, as a test sees it.

    `method` is the Web API method ("chat.postMessage"), or "response_url" / "upload_url" for posts to
    those URLs. `params` is the decoded request (query string and body merged, JSON-encoded fields such
    as `blocks` already parsed). `headers` has lower-cased names. `response` is the answer as a dict;
    for response_url and upload_url, whose wire answer is plain text, it is the dict equivalent
    (`{"ok": True}` or `{"ok": False, "error": ...}`). `status` is the HTTP status sent, 0 when the
    connection was dropped on purpose (then `response` is None). `at` is the `time.time()` of arrival.
    """

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    response: dict[str, Any] | None
    at: float
    status: int = 200
    url: str = ""  # for "response_url" calls: which response_url was posted to

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return self.response.get("error") if self.response else None

    @property
    def token(self) -> str | None:
        """The bearer token the call was made with (which workspace's bot spoke), if any."""
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    def summary(self) -> str:
        """One line for timeout messages: method, a few params, outcome."""
        shown = {k: v for k, v in self.params.items() if k in _SUMMARY_KEYS}
        outcome = "dropped" if self.status == 0 else ("ok" if self.ok else f"{self.status} {self.error}")
        text = f"{self.method} {shown} -> {outcome}"
        return text if len(text) <= 200 else text[:197] + "..."


_SUMMARY_KEYS = ("channel", "channel_id", "user", "user_id", "ts", "thread_ts", "text", "response_type")


@dataclass
class SlackDoubleUser:
    """A member of the fake workspace, as users.info describes them."""

    id: str
    name: str
    real_name: str
    locale: str = "es-LA"
    tz: str = "America/Bogota"
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    email: str | None = None
    deleted: bool = False


@dataclass
class SlackDoubleChannel:
    id: str
    name: str
    is_private: bool = False
    created: int = 1700000000
    bot_is_member: bool = True  # a bot can only post where it was invited (Slack: not_in_channel)

    @property
    def is_im(self) -> bool:
        return self.id.startswith("D")


@dataclass
class SlackDoubleFile:
    """A file uploaded through files.getUploadURLExternal + the upload URL + files.completeUploadExternal."""

    id: str
    filename: str
    length: int
    title: str | None = None
    content: bytes = b""
    uploaded: bool = False
    completed: bool = False
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    shares: list[dict[str, Any]] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": len(self.content),
            "channels": [s["channel"] for s in self.shares],
        }
