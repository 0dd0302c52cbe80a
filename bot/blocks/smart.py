"""A SMART check as Block Kit: the goal as understood, then one line per criterion with its mark
and, for each failure, the fix the domain proposes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date

from bot.blocks import Block, Reply, context, escape_mrkdwn, header, section
from domain.locales import TeamLocale
from domain.kpis import DEFAULT_CURRENCY
from domain.number_format import format_quantity
from domain.number_style import HOURS, PERCENT
from domain.smart_goal import Finding, Goal, GoalDirection, SmartCheck, Verdict
from services.i18n import language_of, t

MARKS = {Verdict.PASSED: "✅", Verdict.FAILED: "❌", Verdict.UNKNOWN: "❔"}
TYPED_LIMIT = 200  # the metric as typed is clipped before escaping, so a long goal stays readable


def checklist_reply(result: SmartCheck, team: TeamLocale) -> Reply:
    language = team.language
    passed = sum(finding.verdict is Verdict.PASSED for finding in result.findings)
    total = len(result.findings)
    summary = t(language, "smart.ui.summary", passed=passed, total=total)
    blocks: list[Block] = [header(t(language, "smart.ui.title")), section(_understood(result.goal, team))]
    blocks += [section(_line(finding, language)) for finding in result.findings]
    if result.failures:
        closing = t(language, "smart.ui.fix_and_retry")
    elif passed < total:
        closing = t(language, "smart.ui.passed_with_unknowns")
    else:
        closing = t(language, "smart.ui.all_passed")
    blocks.append(context(f"{summary} {closing}\n{t(language, 'smart.ui.legend')}"))
    return Reply(f"{t(language, 'smart.ui.title')}: {summary}", blocks)


def _line(finding: Finding, language: str) -> str:
    """"❌ *Medible*: Agrega de dónde partes…", with whatever the person typed escaped."""
    params = {name: escape_mrkdwn(_clipped(value) if name == "metric" else value) for name, value in finding.params.items()}
    return f"{MARKS[finding.verdict]} *{t(language, finding.label_id)}*: {t(language, finding.message_id, **params)}"


def _clipped(text: str) -> str:
    return text if len(text) <= TYPED_LIMIT else text[: TYPED_LIMIT - 1] + "…"


def _understood(goal: Goal, team: TeamLocale) -> str:
    language = team.language
    metric = _clipped(goal.metric)
    lines = [
        f"*{t(language, 'smart.ui.understood')}*",
        "• " + (t(language, "smart.ui.metric", metric=escape_mrkdwn(metric)) if metric else t(language, "smart.ui.no_metric")),
        "• " + _values(goal, team),
        "• " + _dates(goal, language),
    ]
    return "\n".join(lines)


def _values(goal: Goal, team: TeamLocale) -> str:
    language = team.language

    def shown(value: Decimal) -> str:
        currency = goal.unit if goal.unit not in (None, PERCENT, HOURS) else DEFAULT_CURRENCY
        return format_quantity(value, goal.unit, language=language, country=team.country, currency=currency)

    direction = {GoalDirection.INCREASE: "smart.ui.increase", GoalDirection.DECREASE: "smart.ui.decrease"}
    moving = f" ({t(language, direction[goal.direction])})" if goal.direction else ""
    scale = ""
    if goal.scale is not None:
        scale = " " + t(language, "smart.ui.scale", scale=format_quantity(goal.scale, None, language=language, country=team.country))
    if goal.baseline is not None and goal.target is not None:
        return t(language, "smart.ui.values", baseline=shown(goal.baseline), target=shown(goal.target)) + scale + moving
    if goal.target is not None:
        return t(language, "smart.ui.target_only", target=shown(goal.target)) + scale + moving
    if goal.baseline is not None:
        return t(language, "smart.ui.baseline_only", baseline=shown(goal.baseline)) + moving
    return t(language, "smart.ui.no_values") + moving


def _dates(goal: Goal, language: str) -> str:
    def day(value: date) -> str:
        return format_date(value, format="medium", locale=language_of(language))

    if goal.start is not None and goal.deadline is not None:
        return t(language, "smart.ui.dates", start=day(goal.start), deadline=day(goal.deadline))
    if goal.start is not None:
        return t(language, "smart.ui.no_deadline", start=day(goal.start))
    return t(language, "smart.ui.no_dates")
