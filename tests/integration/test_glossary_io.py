"""The glossary in and out of spreadsheets, on real SQLite and PostgreSQL: services and the CLI."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

from db import repositories
from db.models import AlignmentTeam, VersionStatus
from domain.errors import UserError
from domain.glossary import Side, TermDraft
from domain.setup import SetupChanges
from domain.spreadsheet import read_records, read_table, write_csv
from services import glossary, glossary_io, teams, workspaces
from services.glossary_io import EXPORT_COLUMNS, Rejected
from services.i18n import t
from services.teams import TeamDefaults
from services.workspaces import WorkspaceDefaults
from tests.integration.test_cli import add_team, alinea

NOW = datetime(2026, 1, 12, 14, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=2)
ANA, LUIS, CARO = "U0ANA", "U0LUIS", "U0CARO"  # marketing lead, sales lead, admin
NORTE, SUR = "C0NORTE", "C0SUR"
CONTENT = ("term", "definition", "owner_side", "formula", "source_system", "examples", "non_examples", "aliases")

HEADER = "Término;Definición;Lado;Fórmula;Sistema;Ejemplos;Contraejemplos;Alias\n"


def make_team(session_factory, channel: str, name: str, *, slack_team_id: str = "T1", locale: str = "es") -> None:
    with session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(
            session, slack_team_id=slack_team_id, defaults=WorkspaceDefaults("es", "America/Bogota"), now=NOW
        )
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel, channel_name=name, actor=CARO, is_workspace_admin=False,
            changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,)), defaults=TeamDefaults("America/Bogota", locale), now=NOW,
        )


def team_of(session, channel: str, slack_team_id: str = "T1") -> AlignmentTeam:
    workspace = repositories.workspace_by_slack_id(session, slack_team_id=slack_team_id)
    return repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)


@pytest.fixture
def norte(session_factory):
    make_team(session_factory, NORTE, "tienda-norte")
    return NORTE


def in_team(session_factory, channel, action, **kwargs):
    with session_factory.begin() as session:
        return action(session, team=team_of(session, channel), **kwargs)


def agree(session_factory, channel, draft: TermDraft, now=NOW):
    proposal = in_team(session_factory, channel, glossary.propose, actor=ANA, draft=draft, now=now)
    in_team(session_factory, channel, glossary.approve, version_id=proposal.version.id, actor=LUIS, now=now)
    return proposal.version


def import_file(session_factory, channel, data: bytes, *, as_agreed=False, now=LATER):
    """What the CLI does: read, import, commit (the service itself writes all or nothing)."""
    table = read_records(data) if data.lstrip().startswith(b"[") else read_table(data)
    with session_factory.begin() as session:
        return glossary_io.import_terms(session, team=team_of(session, channel), table=table, actor="cli", now=now, as_agreed=as_agreed)


def export(session_factory, channel):
    with session_factory() as session:
        return glossary_io.export_terms(session, team=team_of(session, channel))


def glossary_actions(session_factory, channel) -> list[str]:
    with session_factory() as session:
        team = team_of(session, channel)
        entries = repositories.audit_entries(session, workspace_id=team.workspace_id, entity_type="glossary_version")
        return [entry.action for entry in entries if entry.team_id == team.id]


def content(rows) -> list[dict]:
    return [{column: row[column] for column in CONTENT} for row in rows]


@pytest.fixture
def glossary_norte(session_factory, norte):
    """MQL agreed (version 1) with a pending version 2; SQL only pending; Conversión agreed, with every field."""
    agree(session_factory, NORTE, TermDraft("MQL", "Lead que pidió demo y cumple el perfil", Side.MARKETING, aliases=("lead calificado",)))
    in_team(session_factory, NORTE, glossary.propose, actor=LUIS, draft=TermDraft("MQL", "Lead con demo agendada"), now=NOW)
    in_team(session_factory, NORTE, glossary.propose, actor=ANA, draft=TermDraft("SQL", "Oportunidad que ventas aceptó", Side.SALES), now=NOW)
    agree(session_factory, NORTE, TermDraft(
        "Conversión", "Pedidos pagados / sesiones.\nSolo tienda web, sin WhatsApp.", Side.BOTH,
        formula="=pedidos/sesiones", source_system="Shopify; GA4", examples='120 pedidos, 6.000 sesiones: "2 %"',
        non_examples="-pedidos cancelados", aliases=("tasa de conversión", "CR"),
    ))
    return NORTE


# Export --------------------------------------------------------------------------------------------


def test_export_gives_the_version_in_force_or_the_pending_one(session_factory, glossary_norte):
    rows = export(session_factory, NORTE)
    assert [(r["term"], r["version"], r["status"]) for r in rows] == [
        ("Conversión", 1, "agreed"), ("MQL", 1, "agreed"), ("SQL", 1, "pending"),
    ]
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert rows[0]["aliases"] == "tasa de conversión; CR"
    assert rows[1]["agreed_at"] == NOW.isoformat() and rows[2]["agreed_at"] == ""
    assert rows[1]["owner_side"] == "marketing" and rows[2]["owner_side"] == "sales"


@pytest.mark.parametrize("form", ["json", "csv"])
@pytest.mark.parametrize("as_agreed", [False, True])
def test_export_then_import_into_another_team_reproduces_the_terms(session_factory, glossary_norte, form, as_agreed):
    make_team(session_factory, SUR, "tienda-sur")
    rows = export(session_factory, NORTE)
    data = json.dumps(rows, ensure_ascii=False).encode() if form == "json" else write_csv(EXPORT_COLUMNS, rows).encode()
    report = import_file(session_factory, SUR, data, as_agreed=as_agreed)
    assert report.ok and len(report.accepted) == 3
    copied = export(session_factory, SUR)
    assert content(copied) == content(rows)
    assert {row["status"] for row in copied} == {"agreed" if as_agreed else "pending"}
    assert export(session_factory, NORTE) == rows  # the source team is untouched


# All or nothing ---------------------------------------------------------------------------------


def test_one_bad_row_writes_nothing_and_the_report_names_its_line(session_factory, norte):
    data = (HEADER + "MQL;Lead que pidió demo;mercadeo;;;;;\nSQL;;ventas;;;;;\nCAC;Costo de adquirir un cliente;ambas;;;;;\n").encode()
    report = import_file(session_factory, NORTE, data)
    assert report.rejected == [Rejected(3, "glossary.import.definition_missing", {"term": "SQL"})]
    assert [(a.line, a.term) for a in report.accepted] == [(2, "MQL"), (4, "CAC")]
    assert export(session_factory, NORTE) == []
    assert glossary_actions(session_factory, NORTE) == []


@pytest.mark.parametrize(
    "rows, line, message_id",
    [  # line 1 is the header, line 2 a valid row; the rows under test start on line 3
        ("MQL;Lead;mercadeo\nmql;Otro lead;ventas\n", 4, "glossary.import.repeated_term"),
        ("MQL;Lead;finanzas\n", 3, "glossary.unknown_side"),
        (";Lead sin término;\n", 3, "glossary.import.term_missing"),
        ("MQL;" + "x" * 1501 + ";\n", 3, "glossary.definition_too_long"),
        ("MQL;Lead;;;;;;MQL\n", 3, "glossary.alias_is_name"),
        ("Lead nuevo;Lead;;;;;;SQL\n", 3, "glossary.alias_taken"),  # SQL is a term of the team
        ("Oportunidad;Oportunidad;;;;;;opp\nOtra;Otra;;;;;;OPP\n", 4, "glossary.alias_taken"),  # clash inside the file
        ("Oportunidad aceptada;Otra cosa\n", 3, "glossary.import.name_is_alias"),  # an alias of SQL
        ("MQL;Lead, con coma;mercadeo;a;b;c;d;e;f;g\n", 3, "spreadsheet.extra_cells"),
    ],
)
def test_each_kind_of_bad_row_is_reported_and_nothing_is_written(session_factory, norte, rows, line, message_id):
    agree(session_factory, NORTE, TermDraft("SQL", "Oportunidad que ventas aceptó", Side.SALES, aliases=("oportunidad aceptada",)))
    in_team(session_factory, NORTE, glossary.propose, actor=ANA, draft=TermDraft("CAC", "Costo de adquirir un cliente"), now=NOW)
    before = export(session_factory, NORTE), glossary_actions(session_factory, NORTE)
    report = import_file(session_factory, NORTE, (HEADER + "Nuevo;Término válido\n" + rows).encode())
    assert [(r.line, r.message_id) for r in report.rejected] == [(line, message_id)]
    assert t("es", message_id, **report.rejected[0].params)  # every parameter the text needs is there
    assert t("en", message_id, **report.rejected[0].params)
    assert (export(session_factory, NORTE), glossary_actions(session_factory, NORTE)) == before


def test_missing_columns_refuse_the_whole_file(session_factory, norte):
    with pytest.raises(UserError) as refused:
        import_file(session_factory, NORTE, "Término;Descripción\nMQL;Lead\n".encode())
    assert refused.value.message_id == "spreadsheet.missing_columns"
    assert refused.value.params["missing"] == "definition"


def test_a_row_refused_while_writing_still_leaves_nothing_written(session_factory, norte, monkeypatch):
    calls = []
    real_propose = glossary.propose

    def propose_then_fail(session, **kwargs):
        calls.append(kwargs["draft"].name)
        if len(calls) == 2:
            raise UserError("glossary.alias_taken", aliases="x")
        return real_propose(session, **kwargs)

    monkeypatch.setattr(glossary, "propose", propose_then_fail)
    report = import_file(session_factory, NORTE, (HEADER + "MQL;Lead\nSQL;Oportunidad\n").encode())  # the caller commits
    assert report.rejected == [Rejected(3, "glossary.alias_taken", {"aliases": "x"})]
    assert export(session_factory, NORTE) == [] and glossary_actions(session_factory, NORTE) == []


# Pending or agreed ------------------------------------------------------------------------------


def test_an_import_is_pending_until_both_leads_approve(session_factory, norte):
    report = import_file(session_factory, NORTE, (HEADER + "MQL;Lead que pidió demo;mercadeo;;HubSpot;;;lead calificado, Lead Calificado\n").encode())
    assert report.ok and [(a.line, a.term) for a in report.accepted] == [(2, "MQL")]
    term = in_team(session_factory, NORTE, glossary.find, query="lead calificado")
    assert term.in_force is None and term.pending.status is VersionStatus.PENDING
    assert term.pending.proposed_by == "cli" and term.pending.missing_sides == {Side.MARKETING, Side.SALES}
    assert term.pending.draft.aliases == ("lead calificado",)  # a repeated alias is kept once
    assert glossary_actions(session_factory, NORTE) == ["glossary_version.proposed", "glossary_version.imported"]
    in_team(session_factory, NORTE, glossary.approve, version_id=term.pending.id, actor=ANA, now=LATER)
    outcome = in_team(session_factory, NORTE, glossary.approve, version_id=term.pending.id, actor=LUIS, now=LATER)
    assert outcome.agreed


def test_as_agreed_supersedes_the_version_in_force_and_withdraws_the_pending_one(session_factory, norte):
    first = agree(session_factory, NORTE, TermDraft("MQL", "Lead que pidió demo"))
    pending = in_team(session_factory, NORTE, glossary.propose, actor=LUIS, draft=TermDraft("MQL", "Lead con demo agendada"), now=NOW)
    data = (HEADER + "mql;Lead con demo agendada y presupuesto;mercadeo\nCAC;Costo de adquirir un cliente;\n").encode()
    report = import_file(session_factory, NORTE, data, as_agreed=True)
    assert report.ok
    history = in_team(session_factory, NORTE, glossary.history, query="MQL")
    assert [(v.number, v.status) for v, _ in history] == [
        (1, VersionStatus.SUPERSEDED), (2, VersionStatus.WITHDRAWN), (3, VersionStatus.AGREED),
    ]
    assert history[2][0].agreed_at == LATER and history[2][0].proposed_by == "cli"
    assert history[0][0].id == first.id and history[1][0].id == pending.version.id
    assert in_team(session_factory, NORTE, glossary.find, query="cac").in_force.status is VersionStatus.AGREED
    with session_factory() as session:
        team = team_of(session, NORTE)
        entries = [e for e in repositories.audit_entries(session, workspace_id=team.workspace_id, entity_type="glossary_version") if e.at == LATER]
    assert [e.action for e in entries] == [
        "glossary_version.withdrawn", "glossary_version.proposed", "glossary_version.agreed", "glossary_version.imported",
        "glossary_version.proposed", "glossary_version.agreed", "glossary_version.imported",
    ]
    imported = [e for e in entries if e.action == "glossary_version.imported"]
    assert {e.actor for e in entries} == {"cli"}
    assert [(e.after["term"], e.after["line"], e.after["status"], e.after["as_agreed"]) for e in imported] == [
        ("MQL", 2, "agreed", True), ("CAC", 3, "agreed", True),
    ]
    assert entries[2].before["definition"] == "Lead que pidió demo"  # the agreed audit row shows what it replaced


def test_adopt_refuses_the_text_already_in_force(session_factory, norte):
    agree(session_factory, NORTE, TermDraft("MQL", "Lead que pidió demo"))
    with pytest.raises(UserError) as refused:
        in_team(session_factory, NORTE, glossary.adopt, draft=TermDraft("MQL", " Lead que pidió demo "), actor="cli", now=LATER)
    assert refused.value.message_id == "glossary.same_as_in_force"


# The CLI ------------------------------------------------------------------------------------------


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def test_cli_export_and_import_round_trip(database_url, session_factory, glossary_norte, tmp_path):
    make_team(session_factory, SUR, "tienda-sur")
    env = {"DATABASE_URL": database_url}
    as_json = alinea("glossary", "export", "--team", "tienda-norte", env=env)
    assert as_json.returncode == 0, as_json.stderr
    rows = json.loads(as_json.stdout)
    assert [row["term"] for row in rows] == ["Conversión", "MQL", "SQL"]
    as_csv = alinea("glossary", "export", "--team", NORTE, "--format", "csv", env=env)
    assert as_csv.returncode == 0, as_csv.stderr
    assert as_csv.stdout.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    path = tmp_path / "glosario.csv"
    path.write_text(as_csv.stdout, encoding="utf-8", newline="")

    dry = alinea("glossary", "import", str(path), "--team", SUR, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "se importarían 3 términos en tienda-sur" in dry.stdout
    assert json.loads(alinea("glossary", "export", "--team", SUR, env=env).stdout) == []

    done = alinea("glossary", "import", str(path), "--team", SUR, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == ["line 2: Conversión", "line 4: MQL", "line 5: SQL"]  # Conversión spans 2 lines
    copied = json.loads(alinea("glossary", "export", "--team", SUR, env=env).stdout)
    assert content(copied) == content(rows) and {row["status"] for row in copied} == {"pending"}

    again = alinea("glossary", "import", str(path), "--team", SUR, env=env)  # every row is already there
    assert again.returncode == 0, again.stderr
    assert "line 4: Sin cambios: es igual a la propuesta pendiente de `MQL` (versión 1)" in again.stdout
    assert json.loads(alinea("glossary", "export", "--team", SUR, env=env).stdout) == copied  # nothing new


def test_cli_import_reports_rejected_rows_and_exits_1(database_url, session_factory, norte, tmp_path):
    path = tmp_path / "glosario.csv"
    path.write_bytes((HEADER + "MQL;Lead que pidió demo;mercadeo\nSQL;Oportunidad;finanzas\n").encode("cp1252"))
    result = alinea("glossary", "import", str(path), "--team", NORTE, "--as-agreed", env={"DATABASE_URL": database_url})
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "No importé nada: 1 de 2 filas tienen problemas. Corrígelas y vuelve a importar el archivo completo.",
        "line 3: No reconozco `finanzas` como área. Escribe `mercadeo`, `ventas` o `ambas`.",
        "Estas filas están bien:",
        "line 2: MQL",
    ]
    assert export(session_factory, NORTE) == []
    path.write_bytes((HEADER + "MQL;Lead que pidió demo;mercadeo\nSQL;Oportunidad;ventas\n").encode("cp1252"))
    result = alinea("glossary", "import", str(path), "--team", NORTE, "--as-agreed", env={"DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Términos importados en tienda-norte como acordados: 2."
    assert {row["status"] for row in export(session_factory, NORTE)} == {"agreed"}


@pytest.mark.parametrize(
    "args, data, message",
    [
        (["import", "{file}", "--team", "C0NOPE"], b"term;definition\nMQL;Lead\n", "no alignment team with channel id or name 'C0NOPE'"),
        (["export", "--team", "nadie"], None, "no alignment team with channel id or name 'nadie'"),
        (["import", "{file}", "--team", NORTE], xlsx_bytes(), "Guardar como › «CSV UTF-8 (delimitado por comas)»"),
        (["import", "{file}", "--team", NORTE], b"", "El archivo está vacío"),
        (["import", "{file}", "--team", NORTE], "Término;Descripción\nMQL;Lead\n".encode(), "Faltan columnas: definition."),
        (["import", "{missing}", "--team", NORTE], None, "cannot read"),
        (["export", "--team", NORTE, "--format", "xlsx"], None, "invalid choice"),
        (["import", "{file}"], b"", "--team"),
    ],
)
def test_cli_usage_errors_exit_2_with_the_message(database_url, session_factory, norte, tmp_path, args, data, message):
    path = tmp_path / "glosario.csv"
    if data is not None:
        path.write_bytes(data)
    argv = [arg.format(file=path, missing=tmp_path / "no-such.csv") for arg in args]
    result = alinea("glossary", *argv, env={"DATABASE_URL": database_url})
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert glossary_actions(session_factory, NORTE) == []


def test_cli_refuses_a_team_name_found_in_several_workspaces(database_url, tmp_path):
    add_team(database_url, name="Tienda", channel_id="C0UNO", slack_team_id="T1")
    add_team(database_url, name="Tienda", channel_id="C0DOS", slack_team_id="T2")
    env = {"DATABASE_URL": database_url}
    ambiguous = alinea("glossary", "export", "--team", "tienda", env=env)
    assert ambiguous.returncode == 2
    assert "several workspaces" in ambiguous.stderr and "C0UNO" in ambiguous.stderr and "C0DOS" in ambiguous.stderr
    by_channel = alinea("glossary", "export", "--team", "C0DOS", env=env)
    assert by_channel.returncode == 0, by_channel.stderr
    assert json.loads(by_channel.stdout) == []


def test_rows_already_in_the_glossary_are_reported_unchanged_not_rejected(session_factory, norte):
    agree(session_factory, NORTE, TermDraft("SQL", "Oportunidad que ventas aceptó", Side.SALES, aliases=("oportunidad aceptada",)))
    in_team(session_factory, NORTE, glossary.propose, actor=ANA, draft=TermDraft("CAC", "Costo de adquirir un cliente"), now=NOW)
    rows = (
        "sql;Oportunidad que ventas aceptó;ventas;;;;;Oportunidad aceptada\n"
        "CAC;Costo de adquirir un cliente;ambas\n"
        "Nuevo;Término válido\n"
    )
    report = import_file(session_factory, NORTE, (HEADER + rows).encode())
    assert report.ok and not report.rejected
    assert [(u.line, u.message_id) for u in report.unchanged] == [
        (2, "glossary.import.same_as_in_force"), (3, "glossary.import.same_as_pending"),
    ]
    assert [(a.line, a.term) for a in report.accepted] == [(4, "Nuevo")]
    assert {row["term"] for row in export(session_factory, NORTE)} == {"SQL", "CAC", "Nuevo"}
