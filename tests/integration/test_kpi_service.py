"""The KPI catalog and values on real SQLite and PostgreSQL: exact values, corrections, undo,
weeks from days, rates, definitions in force."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from db import repositories
from db.models import KpiValue
from domain.errors import UserError
from domain.glossary import TermDraft
from domain.kpis import template
from domain.periods import Period
from services import glossary, kpis
from tests.support.teams import act

NOW = datetime(2026, 1, 14, 15, 0, tzinfo=timezone.utc)
ANA, LUIS = "U0ANA", "U0LUIS"
MONDAY = date(2026, 1, 12)  # ISO week 2026-W03


pytestmark = pytest.mark.team(now=NOW, marketing=ANA, sales=LUIS)


def enable(session_factory, team):
    return act(session_factory, team, kpis.enable_starter_set, actor=ANA, now=NOW, language="es")


def log(session_factory, team, key, value, day=MONDAY, *, actor=ANA, source="slack", note="", kind="day", now=NOW):
    period = Period(kind, day) if kind == "day" else (Period.week_of(day) if kind == "week" else Period.month_of(day))
    return act(
        session_factory, team, kpis.record, key=key, value=Decimal(value), shown=value, period=period, source=source,
        actor=actor, note=note, now=now,
    )


def test_the_starter_set_is_enabled_once_in_the_teams_language(session_factory, team):
    added = enable(session_factory, team)
    assert {view.key for view in added} >= {"sessions", "orders", "conversion_web", "cart_abandonment", "sales_cop"}
    conversion = next(view for view in added if view.key == "conversion_web")
    assert conversion.name == template("conversion_web").name("es")
    assert enable(session_factory, team) == []  # nothing new the second time


def test_recording_is_exact_idempotent_and_corrections_are_audited(session_factory, team):
    enable(session_factory, team)
    first = log(session_factory, team, "sales_cop", "45000000.5")
    again = log(session_factory, team, "sales_cop", "45000000.5")
    fixed = log(session_factory, team, "sales_cop", "46000000", actor=LUIS)
    assert (first.outcome, again.outcome, fixed.outcome) == ("recorded", "unchanged", "replaced")
    assert fixed.previous == Decimal("45000000.5")
    with session_factory() as session:
        (row,) = session.query(KpiValue).all()
        entries = repositories.audit_entries(session, workspace_id=row.workspace_id, entity_type="kpi_value")
    assert row.value == Decimal("46000000")
    assert [e.action for e in entries] == ["kpi_value.recorded", "kpi_value.replaced"]
    assert entries[1].before["value"] == "45000000.5" and entries[1].after["value"] == "46000000"


@pytest.mark.parametrize(
    "key, value, message_id",
    [
        ("leads_mql", "-3", "kpi.negative_value"),
        ("leads_mql", "2.5", "kpi.count_not_whole"),
        ("cart_abandonment", "120", "kpi.percent_over_100"),
        ("conversion_web", "1.6", "kpi.rate_is_computed"),
        ("conversoin_web", "1.6", "kpi.unknown_suggest"),
    ],
)
def test_values_that_make_no_sense_are_refused_and_nothing_is_written(session_factory, team, key, value, message_id):
    enable(session_factory, team)
    with pytest.raises(UserError) as refused:
        log(session_factory, team, key, value)
    assert refused.value.message_id == message_id
    with session_factory() as session:
        assert session.query(KpiValue).count() == 0


def test_a_week_sums_its_days_and_a_logged_week_wins(session_factory, team):
    enable(session_factory, team)
    for offset, value in enumerate(["10", "20", "30"]):
        log(session_factory, team, "leads_mql", value, MONDAY + timedelta(days=offset))
    log(session_factory, team, "leads_mql", "999", MONDAY - timedelta(days=1))  # Sunday: the week before
    week, previous = Period.week_of(MONDAY), Period.week_of(MONDAY).previous()
    points = act(session_factory, team, kpis.series, key="leads_mql", periods=[previous, week])
    assert [p.value for p in points] == [Decimal("999"), Decimal("60")]
    log(session_factory, team, "leads_mql", "75", MONDAY, kind="week", source="csv")
    (point,) = act(session_factory, team, kpis.series, key="leads_mql", periods=[week])
    assert point.value == Decimal("75")


def test_a_month_counts_the_whole_weeks_whose_thursday_falls_in_it(session_factory, team):
    enable(session_factory, team)
    # ISO weeks of March 2026 by their Thursday: the week of Mon 23 Feb (Thu 26 Feb) is February's,
    # the week of Mon 30 Mar (Thu 2 Apr) is April's; 2, 9, 16 and 23 March are March's.
    for monday, leads, hours in ((date(2026, 2, 23), "100", "10"), (date(2026, 3, 2), "120", "20"), (date(2026, 3, 9), "130", "22"),
                                 (date(2026, 3, 16), "140", "24"), (date(2026, 3, 23), "150", "26"), (date(2026, 3, 30), "160", "30")):
        log(session_factory, team, "leads_mql", leads, monday, kind="week")
        log(session_factory, team, "followup_hours", hours, monday, kind="week")
    march, february = Period.month_of(date(2026, 3, 1)), Period.month_of(date(2026, 2, 1))
    assert [p.value for p in act(session_factory, team, kpis.series, key="leads_mql", periods=[february, march])] == [Decimal(100), Decimal(540)]
    (hours,) = act(session_factory, team, kpis.series, key="followup_hours", periods=[march])
    assert hours.value == Decimal(23)  # the average of the four weeks
    log(session_factory, team, "leads_mql", "7", date(2026, 3, 5))  # a day logged in the month: days win, as before
    (days,) = act(session_factory, team, kpis.series, key="leads_mql", periods=[march])
    assert days.value == Decimal(7)


def test_a_rate_divides_its_parts_per_period(session_factory, team):
    enable(session_factory, team)
    log(session_factory, team, "orders", "16")
    log(session_factory, team, "sessions", "1000")
    (point,) = act(session_factory, team, kpis.series, key="conversion_web", periods=[Period.week_of(MONDAY)])
    assert point.value == Decimal("1.6")


def test_when_two_sources_report_a_day_the_latest_counts(session_factory, team):
    enable(session_factory, team)
    log(session_factory, team, "orders", "10", source="slack", now=NOW)
    log(session_factory, team, "orders", "12", source="api:shop", now=NOW + timedelta(hours=1))
    (point,) = act(session_factory, team, kpis.series, key="orders", periods=[Period.week_of(MONDAY)])
    assert point.value == Decimal("12")


def test_undo_takes_back_only_your_own_last_entry(session_factory, team):
    enable(session_factory, team)
    log(session_factory, team, "orders", "10", actor=ANA)
    log(session_factory, team, "orders", "11", actor=LUIS, now=NOW + timedelta(minutes=1))  # Luis corrects Ana
    kpi, period, restored = act(session_factory, team, kpis.undo_last, actor=LUIS, now=NOW + timedelta(minutes=2))
    assert (kpi.key, period, restored) == ("orders", Period("day", MONDAY), Decimal("10"))
    with pytest.raises(UserError) as refused:  # Ana's entry was changed and restored: still hers to undo
        act(session_factory, team, kpis.undo_last, actor=LUIS, now=NOW + timedelta(minutes=3))
    assert refused.value.message_id == "kpi.nothing_to_undo"
    _, _, restored = act(session_factory, team, kpis.undo_last, actor=ANA, now=NOW + timedelta(minutes=4))
    assert restored is None
    with session_factory() as session:
        assert session.query(KpiValue).count() == 0


def test_values_keep_the_definition_in_force_when_they_were_recorded(session_factory, team):
    act(session_factory, team, glossary.propose, actor=ANA, draft=TermDraft("MQL", "Lead con demo"), now=NOW - timedelta(days=30))
    first = act(session_factory, team, glossary.find, query="MQL").pending
    act(session_factory, team, glossary.approve, version_id=first.id, actor=LUIS, now=NOW - timedelta(days=30))
    enable(session_factory, team)
    assert log(session_factory, team, "leads_mql", "10").definition_version == 1
    second = act(session_factory, team, glossary.propose, actor=ANA, draft=TermDraft("MQL", "Lead con demo y presupuesto"), now=NOW)
    act(session_factory, team, glossary.approve, version_id=second.version.id, actor=LUIS, now=NOW + timedelta(days=2))
    later = log(session_factory, team, "leads_mql", "8", MONDAY + timedelta(days=7), now=NOW + timedelta(days=7))
    assert later.definition_version == 2
    points = act(session_factory, team, kpis.series, key="leads_mql", periods=[Period.week_of(MONDAY), Period.week_of(MONDAY).next()])
    assert [p.definition_version for p in points] == [1, 2]


def test_one_primary_and_up_to_two_supporting(session_factory, team):
    enable(session_factory, team)
    act(session_factory, team, kpis.set_roles, role="primary", keys=["sales_cop"], actor=ANA, now=NOW)
    act(session_factory, team, kpis.set_roles, role="primary", keys=["orders"], actor=ANA, now=NOW)
    act(session_factory, team, kpis.set_roles, role="support", keys=["conversion_web", "cac"], actor=ANA, now=NOW)
    with pytest.raises(UserError) as refused:
        act(session_factory, team, kpis.set_roles, role="support", keys=["a", "b", "c"], actor=ANA, now=NOW)
    assert refused.value.message_id == "kpi.support_count"
    roles = {view.key: view.role for view in act(session_factory, team, kpis.catalog) if view.role}
    assert roles == {"orders": "primary", "conversion_web": "support", "cac": "support"}
