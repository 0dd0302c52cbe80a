"""The demo team's history: seeded through the services, it tells the story the demo and the
agenda benchmark rely on (a weekly target for the primary KPI, an open SLA breach, OKRs at
different states, topics and last week's refuted experiment)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import demo_data
from domain.meetings import AgendaKind
from domain.okr import Status
from services import agenda_facts, agendas

MONDAY = date(2026, 3, 16)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_the_demo_team_has_a_full_week_to_talk_about(session_factory):
    [team] = demo_data.seeded(session_factory, today=MONDAY)
    now = datetime(2026, 3, 16, 7, 0, tzinfo=ZoneInfo("America/Bogota"))
    with session_factory() as session:
        found = demo_data._load(session, team)
        meeting = agendas.due_occurrence(found, AgendaKind.WEEKLY, now)
        facts = agenda_facts.weekly(session, team=found, occurrence=meeting, now=now)
    assert meeting.key == "2026-W12" and facts.reported.key == "2026-W11" and facts.has_data
    assert facts.primary.key == "sales_cop" and facts.primary.target_source == "okr" and facts.primary.change.meets_target is False
    assert all(value is not None for _, value in facts.primary.history)  # twelve full weeks
    assert [b.version.label for b in facts.open_breaches] == ["SLA1"]  # follow-up hours, last week
    statuses = {kr.short_id: kr.status for o in facts.okr.objectives for kr in o.key_results}
    assert statuses["KR1"] is Status.ON_TRACK and Status.AT_RISK in statuses.values()
    assert [t.label for t in facts.topics] == ["T1", "T2"]
    assert facts.last_experiment.result.value == "refuted" and facts.last_experiment_change.key == "conversion_web"


def test_several_teams_can_be_seeded_with_weekly_readings(session_factory):
    teams = demo_data.seeded(session_factory, today=MONDAY, count=2, daily=False)
    assert [t.channel_id for t in teams] == ["C0DEMO", "C0DEMO0001"]
    now = datetime(2026, 3, 16, 7, 0, tzinfo=ZoneInfo("America/Bogota"))
    with session_factory() as session:
        second = demo_data._load(session, teams[1])
        facts = agenda_facts.weekly(session, team=second, occurrence=agendas.due_occurrence(second, AgendaKind.WEEKLY, now), now=now)
    assert facts.primary.change.value is not None and facts.primary.change.previous is not None
