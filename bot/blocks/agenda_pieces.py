"""What every agenda message is made of: the parent and its parts (`AgendaMessages`, `Part`),
Slack's limits and the helpers that keep within them (lines packed into sections of at most
3,000 characters, at most 50 blocks a message with what did not fit counted, a plain `text`
fallback), the meeting's time in the team's timezone and language, the first agenda that says
how to start, and the topics part both agendas share. Rules every agenda module keeps: numbers,
dates and month names in the team's locale (Babel, via `services.agenda_charts` so a chart and
its text say the same numbers); whatever a person typed (KPI names, topics, hypotheses, notes,
plans, objective titles, glossary terms) is escaped, so `<!channel>` or `<@U…>` in it shows as
text and pings nobody; mentions are built only from ids we stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from bot.blocks import Block, Reply, context, escape_mrkdwn, section, truncate
from bot.blocks.agenda_topics import topic_line
from domain.locales import TeamLocale
from domain.meetings import AgendaKind, Occurrence
from services.agenda_facts import KpiFact
from services.agenda_topics import TopicView
from services.formatting import babel_locale
from services.i18n import t

MAX_BLOCKS = 50
SECTION_BUDGET = 2900  # under Slack's 3,000 characters, with room for a title line
TEXT_LIMIT = 2900  # the fallback text
MAX_TOPICS = 30


@dataclass(frozen=True)
class Part:
    name: str  # "kpis", "sla"…: the part's claim is f"{run.claim}-{name}"
    reply: Reply


@dataclass(frozen=True)
class AgendaMessages:
    """The agenda's parent and its sections (`parts`, in reading order). How they are posted
    (the details and charts replies) is `bot.blocks.agenda_layout`'s."""

    kind: AgendaKind
    parent: Reply
    parts: tuple[Part, ...]
    kpi_rows: tuple[tuple[str, ...], ...] = ()  # the KPIs as a table (header first), shown in the kpis section

    def part(self, name: str) -> Reply:
        return next(part.reply for part in self.parts if part.name == name)


# Time -------------------------------------------------------------------------------------------------


def _zone(where: TeamLocale) -> ZoneInfo:
    return ZoneInfo(where.timezone)


def meeting_text(occurrence: Occurrence, where: TeamLocale) -> str:
    """"lunes 16 mar, 09:00–09:30 (America/Bogota)", in the team's timezone and language."""
    locale = babel_locale(where.language, where.country)
    pattern = "EEEE d MMM, HH:mm" if where.language == "es" else "EEEE, MMM d, HH:mm"
    start = format_datetime(occurrence.meeting_at, pattern, tzinfo=_zone(where), locale=locale)
    end = format_datetime(occurrence.ends_at, "HH:mm", tzinfo=_zone(where), locale=locale)
    return f"{start}–{end} ({where.timezone})"


def post_time_text(moment: datetime, where: TeamLocale) -> str:
    pattern = "EEEE d MMM, HH:mm" if where.language == "es" else "EEEE, MMM d, HH:mm"
    return format_datetime(moment, pattern, tzinfo=_zone(where), locale=babel_locale(where.language, where.country))


def day_text(moment: datetime, where: TeamLocale) -> str:
    return format_date(moment.astimezone(_zone(where)).date(), format="medium", locale=babel_locale(where.language, where.country))


def meeting_minutes(occurrence: Occurrence) -> int:
    return int((occurrence.ends_at - occurrence.meeting_at).total_seconds() // 60)


# Within Slack's limits --------------------------------------------------------------------------------


def packed_sections(lines: Sequence[str], budget: int = SECTION_BUDGET) -> list[Block]:
    """Lines packed into as few sections as fit Slack's 3,000 characters each."""
    blocks: list[Block] = []
    chunk: list[str] = []
    size = 0
    for line in lines:
        line = truncate(line, budget)
        if chunk and size + len(line) + 1 > budget:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def fitted_message(text: str, blocks: list[Block], language: str) -> Reply:
    """Within 50 blocks: what does not fit is counted in a last context line."""
    if len(blocks) > MAX_BLOCKS:
        kept = blocks[: MAX_BLOCKS - 1]
        blocks = [*kept, context(t(language, "agenda.ui.more_blocks", count=len(blocks) - len(kept)))]
    return Reply(truncate(text, TEXT_LIMIT), blocks)


def titled_part(name: str, title: str, blocks: list[Block], language: str) -> Part:
    return Part(name, fitted_message(title, [section(f"*{escape_mrkdwn(title)}*"), *blocks], language))


def more_text(count: int, language: str) -> str:
    return t(language, "agenda.ui.more_lines", count=count)


# The first agenda: how to start -----------------------------------------------------------------------


def start_lines(where: TeamLocale, *, has_kpis: bool, primary: KpiFact | None) -> list[str]:
    """The exact commands that set the baseline, skipping the steps the team already took."""
    language = where.language
    lines = [t(language, "agenda.ui.start.title"), t(language, "agenda.ui.start.intro")]
    if not has_kpis:
        lines.append(t(language, "agenda.ui.start.templates"))
    if primary is None:
        lines.append(t(language, "agenda.ui.start.primary"))
    # A computed primary (a rate) cannot be logged: the example names its first part instead.
    lines.append(t(language, "agenda.ui.start.log", key=(primary.log_keys or (primary.key,))[0] if primary is not None else "sales_cop"))
    lines.append(t(language, "agenda.ui.start.sla"))
    lines.append(t(language, "agenda.ui.start.topic"))
    return lines


# Topics, in both agendas ------------------------------------------------------------------------------


def topics_part(topics: Sequence[TopicView], where: TeamLocale, *, monthly: bool) -> Part:
    language = where.language
    title = t(language, "agenda.ui.topics.title.month" if monthly else "agenda.ui.topics.title.week", count=len(topics))
    if not topics:
        return titled_part("topics", title, [section(t(language, "agenda.ui.topics.none"))], language)
    lines = [topic_line(topic, language) for topic in topics[:MAX_TOPICS]]
    if len(topics) > MAX_TOPICS:
        lines.append(more_text(len(topics) - MAX_TOPICS, language))
    return titled_part("topics", title, [*packed_sections(lines), context(t(language, "agenda.ui.topics.hint"))], language)
