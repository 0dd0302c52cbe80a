"""Feedback sent to the ingest API with a model configured, both databases: the API answers with
the words' themes stored, then the model's pick refines the new items on the work queue; items
already stored are not asked about again, and a server error keeps the words' themes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import FeedbackItem
from tests.slack.test_feedback_api import send
from tests.slack.test_ingest_api import bot, clock, set_up_team  # noqa: F401 (fixtures)
from tests.slack.test_insights import llm, settings  # noqa: F401 (fixtures: a model on the OpenAI double)
from tests.support.fuzz_harness import wait_until_idle

BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
ITEMS = [
    {"id": "tf-1", "text": "Llegó rápido, muy bien", "score": 9},
    {"id": "tf-2", "text": "Muy caro el envío, llamen al 3001234567", "score": 5},
]




def themes_from(bot) -> list[str]:
    with bot.runtime.session_factory() as session:
        return list(session.scalars(select(FeedbackItem.themes_from).order_by(FeedbackItem.number)))


@BOTH_DATABASES
def test_the_models_themes_follow_the_apis_answer(bot, llm):
    token = set_up_team(bot)
    llm.content = json.dumps({"themes": ["price"]})
    assert send(bot, token, ITEMS).body == {"recorded": 2, "unchanged": 0}
    assert wait_until_idle(bot)
    assert themes_from(bot) == ["model", "model"]
    sent = " ".join(json.dumps(request, ensure_ascii=False) for request in llm.requests)
    assert len(llm.requests) == 2 and "Muy caro el envío, llamen al [phone]" in sent and "3001234567" not in sent
    assert send(bot, token, ITEMS).body == {"recorded": 0, "unchanged": 2}
    assert wait_until_idle(bot)
    assert len(llm.requests) == 2  # nothing new: nothing asked


@pytest.mark.parametrize("llm", ["error500"], indirect=True)
@BOTH_DATABASES
def test_a_server_error_keeps_the_words_themes(bot, llm):
    token = set_up_team(bot)
    assert send(bot, token, ITEMS[1:]).status == 200
    assert wait_until_idle(bot)
    assert themes_from(bot) == ["words"] and len(llm.requests) == 2
