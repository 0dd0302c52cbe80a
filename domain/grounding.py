"""The grounding check: a narrative may only say numbers our facts hold, cite facts
that exist, and reach Slack as plain text. Pure: no I/O, no clock, no Slack library.

Reading numbers (`numbers_in`, `written_numbers`)
    Every number written in a text, in either language's way: es-CO "1.234,5", "1,6 %",
    "$41.440.000", "45 millones", "−15,9 %", "+12,46 h"; en "1,234.5", "1.6%", "45M", "-15.9%".
    Values are absolute (the sign is the prose's business: "bajó 15,9 %" and "−15,9 %" say the
    same number). A token is read the team's way first (`domain.number_style.typed_symbols`), so
    "1.234" is 1234 in es-CO and 1.234 in en-US; a token valid only the other way ("1,234.5"
    in es-CO, "1,6" in en-US) is read that way. A token valid neither way ("2026.03.16") counts
    as each of its digit runs. Not numbers: the digits of our labels ("KR3", "SLA1", "B1",
    "O2", "T1", "W11") and of snake_case keys ("repurchase_60d"), and list markers ("1." or
    "2)") at the start of a line. Digits glued to any other letters ("COP45.000", "x99") are
    numbers like any other, so gluing cannot smuggle one past the check. Multiplier words follow `domain.numbers`: k/mil/thousand 10³,
    M/MM/millón/millones/million 10⁶, mil millones/millardo/B/bn/billion 10⁹, billón/billones 10¹².

The precision shown travels in the Decimal's exponent
    "31,14" is Decimal("31.14") (exponent −2), "31" is Decimal("31") (exponent 0), "45 millones"
    is Decimal("45E+6") (exponent 6) and "41,4 millones" Decimal("4.14E+7") (exponent 5). So
    `matches` knows how finely the writer rounded without a second return value.

Tolerance (`matches`)
    A written number matches a fact's number when the fact's absolute value, rounded to the
    written number's exponent (half up or half even, both accepted), equals it exactly. Hence a
    fact 31.142857 matches "31,14", "31,1" and "31" but not "32" or "31,15"; 45000000 matches
    "45 millones", "45M" and "45.000.000"; a change of −15.873 % matches "15,9 %" and "16 %";
    "12 %" matches only a fact that rounds to 12. Units are not compared (a count of 16 would
    ground "16 %"); the prose around a number is the narrator's responsibility.

What a check lets through besides facts
    Only integers 1–12 directly followed by a time word (semana(s), week(s), mes(es), month(s),
    día(s), day(s); "4 semanas", "4-week"): harmless counts of time. Before reading numbers, the
    check blanks out the facts' own ids ("kpi.sales_cop.2026-W11") and the parts of their
    subjects that contain digits (a KPI called "Recompra a 60 días"), since naming a fact is not
    stating a number. Nothing else: "1 de 3" is a number like any other and needs a fact. A
    label the facts do not use ("KR9" when there are KR1–KR4) is reported like an invented
    number.

Slack (`escape_for_slack`)
    See its docstring: entities for & < >, URLs and domains defanged with "[:]" and "[.]",
    a word joiner after "@" and "#", Slack's formatting characters swapped for look-alikes,
    newlines collapsed, leading quote markers and control characters removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, InvalidOperation, localcontext
from typing import Iterable, Sequence

from domain.narrative import Fact, Hypothesis
from domain.number_style import typed_symbols
from domain.numbers import read_number

__all__ = [
    "TIME_COUNT_LIMIT",
    "WrittenNumber",
    "check_hypotheses",
    "check_sentences",
    "escape_for_slack",
    "FactNames",
    "fact_names",
    "fact_numbers",
    "grounded",
    "matches",
    "numbers_in",
    "split_sentences",
    "typed_numbers",
    "ungrounded_numbers",
    "written_numbers",
]

TIME_COUNT_LIMIT = 12  # "12 semanas" is a span of time, "13 semanas" needs a fact
_WIDE = Context(prec=80)

# ---------------------------------------------------------------------------------------------
# Reading numbers

_GROUP_MARKS = "'’\u00a0\u202f"  # apostrophes and non-breaking spaces: always group marks
_MULTIPLIERS = {  # folded word -> power of ten
    "k": 3, "mil": 3, "thousand": 3, "thousands": 3,
    "mill": 6, "millon": 6, "millón": 6, "millones": 6, "million": 6, "millions": 6, "MM": 6, "M": 6,
    "mil millones": 9, "millardo": 9, "millardos": 9, "bn": 9, "billion": 9, "billions": 9, "B": 9,
    "billon": 12, "billón": 12, "billones": 12,
}  # fmt: skip
_NUMBER = re.compile(
    r"(?P<digits>\d+(?:[.,'’\u00a0\u202f]\d+)*)"
    r"(?:[ \u00a0\u202f]*(?P<mult>(?i:mil\s+millones|millones|mill[oó]n|millardos?|billones|bill[oó]n|billions?"
    r"|millions?|thousands?|mill|mil|bn|k)|MM|M|B)(?!\w))?"
)
_TIME_WORD = re.compile(r"[ \u00a0\-]*(?i:semanas?|weeks?|meses|mes|months?|d[ií]as?|days?)(?!\w)")
# Digits glued after these (as written) are a label, not a number: KR3, SLA1, B1, O2, T1, W11, S11, Q1.
_LABELS = frozenset({"KR", "SLA", "B", "O", "T", "W", "S", "Q", "H"})
_LETTERS_BEFORE = re.compile(r"[^\W\d_]+$")
_LABEL = re.compile(r"(?<![^\W\d_])(KR|SLA|B|O|T|W|S|Q|H)(\d+)(?!\w)")
_LABEL_INSIDE = re.compile(r"(?:KR|SLA|B|O|T|W|S|Q|H)\d+(?!\d)")
_LIST_MARKER = re.compile(r"^[ \t]*\d{1,2}[.)](?=\s)", re.MULTILINE)
_DIGIT_RUN = re.compile(r"\d+")


@dataclass(frozen=True)
class WrittenNumber:
    """A number as found in a text: its absolute value (exponent = the precision shown)."""

    value: Decimal
    text: str  # as written, with its multiplier word: "45 millones"
    start: int
    end: int
    time_count: bool = False  # an integer 1–12 directly followed by a time word ("4 semanas")
    label: bool = False  # a label the facts do not use ("KR9"): never a fact's number


def _values(typed: str, language: str, country: str | None) -> list[Decimal]:
    decimal, group = typed_symbols(language, country)
    normal = typed
    for mark in _GROUP_MARKS:
        normal = normal.replace(mark, group)
    for separators in ((decimal, group), (group, decimal)):  # the team's way first
        value = read_number(normal, *separators)
        if value is not None:
            return [value]
    return [Decimal(run) for run in _DIGIT_RUN.findall(typed)]  # "2026.03.16": every run counts


def _is_label(text: str, start: int) -> bool:
    """Digits that are part of a name: after "_" (a key such as repurchase_60d) or glued to
    one of the labels we print (KR3, SLA1, B1, W11). Digits glued to other letters ("COP45",
    "x99") are numbers like any other."""
    if start == 0:
        return False
    if text[start - 1] == "_":
        return True
    letters = _LETTERS_BEFORE.search(text, 0, start)
    return letters is not None and letters.group(0) in _LABELS


def written_numbers(text: str, *, language: str, country: str | None) -> list[WrittenNumber]:
    """Every number written in `text`, in order (see the module docstring)."""
    markers = {match.end() - len(match.group().lstrip(" \t")) for match in _LIST_MARKER.finditer(text)}
    found: list[WrittenNumber] = []
    for match in _NUMBER.finditer(text):
        if match.start() in markers or _is_label(text, match.start()):
            continue
        typed, word = match.group("digits"), match.group("mult")
        power = 0 if word is None else _MULTIPLIERS.get(word, _MULTIPLIERS.get(re.sub(r"\s+", " ", word.lower()), 0))
        values = _values(typed, language, country)
        time_count = (
            word is None and len(values) == 1 and typed.isdigit() and 1 <= int(typed) <= TIME_COUNT_LIMIT
            and _TIME_WORD.match(text, match.end()) is not None
        )  # fmt: skip
        for value in values:
            with localcontext(_WIDE):
                scaled = value.scaleb(power) if power else value
            found.append(WrittenNumber(scaled, match.group(0), match.start(), match.end(), time_count))
    return found


def numbers_in(text: str, *, language: str, country: str | None) -> list[Decimal]:
    """The absolute values of every number written in `text`; the exponent of each is the
    precision it was written with ("31,1" → Decimal("31.1"), "45M" → Decimal("45E+6"))."""
    return [number.value for number in written_numbers(text, language=language, country=country)]


# ---------------------------------------------------------------------------------------------
# Matching


def fact_numbers(facts: Iterable[Fact]) -> list[Decimal]:
    """Every number the facts hold: their `numbers`, and the values of a `trend` detail (plain
    decimals separated by ";", "—" where a period had no value)."""
    found: list[Decimal] = []
    for fact in facts:
        found.extend(Decimal(value) for value in fact.numbers.values() if value is not None)
        for item in (fact.detail.get("trend") or "").split(";"):
            try:
                value = Decimal(item.strip())
            except InvalidOperation:
                continue
            if value.is_finite():
                found.append(value)
    return found


def matches(number: Decimal, fact_numbers: Iterable[Decimal]) -> bool:
    """Whether `number` (as written: its exponent is the precision shown) is one of the facts'
    numbers rounded to that precision, half up or half even (see the module docstring)."""
    number = abs(Decimal(number))
    if not number.is_finite():
        return False
    quantum = Decimal(1).scaleb(number.as_tuple().exponent)  # type: ignore[operator]
    with localcontext(_WIDE):
        for fact in fact_numbers:
            value = abs(Decimal(fact))
            if not value.is_finite():
                continue
            if any(value.quantize(quantum, rounding=rounding) == number for rounding in (ROUND_HALF_UP, ROUND_HALF_EVEN)):
                return True
    return False


@dataclass(frozen=True)
class FactNames:
    """How the facts are named, found once for every text checked against them: the names with
    digits to blank (longest first, so a name is blanked before a part of it), and the labels
    the facts use (KR3, SLA1, B1, O2, W11 of a week key…)."""

    masks: tuple[re.Pattern[str], ...]
    labels: frozenset[str]


def fact_names(facts: Sequence[Fact]) -> FactNames:
    return FactNames(tuple(re.compile(re.escape(name), re.IGNORECASE) for name in _masks(facts)), frozenset(_labels_of(facts)))


def _masks(facts: Sequence[Fact]) -> list[str]:
    """What naming a fact looks like: its id, and the parts of its subject (or a detail naming
    it) that contain digits."""
    names: set[str] = set()
    for fact in facts:
        names.add(fact.id)
        for text in (fact.subject, fact.detail.get("name") or ""):
            names.add(text)
            names.update(part.strip() for part in text.split("·"))
    return sorted((name for name in names if any(char.isdigit() for char in name) and any(char.isalpha() for char in name)), key=len, reverse=True)


def _blank(text: str, masks: Sequence[re.Pattern[str]]) -> str:
    for mask in masks:
        text = mask.sub(lambda match: " " * len(match.group(0)), text)
    return text


def typed_numbers(text: str, facts: Sequence[Fact], *, language: str, country: str | None, names: FactNames | None = None) -> list[WrittenNumber]:
    """Every number written in `text` other than the digits of a fact's own name (its id, the
    parts of its subject with digits, a label the facts use): what the writer typed as a number.
    A label the facts do not use ("KR9") counts, with its digits. `names`: `fact_names(facts)`,
    when many texts are checked against the same facts."""
    names = names or fact_names(facts)
    blanked = _blank(text, names.masks)
    found = written_numbers(blanked, language=language, country=country)
    found += [
        WrittenNumber(Decimal(match.group(2)), match.group(0), match.start(), match.end(), label=True)
        for match in _LABEL.finditer(blanked) if match.group(0) not in names.labels
    ]  # fmt: skip
    return sorted(found, key=lambda written: written.start)


def ungrounded_numbers(text: str, facts: Sequence[Fact], *, language: str, country: str | None, numbers: Sequence[Decimal] | None = None,
                       names: FactNames | None = None) -> list[WrittenNumber]:  # fmt: skip
    """The numbers in `text` that no fact holds (time counts and fact names excepted)."""
    known = fact_numbers(facts) if numbers is None else list(numbers)
    return [
        written for written in typed_numbers(text, facts, language=language, country=country, names=names)
        if written.label or not (written.time_count or matches(written.value, known))
    ]  # fmt: skip


def _labels_of(facts: Sequence[Fact]) -> set[str]:
    """The labels the facts use: a label the facts do not know ("KR9") is as invented as a
    number, and is reported with its digits."""
    found: set[str] = set()
    for fact in facts:
        for text in (fact.id, fact.subject, *fact.detail.values()):
            found.update(match.group(0) for match in _LABEL_INSIDE.finditer(str(text)))
    return found


def grounded(text: str, facts: Sequence[Fact], *, language: str, country: str | None) -> bool:
    """Whether every number in `text` matches some fact's number."""
    return not ungrounded_numbers(text, facts, language=language, country=country)


def check_sentences(sentences: Sequence[str], facts: Sequence[Fact], *, language: str, country: str | None) -> tuple[list[str], int]:
    """(the sentences whose every number is grounded, how many were dropped). Blank sentences
    are left out without counting."""
    known, names = fact_numbers(facts), fact_names(facts)
    kept: list[str] = []
    dropped = 0
    for sentence in sentences:
        if not sentence or not sentence.strip():
            continue
        if ungrounded_numbers(sentence, facts, language=language, country=country, numbers=known, names=names):
            dropped += 1
        else:
            kept.append(sentence.strip())
    return kept, dropped


def check_hypotheses(
    hypotheses: Sequence[Hypothesis], facts: Sequence[Fact], *, language: str, country: str | None
) -> tuple[list[Hypothesis], int]:
    """(the hypotheses that hold, how many were dropped). A hypothesis is dropped when it cites
    no fact or a fact that does not exist, when its text, experiment or metric is blank, or when
    any of them has a number no fact holds."""
    ids = {fact.id for fact in facts}
    known, names = fact_numbers(facts), fact_names(facts)
    kept: list[Hypothesis] = []
    dropped = 0
    for hypothesis in hypotheses:
        cited = tuple(hypothesis.fact_ids or ())
        texts = (hypothesis.text, hypothesis.experiment, hypothesis.metric)
        sound = (
            bool(cited) and all(fact_id in ids for fact_id in cited)
            and all(isinstance(text, str) and text.strip() for text in texts)
            and not any(ungrounded_numbers(text, facts, language=language, country=country, numbers=known, names=names) for text in texts)
        )  # fmt: skip
        if sound:
            kept.append(hypothesis)
        else:
            dropped += 1
    return kept, dropped


# ---------------------------------------------------------------------------------------------
# Sentences

_ABBREVIATIONS = frozenset({
    "sr", "sra", "srta", "sres", "dr", "dra", "ud", "uds", "lic", "ing", "prof", "mr", "mrs", "ms", "st",
    "p", "pp", "ej", "p.ej", "e.g", "i.e", "cf", "vs", "aprox", "approx", "núm", "num", "nro", "pág", "pag",
    "cía", "cia", "ltda", "inc", "co", "corp", "s.a", "s.a.s", "ee", "uu", "ee.uu", "av", "máx", "mín", "max", "min",
})  # fmt: skip
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\u0085]+")
_BULLET = re.compile(r"^\s*(?:\d{1,2}[.)]|[-–—•*·])\s+")
_END = re.compile(r"[.!?…]+[\"'»”’)\]]*(?=\s|$)")
_STARTS = "¿¡\"'“«(["


def _is_abbreviation(line: str, at: int) -> bool:
    before = line[:at].rsplit(None, 1)
    token = before[-1] if before else ""
    token = token.lstrip("¿¡\"'“«([").lower()
    if not token:
        return False
    if token in _ABBREVIATIONS:
        return True
    return len(token) == 1 and token.isalpha() and line[at - 1].isupper()  # an initial: "S. A.", "J."


def split_sentences(text: str) -> list[str]:
    """Sentences of a Spanish or English text: a boundary is ".", "!", "?" or "…" followed by
    a space and something that starts a sentence (a capital, a digit, "¿", "¡", a quote), unless
    the "." ends an abbreviation ("S.A.", "p. ej.", "e.g.", "Sr.") or an initial. Decimals
    ("1,5", "1.234") never split; each line is its own sentence, without its list marker."""
    sentences: list[str] = []
    for line in _LINE_BREAKS.split(text or ""):
        line = _BULLET.sub("", line, count=1).strip()
        start = 0
        for match in _END.finditer(line):
            end = match.end()
            following = line[end:].lstrip()
            if not following:
                break
            if not (following[0].isupper() or following[0].isdigit() or following[0] in _STARTS):
                continue
            mark = match.group(0)
            if mark[0] == "." and not mark.startswith("..") and _is_abbreviation(line, match.start()):
                continue
            piece = line[start:end].strip()
            if piece:
                sentences.append(piece)
            start = end
        piece = line[start:].strip()
        if piece:
            sentences.append(piece)
    return sentences


# ---------------------------------------------------------------------------------------------
# Slack

WORD_JOINER = "\u2060"
_LOOKALIKES = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})  # ∗ ˍ ∼ ˋ
_SPACES = re.compile(r"[\t\n\v\f\r \x1c-\x1f\x85\u2028\u2029]+")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]")
_QUOTE_MARKERS = re.compile(r"^(?:\s*(?:>|&gt;))+\s*")
_SCHEME = re.compile(r":(?=//)")  # any scheme, even glued to a word: "1http://"
_BARE_SCHEME = re.compile(r"(?i)\b(mailto|tel|sms|slack|javascript|data|file|callto|skype):(?!//)")
_DOMAIN = re.compile(r"(?i)(?<![a-z0-9\-])(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9\-]{0,61}[a-z0-9](?![a-z0-9\-])")
_WWW = re.compile(r"(?i)(?<![a-z0-9\-])www\.")  # even where what follows is not a domain yet
_NOT_DOMAINS = frozenset({"p.ej", "ee.uu", "e.g", "i.e"})
_HANDLE = re.compile(r"([@#])(?=\w)")


def _defang_domain(match: re.Match[str]) -> str:
    found = match.group(0)
    return found if found.lower() in _NOT_DOMAINS else found.replace(".", "[.]")


def escape_for_slack(text: str) -> str:
    """Text (a person's or a model's) made safe to put in a mrkdwn field: it shows as typed and
    does nothing else. Apply once, to text that was not escaped yet.

    - Control characters (C0, C1 and the bidirectional overrides) are removed; newlines, tabs
      and other breaks collapse into one space, so a sentence stays one line.
    - Leading quote markers (">") are removed: Slack reads them as a block quote.
    - Links: a scheme's colon becomes "[:]" ("https[:]//evil[.]example/x", "mailto[:]…") and the
      dots of anything that looks like a domain become "[.]" ("www[.]evil[.]example",
      "ana@⁠tienda[.]co"), the usual "defanged" form: readable, and Slack has nothing it
      recognises to auto-link. (We chose visible brackets over zero-width characters, whose
      handling by Slack's auto-linker is undocumented.)
    - "@" and "#" before a word get a WORD JOINER (U+2060, invisible), so "@here", "@channel"
      or "#general" cannot become a mention even where Slack parses bare names.
    - Slack's formatting characters become look-alikes that Slack does not interpret:
      "*" → "∗" (U+2217), "_" → "ˍ" (U+02CD), "~" → "∼" (U+223C), "`" → "ˋ" (U+02CB).
    - Finally "&", "<", ">" become "&amp;", "&lt;", "&gt;", so "<!channel>", "<@U123>",
      "<#C1>" and "<https://x|click>" show as text (Slack decodes the entities once, for display).
    """
    text = _SPACES.sub(" ", text or "")
    text = _CONTROLS.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    text = _QUOTE_MARKERS.sub("", text)
    text = _SCHEME.sub("[:]", text)
    text = _BARE_SCHEME.sub(r"\1[:]", text)
    text = _DOMAIN.sub(_defang_domain, text)
    text = _WWW.sub(lambda match: match.group(0)[:-1] + "[.]", text)
    text = text.translate(_LOOKALIKES)
    text = _HANDLE.sub(lambda match: match.group(1) + WORD_JOINER, text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
