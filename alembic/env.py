"""Alembic environment: our models' metadata, batch mode for SQLite, foreign keys off while migrating."""

from __future__ import annotations

import os

from alembic import context

import db.models  # noqa: F401  (registers every table on the metadata)
from bot.installations import OAUTH_METADATA  # slack_sdk's OAuth tables (installations, bots, states)
from db.base import Base
from db.session import is_sqlite, make_engine

config = context.config


def database_url() -> str:
    # Order: set by db/migrations.py, then `alembic -x url=...`, then DATABASE_URL.
    url = config.attributes.get("url") or context.get_x_argument(as_dictionary=True).get("url")
    return url or os.environ.get("DATABASE_URL", "sqlite:///alinea.db")


def run_migrations_online() -> None:
    url = database_url()
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, url)
        return
    # SQLite batch migrations copy tables; foreign keys must be off or the copy cascades.
    engine = make_engine(url, foreign_keys=False)
    try:
        with engine.connect() as connection:
            _run(connection, url)
    finally:
        engine.dispose()


def _run(connection, url: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=[Base.metadata, OAUTH_METADATA],
        render_as_batch=is_sqlite(url),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run against a database.")
run_migrations_online()
