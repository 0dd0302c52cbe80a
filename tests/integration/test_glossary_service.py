"""Team setup and the glossary's two-sided agreement, on real SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta, timezone

import pytest

from db import repositories
from db.models import AlignmentTeam, VersionStatus
from domain.errors import UserError
from domain.glossary import Side, TermDraft
from domain.setup import SetupChanges
from services import glossary, teams, workspaces
from services.teams import TeamDefaults
from services.workspaces import WorkspaceDefaults

NOW = datetime(2026, 1, 12, 14, 0, tzinfo=timezone.utc)
ANA, LUIS, CARO, PEDRO = "U0ANA", "U0LUIS", "U0CARO", "U0PEDRO"  # marketing, sales, admin, nobody


def setup(session_factory, changes: SetupChanges, *, actor=CARO, is_workspace_admin=False, channel="C0TEAM"):
    with session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(
            session, slack_team_id="T1", defaults=WorkspaceDefaults("es", "America/Bogota"), now=NOW
        )
        return teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel, channel_name="alineacion", actor=actor,
            is_workspace_admin=is_workspace_admin, changes=changes, defaults=TeamDefaults("America/Bogota", "es"), now=NOW,
        ).created


@pytest.fixture
def team_factory(session_factory):
    setup(session_factory, SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,)))

    def load(session) -> AlignmentTeam:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id="T1")
        return repositories.team_by_channel(session, workspace_id=workspace.id, channel_id="C0TEAM")

    return load


def in_team(session_factory, team_factory, action, **kwargs):
    with session_factory.begin() as session:
        return action(session, team=team_factory(session), **kwargs)


def mql(definition="Lead que pidió demo y cumple el perfil", **fields) -> TermDraft:
    return TermDraft(name="MQL", definition=definition, **fields)


# Setup -------------------------------------------------------------------------------------------


def test_the_first_person_becomes_admin_and_every_change_is_audited(session_factory, team_factory):
    with session_factory() as session:
        team = team_factory(session)
        assert teams.snapshot(team)["admins"] == [CARO]
        assert teams.snapshot(team)["marketing_leads"] == [ANA]
    setup(session_factory, SetupChanges(timezone="America/Lima", weekly_weekday=2, weekly_time=time(10, 30)))
    with session_factory() as session:
        entries = repositories.audit_entries(session, workspace_id=team_factory(session).workspace_id, entity_type="alignment_team")
    assert [e.action for e in entries] == ["alignment_team.created", "alignment_team.updated"]
    assert entries[1].before["timezone"] == "America/Bogota"
    assert entries[1].after["timezone"] == "America/Lima"
    assert entries[1].after["weekly_time"] == "10:30"


def test_only_admins_or_workspace_admins_change_setup(session_factory, team_factory):
    with pytest.raises(UserError) as refused:
        setup(session_factory, SetupChanges(timezone="America/Lima"), actor=PEDRO)
    assert refused.value.message_id == "setup.not_allowed"
    setup(session_factory, SetupChanges(timezone="America/Lima"), actor=PEDRO, is_workspace_admin=True)
    with session_factory() as session:
        assert team_factory(session).timezone == "America/Lima"


def test_a_team_keeps_at_least_one_admin(session_factory, team_factory):
    with pytest.raises(UserError) as refused:
        setup(session_factory, SetupChanges(admins=()))
    assert refused.value.message_id == "setup.needs_an_admin"


# Proposing and agreeing ---------------------------------------------------------------------------


def test_a_definition_is_agreed_only_when_both_sides_approve(session_factory, team_factory):
    proposal = in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=mql(), now=NOW)
    assert proposal.version.status is VersionStatus.PENDING
    assert proposal.version.missing_sides == {Side.SALES}  # proposing counts as the proposer's approval
    outcome = in_team(session_factory, team_factory, glossary.approve, version_id=proposal.version.id, actor=LUIS, now=NOW)
    assert outcome.agreed and outcome.version.status is VersionStatus.AGREED
    term = in_team(session_factory, team_factory, glossary.find, query="mql")
    assert term.in_force.id == proposal.version.id and term.pending is None


@pytest.mark.parametrize(
    "actor, message_id",
    [(PEDRO, "glossary.not_a_lead"), (CARO, "glossary.not_a_lead"), (ANA, "glossary.already_approved")],
)
def test_who_may_approve(session_factory, team_factory, actor, message_id):
    proposal = in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=mql(), now=NOW)
    with pytest.raises(UserError) as refused:
        in_team(session_factory, team_factory, glossary.approve, version_id=proposal.version.id, actor=actor, now=NOW)
    assert refused.value.message_id == message_id
    term = in_team(session_factory, team_factory, glossary.find, query="MQL")
    assert len(term.pending.approvals) == 1  # nothing changed


def test_a_new_version_waits_while_the_old_one_stays_in_force(session_factory, team_factory):
    first = in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=mql(), now=NOW)
    in_team(session_factory, team_factory, glossary.approve, version_id=first.version.id, actor=LUIS, now=NOW)
    later = NOW + timedelta(days=3)
    second = in_team(session_factory, team_factory, glossary.propose, actor=LUIS, draft=mql("Lead con demo agendada"), now=later)
    term = in_team(session_factory, team_factory, glossary.find, query="MQL")
    assert term.in_force.number == 1 and term.pending.number == 2
    assert [c.field for c in second.changes] == ["definition"]
    outcome = in_team(session_factory, team_factory, glossary.approve, version_id=second.version.id, actor=ANA, now=later)
    assert outcome.agreed and outcome.superseded.number == 1
    with pytest.raises(UserError) as refused:
        in_team(session_factory, team_factory, glossary.approve, version_id=first.version.id, actor=LUIS, now=later)
    assert refused.value.message_id == "glossary.already_agreed" or refused.value.message_id == "glossary.version_superseded"
    in_force_then = in_team(session_factory, team_factory, glossary.version_in_force, query="MQL", at=NOW + timedelta(days=1))
    in_force_now = in_team(session_factory, team_factory, glossary.version_in_force, query="MQL", at=later)
    assert (in_force_then.number, in_force_now.number) == (1, 2)


def test_a_newer_proposal_withdraws_the_pending_one(session_factory, team_factory):
    first = in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=mql(), now=NOW)
    second = in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=mql("Otra definición"), now=NOW)
    assert second.withdrawn.id == first.version.id
    with pytest.raises(UserError) as refused:
        in_team(session_factory, team_factory, glossary.approve, version_id=first.version.id, actor=LUIS, now=NOW)
    assert refused.value.message_id == "glossary.version_superseded"


@pytest.mark.parametrize(
    "draft, message_id",
    [
        (mql(), "glossary.duplicate_proposal"),
        (mql("  Lead que pidió demo y cumple el perfil  "), "glossary.duplicate_proposal"),
        (TermDraft(name="SQL", definition="x", aliases=("mql",)), "glossary.alias_taken"),
        (TermDraft(name="lead de mercadeo", definition="x"), "glossary.name_is_alias"),
        (TermDraft(name="MQL", definition=""), "glossary.definition_missing"),
    ],
)
def test_bad_proposals_change_nothing(session_factory, team_factory, draft, message_id):
    in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=mql(aliases=("lead de mercadeo",)), now=NOW)
    if message_id == "glossary.duplicate_proposal":
        draft = TermDraft(name=draft.name, definition=draft.definition, aliases=("Lead de Mercadeo",))
    with pytest.raises(UserError) as refused:
        in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=draft, now=NOW)
    assert refused.value.message_id == message_id
    assert len(in_team(session_factory, team_factory, glossary.listing)) == 1


def test_terms_match_without_case_or_accents_and_by_alias(session_factory, team_factory):
    draft = TermDraft(name="Conversión", definition="Pedidos / sesiones", aliases=("tasa de conversión",))
    in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=draft, now=NOW)
    for query in ("conversion", "CONVERSION", "Conversión", "tasa de conversion"):
        assert in_team(session_factory, team_factory, glossary.find, query=query).name == "Conversión"
    with pytest.raises(UserError) as unknown:
        in_team(session_factory, team_factory, glossary.find, query="conversio")
    assert unknown.value.message_id == "glossary.unknown_term_suggest"
    assert "Conversión" in unknown.value.params["suggestions"]


def test_history_lists_every_version_with_what_changed(session_factory, team_factory):
    in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=mql(), now=NOW)
    in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=mql("v2", formula="leads con demo"), now=NOW)
    versions = in_team(session_factory, team_factory, glossary.history, query="mql")
    assert [(view.number, view.status) for view, _ in versions] == [(1, VersionStatus.WITHDRAWN), (2, VersionStatus.PENDING)]
    assert [change.field for change in versions[1][1]] == ["definition", "formula"]


def test_change_requests_need_a_reason_and_a_member(session_factory, team_factory):
    proposal = in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=mql(), now=NOW)
    for actor, reason, message_id in [(LUIS, "   ", "glossary.reason_empty"), (LUIS, "x" * 501, "glossary.reason_too_long"), (PEDRO, "no", "glossary.not_a_member")]:
        with pytest.raises(UserError) as refused:
            in_team(session_factory, team_factory, glossary.request_changes, version_id=proposal.version.id, actor=actor, reason=reason, now=NOW)
        assert refused.value.message_id == message_id
    view = in_team(session_factory, team_factory, glossary.request_changes, version_id=proposal.version.id, actor=LUIS, reason="¿Cuenta WhatsApp?", now=NOW)
    assert [(r.user_id, r.reason) for r in view.change_requests] == [(LUIS, "¿Cuenta WhatsApp?")]


def test_another_teams_version_cannot_be_approved(session_factory, team_factory):
    proposal = in_team(session_factory, team_factory, glossary.propose, actor=ANA, draft=mql(), now=NOW)
    setup(session_factory, SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,)), channel="C0OTHER")
    with session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id="T1")
        other = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id="C0OTHER")
        with pytest.raises(UserError) as refused:
            glossary.approve(session, team=other, version_id=proposal.version.id, actor=LUIS, now=NOW)
    assert refused.value.message_id == "glossary.version_not_found"


def test_simultaneous_approvals_from_both_sides_agree_the_version(session_factory, team_factory):
    """Two leads click at the same instant, 15 times over: the version row lock makes the second
    approval count the first, so every version ends agreed."""
    errors = []
    for round_number in range(15):
        draft = TermDraft(name=f"term {round_number}", definition="x")
        proposal = in_team(session_factory, team_factory, glossary.propose, actor=CARO, draft=draft, now=NOW)
        barrier = threading.Barrier(2)

        def click(actor, version_id=proposal.version.id):
            barrier.wait()
            try:
                in_team(session_factory, team_factory, glossary.approve, version_id=version_id, actor=actor, now=NOW)
            except Exception as error:
                errors.append(error)

        threads = [threading.Thread(target=click, args=(actor,)) for actor in (ANA, LUIS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    terms = in_team(session_factory, team_factory, glossary.listing)
    assert [term.name for term in terms if term.in_force is None] == []
