"""The facts a narrator receives, built from the demo team's agendas (services/narrative_facts.py):
stable unique ids, the agenda's own numbers, and nothing about people."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot import demo_data
from domain.grounding import check_hypotheses, check_sentences
from domain.meetings import AgendaKind
from domain.narrative import FactKind
from domain.sla import State
from services import agenda_facts, agendas
from services.narrative_facts import monthly_facts, weekly_facts
from services.offline_narrator import OfflineNarrator

MONDAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 7, 0, tzinfo=ZoneInfo("America/Bogota"))
SIX = Decimal("0.000001")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
SLACK_ID = re.compile(r"\b[UW]0[A-Z0-9]+")
NAMES = re.compile(r"\b(?:" + "|".join(name for _, name, _ in demo_data.PEOPLE) + r")\b", re.IGNORECASE)


def _agenda_facts(session_factory, kind: AgendaKind):
    with session_factory() as session:
        team = demo_data._load(session, demo_data.demo_team())
        if kind is AgendaKind.WEEKLY:
            return agenda_facts.weekly(session, team=team, occurrence=agendas.due_occurrence(team, kind, NOW), now=NOW)
        return agenda_facts.monthly(session, team=team, occurrence=agendas.next_meeting(team, kind, NOW), now=NOW)


def _assert_about_no_one(facts):
    text = repr(facts)
    assert not SLACK_ID.search(text), SLACK_ID.search(text)
    assert not NAMES.search(text), NAMES.search(text)
    assert not EMAIL.search(text) and "<@" not in text
    for person_id, _, _ in demo_data.PEOPLE:
        assert person_id not in text


def _assert_narrated_and_grounded(facts):
    ids = {fact.id for fact in facts}
    for language, country in (("es", "CO"), ("en", "CO"), ("en", "US")):
        narrative = OfflineNarrator().narrate(facts, language=language, country=country)
        assert 3 <= len(narrative.summary) <= 5 and 1 <= len(narrative.hypotheses) <= 3 and narrative.dropped == 0
        assert check_sentences(list(narrative.summary), facts, language=language, country=country)[1] == 0
        assert check_hypotheses(list(narrative.hypotheses), facts, language=language, country=country)[1] == 0
        assert all(set(hypothesis.fact_ids) <= ids for hypothesis in narrative.hypotheses)


def test_weekly_facts_of_the_demo_team(session_factory):
    demo_data.seeded(session_factory, today=MONDAY)
    agenda = _agenda_facts(session_factory, AgendaKind.WEEKLY)
    facts = weekly_facts(agenda, language="es")
    again = weekly_facts(_agenda_facts(session_factory, AgendaKind.WEEKLY), language="es")
    by_id = {fact.id: fact for fact in facts}

    # Stable and unique ids; the same facts from the same data.
    assert len(by_id) == len(facts) and facts == again
    assert {
        "kpi.sales_cop.2026-W11", "kpi.conversion_web.2026-W11", "kpi.avg_deal.2026-W11", "kpi.followup_hours.2026-W11",
        "sla.SLA1.2026-W11", "sla.SLA2.2026-W11", "sla.summary.2026-W11", "breach.B1", "experiment.2026-W11",
        "kr.KR1", "kr.KR2", "kr.KR3", "kr.KR4", "kr.summary",
    } <= set(by_id)  # fmt: skip
    assert {fact.id for fact in facts if fact.kind is FactKind.KPI_CHANGE} == {fact.change.fact_id for fact in agenda.all_kpis}

    # The agenda's numbers, as the agenda has them.
    for shown in agenda.all_kpis:
        fact, change = by_id[shown.change.fact_id], shown.change
        assert fact.subject == shown.spec.name("es")
        assert fact.numbers["value"] == change.value and fact.numbers["previous"] == change.previous
        assert fact.numbers["difference"] == change.difference
        assert fact.numbers["percent"] == change.percent.quantize(SIX)
        assert fact.numbers.get("target") == change.target
        assert fact.detail["trend"] == "; ".join(format(value, "f") for value in change.trend)
        assert fact.detail["direction"] == ("better" if change.improved else "worse")
    primary = by_id["kpi.sales_cop.2026-W11"]
    assert primary.unit == "COP" and primary.detail["role"] == "primary" and primary.detail["meets_target"] == "no"
    assert primary.detail["target_source"] == "okr"
    assert by_id[agenda.bottleneck.change.fact_id].detail["bottleneck"] == "yes"

    [view] = agenda.open_breaches
    breach = by_id["breach.B1"]
    assert breach.numbers == {"value": view.value, "target": view.version.terms.target, "gap": view.gap}
    assert breach.unit == "h" and breach.detail["status"] == "open" and "reason" not in breach.detail
    assert breach.subject == "B1 · SLA1 · Tiempo de seguimiento a leads"

    sla_one = by_id["sla.SLA1.2026-W11"]
    last = [outcome for outcome in agenda.sla[0].recent if outcome.state in (State.MET, State.BREACHED, State.NO_DATA)][-1]
    assert (sla_one.numbers["value"], sla_one.numbers["target"], sla_one.numbers["gap"]) == (last.value, last.target, last.gap)
    assert sla_one.detail["state"] == "breached" and sla_one.subject.startswith("SLA1 · ")
    summary = by_id["sla.summary.2026-W11"]
    assert summary.numbers["open_breaches"] == 1 and summary.numbers["breached"] == 1 and summary.numbers["met"] == 1

    experiment = by_id["experiment.2026-W11"]
    moved = agenda.last_experiment_change.change
    assert experiment.detail["result"] == "refuted" and experiment.detail["kpi"] == "conversion_web"
    assert experiment.numbers["value"] == moved.value and experiment.numbers["previous"] == moved.previous

    results = {kr.short_id: kr for objective in agenda.okr.objectives for kr in objective.key_results}
    for label, kr in results.items():
        fact = by_id[f"kr.{label}"]
        assert fact.numbers["progress"] == (Decimal(repr(kr.progress)) * 100).quantize(SIX).normalize()
        assert fact.detail["status"] == kr.status.value and fact.unit == "%"
    assert by_id["kr.summary"].numbers["total"] == len(results)

    # Nothing about people: not the experiment's hypothesis or note, not owners, not who acknowledged.
    _assert_about_no_one(facts)
    assert agenda.last_experiment.hypothesis not in repr(facts) and agenda.last_experiment.result_note not in repr(facts)
    _assert_narrated_and_grounded(facts)
    _assert_narrated_and_grounded(weekly_facts(agenda, language="en"))


def test_monthly_facts_of_the_demo_team(session_factory):
    demo_data.seeded(session_factory, today=MONDAY)
    agenda = _agenda_facts(session_factory, AgendaKind.MONTHLY)
    facts = monthly_facts(agenda, language="es")
    ids = [fact.id for fact in facts]
    assert len(set(ids)) == len(ids)
    month = agenda.reported.key
    assert {f"kpi.{fact.key}.{month}" for fact in agenda.kpis} <= set(ids)
    assert {f"sla.{row.label}.{month}" for row in agenda.sla if row.outcomes} <= set(ids)
    assert f"sla.summary.{month}" in ids and "kr.summary" in ids
    for row in agenda.sla:
        if row.outcomes:
            fact = facts[ids.index(f"sla.{row.label}.{month}")]
            assert (fact.numbers["attained"], fact.numbers["evaluated"]) == tuple(Decimal(n) for n in row.attainment)
    _assert_about_no_one(facts)
    _assert_narrated_and_grounded(facts)
