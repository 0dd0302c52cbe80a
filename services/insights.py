"""The week's narrative, stored, and what people do with its hypotheses (people decide: docs/decisions.md).

A narrative is stored per team, meeting week, facts digest, language and source
(`StoredNarrative`), so the agenda and `/alinea insights` show the same text and spend tokens
once per set of figures; a late value changes the digest and so the narrative. A failed attempt
is remembered too: the automatic summary stored when the model failed stands for the model's
for an hour (`MODEL_RETRY_AFTER`) or until a figure changes, so a model that timed out is not
asked again on every request. Its hypotheses get ids, which the buttons carry:

- **Adopt** records the hypothesis as the meeting week's experiment (`experiments.decide`,
  source "ai" for a model's hypothesis, "auto" for the offline narrator's), owned by the
  person who pressed, due on the week's Friday; next week's agenda reports on it. Adopting
  replaces a decision taken earlier that week, as the experiment form does (audited).
- **Not useful** records the person's feedback once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo
from typing import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import AlignmentTeam, Experiment, NarrativeFeedback, NarrativeHypothesis, StoredNarrative
from db.session import read_only
from domain.errors import UserError
from domain.meetings import AgendaKind, Occurrence
from domain.narrative import Fact, Hypothesis, Narrative, Narrator, Source, facts_digest
from domain.periods import WEEK, Period, local_date
from domain.slack_text import decode_entities
from services import agenda_facts, agendas, audit, experiments, narrative_facts
from services.agenda_facts import reported_period
from services.experiments import MAX_HYPOTHESIS_LENGTH, ExperimentView

logger = logging.getLogger(__name__)

EXPERIMENT_DUE_WEEKDAY = 4  # Friday: the week's experiment is judged before the next meeting
MODEL_RETRY_AFTER = timedelta(hours=1)  # a failed model is asked again for the same figures after this


@dataclass(frozen=True)
class StoredHypothesis:
    id: int
    number: int
    hypothesis: Hypothesis
    adopted_by: str | None  # who adopted it, while the week's experiment is still this one
    not_useful: int  # how many people said so


@dataclass(frozen=True)
class Insight:
    """A stored narrative: what the agenda posts and `/alinea insights` shows."""

    id: int
    week: Period  # the meeting's week: the week an adopted hypothesis runs in
    narrative: Narrative
    hypotheses: tuple[StoredHypothesis, ...]


# Which week, which facts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekFacts:
    reported: Period  # the week summarised
    meeting: Occurrence  # the weekly meeting after it: the week an adopted hypothesis runs in
    facts: tuple[Fact, ...]
    open_for_decision: bool  # the meeting's week is not over, so a hypothesis can still be adopted


def week_facts(session: Session, *, team: AlignmentTeam, week: Period | None, now: datetime) -> WeekFacts:
    """The facts a narrator gets for `week` (default: the week the next weekly agenda reports,
    so `/alinea insights` and the agenda share their narrative). A week not over yet, or one
    without a single value logged, is a user error saying what to ask for instead."""
    upcoming = agendas.next_meeting(team, AgendaKind.WEEKLY, now)
    latest = reported_period(upcoming, team.timezone)
    week = week or latest
    if week.kind != WEEK:
        raise UserError("insights.not_a_week", text=week.key)
    if week.key > latest.key:
        raise UserError("insights.week_in_progress", week=week.key, latest=latest.key)
    meeting = upcoming if week == latest else agendas.meeting_of_period(team, AgendaKind.WEEKLY, _noon(week.next().start, team))
    # An earlier week is told as its agenda saw it: SLA periods and key results as of its post time.
    as_of = now if week == latest else min(now, meeting.post_at)
    facts = agenda_facts.weekly(session, team=team, occurrence=meeting, now=as_of, reported=week)
    if not facts.has_data:
        raise UserError("insights.no_data", week=week.key)
    said = tuple(narrative_facts.weekly_facts(facts, language=team.locale))
    return WeekFacts(week, meeting, said, open_for_decision=meeting.period.end > local_date(now, team.timezone))


def _noon(day: date, team: AlignmentTeam) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(team.timezone))


# Storing and reusing ---------------------------------------------------------------------------------


def narrate_once(
    factory: sessionmaker[Session], narrator: Narrator, *, team_id: int, week: Period, facts: Sequence[Fact],
    language: str, country: str | None, now: datetime,
) -> Insight:
    """The stored narrative of these facts, else a new one narrated now (outside any transaction:
    a model may take seconds) and stored. For the model, a fallback stored less than
    `MODEL_RETRY_AFTER` ago counts as its answer. Two processes narrating at once both store; the
    first insert wins and both return it."""
    digest = facts_digest(facts)
    asks_model = narrator.source is Source.LLM
    with read_only(factory) as session:
        found = _find(session, team_id, week, digest, language, narrator.source)
        if found is None and asks_model:
            found = _failed_attempt(session, team_id, week, digest, language, now)
        if found is not None:
            return _insight(session, found, failure_shown=asks_model)
    narrative = narrator.narrate(facts, language=language, country=country)
    with factory.begin() as session:
        team = session.get(AlignmentTeam, team_id)
        assert team is not None, f"no alignment team {team_id}"
        row = _store(session, team, week, digest, language, narrative, now)
        return _insight(session, row, failure_shown=asks_model)


def _find(session: Session, team_id: int, week: Period, digest: str, language: str, source: Source) -> StoredNarrative | None:
    return session.scalars(
        select(StoredNarrative).where(
            StoredNarrative.team_id == team_id, StoredNarrative.week_key == week.key, StoredNarrative.facts_digest == digest,
            StoredNarrative.language == language, StoredNarrative.source == source.value,
        )  # fmt: skip
    ).one_or_none()


def _failed_attempt(session: Session, team_id: int, week: Period, digest: str, language: str, now: datetime) -> StoredNarrative | None:
    """The fallback stored when the model last failed on these figures, while it still stands."""
    found = _find(session, team_id, week, digest, language, Source.OFFLINE)
    if found is None or found.retry_model_after is None or found.retry_model_after <= now:
        return None
    return found


def _store(session: Session, team: AlignmentTeam, week: Period, digest: str, language: str, narrative: Narrative,
           now: datetime) -> StoredNarrative:  # fmt: skip
    retry_after = now + MODEL_RETRY_AFTER if narrative.fallback_reason else None
    row = StoredNarrative(
        workspace_id=team.workspace_id, team_id=team.id, week_key=week.key, facts_digest=digest, language=language,
        source=narrative.source.value, model=narrative.model, summary=list(narrative.summary), dropped=narrative.dropped,
        fallback_reason=narrative.fallback_reason, created_at=now, retry_model_after=retry_after,
        hypotheses=[
            NarrativeHypothesis(
                workspace_id=team.workspace_id, number=number, text=h.text, experiment=h.experiment, metric=h.metric,
                fact_ids=list(h.fact_ids),
            )
            for number, h in enumerate(narrative.hypotheses, start=1)
        ],
    )  # fmt: skip
    try:
        with session.begin_nested():  # a savepoint: losing the race keeps the outer transaction usable
            session.add(row)
    except IntegrityError:
        found = _find(session, team.id, week, digest, language, narrative.source)
        assert found is not None, "the narrative that won the race is gone"
        if retry_after is not None:  # the model failed again on these figures: remembered anew (same text)
            found.fallback_reason, found.retry_model_after = narrative.fallback_reason, retry_after
        return found
    return row


def _insight(session: Session, row: StoredNarrative, *, failure_shown: bool = True) -> Insight:
    """The stored narrative as shown; without `failure_shown` (the team has the model switched
    off), an automatic summary says nothing of a model's earlier failure."""
    experiment = _week_experiment(session, row.team_id, row.week_key)
    counts = dict(
        session.execute(
            select(NarrativeFeedback.hypothesis_id, func.count())
            .where(NarrativeFeedback.hypothesis_id.in_([h.id for h in row.hypotheses]))
            .group_by(NarrativeFeedback.hypothesis_id)
        ).all()
    )
    narrative = Narrative(
        summary=tuple(row.summary), hypotheses=tuple(_hypothesis(h) for h in row.hypotheses), source=Source(row.source),
        model=row.model, dropped=row.dropped, fallback_reason=row.fallback_reason if failure_shown else None,
    )  # fmt: skip
    stored = tuple(
        StoredHypothesis(h.id, h.number, _hypothesis(h), h.adopted_by if _still_adopted(h, experiment) else None, counts.get(h.id, 0))
        for h in row.hypotheses
    )  # fmt: skip
    return Insight(row.id, Period.parse_key(row.week_key), narrative, stored)


def _hypothesis(row: NarrativeHypothesis) -> Hypothesis:
    return Hypothesis(text=row.text, fact_ids=tuple(row.fact_ids), experiment=row.experiment, metric=row.metric)


def _week_experiment(session: Session, team_id: int, week_key: str) -> Experiment | None:
    return session.scalars(select(Experiment).where(Experiment.team_id == team_id, Experiment.week_key == week_key)).one_or_none()


def _still_adopted(row: NarrativeHypothesis, experiment: Experiment | None) -> bool:
    """Adopted, and the week's experiment has not been decided otherwise since (the form, or
    another hypothesis, replaces the week's one row and its decision time)."""
    return (
        experiment is not None and row.adopted_experiment_id == experiment.id and row.adopted_at is not None
        and experiment.decided_at == row.adopted_at
    )  # fmt: skip


# What people do with a hypothesis --------------------------------------------------------------------


@dataclass(frozen=True)
class Adoption:
    experiment: ExperimentView
    insight: Insight
    replaced: str | None  # the hypothesis of the experiment this one replaced, if any


def adopt(session: Session, *, team: AlignmentTeam, actor: str, hypothesis_id: int, now: datetime) -> Adoption:
    """Records the hypothesis as its meeting week's experiment, owned by `actor`."""
    row = _hypothesis_row(session, team, hypothesis_id)
    narrative = row.narrative
    week = Period.parse_key(narrative.week_key)
    today = local_date(now, team.timezone)
    if week.end <= today:
        raise UserError("insights.adopt_past_week", week=week.key)
    before = _week_experiment(session, team.id, week.key)
    if _still_adopted(row, before):
        raise UserError("insights.already_adopted", who=row.adopted_by)
    previous = before.hypothesis if before is not None else None  # decide() rewrites that row in place
    decided = experiments.decide(
        session, team=team, actor=actor, week=week, hypothesis=experiment_text(row), metric=decode_entities(row.metric), owner=actor,
        due=_due(week, today), now=now, source="ai" if narrative.source == Source.LLM.value else "auto",
    )  # fmt: skip
    row.adopted_experiment_id, row.adopted_by, row.adopted_at = decided.id, actor, decided.decided_at
    session.flush()
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action="narrative_hypothesis.adopt",
        entity_type="narrative_hypothesis", entity_id=row.id, before=None,
        after={"experiment_id": decided.id, "week": week.key, "number": row.number}, now=now,
    )  # fmt: skip
    return Adoption(decided, _insight(session, narrative), previous if previous != decided.hypothesis else None)


def experiment_text(row: NarrativeHypothesis) -> str:
    """The hypothesis and its proposed experiment, within the experiment's length limit. The
    narrator's text is stored escaped for Slack; the experiment stores plain text (escaped once
    when rendered, like anything a person types), so the entities are decoded here."""
    text = decode_entities(f"{row.text} → {row.experiment}" if row.experiment else row.text)
    return text if len(text) <= MAX_HYPOTHESIS_LENGTH else text[: MAX_HYPOTHESIS_LENGTH - 1].rstrip() + "…"


def _due(week: Period, today: date) -> date:
    return max(week.start + timedelta(days=EXPERIMENT_DUE_WEEKDAY), today)


@dataclass(frozen=True)
class Feedback:
    insight: Insight
    first_time: bool  # False: this person had said so already


def not_useful(session: Session, *, team: AlignmentTeam, actor: str, hypothesis_id: int, now: datetime) -> Feedback:
    row = _hypothesis_row(session, team, hypothesis_id)
    feedback = NarrativeFeedback(workspace_id=team.workspace_id, hypothesis_id=row.id, user_id=actor, verdict="not_useful", created_at=now)
    try:
        with session.begin_nested():
            session.add(feedback)
        first_time = True
    except IntegrityError:  # pressed before (or twice at once): counted once
        first_time = False
    return Feedback(_insight(session, row.narrative), first_time)


def _hypothesis_row(session: Session, team: AlignmentTeam, hypothesis_id: int) -> NarrativeHypothesis:
    """The hypothesis, only if it belongs to this team of this workspace (a button's value is
    whatever the client sends)."""
    row = session.scalars(
        select(NarrativeHypothesis)
        .join(StoredNarrative, NarrativeHypothesis.narrative_id == StoredNarrative.id)
        .where(NarrativeHypothesis.id == hypothesis_id, NarrativeHypothesis.workspace_id == team.workspace_id,
               StoredNarrative.team_id == team.id)  # fmt: skip
    ).one_or_none()
    if row is None:
        raise UserError("insights.unknown_hypothesis")
    return row


def insight(session: Session, *, team: AlignmentTeam, narrative_id: int) -> Insight | None:
    row = session.get(StoredNarrative, narrative_id)
    return _insight(session, row) if row is not None and row.team_id == team.id else None
