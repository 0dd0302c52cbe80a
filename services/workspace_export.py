"""Everything Alinea holds about a workspace, for its admins: the export (every row of every
table of ours that belongs to the workspace, JSON-safe, without secrets) and the archive that
carries it (a zip with data.json, one CSV per table and a README).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from sqlalchemy import JSON, select
from sqlalchemy.orm import Session

from db.base import Base
from services.data_rights import exported_columns, is_text_column, json_safe, owned_rows, primary_key, tables
from services.i18n import t

Export = dict[str, list[dict[str, Any]]]


# Export -------------------------------------------------------------------------------------------


def export_workspace(session: Session, workspace_id: int) -> Export:
    """Every row of every table of ours that belongs to the workspace (its own row too), JSON-safe,
    without secrets. Every table is a key, in dependency order; an empty table maps to []."""
    export: Export = {}
    for table in tables():
        owned = owned_rows(table, workspace_id)
        if owned is None:
            continue
        columns = exported_columns(table)
        rows = session.execute(select(*columns).where(owned).order_by(*primary_key(table))).all()
        export[table.name] = [{column.name: json_safe(value) for column, value in zip(columns, row)} for row in rows]
    return export


def row_counts(export: Export) -> dict[str, int]:
    return {name: len(rows) for name, rows in export.items()}


# The archive ----------------------------------------------------------------------------------------


def archive(export: Export, *, locale: str = "es") -> bytes:
    """A zip: data.json (every table, exact), one CSV per non-empty table for spreadsheets, and a
    README.txt with the tables and their row counts.

    The CSVs are UTF-8 with a BOM, so Excel reads the accents right. Spanish spreadsheets (es-CO)
    separate columns with `;` and write decimals with a comma, so for a Spanish reader the CSVs
    do the same; data.json always has exact decimals with a point."""
    spanish = not locale.lower().startswith("en")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("data.json", json.dumps(export, ensure_ascii=False, indent=2, sort_keys=False))
        for name, rows in export.items():
            if rows:
                bundle.writestr(f"{name}.csv", _csv(name, rows, spanish=spanish))
        bundle.writestr("README.txt", _readme(export, locale, spanish=spanish).encode("utf-8-sig"))
    return buffer.getvalue()


def csv_dialect(*, spanish: bool) -> str:
    return ";" if spanish else ","


def _csv(table_name: str, rows: list[dict[str, Any]], *, spanish: bool) -> bytes:
    table = Base.metadata.tables.get(table_name)
    numeric = {c.name for c in table.c if _is_decimal(c)} if table is not None else set()
    text = {c.name for c in table.c if is_text_column(c) or isinstance(c.type, JSON)} if table is not None else set(rows[0])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=csv_dialect(spanish=spanish), lineterminator="\r\n")
    header = list(rows[0])
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row.get(name), decimal_comma=spanish and name in numeric, text=name in text) for name in header])
    return out.getvalue().encode("utf-8-sig")


def _is_decimal(column) -> bool:
    return type(column.type).__name__ == "ExactDecimal"


def _cell(value: Any, *, decimal_comma: bool, text: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    cell = str(value)
    if decimal_comma:
        return cell.replace(".", ",")
    if text and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell  # what a person typed never runs as a spreadsheet formula
    return cell


def _readme(export: Export, locale: str, *, spanish: bool) -> str:
    counts = row_counts(export)
    lines = [
        t(locale, "data_rights.readme.title"),
        "",
        t(locale, "data_rights.readme.intro"),
        t(locale, "data_rights.readme.csv", separator=csv_dialect(spanish=spanish)),
        t(locale, "data_rights.readme.secrets"),
        "",
        t(locale, "data_rights.readme.tables", rows=sum(counts.values())),
    ]
    width = max((len(name) for name in counts), default=0)
    lines += [f"  {name.ljust(width)}  {count}" for name, count in counts.items()]
    return "\r\n".join(lines) + "\r\n"

