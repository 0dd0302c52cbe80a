"""A key result on a KPI starts from the KPI's latest logged value when its line types none, on
real SQLite and PostgreSQL: the last complete week (or month, for a KPI logged by month) in the
team's timezone, a week in progress only when nothing complete has a value and never for a sum,
and a refusal that says how to log a value when there is none. Time is a parameter."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.errors import UserError
from domain.periods import Period, local_date
from services import kpis, okr
from tests.integration.test_okr_service import ANA, LUIS, ROSA, new_objective

BOGOTA = ZoneInfo("America/Bogota")
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=BOGOTA)  # Sunday: ISO week 2026-W49 is still in progress
TODAY = NOW.date()

# The OKR service tests' team (starter KPIs, Rosa its admin), set up in March.
pytestmark = pytest.mark.team(now=datetime(2026, 3, 2, 10, 0, tzinfo=BOGOTA), marketing=ANA, sales=LUIS, admin=ROSA, starter_kpis=True)

WEEK_48, WEEK_49 = Period.iso_week(2026, 48), Period.iso_week(2026, 49)


def log(factory, team, key, value, period):
    with factory.begin() as session:
        kpis.record(session, team=team(session), key=key, value=Decimal(value), shown=value, period=period,
                    source="slack", actor=LUIS, note="", now=NOW)  # fmt: skip


def add(factory, team, line, today=TODAY):
    objective_id, _ = new_objective(factory, team)
    with factory.begin() as session:
        t = team(session)
        parsed = okr.read_key_result_line(session, team=t, text=line, today=today)
        added = okr.add_key_result(session, team=t, actor=ANA, objective_id=objective_id, draft=parsed.key_result,
                                   now=NOW, logged_baseline=parsed.logged_baseline)  # fmt: skip
    return parsed, added


def refusal(factory, team, line):
    objective_id, _ = new_objective(factory, team)
    with pytest.raises(UserError) as raised, factory.begin() as session:
        okr.read_key_result_line(session, team=team(session), text=line, today=TODAY)
    return raised.value


@pytest.mark.parametrize(
    "line, target",
    [
        ("aumentar whatsapp_close_rate en 25 % al 10/01/2027 dueño <@U0LUIS>", Decimal(15)),  # relative: 12 % + 25 %
        ("whatsapp_close_rate a 15 % al 10/01/2027 dueño <@U0LUIS>", Decimal(15)),  # the target alone
    ],
)
def test_a_kr_without_a_starting_point_starts_from_the_last_complete_weeks_value(session_factory, team, line, target):
    log(session_factory, team, "whatsapp_close_rate", "9", Period.iso_week(2026, 46))
    log(session_factory, team, "whatsapp_close_rate", "12", WEEK_48)
    parsed, added = add(session_factory, team, line)
    assert (parsed.key_result.baseline, parsed.key_result.target) == (Decimal(12), target)
    assert parsed.logged_baseline == okr.LoggedValue(Decimal(12), WEEK_48)
    assert added.logged_baseline == parsed.logged_baseline
    assert added.key_result.result.baseline == Decimal(12) and added.key_result.result.kpi_key == "whatsapp_close_rate"


def test_a_typed_starting_point_wins_over_the_logged_value(session_factory, team):
    log(session_factory, team, "whatsapp_close_rate", "12", WEEK_48)
    parsed, _ = add(session_factory, team, "whatsapp_close_rate de 20 % a 25 % al 10/01/2027 dueño <@U0LUIS>")
    assert parsed.key_result.baseline == Decimal(20) and parsed.logged_baseline is None


def test_the_week_in_progress_counts_only_when_no_complete_week_has_a_value(session_factory, team):
    log(session_factory, team, "whatsapp_close_rate", "14", Period.day(TODAY))  # logged today, week 49 in progress
    parsed, _ = add(session_factory, team, "aumentar whatsapp_close_rate en 25 % al 10/01/2027 dueño <@U0LUIS>")
    assert parsed.logged_baseline == okr.LoggedValue(Decimal(14), WEEK_49)
    log(session_factory, team, "whatsapp_close_rate", "12", WEEK_48)  # now a complete week has one: it wins
    parsed, _ = add(session_factory, team, "aumentar whatsapp_close_rate en 25 % al 10/01/2027 dueño <@U0LUIS>")
    assert parsed.logged_baseline == okr.LoggedValue(Decimal(12), WEEK_48)


def test_the_teams_local_day_decides_which_week_is_complete(session_factory, team):
    """Sunday 6 December 20:00 in Bogotá is Monday in UTC: week 49 is not complete for the team."""
    log(session_factory, team, "whatsapp_close_rate", "12", WEEK_48)
    log(session_factory, team, "whatsapp_close_rate", "13", WEEK_49)
    evening = datetime(2026, 12, 6, 20, 0, tzinfo=BOGOTA)
    assert local_date(evening, "America/Bogota") == TODAY and evening.astimezone(ZoneInfo("UTC")).date() == date(2026, 12, 7)
    with session_factory() as session:
        spec = kpis.spec_of(next(k for k in kpis.active_kpis(session, team=team(session)) if k.key == "whatsapp_close_rate"))
        local = okr.latest_logged(session, team=team(session), spec=spec, today=local_date(evening, "America/Bogota"))
        in_utc = okr.latest_logged(session, team=team(session), spec=spec, today=date(2026, 12, 7))
    assert local == okr.LoggedValue(Decimal(12), WEEK_48)
    assert in_utc == okr.LoggedValue(Decimal(13), WEEK_49)


def test_a_kpi_logged_by_month_starts_from_the_last_complete_month(session_factory, team):
    log(session_factory, team, "repurchase_60d", "18", Period.month(2026, 10))
    log(session_factory, team, "repurchase_60d", "19.5", Period.month(2026, 11))
    parsed, _ = add(session_factory, team, "repurchase_60d a 24 % al 30/06/2027 dueño <@U0ANA>")
    assert parsed.logged_baseline == okr.LoggedValue(Decimal("19.5"), Period.month(2026, 11))


def test_a_rate_starts_from_its_parts_last_complete_week(session_factory, team):
    log(session_factory, team, "orders", "30", WEEK_48)
    log(session_factory, team, "sessions", "2000", WEEK_48)
    parsed, _ = add(session_factory, team, "conversion_web a 2 % al 31/03/2027 dueño <@U0ANA>")
    assert parsed.logged_baseline == okr.LoggedValue(Decimal("1.5"), WEEK_48)


def test_a_sum_never_starts_from_half_a_week(session_factory, team):
    log(session_factory, team, "leads_mql", "40", Period.day(TODAY))  # only the week in progress
    error = refusal(session_factory, team, "aumentar leads_mql en 25 % al 31/03/2027 dueño <@U0ANA>")
    assert error.message_id == "okr.kpi_nothing_logged" and error.params["key"] == "leads_mql"


def test_with_nothing_logged_the_refusal_says_how_to_log_a_value(session_factory, team):
    error = refusal(session_factory, team, "aumentar whatsapp_close_rate en 25 % al 10/01/2027 dueño <@U0LUIS>")
    assert error.message_id == "okr.kpi_nothing_logged"
    assert error.params["example_deadline"] == "31/03/2027"  # the end of the next quarter, from today
    rate = refusal(session_factory, team, "conversion_web a 2 % al 31/03/2027 dueño <@U0ANA>")
    assert rate.message_id == "okr.kpi_nothing_logged_rate"
    assert (rate.params["numerator"], rate.params["denominator"]) == ("orders", "sessions")
