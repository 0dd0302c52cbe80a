"""Engines and session factories. Nothing connects at import time."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

# Execution option marking a transaction that only reads (see read_only()).
READ_ONLY = "alinea_read_only"
# Well under Slack's 3-second window: a locked SQLite file fails fast and the user is told
# to try again, instead of Slack timing out on us.
SQLITE_BUSY_TIMEOUT_MS = 2000
POSTGRES_CONNECT_TIMEOUT_S = 2


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, foreign_keys: bool = True, echo: bool = False) -> Engine:
    if is_sqlite(url):
        engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
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
        # read-modify-write updates when Bolt's threads write at once; IMMEDIATE queues them.
        # A transaction declared read-only needs no write lock and runs beside the writer (WAL).
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


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
