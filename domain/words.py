"""Reading the words of a one-line command left to right (used by the alert and KPI parsers)."""

from __future__ import annotations

from typing import Iterable

from domain.commands import fold


class WordCursor:
    def __init__(self, words: Iterable[str]):
        self.words = list(words)
        self.position = 0

    def peek(self) -> str | None:
        return self.words[self.position] if self.position < len(self.words) else None

    def take(self) -> str:
        word = self.words[self.position]
        self.position += 1
        return word

    def take_if(self, choices: set[str]) -> str | None:
        """The next word if it is one of `choices` (compared without case or accents)."""
        word = self.peek()
        if word is not None and fold(word) in choices:
            return self.take()
        return None
