"""SMART checks of a goal typed in free text, against the team's own catalog and history.

The domain (`domain.smart_reading`, `domain.smart_criteria`) reads and grades the goal; this
service gives it what only the database knows:

- **Relevant and Specific:** the keys and names of the team's KPIs (a starter KPI by its
  Spanish and English names, so "web conversion" links in a Spanish team too) and the agreed
  glossary terms with their aliases.
- **Achievable:** when the goal's metric is one of the team's KPIs (named directly, or through
  the glossary term the KPI counts), that KPI's weekly values over the last 26 weeks. A
  summed KPI leaves out the week in progress: half a week's sales would look like a collapse.
  A goal written in another unit than its KPI's ("del 12 % al 7 %" on a count) gets no history:
  the two would not compare.
- **Numbers** are read and written the team's way (language and country), and "$" as the
  KPI's currency.

Which KPI a goal is about is the domain's decision (the name its Relevant finding links to), so
the two can never disagree. Read-only; `today` is the team's local date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from db.models import AlignmentTeam
from domain.errors import UserError
from domain.kpis import DEFAULT_CURRENCY, Aggregation, Unit, template
from domain.number_style import HOURS, PERCENT
from domain.periods import Period
from domain.smart_criteria import HasGoal, check_goal, check_key_result as check_structured
from domain.smart_goal import Criterion, Goal, SmartCheck, Verdict
from domain.smart_reading import parse_goal
from services import glossary, kpis
from services.kpis import KpiView

HISTORY_WEEKS = 26


@dataclass(frozen=True)
class _Catalog:
    """The names the domain may link a goal to, and which KPI each name stands for."""

    kpi_names: tuple[str, ...]
    terms: tuple[str, ...]
    kpi_by_name: dict[str, KpiView]


def check(session: Session, *, team: AlignmentTeam, text: str, today: date) -> SmartCheck:
    """The five findings for `text`, with the team's names, terms and, when the goal is about
    one of its KPIs, that KPI's history. Raises the domain's UserErrors for an empty goal, an
    ambiguous number or two units."""
    language, country = team.locale, team.country
    known = _catalog(session, team)
    names = {"kpi_names": known.kpi_names, "terms": known.terms}
    goal = parse_goal(text, today=today, language=language, country=country, currency=DEFAULT_CURRENCY)
    kpi = _kpi_of(check_goal(goal, today=today, language=language, country=country, **names), known)
    currency = _currency_of(kpi)
    if currency != DEFAULT_CURRENCY:  # "$" is the KPI's currency: read the numbers again with it
        goal = parse_goal(text, today=today, language=language, country=country, currency=currency)
    history = _history(session, team, kpi, goal, today) if kpi is not None else None
    return check_goal(goal, today=today, history=history, language=language, country=country, currency=currency, **names)


def check_key_result(session: Session, *, team: AlignmentTeam, key_result: HasGoal, today: date) -> SmartCheck:
    """The checklist of a structured key result, with its KPI's history when it reads one."""
    known = _catalog(session, team)
    goal = key_result.as_goal()
    kpi = known.kpi_by_name.get(goal.kpi_key or "") or known.kpi_by_name.get(goal.metric)
    currency = _currency_of(kpi)
    history = _history(session, team, kpi, goal, today) if kpi is not None else None
    return check_structured(
        key_result, today=today, history=history, kpi_names=known.kpi_names, terms=known.terms,
        language=team.locale, country=team.country, currency=currency,
    )  # fmt: skip


def _catalog(session: Session, team: AlignmentTeam) -> _Catalog:
    kpi_names: list[str] = []
    kpi_by_name: dict[str, KpiView] = {}
    term_kpis: dict[str, list[KpiView]] = {}
    for view in kpis.catalog(session, team=team):
        for name in (view.key, view.name, *_starter_names(view)):
            kpi_names.append(name)
            kpi_by_name.setdefault(name, view)
        if view.term:
            term_kpis.setdefault(view.term, []).append(view)
    terms: list[str] = []
    for term in glossary.listing(session, team=team):
        if term.in_force is None:  # a proposal nobody agreed yet defines nothing
            continue
        words = (term.name, *term.in_force.draft.aliases)
        terms += words
        counted = term_kpis.get(term.name, [])
        if len(counted) == 1:  # the term is measured by exactly one KPI: its history is the term's
            for word in words:
                kpi_by_name.setdefault(word, counted[0])
    return _Catalog(tuple(dict.fromkeys(kpi_names)), tuple(dict.fromkeys(terms)), kpi_by_name)


def _starter_names(view: KpiView) -> tuple[str, ...]:
    """Both languages' names of a starter KPI (a custom KPI that happens to share a starter's key,
    under another name, keeps only its own)."""
    starter = template(view.key)
    if starter is None or view.name not in (starter.name_es, starter.name_en):
        return ()
    return (starter.name_es, starter.name_en)


def _kpi_of(first: SmartCheck, known: _Catalog) -> KpiView | None:
    """The KPI the domain linked the goal to, if its link is a KPI (or a term one KPI counts)."""
    relevant = first[Criterion.RELEVANT]
    if relevant.verdict is not Verdict.PASSED:
        return None
    return known.kpi_by_name.get(relevant.params.get("name", ""))


def _currency_of(kpi: KpiView | None) -> str:
    if kpi is not None and kpi.spec.unit is Unit.CURRENCY:
        return kpi.spec.currency
    return DEFAULT_CURRENCY


def _unit_of(view: KpiView) -> str | None:
    """The unit a value of the KPI is written with, as `parse_goal` reports units."""
    return {Unit.PERCENT: PERCENT, Unit.HOURS: HOURS, Unit.CURRENCY: view.spec.currency}.get(view.spec.unit)


def _history(session: Session, team: AlignmentTeam, view: KpiView, goal: Goal, today: date) -> list[tuple[date, Decimal]] | None:
    """(week start, value) for the weeks that have one, oldest first; None when the goal's unit
    is not the KPI's (no history beats a misleading one)."""
    if goal.unit is not None and goal.unit != _unit_of(view):
        return None
    last = Period.week_of(today)
    if view.spec.aggregation is Aggregation.SUM:
        last = last.previous()  # the week in progress has only part of its sum
    weeks = [last]
    while len(weeks) < HISTORY_WEEKS:
        weeks.append(weeks[-1].previous())
    try:
        points = kpis.series(session, team=team, key=view.key, periods=list(reversed(weeks)))
    except UserError:  # a rate whose parts were archived: nothing to compare with
        return None
    return [(point.period.start, point.value) for point in points if point.value is not None]
