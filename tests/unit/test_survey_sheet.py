"""Which spreadsheets are survey exports, which columns hold what, the stable answer ids and the
dates survey tools write; read through the same decoding as every import."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain.spreadsheet import normalize_header, read_table
from domain.survey_sheet import SurveyColumns, answer_id, parse_answer_date, survey_columns


def columns_of(*headers: str) -> SurveyColumns | None:
    return survey_columns([normalize_header(header) for header in headers])


@pytest.mark.parametrize(
    ("headers", "score", "comment"),
    [
        (("Nota", "Comentario"), "nota", "comentario"),
        (("Puntaje", "Opinión"), "puntaje", "opinion"),
        (("score", "comment"), "score", "comment"),
        (("NPS", "Comentarios"), "nps", "comentarios"),
        (("¿Qué tan probable es que nos recomiendes a un amigo? (0-10)", "¿Por qué?"),
         "¿que_tan_probable_es_que_nos_recomiendes_a_un_amigo?_(0_10)", "¿por_que?"),
        (("How likely are you to recommend us to a friend?", "What could we improve?"),
         "how_likely_are_you_to_recommend_us_to_a_friend?", "what_could_we_improve?"),
        (("Why?", "On a scale of 0-10, how likely is it that you would recommend Acme?"),
         "on_a_scale_of_0_10,_how_likely_is_it_that_you_would_recommend_acme?", "why?"),
    ],
)  # fmt: skip
def test_score_and_comment_columns_are_found_by_name_or_by_the_question(headers, score, comment):
    found = columns_of(*headers)
    assert found is not None and (found.score, found.comment) == (score, comment)


def test_typeform_columns_date_and_id_are_found_and_extra_questions_ignored():
    found = columns_of("#", "How likely are you to recommend us?", "Tell us why", "Email", "Submit Date (UTC)", "Network ID")
    assert found == SurveyColumns(
        score="how_likely_are_you_to_recommend_us?", comment="tell_us_why", date="submit_date_(utc)", id="#", source=None
    )


def test_google_forms_timestamp_and_a_source_column_are_found():
    found = columns_of("Marca temporal", "Nota", "Comentario", "Canal")
    assert found == SurveyColumns(score="nota", comment="comentario", date="marca_temporal", id=None, source="canal")


@pytest.mark.parametrize(
    "headers",
    [
        ("Indicador", "Valor", "Período", "Nota"),  # a KPI file with a note column named "nota"
        ("kpi", "value", "period", "comment"),
        ("Nota", "Fecha"),  # no comment
        ("Comentario", "Fecha"),  # no score
        ("term", "definition"),
    ],
)
def test_files_that_are_not_surveys_are_left_to_their_own_import(headers):
    assert columns_of(*headers) is None


def test_a_latin1_semicolon_excel_file_and_a_utf8_bom_comma_file_read_the_same():
    latin1 = "Fecha;Nota;¿Por qué?\r\n01/03/2026;9;Llegó rápido\r\n".encode("latin-1")
    utf8 = "\ufeffFecha,Nota,¿Por qué?\r\n01/03/2026,9,Llegó rápido\r\n".encode("utf-8")
    tables = [read_table(latin1), read_table(utf8)]
    assert [(table.separator, table.encoding) for table in tables] == [(";", "cp1252"), (",", "utf-8-sig")]
    for table in tables:
        columns = survey_columns(table.headers)
        assert columns == SurveyColumns(score="nota", comment="¿por_que?", date="fecha")
        assert table.rows[0].values[columns.comment] == "Llegó rápido"


def test_a_tab_separated_export_is_read_too():
    table = read_table("Timestamp\tScore\tComment\r\n3/1/2026 9:30:00\t9\tFast, friendly; great\r\n".encode("utf-8"))
    assert table.separator == "\t"
    columns = survey_columns(table.headers)
    assert columns == SurveyColumns(score="score", comment="comment", date="timestamp")
    assert table.rows[0].values["comment"] == "Fast, friendly; great"


def test_answer_ids_depend_on_the_cells_and_their_repetition_not_on_the_line():
    first = answer_id(("10", "Excelente", ""), 1)
    assert first == answer_id(("10", "Excelente", ""), 1)
    assert first.startswith("sheet:")
    assert len({first, answer_id(("10", "Excelente", ""), 2), answer_id(("9", "Excelente", ""), 1)}) == 3


@pytest.mark.parametrize(
    ("typed", "day_first", "expected"),
    [
        ("2026-03-01 10:15:30", True, datetime(2026, 3, 1, 10, 15, 30)),
        ("2026-03-01T10:15:30-05:00", False, datetime(2026, 3, 1, 10, 15, 30, tzinfo=timezone(timedelta(hours=-5)))),
        ("2026/03/01 10:15:30", True, datetime(2026, 3, 1, 10, 15, 30)),
        ("01/03/2026 10:15", True, datetime(2026, 3, 1, 10, 15)),
        ("3/1/2026 9:30:00", False, datetime(2026, 3, 1, 9, 30)),
        ("01/03/2026", True, datetime(2026, 3, 1)),
        ("2026/03/01 9:30:00 p. m. GMT-5", True, datetime(2026, 3, 1, 21, 30, tzinfo=timezone(timedelta(hours=-5)))),
        ("2026/03/01 12:05:00 a. m. GMT-5", True, datetime(2026, 3, 1, 0, 5, tzinfo=timezone(timedelta(hours=-5)))),
        ("3/1/2026 9:30:00 AM", False, datetime(2026, 3, 1, 9, 30)),
        ("3/1/2026 12:15:00 PM", False, datetime(2026, 3, 1, 12, 15)),
        ("ayer", True, None),
        ("13/25/2026", True, None),
    ],
)
def test_answer_dates_in_the_shapes_survey_tools_write(typed, day_first, expected):
    assert parse_answer_date(typed, day_first=day_first) == expected
