"""`/alinea insights [week]` (análisis, resumen): the week's summary and hypotheses, privately,
and the people-decide buttons under each hypothesis, wherever they appear (here and in the
weekly agenda's thread).

    insights                       the week the next weekly agenda reports (usually last week)
    insights 2026-W46 | semana 46 | semana pasada | 12/11/2026
                                   another finished week (a day means its week)

The narrative is the stored one when the figures have not changed since it was narrated (the
agenda's, or an earlier request's), else narrated now: by the model when the operator set one
and the team did not switch it off, else by the offline narrator.
"""

from __future__ import annotations

import logging

from bot.blocks import Reply, agenda_layout, context
from domain.locales import team_locale
from bot.blocks.narrative import ADOPT, NOT_USEFUL, insight_reply
from bot.notifier import POST_FAILURES
from commands.agenda import announce_experiment
from commands.context import CommandRequest, Interaction, team_of
from db.session import read_only
from domain.errors import UserError
from domain.periods import DAY, Period, local_date, parse_period
from services import insights
from services.i18n import t

__all__ = ["ADOPT", "NOT_USEFUL", "adopt", "not_useful", "show"]

logger = logging.getLogger(__name__)


def show(request: CommandRequest) -> Reply:
    factory = request.runtime.session_factory
    with read_only(factory) as session:
        team = team_of(session, request.scope)
        week = _week(request.args, today=local_date(request.now, team.timezone), language=team.locale)
        found = insights.week_facts(session, team=team, week=week, now=request.now)
        team_id, where, allows = team.id, team_locale(team), team.llm_enabled
    # The narrator runs after the read (a model may take seconds), on the work queue.
    narrator = request.runtime.narrators.narrator(request.scope.workspace_id, team_allows=allows)
    insight = insights.narrate_once(
        factory, narrator, team_id=team_id, week=found.meeting.period, facts=found.facts, language=where.language,
        country=where.country, now=request.now,
    )  # fmt: skip
    reply = insight_reply(insight, where, actionable=found.open_for_decision)
    heading = t(where.language, "insights.heading", week=found.reported.key)
    return Reply(reply.text, [reply.blocks[0], context(heading), *reply.blocks[1:]])


def _week(text: str, *, today, language: str) -> Period | None:
    text = text.strip()
    if not text:
        return None
    period = parse_period(text, today=today, language=language)
    return Period.week_of(period.start) if period.kind == DAY else period


# The buttons ------------------------------------------------------------------------------------------


def _hypothesis_id(interaction: Interaction) -> int:
    try:
        return int(str(interaction.value or ""))
    except ValueError:
        raise UserError("insights.unknown_hypothesis") from None


def adopt(interaction: Interaction) -> Reply:
    """Records the hypothesis as the week's experiment, owned by whoever pressed; posts the
    decision in the team's channel and redraws the message the button was on."""
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        done = insights.adopt(session, team=team, actor=interaction.user_id, hypothesis_id=_hypothesis_id(interaction), now=interaction.now)
        channel_id, where = team.channel_id, team_locale(team)
    decided = done.experiment
    announce_experiment(interaction, decided, channel_id=channel_id, locale=where.language)
    _redraw(interaction, insight_reply(done.insight, where, actionable=True))
    text = t(where.language, "insights.adopted", week=decided.week.key, due=decided.due.isoformat(), metric=decided.metric)
    if done.replaced:
        text += " " + t(where.language, "insights.adopted_replaced")
    return Reply(text)


def not_useful(interaction: Interaction) -> Reply:
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        feedback = insights.not_useful(session, team=team, actor=interaction.user_id, hypothesis_id=_hypothesis_id(interaction), now=interaction.now)
        where = team_locale(team)
    if feedback.first_time:
        _redraw(interaction, insight_reply(feedback.insight, where, actionable=True))
    return Reply(t(where.language, "insights.feedback_thanks" if feedback.first_time else "insights.feedback_again"))


def _redraw(interaction: Interaction, reply: Reply) -> None:
    """The message the button was on, redrawn with the hypothesis' new state: a channel message
    with chat.update; an ephemeral one is answered by the reply instead. A failed redraw only
    leaves the old buttons (a second press is refused or counted once)."""
    if interaction.ephemeral or not interaction.message_ts or not interaction.channel_id:
        return
    text, blocks = reply.text, reply.blocks
    held = (interaction.message or {}).get("blocks") or []
    spliced = agenda_layout.replace_section(held, "summary", reply.blocks)
    if spliced is not None:  # the week in brief inside an agenda's details: only its section is redrawn
        text, blocks = (interaction.message or {}).get("text") or reply.text, spliced
    try:
        interaction.client.chat_update(channel=interaction.channel_id, ts=interaction.message_ts, text=text, blocks=blocks)
    except POST_FAILURES:
        logger.warning("could not redraw the narrative after a button press", exc_info=True)
