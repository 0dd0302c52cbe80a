"""`/alinea help` (ayuda): every subcommand with an example, and "did you mean" for typos."""

from __future__ import annotations

from typing import Sequence

from bot.blocks import HelpEntry, Reply, escape_mrkdwn, help_blocks
from commands.context import CommandRequest, Subcommand
from domain.commands import closest
from services.i18n import t


def show(request: CommandRequest, subcommands: Sequence[Subcommand]) -> Reply:
    return render(request.locale, subcommands)


def unknown(request: CommandRequest, subcommands: Sequence[Subcommand]) -> Reply:
    words = [word for entry in subcommands for word in entry.words()]
    suggestion = closest(request.word, words)
    typed = escape_mrkdwn(request.word)
    notice = t(request.locale, "help.unknown", command=typed)
    if suggestion:
        notice += " " + t(request.locale, "help.did_you_mean", suggestion=f"/alinea {suggestion}")
    return render(request.locale, subcommands, notice=notice)


def render(locale: str, subcommands: Sequence[Subcommand], *, notice: str | None = None) -> Reply:
    entries = [
        HelpEntry(
            usage="/alinea " + " | ".join(entry.words()),
            summary=t(locale, entry.summary_id),
            example=t(locale, entry.example_id),
        )
        for entry in subcommands
    ]
    blocks = help_blocks(
        title=t(locale, "help.title"),
        intro=t(locale, "help.intro"),
        entries=entries,
        notice=notice,
        example_label=t(locale, "help.example"),
    )
    text = (notice + "\n" if notice else "") + t(locale, "help.title")
    return Reply(text=text, blocks=blocks)
