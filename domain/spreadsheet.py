"""Tables people keep in spreadsheets: reading the CSV that Excel exports, writing CSV back.

Colombian Excel saves "CSV" in more than one way: `;`-separated (the list separator where the
decimal mark is a comma) or `,`-separated ("CSV UTF-8"), in UTF-8 with or without a BOM, or in
Windows-1252 ("CSV (delimitado por comas)"). `read_table` accepts all of them and hands back
rows keyed by normalised column names, each with the line it starts on, so a report can say
"line 7" and the person finds the row. `require_columns` maps Spanish and English column names
onto one canonical name per column.

Pure: bytes in, values out. Reused by every import (glossary, KPI values).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from domain.commands import fold
from domain.errors import UserError

SEPARATORS = (";", ",", "\t")  # tab: what copying a range out of a sheet, or a .tsv export, gives
SNIFF_SAMPLE_CHARS = 64 * 1024
UTF8_BOM = b"\xef\xbb\xbf"

# Files that are a workbook, not text: the person exported nothing and picked the .xlsx/.xls.
_BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF")
# Control characters never found in a text export (tab, newlines and form feed aside).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# A cell Excel would run as a formula when the file is opened ("=HYPERLINK(…)", "+1", "@SUM").
_FORMULA_START = ("=", "+", "-", "@")
# Line ends as csv counts them (str.splitlines would also split on U+2028 and friends,
# which people paste into definitions).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)*%?$")

# Canonical column name -> other names people give it (compared after `normalize_header`).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    # The glossary
    "term": ("termino", "término"),
    "definition": ("definicion", "definición"),
    "owner_side": ("lado", "area", "área"),
    "formula": ("fórmula",),
    "source_system": ("sistema", "fuente", "sistema_de_origen", "sistema origen"),
    "examples": ("ejemplos",),
    "non_examples": ("contraejemplos", "no_ejemplos", "no ejemplos", "non-examples"),
    "aliases": ("alias",),
    # KPI values (`alinea import kpis`)
    "kpi": ("clave", "indicador", "métrica", "metric"),
    "value": ("valor", "cifra"),
    "period": ("período", "periodo", "fecha", "semana", "mes", "date", "week", "month"),
    "note": ("nota", "notas", "comentario", "notes", "comment"),
    "source": ("fuente", "origen"),
}


@dataclass(frozen=True)
class Row:
    line: int  # 1-based line of the file the row starts on (a quoted cell may span several)
    values: dict[str, str]  # normalised column name -> trimmed cell text ("" when absent)
    extra: tuple[str, ...] = ()  # non-empty cells beyond the last header: usually an unquoted separator


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]  # normalised, in file order
    rows: tuple[Row, ...]
    separator: str = ","
    encoding: str = "utf-8"


# ---------------------------------------------------------------------------------------------
# Reading


def normalize_header(name: str) -> str:
    """`" Definición "`, `"DEFINICION"` and `"definición"` -> `definicion`; `"Owner side"` -> `owner_side`."""
    folded = fold(name.replace("\ufeff", "")).strip()
    return re.sub(r"[\s\-]+", "_", folded)


def read_table(data: bytes) -> Table:
    """The rows of a CSV export, whatever separator and encoding Excel used.

    Blank rows (every cell empty, as Excel leaves them below the data) are skipped. Raises
    UserError `spreadsheet.unreadable` (not text), `spreadsheet.empty` (no header) or
    `spreadsheet.no_rows` (a header and nothing under it).
    """
    text, encoding = _decode(data)
    lines = _LINE_BREAK.split(text)
    start = next((index for index, line in enumerate(lines) if line.strip()), None)
    if start is None:
        raise UserError("spreadsheet.empty")
    separator, hint_line = _separator_hint(lines[start])
    if hint_line:  # Excel's "sep=;" first line: it names the separator and is not the header
        start = next((index for index in range(start + 1, len(lines)) if lines[index].strip()), None)
        if start is None:
            raise UserError("spreadsheet.empty")
    body = "\n".join(lines[start:])
    if separator is None:
        separator = detect_separator(body)
    records = _records(body, separator, first_line=start + 1)
    if not records:
        raise UserError("spreadsheet.empty")
    (_, header_cells), data_records = records[0], records[1:]
    headers = [normalize_header(cell) for cell in header_cells]
    _refuse_repeated(headers)
    rows = [_row(line, headers, cells) for line, cells in data_records if any(cell.strip() for cell in cells)]
    if not rows:
        raise UserError("spreadsheet.no_rows")
    return Table(tuple(h for h in headers if h), tuple(rows), separator, encoding)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(_BINARY_SIGNATURES) or b"\x00" in data[:SNIFF_SAMPLE_CHARS]:
        raise UserError("spreadsheet.unreadable")
    encoding = "utf-8"
    if data.startswith(UTF8_BOM):
        data, encoding = data[len(UTF8_BOM) :], "utf-8-sig"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:  # Windows-1252: what Excel calls "CSV (delimitado por comas)"; a superset of Latin-1's letters
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            raise UserError("spreadsheet.unreadable") from None
    if _CONTROL.search(text):
        raise UserError("spreadsheet.unreadable")
    return text, encoding


def _separator_hint(line: str) -> tuple[str | None, bool]:
    stripped = line.strip().strip('"')
    if stripped.lower().startswith("sep=") and len(stripped) == 5 and stripped[4] in SEPARATORS:
        return stripped[4], True
    return None, False


def detect_separator(text: str) -> str:
    """`;`, `,` or a tab: csv.Sniffer's guess when the header line agrees with it, else whichever
    the header line holds more of (ties go to `;`, Excel's choice in Colombia)."""
    header = text.split("\n", 1)[0]
    by_count = max(SEPARATORS, key=lambda sep: (header.count(sep), sep == ";"))
    try:
        sniffed = csv.Sniffer().sniff(text[:SNIFF_SAMPLE_CHARS], delimiters="".join(SEPARATORS)).delimiter
    except csv.Error:
        return by_count
    # The sniffer counts characters line by line, so commas inside long quoted definitions can
    # outvote the real separator; a header line rarely has quoted cells, so it has the last word.
    if header.count(sniffed) == 0 and header.count(by_count) > 0:
        return by_count
    return sniffed


def _records(text: str, separator: str, *, first_line: int) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, quotechar='"', doublequote=True)
    records, previous_end = [], 0
    try:
        for cells in reader:
            records.append((first_line + previous_end, cells))
            previous_end = reader.line_num
    except csv.Error:  # an enormous "cell": an unclosed quote in something that is not a CSV
        raise UserError("spreadsheet.unreadable") from None
    return records


def _refuse_repeated(headers: Sequence[str]) -> None:
    repeated = sorted({h for h in headers if h and headers.count(h) > 1})
    if repeated:
        raise UserError("spreadsheet.repeated_columns", columns=", ".join(repeated))


def _row(line: int, headers: Sequence[str], cells: Sequence[str]) -> Row:
    values = {header: "" for header in headers if header}
    for header, cell in zip(headers, cells):
        if header:  # a column without a name (Excel's trailing separators) carries nothing we read
            values[header] = _cell(cell)
    extra = tuple(_cell(cell) for cell in cells[len(headers) :] if cell.strip())
    return Row(line, values, extra)


def _cell(raw: str) -> str:
    value = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    # Undo write_csv's guard against formulas: "'=SQL/MQL" was written for "=SQL/MQL".
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def read_records(data: bytes) -> Table:
    """A JSON list of objects (what `alinea glossary export --format json` prints) as a Table;
    each row's line is the line its object starts on."""
    text, encoding = _decode(data)
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position == len(text):
        raise UserError("spreadsheet.empty")
    if text[position] != "[":
        raise UserError("spreadsheet.unreadable")
    position = _skip_space(text, position + 1)
    headers: list[str] = []
    rows: list[Row] = []
    try:
        while text[position] != "]":
            line = text.count("\n", 0, position) + 1
            item, position = decoder.raw_decode(text, position)
            if not isinstance(item, dict):
                raise UserError("spreadsheet.unreadable")
            values = {normalize_header(str(key)): _json_cell(value) for key, value in item.items()}
            headers.extend(key for key in values if key not in headers)
            if any(values.values()):
                rows.append(Row(line, values))
            position = _skip_space(text, position)
            if text[position] == ",":
                position = _skip_space(text, position + 1)
    except (ValueError, IndexError):
        raise UserError("spreadsheet.unreadable") from None
    if not rows:
        raise UserError("spreadsheet.no_rows")
    for row in rows:  # every row answers for every column, as rows of a CSV do
        for header in headers:
            row.values.setdefault(header, "")
    return Table(tuple(headers), tuple(rows), ",", encoding)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _json_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return str(value).replace("\r\n", "\n").strip()


# ---------------------------------------------------------------------------------------------
# Columns


def require_columns(
    table: Table,
    required: Iterable[str],
    optional: Iterable[str] = (),
    *,
    aliases: Mapping[str, Iterable[str]] = COLUMN_ALIASES,
) -> Table:
    """The table with its columns renamed to their canonical names (`termino` -> `term`).

    Every `required` column must be present under its name or an alias; `optional` ones get ""
    when absent. Columns the table has and nobody asked for stay as they are. Raises UserError
    `spreadsheet.missing_columns` (missing, expected, found) or `spreadsheet.repeated_columns`
    when two headers name one column ("term" and "término").
    """
    required, optional = list(required), list(optional)
    renames: dict[str, str] = {}
    for canonical in (*required, *optional):
        names = {normalize_header(canonical), *(normalize_header(alias) for alias in aliases.get(canonical, ()))}
        present = [header for header in table.headers if header in names]
        if len(present) > 1:
            raise UserError("spreadsheet.repeated_columns", columns=", ".join(present))
        if present:
            renames[present[0]] = canonical
    missing = [column for column in required if column not in renames.values()]
    if missing:
        raise UserError(
            "spreadsheet.missing_columns",
            missing=", ".join(missing),
            expected=", ".join(_with_aliases(column, aliases) for column in (*required, *optional)),
            found=", ".join(table.headers) or "-",
        )
    headers = tuple(dict.fromkeys([renames.get(h, h) for h in table.headers] + optional))
    rows = tuple(
        Row(row.line, {**{renames.get(k, k): v for k, v in row.values.items()}, **{c: "" for c in optional if c not in renames.values()}}, row.extra)
        for row in table.rows
    )
    return Table(headers, rows, table.separator, table.encoding)


def _with_aliases(column: str, aliases: Mapping[str, Iterable[str]], shown: int = 2) -> str:
    """`owner_side/lado/área`: the column and its first other names, accented where they have accents."""
    spellings: dict[str, str] = {}
    for alias in aliases.get(column, ()):
        key = normalize_header(alias)
        if key != normalize_header(column) and (key not in spellings or not alias.isascii()):
            spellings[key] = alias
    return "/".join([column, *list(spellings.values())[:shown]])


# ---------------------------------------------------------------------------------------------
# Writing


def write_csv(headers: Sequence[str], rows: Iterable[Mapping[str, object] | Sequence[object]]) -> str:
    """CSV text with `,` separators and CRLF line ends (RFC 4180), to be saved as UTF-8.

    Rows are mappings (by header) or sequences (in header order); None is written as "".
    A text cell that Excel would run as a formula ("=…", "+…", "-…", "@…") is written with a
    leading apostrophe, the way Excel itself marks text; `read_table` removes it again.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=",", quotechar='"', lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(list(headers))
    for row in rows:
        cells = [row.get(header) for header in headers] if isinstance(row, Mapping) else list(row)
        writer.writerow([_safe_cell(cell) for cell in cells])
    return buffer.getvalue()


def _safe_cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text
