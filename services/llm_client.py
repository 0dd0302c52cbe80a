"""What every use of the model shares: the format negotiation, one total deadline, the single
retry and the token budget (`NegotiatedClient`), and what may leave us for the model. The week in
brief's narrator (`services.llm_narrator`) and the feedback theme picker (`services.llm_themes`)
ask any OpenAI-compatible server (OpenAI, Azure OpenAI, Ollama, vLLM, llama.cpp's server, LM
Studio) through it, with the `openai` client's Chat Completions.

Formats are negotiated per server: a server refuses a format by an HTTP 400, 422 or 500 whose
body names `response_format`, `json_schema` or `json_object` (llama-cpp-python's server answers
500 "Input should be 'text' or 'json_object'" to a schema), or by an answer that is not JSON
at all; the next format is tried at once, within the same deadline. What worked is remembered
per base URL and model for the life of the process (`FormatMemory`), and said once at INFO, so
later narrations start with it instead of paying for the refusals again.

Time: one total deadline (20 s by default) covers every try. The client is built
with `max_retries=0` and this module makes the single retry itself, on a timeout, a dropped
connection or a 5xx, only if time is left: the SDK's own retry would give each try the full
timeout plus a back-off, and httpx's timeouts bound each read, not the whole call. So each try
runs on a helper thread with the time left as its HTTP timeout, and the caller waits for it no
longer than the deadline: a server that trickles bytes cannot hold an agenda back either.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

import openai

from services.llm_budget import TokenBudget

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 20.0  # across both tries
DEFAULT_MAX_OUTPUT_TOKENS = 700
CONNECT_TIMEOUT_S = 5.0
RETRY_BACKOFF_S = 0.25


# Formats --------------------------------------------------------------------------------------


# Tried in order; a server that refuses one gets the next. "json_object_schema" is JSON mode with
# a schema written for the week's facts (`services.narrative_grammar`), which llama.cpp's servers
# enforce as a grammar: sentences that must name a fact and cannot type a digit.
TIERS = ("json_schema", "json_object_schema", "json_object", "text")
FORMAT_REFUSALS = (400, 422, 500)  # statuses a server refuses a format with (llama-cpp-python: 500)


class FormatMemory:
    """The first format worth trying on each server, keyed by (base URL, model): a refusal moves
    it down for the rest of the process; the first format that answers is logged once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first: dict[tuple[str, str], int] = {}
        self._working: dict[tuple[str, str], str] = {}

    def first_tier(self, key: tuple[str, str]) -> int:
        with self._lock:
            return self._first.get(key, 0)

    def refused(self, key: tuple[str, str], tier: int) -> None:
        with self._lock:
            self._first[key] = max(self._first.get(key, 0), min(tier + 1, len(TIERS) - 1))

    def worked(self, key: tuple[str, str], mode: str) -> bool:
        """Records that `mode` answered; True the first time it does for this server."""
        with self._lock:
            if self._working.get(key) == mode:
                return False
            self._working[key] = mode
            return True

    def working(self, key: tuple[str, str]) -> str | None:
        with self._lock:
            return self._working.get(key)


FORMATS = FormatMemory()  # one per process: every narrator of every workspace learns from the others


# What the model sees --------------------------------------------------------------------------


# Second line of defence: whatever reaches a prompt (a fact, a theme, a piece of feedback), no Slack id
# or email leaves us.
_SLACK_MENTION = re.compile(r"<[@#!][^>]*>")
_SLACK_ID = re.compile(r"\b[UWB](?=[A-Z0-9]*\d)[A-Z0-9]{4,}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask(text: str) -> str:
    text = _SLACK_MENTION.sub("[…]", text)
    text = _EMAIL.sub("[…]", text)
    return _SLACK_ID.sub("[…]", text)


def language_of(language: str) -> str:
    return "en" if (language or "").lower().startswith("en") else "es"


def estimate_tokens(text: str) -> int:
    """A rough count (about four characters a token) for servers that report no usage."""
    return math.ceil(len(text) / 4)


# The answer, as it comes back -----------------------------------------------------------------


class Malformed(Exception):
    """The model's answer is not the shape we asked for. `ignored_format`: it is not JSON at all
    although JSON was asked for (the server ignores that format), rather than broken JSON."""

    def __init__(self, message: str, *, ignored_format: bool = False) -> None:
        super().__init__(message)
        self.ignored_format = ignored_format


# A JSON answer some models wrap in a Markdown code fence anyway.
FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


# Asking ---------------------------------------------------------------------------------------


@dataclass
class Trace:
    """What an ask went through: the format of the last answer read, and that answer."""

    mode: str | None = None
    content: str = ""


class ModelFallback(Exception):
    """The model gave nothing usable; `.reason` says why ("timeout", "budget", "malformed", …)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _DeadlinePassed(Exception):
    pass


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class NegotiatedClient:
    """What every use of the model shares: the format negotiation (schema, JSON mode, plain
    text, remembered per server), one total deadline, the single retry, the token budget. The
    narrator and the feedback theme picker (services/llm_themes.py) ask through it."""

    # The sampling temperature sent in a format, by mode; in the others the server's default
    # (OpenAI's reasoning models refuse any other value, so it is never sent unasked).
    temperatures: Mapping[str, float] = {}

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        model: str,
        budget: TokenBudget,
        workspace_id: int,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
        clock: Callable[[], datetime] = utc_now,
        formats: FormatMemory = FORMATS,
    ) -> None:
        self._client = client
        self._formats = formats
        self.model = model
        self._budget = budget
        self._workspace_id = workspace_id
        self.timeout_s = timeout_s
        self.max_output_tokens = max_output_tokens
        self._clock = clock

    def _check_budget(self, messages: list[dict[str, str]]) -> None:
        needed = self.max_output_tokens + estimate_tokens("".join(m["content"] for m in messages))
        try:
            left = self._budget.remaining(workspace_id=self._workspace_id, now=self._clock())
        except Exception:
            log.exception("could not read the LLM token budget")
            raise ModelFallback("budget_unavailable") from None
        if left < needed:
            raise ModelFallback("budget")

    def _ask(self, build: Callable[[str], list[dict[str, str]]], parse: Callable[[str, str], Any],
             formats: Callable[[str], Mapping[str, Any] | None], *,
             deadline: float, trace: Trace, only: str | None = None) -> Any:  # fmt: skip
        """Structured output, then JSON mode, then plain text (starting where this server last
        answered; only `only` when given); one retry on a transient failure; every try within
        the deadline."""
        key = self.server_key
        tier = self._formats.first_tier(key) if only is None else TIERS.index(only)
        token_parameter = "max_tokens"  # the widest supported; OpenAI's newest models want the other
        retries_left = 1
        min_try_s = min(1.0, 0.1 * self.timeout_s)
        while True:
            left = deadline - time.monotonic()
            if left <= 0.01:
                raise ModelFallback("timeout")
            mode = TIERS[tier]
            messages = build(mode)
            try:
                content = self._call_before(deadline, partial(self._request, messages, formats(mode), token_parameter, left,
                                                              self.temperatures.get(mode)))
            except _DeadlinePassed:
                raise ModelFallback("timeout") from None
            except openai.APIStatusError as error:
                message = _error_text(error)
                if error.status_code in (400, 422) and token_parameter == "max_tokens" and "max_completion_tokens" in message:
                    token_parameter = "max_completion_tokens"
                    continue
                if mode != "text" and error.status_code in FORMAT_REFUSALS and _format_refused(message):
                    if only is not None:
                        raise ModelFallback("format_refused") from None
                    tier = self._step_down(tier, f"HTTP {error.status_code}")
                    continue
                if isinstance(error, openai.InternalServerError) and self._may_retry(retries_left, deadline, min_try_s):
                    retries_left -= 1
                    time.sleep(RETRY_BACKOFF_S)
                    continue
                raise ModelFallback(_status_reason(error)) from None
            except (openai.APITimeoutError, openai.APIConnectionError) as error:
                if self._may_retry(retries_left, deadline, min_try_s):
                    retries_left -= 1
                    time.sleep(RETRY_BACKOFF_S)
                    continue
                raise ModelFallback(_transient_reason(error)) from None
            except openai.OpenAIError:  # an answer the client could not read
                raise ModelFallback("malformed") from None
            trace.mode, trace.content = mode, content
            try:
                draft = parse(content, mode)
            except Malformed as error:
                if error.ignored_format and mode != "text" and only is None:
                    tier = self._step_down(tier, "an answer that is not JSON")
                    continue
                log.info("the LLM's answer was malformed (%s)", error)
                raise ModelFallback("malformed") from None
            if only is None and self._formats.worked(key, mode):
                log.info("the LLM server at %s answers model %s with response_format %s", _safe_url(key[0]), key[1], mode)
            return draft

    def _step_down(self, tier: int, why: str) -> int:
        self._formats.refused(self.server_key, tier)
        log.debug("the LLM server refused response_format %s (%s); trying %s", TIERS[tier], why, TIERS[tier + 1])
        return tier + 1

    @staticmethod
    def _may_retry(retries_left: int, deadline: float, min_try_s: float) -> bool:
        return bool(retries_left) and deadline - time.monotonic() > min_try_s + RETRY_BACKOFF_S

    @property
    def server_key(self) -> tuple[str, str]:
        """What a format is remembered for: the server's base URL and the model."""
        return str(getattr(self._client, "base_url", "") or "").rstrip("/"), self.model

    def _request(self, messages: list[dict[str, str]], format: Mapping[str, Any] | None, token_parameter: str, timeout_s: float,
                 temperature: float | None = None) -> str:  # fmt: skip
        """One HTTP try (runs on a helper thread). Records the tokens the server reports, even
        when the caller has already given up waiting: they were spent."""
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            token_parameter: self.max_output_tokens,
            "timeout": openai.Timeout(timeout_s, connect=min(timeout_s, CONNECT_TIMEOUT_S)),
        }
        if temperature is not None:
            arguments["temperature"] = temperature
        if format is not None:
            arguments["response_format"] = dict(format)
        response = self._client.chat.completions.create(**arguments)
        # A proxy's HTML page comes back as a str, a body without choices as a bare model.
        choices = getattr(response, "choices", None)
        message = getattr(choices[0], "message", None) if isinstance(choices, list) and choices else None
        content = getattr(message, "content", None)
        content = content if isinstance(content, str) else ""
        if isinstance(choices, list):  # a completion: tokens were spent, whatever it says
            self._record(response, messages, content)
        if not content.strip():
            if getattr(message, "refusal", None):
                raise ModelFallback("refused")
            raise Malformed("no answer in the response")
        return content

    def _record(self, response: Any, messages: list[dict[str, str]], content: str) -> None:
        usage = getattr(response, "usage", None)
        tokens = getattr(usage, "total_tokens", None)
        if not isinstance(tokens, int) or tokens <= 0:
            tokens = estimate_tokens("".join(m["content"] for m in messages)) + estimate_tokens(content)
        try:
            self._budget.record(workspace_id=self._workspace_id, tokens=tokens, now=self._clock())
        except Exception:
            log.exception("could not record %d LLM tokens", tokens)

    @staticmethod
    def _call_before(deadline: float, call: Callable[[], str]) -> str:
        outcome: dict[str, Any] = {}
        finished = threading.Event()

        def run() -> None:
            try:
                outcome["value"] = call()
            except BaseException as error:  # handed to the caller, never left unhandled on the thread
                outcome["error"] = error
            finally:
                finished.set()

        threading.Thread(target=run, name="alinea-llm-call", daemon=True).start()
        if not finished.wait(max(0.0, deadline - time.monotonic())):
            raise _DeadlinePassed()
        if "error" in outcome:
            error = outcome["error"]
            if isinstance(error, Malformed):
                log.info("the LLM's answer was malformed (%s)", error)
                raise ModelFallback("malformed") from None
            raise error
        return outcome["value"]


def _error_text(error: openai.APIStatusError) -> str:
    parts = [str(error.message or "")]
    body = error.body
    if isinstance(body, Mapping):
        parts.append(json.dumps(body, default=str))
    elif body is not None:
        parts.append(str(body))
    return " ".join(parts).lower()


def _format_refused(message: str) -> bool:
    """An error about `response_format` (the server lacks JSON schema or JSON mode)."""
    return any(word in message for word in ("response_format", "json_schema", "json_object", "structured output", "grammar"))


def _status_reason(error: openai.APIStatusError) -> str:
    if isinstance(error, openai.RateLimitError):
        return "rate_limited"
    if isinstance(error, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return "auth"
    if isinstance(error, openai.NotFoundError):
        return "not_found"
    return "server_error" if error.status_code >= 500 else "bad_request"


def _safe_url(url: str) -> str:
    """A base URL for the log: no user or password in it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _transient_reason(error: Exception) -> str:
    return "timeout" if isinstance(error, openai.APITimeoutError) else "connection"

