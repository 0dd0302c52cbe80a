"""Customer feedback: stored with its personal data removed, tagged with the team's themes.

Every way in (`/alinea feedback`, the message shortcut, a survey spreadsheet, the ingest API)
calls `record`, which removes personal data first (domain/personal_data.py), so nothing stored
or shown to a model can name a customer. Themes come from the team's own list: the starter
themes in the team's language, seeded on first use, edited by leads; words decide offline, a
person may re-tag an item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from db.models import AlignmentTeam, FeedbackItem, FeedbackTag, FeedbackTheme
from domain.errors import UserError
from domain.feedback import MAX_SCORE, MIN_SCORE, SOURCES, STARTER_THEMES, ThemeRule, classify, fold_text, theme_words
from domain.locales import normalize_locale
from domain.numbers import typed_whole
from domain.personal_data import KINDS, scrub, without_marks
from services import audit, feedback_kpis
from services.teams import roles_of

MAX_TEXT_LENGTH = 2000
MAX_THEME_NAME_LENGTH = 60
MAX_THEMES = 30


@dataclass(frozen=True)
class ThemeView:
    id: int
    key: str
    name: str
    words: tuple[str, ...]

    def rule(self) -> ThemeRule:
        return ThemeRule(self.key, self.words)


@dataclass(frozen=True)
class FeedbackView:
    id: int
    number: int
    source: str
    score: int | None
    text: str
    removed: dict[str, int]
    themes: tuple[ThemeView, ...]
    themes_from: str
    added_by: str
    received_at: datetime

    @property
    def label(self) -> str:
        return f"F{self.number}"


@dataclass(frozen=True)
class StoredFeedback:
    item: FeedbackView
    created: bool  # False: the sender's id was stored before, nothing changed


def _theme_view(row: FeedbackTheme) -> ThemeView:
    return ThemeView(row.id, row.key, row.name, tuple(row.words or ()))


# Themes ------------------------------------------------------------------------------------------------


def themes(session, *, team: AlignmentTeam, now: datetime) -> list[ThemeView]:
    """The team's active themes in their order; the starter list is seeded the first time."""
    rows = _theme_rows(session, team)
    if not rows:
        _seed_starter_themes(session, team, now)
        rows = _theme_rows(session, team)
    return [_theme_view(row) for row in rows if row.archived_at is None]


def themes_as_they_would_be(session, *, team: AlignmentTeam) -> list[ThemeView]:
    """The active themes without writing anything: the starter list (named in the team's
    language) when none is stored yet. For a dry run, which must not seed the list."""
    rows = _theme_rows(session, team)
    if rows:
        return [_theme_view(row) for row in rows if row.archived_at is None]
    language = normalize_locale(team.locale) or "es"
    return [ThemeView(0, s.key, s.names.get(language, s.names["es"]), tuple(s.words)) for s in STARTER_THEMES]


def _theme_rows(session, team: AlignmentTeam) -> list[FeedbackTheme]:
    query = select(FeedbackTheme).where(FeedbackTheme.workspace_id == team.workspace_id, FeedbackTheme.team_id == team.id)
    return list(session.scalars(query.order_by(FeedbackTheme.position, FeedbackTheme.id)))


def _seed_starter_themes(session, team: AlignmentTeam, now: datetime) -> None:
    language = normalize_locale(team.locale) or "es"
    for position, starter in enumerate(STARTER_THEMES):
        session.add(FeedbackTheme(
            workspace_id=team.workspace_id, team_id=team.id, key=starter.key, name=starter.names.get(language, starter.names["es"]),
            words=list(starter.words), position=position, created_by=audit.SYSTEM_ACTOR, created_at=now,
        ))  # fmt: skip
    session.flush()


def _require_lead(team: AlignmentTeam, actor: str) -> None:
    if not roles_of(team, actor):
        raise UserError("feedback.themes.leads_only")


def add_theme(session, *, team: AlignmentTeam, actor: str, written: str, now: datetime) -> ThemeView:
    """`Envíos internacionales: aduana, customs` — a name, then optional words after a colon
    (without words, the name's own words are used)."""
    _require_lead(team, actor)
    name, _, words_text = written.partition(":")
    name = " ".join(name.split())
    if not name:
        raise UserError("feedback.themes.name_missing")
    if len(name) > MAX_THEME_NAME_LENGTH:
        raise UserError("feedback.themes.name_too_long", limit=MAX_THEME_NAME_LENGTH)
    key = fold_text(name).replace(" ", "_")[:40]
    if not key:
        raise UserError("feedback.themes.name_missing")
    words = theme_words(words_text) or theme_words(name)
    active = themes(session, team=team, now=now)
    if any(theme.key == key or fold_text(theme.name) == fold_text(name) for theme in active):
        raise UserError("feedback.themes.exists", name=name)
    if len(active) >= MAX_THEMES:
        raise UserError("feedback.themes.too_many", limit=MAX_THEMES)
    archived = next((row for row in _theme_rows(session, team) if row.key == key), None)
    if archived is not None:  # added again: its old tags count again
        archived.archived_at, archived.name, archived.words = None, name, list(words)
        row = archived
    else:
        row = FeedbackTheme(
            workspace_id=team.workspace_id, team_id=team.id, key=key, name=name, words=list(words),
            position=len(_theme_rows(session, team)), created_by=actor, created_at=now,
        )  # fmt: skip
        session.add(row)
    session.flush()
    _audit(session, team, actor, "feedback_theme.add", "feedback_theme", row.id, None, {"name": name, "words": list(words)}, now)
    return _theme_view(row)


def remove_theme(session, *, team: AlignmentTeam, actor: str, typed: str, now: datetime) -> ThemeView:
    _require_lead(team, actor)
    theme = find_theme(themes(session, team=team, now=now), typed)
    row = session.get(FeedbackTheme, theme.id)
    row.archived_at = now
    session.flush()
    _audit(session, team, actor, "feedback_theme.remove", "feedback_theme", row.id, {"name": row.name}, None, now)
    return theme


def find_theme(active: Sequence[ThemeView], typed: str) -> ThemeView:
    """By key or name, accents and case forgiven; a unique beginning of a name also finds it."""
    wanted = fold_text(typed)
    if not wanted:
        raise UserError("feedback.themes.unknown", typed=typed.strip(), names=_names(active))
    for theme in active:
        if wanted in (fold_text(theme.name), fold_text(theme.key)):
            return theme
    starting = [theme for theme in active if fold_text(theme.name).startswith(wanted) or fold_text(theme.key).startswith(wanted)]
    if len(starting) == 1:
        return starting[0]
    raise UserError("feedback.themes.unknown", typed=typed.strip(), names=_names(active))


def _names(active: Sequence[ThemeView]) -> str:
    return ", ".join(theme.name for theme in active)


# Items -------------------------------------------------------------------------------------------------


def record(
    session, *, team: AlignmentTeam, actor: str, text: str, source: str, score: int | None, now: datetime,
    external_id: str | None = None, theme_keys: Sequence[str] | None = None, themes_from: str = "words",
    removed_before: dict[str, int] | None = None, received_at: datetime | None = None, count_kpis: bool = True,
) -> StoredFeedback:
    """Stores one piece of feedback, personal data removed, tagged by words (or with `theme_keys`
    a person or a model chose from the team's list). The same `external_id` twice stores it once.
    `removed_before` counts what was removed before the text reached here (the shortcut's form
    shows the text already cleaned). `received_at` is when the customer said it (a survey's
    date; default `now`); a batch passes `count_kpis=False` and calls `count` once at its end."""
    if source not in SOURCES:
        raise ValueError(f"unknown feedback source {source!r}")
    if score is not None and not MIN_SCORE <= score <= MAX_SCORE:
        raise UserError("feedback.score_invalid", typed=str(score))
    scrubbed = scrub(text)
    clean, removed = scrubbed.text, _added_counts(scrubbed.removed, removed_before or {})
    if not clean:
        raise UserError("feedback.text_missing")
    if not fold_text(without_marks(clean)):
        raise UserError("feedback.only_personal_data")
    if len(clean) > MAX_TEXT_LENGTH:
        raise UserError("feedback.text_too_long", limit=MAX_TEXT_LENGTH, length=len(clean))
    if external_id is not None:
        external_id = external_id.strip()[:200] or None
        existing = _by_external_id(session, team, external_id) if external_id else None
        if existing is not None:
            return StoredFeedback(_item_view(session, existing), created=False)
    active = themes(session, team=team, now=now)
    chosen = _chosen_themes(active, clean, theme_keys)
    row = FeedbackItem(
        workspace_id=team.workspace_id, team_id=team.id, number=_next_number(session, team), source=source, score=score,
        text=clean, removed=removed, external_id=external_id, themes_from=themes_from if theme_keys is not None else "words",
        added_by=actor[:64], received_at=received_at or now,
    )  # fmt: skip
    try:
        with session.begin_nested():  # a savepoint: a sender's id stored meanwhile keeps the transaction usable
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = _by_external_id(session, team, external_id) if external_id else None
        if existing is None:
            raise
        return StoredFeedback(_item_view(session, existing), created=False)
    _tag(session, team, row, chosen)
    if count_kpis:
        count(session, team=team, received_at=row.received_at, active=active, now=now)
    _audit(session, team, actor, "feedback_item.add", "feedback_item", row.id, None,
           {"source": source, "score": score, "themes": [theme.key for theme in chosen], "removed": removed}, now)  # fmt: skip
    return StoredFeedback(_item_view(session, row), created=True)


def _added_counts(first: dict[str, int], second: dict[str, int]) -> dict[str, int]:
    return {kind: first.get(kind, 0) + second.get(kind, 0) for kind in KINDS if first.get(kind, 0) + second.get(kind, 0)}


def count(session, *, team: AlignmentTeam, received_at: datetime | Sequence[datetime], active: Sequence[ThemeView], now: datetime) -> None:
    """The week's and the month's feedback KPIs again, for the periods items received then count in."""
    moments = [received_at] if isinstance(received_at, datetime) else list(received_at)
    periods = dict.fromkeys(period for moment in moments for period in feedback_kpis.periods_of(team, moment))
    feedback_kpis.refresh(session, team=team, periods=sorted(periods, key=lambda p: (p.kind, p.start)), themes=active, now=now)


def _chosen_themes(active: Sequence[ThemeView], text: str, theme_keys: Sequence[str] | None) -> list[ThemeView]:
    if theme_keys is None:
        keys = classify(text, [theme.rule() for theme in active])
    else:
        keys = list(theme_keys)
    by_key = {theme.key: theme for theme in active}
    return [by_key[key] for key in dict.fromkeys(keys) if key in by_key]


def _next_number(session, team: AlignmentTeam) -> int:
    numbers = session.scalars(select(FeedbackItem.number).where(FeedbackItem.team_id == team.id))
    return max(numbers, default=0) + 1


def _by_external_id(session, team: AlignmentTeam, external_id: str) -> FeedbackItem | None:
    query = select(FeedbackItem).where(
        FeedbackItem.workspace_id == team.workspace_id, FeedbackItem.team_id == team.id, FeedbackItem.external_id == external_id
    )
    return session.scalars(query).one_or_none()


def _tag(session, team: AlignmentTeam, row: FeedbackItem, chosen: Sequence[ThemeView]) -> None:
    for theme in chosen:
        session.add(FeedbackTag(workspace_id=team.workspace_id, item_id=row.id, theme_id=theme.id))
    session.flush()


def _item_view(session, row: FeedbackItem) -> FeedbackView:
    tagged = session.scalars(
        select(FeedbackTheme).join(FeedbackTag, FeedbackTag.theme_id == FeedbackTheme.id)
        .where(FeedbackTag.item_id == row.id).order_by(FeedbackTheme.position, FeedbackTheme.id)
    )  # fmt: skip
    return FeedbackView(
        row.id, row.number, row.source, row.score, row.text, dict(row.removed or {}), tuple(_theme_view(theme) for theme in tagged),
        row.themes_from, row.added_by, row.received_at,
    )  # fmt: skip


def find_item(session, *, team: AlignmentTeam, reference: str) -> FeedbackItem:
    """`F3`, `f 3`, `#3` or `3`."""
    number = typed_whole("".join(reference.split()).upper().removeprefix("F").removeprefix("#"))
    found = None
    if number is not None:
        found = session.scalars(select(FeedbackItem).where(
            FeedbackItem.workspace_id == team.workspace_id, FeedbackItem.team_id == team.id, FeedbackItem.number == number,
        )).one_or_none()  # fmt: skip
    if found is None:
        raise UserError("feedback.unknown_item", reference=reference.strip())
    return found


def retag(session, *, team: AlignmentTeam, actor: str, reference: str, typed_themes: str, now: datetime) -> FeedbackView:
    """A person's themes replace the ones words or a model chose: `F3 entrega, precio`."""
    row = find_item(session, team=team, reference=reference)
    active = themes(session, team=team, now=now)
    parts = [part for part in typed_themes.replace(";", ",").split(",") if part.strip()]
    if not parts:
        raise UserError("feedback.retag_usage")
    chosen = list({theme.key: theme for theme in (find_theme(active, part) for part in parts)}.values())
    before = [theme.key for theme in _item_view(session, row).themes]
    session.execute(delete(FeedbackTag).where(FeedbackTag.item_id == row.id))
    _tag(session, team, row, chosen)
    row.themes_from = "person"
    session.flush()
    count(session, team=team, received_at=row.received_at, active=active, now=now)
    _audit(session, team, actor, "feedback_item.retag", "feedback_item", row.id, {"themes": before}, {"themes": [t.key for t in chosen]}, now)
    return _item_view(session, row)


def to_refine(session, *, team: AlignmentTeam, item_ids: Sequence[int]) -> list[FeedbackView]:
    """The items among `item_ids` whose themes words chose: a person's choice is never redone."""
    rows = session.scalars(select(FeedbackItem).where(
        FeedbackItem.workspace_id == team.workspace_id, FeedbackItem.team_id == team.id, FeedbackItem.id.in_(list(item_ids)),
        FeedbackItem.themes_from == "words",
    ).order_by(FeedbackItem.number))  # fmt: skip
    return [_item_view(session, row) for row in rows]


def apply_model_themes(session, *, team: AlignmentTeam, item_id: int, keys: Sequence[str], now: datetime) -> FeedbackView | None:
    """The model's themes replace the words' ones, unless a person re-tagged the item meanwhile
    (then None). Keys not among the team's active themes are ignored; the caller counts the KPIs."""
    row = session.get(FeedbackItem, item_id)
    if row is None or row.team_id != team.id or row.workspace_id != team.workspace_id or row.themes_from != "words":
        return None
    chosen = _chosen_themes(themes(session, team=team, now=now), row.text, keys)
    if not chosen:
        return None
    before = [theme.key for theme in _item_view(session, row).themes]
    session.execute(delete(FeedbackTag).where(FeedbackTag.item_id == row.id))
    _tag(session, team, row, chosen)
    row.themes_from = "model"
    session.flush()
    _audit(session, team, audit.SYSTEM_ACTOR, "feedback_item.model_themes", "feedback_item", row.id, {"themes": before},
           {"themes": [theme.key for theme in chosen]}, now)  # fmt: skip
    return _item_view(session, row)


def recent(session, *, team: AlignmentTeam, limit: int = 10) -> list[FeedbackView]:
    rows = session.scalars(
        select(FeedbackItem).where(FeedbackItem.workspace_id == team.workspace_id, FeedbackItem.team_id == team.id)
        .order_by(FeedbackItem.number.desc()).limit(limit)
    )  # fmt: skip
    return [_item_view(session, row) for row in rows]


def _audit(session, team: AlignmentTeam, actor: str, action: str, entity_type: str, entity_id: int, before, after, now: datetime) -> None:
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor[:64], action=action,
        entity_type=entity_type, entity_id=entity_id, before=before, after=after, now=now,
    )  # fmt: skip
