"""The weekly and monthly meeting agendas as Block Kit: a parent message in the team's channel
and the details as thread parts, each its own message, so a phone shows the summary first and
the thread holds the rest. Pure functions of the facts (`services.agenda_facts`).

Weekly: the parent (the week reported, the meeting and its 30-minute time box 10/10/10, the
primary KPI against its target and the two supporting KPIs, one line each of SLA and OKR state),
then the parts `kpis`, `sla`, `okr`, `changes`, `experiment`, `topics` and `plan` (the plan
carries the "Decide this week's experiment" button, or the experiment once decided).
Monthly: the parent (the month against its targets), then `kpis`, `sla`, `breaches`, `okr`
(with the objectives' review prompts), `topics` (still open, rolled over), `glossary` and, in a month
with customer feedback, `voice` (bot/blocks/feedback_agenda.py; the weekly `changes` part ends
with the feedback themes that moved).

A team with no KPIs or no data gets a first agenda that says how to start (set the baseline,
with the exact commands) instead of an error.

Rules kept here: numbers, dates and month names in the team's locale (Babel, via
`services.agenda_charts` so a chart and its text say the same numbers); whatever a person typed
(KPI names, topics, hypotheses, notes, plans, objective titles, glossary terms) is escaped, so
`<!channel>` or `<@U…>` in it shows as text and pings nobody; mentions are built only from ids
we stored. Every message stays within Slack's limits (50 blocks, 3,000 characters a section)
and has a plain `text` fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Mapping, Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_interval

from bot.blocks import Block, Reply, actions, button, context, divider, escape_mrkdwn, header, mention, section, truncate
from bot.blocks import feedback_agenda
from bot.blocks.agenda_topics import DECIDE_EXPERIMENT, experiment_text, topic_line
from bot.blocks.glossary import side_label
from domain.locales import TeamLocale
from bot.blocks.okr import kr_heading, objective_heading, progress_bar, status_text, warning_lines
from bot.blocks.sla import strip
from bot.blocks.sla_breach import plan_text, promise_text, reason_text
from domain.deltas import STARTER_STAGES
from domain.kpis import Direction
from domain.meetings import AgendaKind, Occurrence
from domain.numbers import format_quantity
from domain.okr import Status
from domain.periods import Period, format_period, weeks_of_month
from domain.sla import Comparator, Outcome, State
from services.agenda_charts import (
    attainment_text,
    history_text,
    kpi_number,
    period_label,
    share_text,
    signed_kpi_number,
    signed_percent,
)
from services.agenda_facts import KpiFact, MonthlyFacts, SlaMonth, TermChange, WeeklyFacts
from services.agenda_topics import TopicView
from services.formatting import babel_locale
from services.i18n import t
from services.okr import Board, KeyResultView, ObjectiveView
from services.sla import CommitmentRow
from services.sla_breaches import BreachStatus, BreachView

WEEKLY_PARTS = ("kpis", "sla", "okr", "changes", "experiment", "topics", "plan")
MONTHLY_PARTS = ("kpis", "sla", "breaches", "okr", "topics", "glossary")  # and "voice" after them, in a month with customer feedback
PLAN_ACTIONS = "agenda_plan_actions"  # the block holding the Decide button

MAX_BLOCKS = 50
SECTION_BUDGET = 2900  # under Slack's 3,000 characters, with room for a title line
TEXT_LIMIT = 2900  # the fallback text
MAX_CHANGES = 15
MAX_TOPICS = 30
MAX_BREACHES = 30

_COMPARATOR = {Comparator.AT_LEAST: "≥", Comparator.AT_MOST: "≤"}
_IMPROVED = {True: "🟢", False: "🔴", None: "⚪"}
_CLOSED_MARK = {State.MET: "✅", State.BREACHED: "❌", State.NO_DATA: "⬜"}


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


@dataclass(frozen=True)
class ReviewState:
    """Where an objective's review prompt stands, for the monthly agenda's OKR part:
    "asking" (this agenda claimed it: posted in the channel with it), "pending" (claimed by the
    okr-review job, being posted), "asked" (posted already; `link` to it when Slack gave one),
    "later" (a preview: not asked yet)."""

    kind: str
    link: str | None = None


# Pieces --------------------------------------------------------------------------------------------------


def _num(value: Decimal, fact_spec, where: TeamLocale) -> str:
    return kpi_number(value, fact_spec, language=where.language, country=where.country)


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


def _day(moment: datetime, where: TeamLocale) -> str:
    return format_date(moment.astimezone(_zone(where)).date(), format="medium", locale=babel_locale(where.language, where.country))


def _minutes(occurrence: Occurrence) -> int:
    return int((occurrence.ends_at - occurrence.meeting_at).total_seconds() // 60)


def _kpi_name(fact: KpiFact) -> str:
    return f"*{escape_mrkdwn(fact.name)}* (`{fact.key}`)"


def _move(fact: KpiFact, where: TeamLocale) -> str:
    """"+10 h, +50 %, peor" — the difference, the relative change and which way is better."""
    change, language = fact.change, where.language
    difference = change.difference
    if not difference:
        return t(language, "agenda.ui.kpi.unchanged")
    bits = [signed_kpi_number(difference, fact.spec, language=language, country=where.country)]
    if change.percent is not None:
        bits.append(signed_percent(change.percent, language=language, country=where.country))
    bits.append(t(language, "agenda.ui.kpi.better" if change.improved else "agenda.ui.kpi.worse"))
    return ", ".join(bits)


def target_text(fact: KpiFact, where: TeamLocale) -> str:
    """"✅ meta ≥ $50.000.000 (SLA)", "❌ …", or "sin meta acordada"."""
    change, language = fact.change, where.language
    if change.target is None:
        return t(language, "agenda.ui.kpi.no_target")
    comparator = "≥" if change.direction is Direction.HIGHER else "≤"
    target = f"{comparator} {_num(change.target, fact.spec, where)}"
    source = t(language, f"agenda.ui.kpi.source.{fact.target_source or 'okr'}")
    if change.meets_target is None:
        return t(language, "agenda.ui.kpi.target", target=target, source=source)
    key = "agenda.ui.kpi.target_met" if change.meets_target else "agenda.ui.kpi.target_missed"
    return t(language, key, target=target, source=source)


def kpi_line(fact: KpiFact, where: TeamLocale, *, kind: str) -> str:
    """One KPI in one line: value, against the period before (difference, %), against its target.
    `kind` is "week" or "month"."""
    change, language = fact.change, where.language
    if change.value is None:
        return t(language, "agenda.ui.kpi.no_value", name=_kpi_name(fact), period=format_period(change.period, language))
    value = t(language, "agenda.ui.kpi.value", name=_kpi_name(fact), value=_num(change.value, fact.spec, where))
    if change.previous is None:
        previous = t(language, f"agenda.ui.kpi.no_previous.{kind}")
    else:
        previous = t(language, f"agenda.ui.kpi.vs_previous.{kind}", previous=_num(change.previous, fact.spec, where), move=_move(fact, where))
    return f"{_IMPROVED[change.improved]} {value} · {previous} · {target_text(fact, where)}"


def kpi_table_rows(facts: Sequence[KpiFact], where: TeamLocale) -> tuple[tuple[str, ...], ...]:
    """The KPIs as table rows (a header, then one row each: name, value, previous, move, target),
    with the same numbers and words as their lines; () without KPIs. Table cells are raw text:
    names are shown as typed, nothing in them is read as a mention or a link."""
    if not facts:
        return ()
    language = where.language
    header = tuple(t(language, f"agenda.native.table.{column}") for column in ("kpi", "value", "previous", "change", "target"))
    rows = [header]
    for fact in facts:
        change = fact.change
        value = _num(change.value, fact.spec, where) if change.value is not None else "—"
        previous = _num(change.previous, fact.spec, where) if change.previous is not None else "—"
        move = _move(fact, where) if change.value is not None and change.previous is not None else "—"
        rows.append((f"{_IMPROVED[change.improved]} {fact.name}", value, previous, move, target_text(fact, where)))
    return tuple(rows)


def primary_line(fact: KpiFact, where: TeamLocale, *, kind: str) -> str:
    """The primary KPI's line; without a value for the period it also says how to log one."""
    if fact.change.value is None:
        return f"{_IMPROVED[None]} {missing_value_text(fact, where, name=_kpi_name(fact))}"
    return kpi_line(fact, where, kind=kind)


def trend_line(fact: KpiFact, where: TeamLocale, *, kind: str) -> str:
    """The numbers of the trend chart, as text: "Últimas 12 semanas: S48 —, … S11 $45.000.000"."""
    points = history_text(fact.history, fact.spec, language=where.language, country=where.country)
    line = t(where.language, f"agenda.ui.kpi.history.{kind}", count=len(fact.history), points=points)
    if fact.definition_changes:
        labels = ", ".join(_label(fact.history[index][0], where) for index in fact.definition_changes if index < len(fact.history))
        line += "\n" + t(where.language, "agenda.ui.kpi.definition_changed", periods=labels)
    return line


def _label(period: Period, where: TeamLocale) -> str:
    return period_label(period, language=where.language, country=where.country)


def _sections(lines: Sequence[str], budget: int = SECTION_BUDGET) -> list[Block]:
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


def _message(text: str, blocks: list[Block], language: str) -> Reply:
    """Within 50 blocks: what does not fit is counted in a last context line."""
    if len(blocks) > MAX_BLOCKS:
        kept = blocks[: MAX_BLOCKS - 1]
        blocks = [*kept, context(t(language, "agenda.ui.more_blocks", count=len(blocks) - len(kept)))]
    return Reply(truncate(text, TEXT_LIMIT), blocks)


def _part(name: str, title: str, blocks: list[Block], language: str) -> Part:
    return Part(name, _message(title, [section(f"*{escape_mrkdwn(title)}*"), *blocks], language))


def _more(count: int, language: str) -> str:
    return t(language, "agenda.ui.more_lines", count=count)


# The first agenda: how to start ----------------------------------------------------------------------------


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


# SLA ----------------------------------------------------------------------------------------------------


def _closed_text(outcome: Outcome, row: CommitmentRow, where: TeamLocale) -> str:
    language = where.language
    if outcome.state is State.NO_DATA or outcome.value is None:
        return t(language, "agenda.ui.sla.state.no_data")
    value = _num(outcome.value, row.shown.spec, where)
    return t(language, f"agenda.ui.sla.state.{outcome.state.value}", value=value)


def _current_text(row: CommitmentRow, where: TeamLocale) -> str | None:
    if row.current_state is None or row.in_force is None:
        return None
    language = where.language
    state = "at_risk" if row.current_state is State.AT_RISK else "on_track"
    if row.current_value is None:
        return t(language, f"agenda.ui.sla.state.{state}_no_data")
    return t(language, f"agenda.ui.sla.state.{state}", value=_num(row.current_value, row.in_force.spec, where))


def commitment_lines(row: CommitmentRow, where: TeamLocale) -> list[str]:
    version, language = row.shown, where.language
    lines = [f"*{version.label}* · {side_label(language, version.terms.side)} · {promise_text(version, where)}"]
    if row.in_force is None:
        lines.append(t(language, "agenda.ui.sla.pending"))
        return lines
    kind = version.terms.period_kind
    closed = [outcome for outcome in row.recent if outcome.state in _CLOSED_MARK]
    if closed:
        lines.append(t(language, f"agenda.ui.sla.last.{kind}", state=_closed_text(closed[-1], row, where)))
    current = _current_text(row, where)
    if current:
        lines.append(t(language, f"agenda.ui.sla.current.{kind}", state=current))
    met, total = row.attainment
    if total:
        lines.append(t(language, "agenda.ui.sla.attainment", count=total, text=attainment_text(met, total, language=language, country=where.country),
                       strip=strip(row.recent)))  # fmt: skip
    return lines


def sla_summary(rows: Sequence[CommitmentRow], breaches: Sequence[BreachView], where: TeamLocale) -> str:
    """One line for the parent: last period's states, at-risk flags and open breaches."""
    language = where.language
    active = [row for row in rows if row.in_force is not None]
    if not active:
        return t(language, "agenda.ui.sla.summary.none")
    counts = {State.MET: 0, State.BREACHED: 0, State.NO_DATA: 0}
    for row in active:
        closed = [outcome for outcome in row.recent if outcome.state in counts]
        if closed:
            counts[closed[-1].state] += 1
    at_risk = sum(row.current_state is State.AT_RISK for row in active)
    unacknowledged = sum(view.status is BreachStatus.OPEN for view in breaches)
    return t(
        language, "agenda.ui.sla.summary", met=counts[State.MET], breached=counts[State.BREACHED], no_data=counts[State.NO_DATA],
        at_risk=at_risk, open=len(breaches), unacknowledged=unacknowledged,
    )  # fmt: skip


def breach_lines(view: BreachView, where: TeamLocale) -> list[str]:
    """The breach, and who has not acknowledged it (the responsible lead, mentioned) or who did,
    why and the action plan."""
    language = where.language
    head = t(language, "agenda.ui.breach.head", breach=view.label, sla=view.version.label, period=format_period(view.period, language),
             value=_num(view.value, view.version.spec, where))  # fmt: skip
    if view.status is BreachStatus.OPEN:
        who = mention(view.responsible) if view.responsible else t(language, "agenda.ui.breach.no_responsible")
        state = t(language, "agenda.ui.breach.unacknowledged", user=who)
        if view.step.value == "escalated":
            state += " " + t(language, "agenda.ui.breach.escalated")
    elif view.status is BreachStatus.ACKNOWLEDGED:
        who = mention(view.acknowledged_by) if view.acknowledged_by else "—"
        reason = reason_text(view.reason, language) if view.reason else "—"
        state = t(language, "agenda.ui.breach.acknowledged", user=who, reason=reason)
        if view.note:
            state += f" — {escape_mrkdwn(truncate(' '.join(view.note.split()), 300))}"
    elif view.status is BreachStatus.RESOLVED:
        state = t(language, "agenda.ui.breach.resolved")
    else:
        state = t(language, "agenda.ui.breach.closed", note=escape_mrkdwn(truncate(view.end_note or "—", 300)))
    lines = [f"• {head}", f"   {state}"]
    plan = plan_text(view, where)
    if plan:
        lines.append(f"   {truncate(plan, 600)}")
    elif view.status in (BreachStatus.OPEN, BreachStatus.ACKNOWLEDGED):
        lines.append("   " + t(language, "agenda.ui.breach.no_plan"))
    return lines


# OKR ----------------------------------------------------------------------------------------------------


def _guardrail_line(kr: KeyResultView, where: TeamLocale) -> str | None:
    guardrail = kr.result.guardrail
    if guardrail is None or not kr.guardrail_broken:
        return None
    limit = format_quantity(guardrail.value, guardrail.unit, language=where.language, country=where.country)
    current = format_quantity(kr.guardrail_value, guardrail.unit, language=where.language, country=where.country) if kr.guardrail_value is not None else "?"
    return t(where.language, "agenda.ui.okr.guardrail", metric=escape_mrkdwn(guardrail.metric), comparator=_COMPARATOR[guardrail.comparator],
             value=limit, current=current)  # fmt: skip


def kr_text(kr: KeyResultView, where: TeamLocale) -> str:
    """"• *KR3* · metric" then "▰▰▰▱▱▱▱▱▱▱ 30 % · esperado 45 % · 🟡 En riesgo" (the chart's numbers)."""
    language, country = where.language, where.country
    progress = t(language, "agenda.ui.okr.kr", bar=progress_bar(kr.progress), progress=share_text(kr.progress, language=language, country=country),
                 expected=share_text(kr.expected, language=language, country=country), status=status_text(kr.status, language))  # fmt: skip
    lines = [f"• {kr_heading(kr, language)}", f"   {progress}"]
    guardrail = _guardrail_line(kr, where)
    if guardrail:
        lines.append(f"   {guardrail}")
    return "\n".join(lines)


def okr_summary(board: Board, where: TeamLocale) -> str:
    language = where.language
    active = [objective for objective in board.objectives if objective.active]
    if not active:
        return t(language, "agenda.ui.okr.summary.none")
    results = [kr for objective in active for kr in objective.key_results]
    count = {status: sum(kr.status is status for kr in results) for status in Status}
    return t(language, "agenda.ui.okr.summary", objectives=len(active), on_track=count[Status.ON_TRACK],
             at_risk=count[Status.AT_RISK], off_track=count[Status.OFF_TRACK])  # fmt: skip


def okr_blocks(board: Board, where: TeamLocale) -> list[Block]:
    language = where.language
    active = [objective for objective in board.objectives if objective.active]
    if not active:
        return [section(t(language, "agenda.ui.okr.none"))]
    blocks: list[Block] = []
    for objective in active:
        lines = [objective_heading(objective, where)]
        if not objective.key_results:
            lines.append(t(language, "agenda.ui.okr.no_krs", objective=objective.label))
        lines += [kr_text(kr, where) for kr in objective.key_results]
        blocks += _sections(lines)
    if board.warnings:
        blocks.append(context(truncate(warning_lines(board.warnings, language), 2000)))
    return blocks


def review_line(objective: ObjectiveView, state: ReviewState | None, where: TeamLocale) -> str:
    language = where.language
    kind = state.kind if state is not None else "later"
    params = {"objective": objective.label, "title": escape_mrkdwn(truncate(objective.title, 150))}
    if kind == "asked" and state is not None and state.link:
        return t(language, "agenda.ui.review.asked_link", link=state.link, **params)
    return t(language, f"agenda.ui.review.{kind}", **params)


# Weekly ---------------------------------------------------------------------------------------------------


def weekly_agenda(facts: WeeklyFacts, where: TeamLocale) -> AgendaMessages:
    if not facts.has_data:
        return _weekly_start(facts, where)
    shown = [fact for fact in (facts.primary, *facts.supporting) if fact is not None]
    shown += [fact for fact in facts.changes if fact not in shown]
    return AgendaMessages(AgendaKind.WEEKLY, _weekly_parent(facts, where), (
        _weekly_kpis(facts, where), _weekly_sla(facts, where), _weekly_okr(facts, where), _weekly_changes(facts, where),
        _weekly_experiment(facts, where), _topics(facts.topics, where, monthly=False), _weekly_plan(facts, where),
    ), kpi_table_rows(shown, where))  # fmt: skip


def _weekly_meeting(facts: WeeklyFacts, where: TeamLocale) -> str:
    minutes = _minutes(facts.occurrence)
    return t(where.language, "agenda.ui.weekly.meeting", when=meeting_text(facts.occurrence, where), minutes=minutes, box=max(minutes // 3, 1),
             period=format_period(facts.reported, where.language))  # fmt: skip


def _weekly_title(facts: WeeklyFacts, where: TeamLocale) -> str:
    return t(where.language, "agenda.ui.weekly.title", team=facts.team_name)


def _weekly_parent(facts: WeeklyFacts, where: TeamLocale) -> Reply:
    language = where.language
    title = _weekly_title(facts, where)
    blocks: list[Block] = [header(title), section(_weekly_meeting(facts, where))]
    if facts.reported_early:
        blocks.append(context(t(language, "agenda.ui.weekly.early", week=format_period(facts.occurrence.period.previous(), language))))
    if facts.primary is not None:
        kpis = [t(language, "agenda.ui.kpis.primary"), primary_line(facts.primary, where, kind="week")]
    else:
        kpis = [t(language, "agenda.ui.kpis.no_primary")]
    if facts.supporting:
        kpis.append(t(language, "agenda.ui.kpis.supporting"))
        kpis += [f"• {kpi_line(fact, where, kind='week')}" for fact in facts.supporting]
    blocks += _sections(kpis)
    state = [t(language, "agenda.ui.sla.summary.line", summary=sla_summary(facts.sla, facts.open_breaches, where)),
             t(language, "agenda.ui.okr.summary.line", summary=okr_summary(facts.okr, where))]  # fmt: skip
    blocks.append(section("\n".join(state)))
    blocks.append(context(t(language, "agenda.ui.weekly.thread_hint")))
    primary = _text_kpi(facts.primary, where)
    text = t(language, "agenda.ui.weekly.text", team=escape_mrkdwn(facts.team_name), when=meeting_text(facts.occurrence, where), primary=primary)
    return _message(text, blocks, language)


def _text_kpi(fact: KpiFact | None, where: TeamLocale) -> str:
    """The primary KPI in a sentence (the notification text, the plan): its value and target,
    or, when the period has no value, that it has none and the command that logs it."""
    if fact is None:
        return t(where.language, "agenda.ui.kpis.no_primary_short")
    if fact.change.value is None:
        return missing_value_text(fact, where)
    return f"{escape_mrkdwn(fact.name)} {_num(fact.change.value, fact.spec, where)} · {target_text(fact, where)}"


def log_commands(fact: KpiFact, where: TeamLocale) -> str:
    """The commands that give `fact` a value for its period, as the team types them: the KPI
    itself, or a computed rate's parts (logging a rate is refused). The period is named by its
    key ("2026-W11", "2026-03"), which reads the same whatever day it is typed."""
    language = where.language
    commands = [t(language, "agenda.truth.log_command", key=key, period=fact.change.period.key) for key in fact.log_keys or (fact.key,)]
    return t(language, "agenda.truth.and").join(commands)


def missing_value_text(fact: KpiFact, where: TeamLocale, *, name: str | None = None) -> str:
    """"Ventas has no value for week 11 of 2026 (9–15 Mar); log it with `/alinea log …`".
    `name` is how to show the KPI (default: its escaped name)."""
    language = where.language
    params = {"name": name or escape_mrkdwn(fact.name), "period": format_period(fact.change.period, language), "commands": log_commands(fact, where)}
    if fact.log_keys:
        parts = " ÷ ".join(f"`{key}`" for key in (fact.spec.numerator, fact.spec.denominator))
        return t(language, "agenda.truth.no_value.rate", parts=parts, **params)
    return t(language, "agenda.truth.no_value", **params)


def _weekly_kpis(facts: WeeklyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.kpis.title.week", period=format_period(facts.reported, language))
    lines = []
    if facts.primary is not None:
        lines += [t(language, "agenda.ui.kpis.primary"), primary_line(facts.primary, where, kind="week"), trend_line(facts.primary, where, kind="week")]
    else:
        lines.append(t(language, "agenda.ui.kpis.no_primary"))
    if facts.supporting:
        lines.append(t(language, "agenda.ui.kpis.supporting"))
        lines += [f"• {kpi_line(fact, where, kind='week')}" for fact in facts.supporting]
    else:
        lines.append(t(language, "agenda.ui.kpis.no_supporting"))
    return _part("kpis", title, _sections(lines), language)


def _weekly_sla(facts: WeeklyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.sla.title.week")
    blocks: list[Block] = []
    if not facts.sla:
        blocks.append(section(t(language, "agenda.ui.sla.none")))
    for row in facts.sla:
        blocks += _sections(commitment_lines(row, where))
    if facts.open_breaches:
        lines = [t(language, "agenda.ui.breach.open_title", count=len(facts.open_breaches))]
        for view in facts.open_breaches[:MAX_BREACHES]:
            lines += breach_lines(view, where)
        if len(facts.open_breaches) > MAX_BREACHES:
            lines.append(_more(len(facts.open_breaches) - MAX_BREACHES, language))
        blocks += _sections(lines)
    elif facts.sla:
        blocks.append(context(t(language, "agenda.ui.breach.none_open")))
    return _part("sla", title, blocks, language)


def _weekly_okr(facts: WeeklyFacts, where: TeamLocale) -> Part:
    return _part("okr", t(where.language, "agenda.ui.okr.title"), okr_blocks(facts.okr, where), where.language)


def _weekly_changes(facts: WeeklyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.changes.title", period=format_period(facts.reported, language))
    lines = [f"{number}. {kpi_line(fact, where, kind='week')}" for number, fact in enumerate(facts.changes[:MAX_CHANGES], 1)]
    if len(facts.changes) > MAX_CHANGES:
        lines.append(_more(len(facts.changes) - MAX_CHANGES, language))
    if not facts.changes:  # said only of the KPIs that have a value: the others are named below
        lines.append(t(language, "agenda.ui.changes.none" if len(facts.unlogged) < facts.kpi_count else "agenda.truth.changes.nothing_logged"))
    if facts.unlogged and len(facts.unlogged) < facts.kpi_count:
        names = ", ".join(escape_mrkdwn(fact.name) for fact in facts.unlogged[:MAX_CHANGES])
        if len(facts.unlogged) > MAX_CHANGES:
            names += " " + _more(len(facts.unlogged) - MAX_CHANGES, language)
        lines.append(t(language, "agenda.truth.changes.unlogged", count=len(facts.unlogged), names=names))
    voice = feedback_agenda.weekly_line(facts.voice_moves, language)
    if voice:
        lines.append(voice)
    return _part("changes", title, [*_sections(lines), context(t(language, "agenda.ui.changes.hint"))], language)


def _weekly_experiment(facts: WeeklyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.experiment.title")
    last = facts.last_experiment
    if last is None:
        return _part("experiment", title, [section(t(language, "agenda.ui.experiment.none"))], language)
    lines = [experiment_text(last, language)]
    moved = facts.last_experiment_change
    if moved is not None:
        lines.append(t(language, "agenda.ui.experiment.metric_moved", period=format_period(moved.change.period, language),
                       line=kpi_line(moved, where, kind="week")))  # fmt: skip
    elif last.kpi_key is None:
        lines.append(t(language, "agenda.ui.experiment.metric_not_kpi"))
    if last.result is None:
        lines.append(t(language, "agenda.ui.experiment.no_result"))
    return _part("experiment", title, _sections(lines), language)


def _topics(topics: Sequence[TopicView], where: TeamLocale, *, monthly: bool) -> Part:
    language = where.language
    title = t(language, "agenda.ui.topics.title.month" if monthly else "agenda.ui.topics.title.week", count=len(topics))
    if not topics:
        return _part("topics", title, [section(t(language, "agenda.ui.topics.none"))], language)
    lines = [topic_line(topic, language) for topic in topics[:MAX_TOPICS]]
    if len(topics) > MAX_TOPICS:
        lines.append(_more(len(topics) - MAX_TOPICS, language))
    return _part("topics", title, [*_sections(lines), context(t(language, "agenda.ui.topics.hint"))], language)


def _bottleneck_text(fact: KpiFact | None, where: TeamLocale) -> str:
    language = where.language
    if fact is None or fact.change.value is None:
        return t(language, "agenda.ui.plan.no_bottleneck")
    change = fact.change
    stage = STARTER_STAGES.get(fact.key)
    stage_text = t(language, f"agenda.ui.stage.{stage.value}") if stage is not None else ""
    params = {"name": _kpi_name(fact), "stage": stage_text, "value": _num(change.value, fact.spec, where)}
    if change.meets_target is False and change.target is not None:
        gap = share_text(float(change.target_gap or 0), language=language, country=where.country)
        return t(language, "agenda.ui.plan.bottleneck.behind", gap=gap, target=_num(change.target, fact.spec, where), **params)
    previous = _num(change.previous, fact.spec, where) if change.previous is not None else "—"
    percent = signed_percent(change.percent, language=language, country=where.country) if change.percent is not None else "—"
    return t(language, "agenda.ui.plan.bottleneck.worse", previous=previous, percent=percent, **params)


def _plan_steps(facts: WeeklyFacts, where: TeamLocale) -> list[str]:
    language = where.language
    box = max(_minutes(facts.occurrence) // 3, 1)
    primary = _text_kpi(facts.primary, where) if facts.primary is not None else t(language, "agenda.ui.kpis.no_primary_short")
    return [
        t(language, "agenda.ui.plan.primary", minutes=box, primary=primary),
        t(language, "agenda.ui.plan.bottleneck", minutes=box, why=_bottleneck_text(facts.bottleneck, where)),
        t(language, "agenda.ui.plan.experiment", minutes=box),
    ]


def _experiment_step(facts: WeeklyFacts, where: TeamLocale) -> list[Block]:
    language = where.language
    if facts.experiment is not None:
        return [section(truncate(t(language, "agenda.ui.plan.decided") + "\n" + experiment_text(facts.experiment, language), SECTION_BUDGET))]
    decide = button(t(language, "agenda.ui.plan.decide_button"), DECIDE_EXPERIMENT, facts.occurrence.key, style="primary")
    return [actions(PLAN_ACTIONS, decide), context(t(language, "agenda.ui.plan.decide_hint"))]


def _weekly_plan(facts: WeeklyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.plan.title", minutes=_minutes(facts.occurrence))
    return _part("plan", title, [*_sections(_plan_steps(facts, where)), *_experiment_step(facts, where)], language)


def _weekly_start(facts: WeeklyFacts, where: TeamLocale) -> AgendaMessages:
    """No KPIs or no data yet: the first meeting sets the baseline."""
    language = where.language
    title = _weekly_title(facts, where)
    blocks = [header(title), section(_weekly_meeting(facts, where)), *_sections(start_lines(where, has_kpis=facts.kpi_count > 0, primary=facts.primary))]
    blocks.append(context(t(language, "agenda.ui.weekly.thread_hint_start")))
    text = t(language, "agenda.ui.weekly.text_start", team=escape_mrkdwn(facts.team_name), when=meeting_text(facts.occurrence, where))
    parts = []
    if facts.sla:
        parts.append(_weekly_sla(facts, where))
    if any(objective.active for objective in facts.okr.objectives):
        parts.append(_weekly_okr(facts, where))
    parts.append(_topics(facts.topics, where, monthly=False))
    box = max(_minutes(facts.occurrence) // 3, 1)
    steps = [t(language, "agenda.ui.plan.start.kpis", minutes=box), t(language, "agenda.ui.plan.start.baseline", minutes=box),
             t(language, "agenda.ui.plan.experiment", minutes=box)]  # fmt: skip
    plan_title = t(language, "agenda.ui.plan.title", minutes=_minutes(facts.occurrence))
    parts.append(_part("plan", plan_title, [*_sections(steps), *_experiment_step(facts, where)], language))
    return AgendaMessages(AgendaKind.WEEKLY, _message(text, blocks, language), tuple(parts))


# Monthly ------------------------------------------------------------------------------------------------


def monthly_agenda(facts: MonthlyFacts, where: TeamLocale, *, reviews: Mapping[int, ReviewState] | None = None) -> AgendaMessages:
    reviews = reviews or {}
    parts = [
        _monthly_kpis(facts, where) if facts.has_data else None, _monthly_sla(facts, where), _monthly_breaches(facts, where),
        _monthly_okr(facts, where, reviews), _topics(facts.topics, where, monthly=True), _monthly_glossary(facts, where),
        _monthly_voice(facts, where) if facts.voice is not None else None,
    ]  # fmt: skip
    rows = kpi_table_rows(facts.kpis, where) if facts.has_data else ()
    return AgendaMessages(AgendaKind.MONTHLY, _monthly_parent(facts, where), tuple(part for part in parts if part is not None), rows)


def _monthly_parent(facts: MonthlyFacts, where: TeamLocale) -> Reply:
    language = where.language
    title = t(language, "agenda.ui.monthly.title", team=facts.team_name)
    month = format_period(facts.reported, language)
    meeting = t(language, "agenda.ui.monthly.meeting", when=meeting_text(facts.occurrence, where), minutes=_minutes(facts.occurrence), month=month)
    blocks: list[Block] = [header(title), section(meeting)]
    primary = next((fact for fact in facts.kpis if fact.role == "primary"), None)
    if not facts.has_data:
        blocks += _sections(start_lines(where, has_kpis=bool(facts.kpis), primary=primary))
    else:
        with_target = [fact for fact in facts.kpis if fact.change.meets_target is not None]
        met = sum(bool(fact.change.meets_target) for fact in with_target)
        lines = [t(language, "agenda.ui.monthly.targets", met=met, total=len(with_target))]
        if primary is not None:
            lines += [t(language, "agenda.ui.kpis.primary"), primary_line(primary, where, kind="month")]
        blocks += _sections(lines)
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
             primary=_text_kpi(primary, where))  # fmt: skip
    return _message(text, blocks, language)


def _monthly_kpis(facts: MonthlyFacts, where: TeamLocale) -> Part:
    language = where.language
    month = format_period(facts.reported, language)
    title = t(language, "agenda.ui.kpis.title.month", period=month)
    lines = [f"• {primary_line(fact, where, kind='month') if fact.role == 'primary' else kpi_line(fact, where, kind='month')}" for fact in facts.kpis]
    primary = next((fact for fact in facts.kpis if fact.role == "primary"), None)
    if primary is not None:
        lines.append(trend_line(primary, where, kind="month"))
    return _part("kpis", title, _sections(lines), language)


def _monthly_voice(facts: MonthlyFacts, where: TeamLocale) -> Part:
    """The voice of the customer (bot/blocks/feedback_agenda.py); NPS and CSAT in the KPI line's words."""
    language, voice = where.language, facts.voice
    month = format_period(facts.reported, language)
    scores = [kpi_line(fact, where, kind="month") for key in voice.kpi_keys for fact in facts.kpis if fact.key == key]
    blocks = feedback_agenda.monthly_blocks(voice, month=month, score_lines=scores, language=language, country=where.country)
    return _part("voice", t(language, "feedback.agenda.title", month=month), blocks, language)


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
        return _part("sla", title, [section(t(language, "agenda.ui.sla.none"))], language)
    blocks = _sections([sla_month_line(month, where) for month in facts.sla])
    if any(month.period_kind == "week" for month in facts.sla):
        blocks.append(context(month_weeks_text(facts.reported, where)))
    return _part("sla", title, blocks, language)


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
        return _part("breaches", title, [section(t(language, "agenda.ui.breach.none_month"))], language)
    lines: list[str] = []
    for view in facts.breaches[:MAX_BREACHES]:
        lines += breach_lines(view, where)
    if len(facts.breaches) > MAX_BREACHES:
        lines.append(_more(len(facts.breaches) - MAX_BREACHES, language))
    return _part("breaches", title, _sections(lines), language)


def _monthly_okr(facts: MonthlyFacts, where: TeamLocale, reviews: Mapping[int, ReviewState]) -> Part:
    language = where.language
    blocks = okr_blocks(facts.okr, where)
    if facts.reviews:
        lines = [t(language, "agenda.ui.review.title", count=len(facts.reviews))]
        lines += [review_line(objective, reviews.get(objective.id), where) for objective in facts.reviews]
        blocks = [*_sections(lines), *blocks]
    return _part("okr", t(language, "agenda.ui.okr.title"), blocks, language)


def glossary_line(change: TermChange, where: TeamLocale) -> str:
    return t(where.language, "agenda.ui.glossary.line", term=escape_mrkdwn(change.name), version=change.version, day=_day(change.agreed_at, where))


def _monthly_glossary(facts: MonthlyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.glossary.title", period=format_period(facts.reported, language))
    if not facts.glossary_changes:
        return _part("glossary", title, [section(t(language, "agenda.ui.glossary.none"))], language)
    return _part("glossary", title, _sections([glossary_line(change, where) for change in facts.glossary_changes]), language)


# Around the agenda: the private preview and the answers to `agenda post` ----------------------------------


def preview_reply(agenda: AgendaMessages, where: TeamLocale, *, post_at: datetime, channel_id: str) -> Reply:
    """The whole agenda in one private message (parent, then each part after a divider), within
    50 blocks; the parts that do not fit are named."""
    language = where.language
    kind = agenda.kind.value
    intro = t(language, f"agenda.ui.preview.intro.{kind}", when=post_time_text(post_at, where), channel=f"<#{channel_id}>")
    blocks: list[Block] = [context(intro), *agenda.parent.blocks]
    left: list[str] = []
    for part in agenda.parts:
        if left or len(blocks) + 1 + len(part.reply.blocks) > MAX_BLOCKS - 1:
            left.append(part.name)
            continue
        blocks += [divider(), *part.reply.blocks]
    if left:
        names = ", ".join(t(language, f"agenda.ui.part.{name}") for name in left)
        blocks.append(context(t(language, "agenda.ui.preview.left_out", parts=names)))
    return Reply(truncate(intro + "\n" + agenda.parent.text, TEXT_LIMIT), blocks)


def notice(text: str) -> Reply:
    return Reply(text, [section(text)])


def posted_reply(kind: AgendaKind, where: TeamLocale, *, channel_id: str, link: str | None) -> Reply:
    text = t(where.language, f"agenda.ui.post.posted.{kind.value}", channel=f"<#{channel_id}>")
    return notice(f"{text} <{link}|{t(where.language, 'agenda.ui.post.open')}>" if link else text)


def already_posted_reply(kind: AgendaKind, where: TeamLocale, *, channel_id: str, link: str | None, key: str) -> Reply:
    text = t(where.language, f"agenda.ui.post.already.{kind.value}", channel=f"<#{channel_id}>", key=key)
    return notice(f"{text} <{link}|{t(where.language, 'agenda.ui.post.open')}>" if link else text)
