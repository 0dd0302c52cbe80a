"""The week in brief quotes the what-if (real SQLite and PostgreSQL): what 0,2 more points of
conversion would have sold at the week's own traffic and ticket, as a fact Alinea computed, said by
the offline narrator and by the LLM narrator's placeholders in the team's language and number
format; only when the team's funnel has the week's figures. Expected numbers are worked out here
from the values logged, not read from the code under test."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import openai
import pytest

from domain.grounding import check_sentences
from domain.kpis import KpiSpec
from domain.meetings import AgendaKind
from domain.narrative import FactKind, Source
from domain.periods import Period
from services import agenda_facts, agendas, kpis, narrative_facts
from services.llm_narrator import LlmNarrator
from services.offline_narrator import OfflineNarrator
from tests.support.openai_double import OpenAIDouble
from tests.support.teams import set_up_team

# Monday 16 March 2026, 7:00 in Bogotá: the weekly agenda reports the week of 9 March (2026-W11).
NOW = datetime(2026, 3, 16, 12, 0, tzinfo=timezone.utc)
REPORTED = Period.week_of(date(2026, 3, 9))
ANA, LUIS = "U0ANA", "U0LUIS"
SESSIONS, ORDERS, TICKET = Decimal(24000), Decimal(312), Decimal(150500)  # the week's own funnel: 1,3 % conversion
POINTS = Decimal("0.2")
WORTH = SESSIONS * POINTS / 100 * TICKET  # 24 000 sessions × 0,2 % × $150 500 = $7 224 000


# A team with the starter KPIs, named in its language (conversion_web: orders ÷ sessions).
pytestmark = pytest.mark.team(now=NOW, marketing=ANA, sales=LUIS, starter_kpis=True)


def log(session_factory, team, key, value, period=REPORTED):
    with session_factory.begin() as session:
        kpis.record(session, team=team(session), key=key, value=Decimal(value), shown=str(value), period=period, source="slack",
                    actor=ANA, note="", now=NOW)  # fmt: skip


def log_funnel(session_factory, team, period=REPORTED, *, ticket=True):
    log(session_factory, team, "sessions", SESSIONS, period)
    log(session_factory, team, "orders", ORDERS, period)
    if ticket:
        log(session_factory, team, "avg_deal", TICKET, period)


def with_roles(session_factory, team):
    """Sessions as the primary KPI and orders supporting, so the agenda has KPI facts to show."""
    with session_factory.begin() as session:
        kpis.set_roles(session, team=team(session), role="primary", keys=["sessions"], actor=ANA, now=NOW)
        kpis.set_roles(session, team=team(session), role="support", keys=["orders"], actor=ANA, now=NOW)


def week_facts(session_factory, team, language="es"):
    with session_factory() as session:
        found = team(session)
        occurrence = agendas.due_occurrence(found, AgendaKind.WEEKLY, NOW)
        weekly = agenda_facts.weekly(session, team=found, occurrence=occurrence, now=NOW)
    assert weekly.reported == REPORTED
    return narrative_facts.weekly_facts(weekly, language=language)


def whatif_facts(facts):
    return [fact for fact in facts if fact.kind is FactKind.WHAT_IF]


def test_the_fact_holds_the_weeks_own_arithmetic(session_factory, team):
    log_funnel(session_factory, team)
    log_funnel(session_factory, team, REPORTED.previous())  # the week before does not count: the brief is about one week
    log(session_factory, team, "sessions", 1000, REPORTED.previous())
    facts = week_facts(session_factory, team)
    [fact] = whatif_facts(facts)
    assert fact.id == "whatif.conversion.2026-W11" and facts[-1] == fact  # last: the other facts keep their aliases
    assert fact.numbers == {"worth": WORTH, "points": POINTS, "sessions": SESSIONS, "conversion": ORDERS * 100 / SESSIONS, "ticket": TICKET}
    assert WORTH == Decimal(7224000)
    assert fact.unit == "COP" and fact.subject == "Tasa de conversión web"
    assert fact.detail == {"kpi": "conversion_web", "lever": "conversion", "period": "2026-W11", "period_kind": "week"}


@pytest.mark.parametrize("language, country, said", [
    ("es", "CO", "Con el tráfico (24.000 sesiones) y el ticket ($150.500) de la semana, 0,2 pp más de Tasa de conversión web "
                 "(cerró en 1,3\u00a0%) habrían sido $7.224.000 más en ventas."),
    ("en", "US", "At the week's traffic (24,000 sessions) and ticket (COP150,500), 0.2 pp more of Web conversion rate "
                 "(it closed at 1.3%) would have been COP7,224,000 more in sales."),
    ("en", "CO", "At the week's traffic (24.000 sessions) and ticket ($150.500), 0,2 pp more of Web conversion rate "
                 "(it closed at 1,3%) would have been $7.224.000 more in sales."),
])  # fmt: skip
def test_the_offline_narrator_says_it_the_teams_way(session_factory, language, country, said):
    team = set_up_team(session_factory, now=NOW, marketing=ANA, sales=LUIS, language=language, starter_kpis=True)
    log_funnel(session_factory, team)
    facts = week_facts(session_factory, team, language)
    narrative = OfflineNarrator().narrate(facts, language=language, country=country)
    assert said in narrative.summary
    assert narrative.dropped == 0 and check_sentences(list(narrative.summary), facts, language=language, country=country)[1] == 0


def test_the_llm_narrator_quotes_it_by_placeholder(session_factory, team):
    """The model sees the fact's placeholders and no figure; the number in its sentence is Alinea's."""
    log_funnel(session_factory, team)
    log_funnel(session_factory, team, REPORTED.previous())
    with_roles(session_factory, team)
    week = week_facts(session_factory, team)
    # The double narrates the first facts it is given: the what-if first, then two KPIs of the week.
    facts = whatif_facts(week) + [fact for fact in week if fact.kind is FactKind.KPI_CHANGE][:2]
    assert len(facts) == 3
    double = OpenAIDouble("good").start()
    client = openai.OpenAI(api_key="not-needed", base_url=double.base_url, max_retries=0)
    try:
        narrator = LlmNarrator(client, model="double-model", fallback=OfflineNarrator(), budget=_Budget(), workspace_id=1, timeout_s=5.0,
                               clock=lambda: NOW)  # fmt: skip
        narrative = narrator.narrate(facts, language="es", country="CO")
    finally:
        client.close()
        double.stop()
    prompt = double.requests[0]["messages"][1]["content"]
    assert "{F1.worth} = ventas de más que habrían sido" in prompt and "{F1.points} = puntos de conversión de más" in prompt
    assert not any(character.isdigit() for character in prompt.replace("F1", "").replace("F2", "").replace("F3", ""))  # no figure
    assert narrative.source is Source.LLM and narrative.fallback_reason is None
    assert any("$7.224.000" in sentence for sentence in narrative.summary), narrative.summary


def test_no_fact_without_the_weeks_funnel(session_factory, team):
    log_funnel(session_factory, team, ticket=False)  # sessions and orders, but no ticket that week
    log(session_factory, team, "avg_deal", TICKET, REPORTED.previous())
    with_roles(session_factory, team)
    facts = week_facts(session_factory, team)
    assert facts and whatif_facts(facts) == []
    assert all(not fact.id.startswith("whatif.") for fact in facts)


def test_no_fact_for_a_team_without_a_funnel(session_factory):
    load = set_up_team(session_factory, now=NOW, marketing=ANA, sales=LUIS, channel_id="C0NOFUNNEL")
    with session_factory.begin() as session:
        kpis.create(session, team=load(session), spec=KpiSpec("leads", "Leads", "Leads"), actor=ANA, now=NOW, language="es")
    log(session_factory, load, "leads", 120)
    assert whatif_facts(week_facts(session_factory, load)) == []


class _Budget:
    def remaining(self, *, workspace_id, now):
        return 1_000_000

    def record(self, *, workspace_id, tokens, now):
        pass

