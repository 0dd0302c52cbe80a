"""Customer feedback on real SQLite and PostgreSQL: personal data never stored, themes seeded in
the team's language and edited by leads only, a sender's id stored once, re-tagging by a person."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from db.models import AuditEntry, FeedbackItem
from domain.errors import UserError
from domain.kpis import Aggregation, KpiSpec, Unit
from domain.periods import Period
from services import feedback, kpis, person_data, workspace_deletion, workspace_export
from tests.support.teams import set_up_team

BOGOTA = ZoneInfo("America/Bogota")
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=BOGOTA)
ANA, LUIS, PEDRO = "U0ANA", "U0LUIS", "U0PEDRO"


pytestmark = pytest.mark.team(now=NOW, marketing=ANA, sales=LUIS)


def act(factory, team, action, **kwargs):  # not tests/support/teams.act: every feedback call here happens at NOW
    with factory.begin() as session:
        return action(session, team=team(session), now=NOW, **kwargs)


def test_feedback_is_stored_without_personal_data_and_themes_from_words(session_factory, team):
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
    assert ([theme.key for theme in retagged.themes], retagged.themes_from) == (["price", "attention"], "person")
    with pytest.raises(UserError) as unknown:
        act(session_factory, team, feedback.retag, actor=PEDRO, reference="F1", typed_themes="clima")
    assert unknown.value.message_id == "feedback.themes.unknown"
    with pytest.raises(UserError) as missing:
        act(session_factory, team, feedback.retag, actor=PEDRO, reference="F9", typed_themes="precio")
    assert missing.value.message_id == "feedback.unknown_item"


def test_an_english_team_gets_english_theme_names(session_factory):
    team = set_up_team(session_factory, now=NOW, marketing=ANA, sales=LUIS, slack_team_id="T2", language="en")
    assert [theme.name for theme in act(session_factory, team, feedback.themes)][:3] == ["Delivery", "Price", "Response time"]


# Feedback as KPIs ----------------------------------------------------------------------------------------


def _at(day, hour=10):
    return datetime(2026, 3, day, hour, 0, tzinfo=BOGOTA)


def record_at(factory, team, moment, text, score, source="survey"):
    with factory.begin() as session:
        return feedback.record(session, team=team(session), actor=PEDRO, text=text, source=source, score=score, now=moment)


def test_scores_and_complaints_become_weekly_and_monthly_kpis(session_factory, team):
    # Week 2026-W11 (9-15 March): scores 10, 9, 9, 8, 7, 3 -> NPS 33,3, CSAT 66,7; one complaint (3) about delivery
    for day, text, score in [(9, "Excelente", 10), (10, "Muy bien", 9), (10, "Bien", 9), (11, "Rápido", 8), (12, "Normal", 7),
                             (13, "El envío no llegó", 3)]:
        record_at(session_factory, team, _at(day), text, score)
    # Week 2026-W12: two complaints without a score, about response time
    record_at(session_factory, team, _at(16), "Nadie responde en WhatsApp", None, source="whatsapp")
    record_at(session_factory, team, _at(17), "La respuesta tarda días", None, source="support")
    with session_factory() as session:
        loaded = team(session)
        weeks = [Period.iso_week(2026, 11), Period.iso_week(2026, 12)]
        values = {key: [point.value for point in kpis.series(session, team=loaded, key=key, periods=weeks)]
                  for key in ("nps", "csat", "complaints", "complaints_delivery", "complaints_response_time")}
        month = {key: kpis.series(session, team=loaded, key=key, periods=[Period.month(2026, 3)])[0].value for key in ("nps", "complaints")}
        catalog = {view.key: view for view in kpis.catalog(session, team=loaded)}
    assert values == {
        "nps": [Decimal("33.3"), None], "csat": [Decimal("66.7"), None], "complaints": [1, 2],
        "complaints_delivery": [1, 0], "complaints_response_time": [None, 2],
    }
    assert month == {"nps": Decimal("33.3"), "complaints": 3}
    assert catalog["complaints_response_time"].name == "Quejas: Tiempo de respuesta" and catalog["nps"].spec.allow_negative


def test_retagging_moves_a_complaint_between_theme_kpis(session_factory, team):
    record_at(session_factory, team, _at(10), "El envío llegó tarde", 2)
    act(session_factory, team, feedback.retag, actor=PEDRO, reference="F1", typed_themes="precio")
    with session_factory() as session:
        week = [Period.iso_week(2026, 11)]
        got = {key: kpis.series(session, team=team(session), key=key, periods=week)[0].value for key in ("complaints_delivery", "complaints_price")}
    assert got == {"complaints_delivery": 0, "complaints_price": 1}


def test_a_kpi_the_team_made_with_the_same_key_is_left_alone(session_factory, team):
    spec = KpiSpec("nps", "NPS de la tienda", "Store NPS", unit=Unit.COUNT, aggregation=Aggregation.LAST)
    act(session_factory, team, kpis.create, spec=spec, actor=ANA, language="es")
    record_at(session_factory, team, _at(10), "Malo", 0)
    with session_factory() as session:
        [point] = kpis.series(session, team=team(session), key="nps", periods=[Period.iso_week(2026, 11)])
        csat = kpis.series(session, team=team(session), key="csat", periods=[Period.iso_week(2026, 11)])[0]
    assert point.value is None and csat.value == 0


# Data rights ----------------------------------------------------------------------------------------------


def test_data_rights_cover_feedback(session_factory, team):
    record_at(session_factory, team, _at(10), "Muy caro, escribir a ana@x.co", 3)
    act(session_factory, team, feedback.add_theme, actor=ANA, written="Aduana: aduana")
    with session_factory() as session:
        workspace_id = team(session).workspace_id
        export = workspace_export.export_workspace(session, workspace_id)
        report = person_data.person_report(session, workspace_id, PEDRO)
    [item] = export["feedback_items"]
    assert item["text"] == "Muy caro, escribir a [email]" and item["removed"] == {"email": 1}
    assert {row["key"] for row in export["feedback_themes"]} >= {"delivery", "aduana"} and len(export["feedback_tags"]) == 1
    assert report.count("customer_feedback") == 1
    with session_factory.begin() as session:
        erased = person_data.erase_person(session, workspace_id, PEDRO, NOW, ["key-one"])
    assert erased.pseudonymised.get("customer_feedback") == 1
    with session_factory() as session:
        [row] = session.scalars(select(FeedbackItem))
        assert row.added_by == erased.pseudonym and row.text == "Muy caro, escribir a [email]"
    with session_factory.begin() as session:
        workspace_deletion.delete_workspace_data(session, workspace_id, NOW)
    with session_factory() as session:
        assert session.scalars(select(FeedbackItem)).all() == []
