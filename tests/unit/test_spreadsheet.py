"""Reading what Excel exports in Colombia, and writing CSV that reads back the same."""

from __future__ import annotations

import io
import zipfile

import pytest

from domain.errors import UserError
from domain.spreadsheet import (
    Row,
    detect_separator,
    normalize_header,
    read_records,
    read_table,
    require_columns,
    write_csv,
)

GLOSSARY_REQUIRED = ("term", "definition")
GLOSSARY_OPTIONAL = ("owner_side", "formula", "source_system", "examples", "non_examples", "aliases")


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, separator, encoding, rows",
    [
        pytest.param(
            b"term;definition\nMQL;Lead que pidio demo\n", ";", "utf-8",
            [(2, {"term": "MQL", "definition": "Lead que pidio demo"})], id="semicolon",
        ),
        pytest.param(
            b"term,definition\nMQL,Lead que pidio demo\n", ",", "utf-8",
            [(2, {"term": "MQL", "definition": "Lead que pidio demo"})], id="comma",
        ),
        pytest.param(
            "Término;Definición\r\nConversión;Ventas / visitas, en %\r\n".encode("cp1252"), ";", "cp1252",
            [(2, {"termino": "Conversión", "definicion": "Ventas / visitas, en %"})], id="latin-1 from Excel",
        ),
        pytest.param(
            "Término;Definición\nConversión;Ventas ÷ visitas — “en %”\n".encode("cp1252"), ";", "cp1252",
            [(2, {"termino": "Conversión", "definicion": "Ventas ÷ visitas — “en %”"})], id="cp1252 quotes and dashes",
        ),
        pytest.param(
            "\ufeffTérmino,Definición\nMQL,Lead\n".encode("utf-8"), ",", "utf-8-sig",
            [(2, {"termino": "MQL", "definicion": "Lead"})], id="utf-8 with BOM",
        ),
        pytest.param(
            'term;definition\n"MQL";"Lead que:\n- pidió demo\n- cumple el perfil"\nSQL;Oportunidad\n'.encode(), ";", "utf-8",
            [(2, {"term": "MQL", "definition": "Lead que:\n- pidió demo\n- cumple el perfil"}), (5, {"term": "SQL", "definition": "Oportunidad"})],
            id="quoted newlines keep the line numbers of the file",
        ),
        pytest.param(
            b'term;definition\r\n"MQL";"dice ""hola"", y; sigue"\r\n', ";", "utf-8",
            [(2, {"term": "MQL", "definition": 'dice "hola", y; sigue'})], id="quoted separators and quotes",
        ),
        pytest.param(
            b'term;definition\n\n;\nMQL;Lead\n;;\n', ";", "utf-8",
            [(4, {"term": "MQL", "definition": "Lead"})], id="blank rows skipped, lines kept",
        ),
        pytest.param(
            b'\n\nterm,definition\nMQL,Lead\n', ",", "utf-8",
            [(4, {"term": "MQL", "definition": "Lead"})], id="blank lines above the header",
        ),
        pytest.param(
            b'sep=;\nterm;definition\nMQL;Lead, con coma\n', ";", "utf-8",
            [(3, {"term": "MQL", "definition": "Lead, con coma"})], id="Excel's sep= line",
        ),
        pytest.param(
            b'term;definition;;\nMQL;Lead;;\n', ";", "utf-8",
            [(2, {"term": "MQL", "definition": "Lead"})], id="trailing empty columns",
        ),
        pytest.param(
            b'term;definition;aliases\nMQL;Lead\n', ";", "utf-8",
            [(2, {"term": "MQL", "definition": "Lead", "aliases": ""})], id="short row",
        ),
        pytest.param(
            b'term;definition\r"MQL";"Lead"\r', ";", "utf-8",
            [(2, {"term": "MQL", "definition": "Lead"})], id="old Mac line ends",
        ),
    ],
)
def test_read_table(data, separator, encoding, rows):
    table = read_table(data)
    assert table.separator == separator
    assert table.encoding == encoding
    assert [(row.line, row.values) for row in table.rows] == rows


@pytest.mark.parametrize(
    "header, expected",
    [
        ("Término", "termino"), (" DEFINICIÓN ", "definicion"), ("Owner side", "owner_side"),
        ("non-examples", "non_examples"), ("No  ejemplos", "no_ejemplos"), ("\ufeffterm", "term"), ("Área", "area"),
    ],
)
def test_headers_are_normalised(header, expected):
    assert normalize_header(header) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a;b;c\n1;2;3\n", ";"),
        ("a,b,c\n1,2,3\n", ","),
        # commas inside the definitions outnumber the separator on the data lines
        ('term;definition\nMQL;"uno, dos, tres, cuatro"\nSQL;"cinco, seis, siete"\n', ";"),
        ("term\nMQL\n", ";"),  # one column: either works; Excel in Colombia uses ;
    ],
)
def test_detect_separator(text, expected):
    assert detect_separator(text) == expected


def test_a_row_with_more_cells_than_headers_keeps_them_apart():
    table = read_table(b"term,definition\nMQL,Lead que pidio demo, y cumple el perfil\n")
    assert table.rows[0] == Row(2, {"term": "MQL", "definition": "Lead que pidio demo"}, ("y cumple el perfil",))


@pytest.mark.parametrize(
    "data, message_id",
    [
        (b"", "spreadsheet.empty"),
        (b"  \r\n\r\n ", "spreadsheet.empty"),
        ("\ufeff".encode(), "spreadsheet.empty"),
        (b"sep=;\n", "spreadsheet.empty"),
        (b"term;definition\n", "spreadsheet.no_rows"),
        (b"term;definition\n;\n;;\n", "spreadsheet.no_rows"),
        (xlsx_bytes(), "spreadsheet.unreadable"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "spreadsheet.unreadable"),  # old .xls
        ("term;definition\nMQL;Lead\n".encode("utf-16"), "spreadsheet.unreadable"),
        (bytes(range(256)) * 4, "spreadsheet.unreadable"),
        (b"term;definition\nMQL;\x81\x8d\n", "spreadsheet.unreadable"),  # bytes no Windows code page has
        (b"term;definition;;term\nMQL;Lead;;SQL\n", "spreadsheet.repeated_columns"),
    ],
)
def test_unreadable_input_says_why(data, message_id):
    with pytest.raises(UserError) as refused:
        read_table(data)
    assert refused.value.message_id == message_id


@pytest.mark.parametrize(
    "header",
    [
        "term;definition;owner_side;formula;source_system;examples;non_examples;aliases",
        "Término;Definición;Lado;Fórmula;Sistema;Ejemplos;Contraejemplos;Alias",
        "TERMINO;DEFINICION;AREA;FORMULA;FUENTE;EJEMPLOS;NO EJEMPLOS;ALIAS",
        "término;definición;área;fórmula;sistema de origen;ejemplos;no_ejemplos;alias",
    ],
)
def test_spanish_and_english_column_names_map_to_one_name(header):
    table = read_table(f"{header}\nMQL;Lead;mercadeo;a/b;HubSpot;x;y;z\n".encode())
    checked = require_columns(table, GLOSSARY_REQUIRED, GLOSSARY_OPTIONAL)
    assert checked.rows[0].values == {
        "term": "MQL", "definition": "Lead", "owner_side": "mercadeo", "formula": "a/b", "source_system": "HubSpot",
        "examples": "x", "non_examples": "y", "aliases": "z",
    }


def test_optional_columns_default_to_empty_and_other_columns_stay():
    table = require_columns(read_table(b"termino;definicion;status\nMQL;Lead;agreed\n"), GLOSSARY_REQUIRED, GLOSSARY_OPTIONAL)
    assert table.rows[0].values["aliases"] == "" and table.rows[0].values["status"] == "agreed"
    assert table.headers[:2] == ("term", "definition")


@pytest.mark.parametrize(
    "header, missing",
    [("term;aliases", "definition"), ("nombre;texto", "term, definition"), ("definicion;alias", "term")],
)
def test_missing_columns_name_what_is_missing_and_what_is_accepted(header, missing):
    table = read_table(f"{header}\nx;y\n".encode())
    with pytest.raises(UserError) as refused:
        require_columns(table, GLOSSARY_REQUIRED, GLOSSARY_OPTIONAL)
    assert refused.value.message_id == "spreadsheet.missing_columns"
    assert refused.value.params["missing"] == missing
    assert "term/término" in refused.value.params["expected"]
    assert "definition/definición" in refused.value.params["expected"]


def test_two_headers_for_one_column_are_refused():
    table = read_table("term;término;definition\nMQL;MQL;Lead\n".encode())
    with pytest.raises(UserError) as refused:
        require_columns(table, GLOSSARY_REQUIRED, GLOSSARY_OPTIONAL)
    assert refused.value.message_id == "spreadsheet.repeated_columns"


@pytest.mark.parametrize(
    "value",
    ["Lead", "", "Línea 1\nlínea 2", 'con "comillas", comas; y punto y coma', "=SUMA(A1:A3)", "+57 300", "-bien", "@usuario", "-5", "1,6 %"],
)
def test_write_csv_reads_back_the_same(value):
    text = write_csv(["term", "definition"], [{"term": "MQL", "definition": value}, ["SQL", None]])
    table = read_table(text.encode("utf-8"))
    assert table.separator == ","
    assert [row.values for row in table.rows] == [{"term": "MQL", "definition": value}, {"term": "SQL", "definition": ""}]


def test_write_csv_keeps_excel_from_running_formulas():
    text = write_csv(["a", "b", "c"], [["=HYPERLINK(\"http://x\")", "-5", "@SUM(1)"]])
    assert text.splitlines()[1] == '"\'=HYPERLINK(""http://x"")",-5,\'@SUM(1)'
    assert text.endswith("\r\n")


def test_read_records_reads_an_exported_json_list_with_its_lines():
    data = '[\n  {\n    "term": "MQL",\n    "version": 2,\n    "definition": "Lead"\n  },\n  {"Término": "SQL", "definition": null}\n]\n'
    table = read_records(data.encode())
    assert [(row.line, row.values) for row in table.rows] == [
        (2, {"term": "MQL", "version": "2", "definition": "Lead", "termino": ""}),
        (7, {"termino": "SQL", "definition": "", "term": "", "version": ""}),
    ]


@pytest.mark.parametrize(
    "data, message_id",
    [(b"", "spreadsheet.empty"), (b"[]", "spreadsheet.no_rows"), (b'[{"term": "MQL"', "spreadsheet.unreadable"), (b"[1, 2]", "spreadsheet.unreadable"), (b'{"a": 1}', "spreadsheet.unreadable")],
)
def test_read_records_refuses_what_is_not_a_list_of_objects(data, message_id):
    with pytest.raises(UserError) as refused:
        read_records(data)
    assert refused.value.message_id == message_id
