"""The shared glossary: propose, approve, request changes, look up, export and import.

A version becomes agreed only when a marketing lead and a sales lead (two people) approved
that exact version; until then the version in force stays in force. Every write is audited.
Results are plain views (no ORM objects), so rendering happens after the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db import repositories
from db.models import (
    AlignmentTeam,
    GlossaryApproval,
    GlossaryChangeRequest,
    GlossaryTerm,
    GlossaryVersion,
    TeamRole,
    VersionStatus,
)
from domain.errors import UserError
from domain.glossary import (
    Approval,
    FieldChange,
    Side,
    TermDraft,
    TermRef,
    alias_conflicts,
    changes_between,
    closest_terms,
    is_agreed,
    is_duplicate,
    match_term,
    missing_sides,
    term_key,
    validate_draft,
)
from services import audit
from services.teams import roles_of

MAX_REASON_LENGTH = 500
LEAD_SIDES = {TeamRole.MARKETING_LEAD: Side.MARKETING, TeamRole.SALES_LEAD: Side.SALES}


# Views ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalView:
    user_id: str
    sides: frozenset[Side]
    at: datetime


@dataclass(frozen=True)
class ChangeRequestView:
    user_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class VersionView:
    id: int
    term_id: int
    term_name: str
    number: int
    draft: TermDraft
    status: VersionStatus
    proposed_by: str
    proposed_at: datetime
    agreed_at: datetime | None
    approvals: tuple[ApprovalView, ...]
    change_requests: tuple[ChangeRequestView, ...]
    channel_id: str | None
    message_ts: str | None

    @property
    def missing_sides(self) -> set[Side]:
        return missing_sides([Approval(a.user_id, a.sides) for a in self.approvals])


@dataclass(frozen=True)
class TermView:
    term_id: int
    name: str
    in_force: VersionView | None
    pending: VersionView | None


@dataclass(frozen=True)
class Proposal:
    version: VersionView
    in_force: VersionView | None  # stays in force until this one is agreed
    withdrawn: VersionView | None  # an earlier pending proposal this one replaced
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class ApprovalOutcome:
    version: VersionView
    agreed: bool
    superseded: VersionView | None


def draft_of(version: GlossaryVersion) -> TermDraft:
    return TermDraft(
        name=version.term.name, definition=version.definition, owner_side=Side(version.owner_side),
        formula=version.formula, source_system=version.source_system, examples=version.examples,
        non_examples=version.non_examples, aliases=tuple(version.aliases or ()),
    )


def view_of(version: GlossaryVersion) -> VersionView:
    return VersionView(
        id=version.id, term_id=version.term_id, term_name=version.term.name, number=version.number,
        draft=draft_of(version), status=version.status, proposed_by=version.proposed_by,
        proposed_at=version.proposed_at, agreed_at=version.agreed_at,
        approvals=tuple(ApprovalView(a.user_id, frozenset(Side(s) for s in a.sides), a.at) for a in version.approvals),
        change_requests=tuple(ChangeRequestView(c.user_id, c.reason, c.at) for c in version.change_requests),
        channel_id=version.channel_id, message_ts=version.message_ts,
    )


# Loading ------------------------------------------------------------------------------------------


def _terms(session: Session, team: AlignmentTeam) -> list[GlossaryTerm]:
    return list(
        session.scalars(
            select(GlossaryTerm)
            .where(GlossaryTerm.workspace_id == team.workspace_id, GlossaryTerm.team_id == team.id)
            .options(
                selectinload(GlossaryTerm.versions).selectinload(GlossaryVersion.approvals),
                selectinload(GlossaryTerm.versions).selectinload(GlossaryVersion.change_requests),
            )
            .order_by(GlossaryTerm.key)
        )
    )


def _with_status(term: GlossaryTerm, status: VersionStatus) -> GlossaryVersion | None:
    matching = [version for version in term.versions if version.status is status]
    return matching[-1] if matching else None


def _latest(term: GlossaryTerm) -> GlossaryVersion:
    return _with_status(term, VersionStatus.AGREED) or _with_status(term, VersionStatus.PENDING) or term.versions[-1]


def _ref(term: GlossaryTerm) -> TermRef:
    return TermRef(key=term.key, name=term.name, aliases=tuple(_latest(term).aliases or ()))


def _term_view(term: GlossaryTerm) -> TermView:
    in_force, pending = _with_status(term, VersionStatus.AGREED), _with_status(term, VersionStatus.PENDING)
    return TermView(term.id, term.name, view_of(in_force) if in_force else None, view_of(pending) if pending else None)


def _find(session: Session, team: AlignmentTeam, query: str) -> GlossaryTerm:
    terms = _terms(session, team)
    found = match_term(query, [_ref(term) for term in terms])
    if found is None:
        suggestions = closest_terms(query, [_ref(term) for term in terms])
        if suggestions:
            raise UserError("glossary.unknown_term_suggest", term=query, suggestions=", ".join(suggestions))
        raise UserError("glossary.unknown_term", term=query)
    return next(term for term in terms if term.key == found.key)


def _scoped_version(session: Session, team: AlignmentTeam, version_id: int, *, lock: bool = False) -> GlossaryVersion:
    """The version, if it belongs to this team (and so to its workspace)."""
    version = session.get(GlossaryVersion, version_id, with_for_update=lock)
    if version is None or version.workspace_id != team.workspace_id or version.term.team_id != team.id:
        raise UserError("glossary.version_not_found")
    return version


def _version_for_update(session: Session, team: AlignmentTeam, version_id: int) -> GlossaryVersion:
    """The version, locked (PostgreSQL) so concurrent approvals of it are counted one after the
    other and none misses the other's approval."""
    version = _scoped_version(session, team, version_id, lock=True)
    session.refresh(version, attribute_names=["approvals", "change_requests"])
    return version


def open_version(session: Session, *, team: AlignmentTeam, version_id: int) -> VersionView:
    """A version still open for approval or changes; a UserError saying why not otherwise."""
    version = _scoped_version(session, team, version_id)
    _refuse_closed(version)
    return view_of(version)


def version(session: Session, *, team: AlignmentTeam, version_id: int) -> VersionView:
    return view_of(_scoped_version(session, team, version_id))


# Writing ------------------------------------------------------------------------------------------


def propose(session: Session, *, team: AlignmentTeam, actor: str, draft: TermDraft, now: datetime) -> Proposal:
    validate_draft(draft)
    terms = _terms(session, team)
    refs = [_ref(term) for term in terms]
    key = term_key(draft.name)
    term = next((t for t in terms if t.key == key), None)
    _refuse_name_clashes(draft, refs, key, term)
    in_force = _with_status(term, VersionStatus.AGREED) if term else None
    pending = _with_status(term, VersionStatus.PENDING) if term else None
    if pending is not None and is_duplicate(draft_of(pending), draft):
        raise UserError("glossary.duplicate_proposal", term=pending.term.name, number=pending.number)
    if in_force is not None and is_duplicate(draft_of(in_force), draft):
        raise UserError("glossary.same_as_in_force", term=in_force.term.name, number=in_force.number)
    if term is None:
        term = GlossaryTerm(workspace_id=team.workspace_id, team_id=team.id, key=key, name=draft.name.strip(), created_at=now)
        session.add(term)
    withdrawn = _withdraw(session, pending, actor=actor, team=team, now=now) if pending else None
    version = _new_version(session, team, term, draft, actor=actor, now=now)
    changes = tuple(changes_between(draft_of(in_force) if in_force else None, draft))
    return Proposal(view_of(version), view_of(in_force) if in_force else None, withdrawn, changes)


def _refuse_name_clashes(draft: TermDraft, refs: list[TermRef], key: str, term: GlossaryTerm | None) -> None:
    named = match_term(draft.name, refs)
    if term is None and named is not None:  # the name is another term's alias
        raise UserError("glossary.name_is_alias", name=draft.name, term=named.name)
    conflicts = alias_conflicts(draft, refs, key)
    if conflicts:
        raise UserError("glossary.alias_taken", aliases=", ".join(conflicts))


def _withdraw(session: Session, pending: GlossaryVersion, *, actor: str, team: AlignmentTeam, now: datetime) -> VersionView:
    pending.status = VersionStatus.WITHDRAWN
    pending.retired_at = now
    _audit_version(session, team, pending, actor, "glossary_version.withdrawn", {"status": "pending"}, {"status": "withdrawn"}, now)
    return view_of(pending)


def _new_version(
    session: Session, team: AlignmentTeam, term: GlossaryTerm, draft: TermDraft, *, actor: str, now: datetime
) -> GlossaryVersion:
    number = max((version.number for version in term.versions), default=0) + 1
    version = GlossaryVersion(
        workspace_id=team.workspace_id, number=number, definition=draft.definition.strip(),
        owner_side=draft.owner_side.value, formula=draft.formula.strip(), source_system=draft.source_system.strip(),
        examples=draft.examples.strip(), non_examples=draft.non_examples.strip(), aliases=list(draft.aliases),
        status=VersionStatus.PENDING, proposed_by=actor, proposed_at=now,
    )
    term.versions.append(version)
    session.flush()
    _audit_version(session, team, version, actor, "glossary_version.proposed", None, _content(version), now)
    sides = _lead_sides(team, actor)
    if sides:  # proposing is approving one's own wording; the other side still has to agree
        _add_approval(session, team, version, actor, sides, now)
    return version


def _content(version: GlossaryVersion) -> dict:
    return {
        "term": version.term.name, "number": version.number, "definition": version.definition,
        "owner_side": version.owner_side, "formula": version.formula, "source_system": version.source_system,
        "examples": version.examples, "non_examples": version.non_examples, "aliases": list(version.aliases or ()),
    }


def _lead_sides(team: AlignmentTeam, user_id: str) -> frozenset[Side]:
    return frozenset(LEAD_SIDES[role] for role in roles_of(team, user_id) if role in LEAD_SIDES)


def _add_approval(
    session: Session, team: AlignmentTeam, version: GlossaryVersion, actor: str, sides: frozenset[Side], now: datetime
) -> None:
    inserted = repositories.insert_ignoring_conflict(
        session, GlossaryApproval,
        {"workspace_id": team.workspace_id, "version_id": version.id, "user_id": actor,
         "sides": sorted(side.value for side in sides), "at": now},
        unique=["version_id", "user_id"],
    )
    if not inserted:
        raise UserError("glossary.already_approved", term=version.term.name, number=version.number)
    session.refresh(version, attribute_names=["approvals"])
    _audit_version(session, team, version, actor, "glossary_version.approved", None, {"sides": sorted(s.value for s in sides)}, now)


def approve(session: Session, *, team: AlignmentTeam, version_id: int, actor: str, now: datetime) -> ApprovalOutcome:
    version = _version_for_update(session, team, version_id)
    _refuse_closed(version)
    sides = _lead_sides(team, actor)
    if not sides:
        raise UserError("glossary.not_a_lead")
    if any(approval.user_id == actor for approval in version.approvals):
        raise UserError("glossary.already_approved", term=version.term.name, number=version.number)
    _add_approval(session, team, version, actor, sides, now)
    approvals = [Approval(a.user_id, frozenset(Side(s) for s in a.sides)) for a in version.approvals]
    if not is_agreed(approvals):
        return ApprovalOutcome(view_of(version), agreed=False, superseded=None)
    superseded = _agree(session, team, version, actor, now)
    return ApprovalOutcome(view_of(version), agreed=True, superseded=superseded)


def _refuse_closed(version: GlossaryVersion) -> None:
    if version.status is VersionStatus.AGREED:
        raise UserError("glossary.already_agreed", term=version.term.name, number=version.number)
    if version.status in (VersionStatus.SUPERSEDED, VersionStatus.WITHDRAWN):
        raise UserError("glossary.version_superseded", term=version.term.name, number=version.number)


def _agree(session: Session, team: AlignmentTeam, version: GlossaryVersion, actor: str, now: datetime) -> VersionView | None:
    previous = _with_status(version.term, VersionStatus.AGREED)
    if previous is not None:
        previous.status = VersionStatus.SUPERSEDED
        previous.retired_at = now
    version.status = VersionStatus.AGREED
    version.agreed_at = now
    before = _content(previous) if previous else None
    _audit_version(session, team, version, actor, "glossary_version.agreed", before, _content(version), now)
    session.flush()
    return view_of(previous) if previous else None


def request_changes(
    session: Session, *, team: AlignmentTeam, version_id: int, actor: str, reason: str, now: datetime
) -> VersionView:
    reason = reason.strip()
    if not reason:
        raise UserError("glossary.reason_empty")
    if len(reason) > MAX_REASON_LENGTH:
        raise UserError("glossary.reason_too_long", limit=MAX_REASON_LENGTH, length=len(reason))
    version = _version_for_update(session, team, version_id)
    _refuse_closed(version)
    if not roles_of(team, actor):
        raise UserError("glossary.not_a_member")
    version.change_requests.append(
        GlossaryChangeRequest(workspace_id=team.workspace_id, user_id=actor, reason=reason, at=now)
    )
    session.flush()
    _audit_version(session, team, version, actor, "glossary_version.changes_requested", None, {"reason": reason}, now)
    return view_of(version)


def record_post(session: Session, *, team: AlignmentTeam, version_id: int, channel_id: str, ts: str) -> None:
    version = session.get(GlossaryVersion, version_id)
    if version is None or version.workspace_id != team.workspace_id:
        raise UserError("glossary.version_not_found")
    version.channel_id, version.message_ts = channel_id, ts


def _audit_version(session, team, version, actor, action, before, after, now) -> None:
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action=action,
        entity_type="glossary_version", entity_id=version.id, before=before, after=after, now=now,
    )


# Reading ------------------------------------------------------------------------------------------


def listing(session: Session, *, team: AlignmentTeam) -> list[TermView]:
    return [_term_view(term) for term in _terms(session, team)]


def find(session: Session, *, team: AlignmentTeam, query: str) -> TermView:
    return _term_view(_find(session, team, query))


def history(session: Session, *, team: AlignmentTeam, query: str) -> list[tuple[VersionView, tuple[FieldChange, ...]]]:
    """Every version, oldest first, each with what it changed from the version before it."""
    term = _find(session, team, query)
    result, previous = [], None
    for version in term.versions:
        draft = draft_of(version)
        result.append((view_of(version), tuple(changes_between(previous, draft))))
        previous = draft
    return result


def version_in_force(session: Session, *, team: AlignmentTeam, query: str, at: datetime) -> VersionView | None:
    """The version that was agreed and not yet replaced at `at` (values recorded then count it)."""
    found = _in_force_at(_find(session, team, query), at)
    return view_of(found) if found else None


def _in_force_at(term: GlossaryTerm, at: datetime) -> GlossaryVersion | None:
    in_force = [
        version for version in term.versions
        if version.agreed_at is not None and version.agreed_at <= at and (version.retired_at is None or version.retired_at > at)
    ]
    return in_force[-1] if in_force else None


# Adopting an agreed glossary ------------------------------------------------------------------------


def adopt(session: Session, *, team: AlignmentTeam, draft: TermDraft, actor: str, now: datetime) -> VersionView:
    """Record `draft` as the agreed version of its term at once, without waiting for the leads'
    approvals: for a glossary both sides already signed off outside Slack (an imported
    spreadsheet). The version in force is superseded and a pending proposal withdrawn, as when
    a proposal is agreed; every step is audited like the Slack flow's."""
    validate_draft(draft)
    terms = _terms(session, team)
    key = term_key(draft.name)
    term = next((t for t in terms if t.key == key), None)
    _refuse_name_clashes(draft, [_ref(t) for t in terms], key, term)
    in_force = _with_status(term, VersionStatus.AGREED) if term else None
    pending = _with_status(term, VersionStatus.PENDING) if term else None
    if in_force is not None and is_duplicate(draft_of(in_force), draft):
        raise UserError("glossary.same_as_in_force", term=in_force.term.name, number=in_force.number)
    if term is None:
        term = GlossaryTerm(workspace_id=team.workspace_id, team_id=team.id, key=key, name=draft.name.strip(), created_at=now)
        session.add(term)
    if pending is not None:
        _withdraw(session, pending, actor=actor, team=team, now=now)
    version = _new_version(session, team, term, draft, actor=actor, now=now)
    _agree(session, team, version, actor, now)
    return view_of(version)


def term_id(session: Session, *, team: AlignmentTeam, query: str, missing_ok: bool = False) -> int | None:
    """The id of the term `query` names (by name or alias); KPIs, SLAs and key results point at it."""
    try:
        return _find(session, team, query).id
    except UserError:
        if missing_ok:
            return None
        raise


def version_in_force_by_id(session: Session, *, team: AlignmentTeam, term_id: int, at: datetime) -> GlossaryVersion | None:
    """The version of a term in force at `at` (the row: values recorded then keep its id)."""
    term = session.get(GlossaryTerm, term_id)
    if term is None or term.team_id != team.id:
        return None
    return _in_force_at(term, at)
