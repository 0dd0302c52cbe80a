"""The monthly meeting's agenda: the parent (the month against its targets), then the parts
`kpis`, `sla`, `breaches`, `okr` (with the objectives' review prompts), `topics` (still open,
rolled over), `glossary` and, in a month with customer feedback, `voice`
(bot/blocks/feedback_agenda.py). A team with no data gets the first agenda's steps in the
parent. A pure function of the facts (`services.agenda_facts`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Mapping

from babel.dates import format_interval

from bot.blocks import Block, Reply, context, escape_mrkdwn, header, section
from bot.blocks import feedback_agenda
from bot.blocks.agenda_kpis import kpi_line, kpi_sentence, kpi_table_rows, primary_line, trend_line
from bot.blocks.agenda_okr import ReviewState, okr_blocks, okr_summary, review_line
from bot.blocks.agenda_pieces import AgendaMessages, Part, day_text, fitted_message, meeting_minutes, meeting_text, more_text, packed_sections, start_lines, titled_part, topics_part
from bot.blocks.agenda_sla import MAX_BREACHES, breach_lines
from bot.blocks.glossary import side_label
from domain.locales import TeamLocale
from bot.blocks.sla import strip
from domain.meetings import AgendaKind
from domain.periods import Period, format_period, weeks_of_month
from services.agenda_charts import attainment_text
from services.agenda_facts import MonthlyFacts, SlaMonth, TermChange
from services.formatting import babel_locale
from services.i18n import t

MONTHLY_PARTS = ("kpis", "sla", "breaches", "okr", "topics", "glossary")  # and "voice" after them, in a month with customer feedback


def monthly_agenda(facts: MonthlyFacts, where: TeamLocale, *, reviews: Mapping[int, ReviewState] | None = None) -> AgendaMessages:
    reviews = reviews or {}
    parts = [
        _monthly_kpis(facts, where) if facts.has_data else None, _monthly_sla(facts, where), _monthly_breaches(facts, where),
        _monthly_okr(facts, where, reviews), topics_part(facts.topics, where, monthly=True), _monthly_glossary(facts, where),
        _monthly_voice(facts, where) if facts.voice is not None else None,
    ]  # fmt: skip
    rows = kpi_table_rows(facts.kpis, where) if facts.has_data else ()
    return AgendaMessages(AgendaKind.MONTHLY, _monthly_parent(facts, where), tuple(part for part in parts if part is not None), rows)


def _monthly_parent(facts: MonthlyFacts, where: TeamLocale) -> Reply:
    language = where.language
    title = t(language, "agenda.ui.monthly.title", team=facts.team_name)
    month = format_period(facts.reported, language)
    meeting = t(language, "agenda.ui.monthly.meeting", when=meeting_text(facts.occurrence, where), minutes=meeting_minutes(facts.occurrence), month=month)
    blocks: list[Block] = [header(title), section(meeting)]
    primary = next((fact for fact in facts.kpis if fact.role == "primary"), None)
    if not facts.has_data:
        blocks += packed_sections(start_lines(where, has_kpis=bool(facts.kpis), primary=primary))
    else:
        with_target = [fact for fact in facts.kpis if fact.change.meets_target is not None]
        met = sum(bool(fact.change.meets_target) for fact in with_target)
        lines = [t(language, "agenda.ui.monthly.targets", met=met, total=len(with_target))]
        if primary is not None:
            lines += [t(language, "agenda.ui.kpis.primary"), primary_line(primary, where, kind="month")]
        blocks += packed_sections(lines)
    met, total = (sum(values) for values in zip(*(month.attainment for month in facts.sla))) if facts.sla else (0, 0)
    state = [
        t(language, "agenda.ui.monthly.sla", met=met, total=total, breaches=len(facts.breaches)) if facts.sla else t(language, "agenda.ui.sla.summary.line", summary=t(language, "agenda.ui.sla.summary.none")),
        t(language, "agenda.ui.okr.summary.line", summary=okr_summary(facts.okr, where)),
        t(language, "agenda.ui.monthly.reviews", count=len(facts.reviews)) if facts.reviews else None,
        t(language, "agenda.ui.monthly.topics", count=len(facts.topics)),
    ]  # fmt: skip
    blocks.append(section("\n".join(line for line in state if line)))
    blocks.append(context(t(language, "agenda.ui.monthly.thread_hint")))
    text = t(language, "agenda.ui.monthly.text", team=escape_mrkdwn(facts.team_name), month=month, when=meeting_text(facts.occurrence, where),
             primary=kpi_sentence(primary, where))  # fmt: skip
    return fitted_message(text, blocks, language)


def _monthly_kpis(facts: MonthlyFacts, where: TeamLocale) -> Part:
    language = where.language
    month = format_period(facts.reported, language)
    title = t(language, "agenda.ui.kpis.title.month", period=month)
    lines = [f"• {primary_line(fact, where, kind='month') if fact.role == 'primary' else kpi_line(fact, where, kind='month')}" for fact in facts.kpis]
    primary = next((fact for fact in facts.kpis if fact.role == "primary"), None)
    if primary is not None:
        lines.append(trend_line(primary, where, kind="month"))
    return titled_part("kpis", title, packed_sections(lines), language)


def _monthly_voice(facts: MonthlyFacts, where: TeamLocale) -> Part:
    """The voice of the customer (bot/blocks/feedback_agenda.py); NPS and CSAT in the KPI line's words."""
    language, voice = where.language, facts.voice
    month = format_period(facts.reported, language)
    scores = [kpi_line(fact, where, kind="month") for key in voice.kpi_keys for fact in facts.kpis if fact.key == key]
    blocks = feedback_agenda.monthly_blocks(voice, month=month, score_lines=scores, language=language, country=where.country)
    return titled_part("voice", t(language, "feedback.agenda.title", month=month), blocks, language)


def sla_month_line(month: SlaMonth, where: TeamLocale) -> str:
    language = where.language
    met, total = month.attainment
    if not total:
        result = t(language, "agenda.ui.sla.month.none")
    else:
        result = t(language, "agenda.ui.sla.month.attainment", text=attainment_text(met, total, language=language, country=where.country),
                   met=met, total=total, strip=strip(month.outcomes))  # fmt: skip
    return f"• *{month.label}* · {escape_mrkdwn(month.kpi_name)} ({side_label(language, month.side)}): {result}"


def _monthly_sla(facts: MonthlyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.sla.title.month", period=format_period(facts.reported, language))
    if not facts.sla:
        return titled_part("sla", title, [section(t(language, "agenda.ui.sla.none"))], language)
    blocks = packed_sections([sla_month_line(month, where) for month in facts.sla])
    if any(month.period_kind == "week" for month in facts.sla):
        blocks.append(context(month_weeks_text(facts.reported, where)))
    return titled_part("sla", title, blocks, language)


def month_weeks_text(month: Period, where: TeamLocale) -> str:
    """Which weeks a month's weekly figures count: "weeks 45–48 (2–29 Nov)", by the month of
    each week's Thursday (`domain.periods`), so nobody wonders where 30 Nov–6 Dec went."""
    weeks = weeks_of_month(month)
    last_day = weeks[-1].end - timedelta(days=1)
    skeleton = "MMMd" if weeks[0].start.year == last_day.year else "yMMMd"
    days = format_interval(weeks[0].start, last_day, skeleton, locale=babel_locale(where.language, where.country))
    return t(where.language, "agenda.truth.month.weeks", first=weeks[0].start.isocalendar()[1], last=weeks[-1].start.isocalendar()[1], days=days)


def _monthly_breaches(facts: MonthlyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.breach.month_title", period=format_period(facts.reported, language), count=len(facts.breaches))
    if not facts.breaches:
        return titled_part("breaches", title, [section(t(language, "agenda.ui.breach.none_month"))], language)
    lines: list[str] = []
    for view in facts.breaches[:MAX_BREACHES]:
        lines += breach_lines(view, where)
    if len(facts.breaches) > MAX_BREACHES:
        lines.append(more_text(len(facts.breaches) - MAX_BREACHES, language))
    return titled_part("breaches", title, packed_sections(lines), language)


def _monthly_okr(facts: MonthlyFacts, where: TeamLocale, reviews: Mapping[int, ReviewState]) -> Part:
    language = where.language
    blocks = okr_blocks(facts.okr, where)
    if facts.reviews:
        lines = [t(language, "agenda.ui.review.title", count=len(facts.reviews))]
        lines += [review_line(objective, reviews.get(objective.id), where) for objective in facts.reviews]
        blocks = [*packed_sections(lines), *blocks]
    return titled_part("okr", t(language, "agenda.ui.okr.title"), blocks, language)


def glossary_line(change: TermChange, where: TeamLocale) -> str:
    return t(where.language, "agenda.ui.glossary.line", term=escape_mrkdwn(change.name), version=change.version, day=day_text(change.agreed_at, where))


def _monthly_glossary(facts: MonthlyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.glossary.title", period=format_period(facts.reported, language))
    if not facts.glossary_changes:
        return titled_part("glossary", title, [section(t(language, "agenda.ui.glossary.none"))], language)
    return titled_part("glossary", title, packed_sections([glossary_line(change, where) for change in facts.glossary_changes]), language)
