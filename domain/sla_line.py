"""The two optional words of `/alinea sla new …` that `domain.sla.parse_commitment` does not read:
who answers for the commitment and from which day it counts.

    … responsible|responsable @user     the lead answerable for breaches (default: the side's lead)
    … from|desde 2026-04-01             the first evaluated period contains this day (default: today)

They may appear anywhere after the side; what is left goes to `parse_commitment` unchanged in
meaning. A mention arrives as Slack sends it (`<@U123|ana maria>`, spaces allowed in the label)
and quoted runs (`term "lead calificado"`) are never searched for these words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.commands import fold
from domain.errors import UserError
from domain.examples import next_month_start
from domain.slack_text import user_id_of

__all__ = ["CommitmentLine", "split_line"]

_TOKEN = re.compile(r"<[@#!][^>]*>|[\"“”„«][^\"“”»]*[\"“”»]|\S+")
_RESPONSIBLE_WORDS = {"responsible", "responsable"}
_FROM_WORDS = {"from", "desde"}


@dataclass(frozen=True)
class CommitmentLine:
    terms_text: str  # for parse_commitment
    responsible: str | None = None  # a Slack user id
    starts_on: date | None = None


def split_line(text: str, *, today: date) -> CommitmentLine:
    """Take `responsible @user` and `from YYYY-MM-DD` out of the one-line form."""
    kept: list[str] = []
    found: dict[str, object] = {}
    tokens = [match.group(0) for match in _TOKEN.finditer(text)]
    index = 0
    while index < len(tokens):
        typed, word = tokens[index], fold(tokens[index])
        if word in _RESPONSIBLE_WORDS | _FROM_WORDS:
            option = "responsible" if word in _RESPONSIBLE_WORDS else "from"
            if option in found:
                raise UserError("sla.repeated_keyword", word=typed)
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            found[option] = _responsible(typed, following) if option == "responsible" else _start_day(typed, following, today)
            index += 2
            continue
        kept.append(typed)
        index += 1
    return CommitmentLine(
        " ".join(kept), responsible=found.get("responsible"), starts_on=found.get("from"),  # type: ignore[arg-type]
    )


def _responsible(keyword: str, following: str | None) -> str:
    user_id = user_id_of(following) if following else None
    if user_id is None:
        raise UserError("sla.ui.responsible_missing", word=keyword)
    return user_id


def _start_day(keyword: str, following: str | None, today: date) -> date:
    try:
        return date.fromisoformat(following or "")
    except ValueError:
        raise UserError("sla.ui.start_day_invalid", word=keyword, typed=following or "", example_start_iso=next_month_start(today).isoformat()) from None
