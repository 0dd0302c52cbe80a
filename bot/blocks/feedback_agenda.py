"""The voice of the customer as agenda pieces: the weekly agenda's one line and the monthly
agenda's section with a **Propose an OKR from this theme** button per theme. Pure functions of
`services.feedback_agenda`'s facts, usable in whichever layout the agenda has; the NPS and CSAT
lines come in already written by the agenda (its KPI line: value, month before, target)."""

from __future__ import annotations

from typing import Sequence

from babel.numbers import format_decimal

from bot.blocks import Block, context, escape_mrkdwn, kit, section
from services.feedback_agenda import MonthlyVoice, NegativeTheme, ThemeMove
from services.formatting import babel_locale
from services.i18n import t

PROPOSE_OKR = "feedback_propose_okr"  # its value is the theme's key
OKR_ACTIONS = "feedback_okr_actions"


def _signed(delta: int) -> str:
    return f"+{delta}" if delta > 0 else f"−{abs(delta)}"


def weekly_line(moves: Sequence[ThemeMove], language: str) -> str | None:
    """"🗣️ Voz del cliente frente a la semana anterior: Entrega 5 (+3), Precio 1 (−2)"; None when nothing moved."""
    if not moves:
        return None
    listed = ", ".join(t(language, "feedback.agenda.move", name=escape_mrkdwn(move.name), count=move.count, delta=_signed(move.delta))
                       for move in moves)  # fmt: skip
    return t(language, "feedback.agenda.weekly_line", moves=listed)


def _trend(theme: NegativeTheme, language: str) -> str:
    delta = theme.complaints - theme.previous
    if not delta:
        return t(language, "feedback.agenda.trend.same", previous=theme.previous)
    return t(language, "feedback.agenda.trend.up" if delta > 0 else "feedback.agenda.trend.down", delta=_signed(delta), previous=theme.previous)


def monthly_lines(voice: MonthlyVoice, *, month: str, score_lines: Sequence[str], language: str, country: str) -> list[str]:
    lines = [t(language, "feedback.agenda.summary", items=voice.items, complaints=voice.complaints)]
    if voice.top:
        lines.append(t(language, "feedback.agenda.top_title"))
        lines += [t(language, "feedback.agenda.top_line", number=number, name=escape_mrkdwn(theme.name), count=theme.complaints,
                    trend=_trend(theme, language)) for number, theme in enumerate(voice.top, 1)]  # fmt: skip
    else:
        lines.append(t(language, "feedback.agenda.no_complaints", month=month))
    if voice.quotes:
        lines.append(t(language, "feedback.agenda.quotes_title"))
        lines += [t(language, "feedback.agenda.quote", text=escape_mrkdwn(quote)) for quote in voice.quotes]
    scores = voice.figures.scores
    if score_lines:
        lines += [f"• {line}" for line in score_lines]
    elif scores.answers:
        locale = babel_locale(language, country)
        lines.append(t(language, "feedback.agenda.scores_plain", nps=format_decimal(scores.nps, locale=locale),
                       csat=format_decimal(scores.csat, locale=locale), answers=scores.answers))  # fmt: skip
    if not scores.answers:
        lines.append(t(language, "feedback.agenda.no_scores"))
    return lines


def monthly_blocks(voice: MonthlyVoice, *, month: str, score_lines: Sequence[str], language: str, country: str) -> list[Block]:
    blocks: list[Block] = [section("\n".join(monthly_lines(voice, month=month, score_lines=score_lines, language=language, country=country)))]
    if voice.top:
        proposals = [kit.button(text=t(language, "feedback.agenda.propose_okr", name=theme.name), action_id=PROPOSE_OKR, value=theme.key)
                     for theme in voice.top]  # fmt: skip
        blocks.append(kit.actions(block_id=OKR_ACTIONS, elements=proposals))
        blocks.append(context(t(language, "feedback.agenda.okr_hint")))
    return blocks
