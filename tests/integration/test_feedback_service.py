"""Customer feedback on real SQLite and PostgreSQL: personal data never stored, themes seeded in
the team's language and edited by leads only, a sender's id stored once, re-tagging by a person."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from db.models import AuditEntry, FeedbackItem
from domain.errors import UserError
from services import feedback
from tests.support.teams import set_up_team

BOGOTA = ZoneInfo("America/Bogota")
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=BOGOTA)
ANA, LUIS, PEDRO = "U0ANA", "U0LUIS", "U0PEDRO"


@pytest.fixture
def team(session_factory):
    return set_up_team(session_factory, now=NOW, marketing=ANA, sales=LUIS)


def act(factory, team, action, **kwargs):
    with factory.begin() as session:
        return action(session, team=team(session), now=NOW, **kwargs)


def test_feedback_is_stored_without_personal_data_and_tagged_by_words(session_factory, team):
    written = "Soy Ana (CC 1020345678, ana@x.co, 3001234567): el pedido no ha llegado y nadie responde"
    done = act(session_factory, team, feedback.record, actor=PEDRO, text=written, source="whatsapp", score=3)
    assert done.created and done.item.label == "F1"
    assert done.item.text == "Soy Ana (CC [id], [email], [phone]): el pedido no ha llegado y nadie responde"
    assert done.item.removed == {"id_number": 1, "email": 1, "phone": 1}
    assert [theme.name for theme in done.item.themes] == ["Entrega", "Tiempo de respuesta"]
    with session_factory() as session:
        [row] = session.scalars(select(FeedbackItem))
        stored = [row.text, str(row.removed)] + [str(entry.after) for entry in session.scalars(select(AuditEntry))]
    for secret in ("1020345678", "ana@x.co", "3001234567"):
        assert all(secret not in text for text in stored)


def test_a_senders_id_is_stored_once(session_factory, team):
    first = act(session_factory, team, feedback.record, actor="api", text="Muy caro", source="survey", score=5, external_id="typeform-77")
    again = act(session_factory, team, feedback.record, actor="api", text="Muy caro!!", source="survey", score=9, external_id="typeform-77")
    assert (first.created, again.created, again.item.number, again.item.score) == (True, False, 1, 5)
    other = act(session_factory, team, feedback.record, actor="api", text="Muy caro", source="survey", score=5, external_id="typeform-78")
    assert other.item.number == 2


def test_text_that_was_only_personal_data_is_refused(session_factory, team):
    with pytest.raises(UserError) as refused:
        act(session_factory, team, feedback.record, actor=PEDRO, text="  ana@x.co  ", source="crm", score=None)
    assert refused.value.message_id == "feedback.only_personal_data"


def test_leads_edit_the_theme_list_and_people_retag(session_factory, team):
    starter = act(session_factory, team, feedback.themes)
    assert [theme.key for theme in starter][:3] == ["delivery", "price", "response_time"] and starter[0].name == "Entrega"
    with pytest.raises(UserError) as refused:
        act(session_factory, team, feedback.add_theme, actor=PEDRO, written="Aduana")
    assert refused.value.message_id == "feedback.themes.leads_only"
    added = act(session_factory, team, feedback.add_theme, actor=ANA, written="Envíos internacionales: aduana, customs")
    assert (added.key, added.words) == ("envios_internacionales", ("aduana", "customs"))
    with pytest.raises(UserError) as twice:
        act(session_factory, team, feedback.add_theme, actor=ANA, written="envios internacionales")
    assert twice.value.message_id == "feedback.themes.exists"
    item = act(session_factory, team, feedback.record, actor=PEDRO, text="Retenido en la ADUANA", source="support", score=None)
    assert [theme.key for theme in item.item.themes] == ["envios_internacionales"]
    removed = act(session_factory, team, feedback.remove_theme, actor=LUIS, typed="inventario")
    assert removed.key == "stock" and "stock" not in [theme.key for theme in act(session_factory, team, feedback.themes)]
    retagged = act(session_factory, team, feedback.retag, actor=PEDRO, reference="f1", typed_themes="precio, Atención")
    assert ([theme.key for theme in retagged.themes], retagged.tagged_by) == (["price", "attention"], "person")
    with pytest.raises(UserError) as unknown:
        act(session_factory, team, feedback.retag, actor=PEDRO, reference="F1", typed_themes="clima")
    assert unknown.value.message_id == "feedback.themes.unknown"
    with pytest.raises(UserError) as missing:
        act(session_factory, team, feedback.retag, actor=PEDRO, reference="F9", typed_themes="precio")
    assert missing.value.message_id == "feedback.unknown_item"


def test_an_english_team_gets_english_theme_names(session_factory):
    team = set_up_team(session_factory, now=NOW, marketing=ANA, sales=LUIS, slack_team_id="T2", language="en")
    assert [theme.name for theme in act(session_factory, team, feedback.themes)][:3] == ["Delivery", "Price", "Response time"]
