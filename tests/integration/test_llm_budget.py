"""The LLM narrator's monthly token budget on real SQLite and PostgreSQL: tokens add up per
workspace and month, concurrent narrators never lose an increment, and an exhausted budget
sends the narrative to the offline narrator without calling the model's server."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import openai
import pytest
from sqlalchemy import select

from db.models import LlmUsage
from domain.narrative import Fact, FactKind, Narrative, Source
from services import llm_budget, workspaces
from services.llm_budget import DatabaseBudget
from services.llm_narrator import LlmNarrator
from services.workspaces import WorkspaceDefaults
from tests.support.openai_double import COMPLETION_TOKENS, PROMPT_TOKENS, OpenAIDouble

MARCH = datetime(2026, 3, 16, 12, 0, tzinfo=timezone.utc)
APRIL = datetime(2026, 4, 1, 0, 30, tzinfo=timezone.utc)
FACTS = (
    Fact("kpi.sales_cop.2026-W11", FactKind.KPI_CHANGE, "Ventas", {"value": Decimal("41000000"), "previous": Decimal("45000000")}, "COP"),
    Fact("kpi.conversion_web.2026-W11", FactKind.KPI_CHANGE, "Conversión web", {"value": Decimal("1.2")}, "%"),
)


def make_workspace(session_factory, slack_team_id: str = "T0BUDGET") -> int:
    with session_factory.begin() as session:
        return workspaces.ensure_workspace(
            session, slack_team_id=slack_team_id, defaults=WorkspaceDefaults("es", "America/Bogota"), now=MARCH
        ).id


class Offline:
    def __init__(self) -> None:
        self.calls = 0

    def narrate(self, facts, *, language, country):
        self.calls += 1
        return Narrative(summary=("Resumen sin IA.",), hypotheses=(), source=Source.OFFLINE)


def test_month_keys_are_utc_calendar_months():
    assert llm_budget.month_key(MARCH) == "2026-03"
    # The last evening of March in Bogotá is already April in UTC: budgets follow UTC.
    assert llm_budget.month_key(datetime(2026, 3, 31, 20, 0, tzinfo=ZoneInfo("America/Bogota"))) == "2026-04"
    assert llm_budget.month_key(datetime(2026, 4, 1, 0, 0, tzinfo=timezone.utc)) == "2026-04"
    with pytest.raises(ValueError):
        llm_budget.month_key(datetime(2026, 3, 1))


def test_tokens_add_up_per_workspace_and_month(session_factory):
    first, second = make_workspace(session_factory, "T0ONE"), make_workspace(session_factory, "T0TWO")
    with session_factory.begin() as session:
        assert llm_budget.remaining(session, workspace_id=first, month="2026-03", limit=1000) == 1000
        llm_budget.record(session, workspace_id=first, month="2026-03", tokens=300, now=MARCH)
        llm_budget.record(session, workspace_id=first, month="2026-03", tokens=250, now=MARCH)
        llm_budget.record(session, workspace_id=second, month="2026-03", tokens=900, now=MARCH)
        llm_budget.record(session, workspace_id=first, month="2026-04", tokens=10, now=APRIL)
    with session_factory() as session:
        assert llm_budget.remaining(session, workspace_id=first, month="2026-03", limit=1000) == 450
        assert llm_budget.remaining(session, workspace_id=second, month="2026-03", limit=1000) == 100
        assert llm_budget.remaining(session, workspace_id=first, month="2026-04", limit=1000) == 990
        # Overshooting (a call's output cap at most) never reports a negative budget.
        assert llm_budget.remaining(session, workspace_id=second, month="2026-03", limit=500) == 0
        row = session.scalars(select(LlmUsage).where(LlmUsage.workspace_id == first, LlmUsage.month == "2026-03")).one()
        assert (row.tokens, row.requests, row.updated_at) == (550, 2, MARCH)


def test_database_budget_uses_its_own_short_transactions(session_factory):
    workspace_id = make_workspace(session_factory)
    budget = DatabaseBudget(session_factory, limit=5000)
    assert budget.remaining(workspace_id=workspace_id, now=MARCH) == 5000
    budget.record(workspace_id=workspace_id, tokens=1200, now=MARCH)
    assert budget.remaining(workspace_id=workspace_id, now=MARCH) == 3800
    assert budget.remaining(workspace_id=workspace_id, now=APRIL) == 5000  # a new month starts afresh


def test_concurrent_records_never_lose_an_increment(session_factory):
    workspace_id = make_workspace(session_factory)
    budget = DatabaseBudget(session_factory, limit=10**9)
    threads, per_thread, errors = 8, 5, []
    start = threading.Barrier(threads)

    def narrator(index: int) -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                budget.record(workspace_id=workspace_id, tokens=index + 1, now=MARCH)
        except Exception as error:  # reported below, not lost on the thread
            errors.append(error)

    workers = [threading.Thread(target=narrator, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    with session_factory() as session:
        row = session.scalars(select(LlmUsage).where(LlmUsage.workspace_id == workspace_id)).one()
    assert row.requests == threads * per_thread
    assert row.tokens == per_thread * sum(range(1, threads + 1))


def test_an_exhausted_budget_falls_back_without_calling_the_server(session_factory):
    workspace_id = make_workspace(session_factory)
    budget = DatabaseBudget(session_factory, limit=2000)
    budget.record(workspace_id=workspace_id, tokens=1950, now=MARCH)  # 50 left: less than one answer
    offline = Offline()
    with OpenAIDouble("good") as double:
        client = openai.OpenAI(api_key="not-needed", base_url=double.base_url, max_retries=0)
        narrator = LlmNarrator(
            client, model="double-model", fallback=offline, budget=budget, workspace_id=workspace_id,
            timeout_s=1.0, clock=lambda: MARCH,
        )  # fmt: skip
        narrative = narrator.narrate(FACTS, language="es", country="CO")
        client.close()
    assert double.requests == []
    assert (narrative.source, narrative.fallback_reason, offline.calls) == (Source.OFFLINE, "budget", 1)
    assert budget.remaining(workspace_id=workspace_id, now=MARCH) == 50


def test_a_call_records_the_tokens_the_server_reported(session_factory):
    workspace_id = make_workspace(session_factory)
    budget = DatabaseBudget(session_factory, limit=100_000)
    with OpenAIDouble("malformed") as double:  # tokens spent on a useless answer still count
        client = openai.OpenAI(api_key="not-needed", base_url=double.base_url, max_retries=0)
        narrator = LlmNarrator(
            client, model="double-model", fallback=Offline(), budget=budget, workspace_id=workspace_id,
            timeout_s=1.0, clock=lambda: MARCH,
        )  # fmt: skip
        narrative = narrator.narrate(FACTS, language="es", country="CO")
        client.close()
    assert narrative.fallback_reason == "malformed" and len(double.requests) == 1
    assert budget.remaining(workspace_id=workspace_id, now=MARCH) == 100_000 - (PROMPT_TOKENS + COMPLETION_TOKENS)


def test_a_budget_that_cannot_be_read_falls_back():
    class Broken:
        def remaining(self, *, workspace_id, now):
            raise RuntimeError("database is down")

        def record(self, *, workspace_id, tokens, now):
            raise AssertionError("no call was made")

    with OpenAIDouble("good") as double:
        client = openai.OpenAI(api_key="not-needed", base_url=double.base_url, max_retries=0)
        narrator = LlmNarrator(client, model="m", fallback=Offline(), budget=Broken(), workspace_id=1, timeout_s=1.0)
        narrative = narrator.narrate(FACTS, language="es", country="CO")
        client.close()
    assert narrative.fallback_reason == "budget_unavailable" and double.requests == []


def test_the_monthly_limit_is_a_setting():
    from bot.config import ConfigError, load_settings

    assert load_settings({}).llm_monthly_tokens == llm_budget.DEFAULT_MONTHLY_TOKENS == 200_000
    assert load_settings({"ALINEA_LLM_MONTHLY_TOKENS": "50000"}).llm_monthly_tokens == 50_000
    for bad in ("0", "-5", "lots", "1e6"):
        with pytest.raises(ConfigError, match="ALINEA_LLM_MONTHLY_TOKENS"):
            load_settings({"ALINEA_LLM_MONTHLY_TOKENS": bad})
