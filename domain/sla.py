"""SLA commitments between marketing and sales: what each side promises, and whether it kept it.

Pure rules only: the shape of a commitment, reading the one-line `/alinea sla new` form, checking
it against the KPI catalog, evaluating a closed period and the pace of an open one, attainment,
reading a thread reply `ack <reason> [note]`, and the next escalation step. Storage, Slack and the
clock live elsewhere; working hours are measured with `domain.workclock`.

Decisions worth knowing:

- **No data is its own state.** A closed period without a value is NO_DATA, never a pass; in
  `attainment` it counts as evaluated and not met.
- **Gap** is in the KPI's units and positive when short of the promise: `target - value` for
  AT_LEAST, `value - target` for AT_MOST (0 or less means met).
- **At risk, mid-period** (`evaluate_open`):
  - no value yet and 2 days or fewer left → AT_RISK;
  - SUM: the pace so far projected to the whole period (`value / elapsed_fraction`) fails the
    comparator → AT_RISK (for AT_MOST this includes having already gone over the limit);
  - AVERAGE, LAST (and RATE, which behaves like an average): the value so far fails the
    comparator and at least half of the period has gone by → AT_RISK. Earlier than that a few
    days' average is too noisy to flag, and an average can still be pulled back.
  - anything else → ON_TRACK. The service flags "at risk" once per period.
- **Escalation**: one window without acknowledgement → REMINDED; a second window of
  the same length → ESCALATED. `next_step` returns one step at a time, so a job that was down for
  both windows still records the reminder before the escalation (call it again until None).
- **Thread replies.** `parse_ack` returns None unless the reply starts with `ack`, `recibido` or
  `acknowledge` (replies that are not acknowledgements are left alone). A reply that starts with
  one of them but has no known reason is a UserError, so the person learns the reasons privately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Mapping, Sequence

from domain.commands import closest, fold, unknown_word
from domain.errors import UserError
from domain.glossary import MAX_TERM_LENGTH, Side
from domain.kpis import Aggregation, Direction, KpiSpec, check_unit, closest_key, validate_key, validate_value
from domain.numbers import parse_quantity
from domain.words import WordCursor

__all__ = [
    "ATTAINMENT_PERIODS",
    "Commitment",
    "Comparator",
    "DEFAULT_ACK_WINDOW_HOURS",
    "MAX_ACK_WINDOW_HOURS",
    "Outcome",
    "Reason",
    "State",
    "Step",
    "attainment",
    "check_commitment",
    "contradicts_direction",
    "evaluate_closed",
    "evaluate_open",
    "next_step",
    "parse_ack",
    "parse_commitment",
    "parse_comparator",
    "parse_reason",
]

DEFAULT_ACK_WINDOW_HOURS = 24
MAX_ACK_WINDOW_HOURS = 240  # working hours: more than five working weeks is not a window
ATTAINMENT_PERIODS = 8
PERIOD_KINDS = ("week", "month")


# ---------------------------------------------------------------------------------------------
# Comparators


class Comparator(str, Enum):
    AT_LEAST = ">="
    AT_MOST = "<="

    @classmethod
    def parse(cls, text: str) -> Comparator:
        return parse_comparator(text)

    def holds(self, value: Decimal, target: Decimal) -> bool:
        return value >= target if self is Comparator.AT_LEAST else value <= target

    @property
    def opposite(self) -> Comparator:
        return Comparator.AT_MOST if self is Comparator.AT_LEAST else Comparator.AT_LEAST


_COMPARATOR_WORDS: dict[str, Comparator] = {
    **dict.fromkeys(
        (">=", "≥", "=>", "at least", "no less than", "min", "minimum", "al menos", "minimo", "como minimo", "por lo menos", "no menos de"),
        Comparator.AT_LEAST,
    ),
    **dict.fromkeys(
        ("<=", "≤", "=<", "at most", "no more than", "max", "maximum", "maximo", "como maximo", "a lo sumo", "no mas de"),
        Comparator.AT_MOST,
    ),
}
_STRICT = {">", "<", "=", "==", "more than", "less than", "mas de", "menos de"}
_LONGEST_COMPARATOR = max(len(phrase.split()) for phrase in _COMPARATOR_WORDS)


def parse_comparator(text: str) -> Comparator:
    """`">="`, `"≥"`, `"at least"`, `"al menos"`, `"mínimo"` → AT_LEAST; `"<="`, `"máximo"`… → AT_MOST."""
    phrase = " ".join(fold(text).split())
    found = _COMPARATOR_WORDS.get(phrase)
    if found is not None:
        return found
    if phrase in _STRICT:
        raise UserError("sla.strict_comparator", word=text.strip())
    raise UserError("sla.unknown_comparator", word=text.strip())


# ---------------------------------------------------------------------------------------------
# Commitments


@dataclass(frozen=True)
class Commitment:
    """One side's promise: `kpi_key comparator target` every `period_kind`.

    `target_unit` is the unit typed with the target ("%", "h", "COP"…, None for a bare number),
    kept so `check_commitment` can compare it with the KPI's unit; it is not part of equality.
    """

    side: Side
    kpi_key: str
    comparator: Comparator
    target: Decimal
    period_kind: str
    ack_window_hours: int = DEFAULT_ACK_WINDOW_HOURS
    term: str | None = None
    target_unit: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "comparator", Comparator(self.comparator))
        object.__setattr__(self, "target", Decimal(self.target))
        if self.side is Side.BOTH:
            raise ValueError("a commitment belongs to one side: marketing or sales")
        if self.period_kind not in PERIOD_KINDS:
            raise ValueError(f"period_kind must be one of {PERIOD_KINDS}, not {self.period_kind!r}")
        if not 1 <= self.ack_window_hours <= MAX_ACK_WINDOW_HOURS:
            raise ValueError(f"ack_window_hours must be 1..{MAX_ACK_WINDOW_HOURS}, not {self.ack_window_hours}")
        if not self.target.is_finite():
            raise ValueError("the target must be a finite number")


def contradicts_direction(commitment: Commitment, kpi_direction: Direction | str) -> bool:
    """Whether the comparator promises the wrong way: `<=` on a higher-is-better KPI, `>=` on a
    lower-is-better one. The caller raises `sla.contradicts_direction` (see `check_commitment`)."""
    direction = Direction(kpi_direction)
    if direction is Direction.HIGHER:
        return commitment.comparator is Comparator.AT_MOST
    return commitment.comparator is Comparator.AT_LEAST


def check_commitment(commitment: Commitment, catalog: Mapping[str, KpiSpec], *, language: str | None = "es") -> KpiSpec:
    """The commitment's KPI, after refusing what makes no sense against the team's catalog:
    an unknown KPI (`sla.unknown_kpi`, with a suggestion when one is close), a comparator that
    contradicts the KPI's direction (`sla.contradicts_direction`), a target in the wrong unit or
    impossible for it (`kpi.unit_mismatch`, `kpi.negative_value`…)."""
    spec = catalog.get(commitment.kpi_key)
    if spec is None:
        suggestion = closest_key(commitment.kpi_key, catalog)
        if suggestion:
            raise UserError("sla.unknown_kpi_suggestion", key=commitment.kpi_key, suggestion=suggestion)
        raise UserError("sla.unknown_kpi", key=commitment.kpi_key)
    if contradicts_direction(commitment, spec.direction):
        raise UserError(
            "sla.contradicts_direction",
            key=spec.key,
            name=spec.name(language),
            comparator=commitment.comparator.value,
            suggested=commitment.comparator.opposite.value,
            target=str(commitment.target),
            side=commitment.side.value,
            lado={Side.MARKETING: "mercadeo", Side.SALES: "ventas"}[commitment.side],
            period={"week": "weekly", "month": "monthly"}[commitment.period_kind],
            periodo={"week": "semanal", "month": "mensual"}[commitment.period_kind],
        )
    check_unit(spec, commitment.target_unit, language=language)
    validate_value(spec, commitment.target, language=language)
    return spec


# ---------------------------------------------------------------------------------------------
# The one-line form: `/alinea sla new sales followup_hours <= 24 weekly ack 24h term "MQL"`

_OPENING_QUOTES = "\"“”„«"
_CLOSING_QUOTES = "\"“”»"
_TOKEN = re.compile(rf"[{_OPENING_QUOTES}][^{_CLOSING_QUOTES}]*[{_CLOSING_QUOTES}]|\S+")
_SYMBOLS = re.compile(r"(>=|<=|=>|=<|≥|≤)")

_SIDE_WORDS = {
    **dict.fromkeys(("marketing", "mercadeo", "mkt"), Side.MARKETING),
    **dict.fromkeys(("sales", "ventas"), Side.SALES),
}
_PERIOD_WORDS = {
    **dict.fromkeys(("weekly", "week", "semanal", "semana"), "week"),
    **dict.fromkeys(("monthly", "month", "mensual", "mes"), "month"),
}
_ACK_WORDS = {"ack", "acknowledge", "reconocer", "recibido"}
_TERM_WORDS = {"term", "termino"}
_OPTION_WORDS = sorted({*_PERIOD_WORDS, *_ACK_WORDS, *_TERM_WORDS})
_WINDOW = re.compile(r"(\d{1,4})\s*(h|hrs?|hours?|horas?)?", re.IGNORECASE)
_HOUR_WORDS = {"h", "hr", "hrs", "hour", "hours", "hora", "horas"}


def _is_quoted(token: str) -> bool:
    return len(token) >= 2 and token[0] in _OPENING_QUOTES and token[-1] in _CLOSING_QUOTES


def _tokens(text: str) -> list[re.Match[str]]:
    found = list(_TOKEN.finditer(text))
    for match in found:
        word = match.group(0)
        if word[0] in _OPENING_QUOTES and not _is_quoted(word):
            raise UserError("sla.quote_not_closed")
    return found


def parse_commitment(text: str, *, language: str = "es", country: str | None = "CO", currency: str = "COP") -> Commitment:
    """`SIDE KPI COMPARATOR TARGET PERIOD [ack N h] [term T]` → a Commitment.

    `text` is what follows `/alinea sla new|nuevo` (Slack's `&lt;` already decoded).
    Side `marketing|mercadeo|sales|ventas`; the KPI key; the comparator (`>=`, `≥`, `at least`,
    `al menos`, `mínimo`, `<=`, `≤`, `at most`, `máximo`, `como máximo`…, also glued: `<=24`);
    the target as the team writes numbers (`24`, `1,5 %`, `45 millones COP`); then, in any
    order, the period (`weekly|semanal|monthly|mensual`, required), the acknowledgement window
    (`ack 24h`, `reconocer en 24 horas`; default 24 working hours) and a glossary term
    (`term "MQL"`). Whether the KPI exists and the comparator suits it is `check_commitment`.
    """
    text = _SYMBOLS.sub(r" \1 ", text)
    tokens = _tokens(text)
    if not tokens:
        raise UserError("sla.side_missing")
    side = _SIDE_WORDS.get(fold(tokens[0].group(0)))
    if side is None:
        word = tokens[0].group(0)
        suggestion = closest(word, sorted(_SIDE_WORDS))
        if suggestion:
            raise UserError("sla.unknown_side_suggestion", word=word, suggestion=suggestion)
        raise UserError("sla.unknown_side", word=word)
    if len(tokens) < 2:
        raise UserError("sla.kpi_missing")
    kpi_key = validate_key(tokens[1].group(0))
    comparator, target_at = _read_comparator(tokens, 2, kpi_key)
    if target_at >= len(tokens):
        raise UserError("sla.target_missing", key=kpi_key, comparator=comparator.value)
    quantity, rest = parse_quantity(text[tokens[target_at].start() :], language=language, country=country, currency=currency)
    options = _read_options(rest)
    if "period" not in options:
        raise UserError("sla.period_missing", key=kpi_key)
    return Commitment(
        side=side,
        kpi_key=kpi_key,
        comparator=comparator,
        target=quantity.value,
        period_kind=str(options["period"]),
        ack_window_hours=int(options.get("ack", DEFAULT_ACK_WINDOW_HOURS)),  # type: ignore[call-overload]
        term=options.get("term"),  # type: ignore[arg-type]
        target_unit=quantity.unit,
    )


def _read_comparator(tokens: list[re.Match[str]], at: int, key: str) -> tuple[Comparator, int]:
    """The comparator phrase starting at token `at` (longest first) and where the target starts."""
    if at >= len(tokens):
        raise UserError("sla.comparator_missing", key=key)
    for size in range(min(_LONGEST_COMPARATOR, len(tokens) - at), 0, -1):
        phrase = " ".join(fold(match.group(0)) for match in tokens[at : at + size])
        if phrase in _COMPARATOR_WORDS:
            return _COMPARATOR_WORDS[phrase], at + size
        if phrase in _STRICT:
            raise UserError("sla.strict_comparator", word=" ".join(match.group(0) for match in tokens[at : at + size]))
    raise UserError("sla.unknown_comparator", word=tokens[at].group(0))


def _read_options(rest: str) -> dict[str, object]:
    cursor = WordCursor(match.group(0) for match in _tokens(rest))
    options: dict[str, object] = {}
    while cursor.peek() is not None:
        typed = cursor.take()
        word = fold(typed)
        if word in _PERIOD_WORDS:
            option, value = "period", _PERIOD_WORDS[word]
        elif word in _ACK_WORDS:
            option, value = "ack", _read_window(cursor, typed)
        elif word in _TERM_WORDS:
            option, value = "term", _read_term(cursor, typed)
        else:
            suggestion = closest(typed, _OPTION_WORDS)
            if suggestion:
                raise UserError("sla.unknown_word_suggestion", word=typed, suggestion=suggestion)
            raise UserError("sla.unknown_word", word=typed)
        if option in options:
            raise UserError("sla.repeated_keyword", word=typed)
        options[option] = value
    return options


def _read_window(cursor: WordCursor, keyword: str) -> int:
    """`24h`, `24 h`, `en 24 horas`, `within 24 hours`, optionally `laborales|hábiles|working`."""
    cursor.take_if({"en", "in", "within", "dentro"})
    cursor.take_if({"de"})
    typed = cursor.peek()
    found = _WINDOW.fullmatch(typed) if typed is not None else None
    if typed is None or found is None:
        raise UserError("sla.ack_window_missing", word=keyword)
    cursor.take()
    if found.group(2) is None:
        cursor.take_if({"working"})
        cursor.take_if(_HOUR_WORDS)
    cursor.take_if({"laborales", "habiles", "working"})
    hours = int(found.group(1))
    if not 1 <= hours <= MAX_ACK_WINDOW_HOURS:
        raise UserError("sla.invalid_ack_window", hours=hours, limit=MAX_ACK_WINDOW_HOURS)
    return hours


def _read_term(cursor: WordCursor, keyword: str) -> str:
    typed = cursor.peek()
    if typed is None or (not _is_quoted(typed) and fold(typed) in _OPTION_WORDS):
        raise UserError("sla.term_missing", word=keyword)
    cursor.take()
    term = typed[1:-1].strip() if _is_quoted(typed) else typed
    if not term:
        raise UserError("sla.term_missing", word=keyword)
    if len(term) > MAX_TERM_LENGTH:
        raise UserError("sla.term_too_long", limit=MAX_TERM_LENGTH, length=len(term))
    return term


# ---------------------------------------------------------------------------------------------
# Evaluation


class State(str, Enum):
    MET = "met"
    BREACHED = "breached"
    NO_DATA = "no_data"
    AT_RISK = "at_risk"
    ON_TRACK = "on_track"


@dataclass(frozen=True)
class Outcome:
    """A closed period: its state, the value (None: no data), the target and the gap
    (in the KPI's units, positive when short of the promise; None without data)."""

    state: State
    value: Decimal | None
    target: Decimal
    gap: Decimal | None


def _decimal(number: float | int | Decimal) -> Decimal:
    """A float as it is written (`repr`), so 0.4 is 0.4 and not 0.400000000000000022…"""
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


def _gap(commitment: Commitment, value: Decimal) -> Decimal:
    if commitment.comparator is Comparator.AT_LEAST:
        return commitment.target - value
    return value - commitment.target


def evaluate_closed(commitment: Commitment, value: Decimal | None) -> Outcome:
    """MET, BREACHED, or NO_DATA when the period closed without a value."""
    if value is None:
        return Outcome(State.NO_DATA, None, commitment.target, None)
    state = State.MET if commitment.comparator.holds(value, commitment.target) else State.BREACHED
    return Outcome(state, value, commitment.target, _gap(commitment, value))


def evaluate_open(
    commitment: Commitment,
    *,
    value_so_far: Decimal | None,
    elapsed_fraction: float,
    aggregation: Aggregation | str,
    days_left: int,
) -> State:
    """AT_RISK or ON_TRACK for a period still open (the rule is in the module docstring).

    `elapsed_fraction` is the share of the period gone by (0..1); `days_left` the whole days
    until it closes; `aggregation` the KPI's ("sum", "average", "last"; "rate" reads as average).
    """
    if not 0 <= elapsed_fraction <= 1:
        raise ValueError(f"elapsed_fraction must be within 0..1, not {elapsed_fraction}")
    if value_so_far is None:
        return State.AT_RISK if days_left <= 2 else State.ON_TRACK
    if Aggregation(aggregation) is Aggregation.SUM:
        # Projected total = value_so_far / elapsed, compared without dividing (exact, and
        # elapsed 0 projects nothing). The float is read as written (0.4, not 0.40000000000000002).
        scaled_target = commitment.target * _decimal(elapsed_fraction)
        if commitment.comparator is Comparator.AT_LEAST:
            short = value_so_far < scaled_target
        else:
            short = value_so_far > scaled_target and elapsed_fraction > 0 or value_so_far > commitment.target
        return State.AT_RISK if short else State.ON_TRACK
    wrong_side = not commitment.comparator.holds(value_so_far, commitment.target)
    return State.AT_RISK if wrong_side and elapsed_fraction >= 0.5 else State.ON_TRACK


def attainment(outcomes: Sequence[Outcome]) -> tuple[int, int]:
    """(met, evaluated) over closed periods (the caller passes the last `ATTAINMENT_PERIODS`).
    NO_DATA counts as evaluated and not met; open states (AT_RISK, ON_TRACK) are not counted."""
    closed = [outcome for outcome in outcomes if outcome.state in (State.MET, State.BREACHED, State.NO_DATA)]
    return sum(outcome.state is State.MET for outcome in closed), len(closed)


# ---------------------------------------------------------------------------------------------
# Acknowledgements


class Reason(str, Enum):
    LOW_TRAFFIC = "low_traffic"
    TRACKING = "tracking"
    STAFFING = "staffing"
    DEFINITION_DISPUTE = "definition_dispute"
    OTHER = "other"


_REASON_WORDS: dict[str, Reason] = {
    **dict.fromkeys(
        ("trafico", "traffic", "low traffic", "poco trafico", "bajo trafico", "trafico bajo"), Reason.LOW_TRAFFIC
    ),
    **dict.fromkeys(
        ("medicion", "tracking", "tracking problem", "problema de medicion", "problema de tracking", "measurement"),
        Reason.TRACKING,
    ),
    **dict.fromkeys(("personal", "equipo", "staffing", "staff", "falta de personal"), Reason.STAFFING),
    **dict.fromkeys(
        ("definicion", "definition", "definition dispute", "disputa de definicion", "disputa"), Reason.DEFINITION_DISPUTE
    ),
    **dict.fromkeys(("otro", "otra", "other"), Reason.OTHER),
}
_LONGEST_REASON = max(len(phrase.split()) for phrase in _REASON_WORDS)
# The first word of an acknowledgement, with Slack formatting or a trailing mark around it
# ("*ack*", "Recibido,", "ack:"); a question ("¿ack?") is not one.
_ACK_OPENER = re.compile(r"[*_~`]*(?:ack|acknowledge|acknowledged|recibido)[*_~`]*[.,;:!-]*")
_PUNCTUATION = ".,;:!¡?¿-–—*_~`\"'“”"
_NOTE_START = re.compile(r"^[\s,;:.]*(?:[-–—]\s*)?")


def parse_reason(word: str) -> Reason:
    """`tráfico|traffic`, `medición|tracking`, `personal|equipo|staffing`, `definición|definition`,
    `otro|other` (and their multi-word forms, e.g. "low traffic", "problema de medición")."""
    phrase = " ".join(fold(word).strip(_PUNCTUATION).split())
    found = _REASON_WORDS.get(phrase)
    if found is not None:
        return found
    raise unknown_word(word.strip(), _REASON_WORDS, "sla.unknown_reason", match=phrase)


def parse_ack(text: str) -> tuple[Reason, str] | None:
    """A thread reply `ack <reason> [note]` / `recibido <razón> [nota]` → (reason, note).

    None when the reply does not start with an acknowledgement word (it is left alone). An
    acknowledgement without a reason is `sla.reason_missing`; an unknown one `sla.unknown_reason`.
    """
    words = [(match.group(0), match.end()) for match in re.finditer(r"\S+", text)]
    if not words or not _ACK_OPENER.fullmatch(fold(words[0][0])):
        return None
    if len(words) == 1 or not fold(words[1][0]).strip(_PUNCTUATION):
        raise UserError("sla.reason_missing")
    for size in range(min(_LONGEST_REASON, len(words) - 1), 0, -1):
        phrase = " ".join(fold(word).strip(_PUNCTUATION) for word, _ in words[1 : 1 + size])
        reason = _REASON_WORDS.get(phrase)
        if reason is not None:
            note = text[words[size][1] :]
            return reason, _NOTE_START.sub("", note, count=1).strip()
    parse_reason(words[1][0])  # raises, with a suggestion when one is close
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Escalation


class Step(str, Enum):
    POSTED = "posted"
    REMINDED = "reminded"
    ESCALATED = "escalated"


def next_step(current: Step | str, *, acknowledged: bool, working_hours_since_post: float | Decimal, window_hours: int) -> Step | None:
    """The step due now, or None: REMINDED after one window without acknowledgement, ESCALATED
    after a second window of the same length; nothing once acknowledged or escalated.
    One step per call: a job that missed both windows reminds first, then escalates."""
    if window_hours < 1:
        raise ValueError(f"window_hours must be at least 1, not {window_hours}")
    step = Step(current)
    if acknowledged or step is Step.ESCALATED:
        return None
    elapsed = _decimal(working_hours_since_post)
    if step is Step.POSTED and elapsed >= window_hours:
        return Step.REMINDED
    if step is Step.REMINDED and elapsed >= 2 * window_hours:
        return Step.ESCALATED
    return None
