"""`/alinea simular ventas +15 millones por mes con conversión` (whatif, meta, ¿cuántos…): the
funnel arithmetic behind a sales goal, answered privately. Read-only: nothing is saved."""

from __future__ import annotations

from bot.blocks import Reply
from bot.blocks.kpi import team_locale
from bot.blocks.whatif import CHECK_SMART, whatif_reply
from commands import smart
from commands.context import CommandRequest, team_of
from commands.runner import Interaction
from db.session import read_only
from domain.errors import UserError
from domain.periods import local_date
from services import whatif

__all__ = ["CHECK_SMART", "check_smart", "handle"]

# "¿cuántos pedidos necesito para 60 millones?" arrives as the word "¿cuantos" and the rest:
# the words of the question say what is asked (orders), so the rest is read like any other ask.
WORDS = ("whatif", "meta", "cuantos", "¿cuantos", "cuanto", "¿cuanto")


def handle(request: CommandRequest) -> Reply:
    text = request.args.strip()
    if not text:
        raise UserError("whatif.usage")
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        result = whatif.simulate(session, team=team, text=text, today=local_date(request.now, team.timezone))
        where = team_locale(team)
    return whatif_reply(result, where)


def check_smart(interaction: Interaction) -> Reply:
    """A path's "Check as SMART goal" button: its goal through `/alinea smart`, privately.
    Nothing is saved: the person decides what to do with the checklist."""
    return smart.checklist(interaction.runtime, interaction.scope, str(interaction.value or ""), now=interaction.now)
