"""Answers to an OKR review's three questions, replied in the review prompt's thread:
`logrado: …` / `achieved: …`, `aprendido: …` / `learned: …`, `ajustar: …` / `adjust: …`.
"""

from __future__ import annotations

import re
from enum import Enum

from domain.commands import fold

__all__ = ["ReviewQuestion", "parse_review_answer"]


class ReviewQuestion(str, Enum):
    ACHIEVED = "achieved"
    LEARNED = "learned"
    ADJUST = "adjust"


_REVIEW_WORDS = {
    **dict.fromkeys(("logrado", "logros", "logro", "logramos", "achieved", "achievement", "achievements"), ReviewQuestion.ACHIEVED),
    **dict.fromkeys(("aprendido", "aprendimos", "aprendizaje", "aprendizajes", "learned", "learnt", "lessons", "lesson"), ReviewQuestion.LEARNED),
    **dict.fromkeys(("ajustar", "ajuste", "ajustes", "ajustamos", "adjust", "adjustment", "adjustments", "change"), ReviewQuestion.ADJUST),
}
_REVIEW_LEAD = re.compile(r"\s*(?P<word>[^\W\d_]+)\s*[:\-–—]\s*", re.UNICODE)


def parse_review_answer(text: str) -> tuple[ReviewQuestion, str] | None:
    """`logrado: recompra 24 %` / `learned - bundles sell` / `ajustar: …` → (question, answer).
    The word must be followed by a colon or dash, so ordinary thread chatter is not an answer
    (None)."""
    found = _REVIEW_LEAD.match(text)
    if found is None:
        return None
    question = _REVIEW_WORDS.get(fold(found.group("word")))
    answer = text[found.end() :].strip()
    if question is None or not answer:
        return None
    return question, answer
