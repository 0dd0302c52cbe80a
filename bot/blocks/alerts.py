"""Alert messages and replies as Block Kit."""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from bot.blocks import Reply, context, escape_mrkdwn, section
from bot.blocks.kpi import shown
from domain.locales import TeamLocale
from domain.alerts import Mode, Movement, describe_movement
from domain.kpis import KpiSpec
from domain.number_format import format_quantity
from services.alerts import AlertView, Episode
from services.i18n import t


def rule_text(view: AlertView, team: TeamLocale) -> str:
    spec = view.spec
    amount = format_quantity(spec.amount, "%" if spec.mode is Mode.PERCENT else None, language=team.language, country=team.country)
    return t(
        team.language, f"alert.ui.rule.{spec.movement.value}.{spec.mode.value}", number=view.id, key=view.kpi_key,
        name=escape_mrkdwn(view.kpi_name), amount=amount, hours=spec.window_hours,
    )


def alert_message(episode: Episode, kpi_spec: KpiSpec, team: TeamLocale) -> Reply:
    """Posted in the team's channel: what moved, from what to what, how fast, and the rule."""
    facts = describe_movement(episode.rule.spec, episode.baseline, episode.reached)
    moved = "rose" if episode.rule.spec.movement is Movement.RISES else "fell"
    change = abs(facts["change"])
    change_text = (
        format_quantity(abs(facts["change_percent"]), "%", language=team.language, country=team.country)
        if episode.rule.spec.mode is Mode.PERCENT and facts["change_percent"] is not None
        else format_quantity(change, None, language=team.language, country=team.country)
    )
    text = t(
        team.language, f"alert.ui.message.{moved}.{episode.rule.spec.mode.value}", name=escape_mrkdwn(episode.rule.kpi_name),
        change=change_text, hours=_hours(facts["hours"], team), before=shown(episode.baseline.value, kpi_spec, team),
        after=shown(episode.reached.value, kpi_spec, team),
    )
    return Reply(text, [section(text), context(rule_text(episode.rule, team) + " · " + t(team.language, "alert.ui.message.hint"))])


def _hours(hours: Decimal, team: TeamLocale) -> str:
    return format_quantity(hours.quantize(Decimal("0.1")).normalize(), None, language=team.language, country=team.country)


def created_reply(view: AlertView, team: TeamLocale) -> Reply:
    text = t(team.language, "alert.ui.created", rule=rule_text(view, team))
    return Reply(text, [section(text)])


def deleted_reply(view: AlertView, team: TeamLocale) -> Reply:
    text = t(team.language, "alert.ui.deleted", rule=rule_text(view, team))
    return Reply(text, [section(text)])


def listing_reply(views: Sequence[AlertView], team: TeamLocale) -> Reply:
    if not views:
        text = t(team.language, "alert.ui.none")
        return Reply(text, [section(text)])
    lines = [rule_text(view, team) + (" 🔴" if view.firing else "") for view in views]
    title = t(team.language, "alert.ui.list_title", count=len(views))
    return Reply(title, [section(f"*{title}*\n" + "\n".join(lines)[:2800]), context(t(team.language, "alert.ui.list_hint"))])
