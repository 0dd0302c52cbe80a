"""The throwaway PostgreSQL server used by the PostgreSQL tests (tests/support/postgres.py)."""

from __future__ import annotations

import importlib
import uuid
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from tests.support.postgres import PostgresCluster

# Provides the `postgres_cluster` fixture even without the top-level conftest; registering
# the plugin twice is harmless.  The module is deliberately not imported at module level
# before that, so pytest can still rewrite its asserts.
pytest_plugins = ["tests.support.postgres"]


@pytest.fixture
def pg_support() -> ModuleType:
    return importlib.import_module("tests.support.postgres")


def _scalar(url: str, query: str) -> object:
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def _unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------- the server


@pytest.mark.postgres
def test_fixture_yields_a_working_server(postgres_cluster: PostgresCluster) -> None:
    assert postgres_cluster.is_running()
    url = postgres_cluster.admin_url()
    assert url == f"postgresql+psycopg://alinea@127.0.0.1:{postgres_cluster.port}/postgres"
    version = _scalar(url, "SELECT version()")
    assert isinstance(version, str) and version.startswith("PostgreSQL")
    assert _scalar(url, "SHOW fsync") == "off"
    assert _scalar(url, "SHOW server_encoding") == "UTF8"
    assert _scalar(url, "SELECT current_user") == "alinea"


@pytest.mark.postgres
def test_create_and_drop_database(postgres_cluster: PostgresCluster) -> None:
    name = _unique_name("alinea_t")
    url = postgres_cluster.create_database(name)
    assert url == postgres_cluster.admin_url(name)
    assert _scalar(url, "SELECT current_database()") == name

    # WITH (FORCE): an open session does not prevent the drop.
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            postgres_cluster.drop_database(name)
    except OperationalError:
        pass  # our session was terminated by the forced drop, as intended
    finally:
        engine.dispose()

    count = _scalar(
        postgres_cluster.admin_url(),
        f"SELECT count(*) FROM pg_database WHERE datname = '{name}'",
    )
    assert count == 0
    postgres_cluster.drop_database(name)  # dropping a missing database is not an error


@pytest.mark.postgres
def test_create_database_from_template(postgres_cluster: PostgresCluster) -> None:
    template = _unique_name("alinea_tpl")
    copy = _unique_name("alinea_copy")
    template_url = postgres_cluster.create_database(template)
    try:
        engine = create_engine(template_url, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE marker (id int PRIMARY KEY)"))
            conn.execute(text("INSERT INTO marker VALUES (42)"))
        engine.dispose()
        copy_url = postgres_cluster.create_database(copy, template=template)
        assert _scalar(copy_url, "SELECT id FROM marker") == 42
    finally:
        postgres_cluster.drop_database(copy)
        postgres_cluster.drop_database(template)


@pytest.mark.postgres
def test_stop_makes_the_database_unreachable_and_start_brings_it_back(
    postgres_cluster: PostgresCluster,
) -> None:
    port = postgres_cluster.port
    url = postgres_cluster.admin_url()
    try:
        postgres_cluster.stop()
        assert not postgres_cluster.is_running()
        postgres_cluster.stop()  # stopping a stopped server is a no-op
        with pytest.raises(OperationalError):
            _scalar(url, "SELECT 1")

        postgres_cluster.start()
        assert postgres_cluster.is_running()
        assert postgres_cluster.port == port
        assert postgres_cluster.admin_url() == url
        assert _scalar(url, "SELECT 1") == 1

        postgres_cluster.restart()
        assert postgres_cluster.port == port
        assert _scalar(url, "SELECT 1") == 1
    finally:
        postgres_cluster.start()  # leave the shared server running for the other tests


# --------------------------------------------------------------------------- skip or fail


def test_missing_binaries_skip_the_tests(
    monkeypatch: pytest.MonkeyPatch, pg_support: ModuleType
) -> None:
    monkeypatch.setattr(pg_support, "find_pg_bin", lambda: None)
    monkeypatch.delenv(pg_support.REQUIRE_ENV_VAR, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"):
        pg_support.postgres_cluster_or_skip()


@pytest.mark.parametrize("value", ["1", "true"])
def test_missing_binaries_fail_when_postgres_is_required(
    monkeypatch: pytest.MonkeyPatch, pg_support: ModuleType, value: str
) -> None:
    monkeypatch.setattr(pg_support, "find_pg_bin", lambda: None)
    monkeypatch.setenv(pg_support.REQUIRE_ENV_VAR, value)
    with pytest.raises(pytest.fail.Exception, match="apt-get install postgresql"):
        pg_support.postgres_cluster_or_skip()


def test_require_variable_set_to_zero_still_skips(
    monkeypatch: pytest.MonkeyPatch, pg_support: ModuleType
) -> None:
    monkeypatch.setattr(pg_support, "find_pg_bin", lambda: None)
    monkeypatch.setenv(pg_support.REQUIRE_ENV_VAR, "0")
    with pytest.raises(pytest.skip.Exception):
        pg_support.postgres_cluster_or_skip()


def test_find_pg_bin_falls_back_to_the_newest_debian_version(
    monkeypatch: pytest.MonkeyPatch, pg_support: ModuleType, tmp_path: Path
) -> None:
    for version in ("9.6", "13", "16"):
        bin_dir = tmp_path / version / "bin"
        bin_dir.mkdir(parents=True)
        for tool in ("initdb", "pg_ctl"):
            (bin_dir / tool).write_text("#!/bin/sh\n")
            (bin_dir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(pg_support, "_PG_LIB_ROOT", tmp_path)
    assert pg_support.find_pg_bin() == tmp_path / "16" / "bin"

    monkeypatch.setattr(pg_support, "_PG_LIB_ROOT", tmp_path / "missing")
    assert pg_support.find_pg_bin() is None
