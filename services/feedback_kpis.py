"""Customer feedback as KPIs: NPS, CSAT, complaints, and complaints per theme, week by week and
month by month, so SLAs, key results, alerts, charts and agendas use them like any other KPI.

The values are computed here from the stored feedback (never typed): each week's and each
month's figure from the items received in it, in the team's timezone, and written as that
period's whole value with the source `feedback` (a month is counted from its own items, not
from its weeks: NPS and CSAT do not add up). A KPI is added to the team's catalog the first time
it has a figure; a KPI of the same key the team made itself is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol, Sequence

from sqlalchemy import select

from db.models import AlignmentTeam, FeedbackItem, FeedbackTag, FeedbackTheme, Kpi
from domain.feedback import CountedItem, PeriodFigures, period_figures
from domain.kpis import KEY_PATTERN, Aggregation, Direction, KpiSpec, Unit
from domain.locales import normalize_locale
from domain.periods import MONTH, WEEK, Period, period_bounds_utc, period_of
from services import kpis

SOURCE = "feedback"
ACTOR = "feedback"  # who created the derived KPIs and wrote their values
NPS, CSAT, COMPLAINTS = "nps", "csat", "complaints"
THEME_PREFIX = "complaints_"


@dataclass(frozen=True)
class PeriodRefresh:
    period: Period
    figures: PeriodFigures
    values: dict[str, Decimal]  # KPI key -> value written


def nps_spec() -> KpiSpec:
    return KpiSpec(NPS, "NPS (Net Promoter Score)", "NPS (Net Promoter Score)", unit=Unit.RATIO, aggregation=Aggregation.LAST,
                   side="both", allow_negative=True)  # fmt: skip


def csat_spec() -> KpiSpec:
    return KpiSpec(CSAT, "CSAT (clientes satisfechos, nota 8 a 10)", "CSAT (satisfied customers, scores 8 to 10)",
                   unit=Unit.PERCENT, aggregation=Aggregation.LAST, side="both")  # fmt: skip


def complaints_spec() -> KpiSpec:
    return KpiSpec(COMPLAINTS, "Quejas de clientes", "Customer complaints", unit=Unit.COUNT, aggregation=Aggregation.SUM,
                   direction=Direction.LOWER, side="both")  # fmt: skip


def theme_kpi_key(theme: ThemeLike) -> str:
    """`complaints_response_time`; a theme whose key is not a KPI key's letters gets its id."""
    key = re.sub(r"[^a-z0-9_]", "", theme.key.lower())
    candidate = (THEME_PREFIX + key)[:40]
    return candidate if key and KEY_PATTERN.fullmatch(candidate) else f"{THEME_PREFIX}theme{theme.id}"


def theme_spec(theme: ThemeLike) -> KpiSpec:
    return KpiSpec(theme_kpi_key(theme), f"Quejas: {theme.name}", f"Complaints: {theme.name}", unit=Unit.COUNT,
                   aggregation=Aggregation.SUM, direction=Direction.LOWER, side="both")  # fmt: skip


def periods_of(team: AlignmentTeam, moment: datetime) -> tuple[Period, Period]:
    """The week and the month `moment` falls in, in the team's timezone."""
    return period_of(moment, WEEK, team.timezone), period_of(moment, MONTH, team.timezone)


def figures(session, *, team: AlignmentTeam, period: Period) -> PeriodFigures:
    return period_figures(counted_items(session, team=team, period=period))


def counted_items(session, *, team: AlignmentTeam, period: Period) -> list[CountedItem]:
    start, end = period_bounds_utc(period, team.timezone)
    rows = session.execute(
        select(FeedbackItem.id, FeedbackItem.text, FeedbackItem.score).where(
            FeedbackItem.workspace_id == team.workspace_id, FeedbackItem.team_id == team.id,
            FeedbackItem.received_at >= start, FeedbackItem.received_at < end,
        ).order_by(FeedbackItem.id)
    ).all()  # fmt: skip
    tags: dict[int, list[str]] = {}
    if rows:
        found = session.execute(
            select(FeedbackTag.item_id, FeedbackTheme.key).join(FeedbackTheme, FeedbackTheme.id == FeedbackTag.theme_id)
            .where(FeedbackTag.item_id.in_([row.id for row in rows]), FeedbackTheme.archived_at.is_(None))
        )  # fmt: skip
        for item_id, key in found:
            tags.setdefault(item_id, []).append(key)
    return [CountedItem(row.text, row.score, tuple(tags.get(row.id, ()))) for row in rows]


class ThemeLike(Protocol):
    id: int
    key: str
    name: str


def refresh(session, *, team: AlignmentTeam, periods: Sequence[Period], themes: Sequence[ThemeLike], now: datetime) -> list[PeriodRefresh]:
    """Writes each period's NPS, CSAT, complaints and complaints per theme (of the team's active
    `themes`) from its feedback. A resend of the same figure changes nothing (kpis.record); a
    changed one is corrected and audited."""
    active = themes
    return [_refresh_period(session, team, period, active, now) for period in periods]


def _refresh_period(session, team: AlignmentTeam, period: Period, active: Sequence[ThemeLike], now: datetime) -> PeriodRefresh:
    found = figures(session, team=team, period=period)
    wanted: list[tuple[KpiSpec, Decimal | None]] = [
        (nps_spec(), found.scores.nps), (csat_spec(), found.scores.csat),
        (complaints_spec(), Decimal(found.complaints) if found.items else None),
    ]  # fmt: skip
    for theme in active:
        count = found.complaints_by_theme.get(theme.key, 0)
        wanted.append((theme_spec(theme), Decimal(count) if count or _exists(session, team, theme_kpi_key(theme)) else None))
    written: dict[str, Decimal] = {}
    for spec, value in wanted:
        if value is None or not _ensure(session, team, spec, now):
            continue
        kpis.record(session, team=team, key=spec.key, value=value, shown=str(value), period=period, source=SOURCE,
                    actor=ACTOR, note="", now=now)  # fmt: skip
        written[spec.key] = value
    return PeriodRefresh(period, found, written)


def _exists(session, team: AlignmentTeam, key: str) -> bool:
    return _kpi_row(session, team, key) is not None


def _kpi_row(session, team: AlignmentTeam, key: str) -> Kpi | None:
    return session.scalars(
        select(Kpi).where(Kpi.workspace_id == team.workspace_id, Kpi.team_id == team.id, Kpi.key == key, Kpi.archived_at.is_(None))
    ).one_or_none()


def _ensure(session, team: AlignmentTeam, spec: KpiSpec, now: datetime) -> bool:
    """True when the KPI is ours to write: added now, or added by feedback before. A KPI of this
    key the team created itself is left alone (its unit or meaning may differ)."""
    row = _kpi_row(session, team, spec.key)
    if row is None:
        kpis.add_derived(session, team=team, spec=spec, actor=ACTOR, now=now, language=normalize_locale(team.locale) or "es")
        return True
    return row.created_by == ACTOR


# An objective proposed from a theme ---------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeProposal:
    """A key result on a theme's complaints: from last month's count to half of it (rounded down,
    at least one fewer), by the end of the third month from now. Only a proposal: the person
    reviews it in the objective form, where the SMART check judges it against the KPI's history."""

    kpi_key: str
    baseline: int
    target: int
    deadline: date
    month: Period  # the month the baseline is from


def propose(session, *, team: AlignmentTeam, theme: ThemeLike, today: date) -> ThemeProposal | None:
    """None when the theme had no complaints in the last complete month (nothing to reduce)."""
    key = theme_kpi_key(theme)
    if not _exists(session, team, key):
        return None
    month = Period.month_of(today).previous()
    [point] = kpis.series(session, team=team, key=key, periods=[month])
    baseline = int(point.value or 0)
    if baseline <= 0:
        return None
    deadline = Period.month_of(today).next().next().next().start - timedelta(days=1)
    return ThemeProposal(key, baseline, min(baseline // 2, baseline - 1), deadline, month)
