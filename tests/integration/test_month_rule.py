"""One rule for every monthly figure, on real SQLite and PostgreSQL: a week counts in the month
holding its Thursday. The week of 30 Nov–6 Dec 2026 is December's in the KPI values, the SLA
attainment, the breaches and the key-result readings of the monthly agenda; the week of 26 Oct–
1 Nov is October's. Values are logged week by week and the SLA evaluated as each week closes,
as the scheduler would; time is a parameter."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.meetings import AgendaKind
from domain.okr import parse_objective
from domain.okr_checkin_line import parse_checkin
from domain.periods import Period, month_counted_in, weeks_of_month
from domain.sla import parse_commitment
from services import agenda_facts, agendas, breach_evaluation, kpis, okr, sla, sla_breaches
from tests.support.teams import act

BOGOTA = ZoneInfo("America/Bogota")
ANA, LUIS, ROSA = "U0ANA", "U0LUIS", "U0ROSA"
CREATED = datetime(2026, 10, 1, 8, 0, tzinfo=BOGOTA)
NOVEMBER, DECEMBER = Period.month(2026, 11), Period.month(2026, 12)
W44, W45, W46, W47, W48, W49, W50 = (Period.iso_week(2026, week) for week in range(44, 51))
# leads_mql (SLA: at least 100 a week) and avg_deal (read by a key result), week by week.
LEADS = {W44: 80, W45: 120, W46: 110, W47: 130, W48: 90, W49: 70, W50: 150}
DEALS = {W48: 120000, W49: 150000}
CHECKINS = {date(2026, 11, 27): 240, date(2026, 12, 1): 260}  # a manual key result's check-ins, Friday before and Tuesday after

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True),
    # A Bogotá team with the starter KPIs, set up in January.
    pytest.mark.team(now=datetime(2026, 1, 5, 8, 0, tzinfo=BOGOTA), marketing=ANA, sales=LUIS, admin=ROSA, starter_kpis=True),
]


def local(day: date, hour=0, minute=15) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BOGOTA)


def a_month_of_weeks(factory, team) -> None:
    """An SLA accepted in October, a key result on the average deal, then each week's values
    logged as the week goes and the SLA evaluated when it closes (Monday 00:15)."""
    proposal = act(factory, team, sla.propose, actor=ANA, terms=parse_commitment("mercadeo leads_mql >= 100 semanal"), now=local(date(2026, 10, 20), 9))
    assert act(factory, team, sla.accept, version_id=proposal.version.id, actor=LUIS, now=local(date(2026, 10, 20), 10)).active
    with factory.begin() as session:
        objective = okr.create_objective(session, team=team(session), actor=ANA, draft=parse_objective("Subir el ticket"), now=CREATED)
        draft = okr.parse_key_result_line(session, team=team(session), text="avg_deal de 100.000 a 200.000 COP entre el 01/10/2026 y el 31/12/2026 dueño <@U0LUIS>",
                                          today=date(2026, 10, 1))  # fmt: skip
        okr.add_key_result(session, team=team(session), actor=ANA, objective_id=objective.id, draft=draft, now=CREATED)
        manual = okr.parse_key_result_line(session, team=team(session), text="clientes con recompra de 200 a 300 al 31/12/2026 dueño <@U0LUIS>",
                                           today=date(2026, 10, 1))  # fmt: skip
        okr.add_key_result(session, team=team(session), actor=ANA, objective_id=objective.id, draft=manual, now=CREATED)
    for day, value in CHECKINS.items():  # KR2 is checked in by hand
        act(factory, team, okr.check_in, actor=LUIS, checkin=parse_checkin(f"KR2 {value} confianza 7"), now=local(day, 11))
    for week in sorted(LEADS):
        for key, values in (("leads_mql", LEADS), ("avg_deal", DEALS)):
            if week in values:
                act(factory, team, kpis.record, key=key, value=Decimal(values[week]), shown=str(values[week]), period=week, source="slack",
                    actor=LUIS, note="", now=local(week.start, 9))  # fmt: skip
        act(factory, team, breach_evaluation.evaluate, now=local(week.end))


def monthly_facts(factory, team, meeting_day: date):
    with factory() as session:
        meeting = agendas.meeting_of_period(team(session), AgendaKind.MONTHLY, local(meeting_day, 9))
        return agenda_facts.monthly(session, team=team(session), occurrence=meeting, now=meeting.post_at)


def test_the_week_across_two_months_counts_in_the_month_of_its_thursday_everywhere(session_factory, team):
    a_month_of_weeks(session_factory, team)
    assert weeks_of_month(NOVEMBER) == [W45, W46, W47, W48] and weeks_of_month(DECEMBER)[0] == W49
    assert month_counted_in(W49) == DECEMBER and month_counted_in(W44) == Period.month(2026, 10)

    # KPI values: November is weeks 45–48, December starts with the week of 30 November.
    with session_factory() as session:
        leads = kpis.series(session, team=team(session), key="leads_mql", periods=[NOVEMBER, DECEMBER])
    assert [point.value for point in leads] == [Decimal(120 + 110 + 130 + 90), Decimal(70 + 150)]

    november = monthly_facts(session_factory, team, date(2026, 12, 1))  # first Tuesday of December: reports November
    assert november.reported == NOVEMBER
    (commitment,) = november.sla
    assert commitment.attainment == (3, 4)  # weeks 45–48: the week of 30 November is not November's
    assert [outcome.value for outcome in commitment.outcomes] == [Decimal(LEADS[week]) for week in (W45, W46, W47, W48)]
    # Breaches, all resolved by a met week since: week 44's is October's, week 49's December's.
    assert {view.period for view in november.breaches} == {W48}
    # The key result reads the average deal as of November's close (its last week, 23–29 Nov), not December's first week.
    (objective,) = november.okr.objectives
    result, manual = objective.key_results
    assert result.current.value == Decimal(DEALS[W48]) and result.current.at == W48.start
    assert manual.current.value == Decimal(240)  # the check-in of Tuesday 1 December is not November's
    assert november.okr.today == date(2026, 11, 29)
    (leads_fact,) = [fact for fact in november.kpis if fact.key == "leads_mql"]
    assert leads_fact.change.value == Decimal(450) and leads_fact.change.period == NOVEMBER


def test_december_takes_the_week_of_30_november(session_factory, team):
    a_month_of_weeks(session_factory, team)
    with session_factory.begin() as session:  # week 50 met the SLA: weeks 48 and 49's breaches are resolved by now
        ended = {view.period: view.status for view in sla_breaches.breaches_for_month(session, team=team(session), month=DECEMBER)}
    assert set(ended) == {W49}  # week 48's resolved breach is November's, week 44's October's
    with session_factory.begin() as session:
        assert {view.period for view in sla_breaches.breaches_for_month(session, team=team(session), month=NOVEMBER)} == {W48}
    december = monthly_facts(session_factory, team, date(2027, 1, 5))  # first Tuesday of January 2027
    (commitment,) = december.sla
    assert commitment.attainment == (1, 2)  # weeks 49 (70, breached) and 50 (150, met)
    result, manual = december.okr.objectives[0].key_results
    assert result.current.value == Decimal(DEALS[W49]) and manual.current.value == Decimal(260)
    assert december.okr.today == date(2027, 1, 3)  # December's last week, 28 Dec–3 Jan, is December's
    (leads_fact,) = [fact for fact in december.kpis if fact.key == "leads_mql"]
    assert leads_fact.change.value == Decimal(220) and leads_fact.change.previous == Decimal(450)
    assert december.reported == DECEMBER and timedelta(0) < december.occurrence.meeting_at - december.occurrence.post_at
