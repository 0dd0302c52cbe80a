"""What a person's App Home gathers, on real SQLite and PostgreSQL: which teams are theirs
(a role, a key result they own, a commitment they answer for), the week's primary and
supporting KPIs as the weekly agenda computes them, the breaches waiting for *their*
acknowledgement under the acknowledgement rule, the key results they own, the agreed glossary,
and nothing from another workspace."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from db import repositories
from db.models import TeamRole
from domain.glossary import TermDraft
from domain.okr import Objective, ObjectiveKind
from domain.periods import Period
from domain.setup import SetupChanges
from domain.sla import Reason, parse_commitment
from services import breach_acknowledgement, breach_evaluation, glossary, home, kpis, okr, sla, teams, workspaces
from services.teams import TeamDefaults
from services.workspaces import WorkspaceDefaults

BOGOTA = ZoneInfo("America/Bogota")
ANA, LUIS, MARTA, ROSA, PEDRO, NADIE = "U0ANA", "U0LUIS", "U0MARTA", "U0ROSA", "U0PEDRO", "U0NADIE"
SETUP_AT = datetime(2026, 2, 23, 9, 0, tzinfo=BOGOTA)  # Monday of ISO week 9
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=BOGOTA)  # Tuesday of week 11: the last complete week is 10 (2–8 March)
W9, W10 = Period.week_of(date(2026, 2, 23)), Period.week_of(date(2026, 3, 2))


def local(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=BOGOTA)


def new_team(session, slack_team_id, channel_id, channel_name, changes):
    workspace = workspaces.ensure_workspace(session, slack_team_id=slack_team_id, defaults=WorkspaceDefaults("es", "America/Bogota"), now=SETUP_AT)
    teams.setup_team(
        session, workspace_id=workspace.id, channel_id=channel_id, channel_name=channel_name, actor=ROSA, is_workspace_admin=True,
        changes=changes, defaults=TeamDefaults("America/Bogota", "es"), now=SETUP_AT,
    )
    team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)
    kpis.enable_starter_set(session, team=team, actor=ROSA, now=SETUP_AT, language="es")
    return workspace.id, team


def log(session, team, key, value, day, actor=LUIS):
    kpis.record(session, team=team, key=key, value=Decimal(value), shown=value, period=Period.day(day), source="slack",
                actor=actor, note="", now=local(3, 8, 12))


def objective_with(session, team, *lines, actor=ANA):
    row = okr.create_objective(session, team=team, actor=actor, draft=Objective("Que vuelvan a comprar", ObjectiveKind.COMMITTED), now=SETUP_AT)
    for line in lines:
        draft = okr.parse_key_result_line(session, team=team, text=line, today=SETUP_AT.date())
        okr.add_key_result(session, team=team, actor=actor, objective_id=row.id, draft=draft, now=SETUP_AT)
    return row


def agree(session, team, name, definition, leads=(ANA, LUIS)):
    proposal = glossary.propose(session, team=team, actor=leads[0], draft=TermDraft(name, definition), now=SETUP_AT)
    for lead in leads[1:]:  # the proposer's own approval comes with the proposal
        glossary.approve(session, team=team, version_id=proposal.version.id, actor=lead, now=SETUP_AT)


@pytest.fixture
def world(session_factory):
    """Workspace T1: #norte (Ana marketing; Luis and Marta sales; Rosa admin) with a breach of
    Luis's SLA, Luis's KR and two agreed terms; #sur (Rosa admin, Ana marketing) where Pedro,
    who holds no role, owns a KR. Workspace T2: another #norte (same channel id) where Luis
    is a lead too, with its own KR and glossary."""
    with session_factory.begin() as session:
        a, norte = new_team(session, "T1", "C0NORTE", "norte", SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS, MARTA), admins=(ROSA,)))
        _, sur = new_team(session, "T1", "C0SUR", "sur", SetupChanges(marketing_leads=(ANA,), admins=(ROSA,)))
        b, other = new_team(session, "T2", "C0NORTE", "norte-b", SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,), admins=(ROSA,)))
        kpis.set_roles(session, team=norte, role="primary", keys=["sales_cop"], actor=ANA, now=SETUP_AT)
        kpis.set_roles(session, team=norte, role="support", keys=["followup_hours", "leads_mql"], actor=ANA, now=SETUP_AT)
        for version in (sla.propose(session, team=norte, actor=LUIS, terms=parse_commitment("ventas followup_hours <= 24 semanal"), now=SETUP_AT),):
            assert sla.accept(session, team=norte, version_id=version.version.id, actor=ANA, now=SETUP_AT).active
        objective_with(session, norte, "clientes con recompra de 200 a 300 al 31/05/2026 dueño <@U0LUIS>")
        objective_with(session, sur, "satisfacción de 8 a 9 de 10 al 30/04/2026 dueño <@U0PEDRO>")
        objective_with(session, other, "clientes secretos de 1 a 2 al 31/05/2026 dueño <@U0LUIS>")
        agree(session, norte, "MQL", "Lead que pidió <!channel> una cotización")
        agree(session, norte, "Venta atribuible", "Venta cerrada de un lead de pauta")
        glossary.propose(session, team=norte, actor=ANA, draft=TermDraft("Pendiente", "sin acordar"), now=SETUP_AT)
        agree(session, other, "Secreto", "Solo del otro espacio de trabajo")
        for day, value in ((date(2026, 2, 24), "40000000"), (date(2026, 3, 3), "30000000"), (date(2026, 3, 4), "15000000")):
            log(session, norte, "sales_cop", value, day)
        log(session, norte, "followup_hours", "40", date(2026, 3, 3))
    with session_factory.begin() as session:
        breach_evaluation.evaluate(session, team=load(session, "T1", "C0NORTE"), now=local(3, 9, 0, 5))  # week 10 breached: B1
    return {"a": a, "b": b}


def load(session, slack_team_id, channel_id):
    workspace = repositories.workspace_by_slack_id(session, slack_team_id=slack_team_id)
    return repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)


def home_of(session_factory, world, user_id, workspace="a"):
    with session_factory() as session:
        return home.home(session, workspace_id=world[workspace], user_id=user_id, now=NOW)


# Which teams --------------------------------------------------------------------------------------------------


def test_a_persons_teams_are_where_they_hold_a_role_or_own_a_key_result(session_factory, world):
    with session_factory() as session:
        names = {person: [t.name for t in home.teams_for(session, workspace_id=world["a"], user_id=person)]
                 for person in (ANA, LUIS, ROSA, PEDRO, NADIE)}  # fmt: skip
    assert names == {ANA: ["norte", "sur"], LUIS: ["norte"], ROSA: ["norte", "sur"], PEDRO: ["sur"], NADIE: []}
    assert home_of(session_factory, world, NADIE).empty
    (sur,) = home_of(session_factory, world, PEDRO).teams
    assert sur.roles == () and [kr.short_id for kr in sur.key_results] == ["KR1"]
    (norte,) = home_of(session_factory, world, LUIS).teams
    assert norte.roles == (TeamRole.SALES_LEAD,) and norte.channel_id == "C0NORTE"


def test_teams_beyond_the_limit_are_named_only(session_factory, world):
    with session_factory() as session:
        found = home.home(session, workspace_id=world["a"], user_id=ANA, now=NOW, max_teams=1)
    assert [t.name for t in found.teams] == ["norte"] and [(r.name, r.channel_id) for r in found.more_teams] == [("sur", "C0SUR")]


# What a team shows ----------------------------------------------------------------------------------------------


def test_the_week_kpis_are_the_weekly_agendas_facts_for_the_last_complete_week(session_factory, world):
    (norte,) = home_of(session_factory, world, LUIS).teams
    assert norte.reported == W10
    primary = norte.primary
    assert primary.key == "sales_cop" and primary.change.value == Decimal(45000000) and primary.change.previous == Decimal(40000000)
    assert [fact.key for fact in norte.supporting] == ["followup_hours", "leads_mql"]
    followup = norte.supporting[0]
    assert followup.change.value == Decimal(40) and followup.change.target == Decimal(24) and followup.target_source == "sla"
    assert norte.supporting[1].change.value is None  # nothing logged: shown as such, never invented


def test_breaches_wait_for_those_the_acknowledgement_rule_allows(session_factory, world):
    waiting = {person: [b.label for t in home_of(session_factory, world, person).teams for b in t.to_acknowledge]
               for person in (LUIS, MARTA, ROSA, ANA)}  # fmt: skip
    assert waiting == {LUIS: ["B1"], MARTA: ["B1"], ROSA: ["B1"], ANA: []}  # Ana leads the other side
    (norte,) = home_of(session_factory, world, LUIS).teams
    assert [row.shown.label for row in norte.sla] == ["SLA1"]
    with session_factory.begin() as session:
        team = load(session, "T1", "C0NORTE")
        breach_acknowledgement.acknowledge(session, team=team, breach_id=norte.to_acknowledge[0].id, actor=MARTA, reason=Reason.STAFFING,
                                           note="", now=NOW)  # fmt: skip
    assert [b for t in home_of(session_factory, world, LUIS).teams for b in t.to_acknowledge] == []


def test_key_results_are_the_ones_the_person_owns_and_the_glossary_is_what_was_agreed(session_factory, world):
    (norte,) = home_of(session_factory, world, LUIS).teams
    assert [(kr.short_id, kr.result.metric) for kr in norte.key_results] == [("KR1", "clientes con recompra")]
    assert [(entry.name, entry.definition) for entry in norte.glossary] == [
        ("MQL", "Lead que pidió <!channel> una cotización"), ("Venta atribuible", "Venta cerrada de un lead de pauta"),
    ]  # stored as typed; the renderer escapes
    ana_norte = home_of(session_factory, world, ANA).teams[0]
    assert ana_norte.key_results == ()


# Workspaces ---------------------------------------------------------------------------------------------------


def test_a_home_never_shows_another_workspaces_data(session_factory, world):
    in_a = home_of(session_factory, world, LUIS, "a")
    in_b = home_of(session_factory, world, LUIS, "b")
    assert [t.name for t in in_a.teams] == ["norte"] and [t.name for t in in_b.teams] == ["norte-b"]
    assert [kr.result.metric for kr in in_a.teams[0].key_results] == ["clientes con recompra"]
    assert [kr.result.metric for kr in in_b.teams[0].key_results] == ["clientes secretos"]
    assert "Secreto" not in [entry.name for entry in in_a.teams[0].glossary]
    assert [entry.name for entry in in_b.teams[0].glossary] == ["Secreto"]
    assert in_b.teams[0].to_acknowledge == () and in_b.teams[0].sla == () and in_b.teams[0].primary is None
    with session_factory() as session:
        assert home.teams_for(session, workspace_id=world["b"], user_id=PEDRO) == []  # his KR is in T1
