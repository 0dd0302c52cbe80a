"""Splitting `/alinea …` text into a subcommand and its arguments, and suggesting a close one."""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class ParsedCommand:
    word: str  # the subcommand as typed, folded ("" for an empty command)
    rest: str  # everything after it, untouched


def fold(word: str) -> str:
    """Lower-case without accents, so "AYUDA" and "Ayúda" find "ayuda"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def split_command(text: str) -> ParsedCommand:
    stripped = text.strip()
    if not stripped:
        return ParsedCommand("", "")
    word, _, rest = stripped.partition(" ")
    return ParsedCommand(fold(word), rest.strip())


def closest(word: str, candidates: list[str]) -> str | None:
    """The most similar candidate, or None when nothing is reasonably close."""
    matches = difflib.get_close_matches(fold(word), candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None
