"""Data rights (Ley 1581) on real SQLite and PostgreSQL: a workspace's export covers every table
with rows and nothing secret or of another workspace; deleting removes every row of the
workspace and none of another's; erasing a person leaves no trace of their id in any text or
JSON cell and keeps the team's numbers; and the list of user-id columns keeps up with the models."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON, func, select

from bot import demo_data
from db import repositories
from db.base import Base
from db.models import KpiValue, TeamMember
from domain.alerts import AlertSpec
from domain.glossary import Side, TermDraft
from domain.sla import Reason
from services import alerts, breach_acknowledgement, data_rights, glossary, ingest, insights, okr, person_data, sla_breaches, workspaces
from services import workspace_deletion, workspace_export
from services.data_rights import USER_ID_COLUMNS
from services.person_data import PseudonymKeyMissing, pseudonym
from services.offline_narrator import OfflineNarrator

BOGOTA = ZoneInfo("America/Bogota")
MONDAY = date(2026, 3, 16)
NOW = datetime(2026, 3, 16, 7, 0, tzinfo=BOGOTA)
ANA, LUIS, CARO = demo_data.ANA, demo_data.LUIS, demo_data.CARO
HERE = demo_data.DemoTeam("T0DEMO", "C0DEMO", "alineacion-tienda")
OTHER = demo_data.DemoTeam("T0OTRA", "C0OTRA", "otra-tienda")
BOTH = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
KEY = "pseudonym-key-one-0123456789abcdefghijklmnop"  # what ALINEA_PSEUDONYM_KEYS holds
NEW_KEY = "pseudonym-key-two-0123456789abcdefghijklmnop"


@dataclass(frozen=True)
class Seeded:
    here: int  # workspace ids
    other: int
    token: str  # the plain ingest token of HERE's team (never exported)


def load(session, team: demo_data.DemoTeam):
    workspace = repositories.workspace_by_slack_id(session, slack_team_id=team.slack_team_id)
    return repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=team.channel_id)


@pytest.fixture
def seeded(session_factory) -> Seeded:
    """Two workspaces with the same people (Ana, Luis, Caro) and a believable history, plus in the
    first one what the demo does not do: a token, an alert, a change request and a breach
    acknowledgement that mention Ana, a retarget, a Slack event, a narrative and Ana's feedback."""
    for team in (HERE, OTHER):
        demo_data.seed(session_factory, team, today=MONDAY, daily=False)
    with session_factory.begin() as session:
        team = load(session, HERE)
        token = ingest.create_token(session, team=team, actor=CARO, is_workspace_admin=True, now=NOW).plain
        workspaces.claim_event(session, workspace_id=team.workspace_id, event_id="Ev0001", event_type="app_mention", now=NOW)
        alerts.create(session, team=team, spec=AlertSpec("conversion_web", "falls", Decimal("0.3"), "points", 48), actor=ANA, now=NOW)
        proposal = glossary.propose(
            session, team=team, actor=ANA, now=NOW,
            draft=TermDraft("Cliente recurrente", "Cliente con dos compras o más en 12 meses.", Side.MARKETING),
        )  # fmt: skip
        glossary.request_changes(session, team=team, version_id=proposal.version.id, actor=LUIS, reason=f"<@{ANA}> falta el periodo", now=NOW)
        [breach] = sla_breaches.open_breaches(session, team=team)
        breach_acknowledgement.acknowledge(session, team=team, breach_id=breach.id, actor=LUIS, reason=Reason.LOW_TRAFFIC,
                                           note=f"lo hablé con <@{ANA}>", now=NOW)  # fmt: skip
        okr.retarget(session, team=team, actor=ANA, reference="KR1", target=Decimal("25"), deadline=None, reason="la base subió", now=NOW)
        team_id, workspace_id = team.id, team.workspace_id
        week = insights.week_facts(session, team=team, week=None, now=NOW)
    insight = insights.narrate_once(
        session_factory, OfflineNarrator(), team_id=team_id, week=week.meeting.period, facts=week.facts, language="es",
        country="CO", now=NOW,
    )  # fmt: skip
    assert insight.hypotheses, "the offline narrator proposed no hypothesis to give feedback on"
    with session_factory.begin() as session:
        insights.not_useful(session, team=load(session, HERE), actor=ANA, hypothesis_id=insight.hypotheses[0].id, now=NOW)
    with session_factory() as session:
        other = repositories.workspace_by_slack_id(session, slack_team_id=OTHER.slack_team_id).id
    return Seeded(workspace_id, other, token)


def rows_per_table(session, workspace_id: int) -> dict[str, int]:
    return data_rights.count_rows(session, workspace_id)


def text_cells(session, workspace_id: int):
    """(table, column, value) for every text or JSON cell of the workspace's rows, JSON as its text."""
    for table in Base.metadata.sorted_tables:
        owned = table.c.id == workspace_id if table.name == "workspaces" else table.c.workspace_id == workspace_id
        columns = [c for c in table.c if isinstance(c.type, JSON) or c.type.python_type is str]
        if not columns:
            continue
        for row in session.execute(select(*columns).where(owned).order_by(*table.primary_key.columns)):  # the same order on every database
            for column, value in zip(columns, row):
                if value is not None:
                    yield table.name, column.name, value if isinstance(value, str) else json.dumps(value)


# Export ------------------------------------------------------------------------------------------------


@BOTH
def test_the_export_holds_every_row_of_the_workspace_and_nothing_else(session_factory, seeded):
    with session_factory() as session:
        export = workspace_export.export_workspace(session, seeded.here)
        expected = rows_per_table(session, seeded.here)
        other_export = workspace_export.export_workspace(session, seeded.other)
    assert set(export) == {table.name for table in Base.metadata.sorted_tables}  # every table, empty ones as []
    assert {name: len(rows) for name, rows in export.items() if rows} == expected
    assert len(expected) >= 25, sorted(expected)  # the fixture reaches most tables
    assert export["workspaces"] == [export["workspaces"][0]] and export["workspaces"][0]["slack_team_id"] == "T0DEMO"
    assert all(row["workspace_id"] == seeded.here for name, rows in export.items() if name != "workspaces" for row in rows)
    assert all(row["workspace_id"] == seeded.other for name, rows in other_export.items() if name != "workspaces" for row in rows)
    # JSON-safe: decimals as exact strings, instants in UTC, days as ISO dates, enums as their values.
    text = json.dumps(export)
    value = export["kpi_values"][0]
    assert isinstance(value["value"], str) and Decimal(value["value"]) > 0
    assert date.fromisoformat(value["period_start"]) and value["recorded_at"].endswith("+00:00")
    assert export["team_members"][0]["role"] in {"marketing_lead", "sales_lead", "admin"}
    assert export["alignment_teams"][0]["weekly_meeting_time"] == "09:00:00"
    # No secret: the token's hash is not a column of the export, and neither the hash nor the token is anywhere.
    assert "token_hash" not in export["ingest_tokens"][0] and export["ingest_tokens"][0]["prefix"]
    assert ingest.hash_token(seeded.token) not in text and seeded.token not in text


@BOTH
def test_the_archive_has_data_json_a_csv_per_table_and_a_readme(session_factory, seeded):
    with session_factory() as session:
        export = workspace_export.export_workspace(session, seeded.here)
    bundle = zipfile.ZipFile(io.BytesIO(workspace_export.archive(export, locale="es")))
    names = set(bundle.namelist())
    non_empty = {name for name, rows in export.items() if rows}
    assert names == {"data.json", "README.txt"} | {f"{name}.csv" for name in non_empty}
    assert json.loads(bundle.read("data.json")) == export
    raw = bundle.read("kpi_values.csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the accents right
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))  # es-CO Excel: ";" and decimal commas
    assert len(rows) == len(export["kpi_values"])
    first, exported = rows[0], export["kpi_values"][0]
    assert first["value"] == exported["value"].replace(".", ",") and first["recorded_by"] == exported["recorded_by"]
    topics = list(csv.DictReader(io.StringIO(bundle.read("agenda_topics.csv").decode("utf-8-sig")), delimiter=";"))
    assert "Costo del envío en diciembre: ¿gratis sobre 150 mil?" in {row["text"] for row in topics}
    readme = bundle.read("README.txt").decode("utf-8-sig")
    assert "Exportación de datos de Alinea" in readme and re.search(r"kpi_values\s+%d" % len(export["kpi_values"]), readme)
    english = zipfile.ZipFile(io.BytesIO(workspace_export.archive(export, locale="en")))
    header = english.read("kpi_values.csv").decode("utf-8-sig").splitlines()[0]
    assert header.startswith("id,workspace_id,kpi_id") and "Alinea data export" in english.read("README.txt").decode("utf-8-sig")


def test_a_typed_formula_never_runs_in_a_spreadsheet():
    export = {"agenda_topics": [{"id": 1, "text": "=HYPERLINK(\"http://x\")", "number": 1}], "kpi_values": [{"id": 1, "value": "-12.5"}]}
    bundle = zipfile.ZipFile(io.BytesIO(workspace_export.archive(export, locale="es")))

    def second_row(name):
        return list(csv.reader(io.StringIO(bundle.read(name).decode("utf-8-sig")), delimiter=";"))[1]

    assert second_row("agenda_topics.csv") == ["1", "'=HYPERLINK(\"http://x\")", "1"]
    assert second_row("kpi_values.csv") == ["1", "-12,5"]  # a number is not a formula


# Delete ------------------------------------------------------------------------------------------------


@BOTH
def test_deleting_a_workspace_removes_every_row_of_it_and_none_of_another(session_factory, seeded):
    with session_factory() as session:
        before_here, before_other = rows_per_table(session, seeded.here), rows_per_table(session, seeded.other)
    with session_factory.begin() as session:
        deleted = workspace_deletion.delete_workspace_data(session, seeded.here, NOW)
    assert deleted == before_here
    with session_factory() as session:
        assert rows_per_table(session, seeded.here) == {}
        assert rows_per_table(session, seeded.other) == before_other
        assert repositories.workspace_by_slack_id(session, slack_team_id="T0DEMO") is None
        everything = {t.name: session.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables}
    assert {name: n for name, n in everything.items() if n} == before_other  # nothing orphaned anywhere
    with session_factory.begin() as session:  # the next contact starts afresh
        again = workspaces.ensure_workspace(session, slack_team_id="T0DEMO", defaults=workspaces.WorkspaceDefaults("es", "America/Bogota"), now=NOW)
        assert again.slack_team_id == "T0DEMO"


# One person -------------------------------------------------------------------------------------------


@BOTH
def test_the_person_report_counts_what_holds_their_id(session_factory, seeded):
    with session_factory() as session:
        report = person_data.person_report(session, seeded.here, ANA)
        nobody = person_data.person_report(session, seeded.here, "U0NADIE")
        values_by_ana = session.execute(
            select(func.count()).select_from(KpiValue).where(KpiValue.workspace_id == seeded.here, KpiValue.recorded_by == ANA)
        ).scalar_one()
    kinds = {kind.kind: kind for kind in report.kinds}
    assert kinds["values"].count == values_by_ana > 0 and len(kinds["values"].samples) == 3
    assert kinds["team_roles"].count == 1 and kinds["team_roles"].samples == ("alineacion-tienda · marketing_lead",)
    assert kinds["feedback"].count == 1 and kinds["glossary_approvals"].count >= 3 and kinds["audit"].count > 0
    assert {"checkins", "topics", "experiments", "okrs", "sla_acceptances", "kpis"} <= set(kinds)
    assert report.mentions >= 2  # the change request and the breach note name her; so do audit details
    assert nobody.kinds == () and nobody.mentions == 0 and nobody.total == 0


@BOTH
def test_erasing_a_person_leaves_no_trace_of_their_id_and_keeps_the_numbers(session_factory, seeded):
    with session_factory() as session:
        before_other = list(text_cells(session, seeded.other))
        values_before = session.execute(
            select(func.count(), func.min(KpiValue.recorded_at)).where(KpiValue.workspace_id == seeded.here)
        ).one()
        rows_before = rows_per_table(session, seeded.here)
        report = person_data.person_report(session, seeded.here, ANA)
    with session_factory.begin() as session:
        erasure = person_data.erase_person(session, seeded.here, ANA, NOW, (KEY,))
    stand_in = pseudonym(seeded.here, ANA, KEY)
    assert erasure.pseudonym == stand_in and ANA not in stand_in
    assert erasure.removed == {"team_roles": 1, "feedback": 1}
    assert erasure.pseudonymised["values"] == report.count("values") and erasure.mentions == report.mentions
    with session_factory() as session:
        cells = list(text_cells(session, seeded.here))
        assert [cell for cell in cells if ANA in cell[2]] == []  # no column of any table holds her id
        assert any(value == f"lo hablé con <@{stand_in}>" for _, column, value in cells if column == "note")  # the note stays
        values_after = session.execute(
            select(func.count(), func.min(KpiValue.recorded_at)).where(KpiValue.workspace_id == seeded.here)
        ).one()
        assert values_after == values_before  # the team's numbers are intact
        by_stand_in = session.execute(
            select(func.count()).select_from(KpiValue).where(KpiValue.workspace_id == seeded.here, KpiValue.recorded_by == stand_in)
        ).scalar_one()
        assert by_stand_in == report.count("values")
        rows_after = rows_per_table(session, seeded.here)
        assert rows_after["team_members"] == rows_before["team_members"] - 1 and "narrative_feedback" not in rows_after
        assert rows_after["audit_log"] == rows_before["audit_log"] + 1
        [entry] = [e for e in repositories.audit_entries(session, workspace_id=seeded.here) if e.action == "person.erased"]
        assert entry.actor == stand_in and ANA not in json.dumps(entry.after)
        assert session.scalars(select(TeamMember.slack_user_id).where(TeamMember.workspace_id == seeded.here)).all()
        assert list(text_cells(session, seeded.other)) == before_other  # another workspace keeps Ana as she was
        assert person_data.person_report(session, seeded.here, ANA).total == 0
    with session_factory.begin() as session:  # erasing again finds nothing, changes nothing but the audit
        again = person_data.erase_person(session, seeded.here, ANA, NOW, (KEY,))
    assert again.total == 0


def test_erasing_refuses_something_that_is_not_a_user_id(session_factory):
    with session_factory.begin() as session, pytest.raises(ValueError):
        person_data.erase_person(session, 1, "", NOW, (KEY,))


def test_the_stand_in_cannot_be_found_again_from_a_member_list_without_the_key():
    """Whoever holds the database and the member list can hash every member; with a keyed hash
    that finds nobody, and another key (another installation) gives other stand-ins."""
    members = [ANA, LUIS, CARO, *(f"U{number:08d}" for number in range(2000))]
    stand_in = pseudonym(7, ANA, KEY)
    digest = stand_in.removeprefix(person_data.ERASED_PREFIX)
    unkeyed = {hashlib.sha256(f"{7}:{member}".encode()).hexdigest()[:10].upper() for member in members}
    assert digest not in unkeyed and stand_in == pseudonym(7, ANA, KEY)  # stable under one key
    assert pseudonym(7, ANA, NEW_KEY) != stand_in and pseudonym(8, ANA, KEY) != stand_in


@BOTH
def test_without_a_key_nobody_is_erased_and_nothing_changes(session_factory, seeded):
    with session_factory() as session:
        before = list(text_cells(session, seeded.here))
    with session_factory.begin() as session, pytest.raises(PseudonymKeyMissing):
        person_data.erase_person(session, seeded.here, ANA, NOW, ())
    with session_factory() as session:
        assert list(text_cells(session, seeded.here)) == before


@BOTH
def test_after_a_key_rotation_a_person_erased_twice_keeps_one_stand_in(session_factory, seeded):
    """Ana is erased under the old key, comes back, and is erased again once the new key is first:
    her older stand-in becomes the new one, so the history shows one person, not two."""
    with session_factory.begin() as session:
        person_data.erase_person(session, seeded.here, ANA, NOW, (KEY,))
    old, new = pseudonym(seeded.here, ANA, KEY), pseudonym(seeded.here, ANA, NEW_KEY)
    with session_factory.begin() as session:  # back in the team, she proposes a term
        team = load(session, HERE)
        glossary.propose(session, team=team, actor=ANA, now=NOW, draft=TermDraft("Carrito", "Pedido sin pagar.", Side.MARKETING))
    with session_factory.begin() as session:
        erasure = person_data.erase_person(session, seeded.here, ANA, NOW, (NEW_KEY, KEY))
    assert erasure.pseudonym == new and erasure.older == (old,) and erasure.mentions == 0  # nothing else of hers was written meanwhile
    with session_factory() as session:
        cells = [value for _, _, value in text_cells(session, seeded.here)]
        assert not [value for value in cells if ANA in value or old in value]
        assert sum(new in value for value in cells) > 10  # her values, approvals, audit entries… under one stand-in


# The list of user-id columns ------------------------------------------------------------------------------------


USER_ID_NAME = re.compile(r"(_by|user_id|actor|owner)$")


def test_every_column_that_looks_like_a_user_id_is_listed():
    listed = {(entry.table, entry.column) for entry in USER_ID_COLUMNS}
    looks_like = {(table.name, column.name) for table in Base.metadata.sorted_tables for column in table.c if USER_ID_NAME.search(column.name)}
    assert looks_like - listed == set(), "add these to services.data_rights.USER_ID_COLUMNS (and a kind in data.po)"
    existing = {(table.name, column.name) for table in Base.metadata.sorted_tables for column in table.c}
    assert listed - existing == set(), "USER_ID_COLUMNS names columns the models no longer have"


def test_every_kind_has_words_and_every_table_carries_its_workspace():
    from services.i18n import message_ids

    assert {f"data_rights.kind.{kind}" for kind in data_rights.KINDS} <= set(message_ids("es"))
    assert [t.name for t in Base.metadata.sorted_tables if t.name != "workspaces" and "workspace_id" not in t.c] == []
    secret = [(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.c if data_rights.is_secret(t, c.name)]
    assert secret == [("ingest_tokens", "token_hash")]
