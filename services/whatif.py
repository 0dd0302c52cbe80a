"""What if: the funnel arithmetic behind a sales goal, on the team's own KPIs and weeks.

The domain (`domain.funnel`) does the arithmetic; this service finds what only the database
knows:

- **Which KPIs make the funnel.** The team's own: sessions (a count named sessions, traffic or
  visits), conversion (a percent: first a rate of orders ÷ sessions, then one named web
  conversion, then mobile, then WhatsApp), the average ticket (a money KPI named ticket or
  average order value; without one, sales ÷ orders, when the team tracks both). A missing one
  is a `UserError` that names it and the command to define or log it.
- **Which weeks.** The last complete weeks in the team's timezone (the week in progress has
  only part of its sessions): `DEFAULT_WEEKS` for the baseline, `HISTORY_WEEKS` for how fast
  each lever has moved. Both windows are returned, so every figure can name its weeks.
- **What each term means.** The glossary definition in force for the term each KPI measures
  (or a term named like the KPI), with its version number.

Read-only; `today` is the team's local date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Callable, Sequence

from sqlalchemy.orm import Session

from db.models import AlignmentTeam
from domain.commands import fold
from domain.funnel import DEFAULT_WEEKS, HISTORY_WEEKS, MAX_WEEKS, Ask, Plan, WeekFigures, baseline, histories, parse_ask, plan, worth_of_points
from domain.errors import UserError
from domain.kpis import DEFAULT_CURRENCY, Aggregation, Unit, rate
from domain.periods import Period
from services import glossary, kpis
from services.kpis import KpiView

# The week in brief prices a fifth of a point of conversion: a move a shop converting 1–3 % can
# make in a month, and big enough to be worth saying in money.
BRIEF_POINTS = Decimal("0.2")


@dataclass(frozen=True)
class FunnelKpis:
    """The team's KPIs behind each term; `ticket` None: the ticket is sales ÷ orders."""

    sessions: KpiView
    conversion: KpiView
    ticket: KpiView | None
    sales: KpiView | None
    orders: KpiView | None

    @property
    def currency(self) -> str:
        money = self.ticket or self.sales
        return money.spec.currency if money is not None else DEFAULT_CURRENCY

    def used(self) -> list[tuple[str, KpiView]]:
        """(role, KPI) of every KPI the arithmetic reads, in the formula's order."""
        roles = [("sessions", self.sessions), ("conversion", self.conversion)]
        roles += [("ticket", self.ticket)] if self.ticket else [("sales", self.sales), ("orders", self.orders)]
        return [(role, view) for role, view in roles if view is not None]


@dataclass(frozen=True)
class Definition:
    """The glossary definition in force for what a KPI of the funnel counts (None: none agreed)."""

    role: str
    kpi: KpiView
    term: str | None
    text: str | None
    version: int | None


@dataclass(frozen=True)
class WhatIf:
    ask: Ask
    plan: Plan
    kpis: FunnelKpis
    definitions: tuple[Definition, ...]
    history: tuple[date, date]  # first and last week start of the history window
    currency: str


def simulate(session: Session, *, team: AlignmentTeam, text: str, today: date, weeks: int = DEFAULT_WEEKS) -> WhatIf:
    """The paths to the goal typed in `text` ("ventas +15 millones por mes con conversión"),
    from the team's last complete weeks: as many as the text names ("últimas 8 semanas"), else
    `weeks`. Raises UserErrors for what cannot be read or is missing, each with what to type."""
    found = funnel_kpis(session, team=team)
    ask = parse_ask(text, language=team.locale, country=team.country, currency=found.currency)
    weeks = ask.weeks if ask.weeks is not None else weeks
    if not 1 <= weeks <= MAX_WEEKS:
        raise UserError("whatif.weeks_out_of_range", limit=MAX_WEEKS, weeks=weeks)
    window = _weeks(today, max(weeks, HISTORY_WEEKS))
    figures = weekly_figures(session, team=team, funnel=found, periods=window)
    recent = figures[-weeks:]
    _require_values(found, recent)
    result = plan(baseline(recent), ask.goal, histories(figures))
    definitions = tuple(_definitions(session, team, found))
    return WhatIf(ask, result, found, definitions, (window[0].start, window[-1].start), found.currency)


@dataclass(frozen=True)
class ConversionWorth:
    """What `points` more of conversion would have sold in `week` at that week's own traffic
    and ticket, with the figures it comes from (the week in brief quotes them)."""

    week: Period
    points: Decimal  # percent points of conversion
    worth: Decimal  # in `currency`
    sessions: Decimal
    conversion: Decimal  # percent points, as the week converted
    ticket: Decimal
    kpi: KpiView  # the conversion KPI the points are of
    currency: str


def conversion_worth(session: Session, *, team: AlignmentTeam, week: Period, points: Decimal = BRIEF_POINTS) -> ConversionWorth | None:
    """What `points` more of conversion would have sold in `week`, at its own traffic and
    ticket (the week in brief's "+0,2 points of conversion is worth $X"); None when the team
    has no funnel or the week lacks a figure, so a summary simply leaves the fact out."""
    try:
        found = funnel_kpis(session, team=team)
        base = baseline(weekly_figures(session, team=team, funnel=found, periods=[week]))
    except UserError:
        return None
    worth = worth_of_points(base, points)
    return ConversionWorth(week, points, worth, base.sessions, base.conversion, base.ticket, found.conversion, found.currency)


def _weeks(today: date, count: int) -> list[Period]:
    """The last `count` complete weeks before today's, oldest first."""
    last = Period.week_of(today).previous()
    periods = [last]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return list(reversed(periods))


# ---------------------------------------------------------------------------------------------
# The team's funnel


def _words(view: KpiView) -> str:
    return f" {fold(view.key.replace('_', ' '))} {fold(view.name)} "


def _named(views: Sequence[KpiView], stems: Sequence[str], keep: Callable[[KpiView], bool]) -> KpiView | None:
    """The first KPI (by the stems' order of preference) whose key or name holds a stem."""
    for stem in stems:
        for view in views:
            if keep(view) and stem in _words(view):
                return view
    return None


def _is(unit: Unit, *aggregations: Aggregation) -> Callable[[KpiView], bool]:
    return lambda view: view.spec.unit is unit and (not aggregations or view.spec.aggregation in aggregations)


def funnel_kpis(session: Session, *, team: AlignmentTeam) -> FunnelKpis:
    """The team's KPIs for each term of the funnel, or the UserError naming the first missing."""
    views = kpis.catalog(session, team=team)
    sessions = _named(views, (" session", " sesion", " trafico", " traffic", " visit"), _is(Unit.COUNT))
    orders = _named(views, (" order", " pedido", " orden", " compras"), _is(Unit.COUNT))
    sales = _named(views, (" sales", " venta", " revenue", " ingreso"), _is(Unit.CURRENCY, Aggregation.SUM))
    # The starter set's ticket is avg_deal ("Average deal size" in English): found by its key too.
    ticket = _named(views, (" ticket", " aov ", " average order", " valor promedio", " avg deal", " average deal"),
                    _is(Unit.CURRENCY, Aggregation.AVERAGE, Aggregation.LAST))  # fmt: skip
    conversion = _conversion(views, sessions, orders)
    if sessions is None:
        raise UserError("whatif.missing_sessions")
    if conversion is None:
        raise UserError("whatif.missing_conversion", sessions=sessions.key, orders=orders.key if orders else "orders")
    if ticket is None and (sales is None or orders is None):
        raise UserError("whatif.missing_ticket", missing=" + ".join(name for name, view in (("sales", sales), ("orders", orders)) if view is None))
    return FunnelKpis(sessions, conversion, ticket, sales, orders)


def _conversion(views: Sequence[KpiView], sessions: KpiView | None, orders: KpiView | None) -> KpiView | None:
    """A rate of orders ÷ sessions first (it is the funnel's own), then web, mobile, WhatsApp."""
    percent = [view for view in views if view.spec.unit is Unit.PERCENT and " lead" not in _words(view)]
    for view in percent:
        if view.spec.aggregation is Aggregation.RATE and sessions and orders:
            if (view.spec.numerator, view.spec.denominator) == (orders.key, sessions.key):
                return view
    converting = [view for view in percent if " conver" in _words(view) or " close rate" in _words(view) or " cierre" in _words(view)]
    return _named(converting, (" web", " mobile", " movil", " whatsapp"), lambda view: True) or (converting[0] if converting else None)


# ---------------------------------------------------------------------------------------------
# Weekly figures


def weekly_figures(session: Session, *, team: AlignmentTeam, funnel: FunnelKpis, periods: Sequence[Period]) -> list[WeekFigures]:
    """One `WeekFigures` per period from the KPIs' weekly values (a ticket from sales ÷ orders
    when the team has no ticket KPI)."""
    def values(view: KpiView | None) -> list[Decimal | None]:
        if view is None:
            return [None] * len(periods)
        return [point.value for point in kpis.series(session, team=team, key=view.key, periods=periods)]

    sessions, conversion = values(funnel.sessions), values(funnel.conversion)
    if funnel.ticket is not None:
        tickets = values(funnel.ticket)
    else:
        tickets = [rate(sold, count, Unit.CURRENCY) for sold, count in zip(values(funnel.sales), values(funnel.orders))]
    return [WeekFigures(period.start, *figures) for period, figures in zip(periods, zip(sessions, conversion, tickets))]


def _require_values(found: FunnelKpis, recent: Sequence[WeekFigures]) -> None:
    """A KPI with no value in the whole window is named, with the command to log it."""
    checks = [(found.sessions, lambda week: week.sessions), (found.conversion, lambda week: week.conversion)]
    if found.ticket is not None:
        checks.append((found.ticket, lambda week: week.ticket))
    for view, read in checks:
        if all(read(week) is None for week in recent):
            raise UserError("whatif.no_values", key=view.key, weeks=len(recent))


# ---------------------------------------------------------------------------------------------
# The glossary


def _definitions(session: Session, team: AlignmentTeam, found: FunnelKpis) -> list[Definition]:
    terms = {}
    for term in glossary.listing(session, team=team):
        if term.in_force is not None:
            for word in (term.name, *term.in_force.draft.aliases):
                terms.setdefault(fold(word), term)
    definitions = []
    for role, view in found.used():
        term = terms.get(fold(view.term)) if view.term else terms.get(fold(view.name)) or terms.get(fold(view.key))
        if term is None:
            definitions.append(Definition(role, view, None, None, None))
        else:
            definitions.append(Definition(role, view, term.name, term.in_force.draft.definition, term.in_force.number))
    return definitions
