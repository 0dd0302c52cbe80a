"""The OKR rhythm: one check-in reminder before the weekly meeting, and the review at the end
of an objective's period.

Reminders. In the 24 hours before the team's weekly meeting, each owner whose active key
results have had no check-in since the previous meeting gets one DM listing them. The
reminder row, unique on (team, owner, meeting day), is the claim: a second run, a second
replica or a restart finds it and sends nothing; a row whose post failed is retried on the next
run until the meeting starts. KPI-backed KRs update themselves, but their owner's confidence is
still asked for, so they count too.

Review. When an objective's last deadline has passed, its review prompt is claimed once (unique
per objective) and posted in the team's channel; the monthly agenda reuses the same
claim, so the question is asked once whichever comes first. Answers (achieved, learned,
adjust) come from replies in the prompt's thread or from its form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import repositories
from db.models import AlignmentTeam, ObjectiveStatus, OkrCheckIn, OkrKeyResult, OkrObjective, OkrReminder, OkrReviewAnswer, OkrReviewPrompt
from domain.errors import UserError
from domain.meetings import AgendaKind, Occurrence, occurrence
from domain.okr_review_answers import ReviewQuestion
from domain.periods import Period, local_date
from services import audit, okr
from services.okr import KeyResultView, ObjectiveView
from services.teams import meeting_schedule

REMINDER_LEAD = timedelta(hours=24)
MAX_ANSWER_LENGTH = 2000


@dataclass(frozen=True)
class ReminderView:
    id: int
    user_id: str
    meeting_at: datetime
    key_results: tuple[KeyResultView, ...]


@dataclass(frozen=True)
class ReviewPromptView:
    id: int
    channel_id: str
    message_ts: str | None
    objective: ObjectiveView


@dataclass(frozen=True)
class AnswerView:
    question: ReviewQuestion
    answer: str
    user_id: str
    source: str
    at: datetime


# Reminders --------------------------------------------------------------------------------------


def next_weekly_meeting(team: AlignmentTeam, now: datetime) -> Occurrence:
    """The first weekly meeting that has not started at `now` (this week's, or next week's once
    this week's began), in the team's timezone."""
    schedule = meeting_schedule(team)
    week = Period.week_of(local_date(now, team.timezone))
    meeting = occurrence(schedule, AgendaKind.WEEKLY, week)
    return meeting if now < meeting.meeting_at else occurrence(schedule, AgendaKind.WEEKLY, week.next())


def _checked_in_since(session: Session, key_result_ids: list[int], since: datetime) -> set[int]:
    if not key_result_ids:
        return set()
    found = session.scalars(select(OkrCheckIn.key_result_id).where(OkrCheckIn.key_result_id.in_(key_result_ids), OkrCheckIn.at >= since))
    return set(found)


def _active_key_results(session: Session, team: AlignmentTeam, today: date) -> list[OkrKeyResult]:
    return list(
        session.scalars(
            select(OkrKeyResult)
            .join(OkrObjective)
            .where(
                OkrKeyResult.workspace_id == team.workspace_id, OkrKeyResult.team_id == team.id,
                OkrObjective.status == ObjectiveStatus.ACTIVE, OkrKeyResult.start_on <= today, OkrKeyResult.deadline >= today,
            )
            .order_by(OkrKeyResult.number)
        )
    )  # fmt: skip


def claim_reminders(session: Session, *, team: AlignmentTeam, now: datetime) -> int:
    """Claims this week's reminders when `now` is in the 24 hours before the weekly meeting;
    returns how many were new."""
    meeting = next_weekly_meeting(team, now)
    if now < meeting.meeting_at - REMINDER_LEAD:
        return 0
    meeting_on = local_date(meeting.meeting_at, team.timezone)
    rows = _active_key_results(session, team, meeting_on)
    fresh = _checked_in_since(session, [row.id for row in rows], meeting.meeting_at - timedelta(days=7))
    waiting: dict[str, list[int]] = {}
    for row in rows:
        if row.id not in fresh:
            waiting.setdefault(row.owner_user_id, []).append(row.id)
    return sum(_claim(session, team, owner, meeting_on, ids, now) for owner, ids in waiting.items())


def _claim(session: Session, team: AlignmentTeam, owner: str, meeting_on: date, ids: list[int], now: datetime) -> bool:
    """One row per (team, owner, meeting day); False when it already exists (sent or claimed)."""
    values = {"workspace_id": team.workspace_id, "team_id": team.id, "user_id": owner, "meeting_on": meeting_on, "key_result_ids": ids, "claimed_at": now}
    return repositories.insert_ignoring_conflict(session, OkrReminder, values, unique=["team_id", "user_id", "meeting_on"])


def unposted_reminders(session: Session, *, team: AlignmentTeam, now: datetime) -> list[ReminderView]:
    """Claimed reminders not sent yet whose meeting has not started."""
    meeting = next_weekly_meeting(team, now)
    meeting_on = local_date(meeting.meeting_at, team.timezone)
    rows = session.scalars(
        select(OkrReminder).where(
            OkrReminder.workspace_id == team.workspace_id, OkrReminder.team_id == team.id,
            OkrReminder.meeting_on == meeting_on, OkrReminder.message_ts.is_(None),
        ).order_by(OkrReminder.id)
    )  # fmt: skip
    today = local_date(now, team.timezone)
    views = []
    for row in rows:
        rows_of = [session.get(OkrKeyResult, kr_id) for kr_id in row.key_result_ids]
        results = tuple(okr.key_result_view(session, team, kr, today=today) for kr in rows_of if kr is not None)
        views.append(ReminderView(row.id, row.user_id, meeting.meeting_at, results))
    return views


def record_reminder_post(session: Session, *, team: AlignmentTeam, reminder_id: int, ts: str) -> None:
    row = session.get(OkrReminder, reminder_id)
    if row is not None and row.team_id == team.id:
        row.message_ts = ts


# Review ------------------------------------------------------------------------------------------


def claim_review_prompts(session: Session, *, team: AlignmentTeam, now: datetime) -> int:
    """Claims the review of each active objective whose last deadline has passed."""
    today = local_date(now, team.timezone)
    asked = set(session.scalars(select(OkrReviewPrompt.objective_id).where(OkrReviewPrompt.workspace_id == team.workspace_id)))
    claimed = 0
    for view in okr.board(session, team=team, today=today).objectives:
        if view.id in asked or view.ends_on is None or view.ends_on >= today:
            continue
        claimed += claim_review_prompt(session, team=team, objective_id=view.id, now=now)
    return claimed


def claim_review_prompt(session: Session, *, team: AlignmentTeam, objective_id: int, now: datetime) -> bool:
    """Claims one objective's review (the monthly agenda calls this too); False if already asked."""
    values = {"workspace_id": team.workspace_id, "objective_id": objective_id, "channel_id": team.channel_id, "claimed_at": now}
    return repositories.insert_ignoring_conflict(session, OkrReviewPrompt, values, unique=["objective_id"])


def _prompt_view(session: Session, team: AlignmentTeam, row: OkrReviewPrompt, today: date) -> ReviewPromptView:
    objective = session.get(OkrObjective, row.objective_id)
    assert objective is not None
    return ReviewPromptView(row.id, row.channel_id, row.message_ts, okr.objective_view(session, team, objective, today=today))


def unposted_review_prompts(session: Session, *, team: AlignmentTeam, now: datetime) -> list[ReviewPromptView]:
    rows = session.scalars(
        select(OkrReviewPrompt)
        .join(OkrObjective)
        .where(OkrReviewPrompt.workspace_id == team.workspace_id, OkrObjective.team_id == team.id, OkrReviewPrompt.message_ts.is_(None))
        .order_by(OkrReviewPrompt.id)
    )
    today = local_date(now, team.timezone)
    return [_prompt_view(session, team, row, today) for row in rows]


def record_review_prompt_post(session: Session, *, team: AlignmentTeam, prompt_id: int, ts: str) -> None:
    row = session.get(OkrReviewPrompt, prompt_id)
    if row is not None and row.workspace_id == team.workspace_id:
        row.message_ts = ts


def prompt_in_thread(session: Session, *, team: AlignmentTeam, channel_id: str, thread_ts: str) -> OkrReviewPrompt | None:
    return session.scalars(
        select(OkrReviewPrompt)
        .join(OkrObjective)
        .where(
            OkrReviewPrompt.workspace_id == team.workspace_id, OkrObjective.team_id == team.id,
            OkrReviewPrompt.channel_id == channel_id, OkrReviewPrompt.message_ts == thread_ts,
        )
    ).one_or_none()  # fmt: skip


def answer_review(
    session: Session, *, team: AlignmentTeam, objective_id: int, actor: str, answers: dict[ReviewQuestion, str], source: str, now: datetime,
) -> list[AnswerView]:
    """Records the non-empty answers; returns every answer of the objective so far. Anyone in
    the team's channel may answer (the meeting answers together)."""
    objective = session.get(OkrObjective, objective_id)
    if objective is None or objective.workspace_id != team.workspace_id or objective.team_id != team.id:
        raise UserError("okr.unknown_objective", reference=str(objective_id))
    given = {question: text.strip() for question, text in answers.items() if text and text.strip()}
    if not given:
        raise UserError("okr.review_answer_missing")
    for question, text in given.items():
        if len(text) > MAX_ANSWER_LENGTH:
            raise UserError("okr.review_answer_too_long", limit=MAX_ANSWER_LENGTH)
        session.add(OkrReviewAnswer(workspace_id=team.workspace_id, objective_id=objective_id, question=question.value, answer=text, user_id=actor, source=source, at=now))
    session.flush()
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action="okr_objective.review",
        entity_type="okr_objective", entity_id=objective_id, before=None,
        after={question.value: text for question, text in given.items()}, now=now,
    )  # fmt: skip
    return review_answers(session, team=team, objective_id=objective_id)


def review_answers(session: Session, *, team: AlignmentTeam, objective_id: int) -> list[AnswerView]:
    rows = session.scalars(
        select(OkrReviewAnswer)
        .where(OkrReviewAnswer.workspace_id == team.workspace_id, OkrReviewAnswer.objective_id == objective_id)
        .order_by(OkrReviewAnswer.at, OkrReviewAnswer.id)
    )
    return [AnswerView(ReviewQuestion(row.question), row.answer, row.user_id, row.source, row.at) for row in rows]


def review_prompt(session: Session, *, team: AlignmentTeam, objective_id: int, now: datetime) -> ReviewPromptView | None:
    row = session.scalars(select(OkrReviewPrompt).where(OkrReviewPrompt.workspace_id == team.workspace_id, OkrReviewPrompt.objective_id == objective_id)).one_or_none()
    return _prompt_view(session, team, row, local_date(now, team.timezone)) if row is not None else None
