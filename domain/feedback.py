"""Customer feedback: the starter themes, offline classification by words, and the scores.

Classification folds case and accents and matches each theme's words as word beginnings
("entreg" finds "entregaron", "entrega", "entregas"); several words in one entry must appear in
that order ("no ha llegado"). It needs no model, so it always works; a model may only refine it
by picking from the same list.

NPS is the standard formula on 0–10 scores: % promoters (9–10) minus % detractors (0–6).
CSAT on the same 0–10 scale is the share of satisfied answers, scores of 8 or more (the 4–5 of a
1–5 survey map to 8–10). Both are computed from the counts as fractions and rounded once, to
one decimal, half away from zero, so no float error creeps in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Iterable, Sequence

from domain.errors import UserError

SOURCES = ("whatsapp", "survey", "review", "support", "crm", "slack", "api", "csv")
TYPED_SOURCES = {
    **dict.fromkeys(("whatsapp", "wa", "wpp"), "whatsapp"),
    **dict.fromkeys(("encuesta", "survey", "encuestas"), "survey"),
    **dict.fromkeys(("resena", "review", "resenas", "opinion"), "review"),
    **dict.fromkeys(("soporte", "support", "servicio", "service"), "support"),
    **dict.fromkeys(("crm",), "crm"),
}
MIN_SCORE, MAX_SCORE = 0, 10
PROMOTER_FROM, DETRACTOR_UP_TO, SATISFIED_FROM = 9, 6, 8
MAX_THEME_WORDS = 40


@dataclass(frozen=True)
class StarterTheme:
    key: str
    names: dict[str, str]  # language -> name
    words: tuple[str, ...]  # both languages, folded; a word beginning or a phrase


STARTER_THEMES: tuple[StarterTheme, ...] = (
    StarterTheme("delivery", {"es": "Entrega", "en": "Delivery"}, (
        "entreg", "envio", "envia", "despach", "domicili", "llego", "llega", "no ha llegado", "transportadora", "paquete",
        "deliver", "shipping", "shipment", "shipped", "courier", "parcel", "arriv",
    )),
    StarterTheme("price", {"es": "Precio", "en": "Price"}, (
        "precio", "caro", "cara", "costos", "costoso", "barato", "descuento", "tarifa", "cobr",
        "price", "pricing", "expensive", "cheap", "discount", "overcharg", "cost",
    )),
    StarterTheme("response_time", {"es": "Tiempo de respuesta", "en": "Response time"}, (
        "respuesta", "respond", "contest", "demor", "tarda", "esper", "nadie responde", "sin respuesta", "lento", "lenta",
        "response", "reply", "replied", "answer", "wait", "slow", "took too long", "no one",
    )),
    StarterTheme("product_quality", {"es": "Calidad del producto", "en": "Product quality"}, (
        "calidad", "defect", "dano", "danad", "roto", "rota", "falla", "mala calidad", "se desarm", "talla",
        "quality", "broken", "damag", "defective", "faulty", "torn", "size",
    )),
    StarterTheme("checkout", {"es": "Pago y checkout", "en": "Payment and checkout"}, (
        "pago", "pagar", "pague", "checkout", "tarjeta", "pse", "nequi", "daviplata", "carrito", "rechaz", "transaccion",
        "payment", "pay", "card", "cart", "declin", "transaction",
    )),
    StarterTheme("returns", {"es": "Devoluciones", "en": "Returns"}, (
        "devoluc", "devolv", "reembols", "cambio", "garantia", "retracto",
        "return", "refund", "exchange", "warranty",
    )),
    StarterTheme("stock", {"es": "Inventario", "en": "Stock"}, (
        "agotad", "inventario", "disponib", "no habia", "no hay", "existencias", "stock",
        "out of stock", "sold out", "unavailable", "availab", "backorder",
    )),
    StarterTheme("attention", {"es": "Atención", "en": "Customer care"}, (
        "atencion", "asesor", "amabl", "grosero", "groser", "trato", "vendedor", "servicio al cliente",
        "attention", "staff", "rude", "friendly", "helpful", "agent", "customer service", "customer care",
    )),
)


def fold_text(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: what theme words are matched against."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def theme_words(written: str) -> tuple[str, ...]:
    """`envío, no ha llegado; courier` -> ("envio", "no ha llegado", "courier"): the words a
    lead gives a theme, folded, without repeats, at most MAX_THEME_WORDS."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,;\n]", written):
        folded = fold_text(part)
        if folded:
            seen.setdefault(folded, None)
    return tuple(seen)[:MAX_THEME_WORDS]


@dataclass(frozen=True)
class ThemeRule:
    key: str
    words: tuple[str, ...]


def classify(text: str, themes: Sequence[ThemeRule]) -> list[str]:
    """The keys of every theme one of whose words appears in `text`, in the list's order."""
    folded = f" {fold_text(text)} "
    return [theme.key for theme in themes if any(_appears(word, folded) for word in theme.words)]


def _appears(word: str, folded_text: str) -> bool:
    # a word beginning: preceded by a space; a phrase: the same, its last word also a beginning
    return bool(word) and f" {word}" in folded_text


# Negative feedback: what counts as a complaint -----------------------------------------------------

NEGATIVE_WORDS = (
    "no ", "nunca", "mal", "malo", "mala", "pesim", "horribl", "terribl", "queja", "reclamo", "demor", "tard", "nadie", "lento",
    "lenta", "caro", "roto", "rota", "danad", "defect", "agotad", "problema", "inaceptable", "molest", "decepcion",
    "never", "bad", "worst", "awful", "terrible", "complain", "late", "slow", "broken", "damag", "expensive",
    "problem", "disappoint", "nobody", "no one", "not ", "didn t", "doesn t", "wasn t", "unacceptable", "rude",
)


def is_complaint(text: str, score: int | None) -> bool:
    """A detractor's score (0–6) is a complaint; with no score, the words decide."""
    if score is not None:
        return score <= DETRACTOR_UP_TO
    folded = f" {fold_text(text)} "
    return any(f" {word}" in folded for word in NEGATIVE_WORDS)


# Scores -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreSummary:
    answers: int
    promoters: int
    passives: int
    detractors: int
    satisfied: int
    nps: Decimal | None  # -100.0 .. 100.0; None without answers
    csat: Decimal | None  # 0.0 .. 100.0 (% of answers scoring 8 or more)


def summarize_scores(scores: Iterable[int]) -> ScoreSummary:
    values = [score for score in scores if score is not None]
    for score in values:
        if not MIN_SCORE <= score <= MAX_SCORE:
            raise ValueError(f"score {score} is outside 0-10")
    answers = len(values)
    promoters = sum(1 for score in values if score >= PROMOTER_FROM)
    detractors = sum(1 for score in values if score <= DETRACTOR_UP_TO)
    satisfied = sum(1 for score in values if score >= SATISFIED_FROM)
    if not answers:
        return ScoreSummary(0, 0, 0, 0, 0, None, None)
    nps = _percent(Fraction(promoters - detractors, answers))
    csat = _percent(Fraction(satisfied, answers))
    return ScoreSummary(answers, promoters, answers - promoters - detractors, detractors, satisfied, nps, csat)


def _percent(share: Fraction) -> Decimal:
    """An exact share as a percentage with one decimal, rounded half away from zero."""
    tenths = share * 1000
    sign = -1 if tenths < 0 else 1
    whole, rest = divmod(abs(tenths.numerator), tenths.denominator)
    if 2 * rest >= tenths.denominator:
        whole += 1
    return (Decimal(sign * whole) / 10).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def typed_score(word: str) -> int | None:
    """"8", "8/10", "8 de 10" reduced to the number; None when it is not a whole 0–10."""
    text = word.strip().split("/")[0].strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 3:  # "²" is a digit to isdigit, not to int
        return None
    value = int(text)
    return value if MIN_SCORE <= value <= MAX_SCORE else None


# `/alinea feedback TEXT [fuente whatsapp|encuesta|reseña|soporte|crm] [nota N]` -------------------------

SOURCE_WORDS = ("fuente", "source", "origen", "canal", "channel")
SCORE_WORDS = ("nota", "score", "puntaje", "calificacion", "rating")


@dataclass(frozen=True)
class FeedbackLine:
    text: str
    source: str
    score: int | None


def parse_feedback_line(line: str, *, default_source: str = "slack") -> FeedbackLine:
    """The text, then optionally `fuente X` and `nota N` at the end, in either order; a word
    after `nota` that is not a whole 0–10, or an unknown source, is refused (the message says
    what to type) rather than kept in the text."""
    words = line.split()
    source, score = None, None
    while len(words) >= 2:
        option, value = fold_text(words[-2]), words[-1]
        if option in SOURCE_WORDS and source is None:
            source = TYPED_SOURCES.get(fold_text(value))
            if source is None:
                raise UserError("feedback.source_invalid", typed=value)
        elif option in SCORE_WORDS and score is None:
            score = typed_score(value)
            if score is None:
                raise UserError("feedback.score_invalid", typed=value)
        else:
            break
        words = words[:-2]
    return FeedbackLine(" ".join(words), source or default_source, score)


# A period's figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountedItem:
    text: str
    score: int | None
    themes: tuple[str, ...]  # theme keys


@dataclass(frozen=True)
class PeriodFigures:
    items: int
    scores: ScoreSummary
    complaints: int
    complaints_by_theme: dict[str, int]  # theme key -> complaints tagged with it (an item may count for several)
    mentions_by_theme: dict[str, int]  # theme key -> every item tagged with it


def period_figures(items: Iterable[CountedItem]) -> PeriodFigures:
    """What a week's or a month's feedback says: scores, complaints, and both per theme."""
    listed = list(items)
    complaints: dict[str, int] = {}
    mentions: dict[str, int] = {}
    total = 0
    for item in listed:
        complaint = is_complaint(item.text, item.score)
        total += complaint
        for key in item.themes:
            mentions[key] = mentions.get(key, 0) + 1
            if complaint:
                complaints[key] = complaints.get(key, 0) + 1
    return PeriodFigures(len(listed), summarize_scores(item.score for item in listed), total, complaints, mentions)
