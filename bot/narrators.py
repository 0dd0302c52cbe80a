"""Who puts a workspace's facts into words: the model's narrator and theme picker, or the
offline ones. Built once by the composition root (bot/bootstrap.py) from the settings.

One `openai` client serves the whole process (it pools connections and is safe across
threads); it is made on first use, so a process that never narrates never opens one. The
services take plain values (client, model, timeout, budget), never the settings.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

import openai
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.config import Settings
from domain.narrative import Narrative, Narrator
from services.llm_budget import DatabaseBudget
from services.llm_client import CONNECT_TIMEOUT_S
from services.llm_narrator import OPENAI_BASE_URL, PLACEHOLDER_API_KEY, LlmNarrator
from services.llm_themes import ThemePicker
from services.offline_narrator import OfflineNarrator


@dataclass(frozen=True)
class ModelServer:
    """The OpenAI-compatible server Alinea talks to, as plain values."""

    model: str
    base_url: str
    api_key: str
    timeout_s: float
    monthly_tokens: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelServer | None:
        """None when no model is configured (or the operator switched the LLM off)."""
        if not settings.llm_enabled or not settings.llm_model:
            return None
        return cls(
            model=settings.llm_model,
            base_url=settings.openai_base_url or OPENAI_BASE_URL,
            api_key=settings.openai_api_key or PLACEHOLDER_API_KEY,
            timeout_s=settings.llm_timeout_s,
            monthly_tokens=settings.llm_monthly_tokens,
        )

    def open_client(self) -> openai.OpenAI:
        """`max_retries=0`: the narrator makes the single retry itself, inside the total timeout."""
        return openai.OpenAI(
            api_key=self.api_key,
            base_url=self.base_url,
            max_retries=0,
            timeout=openai.Timeout(self.timeout_s, connect=min(self.timeout_s, CONNECT_TIMEOUT_S)),
        )


class TimedNarrator:
    """A narrator whose every narration is timed and counted (`alinea_llm_seconds`,
    `alinea_llm_fallbacks_total`): a stored narrative reused is not a narration."""

    def __init__(self, narrator: Narrator):
        self._narrator = narrator
        self.source = narrator.source

    def narrate(self, facts, *, language: str, country: str | None) -> Narrative:
        started = time.perf_counter()
        narrative = self._narrator.narrate(facts, language=language, country=country)
        metrics.llm_call(time.perf_counter() - started, narrative.source.value, narrative.fallback_reason)
        return narrative


def offline_narrator() -> TimedNarrator:
    return TimedNarrator(OfflineNarrator())


class Narrators:
    """Per workspace: the narrator of its agendas and the picker of its feedback's themes."""

    def __init__(self, server: ModelServer | None, session_factory: sessionmaker[Session], *, clock: Callable[[], datetime]):
        self.server = server
        self._session_factory = session_factory
        self._clock = clock
        self._client: openai.OpenAI | None = None
        self._client_lock = threading.Lock()

    def narrator(self, workspace_id: int, *, team_allows: bool = True) -> TimedNarrator:
        """The model's narrator (falling back to the offline one on any failure) when a model is
        configured and the team has not switched it off; else the offline narrator."""
        if self.server is None or not team_allows:
            return offline_narrator()
        return TimedNarrator(LlmNarrator(self.client(), model=self.server.model, fallback=OfflineNarrator(), **self._metered(workspace_id)))

    def theme_picker(self, workspace_id: int) -> ThemePicker | None:
        """The model's pick of feedback themes, or None: the words' themes stand."""
        if self.server is None:
            return None
        return ThemePicker(self.client(), model=self.server.model, **self._metered(workspace_id))

    def client(self) -> openai.OpenAI:
        assert self.server is not None, "no model server configured"
        with self._client_lock:
            if self._client is None:
                self._client = self.server.open_client()
            return self._client

    def close(self) -> None:
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _metered(self, workspace_id: int) -> dict:
        assert self.server is not None
        return {
            "budget": DatabaseBudget(self._session_factory, limit=self.server.monthly_tokens),
            "workspace_id": workspace_id,
            "timeout_s": self.server.timeout_s,
            "clock": self._clock,
        }


@contextmanager
def unmetered_narrator(server: ModelServer) -> Iterator[LlmNarrator]:
    """For `alinea llm check` and bench/real_llm.py: a narrator that spends no workspace's budget."""
    from services.llm_check import UnlimitedBudget

    client = server.open_client()
    try:
        yield LlmNarrator(client, model=server.model, fallback=OfflineNarrator(), budget=UnlimitedBudget(), workspace_id=0,
                          timeout_s=server.timeout_s)  # fmt: skip
    finally:
        client.close()
