"""The shared glossary: terms with versioned definitions that marketing and sales both approve.

Pure rules only: how a term is typed and matched, what a valid definition looks like, what
changed between two versions, and when a version counts as agreed. Storage lives elsewhere.

Text arrives here already entity-decoded (the command dispatcher does it once), so nothing in
this module decodes Slack entities again: decoding twice would corrupt what the person typed.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Iterable

from domain.commands import fold
from domain.errors import UserError

MAX_TERM_LENGTH = 60
MAX_DEFINITION_LENGTH = 1500
MAX_FIELD_LENGTH = 500  # formula, source system, examples, non-examples
MAX_ALIASES = 10

# Quotes people type around a term, straight or typographic (Slack on macOS and phones turns
# "x" into “x”), plus the punctuation that ends a sentence and Slack's bold/italic/code marks:
# none of them are part of a term's identity, so "*MQL*", "MQL." and “MQL” are all the term MQL.
_OPENING_QUOTES = "\"“”„«"
_CLOSING_QUOTES = "\"“”»"
_SURROUNDING_NOISE = _OPENING_QUOTES + _CLOSING_QUOTES + "'‘’`*_~.,;:!?¿¡ \t\r\n"

_ALIAS_SEPARATORS = re.compile(r"[,;\r\n]+")


class Side(str, Enum):
    MARKETING = "marketing"
    SALES = "sales"
    BOTH = "both"


_SIDE_WORDS = {
    "marketing": Side.MARKETING,
    "mercadeo": Side.MARKETING,
    "mkt": Side.MARKETING,
    "sales": Side.SALES,
    "ventas": Side.SALES,
    "both": Side.BOTH,
    "ambos": Side.BOTH,
    "ambas": Side.BOTH,
}

# The two sides whose leads must agree; BOTH is an owner, never an approver's role.
LEAD_SIDES = (Side.MARKETING, Side.SALES)


def parse_side(word: str) -> Side:
    side = _SIDE_WORDS.get(fold(word.strip()))
    if side is None:
        raise UserError("glossary.unknown_side", word=word.strip())
    return side


@dataclass(frozen=True)
class TermDraft:
    name: str
    definition: str
    owner_side: Side = Side.BOTH
    formula: str = ""
    source_system: str = ""
    examples: str = ""
    non_examples: str = ""
    aliases: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Names and matching


def term_key(name: str) -> str:
    """The key two spellings of one term share: "Conversión", "CONVERSION" and " conversion "."""
    # NFKC first so compatibility forms ("ＭＱＬ", "℡") fold the same as their plain spelling,
    # which also keeps the key stable when it is computed again from a key.
    folded = fold(unicodedata.normalize("NFKC", name))
    # Collapse first, then strip: str.split() knows every Unicode space, strip() only ours.
    return " ".join(folded.split()).strip(_SURROUNDING_NOISE)


def split_aliases(text: str) -> tuple[str, ...]:
    """Aliases typed as "MQL, lead de mercadeo; marketing qualified lead", one per entry.

    A repeat of an earlier alias (same key) is dropped, so "MQL, mql" keeps only the first.
    Entries that are only punctuation have no key and are dropped like empty ones.
    """
    aliases: list[str] = []
    seen: set[str] = set()
    for piece in _ALIAS_SEPARATORS.split(text):
        alias = piece.strip()
        key = term_key(alias)
        if key and key not in seen:
            seen.add(key)
            aliases.append(alias)
    return tuple(aliases)


@dataclass(frozen=True)
class TermRef:
    key: str
    name: str
    aliases: tuple[str, ...] = ()

    def keys(self) -> set[str]:
        """Every key this term answers to: its own, its name's and its aliases'."""
        return {self.key, term_key(self.name), *(term_key(alias) for alias in self.aliases)} - {""}


def match_term(query: str, terms: Iterable[TermRef]) -> TermRef | None:
    """The term `query` names, by name first and then by alias (accent- and case-insensitive)."""
    key = term_key(query)
    if not key:
        return None
    candidates = list(terms)
    # A name beats an alias: if "SQL" is one term's name and (by mistake) another's alias,
    # the person most likely means the term called SQL.
    by_name = next((term for term in candidates if key in (term.key, term_key(term.name))), None)
    if by_name is not None:
        return by_name
    return next((term for term in candidates if key in term.keys()), None)


def closest_terms(query: str, terms: Iterable[TermRef], n: int = 3) -> list[str]:
    """Display names of up to `n` terms whose name or alias looks like `query` ("did you mean")."""
    key = term_key(query)
    if not key or n <= 0:
        return []
    name_of_key: dict[str, str] = {}
    for term in terms:
        for candidate in sorted(term.keys()):
            name_of_key.setdefault(candidate, term.name)
    if not name_of_key:  # difflib refuses n=0
        return []
    # Ask difflib for every close key, best first, then keep the first `n` distinct terms:
    # several aliases of one term must not crowd out other suggestions.
    close_keys = difflib.get_close_matches(key, list(name_of_key), n=len(name_of_key), cutoff=0.6)
    names: list[str] = []
    for close_key in close_keys:
        name = name_of_key[close_key]
        if name not in names:
            names.append(name)
    return names[:n]


def alias_conflicts(draft: TermDraft, terms: Iterable[TermRef], own_key: str | None) -> list[str]:
    """The draft's name and aliases, as typed, that already name a different term.

    `own_key` is the key of the term being edited (None for a new term): a term may keep
    answering to its own name and aliases.
    """
    own = term_key(own_key) if own_key else None
    taken: set[str] = set()
    for term in terms:
        if own is None or term_key(term.key) != own:
            taken |= term.keys()
    conflicts: list[str] = []
    for word in (draft.name, *draft.aliases):
        if term_key(word) in taken and word.strip() not in conflicts:
            conflicts.append(word.strip())
    return conflicts


# ---------------------------------------------------------------------------------------------
# Reading `/alinea define` and `/alinea glossary`

_HISTORY_WORDS = {"history", "historial"}


def parse_define(text: str) -> tuple[str, str]:
    """`MQL: Lead que…`, `"lead calificado" Lead que…` or `MQL Lead que…` → (name, definition).

    The name keeps the person's casing. Empty text gives ("", "") so the caller opens a modal.
    """
    stripped = text.strip()
    if not stripped:
        return "", ""
    if stripped[0] in _OPENING_QUOTES:
        name, definition = _split_quoted(stripped)
    else:
        colon = _name_colon(stripped)
        if colon is not None:
            name, definition = stripped[:colon], stripped[colon + 1 :]
        else:
            name, definition = _split_first_word(stripped)
    return _checked_pair(name.strip(), definition.strip())


def _name_colon(text: str) -> int | None:
    """Where the first colon that ends a name is, if any.

    A colon inside a URL ("MQL https://…") or a time ("SLA 9:30") is part of the definition,
    so it does not end the name.
    """
    for index, char in enumerate(text):
        if char != ":":
            continue
        in_url = text.startswith("//", index + 1)
        in_time = 0 < index < len(text) - 1 and text[index - 1].isdigit() and text[index + 1].isdigit()
        if not (in_url or in_time):
            return index
    return None


def _split_quoted(text: str) -> tuple[str, str]:
    """`"lead calificado" Lead que…` (or `“…”`): the quoted part is the name."""
    closing = next((index for index in range(1, len(text)) if text[index] in _CLOSING_QUOTES), None)
    if closing is None:
        raise UserError("glossary.quote_not_closed")
    definition = text[closing + 1 :].strip()
    # `"lead calificado": Lead que…` is natural too; the colon is not part of the definition.
    if definition.startswith(":"):
        definition = definition[1:]
    return text[1:closing], definition


def _split_first_word(text: str) -> tuple[str, str]:
    """`MQL Lead que…`: without a colon or quotes, only the first word can be the name."""
    parts = text.split(maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _checked_pair(name: str, definition: str) -> tuple[str, str]:
    if not term_key(name):
        raise UserError("glossary.name_missing")
    if not definition:
        raise UserError("glossary.definition_missing", name=name)
    return name, definition


def parse_glossary_args(text: str) -> tuple[str | None, bool]:
    """`[TERM] [history]` → (term or None, wants history).

    `history`/`historial` counts only as the last word, so a term may contain it elsewhere
    ("historial de compras"), and a quoted term may end with it (`"lead historial"`).
    `/alinea glosario historial` alone gives (None, True); the command asks which term.
    """
    words = text.split()
    wants_history = bool(words) and fold(words[-1]) in _HISTORY_WORDS
    if wants_history:
        words = words[:-1]
    term = " ".join(words).strip(_OPENING_QUOTES + _CLOSING_QUOTES + " ")
    return (term or None), wants_history


# ---------------------------------------------------------------------------------------------
# Validation


# Per optional field: its message id, so the person reads the field's name in their language.
_FIELD_ERRORS = (
    ("formula", "glossary.formula_too_long"),
    ("source_system", "glossary.source_system_too_long"),
    ("examples", "glossary.examples_too_long"),
    ("non_examples", "glossary.non_examples_too_long"),
)


def validate_draft(draft: TermDraft) -> None:
    """Raise the first problem a person must fix before the draft can be proposed."""
    _validate_name(draft.name)
    _validate_definition(draft)
    for field, message_id in _FIELD_ERRORS:
        _check_length(getattr(draft, field), MAX_FIELD_LENGTH, message_id, field=field)
    _validate_aliases(draft)


def _check_length(value: str, limit: int, message_id: str, **params: object) -> None:
    length = len(value.strip())
    if length > limit:
        raise UserError(message_id, limit=limit, length=length, **params)


def _validate_name(name: str) -> None:
    if not term_key(name):
        raise UserError("glossary.name_missing")
    _check_length(name, MAX_TERM_LENGTH, "glossary.term_too_long", field="name")


def _validate_definition(draft: TermDraft) -> None:
    if not draft.definition.strip():
        raise UserError("glossary.definition_missing", name=draft.name.strip())
    _check_length(draft.definition, MAX_DEFINITION_LENGTH, "glossary.definition_too_long", field="definition")


def _validate_aliases(draft: TermDraft) -> None:
    if len(draft.aliases) > MAX_ALIASES:
        raise UserError("glossary.too_many_aliases", field="aliases", limit=MAX_ALIASES, count=len(draft.aliases))
    name_key = term_key(draft.name)
    for alias in draft.aliases:
        _check_length(alias, MAX_TERM_LENGTH, "glossary.alias_too_long", field="aliases", alias=alias.strip())
        if term_key(alias) == name_key:
            raise UserError("glossary.alias_is_name", field="aliases", alias=alias.strip(), name=draft.name.strip())


# ---------------------------------------------------------------------------------------------
# Agreement: one marketing lead and one *other* sales lead


@dataclass(frozen=True)
class Approval:
    user_id: str
    sides: frozenset[Side]  # the approver's lead roles: MARKETING and/or SALES


def _roles_by_person(approvals: Iterable[Approval]) -> dict[str, set[Side]]:
    """Each approver's lead roles, merged if they approved twice; BOTH means both roles."""
    roles: dict[str, set[Side]] = {}
    for approval in approvals:
        sides = set(approval.sides)
        if Side.BOTH in sides:
            sides = set(LEAD_SIDES)
        roles.setdefault(approval.user_id, set()).update(sides & set(LEAD_SIDES))
    return roles


def missing_sides(approvals: Iterable[Approval]) -> set[Side]:
    """Which of MARKETING/SALES still lack an approver, counting each person once.

    The point of agreement is that two people looked at the definition, so someone who leads
    both sides fills only one of them. We count such a person for MARKETING (the first side),
    so SALES is what is missing; any other lead, of either side, then completes the agreement.
    """
    roles = _roles_by_person(approvals)
    marketers = {person for person, sides in roles.items() if Side.MARKETING in sides}
    sellers = {person for person, sides in roles.items() if Side.SALES in sides}
    if any(m != s for m in marketers for s in sellers):
        return set()
    if marketers and sellers:  # one single person holds both roles
        return {Side.SALES}
    return {side for side, people in ((Side.MARKETING, marketers), (Side.SALES, sellers)) if not people}


def is_agreed(approvals: Iterable[Approval]) -> bool:
    """True once two different people approved: a marketing lead and a sales lead."""
    return not missing_sides(approvals)


# ---------------------------------------------------------------------------------------------
# Versions: what changed, and whether anything did


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str
    after: str


# The fixed order changes are shown in: the definition matters most.
VERSIONED_FIELDS = ("definition", "owner_side", "formula", "source_system", "examples", "non_examples", "aliases")


def _shown(draft: TermDraft, field: str) -> str:
    """A field as text, the way a person reads it in a change list."""
    value = getattr(draft, field)
    if field == "owner_side":
        return Side(value).value
    if field == "aliases":
        return ", ".join(alias.strip() for alias in value)
    return value.strip()


def _compared(draft: TermDraft, field: str) -> object:
    """A field as compared: aliases as a set of keys, since their order and case carry no meaning."""
    if field == "aliases":
        return frozenset(term_key(alias) for alias in draft.aliases)
    return _shown(draft, field)


def changes_between(old: TermDraft | None, new: TermDraft) -> list[FieldChange]:
    """What differs from `old` to `new`, in VERSIONED_FIELDS order; for a new term, every filled field."""
    if old is None:
        return [FieldChange(field, "", _shown(new, field)) for field in VERSIONED_FIELDS if _shown(new, field)]
    return [
        FieldChange(field, _shown(old, field), _shown(new, field))
        for field in VERSIONED_FIELDS
        if _compared(old, field) != _compared(new, field)
    ]


def is_duplicate(old: TermDraft, new: TermDraft) -> bool:
    """True when `new` would be a version with no change: same fields, ignoring surrounding
    whitespace and alias order/case. The name is the term's identity, not versioned content."""
    return not changes_between(old, new)

