"""Survey exports as customer feedback, on real SQLite and PostgreSQL: the service's check writes
nothing, commit writes all or nothing, an id column makes answers idempotent, and a report that
no longer matches what the file gives now is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from db.models import FeedbackItem, FeedbackTheme
from domain.spreadsheet import read_table
from domain.survey_sheet import survey_columns
from services import survey_import
from tests.integration.test_kpi_import import ANA, NORTE, NOW, make_team, team_of

TYPEFORM = (
    "#,How likely are you to recommend us?,What could we improve?,Submit Date (UTC)\r\n"
    "a1b2,8,Envío lento. Mi cédula 1.020.304.050 por si acaso,2026-03-01 10:00:00\r\n"
    "c3d4,10,Todo perfecto,2026-03-02 11:00:00\r\n"
).encode("utf-8")


@pytest.fixture
def norte(session_factory) -> str:
    make_team(session_factory, NORTE, "tienda-norte")
    return NORTE


def run(session_factory, data: bytes, *, commit: bool, now: datetime = NOW, expected: str | None = None):
    table = read_table(data)
    columns = survey_columns(table.headers)
    assert columns is not None
    with session_factory.begin() as session:
        team = team_of(session, NORTE)
        if commit:
            return survey_import.commit(session, team=team, table=table, columns=columns, actor=ANA, now=now, expected=expected)
        return survey_import.check(session, team=team, table=table, columns=columns, now=now)


def items(session_factory) -> list[tuple[str | None, int | None, str]]:
    with session_factory() as session:
        return [(row.external_id, row.score, row.text) for row in session.query(FeedbackItem).order_by(FeedbackItem.number)]


def test_the_check_writes_nothing_not_even_the_starter_themes(session_factory, norte):
    report = run(session_factory, TYPEFORM, commit=False)
    assert (report.answers, report.new, report.unchanged, report.ok) == (2, 2, 0, True)
    assert report.removed == {"id_number": 1}
    assert report.themes == {"Entrega": 1, "Tiempo de respuesta": 1}
    with session_factory() as session:
        assert session.query(FeedbackTheme).count() == 0
    assert items(session_factory) == []


def test_commit_stores_each_answer_by_its_id_once(session_factory, norte):
    first = run(session_factory, TYPEFORM, commit=True)
    assert first.committed and first.new == 2
    stored = items(session_factory)
    assert stored == [("sheet:a1b2", 8, "Envío lento. Mi cédula [id] por si acaso"), ("sheet:c3d4", 10, "Todo perfecto")]
    # The same answers with an edited comment keep their ids: nothing new, nothing changed.
    edited = TYPEFORM.replace(b"Todo perfecto", b"Todo perfecto!!")
    second = run(session_factory, edited, commit=True)
    assert (second.committed, second.new, second.unchanged) == (False, 0, 2)
    assert items(session_factory) == stored


def test_a_refused_row_writes_nothing_and_names_its_line(session_factory, norte):
    future = TYPEFORM.replace(b"2026-03-02 11:00:00", b"2026-04-02 11:00:00")
    report = run(session_factory, future, commit=True)
    assert not report.committed
    assert [(row.line, row.message_id) for row in report.rejected] == [(3, "survey_import.row.date_future")]
    assert items(session_factory) == []


def test_a_report_that_no_longer_matches_the_file_is_not_saved(session_factory, norte):
    approved = run(session_factory, TYPEFORM, commit=False).digest
    changed = TYPEFORM.replace(b"c3d4,10,", b"c3d4,2,")
    stale = run(session_factory, changed, commit=True, expected=approved)
    assert stale.stale and not stale.committed
    assert items(session_factory) == []
    # The report approved an hour ago still saves: answers without a date are not part of it.
    undated = b"Nota;Comentario\r\n9;Buen precio\r\n"
    digest = run(session_factory, undated, commit=False).digest
    saved = run(session_factory, undated, commit=True, now=NOW + timedelta(hours=1), expected=digest)
    assert saved.committed
    assert items(session_factory)[-1][1:] == (9, "Buen precio")
