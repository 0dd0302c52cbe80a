"""The glossary in and out of spreadsheets: `alinea glossary export` and `alinea glossary import`.

Teams keep their vocabulary in spreadsheets before they adopt Alinea. Export writes one row per
term (the version in force, or the pending proposal of a term nobody agreed yet). Import is all
or nothing: every row is checked first, against the glossary and against the other rows of the
file, and if any row is rejected nothing is written and the report names every bad line. When
all rows pass, the new versions are written together, as pending proposals (the leads approve
them in Slack) or, for a glossary both sides already signed off, as agreed versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from db.models import AlignmentTeam
from domain.errors import UserError
from domain.glossary import (
    Side,
    TermDraft,
    TermRef,
    alias_conflicts,
    is_duplicate,
    match_term,
    parse_side,
    split_aliases,
    term_key,
    validate_draft,
)
from domain.spreadsheet import Row, Table, require_columns
from services import audit, glossary

REQUIRED_COLUMNS = ("term", "definition")
OPTIONAL_COLUMNS = ("owner_side", "formula", "source_system", "examples", "non_examples", "aliases")
EXPORT_COLUMNS = (
    "term", "version", "status", "definition", "owner_side", "formula", "source_system",
    "examples", "non_examples", "aliases", "agreed_at",
)
ALIAS_JOINER = "; "
IMPORTED = "glossary_version.imported"


class Accepted(NamedTuple):
    line: int
    term: str


class Rejected(NamedTuple):
    line: int
    message_id: str
    params: dict


class Unchanged(NamedTuple):
    """A row identical to the version in force or pending: nothing to do, and no reason to refuse
    a sheet re-imported after editing one row."""

    line: int
    message_id: str
    params: dict


class _SameAsExisting(UserError):
    pass


@dataclass
class ImportReport:
    accepted: list[Accepted] = field(default_factory=list)  # rows that passed every check
    rejected: list[Rejected] = field(default_factory=list)  # when not empty, nothing was written
    unchanged: list[Unchanged] = field(default_factory=list)  # rows already in the glossary as they are

    @property
    def ok(self) -> bool:
        return not self.rejected


# Export -----------------------------------------------------------------------------------------


def export_terms(session: Session, *, team: AlignmentTeam) -> list[dict]:
    """One plain row per term, sorted by term: the version in force, or the pending one if none
    is agreed yet. Columns: EXPORT_COLUMNS; `version` is a number, the rest are text."""
    rows = []
    for term in glossary.listing(session, team=team):
        version = term.in_force or term.pending
        if version is None:  # only withdrawn versions: nothing to show
            continue
        draft = version.draft
        rows.append({
            "term": term.name,
            "version": version.number,
            "status": version.status.value,
            "definition": draft.definition,
            "owner_side": draft.owner_side.value,
            "formula": draft.formula,
            "source_system": draft.source_system,
            "examples": draft.examples,
            "non_examples": draft.non_examples,
            "aliases": ALIAS_JOINER.join(draft.aliases),
            "agreed_at": version.agreed_at.isoformat() if version.agreed_at else "",
        })
    return rows


# Import -----------------------------------------------------------------------------------------


@dataclass
class _Known:
    """What the glossary will hold for one term once the rows accepted so far are written."""

    key: str
    name: str
    in_force: TermDraft | None
    in_force_number: int
    pending: TermDraft | None
    pending_number: int

    def ref(self) -> TermRef:
        # The aliases a term answers to are its agreed version's, else its pending one's
        # (services.glossary._ref does the same), so the checks here match what propose() sees.
        latest = self.in_force or self.pending
        return TermRef(key=self.key, name=self.name, aliases=latest.aliases if latest else ())


class _WriteRefused(Exception):
    def __init__(self, line: int, error: UserError):
        super().__init__(error.message_id)
        self.line, self.error = line, error


def import_terms(
    session: Session, *, team: AlignmentTeam, table: Table, actor: str, now: datetime, as_agreed: bool = False
) -> ImportReport:
    """Check every row, then write all of them or none.

    Raises UserError `spreadsheet.missing_columns` (or `spreadsheet.repeated_columns`) when the
    table lacks a `term` or `definition` column. Writes inside a savepoint, so even a row
    refused at write time leaves the caller's transaction as it was. The caller commits.
    """
    table = require_columns(table, REQUIRED_COLUMNS, OPTIONAL_COLUMNS)
    known = _known_terms(session, team)
    report = ImportReport()
    drafts: list[tuple[int, TermDraft]] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        try:
            draft = _checked_draft(row, known, first_line)
        except _SameAsExisting as same:
            report.unchanged.append(Unchanged(row.line, same.message_id, dict(same.params)))
            continue
        except UserError as error:
            report.rejected.append(Rejected(row.line, error.message_id, dict(error.params)))
            continue
        first_line[term_key(draft.name)] = row.line
        _remember(known, draft, as_agreed=as_agreed)
        drafts.append((row.line, draft))
        report.accepted.append(Accepted(row.line, draft.name.strip()))
    if report.rejected or not drafts:
        return report
    try:
        with session.begin_nested():
            for line, draft in drafts:
                _write(session, team=team, line=line, draft=draft, actor=actor, now=now, as_agreed=as_agreed)
    except _WriteRefused as refused:  # the checks above missed something: still nothing is written
        report.rejected.append(Rejected(refused.line, refused.error.message_id, dict(refused.error.params)))
    return report


def _known_terms(session: Session, team: AlignmentTeam) -> dict[str, _Known]:
    known = {}
    for term in glossary.listing(session, team=team):
        key = term_key(term.name)
        known[key] = _Known(
            key=key, name=term.name,
            in_force=term.in_force.draft if term.in_force else None,
            in_force_number=term.in_force.number if term.in_force else 0,
            pending=term.pending.draft if term.pending else None,
            pending_number=term.pending.number if term.pending else 0,
        )
    return known


def _checked_draft(row: Row, known: dict[str, _Known], first_line: dict[str, int]) -> TermDraft:
    """The row as a draft, or the UserError that says what is wrong with it."""
    if row.extra:
        raise UserError("spreadsheet.extra_cells", count=len(row.extra), first=row.extra[0][:40])
    values = row.values
    name = values.get("term", "").strip()
    if not term_key(name):
        raise UserError("glossary.import.term_missing")
    if not values.get("definition", "").strip():
        raise UserError("glossary.import.definition_missing", term=name)
    side_word = values.get("owner_side", "").strip()
    draft = TermDraft(
        name=name,
        definition=values["definition"].strip(),
        owner_side=parse_side(side_word) if side_word else Side.BOTH,
        formula=values.get("formula", "").strip(),
        source_system=values.get("source_system", "").strip(),
        examples=values.get("examples", "").strip(),
        non_examples=values.get("non_examples", "").strip(),
        aliases=split_aliases(values.get("aliases", "")),
    )
    validate_draft(draft)
    key = term_key(name)
    if key in first_line:
        raise UserError("glossary.import.repeated_term", term=name, first_line=first_line[key])
    refs = [entry.ref() for entry in known.values()]
    existing = known.get(key)
    named = match_term(name, refs)
    if existing is None and named is not None:
        raise UserError("glossary.import.name_is_alias", name=name, term=named.name)
    conflicts = alias_conflicts(draft, refs, key)
    if conflicts:
        raise UserError("glossary.alias_taken", aliases=", ".join(conflicts))
    if existing is not None and existing.pending is not None and is_duplicate(existing.pending, draft):
        raise _SameAsExisting("glossary.import.same_as_pending", term=existing.name, number=existing.pending_number)
    if existing is not None and existing.in_force is not None and is_duplicate(existing.in_force, draft):
        raise _SameAsExisting("glossary.import.same_as_in_force", term=existing.name, number=existing.in_force_number)
    return draft


def _remember(known: dict[str, _Known], draft: TermDraft, *, as_agreed: bool) -> None:
    key = term_key(draft.name)
    entry = known.get(key) or _Known(key, draft.name.strip(), None, 0, None, 0)
    if as_agreed:
        entry.in_force, entry.pending = draft, None
    else:
        entry.pending = draft
    known[key] = entry


def _write(
    session: Session, *, team: AlignmentTeam, line: int, draft: TermDraft, actor: str, now: datetime, as_agreed: bool
) -> None:
    try:
        if as_agreed:
            version = glossary.adopt(session, team=team, draft=draft, actor=actor, now=now)
        else:
            version = glossary.propose(session, team=team, actor=actor, draft=draft, now=now).version
    except UserError as error:
        raise _WriteRefused(line, error) from error
    audit.record(
        session, workspace_id=team.workspace_id, team_id=team.id, actor=actor, action=IMPORTED,
        entity_type="glossary_version", entity_id=version.id, before=None,
        after={"term": version.term_name, "number": version.number, "status": version.status.value, "line": line, "as_agreed": as_agreed},
        now=now,
    )
