"""Logging: text or JSON lines, a request id and the workspace on every line, secrets hidden.

`configure_logging(settings)` is called once by the CLI. Every line goes through one handler
on the root logger, whose filters

- add `request_id` and `workspace` (the Slack team id) from context variables: bot/http.py
  sets the request id when a Slack request arrives, bot/middleware.py the workspace once Bolt
  has read the body; they follow the work onto Bolt's listener threads and our work queue
  because both executors copy the context at submit (bot/workqueue.py);
- redact secrets in the message and in the exception text: Slack tokens (`xoxb-`, `xoxp-`,
  `xapp-`, `xoxe-`…), `Bearer …`, our ingest tokens (`aln_…`), OpenAI-style keys (`sk-…`),
  Slack's response_url and webhook URLs, and the configured signing secret, tokens and keys
  wherever they appear.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from datetime import datetime, timezone
from typing import IO, Iterable

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("alinea_request_id", default=None)
WORKSPACE: contextvars.ContextVar[str | None] = contextvars.ContextVar("alinea_workspace", default=None)
# What Bolt found the request to be (slash-command, action, view, event): the ack log line and
# the ack latency histogram (bot/http.py) are labelled with it.
REQUEST_KIND: contextvars.ContextVar[str | None] = contextvars.ContextVar("alinea_request_kind", default=None)

REDACTED = "[REDACTED]"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s:%(context)s %(message)s"
# Patterns of secrets whatever their value: Slack tokens (bot, user, app, refresh and config
# tokens), bearer credentials, our ingest API tokens, OpenAI-style keys, Slack hook URLs.
SECRET_PATTERNS = (
    re.compile(r"\bxox[a-z]?(?:\.xox[a-z])?-[A-Za-z0-9-]+"),
    re.compile(r"\bxapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\baln_[A-Za-z0-9_-]{16,}"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),
    # response_url and incoming-webhook URLs post to a channel to whoever holds them (Bolt logs
    # the body of a request whose signature failed, response_url included, form-encoded).
    re.compile(r"(?i)https?(?::|%3A)(?:/|%2F){2}hooks\.slack(?:-gov)?\.com[^\s&\"'<>]*"),
)
# A configured secret shorter than this is not searched for: a local model server's
# placeholder key ("x", "none") would otherwise blank out ordinary words.
MIN_LITERAL_SECRET = 8
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def new_request_id(slack_timestamp: str | None = None, incoming: str | None = None) -> str:
    """An incoming `X-Request-Id` (a proxy's) when it is a sane token, else Slack's request
    timestamp and a random part, e.g. `1767225600-3f2a9c0d1b7e`."""
    if incoming and _REQUEST_ID.match(incoming):
        return incoming
    stamp = slack_timestamp if slack_timestamp and slack_timestamp.isdigit() else None
    random_part = uuid.uuid4().hex[:12]
    return f"{stamp}-{random_part}" if stamp else random_part


class Redactor:
    """Replaces secrets in a text: the patterns above and the configured values."""

    def __init__(self, secrets: Iterable[str] = ()):
        literals = sorted({s for s in secrets if s and len(s) >= MIN_LITERAL_SECRET}, key=len, reverse=True)
        self._literals = tuple(literals)

    def __call__(self, text: str) -> str:
        for literal in self._literals:
            text = text.replace(literal, REDACTED)
        for pattern in SECRET_PATTERNS:
            text = pattern.sub(_replacement, text)
        return text


def _replacement(match: re.Match[str]) -> str:
    scheme = match.group(1) if match.re.groups else None
    return f"{scheme} {REDACTED}" if scheme else REDACTED


class ContextFilter(logging.Filter):
    """Adds `request_id`, `workspace` and the text format's `context` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        record.workspace = getattr(record, "workspace", None) or WORKSPACE.get()
        parts = [f"req={record.request_id}" if record.request_id else "", f"team={record.workspace}" if record.workspace else ""]
        shown = " ".join(part for part in parts if part)
        record.context = f" [{shown}]" if shown else ""
        return True


class RedactingFilter(logging.Filter):
    """Hides secrets in the final message and the exception text before any formatter sees them."""

    def __init__(self, redact: Redactor):
        super().__init__()
        self._redact = redact
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: left for the handler to report as logging does
            return True
        record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id and
    workspace when known, exception (the traceback text) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "workspace"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def make_handler(log_format: str, secrets: Iterable[str] = (), stream: IO[str] | None = None) -> logging.Handler:
    """The handler `configure_logging` installs (tests attach one to a buffer)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter(Redactor(secrets)))
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(log_format: str = "text", secrets: Iterable[str] = (), *, level: int = logging.INFO) -> None:
    """Install our handler on the root logger, replacing the one an earlier call installed.

    Like logging.basicConfig, a root logger that already has someone else's handlers (pytest's,
    a program embedding Alinea) is left alone: its owner decides where lines go.
    """
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, "alinea", False)]
    if len(ours) < len(root.handlers):
        return
    for old in ours:
        root.removeHandler(old)
    handler = make_handler(log_format, secrets)
    handler.alinea = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
