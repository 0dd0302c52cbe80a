"""The week's narrative stored and decided on (services/insights.py), on real SQLite and
PostgreSQL with the demo team's twelve weeks: narrated once per set of figures, stored once when
two processes race, adopted as the week's experiment, marked not useful once per person, and
scoped to its team."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import demo_data
from db.models import AlignmentTeam, AuditEntry, NarrativeFeedback, StoredNarrative
from domain.errors import UserError
from domain.narrative import Hypothesis, Narrative, Source
from domain.periods import Period
from domain.setup import SetupChanges
from services import experiments, insights, kpis, teams, workspaces
from services.offline_narrator import OfflineNarrator
from services.teams import TeamDefaults
from services.workspaces import WorkspaceDefaults

BOGOTA = ZoneInfo("America/Bogota")
MONDAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 7, 0, tzinfo=BOGOTA)  # the W12 agenda is due: it reports W11
W10, W11, W12 = (Period.week_of(date(2026, 3, day)) for day in (2, 9, 16))
ANA, LUIS, CARO = demo_data.ANA, demo_data.LUIS, demo_data.CARO
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


class Counting:
    """The offline narrator, counting how often it is asked (a narrator is an interface)."""

    def __init__(self, narrator=None, source=Source.OFFLINE):
        self.calls, self.source = 0, source
        self._narrator = narrator or OfflineNarrator()
        self._lock = threading.Lock()

    def narrate(self, facts, *, language, country):
        with self._lock:
            self.calls += 1
        return self._narrator.narrate(facts, language=language, country=country)


class Scripted:
    """Always the same narrative: for what the store does with a model's text."""

    source = Source.LLM

    def __init__(self, narrative):
        self.narrative = narrative

    def narrate(self, facts, *, language, country):
        return self.narrative


@pytest.fixture
def demo(session_factory):
    demo_data.seeded(session_factory, today=MONDAY)
    return lambda session: demo_data._load(session, demo_data.demo_team())


def in_session(factory, demo, action, **kwargs):
    with factory.begin() as session:
        return action(session, team=demo(session), **kwargs)


def facts_of(factory, demo, week=None, now=NOW):
    return in_session(factory, demo, insights.week_facts, week=week, now=now)


def narrate(factory, demo, narrator, found, language="es", now=NOW):
    with factory() as session:
        team_id = demo(session).id
    return insights.narrate_once(factory, narrator, team_id=team_id, week=found.meeting.period, facts=found.facts,
                                 language=language, country="CO", now=now)  # fmt: skip


def count(factory, model, *where):
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


# Storing and reusing -------------------------------------------------------------------------------------


@BOTH
def test_a_narrative_is_narrated_once_per_set_of_figures_and_language(session_factory, demo):
    found = facts_of(session_factory, demo)
    assert (found.reported, found.meeting.period, found.open_for_decision) == (W11, W12, True)
    narrator = Counting()
    first = narrate(session_factory, demo, narrator, found)
    again = narrate(session_factory, demo, narrator, facts_of(session_factory, demo))
    assert narrator.calls == 1 and again == first
    assert first.week == W12 and first.narrative == OfflineNarrator().narrate(found.facts, language="es", country="CO")
    assert [h.number for h in first.hypotheses] == list(range(1, len(first.narrative.hypotheses) + 1))
    assert all(h.adopted_by is None and h.not_useful == 0 for h in first.hypotheses)

    english = narrate(session_factory, demo, narrator, found, language="en")
    assert narrator.calls == 2 and english.id != first.id

    # A corrected value for the reported week changes the figures: a new narrative; the old one stays.
    in_session(session_factory, demo, kpis.record, key="sales_cop", value=Decimal("1000"), shown="1000", period=W11, source="slack",
               actor=ANA, note="", now=NOW)  # fmt: skip
    changed = narrate(session_factory, demo, narrator, facts_of(session_factory, demo))
    assert narrator.calls == 3 and changed.id != first.id
    with session_factory() as session:
        assert insights.insight(session, team=demo(session), narrative_id=first.id) == first


@BOTH
def test_a_model_narrative_is_stored_apart_from_an_earlier_fallback(session_factory, demo):
    found = facts_of(session_factory, demo)
    offline = narrate(session_factory, demo, Counting(), found)
    model_said = replace(OfflineNarrator().narrate(found.facts, language="es", country="CO"), source=Source.LLM, model="m1")
    llm = narrate(session_factory, demo, Scripted(model_said), found)
    assert llm.id != offline.id and llm.narrative.source is Source.LLM and llm.narrative.model == "m1"
    assert narrate(session_factory, demo, Counting(source=Source.LLM), found) == llm  # the model's is reused, not asked again


@BOTH
def test_a_failed_attempt_stands_for_the_models_narrative_for_an_hour(session_factory, demo):
    found = facts_of(session_factory, demo)
    failed = replace(OfflineNarrator().narrate(found.facts, language="es", country="CO"), fallback_reason="timeout")
    model = Counting(Scripted(failed), source=Source.LLM)
    first = narrate(session_factory, demo, model, found)
    assert model.calls == 1 and first.narrative.fallback_reason == "timeout"
    assert narrate(session_factory, demo, model, found, now=NOW + timedelta(minutes=59)) == first and model.calls == 1
    # With the model switched off, the same automatic summary shows, saying nothing of a failure.
    chosen = narrate(session_factory, demo, Counting(), found, now=NOW + timedelta(minutes=10))
    assert chosen.id == first.id and chosen.narrative == replace(first.narrative, fallback_reason=None)
    # An hour on, the model is asked again; failing again is remembered anew, on the same row.
    again = narrate(session_factory, demo, model, found, now=NOW + timedelta(hours=1))
    assert model.calls == 2 and again == first
    assert narrate(session_factory, demo, model, found, now=NOW + timedelta(minutes=110)) == first and model.calls == 2
    with session_factory() as session:
        assert session.get(StoredNarrative, first.id).retry_model_after == NOW + timedelta(hours=2)
    assert count(session_factory, StoredNarrative) == 1
    # New figures are new figures: asked at once.
    in_session(session_factory, demo, kpis.record, key="sales_cop", value=Decimal("1000"), shown="1000", period=W11, source="slack",
               actor=ANA, note="", now=NOW)  # fmt: skip
    narrate(session_factory, demo, model, facts_of(session_factory, demo), now=NOW + timedelta(minutes=111))
    assert model.calls == 3


@BOTH
def test_two_processes_narrating_at_once_store_one_narrative(session_factory, demo):
    found = facts_of(session_factory, demo)
    narrator, barrier, results = Counting(), threading.Barrier(3), []

    def process():
        barrier.wait()
        results.append(narrate(session_factory, demo, narrator, found))

    threads = [threading.Thread(target=process) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and len({insight.id for insight in results}) == 1
    assert count(session_factory, StoredNarrative) == 1


# Adopting and feedback ----------------------------------------------------------------------------------


@BOTH
def test_adopting_a_hypothesis_records_the_meeting_weeks_experiment(session_factory, demo):
    insight = narrate(session_factory, demo, Counting(), facts_of(session_factory, demo))
    first = insight.hypotheses[0]
    adopted = in_session(session_factory, demo, insights.adopt, actor=LUIS, hypothesis_id=first.id, now=NOW)
    experiment = adopted.experiment
    assert (experiment.week, experiment.owner, experiment.decided_by, experiment.source) == (W12, LUIS, LUIS, "auto")
    assert experiment.due == date(2026, 3, 20)  # the meeting week's Friday
    flat = lambda text: " ".join(text.split())  # noqa: E731 (a decision is stored with its spaces collapsed)
    assert experiment.hypothesis.startswith(flat(first.hypothesis.text)) and flat(first.hypothesis.experiment)[:80] in experiment.hypothesis
    assert experiment.metric == first.hypothesis.metric and adopted.replaced is None
    assert adopted.insight.hypotheses[0].adopted_by == LUIS
    with session_factory() as session:
        assert experiments.of_week(session, team=demo(session), week=W12) == experiment
    assert count(session_factory, AuditEntry, AuditEntry.action == "narrative_hypothesis.adopt") == 1

    with pytest.raises(UserError) as twice:
        in_session(session_factory, demo, insights.adopt, actor=ANA, hypothesis_id=first.id, now=NOW)
    assert (twice.value.message_id, twice.value.params) == ("insights.already_adopted", {"who": LUIS})

    # The meeting decides otherwise with the form: the hypothesis is no longer the week's, and can be adopted again.
    in_session(session_factory, demo, experiments.decide, actor=ANA, week=W12, hypothesis="Otra idea", metric="sessions", owner=ANA,
               due=date(2026, 3, 20), now=NOW + timedelta(minutes=5))  # fmt: skip
    with session_factory() as session:
        assert insights.insight(session, team=demo(session), narrative_id=insight.id).hypotheses[0].adopted_by is None
    again = in_session(session_factory, demo, insights.adopt, actor=CARO, hypothesis_id=first.id, now=NOW + timedelta(minutes=10))
    assert again.replaced == "Otra idea" and again.experiment.owner == CARO


@BOTH
def test_a_models_hypothesis_is_adopted_as_ai_and_stored_as_plain_text(session_factory, demo):
    found = facts_of(session_factory, demo)
    fact_id = found.facts[0].id
    said = Narrative(
        summary=("Uno.", "Dos.", "Tres."), source=Source.LLM, model="m1",
        hypotheses=(Hypothesis("Envíos &amp; cupones &lt;b&gt;", (fact_id,), "Probar A &amp; B", "conversion_web"),),
    )  # fmt: skip
    insight = narrate(session_factory, demo, Scripted(said), found)
    adopted = in_session(session_factory, demo, insights.adopt, actor=ANA, hypothesis_id=insight.hypotheses[0].id, now=NOW)
    assert adopted.experiment.source == "ai"
    assert adopted.experiment.hypothesis == "Envíos & cupones <b> → Probar A & B"  # escaped once when rendered, not twice


@BOTH
def test_a_hypothesis_about_a_week_that_is_over_cannot_be_adopted(session_factory, demo):
    insight = narrate(session_factory, demo, Counting(), facts_of(session_factory, demo))
    later = datetime(2026, 3, 23, 8, 0, tzinfo=BOGOTA)  # the W12 week ended on Sunday
    with pytest.raises(UserError) as refused:
        in_session(session_factory, demo, insights.adopt, actor=ANA, hypothesis_id=insight.hypotheses[0].id, now=later)
    assert refused.value.message_id == "insights.adopt_past_week"
    with session_factory() as session:
        assert experiments.of_week(session, team=demo(session), week=W12) is None


@BOTH
def test_a_hypothesis_of_another_team_is_unknown(session_factory, demo):
    insight = narrate(session_factory, demo, Counting(), facts_of(session_factory, demo))
    with session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id="T0OTHER", defaults=WorkspaceDefaults("es", "America/Bogota"), now=NOW)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id="C0OTHER", channel_name="otro", actor="U0X", is_workspace_admin=True,
            changes=SetupChanges(marketing_leads=("U0X",)), defaults=TeamDefaults("America/Bogota", "es"), now=NOW,
        )  # fmt: skip
    other = lambda session: session.scalars(select(AlignmentTeam).where(AlignmentTeam.channel_id == "C0OTHER")).one()  # noqa: E731
    for action in (insights.adopt, insights.not_useful):
        with pytest.raises(UserError) as refused:
            in_session(session_factory, other, action, actor="U0X", hypothesis_id=insight.hypotheses[0].id, now=NOW)
        assert refused.value.message_id == "insights.unknown_hypothesis"
    assert count(session_factory, NarrativeFeedback) == 0


@BOTH
def test_not_useful_counts_once_per_person(session_factory, demo):
    insight = narrate(session_factory, demo, Counting(), facts_of(session_factory, demo))
    target = insight.hypotheses[-1].id
    first = in_session(session_factory, demo, insights.not_useful, actor=ANA, hypothesis_id=target, now=NOW)
    second = in_session(session_factory, demo, insights.not_useful, actor=ANA, hypothesis_id=target, now=NOW)
    third = in_session(session_factory, demo, insights.not_useful, actor=LUIS, hypothesis_id=target, now=NOW)
    assert (first.first_time, second.first_time, third.first_time) == (True, False, True)
    assert [h.not_useful for h in third.insight.hypotheses if h.id == target] == [2]
    assert count(session_factory, NarrativeFeedback) == 2


# Which week --------------------------------------------------------------------------------------------


@BOTH
def test_the_weeks_a_summary_can_be_asked_for(session_factory, demo):
    older = facts_of(session_factory, demo, week=W10)
    assert (older.reported, older.meeting.period, older.open_for_decision) == (W10, W11, False)
    changes = [fact.id for fact in older.facts if fact.id.startswith("kpi.")]
    assert changes and all(fact_id.endswith(".2026-W10") for fact_id in changes)  # SLA facts carry their own periods
    for week, message_id in ((W12, "insights.week_in_progress"), (Period.month(2026, 2), "insights.not_a_week"),
                             (Period.week_of(date(2025, 6, 2)), "insights.no_data")):  # fmt: skip
        with pytest.raises(UserError) as refused:
            facts_of(session_factory, demo, week=week)
        assert refused.value.message_id == message_id, week
