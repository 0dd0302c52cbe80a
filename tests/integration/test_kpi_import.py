"""KPI values from spreadsheets, on real SQLite and PostgreSQL: the service (check, then all or
nothing) and `alinea import kpis`."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from db import repositories
from db.models import AlignmentTeam, KpiValue
from domain.errors import UserError
from domain.periods import Period
from domain.setup import SetupChanges
from domain.spreadsheet import read_table
from services import kpi_import, kpis, teams, workspaces
from services.kpi_import import RECORDED, REPLACED, UNCHANGED, Rejected
from services.teams import TeamDefaults
from services.workspaces import WorkspaceDefaults
from tests.integration.test_cli import alinea

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=timezone.utc)  # 10:00 in Bogotá
TODAY = date(2026, 3, 10)
ANA, LUIS, CARO = "U0ANA", "U0LUIS", "U0CARO"
NORTE, NORTH = "C0NORTE", "C0NORTH"
NBSP = "\u00a0"

# What Colombian Excel saves as "CSV (delimitado por comas)": `;`, Windows-1252, decimal commas.
EXCEL_CO = (
    "Indicador;Valor;Período;Nota\r\n"
    "sales_cop;$ 45.000.000;enero 2026;feria de Medellín\r\n"
    "mobile_conversion;1,6;2026-W02;\r\n"
    "cart_abandonment;68,5 %;febrero de 2026;campaña «verano»\r\n"
    "Pedidos;1.234;12/01/2026;\r\n"
    "whatsapp_response_time;4,5 h;2026-W03;\r\n"
).encode("cp1252")


def make_team(session_factory, channel: str, name: str, *, locale: str = "es", country: str = "CO") -> None:
    with session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(
            session, slack_team_id="T1", defaults=WorkspaceDefaults("es", "America/Bogota"), now=NOW
        )
        result = teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel, channel_name=name, actor=CARO, is_workspace_admin=False,
            changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,), country=country),
            defaults=TeamDefaults("America/Bogota", locale), now=NOW,
        )
        kpis.enable_starter_set(session, team=result.team, actor=CARO, now=NOW, language=locale)


def team_of(session, channel: str) -> AlignmentTeam:
    workspace = repositories.workspace_by_slack_id(session, slack_team_id="T1")
    return repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)


@pytest.fixture
def norte(session_factory) -> str:
    make_team(session_factory, NORTE, "tienda-norte")
    return NORTE


def check(session_factory, channel, data: bytes, today=TODAY):
    with session_factory() as session:
        return kpi_import.check(session, team=team_of(session, channel), table=read_table(data), today=today, actor="cli")


def commit(session_factory, channel, data: bytes, *, today=TODAY, now=NOW, actor="cli", expected=None):
    with session_factory.begin() as session:
        return kpi_import.commit(
            session, team=team_of(session, channel), table=read_table(data), today=today, actor=actor, now=now,
            expected=expected,
        )


def stored(session_factory, channel) -> dict[tuple[str, str, str], Decimal]:
    """(kpi, period key, source) -> value."""
    with session_factory() as session:
        team = team_of(session, channel)
        keys = {view.id: view.key for view in kpis.catalog(session, team=team)}
        rows = session.query(KpiValue).filter(KpiValue.workspace_id == team.workspace_id).all()
        return {(keys[row.kpi_id], Period(row.period_kind, row.period_start).key, row.source): row.value for row in rows}


def value_actions(session_factory, channel) -> list[str]:
    with session_factory() as session:
        team = team_of(session, channel)
        entries = repositories.audit_entries(session, workspace_id=team.workspace_id, entity_type="kpi_value")
        return [entry.action for entry in entries if entry.team_id == team.id]


def csv(*rows: str, header: str = "kpi;valor;periodo") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


# The service ----------------------------------------------------------------------------------------


def test_an_excel_export_from_colombia_is_read_the_way_the_team_writes(session_factory, norte):
    report = check(session_factory, NORTE, EXCEL_CO)
    assert report.ok and not report.committed
    assert [(row.line, row.kpi, row.period, row.shown, row.outcome) for row in report.accepted] == [
        (2, "sales_cop", "2026-01", "$45.000.000", RECORDED),
        (3, "mobile_conversion", "2026-W02", f"1,6{NBSP}%", RECORDED),
        (4, "cart_abandonment", "2026-02", f"68,5{NBSP}%", RECORDED),
        (5, "orders", "2026-01-12", "1.234", RECORDED),  # by display name; "1.234" is a thousand in es-CO
        (6, "whatsapp_response_time", "2026-W03", f"4,5{NBSP}h", RECORDED),
    ]
    assert stored(session_factory, NORTE) == {}  # a check writes nothing

    done = commit(session_factory, NORTE, EXCEL_CO, actor=ANA)
    assert done.committed and [row.outcome for row in done.accepted] == [RECORDED] * 5
    assert done.digest == report.digest
    assert stored(session_factory, NORTE) == {
        ("sales_cop", "2026-01", "csv"): Decimal("45000000"),
        ("mobile_conversion", "2026-W02", "csv"): Decimal("1.6"),
        ("cart_abandonment", "2026-02", "csv"): Decimal("68.5"),
        ("orders", "2026-01-12", "csv"): Decimal("1234"),
        ("whatsapp_response_time", "2026-W03", "csv"): Decimal("4.5"),
    }
    assert value_actions(session_factory, NORTE) == ["kpi_value.recorded"] * 5
    with session_factory() as session:
        note = session.query(KpiValue.note).filter(KpiValue.period_kind == "month", KpiValue.value == Decimal("68.5")).scalar()
        recorded_by = {row.recorded_by for row in session.query(KpiValue)}
    assert note == "campaña «verano»" and recorded_by == {ANA}


def test_the_same_file_again_changes_nothing_and_a_changed_row_is_a_correction(session_factory, norte):
    commit(session_factory, NORTE, EXCEL_CO)
    again = commit(session_factory, NORTE, EXCEL_CO)
    assert again.committed and {row.outcome for row in again.accepted} == {UNCHANGED} and again.changes == 0
    assert value_actions(session_factory, NORTE) == ["kpi_value.recorded"] * 5

    corrected = EXCEL_CO.replace("1,6;2026-W02".encode(), "1,8;2026-W02".encode())
    preview = check(session_factory, NORTE, corrected)
    assert [(row.kpi, row.outcome, row.previous) for row in preview.accepted if row.outcome != UNCHANGED] == [
        ("mobile_conversion", REPLACED, f"1,6{NBSP}%"),
    ]
    commit(session_factory, NORTE, corrected)
    assert stored(session_factory, NORTE)[("mobile_conversion", "2026-W02", "csv")] == Decimal("1.8")
    assert value_actions(session_factory, NORTE) == ["kpi_value.recorded"] * 5 + ["kpi_value.replaced"]


def test_one_bad_row_writes_nothing_and_the_report_names_its_line(session_factory, norte):
    data = csv("sales_cop;45.000.000;enero 2026", "orders;1,5;2026-W02", "leads_mql;120;2026-W02")
    report = commit(session_factory, NORTE, data)
    assert not report.ok and not report.committed
    assert report.rejected == [
        Rejected(3, "kpi_import.count_not_whole", {"key": "orders", "name": "Pedidos", "value": "1,5"}),
    ]
    assert [row.line for row in report.accepted] == [2, 4]
    assert stored(session_factory, NORTE) == {} and value_actions(session_factory, NORTE) == []


@pytest.mark.parametrize(
    "row, message_id, params",
    [
        ("conversoin_web;1,6;enero 2026", "kpi_import.unknown_kpi_suggest", {"key": "conversoin_web", "suggestion": "conversion_web"}),
        ("visitas_tienda;10;enero 2026", "kpi_import.unknown_kpi", {"key": "visitas_tienda"}),
        (";10;enero 2026", "kpi_import.kpi_missing", {}),
        ("conversion_web;1,6;enero 2026", "kpi_import.rate_kpi", {"key": "conversion_web", "numerator": "orders", "denominator": "sessions"}),
        ("orders;muchos;enero 2026", "kpi_import.not_a_number", {"text": "muchos", "example": "1.234,5"}),
        ("orders;;enero 2026", "kpi_import.value_missing", {"example": "1.234,5"}),
        ("orders;12 pedidos;enero 2026", "kpi_import.value_extra_text", {"value": "12 pedidos", "rest": "pedidos"}),
        ("orders;-3;enero 2026", "kpi_import.negative_value", {"key": "orders", "name": "Pedidos", "value": "-3"}),
        ("cart_abandonment;120 %;enero 2026", "kpi_import.percent_over_100", {"key": "cart_abandonment", "name": "Abandono de carrito", "value": "120 %"}),
        ("sales_cop;45 USD;enero 2026", "kpi_import.unit_mismatch", {"key": "sales_cop", "name": "Ventas", "unit": "USD", "expected": "COP", "example": "450000 COP"}),
        ("orders;45,000;enero 2026", "kpi_import.ambiguous", {"text": "45,000", "example": "1.234,5"}),
        ("orders;10;2099-01", "kpi_import.period_future", {"period": "2099-01"}),
        ("orders;10;cuando sea", "kpi_import.period_unknown", {"text": "cuando sea", "examples": "`semana pasada`, `2026-W10`, `febrero`, `09/03/2026`"}),
        ("orders;10;", "kpi_import.period_missing", {"examples": "`semana pasada`, `2026-W10`, `febrero`, `09/03/2026`"}),
        ("orders;10;enero 2026;x;y", "spreadsheet.extra_cells", {"count": 1, "first": "y"}),
    ],
)
def test_each_kind_of_bad_row_is_reported_with_what_to_do(session_factory, norte, row, message_id, params):
    report = check(session_factory, NORTE, csv(row, header="kpi;valor;periodo;nota"))
    assert report.rejected == [Rejected(2, message_id, params)]
    assert not report.accepted


def test_a_row_repeated_in_the_file_names_the_first_one(session_factory, norte):
    data = csv(
        "orders;10;2026-W02", "orders;11;semana 2 de 2026", "orders;12;2026-W02;shopify", "orders;13;2026-01-05",
        header="kpi;valor;periodo;fuente",
    )
    report = check(session_factory, NORTE, data)
    assert report.rejected == [
        Rejected(3, "kpi_import.repeated_row", {"key": "orders", "period": "2026-W02", "source": "csv", "first_line": 2}),
    ]
    # Another source for the same week, and a day inside it, are other values.
    assert [(row.line, row.period, row.source) for row in report.accepted] == [
        (2, "2026-W02", "csv"), (4, "2026-W02", "shopify"), (5, "2026-01-05", "csv"),
    ]


def test_a_week_column_may_hold_bare_week_numbers(session_factory, norte):
    report = check(session_factory, NORTE, csv("leads_mql;120;2", "leads_mql;95;10", header="KPI;Valor;Semana"))
    assert [row.period for row in report.accepted] == ["2026-W02", "2026-W10"]
    assert report.rejected == [] and report.accepted[0].shown == "120"


def test_an_english_team_reads_its_own_numbers(session_factory):
    make_team(session_factory, NORTH, "north-store", locale="en", country="US")
    data = csv("orders,\"1,234\",January 2026", "cart_abandonment,68.5%,2026-W02", header="kpi,value,period")
    report = check(session_factory, NORTH, data)
    assert report.ok, report.rejected
    assert [(row.kpi, row.period, row.shown) for row in report.accepted] == [
        ("orders", "2026-01", "1,234"), ("cart_abandonment", "2026-W02", "68.5%"),
    ]


def test_missing_columns_refuse_the_whole_file(session_factory, norte):
    with pytest.raises(UserError) as refused:
        check(session_factory, NORTE, csv("orders;10", header="kpi;valor"))
    assert refused.value.message_id == "spreadsheet.missing_columns"
    assert refused.value.params["missing"] == "period"


def test_a_commit_of_a_report_that_no_longer_holds_writes_nothing(session_factory, norte):
    data = csv("orders;10;2026-W02")
    approved = check(session_factory, NORTE, data)
    commit(session_factory, NORTE, csv("orders;9;2026-W02"))  # someone imports another value meanwhile
    late = commit(session_factory, NORTE, data, expected=approved.digest)
    assert late.stale and not late.committed
    assert [(row.outcome, row.previous) for row in late.accepted] == [(REPLACED, "9")]
    assert stored(session_factory, NORTE) == {("orders", "2026-W02", "csv"): Decimal("9")}
    fresh = commit(session_factory, NORTE, data, expected=late.digest)
    assert fresh.committed and stored(session_factory, NORTE) == {("orders", "2026-W02", "csv"): Decimal("10")}


def test_a_row_refused_while_writing_still_leaves_nothing_written(session_factory, norte, monkeypatch):
    real_record = kpis.record

    def record_then_refuse(session, **kwargs):
        if kwargs["key"] == "leads_mql":
            raise UserError("kpi.rate_is_computed", key="leads_mql", numerator="a", denominator="b")
        return real_record(session, **kwargs)

    monkeypatch.setattr(kpis, "record", record_then_refuse)
    report = commit(session_factory, NORTE, csv("orders;10;2026-W02", "leads_mql;5;2026-W02"))
    assert not report.committed and [row.line for row in report.rejected] == [3]
    assert stored(session_factory, NORTE) == {} and value_actions(session_factory, NORTE) == []


# The command ----------------------------------------------------------------------------------------


def test_cli_dry_run_then_commit_then_the_same_file_again(database_url, session_factory, norte, tmp_path):
    path = tmp_path / "kpis.csv"
    path.write_bytes(EXCEL_CO)
    env = {"DATABASE_URL": database_url}

    dry = alinea("import", "kpis", str(path), "--team", "tienda-norte", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "Prueba sin cambios: las 5 filas están bien para tienda-norte (5 nuevas, 0 corrigen un valor, 0 sin cambios). "
        "Quita --dry-run para guardarlas.",
        "line 2: sales_cop 2026-01 = $45.000.000 (nuevo)",
        f"line 3: mobile_conversion 2026-W02 = 1,6{NBSP}% (nuevo)",
        f"line 4: cart_abandonment 2026-02 = 68,5{NBSP}% (nuevo)",
        "line 5: orders 2026-01-12 = 1.234 (nuevo)",
        f"line 6: whatsapp_response_time 2026-W03 = 4,5{NBSP}h (nuevo)",
    ]
    assert stored(session_factory, NORTE) == {}

    done = alinea("import", "kpis", str(path), "--team", NORTE, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "Guardé las 5 filas en tienda-norte: 5 nuevas, 0 corrigen un valor (el historial guarda el anterior), 0 sin cambios."
    )
    assert stored(session_factory, NORTE)[("mobile_conversion", "2026-W02", "csv")] == Decimal("1.6")
    assert value_actions(session_factory, NORTE) == ["kpi_value.recorded"] * 5
    with session_factory() as session:
        assert {row.recorded_by for row in session.query(KpiValue)} == {"cli"}

    again = alinea("import", "kpis", str(path), "--team", NORTE, env=env)
    assert again.returncode == 0, again.stderr
    assert "5 sin cambios" in again.stdout.splitlines()[0]
    assert again.stdout.splitlines()[1] == "line 2: sales_cop 2026-01 = $45.000.000 (sin cambios)"
    assert value_actions(session_factory, NORTE) == ["kpi_value.recorded"] * 5


def test_cli_a_file_with_a_bad_row_writes_nothing_and_exits_1(database_url, session_factory, norte, tmp_path):
    path = tmp_path / "kpis.csv"
    path.write_bytes(EXCEL_CO.replace(b"12/01/2026", b"2099-W01"))
    result = alinea("import", "kpis", str(path), "--team", NORTE, env={"DATABASE_URL": database_url})
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "No importé nada: 1 de 5 filas tienen problemas. Corrígelas y vuelve a importar el archivo completo.",
        "line 5: El periodo `2099-W01` todavía no ha empezado, así que aún no puede tener un valor. "
        "Corrige la fecha o quita la fila hasta que el periodo empiece.",
        "Estas filas están bien:",
    ]
    assert lines[3] == "line 2: sales_cop 2026-01 = $45.000.000 (nuevo)" and len(lines) == 7
    assert stored(session_factory, NORTE) == {} and value_actions(session_factory, NORTE) == []


@pytest.mark.parametrize(
    "team, data, message",
    [
        ("C0NOPE", b"kpi;valor;periodo\norders;1;2026-W02\n", "no alignment team with channel id or name 'C0NOPE'"),
        (NORTE, b"kpi;valor\norders;1\n", "Faltan columnas: period."),
        (NORTE, b"PK\x03\x04workbook", "Guardar como"),
        (NORTE, None, "cannot read"),
    ],
)
def test_cli_usage_errors_exit_2(database_url, session_factory, norte, tmp_path, team, data, message):
    path = tmp_path / "kpis.csv"
    if data is not None:
        path.write_bytes(data)
    result = alinea("import", "kpis", str(path), "--team", team, env={"DATABASE_URL": database_url})
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert stored(session_factory, NORTE) == {}
