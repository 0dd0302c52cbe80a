"""Splitting `/alinea …` text into a subcommand and its arguments, and suggesting a close one."""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from domain.errors import UserError


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


def unknown_word(
    word: str, candidates: Iterable[str], message_id: str, *, suggestion_id: str | None = None, match: str | None = None,
    **params: object,
) -> UserError:
    """The error for `word`, which is none of `candidates`: `suggestion_id` (by default
    `message_id` + "_suggestion") naming the closest candidate, else `message_id`. `match` is
    what is compared when it differs from the word shown (a phrase already folded)."""
    suggestion = closest(word if match is None else match, sorted(candidates))
    if suggestion:
        return UserError(suggestion_id or f"{message_id}_suggestion", word=word, suggestion=suggestion, **params)
    return UserError(message_id, word=word, **params)
