"""The week's experiment: decided in the weekly meeting (hypothesis, the metric that will judge
it, an owner and a date), reported on the next weekly agenda with the metric's move and the
result people recorded. One per team and ISO week; deciding again before a result is recorded
replaces the decision (audited), since meetings change their minds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy import select

from db.models import AlignmentTeam, Experiment, Kpi
from domain.errors import UserError
from domain.periods import Period
from services import audit, kpis
from services.teams import roles_of

MAX_HYPOTHESIS_LENGTH = 500


class Result(str, Enum):
    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class ExperimentView:
    id: int
    week: Period
    hypothesis: str
    metric: str
    kpi_key: str | None
    owner: str
    due: date
    source: str
    decided_by: str
    decided_at: datetime
    result: Result | None
    result_note: str


def _view(session, row: Experiment) -> ExperimentView:
    kpi_key = None
    if row.kpi_id is not None:
        kpi = session.get(Kpi, row.kpi_id)
        kpi_key = kpi.key if kpi is not None else None
    return ExperimentView(
        row.id, Period.parse_key(row.week_key), row.hypothesis, row.metric, kpi_key, row.owner_user_id, row.due,
        row.source, row.decided_by, row.decided_at, Result(row.result) if row.result else None, row.result_note,
    )  # fmt: skip


def _of_week(session, team: AlignmentTeam, week: Period) -> Experiment | None:
    return session.scalars(
        select(Experiment).where(Experiment.workspace_id == team.workspace_id, Experiment.team_id == team.id, Experiment.week_key == week.key)
    ).one_or_none()


def decide(
    session, *, team: AlignmentTeam, actor: str, week: Period, hypothesis: str, metric: str, owner: str, due: date,
    now: datetime, source: str = "team",
) -> ExperimentView:
    """Records (or replaces) the week's experiment. Anyone in the meeting may record the decision."""
    hypothesis = " ".join(hypothesis.split())
    if not hypothesis:
        raise UserError("agenda.experiment_hypothesis_missing")
    if len(hypothesis) > MAX_HYPOTHESIS_LENGTH:
        raise UserError("agenda.experiment_hypothesis_too_long", limit=MAX_HYPOTHESIS_LENGTH)
    metric = metric.strip()
    if not metric:
        raise UserError("agenda.experiment_metric_missing")
    if due < week.start:
        raise UserError("agenda.experiment_due_before_week", due=due.isoformat(), start=week.start.isoformat())
    kpi = next((k for k in kpis.active_kpis(session, team=team) if k.key == metric.lower()), None)
    row = _of_week(session, team, week)
    before = None
    if row is not None:
        if row.result is not None:
            raise UserError("agenda.experiment_already_judged", week=week.key)
        before = {"hypothesis": row.hypothesis, "metric": row.metric, "owner": row.owner_user_id, "due": row.due.isoformat()}
    else:
        row = Experiment(workspace_id=team.workspace_id, team_id=team.id, week_key=week.key)
        session.add(row)
    row.hypothesis, row.metric, row.kpi_id, row.owner_user_id, row.due = hypothesis, metric, kpi.id if kpi else None, owner, due
    row.source, row.decided_by, row.decided_at = source, actor, now
    session.flush()
    after = {"hypothesis": hypothesis, "metric": metric, "owner": owner, "due": due.isoformat(), "source": source}
    _audit(session, team, actor, "experiment.decide", row, before, after, now)
    return _view(session, row)


def record_result(session, *, team: AlignmentTeam, actor: str, week: Period, result: Result, note: str, now: datetime) -> ExperimentView:
    """The experiment's owner, a lead or an admin says how it went."""
    row = _of_week(session, team, week)
    if row is None:
        raise UserError("agenda.no_experiment", week=week.key)
    if actor != row.owner_user_id and not roles_of(team, actor):
        raise UserError("agenda.experiment_not_yours", owner=row.owner_user_id)
    row.result, row.result_note, row.result_by, row.result_at = result.value, " ".join(note.split()), actor, now
    session.flush()
    _audit(session, team, actor, "experiment.result", row, None, {"result": result.value, "note": row.result_note}, now)
    return _view(session, row)


def of_week(session, *, team: AlignmentTeam, week: Period) -> ExperimentView | None:
    row = _of_week(session, team, week)
    return _view(session, row) if row is not None else None


def latest_before(session, *, team: AlignmentTeam, week: Period) -> ExperimentView | None:
    """The most recent experiment of a week before `week` (last week's, usually)."""
    row = session.scalars(
        select(Experiment)
        .where(Experiment.workspace_id == team.workspace_id, Experiment.team_id == team.id, Experiment.week_key < week.key)
        .order_by(Experiment.week_key.desc())
        .limit(1)
    ).one_or_none()
    return _view(session, row) if row is not None else None


def _audit(session, team: AlignmentTeam, actor: str, action: str, row: Experiment, before, after, now: datetime) -> None:
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action=action,
        entity_type="experiment", entity_id=row.id, before=before, after=after, now=now,
    )  # fmt: skip
