"""`POST /api/v1/teams/{team}/feedback` through real HTTP on SQLite and PostgreSQL: a batch stored
with personal data removed, sent again without effect, refused whole for one bad item, its
scores counted as KPIs; and openapi.yaml agreeing with it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import yaml
from sqlalchemy import select

from db.models import FeedbackItem
from domain.periods import Period
from services import feedback_ingest, kpis
from tests.slack.test_ingest_api import FEEDBACK_PATH, ROOT, bot, call, clock, set_up_team, team_of  # noqa: F401 (fixtures)

BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def send(bot, token, items, team="C0TEAM"):
    return call(bot.url, token=token, path=FEEDBACK_PATH.format(team=team), body={"items": items})


def stored(bot) -> list[FeedbackItem]:
    with bot.runtime.session_factory() as session:
        return list(session.scalars(select(FeedbackItem).order_by(FeedbackItem.number)))


ITEMS = [
    {"id": "tf-1", "text": "Llegó rápido, muy bien", "score": 9, "source": "encuesta", "received_at": "2026-01-12T10:00:00-05:00"},
    {"id": "tf-2", "text": "Muy caro el envío, llamen al 3001234567", "score": 5, "source": "survey"},
    {"id": "wa-77", "text": "Nadie responde, escríbanme a ana@correo.co", "source": "whatsapp"},
]


@BOTH_DATABASES
def test_a_batch_is_stored_once_without_personal_data_and_counted(bot):
    token = set_up_team(bot)
    first = send(bot, token, ITEMS)
    assert (first.status, first.body) == (200, {"recorded": 3, "unchanged": 0})
    again = send(bot, token, ITEMS)
    assert (again.status, again.body) == (200, {"recorded": 0, "unchanged": 3})
    rows = stored(bot)
    assert [(row.external_id, row.source, row.score) for row in rows] == [("tf-1", "survey", 9), ("tf-2", "survey", 5), ("wa-77", "whatsapp", None)]
    assert rows[1].text == "Muy caro el envío, llamen al [phone]" and rows[2].text == "Nadie responde, escríbanme a [email]"
    assert rows[2].removed == {"email": 1} and rows[0].added_by.startswith("api:")
    with bot.runtime.session_factory() as session:
        week = [Period.iso_week(2026, 3)]  # 12-18 January, Bogotá
        nps = kpis.series(session, team=team_of(session, bot), key="nps", periods=week)[0].value
    assert nps == Decimal("0.0")  # one promoter (9), one detractor (5)


@BOTH_DATABASES
def test_one_bad_item_refuses_the_whole_batch(bot):
    token = set_up_team(bot)
    answer = send(bot, token, [ITEMS[0], {"id": "x", "text": "ok", "score": 11}, {"id": "tf-1", "text": "otra"},
                               {"id": "y", "text": "ana@x.co"}, {"text": "sin id"}, {"id": "z", "text": "bien", "received_at": "2027-01-01T00:00:00Z"}])
    assert answer.status == 422 and answer.body["error"] == "invalid_items"
    assert [(row["index"], row["error"]) for row in answer.body["items"]] == [
        (1, "invalid_score"), (2, "duplicate_id"), (3, "only_personal_data"), (4, "invalid_id"), (5, "received_at_in_future")]
    assert stored(bot) == []
    assert send(bot, token, []).status == 400
    assert send(bot, "aln_" + "x" * 43, ITEMS).status == 401


def test_the_openapi_example_is_accepted_and_every_item_error_is_documented(bot):
    token = set_up_team(bot)
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    operation = spec["paths"][FEEDBACK_PATH]["post"]
    example = operation["requestBody"]["content"]["application/json"]["examples"]["survey"]["value"]
    answer = call(bot.url, token=token, path=FEEDBACK_PATH.format(team="C0TEAM"), body=example)
    assert (answer.status, answer.body) == (200, {"recorded": 3, "unchanged": 0})
    source = (ROOT / "services" / "feedback_ingest.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'_Invalid\(\s*"([a-z_]+)"', source)) | set(re.findall(r'RowError\(index, "([a-z_]+)"', source))
    assert set(spec["components"]["schemas"]["ItemError"]["properties"]["error"]["enum"]) == codes
    assert spec["components"]["schemas"]["FeedbackBatch"]["properties"]["items"]["maxItems"] == feedback_ingest.MAX_ITEMS
