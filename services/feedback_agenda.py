"""The voice of the customer in the meetings: what the weekly agenda says in one line (the themes
that moved most against the week before) and the monthly agenda's section (the three themes with
most complaints, their trend, two short quotes, NPS and CSAT against their targets).

Self-contained on purpose: `weekly_moves` and `monthly_voice` take a session, the team and the
period, and return plain facts that `bot/blocks/feedback_agenda.py` renders, whatever the
agenda's layout. Nothing here writes (themes are read, never seeded), so it runs in the
agenda's read-only transaction. Quotes come from stored text, whose personal data was removed
at intake."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import select

from db.models import AlignmentTeam, FeedbackTheme
from domain.feedback import PeriodFigures, is_complaint
from domain.periods import Period
from services import feedback_kpis

MAX_MOVES = 3
MAX_NEGATIVE = 3
MAX_QUOTES = 2
QUOTE_LENGTH = 140


@dataclass(frozen=True)
class ThemeMove:
    key: str
    name: str
    count: int  # items tagged with the theme in the week reported
    previous: int  # … in the week before

    @property
    def delta(self) -> int:
        return self.count - self.previous


@dataclass(frozen=True)
class NegativeTheme:
    key: str
    name: str
    complaints: int
    previous: int  # complaints the month before


@dataclass(frozen=True)
class MonthlyVoice:
    month: Period
    items: int
    complaints: int
    top: tuple[NegativeTheme, ...]
    quotes: tuple[str, ...]
    figures: PeriodFigures
    kpi_keys: tuple[str, ...] = (feedback_kpis.NPS, feedback_kpis.CSAT)  # the KPIs shown against their targets


def _names(session, team: AlignmentTeam) -> dict[str, str]:
    rows = session.execute(
        select(FeedbackTheme.key, FeedbackTheme.name).where(
            FeedbackTheme.workspace_id == team.workspace_id, FeedbackTheme.team_id == team.id, FeedbackTheme.archived_at.is_(None),
        ).order_by(FeedbackTheme.position, FeedbackTheme.id)
    )  # fmt: skip
    return dict(rows.all())


def weekly_moves(session, *, team: AlignmentTeam, week: Period) -> tuple[ThemeMove, ...]:
    """The themes whose count of items changed most against the week before (ties by name)."""
    names = _names(session, team)
    if not names:
        return ()
    now = feedback_kpis.figures(session, team=team, period=week).mentions_by_theme
    before = feedback_kpis.figures(session, team=team, period=week.previous()).mentions_by_theme
    moves = [ThemeMove(key, name, now.get(key, 0), before.get(key, 0)) for key, name in names.items()]
    moved = [move for move in moves if move.delta]
    return tuple(sorted(moved, key=lambda move: (-abs(move.delta), -move.count, move.name.casefold()))[:MAX_MOVES])


def monthly_voice(session, *, team: AlignmentTeam, month: Period) -> MonthlyVoice | None:
    """The month's section, or None when the month had no feedback."""
    items = feedback_kpis.counted_items(session, team=team, period=month)
    if not items:
        return None
    names = _names(session, team)
    found = feedback_kpis.figures(session, team=team, period=month)
    before = feedback_kpis.figures(session, team=team, period=month.previous()).complaints_by_theme
    ranked = sorted(
        (NegativeTheme(key, names[key], count, before.get(key, 0)) for key, count in found.complaints_by_theme.items() if key in names),
        key=lambda theme: (-theme.complaints, theme.name.casefold()),
    )[:MAX_NEGATIVE]  # fmt: skip
    quotes = _quotes(items, [theme.key for theme in ranked])
    return MonthlyVoice(month, found.items, found.complaints, tuple(ranked), quotes, found)


def _quotes(items: Sequence, theme_keys: Sequence[str]) -> tuple[str, ...]:
    """Up to two short complaints, the latest of each top theme in turn (no item twice)."""
    chosen: list[str] = []
    for key in theme_keys:
        for item in reversed(items):
            if key in item.themes and is_complaint(item.text, item.score) and item.text not in chosen:
                chosen.append(_short(item.text))
                break
        if len(chosen) == MAX_QUOTES:
            break
    return tuple(chosen)


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_LENGTH else flat[: QUOTE_LENGTH - 1].rstrip() + "…"
