"""Alert rules on KPIs: created and removed by people, evaluated on every new value.

An episode starts when a rule fires and ends when a later value no longer fires it; each
episode is posted once. Evaluation only writes the episode (claimed by its unique number);
posting happens after the commit (bot/alerts.py), so a Slack outage delays an alert and a
later attempt posts it, never twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AlertEpisode, AlertRule, AlignmentTeam, Kpi, KpiValue
from domain.alerts import AlertSpec, EpisodeState, Movement, Mode, Observation, next_state, triggered
from domain.errors import UserError
from services import audit
from services.teams import roles_of


@dataclass(frozen=True)
class AlertView:
    id: int
    kpi_key: str
    kpi_name: str
    spec: AlertSpec
    created_by: str
    firing: bool


@dataclass(frozen=True)
class Episode:
    """An alert to post (or posted): what the rule promised to watch, and what happened."""

    id: int
    number: int
    rule: AlertView
    team_id: int
    baseline: Observation
    reached: Observation
    message_ts: str | None


def _spec(rule: AlertRule, kpi: Kpi) -> AlertSpec:
    return AlertSpec(kpi.key, Movement(rule.movement), rule.amount, Mode(rule.mode), rule.window_hours)


def _view(rule: AlertRule, kpi: Kpi) -> AlertView:
    return AlertView(rule.id, kpi.key, kpi.name, _spec(rule, kpi), rule.created_by, rule.state == EpisodeState.FIRING.value)


def _team_kpi(session: Session, team: AlignmentTeam, key: str) -> Kpi:
    from services import kpis  # the catalog owns "unknown KPI, did you mean"

    view = kpis.find(session, team=team, key=key)
    return session.get(Kpi, view.id)


def create(session: Session, *, team: AlignmentTeam, spec: AlertSpec, actor: str, now: datetime) -> AlertView:
    kpi = _team_kpi(session, team, spec.kpi_key)
    rule = AlertRule(
        workspace_id=team.workspace_id, team_id=team.id, kpi_id=kpi.id, movement=spec.movement.value, amount=spec.amount,
        mode=spec.mode.value, window_hours=spec.window_hours, state=EpisodeState.QUIET.value, created_by=actor,
        created_at=now,
    )
    session.add(rule)
    session.flush()
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action="alert_rule.created",
        entity_type="alert_rule", entity_id=rule.id, before=None,
        after={"kpi": kpi.key, "movement": rule.movement, "amount": format(rule.amount, "f"), "mode": rule.mode,
               "window_hours": rule.window_hours}, now=now,
    )
    return _view(rule, kpi)


def _active_rules(session: Session, team: AlignmentTeam, *, kpi_id: int | None = None, lock: bool = False):
    query = (
        select(AlertRule, Kpi)
        .join(Kpi, Kpi.id == AlertRule.kpi_id)
        .where(AlertRule.workspace_id == team.workspace_id, AlertRule.team_id == team.id, AlertRule.deleted_at.is_(None))
        .order_by(AlertRule.id)
    )
    if kpi_id is not None:
        query = query.where(AlertRule.kpi_id == kpi_id)
    if lock:  # one evaluation at a time per rule: a second value cannot open a second episode
        query = query.with_for_update(of=AlertRule)
    return session.execute(query).all()


def kpis_with_rules(session: Session, *, team: AlignmentTeam) -> set[int]:
    """The KPIs that have an active rule (so a batch of values only checks those)."""
    return {rule.kpi_id for rule, _ in _active_rules(session, team)}


def listing(session: Session, *, team: AlignmentTeam) -> list[AlertView]:
    return [_view(rule, kpi) for rule, kpi in _active_rules(session, team)]


def delete(session: Session, *, team: AlignmentTeam, rule_id: int, actor: str, now: datetime) -> AlertView:
    found = next(((rule, kpi) for rule, kpi in _active_rules(session, team) if rule.id == rule_id), None)
    if found is None:
        raise UserError("alert.ui.unknown_rule", number=rule_id)
    rule, kpi = found
    if actor != rule.created_by and not roles_of(team, actor):
        raise UserError("alert.ui.not_allowed", number=rule_id)
    rule.deleted_at = now
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action="alert_rule.deleted",
        entity_type="alert_rule", entity_id=rule.id, before={"deleted": False}, after={"deleted": True}, now=now,
    )
    return _view(rule, kpi)


def evaluate(session: Session, *, team: AlignmentTeam, kpi_id: int, value: Decimal, now: datetime) -> list[Episode]:
    """Check a KPI's rules against a value just recorded; returns the episodes that start now."""
    rules = _active_rules(session, team, kpi_id=kpi_id, lock=True)
    if not rules:
        return []
    widest = max(rule.window_hours for rule, _ in rules)
    history = _observations(session, kpi_id, since=now - timedelta(hours=widest), before=now)
    new = Observation(now, value)
    started = []
    for rule, kpi in rules:
        baseline = triggered(_spec(rule, kpi), history, new)
        state, post = next_state(EpisodeState(rule.state), fired=baseline is not None)
        if state is EpisodeState.QUIET and rule.state == EpisodeState.FIRING.value:
            _end_open_episode(session, rule, now)
        rule.state = state.value
        if post:
            started.append(_start_episode(session, team, rule, kpi, baseline, new))
    return started


def _observations(session: Session, kpi_id: int, *, since: datetime, before: datetime) -> list[Observation]:
    rows = session.execute(
        select(KpiValue.recorded_at, KpiValue.value)
        .where(KpiValue.kpi_id == kpi_id, KpiValue.recorded_at >= since, KpiValue.recorded_at < before)
        .order_by(KpiValue.recorded_at)
    )
    return [Observation(at, value) for at, value in rows]


def _start_episode(session, team, rule: AlertRule, kpi: Kpi, baseline: Observation, new: Observation) -> Episode:
    number = (session.scalar(select(func.max(AlertEpisode.number)).where(AlertEpisode.rule_id == rule.id)) or 0) + 1
    episode = AlertEpisode(
        workspace_id=team.workspace_id, rule_id=rule.id, number=number, started_at=new.at, baseline_at=baseline.at,
        baseline=baseline.value, reached=new.value,
    )
    session.add(episode)
    session.flush()
    return Episode(episode.id, number, _view(rule, kpi), team.id, baseline, new, None)


def _end_open_episode(session: Session, rule: AlertRule, now: datetime) -> None:
    open_episode = session.scalars(
        select(AlertEpisode).where(AlertEpisode.rule_id == rule.id, AlertEpisode.ended_at.is_(None))
        .order_by(AlertEpisode.number.desc()).limit(1)
    ).one_or_none()
    if open_episode is not None:
        open_episode.ended_at = now


def unposted(session: Session, *, team: AlignmentTeam) -> list[Episode]:
    """Episodes whose message is not known to be posted yet (posting claims them by id)."""
    rows = session.execute(
        select(AlertEpisode, AlertRule, Kpi)
        .join(AlertRule, AlertRule.id == AlertEpisode.rule_id)
        .join(Kpi, Kpi.id == AlertRule.kpi_id)
        .where(AlertEpisode.workspace_id == team.workspace_id, AlertRule.team_id == team.id, AlertEpisode.message_ts.is_(None))
        .order_by(AlertEpisode.id)
    ).all()
    return [
        Episode(episode.id, episode.number, _view(rule, kpi), team.id,
                Observation(episode.baseline_at, episode.baseline), Observation(episode.started_at, episode.reached), None)
        for episode, rule, kpi in rows
    ]


def record_post(session: Session, *, team: AlignmentTeam, episode_id: int, ts: str) -> None:
    episode = session.get(AlertEpisode, episode_id)
    if episode is not None and episode.workspace_id == team.workspace_id:
        episode.message_ts = ts
