"""`/alinea simular ventas +15 millones por mes con conversión` (whatif, meta, ¿cuántos…): the
funnel arithmetic behind a sales goal, answered privately. Read-only: nothing is saved."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.blocks import Reply
from domain.locales import team_locale
from bot.blocks.okr import KeyResultPrefill
from bot.blocks.whatif import CHECK_SMART, USE_AS_KR, whatif_reply
from commands import okr_objectives, smart
from commands.context import CommandRequest, Interaction, team_of
from db.session import read_only
from domain.errors import UserError
from domain.periods import local_date
from services import whatif

__all__ = ["CHECK_SMART", "USE_AS_KR", "check_smart", "handle", "use_as_key_result"]

# "¿cuántos pedidos necesito para 60 millones?" and "how many orders do I need for 60 million?"
# arrive as the word "¿cuantos" (or "how") and the rest: the question's words say what is asked
# (orders; "¿cuántas ventas…?" and "how many sales…?" count sales, so orders too), so the
# question is read whole, like any other ask.
QUESTION_WORDS = ("cuantos", "¿cuantos", "cuantas", "¿cuantas", "cuanto", "¿cuanto", "cuanta", "¿cuanta", "how")
WORDS = ("whatif", "meta", *QUESTION_WORDS)
_HOW = ("many", "much")  # "how" asks the what-if only as "how many…" or "how much…"


def handle(request: CommandRequest) -> Reply:
    text = request.args.strip()
    if not text or (request.word == "how" and text.split()[0].casefold() not in _HOW):
        raise UserError("whatif.usage")
    if request.word in QUESTION_WORDS:
        text = f"{request.word} {text}"
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        result = whatif.simulate(session, team=team, text=text, today=local_date(request.now, team.timezone))
        where = team_locale(team)
    return whatif_reply(result, where)


def check_smart(interaction: Interaction) -> Reply:
    """A path's "Check as SMART goal" button: its goal through `/alinea smart`, privately.
    Nothing is saved: the person decides what to do with the checklist."""
    return smart.checklist(interaction.runtime, interaction.scope, str(interaction.value or ""), now=interaction.now)


def use_as_key_result(interaction: Interaction) -> None:
    """A path's "Use as key result" button: the new objective form with the path as its first
    key result (KPI, from, to, deadline), for the person to title, review and submit; nothing
    is saved before that. Like the form itself, only for the team's leads."""
    try:
        chosen = json.loads(str(interaction.value or ""))
        days = int(chosen["days"])
        prefill = (str(chosen["kpi"]), str(chosen["baseline"]), str(chosen["target"]))
    except (ValueError, KeyError, TypeError):
        raise UserError("whatif.usage") from None
    with read_only(interaction.runtime.session_factory) as session:
        today = local_date(interaction.now, team_of(session, interaction.scope).timezone)
    return okr_objectives.open_new_form(interaction, KeyResultPrefill(*prefill, deadline=today + timedelta(days=days)))
