"""The composition root's narrators (bot/narrators.py): the model's narrator and theme picker
built from the settings with the real `openai` client against the loopback OpenAI double, the
offline ones when no model is set, and one client for the whole process."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.narrators import ModelServer, Narrators, unmetered_narrator
from db.models import LlmUsage
from domain.narrative import Source
from services import workspaces
from services.workspaces import WorkspaceDefaults
from tests.integration.test_llm_narrator import FACTS
from tests.support.openai_double import COMPLETION_TOKENS, PROMPT_TOKENS, OpenAIDouble

NOW = datetime(2026, 3, 16, 12, 0, tzinfo=timezone.utc)
NOT_A_DATABASE = object()  # no database is touched when the LLM is off


def test_without_a_model_every_narrator_is_the_offline_one_and_no_theme_picker_exists():
    narrators = Narrators(ModelServer.from_settings(Settings()), NOT_A_DATABASE, clock=lambda: NOW)
    narrative = narrators.narrator(1).narrate(FACTS, language="es", country="CO")
    assert (narrators.server, narrative.source) == (None, Source.OFFLINE)
    assert narrators.theme_picker(1) is None


def test_the_model_server_takes_its_values_from_the_settings():
    assert ModelServer.from_settings(Settings(llm_model="llama3.1:8b")) == ModelServer(
        model="llama3.1:8b", base_url="https://api.openai.com/v1", api_key="not-needed", timeout_s=20.0, monthly_tokens=200_000,
    )  # fmt: skip
    with OpenAIDouble("good") as double:
        server = ModelServer.from_settings(Settings(llm_model="m", openai_base_url=double.base_url, openai_api_key="sk-x", llm_timeout_s=1.5))
        client = server.open_client()
        assert (client.max_retries, client.api_key, str(client.base_url), client.timeout.read) == (0, "sk-x", double.base_url + "/", 1.5)
        client.close()


def test_a_team_that_switched_the_model_off_gets_the_offline_narrator_even_with_a_model():
    narrators = Narrators(ModelServer.from_settings(Settings(llm_model="m")), NOT_A_DATABASE, clock=lambda: NOW)
    assert narrators.narrator(1, team_allows=False).source is Source.OFFLINE


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_each_workspace_narrator_spends_its_own_budget_through_one_shared_client(session_factory):
    with session_factory.begin() as session:
        ids = [workspaces.ensure_workspace(session, slack_team_id=team, defaults=WorkspaceDefaults("es", "America/Bogota"), now=NOW).id
               for team in ("T0ONE", "T0TWO")]  # fmt: skip
    with OpenAIDouble("good") as double:
        settings = Settings(llm_model="llama3.1:8b", openai_base_url=double.base_url, llm_monthly_tokens=50_000, llm_timeout_s=2.0)
        narrators = Narrators(ModelServer.from_settings(settings), session_factory, clock=lambda: NOW)
        narratives = [narrators.narrator(workspace_id).narrate(FACTS, language="es", country="CO") for workspace_id in ids]
        shared = narrators.client()
        assert narrators.theme_picker(ids[0])._client is shared
        narrators.close()
    assert [(narrative.source, narrative.model) for narrative in narratives] == [(Source.LLM, "llama3.1:8b")] * 2
    with session_factory() as session:
        usage = session.execute(select(LlmUsage.workspace_id, LlmUsage.month, LlmUsage.tokens)).all()
    assert sorted(usage) == sorted((workspace_id, "2026-03", PROMPT_TOKENS + COMPLETION_TOKENS) for workspace_id in ids)


def test_the_check_narrator_spends_no_workspace_budget():
    with OpenAIDouble("good") as double:
        server = ModelServer.from_settings(Settings(llm_model="m", openai_base_url=double.base_url, llm_timeout_s=2.0))
        with unmetered_narrator(server) as narrator:
            narrative = narrator.narrate(FACTS, language="es", country="CO")
    assert narrative.source is Source.LLM
