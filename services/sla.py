"""SLA commitments: propose, accept (a lead of each side), list with this period's state and the
last periods' attainment.

A commitment is one side's promise on one KPI (marketing: MQLs delivered; sales: follow-up
hours…). Its terms live in versions; a version becomes active only when a marketing lead and a
sales lead (two people) accepted that exact version, the same sign-off as the glossary
(`domain.glossary.missing_sides`). Until then the version in force stays in force. Every write is
audited. Results are plain views, so rendering happens after the transaction.

Breaches are in `services.sla_breaches`; evaluating them in `services.breach_evaluation`,
acknowledging in `services.breach_acknowledgement`, escalating in `services.breach_escalation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db import repositories
from db.models import AlignmentTeam, GlossaryTerm, Kpi, SlaAcceptance, SlaCommitment, SlaEvaluation, SlaStatus, SlaVersion, TeamRole
from db.types import plain_decimal
from domain.errors import UserError
from domain.numbers import typed_whole
from domain.glossary import Approval, Side, missing_sides
from domain.kpis import KpiSpec
from domain.periods import Period, local_date
from domain.sla import ATTAINMENT_PERIODS, Commitment, Comparator, Outcome, State, attainment, check_commitment
from services import audit, glossary, kpis
from services.teams import members_with_role, roles_of

LEAD_ROLE = {Side.MARKETING: TeamRole.MARKETING_LEAD, Side.SALES: TeamRole.SALES_LEAD}
LEAD_SIDES = {role: side for side, role in LEAD_ROLE.items()}


# Views --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptanceView:
    user_id: str
    sides: frozenset[Side]
    at: datetime


@dataclass(frozen=True)
class SlaVersionView:
    id: int
    commitment_id: int
    commitment_number: int  # SLA<n>
    number: int  # version number
    terms: Commitment
    kpi_name: str
    spec: KpiSpec
    responsible: str | None  # the lead answerable for breaches (None: the side has no lead yet)
    starts_on: date
    term_name: str | None
    status: SlaStatus
    proposed_by: str
    proposed_at: datetime
    active_at: datetime | None
    acceptances: tuple[AcceptanceView, ...]
    channel_id: str | None
    message_ts: str | None

    @property
    def missing_sides(self) -> set[Side]:
        return missing_sides([Approval(a.user_id, a.sides) for a in self.acceptances])

    @property
    def label(self) -> str:
        return f"SLA{self.commitment_number}"


@dataclass(frozen=True)
class SlaProposal:
    version: SlaVersionView
    in_force: SlaVersionView | None  # stays in force until this one is accepted
    withdrawn: SlaVersionView | None  # an earlier pending proposal this one replaced


@dataclass(frozen=True)
class AcceptOutcome:
    version: SlaVersionView
    active: bool
    superseded: SlaVersionView | None


@dataclass(frozen=True)
class CommitmentRow:
    """One line of `/alinea sla`: the version in force (or the pending one), this period's
    state so far, and the last closed periods, oldest first."""

    in_force: SlaVersionView | None
    pending: SlaVersionView | None
    current_period: Period | None
    current_state: State | None  # ON_TRACK or AT_RISK (current_value None: nothing logged yet); None: not active
    current_value: Decimal | None
    recent: tuple[Outcome, ...]

    @property
    def shown(self) -> SlaVersionView:
        version = self.in_force or self.pending
        assert version is not None
        return version

    @property
    def attainment(self) -> tuple[int, int]:
        return attainment(self.recent)


# Reading the stored rows ---------------------------------------------------------------------------


def responsible_of(team: AlignmentTeam, version: SlaVersion) -> str | None:
    """The named lead, or the side's first lead (the default); None while the side has none."""
    if version.responsible_user_id:
        return version.responsible_user_id
    leads = members_with_role(team, LEAD_ROLE[Side(version.commitment.side)])
    return leads[0] if leads else None


def terms_of(version: SlaVersion) -> Commitment:
    commitment = version.commitment
    return Commitment(
        side=Side(commitment.side), kpi_key=_kpi_of(commitment).key, comparator=Comparator(version.comparator),
        target=version.target, period_kind=version.period_kind, ack_window_hours=version.ack_window_hours,
    )


def _kpi_of(commitment: SlaCommitment) -> Kpi:
    session = Session.object_session(commitment)
    assert session is not None
    kpi = session.get(Kpi, commitment.kpi_id)
    assert kpi is not None
    return kpi


def view_of(team: AlignmentTeam, version: SlaVersion) -> SlaVersionView:
    kpi = _kpi_of(version.commitment)
    spec = kpis.spec_of(kpi)
    session = Session.object_session(version)
    term = session.get(GlossaryTerm, version.term_id) if session is not None and version.term_id else None
    return SlaVersionView(
        id=version.id, commitment_id=version.commitment_id, commitment_number=version.commitment.number,
        number=version.number, terms=terms_of(version), kpi_name=spec.name(team.locale), spec=spec,
        responsible=responsible_of(team, version), starts_on=version.starts_on, term_name=term.name if term else None,
        status=version.status, proposed_by=version.proposed_by, proposed_at=version.proposed_at,
        active_at=version.active_at,
        acceptances=tuple(AcceptanceView(a.user_id, frozenset(Side(s) for s in a.sides), a.at) for a in version.acceptances),
        channel_id=version.channel_id, message_ts=version.message_ts,
    )


def commitments(session: Session, *, team: AlignmentTeam) -> list[SlaCommitment]:
    return list(
        session.scalars(
            select(SlaCommitment)
            .where(SlaCommitment.workspace_id == team.workspace_id, SlaCommitment.team_id == team.id)
            .options(selectinload(SlaCommitment.versions).selectinload(SlaVersion.acceptances))
            .order_by(SlaCommitment.number)
        )
    )


def with_status(commitment: SlaCommitment, status: SlaStatus) -> SlaVersion | None:
    matching = [version for version in commitment.versions if version.status is status]
    return matching[-1] if matching else None


def _scoped_version(session: Session, team: AlignmentTeam, version_id: int, *, lock: bool = False) -> SlaVersion:
    version = session.get(SlaVersion, version_id, with_for_update=lock)
    if version is None or version.workspace_id != team.workspace_id or version.commitment.team_id != team.id:
        raise UserError("sla.version_not_found")
    if lock:  # another accepter may have committed since this session first read the version
        session.refresh(version, attribute_names=["acceptances"])
    return version


def version(session: Session, *, team: AlignmentTeam, version_id: int) -> SlaVersionView:
    return view_of(team, _scoped_version(session, team, version_id))


def find_commitment(session: Session, *, team: AlignmentTeam, reference: str) -> SlaCommitment:
    """`SLA3`, `sla 3` or `3`."""
    number = typed_whole("".join(reference.split()).upper().removeprefix("SLA"))
    found = None
    if number is not None:
        found = session.scalars(
            select(SlaCommitment).where(
                SlaCommitment.workspace_id == team.workspace_id, SlaCommitment.team_id == team.id,
                SlaCommitment.number == number,
            )
        ).one_or_none()
    if found is None:
        raise UserError("sla.unknown_commitment", reference=reference.strip())
    return found


# Proposing ------------------------------------------------------------------------------------------


def propose(
    session: Session, *, team: AlignmentTeam, actor: str, terms: Commitment, now: datetime,
    responsible: str | None = None, starts_on: date | None = None,
) -> SlaProposal:
    """A new commitment, or a new version of the side's commitment on that KPI. The proposer,
    if a lead, accepts it at once; the other side still has to."""
    if not roles_of(team, actor):
        raise UserError("sla.not_a_member")
    catalog = {kpi.key: kpis.spec_of(kpi) for kpi in kpis.active_kpis(session, team=team)}
    spec = check_commitment(terms, catalog, language=team.locale)
    _check_responsible(team, terms.side, responsible)
    term_id = glossary.term_id(session, team=team, query=terms.term) if terms.term else None
    kpi = next(kpi for kpi in kpis.active_kpis(session, team=team) if kpi.key == spec.key)
    commitment = _commitment_for(session, team, terms.side, kpi, now)
    in_force = with_status(commitment, SlaStatus.ACTIVE)
    pending = with_status(commitment, SlaStatus.PENDING)
    starts = starts_on or local_date(now, team.timezone)
    for existing, message_id in ((pending, "sla.duplicate_proposal"), (in_force, "sla.same_as_in_force")):
        if existing is not None and _same_terms(existing, terms, responsible, term_id):
            raise UserError(message_id, sla=f"SLA{commitment.number}", number=existing.number)
    withdrawn = _withdraw(session, team, pending, actor, now) if pending is not None else None
    version = _new_version(session, team, commitment, terms, actor=actor, now=now,
                           responsible=responsible, starts_on=starts, term_id=term_id)
    return SlaProposal(view_of(team, version), view_of(team, in_force) if in_force else None, withdrawn)


def _check_responsible(team: AlignmentTeam, side: Side, responsible: str | None) -> None:
    leads = members_with_role(team, LEAD_ROLE[side])
    if not leads:
        raise UserError(f"sla.no_lead_{side.value}")
    if responsible is not None and responsible not in leads:
        raise UserError(f"sla.responsible_not_lead_{side.value}", user=responsible)


def _commitment_for(session: Session, team: AlignmentTeam, side: Side, kpi: Kpi, now: datetime) -> SlaCommitment:
    existing = next((c for c in commitments(session, team=team) if c.side == side.value and c.kpi_id == kpi.id), None)
    if existing is not None:
        return existing
    numbers = session.scalars(select(SlaCommitment.number).where(SlaCommitment.team_id == team.id))
    commitment = SlaCommitment(
        workspace_id=team.workspace_id, team_id=team.id, number=max(numbers, default=0) + 1,
        side=side.value, kpi_id=kpi.id, created_at=now,
    )
    session.add(commitment)
    session.flush()
    return commitment


def _same_terms(version: SlaVersion, terms: Commitment, responsible: str | None, term_id: int | None) -> bool:
    return (
        version.comparator == terms.comparator.value and version.target == terms.target
        and version.period_kind == terms.period_kind and version.ack_window_hours == terms.ack_window_hours
        and version.responsible_user_id == responsible and version.term_id == term_id
    )


def _withdraw(session: Session, team: AlignmentTeam, pending: SlaVersion, actor: str, now: datetime) -> SlaVersionView:
    pending.status, pending.retired_at = SlaStatus.WITHDRAWN, now
    _audit(session, team, pending, actor, "sla_version.withdrawn", {"status": "pending"}, {"status": "withdrawn"}, now)
    return view_of(team, pending)


def _new_version(
    session: Session, team: AlignmentTeam, commitment: SlaCommitment, terms: Commitment, *, actor: str,
    now: datetime, responsible: str | None, starts_on: date, term_id: int | None,
) -> SlaVersion:
    version = SlaVersion(
        workspace_id=team.workspace_id, number=max((v.number for v in commitment.versions), default=0) + 1,
        comparator=terms.comparator.value, target=terms.target, period_kind=terms.period_kind,
        responsible_user_id=responsible, starts_on=starts_on, ack_window_hours=terms.ack_window_hours,
        term_id=term_id, status=SlaStatus.PENDING, proposed_by=actor, proposed_at=now,
    )
    commitment.versions.append(version)
    session.flush()
    _audit(session, team, version, actor, "sla_version.proposed", None, _content(version), now)
    sides = _lead_sides(team, actor)
    if sides:
        _add_acceptance(session, team, version, actor, sides, now)
    return version


def _content(version: SlaVersion) -> dict:
    return {
        "sla": f"SLA{version.commitment.number}", "number": version.number, "side": version.commitment.side,
        "kpi": _kpi_of(version.commitment).key, "comparator": version.comparator, "target": _text(version.target),
        "period": version.period_kind, "responsible": version.responsible_user_id,
        "starts_on": version.starts_on.isoformat(), "ack_window_hours": version.ack_window_hours, "term_id": version.term_id,
    }


# Accepting ------------------------------------------------------------------------------------------


def _lead_sides(team: AlignmentTeam, user_id: str) -> frozenset[Side]:
    return frozenset(LEAD_SIDES[role] for role in roles_of(team, user_id) if role in LEAD_SIDES)


def _add_acceptance(session: Session, team: AlignmentTeam, version: SlaVersion, actor: str, sides: frozenset[Side], now: datetime) -> None:
    inserted = repositories.insert_ignoring_conflict(
        session, SlaAcceptance,
        {"workspace_id": team.workspace_id, "version_id": version.id, "user_id": actor,
         "sides": sorted(side.value for side in sides), "at": now},
        unique=["version_id", "user_id"],
    )
    if not inserted:
        raise UserError("sla.already_accepted", sla=f"SLA{version.commitment.number}", number=version.number)
    session.refresh(version, attribute_names=["acceptances"])
    _audit(session, team, version, actor, "sla_version.accepted", None, {"sides": sorted(s.value for s in sides)}, now)


def accept(session: Session, *, team: AlignmentTeam, version_id: int, actor: str, now: datetime) -> AcceptOutcome:
    """Accept a pending version. The row lock (PostgreSQL) makes two leads accepting at the
    same instant count one after the other, so neither misses the other's acceptance."""
    version = _scoped_version(session, team, version_id, lock=True)
    _refuse_closed(version)
    sides = _lead_sides(team, actor)
    if not sides:
        raise UserError("sla.not_a_lead")
    if any(acceptance.user_id == actor for acceptance in version.acceptances):
        raise UserError("sla.already_accepted", sla=f"SLA{version.commitment.number}", number=version.number)
    _add_acceptance(session, team, version, actor, sides, now)
    approvals = [Approval(a.user_id, frozenset(Side(s) for s in a.sides)) for a in version.acceptances]
    if missing_sides(approvals):
        return AcceptOutcome(view_of(team, version), active=False, superseded=None)
    superseded = _activate(session, team, version, actor, now)
    return AcceptOutcome(view_of(team, version), active=True, superseded=superseded)


def _refuse_closed(version: SlaVersion) -> None:
    label = f"SLA{version.commitment.number}"
    if version.status is SlaStatus.ACTIVE:
        raise UserError("sla.already_active", sla=label, number=version.number)
    if version.status in (SlaStatus.SUPERSEDED, SlaStatus.WITHDRAWN):
        raise UserError("sla.version_superseded", sla=label, number=version.number)


def _activate(session: Session, team: AlignmentTeam, version: SlaVersion, actor: str, now: datetime) -> SlaVersionView | None:
    previous = with_status(version.commitment, SlaStatus.ACTIVE)
    if previous is not None:
        previous.status, previous.retired_at = SlaStatus.SUPERSEDED, now
    version.status, version.active_at = SlaStatus.ACTIVE, now
    _audit(session, team, version, actor, "sla_version.active", _content(previous) if previous else None, _content(version), now)
    session.flush()
    return view_of(team, previous) if previous else None


def record_post(session: Session, *, team: AlignmentTeam, version_id: int, channel_id: str, ts: str) -> None:
    version = _scoped_version(session, team, version_id)
    version.channel_id, version.message_ts = channel_id, ts


def _text(number: Decimal) -> str:
    return format(plain_decimal(number), "f")


def _audit(session: Session, team: AlignmentTeam, version: SlaVersion, actor: str, action: str, before, after, now: datetime) -> None:
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action=action,
        entity_type="sla_version", entity_id=version.id, before=before, after=after, now=now,
    )


# Listing --------------------------------------------------------------------------------------------


def listing(session: Session, *, team: AlignmentTeam, now: datetime) -> list[CommitmentRow]:
    """Every commitment with a version in force or waiting, with this period's state so far and
    the last `ATTAINMENT_PERIODS` closed periods."""
    from services.breach_evaluation import open_state  # the pace rules live with the evaluation

    rows = []
    for commitment in commitments(session, team=team):
        in_force, pending = with_status(commitment, SlaStatus.ACTIVE), with_status(commitment, SlaStatus.PENDING)
        if in_force is None and pending is None:
            continue
        current = open_state(session, team=team, version=in_force, now=now) if in_force else None
        rows.append(CommitmentRow(
            in_force=view_of(team, in_force) if in_force else None, pending=view_of(team, pending) if pending else None,
            current_period=current[0] if current else None, current_state=current[1] if current else None,
            current_value=current[2] if current else None, recent=tuple(recent_outcomes(session, commitment_id=commitment.id)),
        ))
    return rows


def recent_outcomes(session: Session, *, commitment_id: int, limit: int = ATTAINMENT_PERIODS) -> list[Outcome]:
    """The last closed periods' outcomes, oldest first."""
    rows = session.scalars(
        select(SlaEvaluation)
        .where(SlaEvaluation.commitment_id == commitment_id)
        .order_by(SlaEvaluation.period_start.desc())
        .limit(limit)
    )
    return [Outcome(State(row.state), row.value, row.target, row.gap) for row in reversed(list(rows))]
