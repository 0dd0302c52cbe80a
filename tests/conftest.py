"""Shared fixtures: real databases (a SQLite file, a throwaway PostgreSQL server), migrated once
per session and copied per test; the database and runtime built by the composition root
(bot/bootstrap.py), the way `alinea serve` builds them."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bot.bootstrap import Database, open_database, open_runtime
from bot.config import Settings
from bot.runtime import Runtime
from db import migrations

pytest_plugins = ["tests.support.postgres"]

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def _own_record_factory() -> Iterator[None]:
    """`alinea` run in-process (cli.main) installs its redacting record factory for good, as a
    process should; each test gets logging's factory back as it found it."""
    before = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(before)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster) -> str:
    name = "alinea_template"
    url = postgres_cluster.create_database(name)
    migrations.upgrade(url)
    return name


def copy_sqlite(template: Path, target: Path) -> None:
    # The backup API copies a consistent image, WAL included.
    with sqlite3.connect(template) as source, sqlite3.connect(target) as destination:
        source.backup(destination)


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind, new for every test."""
    if request.param == "sqlite":
        path = tmp_path / "alinea.db"
        copy_sqlite(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    template = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = cluster.create_database(name, template=template)
    yield url
    if cluster.is_running():
        cluster.drop_database(name)


@pytest.fixture(params=DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of each kind with no tables at all (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = f"e_{uuid.uuid4().hex[:12]}"
    url = cluster.create_database(name)
    yield url
    if cluster.is_running():
        cluster.drop_database(name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret="test-signing-secret",
        pseudonym_keys=("test-pseudonym-key-0123456789abcdefghij",),
        default_locale="es",
        default_timezone="America/Bogota",
    )


@pytest.fixture
def opened_database(database_url: str) -> Iterator[Database]:
    with open_database(database_url) as database:
        yield database


@pytest.fixture
def engine(opened_database: Database):
    return opened_database.engine


@pytest.fixture
def session_factory(opened_database: Database):
    return opened_database.session_factory


@pytest.fixture
def runtime(settings: Settings, opened_database: Database) -> Iterator[Runtime]:
    with open_runtime(settings, database=opened_database) as runtime:
        yield runtime
