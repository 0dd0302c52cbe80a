"""The model refines the themes of feedback just stored, after the words tagged it.

Why after, and not inside `feedback.record`: a model may take up to the LLM timeout (20 s by
default), and `record` runs inside the write that answers the person (or the ingest API's
caller). So every way in stores the item with the words' themes first, commits, answers, and
then hands the new item ids to `refine` on the work queue. `refine` reads the texts (already
cleaned of personal data when stored), lets go of the database while the model thinks, and
writes the model's pick in a short second transaction, only for items whose themes are still
the words' (a person's re-tag made meanwhile wins). A failure changes nothing: the words' themes
stand. Nothing is asked when the team switched its AI off (`llm_enabled`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from db.models import AlignmentTeam
from services import feedback
from services.llm_themes import Choice, ThemePick, ThemePicker


@dataclass(frozen=True)
class Refinement:
    item_id: int
    picked: ThemePick
    applied: bool  # the model's themes replaced the words' ones


def refine(
    session_factory: sessionmaker[Session], *, team_id: int, item_ids: Sequence[int], now: datetime,
    picker_for: Callable[[int], ThemePicker | None],
) -> list[Refinement]:  # fmt: skip
    """Asks the workspace's picker (`picker_for(workspace_id)`, None without a model) for each
    item's themes and applies them; returns what happened to each item asked about."""
    if not item_ids:
        return []
    with session_factory.begin() as session:
        team = session.get(AlignmentTeam, team_id)
        if team is None or not team.llm_enabled:
            return []
        workspace_id, language = team.workspace_id, team.locale
        choices = [Choice(theme.key, theme.name) for theme in feedback.themes(session, team=team, now=now)]
        items = [(item.id, item.text) for item in feedback.to_refine(session, team=team, item_ids=item_ids)]
    picker = picker_for(workspace_id)
    if picker is None or not items:
        return []
    picks = [(item_id, picker.pick(text, choices, language=language)) for item_id, text in items]
    done: list[Refinement] = []
    with session_factory.begin() as session:
        team = session.get(AlignmentTeam, team_id)
        moments = []
        for item_id, picked in picks:
            view = None
            if picked.keys is not None and team is not None and team.llm_enabled:
                view = feedback.apply_model_themes(session, team=team, item_id=item_id, keys=picked.keys, now=now)
            if view is not None:
                moments.append(view.received_at)
            done.append(Refinement(item_id, picked, applied=view is not None))
        if moments:
            feedback.count(session, team=team, received_at=moments, active=feedback.themes(session, team=team, now=now), now=now)
    return done
