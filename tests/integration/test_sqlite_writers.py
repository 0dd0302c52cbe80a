"""SQLite's one writer per file, within one process: writers take turns (db/session.py) instead of
polling the file, wait past the busy timeout for a writer of their own process, and get the turn
back however a transaction ends. Real SQLite files; PostgreSQL has no file lock."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from db.models import Workspace
from db.session import SQLITE_BUSY_TIMEOUT_MS, make_engine, make_session_factory, read_only
from services import workspaces
from services.workspaces import WorkspaceDefaults

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
DEFAULTS = WorkspaceDefaults(locale="es", timezone="America/Bogota")
NOW = datetime(2026, 1, 12, 14, 0, tzinfo=timezone.utc)


def add_workspace(session, slack_team_id: str) -> None:
    workspaces.ensure_workspace(session, slack_team_id=slack_team_id, defaults=DEFAULTS, now=NOW)


def workspace_count(session_factory) -> int:
    with read_only(session_factory) as session:
        return session.scalar(select(func.count()).select_from(Workspace))


@SQLITE_ONLY
def test_a_writer_waits_past_the_busy_timeout_for_a_writer_of_its_own_process(session_factory, database_url):
    """The second writer uses another engine on the same file, as `alinea jobs run` in the same
    process as a test or the migrations would: the turns belong to the file."""
    other_engine = make_engine(database_url)
    holding, release, errors = threading.Event(), threading.Event(), []

    def long_writer() -> None:
        with session_factory.begin() as session:
            add_workspace(session, "T1")
            session.flush()
            holding.set()
            release.wait(timeout=30)

    def second_writer() -> None:
        try:
            with make_session_factory(other_engine).begin() as session:
                add_workspace(session, "T2")
        except Exception as error:  # collected: the assertion shows it
            errors.append(error)

    first = threading.Thread(target=long_writer)
    first.start()
    assert holding.wait(timeout=10)
    second = threading.Thread(target=second_writer)
    second.start()
    time.sleep(SQLITE_BUSY_TIMEOUT_MS / 1000 + 0.5)  # the first writer holds the file past the busy timeout
    assert second.is_alive() and workspace_count(session_factory) == 0  # waiting its turn, nothing half written
    release.set()
    first.join()
    second.join(timeout=10)
    other_engine.dispose()
    assert not errors
    assert workspace_count(session_factory) == 2


@SQLITE_ONLY
def test_the_turn_comes_back_after_a_commit_a_rollback_and_a_session_closed_mid_write(session_factory):
    with session_factory.begin() as session:
        add_workspace(session, "T1")
    with pytest.raises(ValueError):
        with session_factory.begin() as session:
            add_workspace(session, "T2")
            raise ValueError("the unit of work failed: rolled back")
    session = session_factory()
    add_workspace(session, "T3")
    session.flush()
    session.close()  # never committed
    started = time.monotonic()
    with session_factory.begin() as session:
        add_workspace(session, "T4")
    assert time.monotonic() - started < 1  # nobody held the turn
    with read_only(session_factory) as session:
        assert sorted(session.scalars(select(Workspace.slack_team_id))) == ["T1", "T4"]


@SQLITE_ONLY
def test_a_write_opened_inside_another_on_the_same_file_fails_at_once_instead_of_waiting_for_itself(session_factory):
    started = time.monotonic()
    with session_factory.begin() as outer:
        add_workspace(outer, "T1")
        outer.flush()
        with pytest.raises(RuntimeError, match="would wait for itself"):
            with session_factory.begin() as inner:
                add_workspace(inner, "T2")
    assert time.monotonic() - started < 1
    assert workspace_count(session_factory) == 1
