"""Every Prometheus metric Alinea exports, defined here and nowhere else; served at `GET /metrics`.

The registry is ours (not prometheus_client's global default, which libraries may also write
to) and it is module-level, one per process, like the process it describes: Prometheus scrapes
a process, and one `alinea serve` runs one app. Module-level also means the places that count,
many of them deep in background work (the notifier's retries, the agenda poster, the LLM
narrator), call a function here instead of having a metrics object threaded through every
constructor.

Tests stay independent by reading differences, never absolute values: `sample()` before and
after what the test does (a test runs alone in the process, and LoopbackBot drains its work
queue before it returns, so nothing of an earlier test is still counting).

Labels are bounded: subcommands are the canonical names of commands/registry.py's table or
"unknown", outcomes and kinds are fixed sets, and any other label value a caller passes
(Slack method and error codes, agenda kinds, LLM sources and fallback reasons) must look like
an identifier (`[A-Za-z0-9_.:-]`, at most 64 characters) or it is counted as "other". Nothing a
person typed ever becomes a label.
"""

from __future__ import annotations

import re
from typing import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

REGISTRY = CollectorRegistry(auto_describe=True)
# The same process, platform and garbage-collector figures the default registry would carry.
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

CONTENT_TYPE = CONTENT_TYPE_LATEST

ACK_KINDS = ("slash-command", "action", "view", "event", "other")
OUTCOMES = ("ok", "user_error", "failed", "busy")
UNKNOWN_SUBCOMMAND = "unknown"
OTHER = "other"
_LABEL = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

ACK_SECONDS = Histogram(
    "alinea_ack_seconds",
    "Seconds from receiving a Slack request to its ack response, by kind of request.",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
    registry=REGISTRY,
)
COMMANDS = Counter(
    "alinea_commands",
    "Slash subcommands answered, by canonical subcommand and outcome (ok, user_error, failed, busy).",
    ["subcommand", "outcome"],
    registry=REGISTRY,
)
AGENDAS = Counter(
    "alinea_agendas",
    "Agendas posted or failed, by kind (weekly, monthly…) and status.",
    ["kind", "status"],
    registry=REGISTRY,
)
SLACK_API_ERRORS = Counter(
    "alinea_slack_api_errors",
    "Slack Web API calls that failed after any retries, by method and error code.",
    ["method", "error"],
    registry=REGISTRY,
)
SLACK_API_RETRIES = Counter(
    "alinea_slack_api_retries",
    "Slack Web API calls tried again by slack_sdk, by method and reason.",
    ["method", "reason"],
    registry=REGISTRY,
)
LLM_SECONDS = Histogram(
    "alinea_llm_seconds",
    "Seconds a narrative took, by source (the model, or the offline narrator).",
    ["source"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0),
    registry=REGISTRY,
)
LLM_FALLBACKS = Counter(
    "alinea_llm_fallbacks",
    "Narratives that fell back to the offline narrator, by reason.",
    ["reason"],
    registry=REGISTRY,
)


def label(value: str | None) -> str:
    """`value` when it looks like an identifier, else "other": labels never carry free text."""
    return value if value and _LABEL.match(value) else OTHER


def prepare_commands(subcommands: Iterable[str]) -> None:
    """Create every (subcommand, outcome) series at 0, so rates exist before the first use."""
    for name in (*subcommands, UNKNOWN_SUBCOMMAND):
        for outcome in OUTCOMES:
            COMMANDS.labels(subcommand=label(name), outcome=outcome)
    for kind in ACK_KINDS:
        ACK_SECONDS.labels(kind=kind)


def ack(kind: str, seconds: float) -> None:
    ACK_SECONDS.labels(kind=kind if kind in ACK_KINDS else OTHER).observe(max(seconds, 0.0))


def command(subcommand: str, outcome: str) -> None:
    """`subcommand` is a canonical name (commands/registry.py's SUBCOMMANDS) or "unknown"."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {OUTCOMES}")
    COMMANDS.labels(subcommand=label(subcommand), outcome=outcome).inc()


def agenda_outcome(kind: str, status: str) -> None:
    """One agenda posted (`status` e.g. "posted") or not (e.g. "failed"), of `kind` (e.g. "weekly")."""
    AGENDAS.labels(kind=label(kind), status=label(status)).inc()


def llm_call(seconds: float, source: str, fallback_reason: str | None) -> None:
    """One narrative: how long it took and who wrote it (`source`, e.g. "llm" or "offline");
    `fallback_reason` (e.g. "timeout", "budget", "ungrounded") when the offline narrator stood in."""
    LLM_SECONDS.labels(source=label(source)).observe(max(seconds, 0.0))
    if fallback_reason is not None:
        LLM_FALLBACKS.labels(reason=label(fallback_reason)).inc()


def slack_api_error(method: str, error: str) -> None:
    SLACK_API_ERRORS.labels(method=label(method), error=label(error)).inc()


def slack_api_retry(method: str, reason: str) -> None:
    SLACK_API_RETRIES.labels(method=label(method), reason=label(reason)).inc()


def exposition() -> bytes:
    """The registry in Prometheus's text format (what `GET /metrics` answers)."""
    return generate_latest(REGISTRY)


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    """The current value of one series (0 when it does not exist yet); for tests and checks.
    Counters are read by their exposed name (`alinea_commands_total`), histograms by
    `_count` or `_sum`."""
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0
