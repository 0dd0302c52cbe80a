"""Survey exports read as customer feedback: which columns of a spreadsheet hold the score and
the comment, and a stable id for each answer.

Survey tools name their columns after the question asked: Google Forms ("Marca temporal",
"¿Qué tan probable es que nos recomiendes a un amigo?", "¿Por qué?"), Typeform ("#", "How
likely are you to recommend us?", "Submit Date (UTC)"), or a team's own sheet (`nota`,
`comentario`). A table is a survey when one column reads as a score and another as a comment,
and it has no KPI column (a KPI file may have a `nota`/`comentario` note column too).

Pure: header names in, column names out.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping, Sequence

from domain.commands import fold

# Whole header names (after `words`).
SCORE_NAMES = frozenset({"nota", "puntaje", "puntuacion", "score", "nps", "calificacion", "rating", "nps score"})
COMMENT_NAMES = frozenset({
    "comentario", "comentarios", "comment", "comments", "opinion", "opiniones", "feedback", "por que", "why",
    "observaciones", "sugerencias",
})  # fmt: skip
DATE_NAMES = frozenset({
    "fecha", "date", "marca temporal", "timestamp", "submit date utc", "submit date", "submitted at", "fecha de envio",
    "fecha de respuesta", "start date utc",
})  # fmt: skip
ID_NAMES = frozenset({"id", "#", "response id", "id respuesta", "id de respuesta", "token", "respuesta id"})
SOURCE_NAMES = frozenset({"fuente", "source", "origen", "canal", "channel"})
# Words inside a long question header.
SCORE_PHRASES = ("recomend", "recommend", "que tan probable", "how likely")
COMMENT_PHRASES = ("por que", "why", "comentario", "comment", "cuentanos", "tell us", "mejorar", "improve", "opinion")
# Column names (normalised as `domain.spreadsheet` does) that make a table a KPI file.
KPI_HEADERS = frozenset({"kpi", "clave", "indicador", "metrica", "metric", "value", "valor", "cifra"})


@dataclass(frozen=True)
class SurveyColumns:
    score: str
    comment: str
    date: str | None = None
    id: str | None = None
    source: str | None = None


def words(header: str) -> str:
    """`¿Qué tan probable es…? (0_10)` -> `que tan probable es 0 10`; `#` stays `#`."""
    folded = fold(header.replace("_", " "))
    if folded.strip() == "#":
        return "#"
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def survey_columns(headers: Sequence[str]) -> SurveyColumns | None:
    """The survey's columns, or None when the table is not a survey export."""
    if any(header in KPI_HEADERS for header in headers):
        return None
    named = {header: words(header) for header in headers}
    score = _first(named, SCORE_NAMES, SCORE_PHRASES)
    comment = _first({h: w for h, w in named.items() if h != score}, COMMENT_NAMES, COMMENT_PHRASES)
    if score is None or comment is None:
        return None
    taken = {score, comment}
    rest = {h: w for h, w in named.items() if h not in taken}
    return SurveyColumns(
        score=score, comment=comment, date=_first(rest, DATE_NAMES, ()), id=_first(rest, ID_NAMES, ()),
        source=_first(rest, SOURCE_NAMES, ()),
    )


def _first(named: Mapping[str, str], names: frozenset[str], phrases: Sequence[str]) -> str | None:
    """A column named exactly first; else the first whose question holds one of the phrases."""
    for header, said in named.items():
        if said in names:
            return header
    for header, said in named.items():
        if any(re.search(rf"\b{re.escape(phrase)}", said) for phrase in phrases):
            return header
    return None


def answer_id(cells: Sequence[str], occurrence: int) -> str:
    """A stable id for an answer without one: the same cells (and the n-th time they appear in
    the file, so two customers who both wrote "Excelente" with a 10 stay two) give the same id,
    whatever line they sit on, so a file sent again stores nothing twice."""
    digest = hashlib.sha256("\x1f".join([*cells, str(occurrence)]).encode("utf-8")).hexdigest()[:32]
    return f"sheet:{digest}"


# Dates: ISO first (Typeform, CSV from a CRM), then day-first or month-first as the team writes.
_ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d")
_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y")
_MONTH_FIRST = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")


# Google Forms' downloads add a 12-hour clock and the form's zone: "2026/03/01 9:30:00 p. m. GMT-5".
_MERIDIEM = re.compile(r"\s*\b([ap])\.?\s?m\.?(?=\s|$)", re.IGNORECASE)
_GMT = re.compile(r"\s*\b(?:GMT|UTC)([+-]\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def parse_answer_date(text: str, *, day_first: bool) -> datetime | None:
    """When the answer was sent, as written in an export; naive unless the text has an offset.
    None when it is none of the shapes survey tools write."""
    text = " ".join(text.split())
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    zone, text = _offset(text)
    meridiem = _MERIDIEM.search(text)
    text = _MERIDIEM.sub("", text)
    for pattern in _ISO_FORMATS + (_DAY_FIRST if day_first else _MONTH_FIRST):
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        if meridiem:
            if not 1 <= moment.hour <= 12:
                return None
            moment = moment.replace(hour=moment.hour % 12 + (12 if meridiem.group(1).lower() == "p" else 0))
        return moment.replace(tzinfo=zone) if zone else moment
    return None


def _offset(text: str) -> tuple[timezone | None, str]:
    found = _GMT.search(text)
    if found is None:
        return None, text
    hours, minutes = int(found.group(1)), int(found.group(2) or 0)
    if abs(hours) > 14:
        return None, text
    delta = timedelta(hours=hours, minutes=minutes if hours >= 0 else -minutes)
    return timezone(delta), text[: found.start()]
