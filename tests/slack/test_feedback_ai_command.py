"""`/alinea feedback` with a model configured, through the signed endpoint (and Socket Mode), the
Slack double and the real `openai` client against the OpenAI double, both databases: the answer
shows the words' themes at once, then the model's pick from the team's list replaces them; the
model sees the cleaned text only."""

from __future__ import annotations

import json

import pytest

from db.models import FeedbackItem
from tests.slack.test_agenda_commands import PEDRO, TEAM, bot, clock, command, stored  # noqa: F401
from tests.slack.test_feedback_commands import tag_names
from tests.slack.test_insights import llm, settings  # noqa: F401 (fixtures: a model on the OpenAI double)
from tests.support.fuzz_harness import wait_until_idle

BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
pytestmark = TEAM  # the agenda command tests' team




@pytest.mark.both_transports
@BOTH_DATABASES
def test_the_model_refines_a_commands_themes_after_the_answer(bot, team, llm):
    llm.content = json.dumps({"themes": ["price", "not_a_theme"]})
    said = command(bot, "feedback El pedido no ha llegado, escríbanme a ana@x.co o al 300 123 4567 fuente whatsapp", user_id=PEDRO)
    assert "Comentario F1 guardado" in said and "temas: Entrega" in said  # the words' themes, answered at once
    assert wait_until_idle(bot)
    assert tag_names(bot) == {1: ["price"]}
    [item] = stored(bot, FeedbackItem)
    assert item.themes_from == "model"
    [request] = llm.requests
    sent = json.dumps(request, ensure_ascii=False)
    assert "El pedido no ha llegado, escríbanme a [email] o al [phone]" in sent
    for secret in ("ana@x.co", "300 123 4567", "3001234567", PEDRO):
        assert secret not in sent
