"""The weekly meeting's agenda: the parent (the week reported, the meeting and its 30-minute time
box 10/10/10, the primary KPI against its target and the two supporting KPIs, one line each of
SLA and OKR state), then the parts `kpis`, `sla`, `okr`, `changes` (ending with the customer
feedback themes that moved), `experiment`, `topics` and `plan` (the plan carries the "Decide
this week's experiment" button, or the experiment once decided). A team with no KPIs or no data
gets a first agenda that says how to set the baseline, with the exact commands, instead of an
error. A pure function of the facts (`services.agenda_facts`).
"""

from __future__ import annotations

from bot.blocks import Block, Reply, context, escape_mrkdwn, header, kit, section, truncate
from bot.blocks import feedback_agenda
from bot.blocks.agenda_kpis import kpi_line, kpi_name_text, kpi_sentence, kpi_table_rows, kpi_value_text, primary_line, trend_line
from bot.blocks.agenda_okr import okr_blocks, okr_summary
from bot.blocks.agenda_pieces import SECTION_BUDGET, AgendaMessages, Part, fitted_message, meeting_minutes, meeting_text, more_text, packed_sections, start_lines, titled_part, topics_part
from bot.blocks.agenda_sla import MAX_BREACHES, breach_lines, commitment_lines, sla_summary
from bot.blocks.agenda_topics import DECIDE_EXPERIMENT, experiment_text
from domain.locales import TeamLocale
from domain.deltas import STARTER_STAGES
from domain.meetings import AgendaKind
from domain.periods import format_period
from services.agenda_charts import share_text, signed_percent
from services.agenda_facts import KpiFact, WeeklyFacts
from services.i18n import t

WEEKLY_PARTS = ("kpis", "sla", "okr", "changes", "experiment", "topics", "plan")
PLAN_ACTIONS = "agenda_plan_actions"  # the block holding the Decide button
MAX_CHANGES = 15


def weekly_agenda(facts: WeeklyFacts, where: TeamLocale) -> AgendaMessages:
    if not facts.has_data:
        return _weekly_start(facts, where)
    shown = [fact for fact in (facts.primary, *facts.supporting) if fact is not None]
    shown += [fact for fact in facts.changes if fact not in shown]
    return AgendaMessages(AgendaKind.WEEKLY, _weekly_parent(facts, where), (
        _weekly_kpis(facts, where), _weekly_sla(facts, where), _weekly_okr(facts, where), _weekly_changes(facts, where),
        _weekly_experiment(facts, where), topics_part(facts.topics, where, monthly=False), _weekly_plan(facts, where),
    ), kpi_table_rows(shown, where))  # fmt: skip


def _weekly_meeting(facts: WeeklyFacts, where: TeamLocale) -> str:
    minutes = meeting_minutes(facts.occurrence)
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
    blocks += packed_sections(kpis)
    state = [t(language, "agenda.ui.sla.summary.line", summary=sla_summary(facts.sla, facts.open_breaches, where)),
             t(language, "agenda.ui.okr.summary.line", summary=okr_summary(facts.okr, where))]  # fmt: skip
    blocks.append(section("\n".join(state)))
    blocks.append(context(t(language, "agenda.ui.weekly.thread_hint")))
    primary = kpi_sentence(facts.primary, where)
    text = t(language, "agenda.ui.weekly.text", team=escape_mrkdwn(facts.team_name), when=meeting_text(facts.occurrence, where), primary=primary)
    return fitted_message(text, blocks, language)


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
    return titled_part("kpis", title, packed_sections(lines), language)


def _weekly_sla(facts: WeeklyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.sla.title.week")
    blocks: list[Block] = []
    if not facts.sla:
        blocks.append(section(t(language, "agenda.ui.sla.none")))
    for row in facts.sla:
        blocks += packed_sections(commitment_lines(row, where))
    if facts.open_breaches:
        lines = [t(language, "agenda.ui.breach.open_title", count=len(facts.open_breaches))]
        for view in facts.open_breaches[:MAX_BREACHES]:
            lines += breach_lines(view, where)
        if len(facts.open_breaches) > MAX_BREACHES:
            lines.append(more_text(len(facts.open_breaches) - MAX_BREACHES, language))
        blocks += packed_sections(lines)
    elif facts.sla:
        blocks.append(context(t(language, "agenda.ui.breach.none_open")))
    return titled_part("sla", title, blocks, language)


def _weekly_okr(facts: WeeklyFacts, where: TeamLocale) -> Part:
    return titled_part("okr", t(where.language, "agenda.ui.okr.title"), okr_blocks(facts.okr, where), where.language)


def _weekly_changes(facts: WeeklyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.changes.title", period=format_period(facts.reported, language))
    lines = [f"{number}. {kpi_line(fact, where, kind='week')}" for number, fact in enumerate(facts.changes[:MAX_CHANGES], 1)]
    if len(facts.changes) > MAX_CHANGES:
        lines.append(more_text(len(facts.changes) - MAX_CHANGES, language))
    if not facts.changes:  # said only of the KPIs that have a value: the others are named below
        lines.append(t(language, "agenda.ui.changes.none" if len(facts.unlogged) < facts.kpi_count else "agenda.truth.changes.nothing_logged"))
    if facts.unlogged and len(facts.unlogged) < facts.kpi_count:
        names = ", ".join(escape_mrkdwn(fact.name) for fact in facts.unlogged[:MAX_CHANGES])
        if len(facts.unlogged) > MAX_CHANGES:
            names += " " + more_text(len(facts.unlogged) - MAX_CHANGES, language)
        lines.append(t(language, "agenda.truth.changes.unlogged", count=len(facts.unlogged), names=names))
    voice = feedback_agenda.weekly_line(facts.voice_moves, language)
    if voice:
        lines.append(voice)
    return titled_part("changes", title, [*packed_sections(lines), context(t(language, "agenda.ui.changes.hint"))], language)


def _weekly_experiment(facts: WeeklyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.experiment.title")
    last = facts.last_experiment
    if last is None:
        return titled_part("experiment", title, [section(t(language, "agenda.ui.experiment.none"))], language)
    lines = [experiment_text(last, language)]
    moved = facts.last_experiment_change
    if moved is not None:
        lines.append(t(language, "agenda.ui.experiment.metric_moved", period=format_period(moved.change.period, language),
                       line=kpi_line(moved, where, kind="week")))  # fmt: skip
    elif last.kpi_key is None:
        lines.append(t(language, "agenda.ui.experiment.metric_not_kpi"))
    if last.result is None:
        lines.append(t(language, "agenda.ui.experiment.no_result"))
    return titled_part("experiment", title, packed_sections(lines), language)


def _bottleneck_text(fact: KpiFact | None, where: TeamLocale) -> str:
    language = where.language
    if fact is None or fact.change.value is None:
        return t(language, "agenda.ui.plan.no_bottleneck")
    change = fact.change
    stage = STARTER_STAGES.get(fact.key)
    stage_text = t(language, f"agenda.ui.stage.{stage.value}") if stage is not None else ""
    params = {"name": kpi_name_text(fact), "stage": stage_text, "value": kpi_value_text(change.value, fact.spec, where)}
    if change.meets_target is False and change.target is not None:
        gap = share_text(float(change.target_gap or 0), language=language, country=where.country)
        return t(language, "agenda.ui.plan.bottleneck.behind", gap=gap, target=kpi_value_text(change.target, fact.spec, where), **params)
    previous = kpi_value_text(change.previous, fact.spec, where) if change.previous is not None else "—"
    percent = signed_percent(change.percent, language=language, country=where.country) if change.percent is not None else "—"
    return t(language, "agenda.ui.plan.bottleneck.worse", previous=previous, percent=percent, **params)


def _plan_steps(facts: WeeklyFacts, where: TeamLocale) -> list[str]:
    language = where.language
    box = max(meeting_minutes(facts.occurrence) // 3, 1)
    primary = kpi_sentence(facts.primary, where) if facts.primary is not None else t(language, "agenda.ui.kpis.no_primary_short")
    return [
        t(language, "agenda.ui.plan.primary", minutes=box, primary=primary),
        t(language, "agenda.ui.plan.bottleneck", minutes=box, why=_bottleneck_text(facts.bottleneck, where)),
        t(language, "agenda.ui.plan.experiment", minutes=box),
    ]


def _experiment_step(facts: WeeklyFacts, where: TeamLocale) -> list[Block]:
    language = where.language
    if facts.experiment is not None:
        return [section(truncate(t(language, "agenda.ui.plan.decided") + "\n" + experiment_text(facts.experiment, language), SECTION_BUDGET))]
    decide = kit.button(text=t(language, "agenda.ui.plan.decide_button"), action_id=DECIDE_EXPERIMENT, value=facts.occurrence.key,
                        style="primary")
    return [kit.actions(block_id=PLAN_ACTIONS, elements=[decide]), context(t(language, "agenda.ui.plan.decide_hint"))]


def _weekly_plan(facts: WeeklyFacts, where: TeamLocale) -> Part:
    language = where.language
    title = t(language, "agenda.ui.plan.title", minutes=meeting_minutes(facts.occurrence))
    return titled_part("plan", title, [*packed_sections(_plan_steps(facts, where)), *_experiment_step(facts, where)], language)


def _weekly_start(facts: WeeklyFacts, where: TeamLocale) -> AgendaMessages:
    """No KPIs or no data yet: the first meeting sets the baseline."""
    language = where.language
    title = _weekly_title(facts, where)
    blocks = [header(title), section(_weekly_meeting(facts, where)), *packed_sections(start_lines(where, has_kpis=facts.kpi_count > 0, primary=facts.primary))]
    blocks.append(context(t(language, "agenda.ui.weekly.thread_hint_start")))
    text = t(language, "agenda.ui.weekly.text_start", team=escape_mrkdwn(facts.team_name), when=meeting_text(facts.occurrence, where))
    parts = []
    if facts.sla:
        parts.append(_weekly_sla(facts, where))
    if any(objective.active for objective in facts.okr.objectives):
        parts.append(_weekly_okr(facts, where))
    parts.append(topics_part(facts.topics, where, monthly=False))
    box = max(meeting_minutes(facts.occurrence) // 3, 1)
    steps = [t(language, "agenda.ui.plan.start.kpis", minutes=box), t(language, "agenda.ui.plan.start.baseline", minutes=box),
             t(language, "agenda.ui.plan.experiment", minutes=box)]  # fmt: skip
    plan_title = t(language, "agenda.ui.plan.title", minutes=meeting_minutes(facts.occurrence))
    parts.append(titled_part("plan", plan_title, [*packed_sections(steps), *_experiment_step(facts, where)], language))
    return AgendaMessages(AgendaKind.WEEKLY, fitted_message(text, blocks, language), tuple(parts))
