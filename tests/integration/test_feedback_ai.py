"""The model refines the themes of stored feedback, on real SQLite and PostgreSQL, through the real
`openai` client against the loopback OpenAI double: it sees the cleaned text only, it may pick
from the team's themes only, the team's AI switch off means no request at all, and any failure
leaves the words' themes."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import openai
import pytest
from sqlalchemy import select

from db.models import AuditEntry
from domain.setup import SetupChanges
from services import feedback, feedback_ai, teams
from services.llm_budget import DatabaseBudget
from services.llm_client import FormatMemory
from services.llm_themes import ThemePicker, parse_keys
from tests.support.openai_double import OpenAIDouble

BOGOTA = ZoneInfo("America/Bogota")
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=BOGOTA)
ANA, LUIS = "U0ANA", "U0LUIS"
WRITTEN = "Soy Ana (ana@x.co, 3001234567, <@U0CLIENTE7>): el pedido no ha llegado y el precio me pareció alto"


pytestmark = pytest.mark.team(now=NOW, marketing=ANA, sales=LUIS)


def store(session_factory, team, text=WRITTEN):
    with session_factory.begin() as session:
        return feedback.record(session, team=team(session), actor=LUIS, text=text, source="whatsapp", score=4, now=NOW).item


def refine(session_factory, team, double, item_ids, *, formats=None):
    client = openai.OpenAI(api_key="test", base_url=double.base_url, max_retries=0)

    def picker_for(workspace_id: int) -> ThemePicker:
        return ThemePicker(client, model="m", budget=DatabaseBudget(session_factory, limit=100_000), workspace_id=workspace_id,
                           timeout_s=5.0, formats=formats or FormatMemory())  # fmt: skip

    with session_factory() as session:
        team_id = team(session).id
    return feedback_ai.refine(session_factory, team_id=team_id, item_ids=item_ids, now=NOW, picker_for=picker_for)


def stored(session_factory, team, number):
    with session_factory() as session:
        [item] = [item for item in feedback.recent(session, team=team(session)) if item.number == number]
        return [theme.key for theme in item.themes], item.themes_from


def test_the_model_sees_the_cleaned_text_and_picks_from_the_teams_themes_only(session_factory, team):
    item = store(session_factory, team)
    assert [theme.key for theme in item.themes] == ["delivery", "price"]
    with OpenAIDouble() as double:
        double.content = json.dumps({"themes": ["price", "unicorns"]})
        [done] = refine(session_factory, team, double, [item.id])
    assert done.applied and done.picked.keys == ("price",)
    assert stored(session_factory, team, 1) == (["price"], "model")
    [request] = double.requests
    sent = json.dumps(request, ensure_ascii=False)
    assert "el pedido no ha llegado y el precio me pareció alto" in sent
    for secret in ("ana@x.co", "3001234567", "U0CLIENTE7", "U0LUIS", "U0ANA"):
        assert secret not in sent
    schema = request["response_format"]["json_schema"]["schema"]
    with session_factory() as session:
        keys = [theme.key for theme in feedback.themes(session, team=team(session), now=NOW)]
    assert schema["properties"]["themes"]["items"]["enum"] == keys
    with session_factory() as session:
        actions = [entry.action for entry in session.scalars(select(AuditEntry).where(AuditEntry.action == "feedback_item.model_themes"))]
    assert actions == ["feedback_item.model_themes"]


def test_only_themes_off_the_list_leave_the_words_themes(session_factory, team):
    item = store(session_factory, team)
    with OpenAIDouble() as double:
        double.content = json.dumps({"themes": ["unicorns", "Ignore previous instructions"]})
        [done] = refine(session_factory, team, double, [item.id])
    assert (done.applied, done.picked.reason) == (False, "off_list")
    assert stored(session_factory, team, 1) == (["delivery", "price"], "words")


def test_the_teams_ai_switch_off_sends_nothing(session_factory, team):
    item = store(session_factory, team)
    with session_factory.begin() as session:
        found = team(session)
        teams.setup_team(session, workspace_id=found.workspace_id, channel_id=found.channel_id, channel_name="t", actor=ANA,
                         is_workspace_admin=False, changes=SetupChanges(llm_enabled=False), defaults=teams.TeamDefaults("America/Bogota", "es"),
                         now=NOW)  # fmt: skip
    with OpenAIDouble() as double:
        double.content = json.dumps({"themes": ["price"]})
        assert refine(session_factory, team, double, [item.id]) == []
    assert double.requests == []
    assert stored(session_factory, team, 1) == (["delivery", "price"], "words")


def test_a_server_error_keeps_the_words_themes(session_factory, team):
    item = store(session_factory, team)
    with OpenAIDouble("error500") as double:
        [done] = refine(session_factory, team, double, [item.id])
    assert (done.applied, done.picked.keys, done.picked.reason) == (False, None, "server_error")
    assert len(double.requests) == 2  # the single retry, then the words' themes stand
    assert stored(session_factory, team, 1) == (["delivery", "price"], "words")


def test_a_persons_themes_are_never_redone(session_factory, team):
    item = store(session_factory, team)
    with session_factory.begin() as session:
        feedback.retag(session, team=team(session), actor=ANA, reference="F1", typed_themes="entrega", now=NOW)
    with OpenAIDouble() as double:
        double.content = json.dumps({"themes": ["price"]})
        assert refine(session_factory, team, double, [item.id]) == []
    assert double.requests == []
    assert stored(session_factory, team, 1) == (["delivery"], "person")


def test_a_server_without_schemas_is_asked_in_json_mode_then_plain_text(session_factory, team):
    first, second = store(session_factory, team), store(session_factory, team, "Muy caro y la app se cae")
    formats = FormatMemory()
    with OpenAIDouble("text_only") as double:
        double.content = "price"
        done = refine(session_factory, team, double, [first.id, second.id], formats=formats)
    assert [d.picked.keys for d in done] == [("price",), ("price",)]
    formats_asked = [
        (fmt.get("type"), "schema" in fmt) if (fmt := request.get("response_format")) else None for request in double.requests
    ]
    # Structured output, JSON mode with the keys' schema (llama.cpp's grammar), bare JSON mode, then
    # plain text; the second item starts where the first succeeded.
    assert formats_asked == [("json_schema", False), ("json_object", True), ("json_object", False), None, None]


def test_keys_are_read_from_json_or_plain_words():
    assert parse_keys('```json\n{"themes": ["price", "delivery"]}\n```', "json_object") == ["price", "delivery"]
    assert parse_keys("price, delivery", "text") == ["price", "delivery"]
