"""What the weekly and monthly agendas say, as facts computed from the database: no Slack, no
rendering, no model. Every number comes from `services.kpis.series` and `domain.deltas`.

The weekly agenda reports the last complete week before the meeting (a Monday meeting reviews
last week; the week in progress has only part of its numbers). The monthly agenda reports the
last complete month before its meeting.

A KPI's target for a period comes from what the team agreed, in this order: an active SLA
commitment on that KPI with the same period; else a key result that reads the KPI, at the
value its straight line (through milestones) expects by the end of the period. No agreement,
no target: the agenda never makes one up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AlignmentTeam, GlossaryTerm, GlossaryVersion, SlaEvaluation, SlaStatus, VersionStatus
from domain import okr_progress
from domain.errors import UserError
from domain.deltas import Change, bottleneck, change_of, largest_first
from domain.kpis import Aggregation, KpiSpec
from domain.meetings import Occurrence
from domain.periods import MONTH, WEEK, Period, counts_in_month, local_date, month_close, weeks_of_month
from domain.sla import Outcome, State, attainment
from services import agenda_topics, experiments, feedback_agenda, kpis, okr, sla, sla_breaches, whatif
from services.agenda_topics import TopicView
from services.experiments import ExperimentView
from services.feedback_agenda import MonthlyVoice, ThemeMove
from services.kpi_window import KpiWindow
from services.kpis import KpiView
from services.okr import Board, ObjectiveView
from services.sla import CommitmentRow
from services.sla_breaches import BreachView
from services.whatif import ConversionWorth

HISTORY_PERIODS = 12  # for the trend chart: 12 weeks, 12 months
_STORED_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class KpiFact:
    key: str
    name: str
    spec: KpiSpec
    role: str | None  # "primary", "support" or None
    change: Change
    target_source: str | None  # "sla", "okr" or None
    history: tuple[tuple[Period, Decimal | None], ...]  # oldest first, for the chart
    definition_changes: tuple[int, ...]  # indexes in `history` where a new definition version starts
    log_keys: tuple[str, ...] = ()  # what a person logs to give it a value: a rate's parts (empty: itself)


@dataclass(frozen=True)
class SlaMonth:
    """One commitment's month: its periods' outcomes and how many were met."""

    label: str
    kpi_name: str
    side: str
    outcomes: tuple[Outcome, ...]
    period_kind: str = WEEK  # the commitment's: a weekly one counts the weeks of the month (domain.periods)

    @property
    def attainment(self) -> tuple[int, int]:
        return attainment(self.outcomes)


@dataclass(frozen=True)
class TermChange:
    name: str
    version: int
    agreed_at: datetime


@dataclass(frozen=True)
class WeeklyFacts:
    team_name: str
    channel_id: str
    language: str
    country: str
    occurrence: Occurrence
    reported: Period  # the week the numbers are about
    kpi_count: int
    primary: KpiFact | None
    supporting: tuple[KpiFact, ...]
    changes: tuple[KpiFact, ...]  # the ones that matter, largest first
    bottleneck: KpiFact | None
    sla: tuple[CommitmentRow, ...]
    open_breaches: tuple[BreachView, ...]
    okr: Board
    last_experiment: ExperimentView | None
    last_experiment_change: KpiFact | None  # its metric over its own week, when it is a KPI
    experiment: ExperimentView | None  # this week's, once decided
    topics: tuple[TopicView, ...]
    logged: bool = False  # any KPI has a value in the last 12 weeks
    unlogged: tuple[KpiFact, ...] = ()  # the KPIs without a value in the week reported
    conversion_worth: ConversionWorth | None = None  # what more conversion would have sold that week (team with a funnel)
    voice_moves: tuple[ThemeMove, ...] = ()  # customer feedback themes that moved most against the week before

    @property
    def has_data(self) -> bool:
        """Anything logged in the last 12 weeks (a quiet week is not a team without a baseline)."""
        return self.logged

    @property
    def reported_early(self) -> bool:
        """The post came before the week ahead of the meeting was over (a holiday moved it)."""
        return self.reported != self.occurrence.period.previous()

    @property
    def all_kpis(self) -> tuple[KpiFact, ...]:
        return tuple(fact for fact in (self.primary, *self.supporting, *self.changes) if fact is not None)


@dataclass(frozen=True)
class MonthlyFacts:
    team_name: str
    channel_id: str
    language: str
    country: str
    occurrence: Occurrence
    reported: Period  # the month the numbers are about
    kpis: tuple[KpiFact, ...]  # primary and supporting first, then the rest with a value
    sla: tuple[SlaMonth, ...]
    breaches: tuple[BreachView, ...]
    okr: Board
    reviews: tuple[ObjectiveView, ...]  # objectives whose period ended: what was achieved, learned, adjusted
    topics: tuple[TopicView, ...]  # still open: rolled over from the weeklies
    glossary_changes: tuple[TermChange, ...]
    voice: MonthlyVoice | None = None  # the month's customer feedback, when there was any

    @property
    def has_data(self) -> bool:
        return any(value is not None for fact in self.kpis for _, value in fact.history)


# KPIs ----------------------------------------------------------------------------------------------


def reported_period(occurrence: Occurrence, timezone: str) -> Period:
    """The last week (or month) complete when the agenda is posted. Usually the one before the
    meeting's; when a holiday moves the post back (Friday for a Monday meeting), the week then
    in progress is not over and its numbers would be partial, so the one before it is reported."""
    post_day = local_date(occurrence.post_at, timezone)
    kind = WEEK if occurrence.period.kind == WEEK else MONTH
    current = Period.week_of(post_day) if kind == WEEK else Period.month_of(post_day)
    return current.previous()


def _periods_ending(last: Period, count: int) -> list[Period]:
    periods = [last]
    while len(periods) < count:
        periods.insert(0, periods[0].previous())
    return periods


@dataclass(frozen=True)
class _Agreed:
    """What every KPI fact of one agenda reads, read once per agenda: the team's KPI specs (a
    rate names its parts by key), the targets of the active SLA commitments by KPI and period
    kind (the first commitment by number wins), and the key results."""

    board: Board
    specs: dict[str, KpiSpec]
    sla_targets: dict[tuple[str, str], Decimal]
    values: KpiWindow  # every KPI's values over the reported period's history


def _agreed(session: Session, team: AlignmentTeam, board: Board, views: Sequence[KpiView], window: KpiWindow) -> _Agreed:
    targets: dict[tuple[str, str], Decimal] = {}
    for commitment in sla.commitments(session, team=team):
        version = sla.with_status(commitment, SlaStatus.ACTIVE)
        if version is not None:
            targets.setdefault((sla.terms_of(version).kpi_key, version.period_kind), version.target)
    return _Agreed(board, {view.key: view.spec for view in views}, targets, window)


def _window(session: Session, team: AlignmentTeam, last: Period, today: date) -> KpiWindow:
    """The team's KPI values an agenda reads: the history of `last`, up to the end of the week of
    `today` (a key result reads the week in progress)."""
    start, end = kpis.dates_read(_periods_ending(last, HISTORY_PERIODS))
    return KpiWindow(session, kpis=kpis.active_kpis(session, team=team), start=start, end=max(end, Period.week_of(today).end))


def _okr_target(board: Board, key: str, period: Period) -> Decimal | None:
    last_day = period.end - timedelta(days=1)
    for objective in board.objectives:
        for kr in objective.key_results:
            if kr.spec is not None and kr.spec.key == key and kr.result.start <= last_day:
                expected = Decimal(str(okr_progress.expected_progress(kr.result, last_day)))
                line = kr.result.baseline + (kr.result.target - kr.result.baseline) * expected
                return line.quantize(_STORED_PLACES)  # the precision values are stored with
    return None


def _logged_parts(spec: KpiSpec, specs: dict[str, KpiSpec], seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The KPIs whose values make this one: a rate's numerator and denominator (themselves
    resolved when they are rates too); empty for a KPI that is logged itself. Recording a rate
    is refused, so an agenda that says how to fill a gap names these instead."""
    if spec.aggregation is not Aggregation.RATE or spec.key in seen:
        return ()
    keys: list[str] = []
    for part in (spec.numerator, spec.denominator):
        part_spec = specs.get(part or "")
        if part_spec is None:
            continue
        for key in _logged_parts(part_spec, specs, seen | {spec.key}) or (part_spec.key,):
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def kpi_facts(session: Session, team: AlignmentTeam, views: Sequence[KpiView], last: Period, board: Board) -> list[KpiFact]:
    """These KPIs' facts for the period `last` (history, change, agreed target), their values read
    at once; a rate whose parts were archived is left out, as the agenda does."""
    window = _window(session, team, last, board.today)
    return _facts(session, team, last, _agreed(session, team, board, kpis.catalog(session, team=team), window), views)


def _kpi_fact(session: Session, team: AlignmentTeam, view: KpiView, last: Period, agreed: _Agreed) -> KpiFact:
    periods = _periods_ending(last, HISTORY_PERIODS)
    points = kpis.series(session, team=team, key=view.key, periods=periods, window=agreed.values)
    history = tuple((point.period, point.value) for point in points)
    target, source = agreed.sla_targets.get((view.key, last.kind)), "sla"
    if target is None:
        target, source = _okr_target(agreed.board, view.key, last), "okr"
    change = change_of(view.key, view.spec.unit, view.spec.direction, list(history), target=target)
    versions = [point.definition_version for point in points]
    changed = tuple(index for index in range(1, len(versions)) if versions[index] and versions[index - 1] and versions[index] != versions[index - 1])
    parts = _logged_parts(view.spec, agreed.specs)
    return KpiFact(view.key, view.name, view.spec, view.role, change, source if target is not None else None, history, changed, parts)


def _facts(session: Session, team: AlignmentTeam, last: Period, agreed: _Agreed, views: Sequence[KpiView]) -> list[KpiFact]:
    found = []
    for view in views:
        try:
            found.append(_kpi_fact(session, team, view, last, agreed))
        except UserError:  # a rate whose parts were archived: left out rather than sinking the agenda
            continue
    return found


# Weekly ---------------------------------------------------------------------------------------------


def weekly(session: Session, *, team: AlignmentTeam, occurrence: Occurrence, now: datetime, reported: Period | None = None) -> WeeklyFacts:
    """The facts of `occurrence`'s agenda: `reported` (default: the last week complete when it is
    posted) against the weeks before it, and the meeting week's state."""
    reported = reported or reported_period(occurrence, team.timezone)
    today = local_date(now, team.timezone)
    window = _window(session, team, reported, today)
    board = okr.board(session, team=team, today=today, window=window)
    views = kpis.catalog(session, team=team)
    agreed = _agreed(session, team, board, views, window)
    facts = _facts(session, team, reported, agreed, views)
    meeting_week = occurrence.period
    last = experiments.latest_before(session, team=team, week=meeting_week)
    return WeeklyFacts(
        team_name=team.name, channel_id=team.channel_id, language=team.locale, country=team.country,
        occurrence=occurrence, reported=reported, **weekly_kpis(facts),
        sla=tuple(sla.listing(session, team=team, now=now)),
        open_breaches=tuple(sla_breaches.open_breaches(session, team=team)), okr=board,
        last_experiment=last, last_experiment_change=_experiment_change(last, session, team, agreed, views),
        experiment=experiments.of_week(session, team=team, week=meeting_week),
        topics=tuple(agenda_topics.open_topics(session, team=team)),
        conversion_worth=whatif.conversion_worth(session, team=team, week=reported),
        voice_moves=feedback_agenda.weekly_moves(session, team=team, week=reported),
    )  # fmt: skip


def weekly_kpis(facts: Sequence[KpiFact]) -> dict:
    """What the weekly agenda says about KPIs, chosen from every KPI's fact: the primary and two
    supporting ones, the changes that matter *among all of them* (the primary and supporting
    ones included, so the changes part never says "nothing moved" while the parent shows a
    move), the bottleneck, and the KPIs that have no value for the week (named apart)."""
    primary = next((fact for fact in facts if fact.role == "primary"), None)
    worst = bottleneck(fact.change for fact in facts)
    return {
        "kpi_count": len(facts), "primary": primary, "supporting": tuple(fact for fact in facts if fact.role == "support")[:2],
        "changes": tuple(fact for change in largest_first(f.change for f in facts) for fact in facts if fact.change is change),
        "bottleneck": next((fact for fact in facts if worst is not None and fact.change is worst), None),
        "logged": any(value is not None for fact in facts for _, value in fact.history),
        "unlogged": tuple(fact for fact in facts if fact.change.value is None),
    }  # fmt: skip


def _experiment_change(last: ExperimentView | None, session: Session, team: AlignmentTeam, agreed: _Agreed,
                       views: Sequence[KpiView]) -> KpiFact | None:  # fmt: skip
    """The experiment's metric over the week it ran, against the week before."""
    if last is None or last.kpi_key is None:
        return None
    view = next((v for v in views if v.key == last.kpi_key), None)
    return _kpi_fact(session, team, view, last.week, agreed) if view is not None else None


# Monthly --------------------------------------------------------------------------------------------


def _sla_month(session: Session, team: AlignmentTeam, month: Period) -> list[SlaMonth]:
    rows = []
    for commitment in sla.commitments(session, team=team):
        version = sla.with_status(commitment, SlaStatus.ACTIVE)
        if version is None:
            continue
        evaluations = session.scalars(
            select(SlaEvaluation)
            .where(SlaEvaluation.commitment_id == commitment.id, SlaEvaluation.period_start >= weeks_of_month(month)[0].start,
                   SlaEvaluation.period_start < month.end)
            .order_by(SlaEvaluation.period_start)
        )  # fmt: skip
        counted = [e for e in evaluations if counts_in_month(Period(e.period_kind, e.period_start), month)]
        outcomes = tuple(Outcome(State(e.state), e.value, e.target, e.gap) for e in counted)
        view = sla.view_of(team, version)
        rows.append(SlaMonth(view.label, view.kpi_name, commitment.side, outcomes, version.period_kind))
    return rows


def _glossary_changes(session: Session, team: AlignmentTeam, month: Period) -> list[TermChange]:
    start, end = _month_bounds(team, month)
    rows = session.execute(
        select(GlossaryTerm.name, GlossaryVersion.number, GlossaryVersion.agreed_at)
        .join(GlossaryVersion, GlossaryVersion.term_id == GlossaryTerm.id)
        .where(
            GlossaryTerm.workspace_id == team.workspace_id, GlossaryTerm.team_id == team.id,
            GlossaryVersion.status.in_([VersionStatus.AGREED, VersionStatus.SUPERSEDED]),
            GlossaryVersion.agreed_at >= start, GlossaryVersion.agreed_at < end,
        )
        .order_by(GlossaryVersion.agreed_at)
    )  # fmt: skip
    return [TermChange(name, number, agreed_at) for name, number, agreed_at in rows]


def _month_bounds(team: AlignmentTeam, month: Period) -> tuple[datetime, datetime]:
    zone = ZoneInfo(team.timezone)
    return (datetime.combine(month.start, datetime.min.time(), zone), datetime.combine(month.end, datetime.min.time(), zone))


def _to_review(board: Board, month: Period) -> tuple[ObjectiveView, ...]:
    """Active objectives whose last deadline fell before the end of the reported month."""
    return tuple(o for o in board.objectives if o.active and o.ends_on is not None and o.ends_on < month.end)


def monthly(session: Session, *, team: AlignmentTeam, occurrence: Occurrence, now: datetime) -> MonthlyFacts:
    """The facts of the reported month, every figure by the one month rule (`domain.periods`):
    KPI values, SLA attainment and breaches of the weeks that count in it, and the key results
    as of its close (its last counted week), not as of the meeting."""
    reported = reported_period(occurrence, team.timezone)
    today = min(month_close(reported), local_date(now, team.timezone))
    window = _window(session, team, reported, today)
    board = okr.board(session, team=team, today=today, window=window)
    views = kpis.catalog(session, team=team)
    facts = _facts(session, team, reported, _agreed(session, team, board, views, window), views)
    return MonthlyFacts(
        team_name=team.name, channel_id=team.channel_id, language=team.locale, country=team.country,
        occurrence=occurrence, reported=reported, kpis=monthly_kpis(facts), sla=tuple(_sla_month(session, team, reported)),
        breaches=tuple(sla_breaches.breaches_for_month(session, team=team, month=reported)), okr=board,
        reviews=_to_review(board, reported), topics=tuple(agenda_topics.open_topics(session, team=team)),
        glossary_changes=tuple(_glossary_changes(session, team, reported)),
        voice=feedback_agenda.monthly_voice(session, team=team, month=reported),
    )  # fmt: skip


def monthly_kpis(facts: Sequence[KpiFact]) -> tuple[KpiFact, ...]:
    """The KPIs the monthly agenda shows: primary and supporting first (with a value or not),
    then every other one that has a value for the month."""
    ordered = sorted(facts, key=lambda fact: ({"primary": 0, "support": 1}.get(fact.role or "", 2), fact.key))
    return tuple(fact for fact in ordered if fact.role or fact.change.value is not None)
