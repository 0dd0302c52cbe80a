"""Numbers placed by Alinea, not typed by a model: the LLM narrator's model writes sentences
that name facts by placeholder, and this module puts the numbers in.

Each fact gets a short alias in the prompt (`F1`, `F2`… in the order of the facts), and each of
its numbers a placeholder: `{F1.value}`, `{F1.percent}`, `{F3.progress}`. The fact's full id
works too (`{kpi.sales_cop.2026-W48.value}`), and `{F1}` alone is the fact's name ("Ventas"); a
number may also go by the word the prompt gave it (`{F1.valor}`).
A placeholder is filled with the number written the team's way, as the offline narrator writes
it (`services.offline_narrator.fact_number`): "$41.440.000", "7,9 %", "0,07 pp", "3". An alias
written without braces ("F1 bajó") is read as if braced, so no "F1" reaches Slack.

A text is refused (`FilledText.reason`) when:

- "typed_number": the model typed a number itself: any digit outside a placeholder, other than
  the digits of a fact's own name (its id, "KR3", a KPI called "Recompra a 60 días"). Whether
  the number happens to be right does not matter: numbers come from the facts only;
- "unknown_placeholder": a placeholder that names no fact, or a number the fact does not have.

So a model cannot state a number that is not in the data, by construction; the grounding check
(`domain.grounding`) still reads the filled text as a second line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from domain import grounding
from domain.narrative import Fact
from services.offline_narrator import fact_number

PLACEHOLDER = re.compile(r"\{\s*([^{}\s]+?)\s*\}")
# An alias written without braces ("F1 bajó", "F2.value"): a small model's habit, read as if braced.
BARE_ALIAS = re.compile(r"(?<![\w.{])F\d+(?:\.[a-z_]+)?(?![\w}])")
TYPED_NUMBER = "typed_number"
UNKNOWN_PLACEHOLDER = "unknown_placeholder"
# A unit the model repeats right after a filled number ("{F1.percent} %" → "7,9 % %"), and a
# currency sign right before one ("${F1.value}" → "$$41.440.000"): the filled text has them.
_UNIT_AFTER = re.compile(r"[ \u00a0]*(%|pp|h|COP|USD|EUR|MXN|pesos)(?!\w)", re.IGNORECASE)
_SIGN_BEFORE = re.compile(r"[$€][ \u00a0]*$")


def alias(number: int) -> str:
    """The prompt's short name of the `number`-th fact (from 1)."""
    return f"F{number}"


@dataclass(frozen=True)
class FilledText:
    text: str | None  # the text with its numbers in, or None when refused
    reason: str | None = None  # TYPED_NUMBER or UNKNOWN_PLACEHOLDER
    typed: int = 0  # numbers the model typed itself


class Placeholders:
    """The facts of one narration, by alias and by id, and the filling of a model's text."""

    def __init__(self, facts: Sequence[Fact], *, language: str, country: str | None, names: Mapping[str, str] | None = None) -> None:
        """`names`: the words the prompt gave each number ("valor" for value), read as the number's
        own name when a model writes them in a placeholder ({F1.valor})."""
        self.facts = tuple(facts)
        self.language = language
        self.country = country
        self._names = {word.lower(): name for word, name in (names or {}).items()}
        self._by_name = {alias(number): fact for number, fact in enumerate(self.facts, start=1)}
        self._by_name.update({fact.id: fact for fact in self.facts})

    def fact(self, name: str) -> Fact | None:
        return self._by_name.get(name.strip().strip("{}").strip())

    def fact_ids(self, cited: Sequence[str]) -> tuple[str, ...]:
        """Aliases cited by a hypothesis as fact ids; an unknown one stays as written, so the
        grounding check drops the hypothesis that cites it."""
        return tuple((found.id if (found := self.fact(name)) else name) for name in cited)

    def names_a_fact(self, text: str) -> bool:
        """Whether `text` refers to a fact at all: a placeholder, an alias or a fact's name. A
        sentence that names none says nothing about the week (a small model's filler, or
        worse, people and events it made up)."""
        braced = self._braced(text)
        if any(self._number(match.group(1)) for match in PLACEHOLDER.finditer(braced)):
            return True
        folded = text.casefold()
        return any(fact.subject.casefold() in folded or fact.subject.rpartition(" · ")[2].casefold() in folded for fact in self.facts)

    def typed_numbers(self, text: str) -> int:
        bare = PLACEHOLDER.sub(" ", self._braced(text))
        return len(grounding.typed_numbers(bare, self.facts, language=self.language, country=self.country))

    def _braced(self, text: str) -> str:
        return BARE_ALIAS.sub(lambda match: f"{{{match.group(0)}}}" if self._number(match.group(0)) else match.group(0), text)

    def fill(self, text: str) -> FilledText:
        typed = self.typed_numbers(text)
        text = self._braced(text)
        if typed:
            return FilledText(None, TYPED_NUMBER, typed)
        pieces: list[str] = []
        position = 0
        for match in PLACEHOLDER.finditer(text):
            number = self._number(match.group(1))
            if number is None:
                return FilledText(None, UNKNOWN_PLACEHOLDER)
            before = text[position : match.start()]
            if number[:1] in "$€":
                before = _SIGN_BEFORE.sub("", before)
            pieces += [before, number]
            position = match.end()
            repeated = _UNIT_AFTER.match(text, position)
            if repeated and number.rstrip().lower().endswith(repeated.group(1).lower()):
                position = repeated.end()
        pieces.append(text[position:])
        return FilledText("".join(pieces))

    def metric(self, text: str) -> FilledText:
        """A hypothesis' metric: a fact named by alias is its KPI's key (so the hypothesis can
        be adopted as the week's experiment), else its name; anything else is filled as text."""
        found = self.fact(text) if PLACEHOLDER.fullmatch(text.strip()) or BARE_ALIAS.fullmatch(text.strip()) else None
        if found is not None:
            return FilledText(found.detail.get("kpi") or found.subject)
        return self.fill(text)

    def _number(self, reference: str) -> str | None:
        whole = self._by_name.get(reference)
        if whole is not None:
            return whole.subject
        name, _, field = reference.rpartition(".")
        fact = self._by_name.get(name)
        field = field if fact is None or field in fact.numbers else self._names.get(field.lower(), field)
        if fact is None or field not in fact.numbers or fact.numbers[field] is None:
            return None
        return fact_number(fact, field, language=self.language, country=self.country)
