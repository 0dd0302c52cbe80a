"""Customer feedback in batches: the ingest API's `POST /api/v1/teams/{team}/feedback` and survey
spreadsheets. Every row is checked first; one bad row writes nothing (all or none). Each row
carries the sender's id, so a batch sent again stores nothing twice; personal data is removed
before anything is stored, as in every other way in (services/feedback.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from db.models import AlignmentTeam
from domain.errors import UserError
from domain.feedback import MAX_SCORE, MIN_SCORE, SOURCES, TYPED_SOURCES, fold_text
from domain.personal_data import scrub, without_marks
from services import feedback
from services.ingest import Caller, RowError, caller_team

MAX_ITEMS = 1000
MAX_ID_LENGTH = 200
FIELDS = {"id", "text", "score", "source", "received_at"}
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks disagree a little; a date days ahead is a mistake


@dataclass(frozen=True)
class ValidItem:
    index: int
    external_id: str
    text: str
    score: int | None
    source: str
    received_at: datetime


@dataclass(frozen=True)
class ItemsResult:
    recorded: int = 0
    unchanged: int = 0
    errors: tuple[RowError, ...] = ()  # when not empty, nothing was written
    created_ids: tuple[int, ...] = ()  # the items stored now, for the model's themes after the commit
    team_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {"recorded": self.recorded, "unchanged": self.unchanged}


class _Invalid(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code, self.message = code, message


def _source(raw: object, default: str) -> str:
    if raw is None:
        return default
    if not isinstance(raw, str):
        raise _Invalid("invalid_source", "source must be a string: whatsapp, survey, review, support or crm")
    folded = fold_text(raw)
    found = TYPED_SOURCES.get(folded) or (folded if folded in SOURCES else None)
    if found is None:
        raise _Invalid("invalid_source", f"unknown source {raw[:40]!r}: use whatsapp, survey, review, support or crm")
    return found


def _score(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isascii() or not text.isdigit() or not MIN_SCORE <= int(text) <= MAX_SCORE:
        raise _Invalid("invalid_score", "score must be a whole number from 0 to 10, or null")
    return int(text)


def _moment(raw: object, now: datetime) -> datetime:
    if raw is None:
        return now
    try:
        moment = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid("invalid_received_at", "received_at must be an ISO 8601 date and time with its offset") from None
    if moment.tzinfo is None:
        raise _Invalid("invalid_received_at", "received_at needs its UTC offset, e.g. 2026-03-10T09:30:00-05:00")
    if moment > now + FUTURE_TOLERANCE:
        raise _Invalid("received_at_in_future", "received_at is in the future")
    return moment


def _check(index: int, raw: object, *, default_source: str, now: datetime) -> ValidItem:
    if not isinstance(raw, dict):
        raise _Invalid("invalid_item", "each item must be an object with id and text")
    unknown = set(raw) - FIELDS
    if unknown:
        raise _Invalid("unknown_field", f"unknown fields {sorted(unknown)[:5]}; an item has {sorted(FIELDS)}")
    external_id = raw.get("id")
    if not isinstance(external_id, str) or not external_id.strip() or len(external_id) > MAX_ID_LENGTH:
        raise _Invalid("invalid_id", f"id must be the sender's own id for this item, a string of 1 to {MAX_ID_LENGTH} characters")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _Invalid("text_missing", "text must be what the customer said, a non-empty string")
    clean = scrub(text.replace("\x00", " ")).text
    if not fold_text(without_marks(clean)):
        raise _Invalid("only_personal_data", "once personal data is removed nothing is left of the text")
    if len(clean) > feedback.MAX_TEXT_LENGTH:
        raise _Invalid("text_too_long", f"text is longer than {feedback.MAX_TEXT_LENGTH} characters")
    return ValidItem(index, external_id.strip(), text.replace("\x00", " "), _score(raw.get("score")),
                     _source(raw.get("source"), default_source), _moment(raw.get("received_at"), now))  # fmt: skip


def validate_items(items: Sequence[object], *, default_source: str, now: datetime) -> tuple[list[ValidItem], list[RowError]]:
    valid, errors, seen = [], [], set()
    for index, raw in enumerate(items):
        try:
            item = _check(index, raw, default_source=default_source, now=now)
        except _Invalid as invalid:
            errors.append(RowError(index, invalid.code, invalid.message))
            continue
        if item.external_id in seen:
            errors.append(RowError(index, "duplicate_id", "the same id appears twice in this batch"))
            continue
        seen.add(item.external_id)
        valid.append(item)
    return valid, errors


def record_items(session, *, team: AlignmentTeam, items: Sequence[ValidItem], actor: str, now: datetime) -> ItemsResult:
    """Writes checked items in the caller's transaction, then counts the KPIs once for their periods."""
    recorded = unchanged = 0
    created: list[int] = []
    for item in items:
        try:
            done = feedback.record(
                session, team=team, actor=actor, text=item.text, source=item.source, score=item.score, now=now,
                external_id=item.external_id, received_at=item.received_at, count_kpis=False,
            )  # fmt: skip
        except UserError as refused:  # checked above; kept so a refusal can never half-write a batch
            raise ValueError(f"item {item.index} refused after its check: {refused.message_id}") from refused
        recorded += done.created
        unchanged += not done.created
        if done.created:
            created.append(done.item.id)
    if recorded:
        feedback.count(session, team=team, received_at=[item.received_at for item in items], active=feedback.themes(session, team=team, now=now), now=now)
    return ItemsResult(recorded=recorded, unchanged=unchanged, created_ids=tuple(created), team_id=team.id)


def record_api_batch(session, *, caller: Caller, items: Sequence[object], now: datetime) -> ItemsResult:
    """The ingest API's batch: the token checked again inside the write, then all items or none."""
    team = caller_team(session, caller=caller, now=now)
    valid, errors = validate_items(items, default_source="api", now=now)
    if errors:
        return ItemsResult(errors=tuple(errors))
    return record_items(session, team=team, items=valid, actor=caller.actor, now=now)
