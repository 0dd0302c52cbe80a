"""Logging: text or JSON lines, a request id and the workspace on every line, secrets hidden.

`configure_logging(settings)` is called once by the CLI. Every record, of any logger (ours,
Bolt's, slack_sdk's, openai's…) at any level, is redacted when it is made: the redaction sits in
logging's record factory, so no handler sees a secret, whoever installed it (a program embedding
Alinea, pytest, a library's own handler on a logger that does not propagate). Our handler on
the root logger has filters that

- add `request_id` and `workspace` (the Slack team id) from context variables: bot/http.py
  sets the request id when a Slack request arrives, bot/middleware.py the workspace once Bolt
  has read the body; they follow the work onto Bolt's listener threads and our work queue
  because both executors copy the context at submit (bot/workqueue.py);
- redact again (a record made through `logging.makeLogRecord` skips the factory): secrets in
  the message and in the exception text are Slack tokens (`xoxb-`, `xoxp-`, `xapp-`, `xoxe-`…),
  `Bearer …`, our ingest tokens (`aln_…`), OpenAI-style keys (`sk-…`), Slack's response_url
  and webhook URLs (by their path, on any host: a proxy, GovSlack or a loopback double), and the
  configured signing secret, tokens and keys wherever they appear.
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
# A "/" or "." as it reaches a log line: plain, JSON-escaped (`\/`), form-encoded (`%2F`) or both.
_SLASH = r"\\?/|(?:%5C)?%2F"
_DOT = r"(?:\.|%2E)"
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
    # the body of a request whose signature failed, response_url included, form-encoded;
    # slack_sdk's webhook client logs the URL it posts to at DEBUG).
    re.compile(rf"(?i)https?(?::|%3A)(?:{_SLASH}){{2}}hooks{_DOT}slack(?:-gov)?{_DOT}com[^\s&\"'<>]*"),
    # The same URLs by their path on any host: /commands/T…/…, /actions/T…/…, /services/T…/….
    re.compile(rf"(?i)https?(?::|%3A)(?:{_SLASH}){{2}}[^\s&\"'<>]*?(?:{_SLASH})(?:commands|actions|services)(?:{_SLASH})(?-i:T[A-Z0-9]{{2,}})(?:{_SLASH})[^\s&\"'<>]*"),
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


_TRACEBACKS = logging.Formatter()


def redact_record(record: logging.LogRecord, redact: Redactor) -> None:
    """Hides secrets in the final message and the exception text before any formatter sees them.
    A record this same redactor already went through (the factory's, then our handler's filter
    sharing it) is not searched twice."""
    if getattr(record, "alinea_redactor", None) is redact:
        return
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: left for the handler to report as logging does
        return
    record.alinea_redactor = redact
    record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = _TRACEBACKS.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingFilter(logging.Filter):
    """Redacts each record a handler is given (see redact_record)."""

    def __init__(self, redact: Redactor):
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record, self._redact)
        return True


class RedactingRecordFactory:
    """logging's record factory, wrapped: every record is redacted as it is made, so every
    handler (ours or not) and every logger (propagating or not) only ever sees the redacted
    text. Records are only made for enabled levels, so a DEBUG call is not paid for at INFO."""

    def __init__(self, wrapped, redact: Redactor):
        self.wrapped, self.redact = wrapped, redact

    def __call__(self, *args, **kwargs) -> logging.LogRecord:
        record = self.wrapped(*args, **kwargs)
        redact_record(record, self.redact)
        return record


def install_redaction(redact: Redactor) -> None:
    """Redact every record from now on with `redact` (a second call replaces it, it does not
    stack a second factory)."""
    current = logging.getLogRecordFactory()
    if isinstance(current, RedactingRecordFactory):
        current.redact = redact
    else:
        logging.setLogRecordFactory(RedactingRecordFactory(current, redact))


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


def make_handler(
    log_format: str, secrets: Iterable[str] = (), stream: IO[str] | None = None, *, redact: Redactor | None = None
) -> logging.Handler:
    """The handler `configure_logging` installs (tests attach one to a buffer)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter(redact or Redactor(secrets)))
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(log_format: str = "text", secrets: Iterable[str] = (), *, level: int = logging.INFO) -> None:
    """Redact every record (install_redaction), and install our handler on the root logger,
    replacing the one an earlier call installed.

    Like logging.basicConfig, a root logger that already has someone else's handlers (pytest's,
    a program embedding Alinea) is left alone: its owner decides where lines go. Redaction
    applies all the same: their handlers get the redacted records.
    """
    redact = Redactor(secrets)
    install_redaction(redact)
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, "alinea", False)]
    if len(ours) < len(root.handlers):
        return
    for old in ours:
        root.removeHandler(old)
    handler = make_handler(log_format, stream=None, redact=redact)
    handler.alinea = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
