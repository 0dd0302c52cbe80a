"""Engines and session factories. Nothing connects at import time."""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

# Execution option marking a transaction that only reads (see read_only()).
READ_ONLY = "alinea_read_only"
# Well under Slack's 3-second window: a SQLite file locked by another process fails fast and
# the user is told to try again, instead of Slack timing out on us.
SQLITE_BUSY_TIMEOUT_MS = 2000
# SQLite has one writer per file. The writers of this process take turns on a lock of ours (one
# per file, `WriterTurns`): a writer waiting for its turn sleeps until the one before it ends,
# instead of polling the file. SQLite's own wait (busy_timeout) polls, sleeping up to 100 ms
# between tries, and whoever tries when the file is free wins, so a writer can lose every try
# for longer than the timeout. That is what ended `bench/agendas.py --teams 20` in "database is
# locked": the 8 posters rendering charts starve the thread holding the file of the GIL (one claim
# held it 4.5 s) while commands and ingest batches wait. Retrying BEGIN IMMEDIATE after the
# busy timeout would only stretch that unfair polling, and keep a person waiting past Slack's
# 3 s when another process (`alinea jobs run` beside `serve`) holds the file; busy_timeout still
# bounds that case. Inside the process every holder is a short transaction (never across a
# Slack or LLM call), so waiting is right: this bound only catches a transaction that never ends.
SQLITE_WRITER_WAIT_S = 30
POSTGRES_CONNECT_TIMEOUT_S = 2


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, foreign_keys: bool = True, echo: bool = False) -> Engine:
    if is_sqlite(url):
        connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "factory": TakingTurnsConnection}
        engine = create_engine(url, echo=echo, connect_args=connect_args)
        _configure_sqlite(engine, foreign_keys=foreign_keys)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,  # a restarted database is noticed on checkout, not by the user
        pool_timeout=POSTGRES_CONNECT_TIMEOUT_S,
        pool_size=10,
        max_overflow=30,  # room for every work thread (bot/config.py) without waiting on the pool
        connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S},
    )


def _configure_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        # Deferred transactions upgrade to a write lock mid-way and then fail or lose
        # read-modify-write updates when Bolt's threads write at once; IMMEDIATE queues them,
        # after this process's writers before them (SQLITE_WRITER_WAIT_S).
        # A transaction declared read-only needs no write lock and runs beside the writer (WAL).
        if connection.get_execution_options().get(READ_ONLY, False):
            connection.exec_driver_sql("BEGIN")
            return
        raw = connection.connection.driver_connection
        raw.wait_for_turn()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # waits busy_timeout for another process only
        except BaseException:
            raw.end_turn()
            raise


class WriterTurns:
    """This process's writers of one SQLite file, one at a time: a waiting writer sleeps on the
    lock (GIL released) and is woken when the transaction before it ends, with no polling."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None

    def wait(self) -> None:
        if self._holder == threading.get_ident():  # only this thread could have set it to itself
            raise RuntimeError("a write transaction opened inside another on the same SQLite file would wait for itself")
        if not self._lock.acquire(timeout=SQLITE_WRITER_WAIT_S):
            reason = f"database is locked: this process's writers before this one took more than {SQLITE_WRITER_WAIT_S} s"
            raise sa_exc.OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError(reason))
        self._holder = threading.get_ident()

    def end(self) -> None:
        self._holder = None
        self._lock.release()


_turns: dict[str, WriterTurns] = {}
_turns_guard = threading.Lock()


def writer_turns(database: str) -> WriterTurns:
    """The turns of one file, shared by every engine of this process (the app's, the migrations',
    a test's); an in-memory database belongs to its one connection."""
    if database in ("", ":memory:") or "mode=memory" in database:
        return WriterTurns()
    key = os.path.realpath(database)
    with _turns_guard:
        return _turns.setdefault(key, WriterTurns())


class TakingTurnsConnection(sqlite3.Connection):
    """A pysqlite connection that gives the writer's turn back when its write transaction ends
    however it ends: commit, rollback (the pool's reset on check-in included) or close."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._turns = writer_turns(os.fsdecode(database))
        self._writing = False

    def wait_for_turn(self) -> None:
        self._turns.wait()
        self._writing = True

    def end_turn(self) -> None:
        if self._writing:
            self._writing = False
            self._turns.end()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_unless_open()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_unless_open()

    def close(self) -> None:
        try:
            super().close()  # SQLite rolls back what was open
        finally:
            self.end_turn()

    def _end_unless_open(self) -> None:
        # A COMMIT that failed can leave the transaction open: the turn lasts until its rollback.
        if self._writing and not self.in_transaction:
            self.end_turn()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def read_only(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for reading only: on SQLite it takes no write lock; it is always rolled back."""
    with factory() as session:
        session.connection(execution_options={READ_ONLY: True})
        try:
            yield session
        finally:
            session.rollback()


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        # A read-only transaction: on SQLite a writer holding the lock must not look like an outage.
        with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not healthy"; the caller only needs yes or no
        return False
