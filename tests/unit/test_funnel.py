"""The funnel arithmetic behind a sales goal (domain/funnel.py): exact decimals, both directions,
rates computed from other KPIs, zero and missing weeks, and realism by the SMART check's rule."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Context, Decimal as D, localcontext

import pytest

from domain.errors import UserError
from domain.funnel import Lever, Per, SalesGoal, WeekFigures, baseline, histories, parse_ask, plan, worth_of_points
from domain.kpis import Unit, rate
from domain.smart_criteria import check_text
from domain.smart_goal import Criterion, History, Verdict, judge_pace

MONDAY = date(2026, 11, 2)


def weeks(*rows: tuple[object, object, object]) -> list[WeekFigures]:
    """(sessions, conversion %, ticket) per week, consecutive Mondays; None is a figure not logged."""
    return [
        WeekFigures(MONDAY + timedelta(weeks=index), *(None if value is None else D(str(value)) for value in row))
        for index, row in enumerate(rows)
    ]


STEADY = weeks(*[(25000, "1.2", 100000)] * 4)  # 300 orders and 30 000 000 a week


# -- the baseline ------------------------------------------------------------------------------


def test_steady_weeks_give_their_own_figures():
    base = baseline(STEADY)
    assert (base.sessions, base.conversion, base.ticket) == (D(25000), D("1.2"), D(100000))
    assert (base.orders, base.sales) == (D(300), D(30000000))
    assert base.weeks == tuple(week.start for week in STEADY) and base.skipped == ()


def test_a_rate_of_two_kpis_is_pooled_not_averaged():
    """Conversion as orders ÷ sessions (a KPI of KPIs): 10/1000 and 60/3000 are 1 % and 2 %, but
    the two weeks together converted 70/4000 = 1,75 %; the ticket is weighted by orders."""
    conversions = [rate(D(10), D(1000), Unit.PERCENT), rate(D(60), D(3000), Unit.PERCENT)]
    base = baseline(weeks((1000, conversions[0], 100), (3000, conversions[1], 200)))
    assert base.conversion == D("1.75")
    assert base.orders == D(35)
    assert base.sales == D(10 * 100 + 60 * 200) / 2  # the mean of the weeks' sales, exactly


def test_a_week_without_sessions_counts_and_needs_no_conversion_or_ticket():
    base = baseline(weeks((0, None, None), (20000, "1.5", 100000)))
    assert base.sessions == D(10000) and base.conversion == D("1.5") and base.ticket == D(100000)
    assert len(base.weeks) == 2 and base.skipped == ()


@pytest.mark.parametrize(
    "rows, skipped",
    [
        ([(None, "1.2", 100000), (25000, "1.2", 100000)], [0]),  # sessions not logged
        ([(25000, None, 100000), (25000, "1.2", 100000)], [0]),  # conversion not logged
        ([(25000, "1.2", 100000), (25000, "1.2", None)], [1]),  # ticket not logged while it sold
    ],
)
def test_a_week_missing_a_figure_is_left_out_and_named(rows, skipped):
    figures = weeks(*rows)
    base = baseline(figures)
    assert base.skipped == tuple(figures[index].start for index in skipped)
    assert base.sales == D(30000000)


@pytest.mark.parametrize(
    "rows, message_id",
    [
        ([(None, None, None)] * 4, "whatif.no_weeks"),
        ([], "whatif.no_weeks"),
        ([(0, None, None)] * 3, "whatif.no_traffic"),
        ([(25000, "0", None)] * 3, "whatif.no_orders"),
    ],
)
def test_no_funnel_to_scale_says_why(rows, message_id):
    with pytest.raises(UserError) as raised:
        baseline(weeks(*rows))
    assert raised.value.message_id == message_id


# -- the four paths ----------------------------------------------------------------------------

WEEKLY_PATHS = [
    # goal, conversion %, sessions, ticket, orders needed (per week), today 1,2 % · 25 000 · 100 000
    (SalesGoal(D(15000000), increase=True, per=Per.WEEK), "1.8", 37500, 150000, 450),
    (SalesGoal(D(60000000), increase=False, per=Per.WEEK), "2.4", 50000, 200000, 600),
    (SalesGoal(D(15000000), increase=False, per=Per.WEEK), "0.6", 12500, 50000, 150),  # downwards
    (SalesGoal(D(10), increase=True, per=Per.WEEK, relative=True), "1.32", 27500, 110000, 330),
    (SalesGoal(D(50), increase=True, per=Per.MONTH, relative=True), "1.8", None, 150000, None),
]


@pytest.mark.parametrize("goal, conversion, sessions, ticket, orders", WEEKLY_PATHS)
def test_each_lever_alone_reaches_the_goal(goal, conversion, sessions, ticket, orders):
    result = plan(baseline(STEADY), goal)
    assert result.path(Lever.CONVERSION).needed == D(conversion)
    assert result.path(Lever.TICKET).needed == D(ticket)
    if sessions is not None:
        assert result.path(Lever.TRAFFIC).needed == D(sessions)
        assert result.path(Lever.ORDERS).needed == D(orders)
    base, scale = result.baseline, goal.per.weeks
    for path in result.paths:  # each lever alone, the others as today, sells the target
        with localcontext(Context(prec=60)):
            figures = {path.lever: path.needed}
            sold = (
                figures.get(Lever.TRAFFIC, base.sessions * scale)
                * figures.get(Lever.CONVERSION, base.conversion) / 100
                * figures.get(Lever.TICKET, base.ticket)
            ) if path.lever is not Lever.ORDERS else path.needed * base.ticket
            assert abs(sold - result.target) <= result.target * D("1e-50")


def test_a_month_holds_thirty_days_and_a_quarter_of_weeks():
    result = plan(baseline(weeks(*[(7000, "1.2", 100000)] * 4)), SalesGoal(D(0), increase=True, per=Per.MONTH))
    assert result.current == D(36525000)  # 7 000 × 30,4375 ÷ 7 = 30 437,5 sessions × 1,2 % × 100 000
    assert result.path(Lever.TRAFFIC).today == D("30437.5")
    assert result.path(Lever.CONVERSION).change == 0


def test_the_change_is_stated_in_points_and_times():
    path = plan(baseline(STEADY), SalesGoal(D(15000000), increase=True, per=Per.WEEK)).path(Lever.CONVERSION)
    assert (path.today, path.needed, path.change, path.ratio) == (D("1.2"), D("1.8"), D("0.6"), D("1.5"))


@pytest.mark.parametrize("points, per, worth", [("0.2", Per.WEEK, "5000000"), ("-0.1", Per.WEEK, "-2500000"), ("0.2", Per.MONTH, "21741071.43")])
def test_what_points_of_conversion_are_worth(points, per, worth):
    """25 000 sessions × 0,2 points × $100 000 = $5 000 000 a week; a month holds 30,4375 ÷ 7 weeks."""
    assert worth_of_points(baseline(STEADY), D(points), per).quantize(D("0.01")) == D(worth)


def test_a_negative_goal_is_refused():
    with pytest.raises(UserError) as raised:
        plan(baseline(STEADY), SalesGoal(D(-1), increase=True))
    assert raised.value.message_id == "whatif.negative_goal"


# -- realism -----------------------------------------------------------------------------------

# Half a year of a shop converting about 1,2 %: its fastest week-to-week move is 0,1 points.
HALF_YEAR = weeks(*[(7000, conversion, 100000) for conversion in ["1.2", "1.1", "1.2", "1.3", "1.2", "1.25"] * 3 + ["1.2"] * 8])


@pytest.mark.parametrize(
    "monthly_target, conversion, verdict",
    [
        (D(106531250), D("3.5"), Verdict.FAILED),  # 30 437,5 sessions × 3,5 % × 100 000
        (D(48700000), D("1.6"), Verdict.PASSED),  # × 1,6 %
    ],
)
def test_from_a_history_of_1_2_percent(monthly_target, conversion, verdict):
    base = baseline(HALF_YEAR[-4:])
    result = plan(base, SalesGoal(monthly_target, increase=False, per=Per.MONTH), histories(HALF_YEAR))
    path = result.path(Lever.CONVERSION)
    assert path.needed == conversion
    assert path.pace.fastest == D("0.1")
    assert path.pace.verdict is verdict


def test_unrealistic_says_how_many_times_faster_than_ever():
    result = plan(baseline(HALF_YEAR[-4:]), SalesGoal(D(106531250), increase=False), histories(HALF_YEAR))
    # (3,5 − 1,2) points in 30,4375 days is 0,529 points a week: 5,29 times its fastest week
    assert round(result.path(Lever.CONVERSION).pace.times_fastest, 2) == D("5.29")


def test_the_same_rule_as_the_smart_check():
    """A SMART goal asking the same move over the same days gets the same verdict."""
    points = [(week.start, week.conversion) for week in HALF_YEAR]
    today = HALF_YEAR[-1].start
    for target, verdict in (("3,5", Verdict.FAILED), ("1,6", Verdict.PASSED)):
        smart = check_text(f"Aumentar la conversión web de 1,2 % a {target} % en 30 días", today=today, history=points)
        assert smart[Criterion.ACHIEVABLE].verdict is verdict
        assert judge_pace(D(target.replace(",", ".")) - D("1.2"), 30, History.from_points(points)).verdict is verdict


def test_traffic_realism_compares_weekly_sessions():
    figures = weeks(*[(sessions, "1.2", 100000) for sessions in (10000, 10500, 10000, 10000)])
    result = plan(baseline(figures), SalesGoal(D(3000000), increase=True, per=Per.WEEK), histories(figures))
    traffic = result.path(Lever.TRAFFIC)
    assert traffic.needed - traffic.today == D(2500)  # 3 000 000 ÷ (1,2 % × 100 000)
    assert traffic.pace.required == D(2500) and traffic.pace.fastest == D(500)
    assert traffic.pace.verdict is Verdict.FAILED  # 5× its fastest week


def test_without_history_realism_is_unknown_and_a_lever_that_never_moved_fails():
    flat = weeks(*[(25000, "1.2", 100000)] * 6)
    unknown = plan(baseline(flat), SalesGoal(D(1), increase=True)).path(Lever.TICKET)
    assert unknown.pace.verdict is Verdict.UNKNOWN
    never = plan(baseline(flat), SalesGoal(D(1), increase=True), histories(flat)).path(Lever.TICKET)
    assert never.pace.verdict is Verdict.FAILED and never.pace.times_fastest is None
    reached = plan(baseline(flat), SalesGoal(D(0), increase=True), histories(flat)).path(Lever.TICKET)
    assert reached.pace.verdict is Verdict.PASSED


# -- reading the ask ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, language, amount, increase, per, relative, lever",
    [
        ("ventas +15 millones por mes con conversión", "es", 15000000, True, Per.MONTH, False, Lever.CONVERSION),
        ("ventas +15 millones por semana con tráfico", "es", 15000000, True, Per.WEEK, False, Lever.TRAFFIC),
        ("sales +15M per month by conversion", "en", 15000000, True, Per.MONTH, False, Lever.CONVERSION),
        ("sales 60M a week by ticket", "en", 60000000, False, Per.WEEK, False, Lever.TICKET),
        ("pedidos necesito para 60 millones?", "es", 60000000, False, Per.MONTH, False, Lever.ORDERS),
        ("ventas 60 millones", "es", 60000000, False, Per.MONTH, False, None),
        ("ventas 15 millones más al mes", "es", 15000000, True, Per.MONTH, False, None),
        ("ventas 45.000.000 COP", "es", 45000000, False, Per.MONTH, False, None),
        ("ventas +10 % semanal", "es", 10, True, Per.WEEK, True, None),
        ("pedidos con tráfico para 60 millones", "es", 60000000, False, Per.MONTH, False, Lever.TRAFFIC),
        ("pedidos más necesito para 60 millones?", "es", 60000000, False, Per.MONTH, False, Lever.ORDERS),
        ("sales 15M more a week", "en", 15000000, True, Per.WEEK, False, None),
        ("sales +15M per week by traffic", "en", 15000000, True, Per.WEEK, False, Lever.TRAFFIC),
        ("ventas +15 millones con ticket", "es", 15000000, True, Per.MONTH, False, Lever.TICKET),
        ("ventas +15 millones con pedidos", "es", 15000000, True, Per.MONTH, False, Lever.ORDERS),
        ("sales +15M by orders", "en", 15000000, True, Per.MONTH, False, Lever.ORDERS),
        # the English questions, read whole ("how" is the command's word, put back by the command)
        ("how many orders do I need for 60 million?", "en", 60000000, False, Per.MONTH, False, Lever.ORDERS),
        ("how many sales for 60M", "en", 60000000, False, Per.MONTH, False, Lever.ORDERS),
        ("how many more sales do I need for 15M more a week?", "en", 15000000, True, Per.WEEK, False, Lever.ORDERS),
        ("how much traffic do I need for 60M?", "en", 60000000, False, Per.MONTH, False, Lever.TRAFFIC),
        ("¿cuántas ventas necesito para 60 millones?", "es", 60000000, False, Per.MONTH, False, Lever.ORDERS),
        ("¿cuántas sesiones necesito para 60 millones por semana?", "es", 60000000, False, Per.WEEK, False, Lever.TRAFFIC),
        ("how many sales by conversion for 60M", "en", 60000000, False, Per.MONTH, False, Lever.CONVERSION),  # a lever named wins
    ],
)
def test_reading_the_ask(text, language, amount, increase, per, relative, lever):
    ask = parse_ask(text, language=language, country="CO")
    assert ask.goal == SalesGoal(D(amount), increase, per, relative)
    assert ask.lever is lever


@pytest.mark.parametrize(
    "text, language, weeks, amount, per",
    [
        ("ventas +15 millones por mes últimas 8 semanas", "es", 8, 15000000, Per.MONTH),
        ("ventas +15 millones con las 8 últimas semanas por semana", "es", 8, 15000000, Per.WEEK),
        ("ventas 60 millones por semana con las ultimas 12 semanas", "es", 12, 60000000, Per.WEEK),
        ("Últimas 6 semanas: ventas 60 millones", "es", 6, 60000000, Per.MONTH),  # the window's number is no amount
        ("sales +15M per month by ticket over the last 8 weeks", "en", 8, 15000000, Per.MONTH),
        ("sales 60M a week, past 3 weeks", "en", 3, 60000000, Per.WEEK),
        ("how many orders do I need for 60M? last 1 week", "en", 1, 60000000, Per.MONTH),
        ("ventas 60 millones", "es", None, 60000000, Per.MONTH),
        ("ventas 60 millones las últimas semanas", "es", None, 60000000, Per.MONTH),  # no count: the default
        ("sales 60M last 13 weeks", "en", 13, 60000000, Per.MONTH),  # a quarter: the longest
        ("ventas 60 millones últimas 0013 semanas", "es", 13, 60000000, Per.MONTH),
    ],
)
def test_the_weeks_asked_for(text, language, weeks, amount, per):
    ask = parse_ask(text, language=language, country="CO")
    assert (ask.weeks, ask.goal.amount, ask.goal.per) == (weeks, D(amount), per)


@pytest.mark.parametrize("text, weeks", [("ventas 60 millones últimas 14 semanas", "14"), ("sales 60M last 0 weeks", "0"),
                                         ("ventas 60M ultimas 0014 semanas", "0014"), ("sales 60M last " + "9" * 5000 + " weeks", "9" * 12 + "…")])  # fmt: skip
def test_weeks_out_of_range_are_refused_as_typed(text, weeks):
    with pytest.raises(UserError) as raised:
        parse_ask(text, language="es", country="CO")
    assert (raised.value.message_id, raised.value.params) == ("whatif.weeks_out_of_range", {"weeks": weeks, "limit": 13})


@pytest.mark.parametrize("text, value", [("ventas 60 millones últimas ocho semanas", "ocho"), ("sales 60M last 2.5 weeks", "2.5"),
                                         ("ventas 60 millones ultimas -3 semanas", "-3")])  # fmt: skip
def test_weeks_not_in_digits_say_how_to_type_them(text, value):
    with pytest.raises(UserError) as raised:
        parse_ask(text, language="es", country="CO")
    assert (raised.value.message_id, raised.value.params) == ("whatif.weeks_not_a_number", {"value": value, "limit": 13})


@pytest.mark.parametrize(
    "text, message_id",
    [
        ("ventas por mes", "whatif.usage"),
        ("ventas por mes últimas 8 semanas", "whatif.usage"),  # the only number is the window's
        ("", "whatif.usage"),
        ("ventas +15 millones USD", "whatif.not_money"),
        ("ventas 12 h", "whatif.not_money"),
        ("ventas 45,000", "numbers.ambiguous"),
    ],
)
def test_an_ask_that_cannot_be_read_says_what_to_type(text, message_id):
    with pytest.raises(UserError) as raised:
        parse_ask(text, language="es", country="CO")
    assert raised.value.message_id == message_id
