"""A throwaway PostgreSQL server for the test suite.

``PostgresCluster`` runs ``initdb`` into a fresh temporary directory and starts a
private ``postgres`` on 127.0.0.1 with a free TCP port, with durability switched
off (fsync, synchronous_commit, full_page_writes) because the data is thrown away.
Nothing is installed or changed system-wide, and no existing server is touched.

``initdb`` refuses to run as root.  When the tests run as root (CI containers),
the server binaries are run as the ``postgres`` user if it exists, else as
``nobody``, and the temporary directory is handed over to that user.

The module is also a pytest plugin: ``pytest_plugins = ["tests.support.postgres"]``
in the top-level conftest provides the session-scoped ``postgres_cluster`` fixture.
If the server binaries are not installed the tests that use it are skipped, unless
``ALINEA_REQUIRE_POSTGRES=1`` is set (as ``.ci/run`` does), in which case they fail.
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "PostgresCluster",
    "PostgresClusterError",
    "PostgresNotFound",
    "REQUIRE_ENV_VAR",
    "SKIP_REASON",
    "find_pg_bin",
    "postgres_cluster",
    "postgres_cluster_or_skip",
    "postgres_required",
]

SUPERUSER = "alinea"
HOST = "127.0.0.1"
REQUIRE_ENV_VAR = "ALINEA_REQUIRE_POSTGRES"
SKIP_REASON = (
    "PostgreSQL server binaries not found; install them "
    "(Debian: apt-get install postgresql) to run the PostgreSQL tests"
)

_PG_LIB_ROOT = Path("/usr/lib/postgresql")
_PG_CTL_TIMEOUT = 30  # seconds, passed to pg_ctl -t
_SUBPROCESS_TIMEOUT = _PG_CTL_TIMEOUT + 30
# Environment variables that could point the server tools somewhere else.
_PG_ENV_VARS = ("PGDATA", "PGPORT", "PGHOST", "PGHOSTADDR", "PGUSER", "PGDATABASE", "PGOPTIONS")


class PostgresClusterError(RuntimeError):
    """The throwaway server could not be initialised, started or stopped."""


class PostgresNotFound(PostgresClusterError):
    """No ``initdb``/``pg_ctl`` binaries were found."""


# --------------------------------------------------------------------------- binaries


def _has_server_tools(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def _version_key(path: Path) -> tuple[int, ...]:
    # "/usr/lib/postgresql/15/bin" -> (15,); "9.6" -> (9, 6); non-numeric sorts first.
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (-1,)


def find_pg_bin() -> Path | None:
    """Directory holding ``initdb`` and ``pg_ctl``, or None if they are not installed.

    ``initdb`` on PATH wins (when ``pg_ctl`` sits next to it, or via its symlink
    target); otherwise the newest ``/usr/lib/postgresql/<version>/bin`` (Debian layout).
    """
    on_path = shutil.which("initdb")
    if on_path:
        candidate = Path(on_path).parent
        if _has_server_tools(candidate):
            return candidate
        resolved = Path(on_path).resolve().parent
        if _has_server_tools(resolved):
            return resolved
    try:
        versions = [d / "bin" for d in _PG_LIB_ROOT.iterdir() if _has_server_tools(d / "bin")]
    except OSError:
        versions = []
    if versions:
        return max(versions, key=_version_key)
    return None


# --------------------------------------------------------------------------- helpers


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _run_as_user() -> pwd.struct_passwd | None:
    """The account to run the server tools as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresClusterError(
        "running as root, and neither a 'postgres' nor a 'nobody' user exists "
        "to run initdb/pg_ctl as (initdb refuses to run as root)"
    )


def _traversable_by(path: Path, account: pwd.struct_passwd) -> bool:
    """Whether ``account`` can reach ``path`` (search permission on every ancestor)."""
    for directory in [path, *path.parents]:
        try:
            st = directory.stat()
        except OSError:
            return False
        if st.st_uid == account.pw_uid:
            bit = 0o100
        elif st.st_gid == account.pw_gid:
            bit = 0o010
        else:
            bit = 0o001
        if not st.st_mode & bit:
            return False
    return True


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log at {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


# --------------------------------------------------------------------------- cluster

_live_clusters: set[PostgresCluster] = set()


@atexit.register
def _cleanup_live_clusters() -> None:
    # Last line of defence when a test run ends without its fixture teardown.
    for cluster in list(_live_clusters):
        try:
            cluster.cleanup()
        except Exception:  # pragma: no cover - best effort at interpreter exit
            pass


class PostgresCluster:
    """A private PostgreSQL server in a temporary directory, listening on 127.0.0.1.

    Usage::

        with PostgresCluster() as pg:
            engine = create_engine(pg.admin_url())

    ``stop()``/``start()`` keep the data directory and the port, so tests can make the
    database unreachable and bring it back.  ``cleanup()`` stops the server and deletes
    every file; it is also run at interpreter exit for clusters not cleaned up.
    """

    def __init__(self, bin_dir: Path | str | None = None) -> None:
        found = Path(bin_dir) if bin_dir is not None else find_pg_bin()
        if found is None:
            raise PostgresNotFound(SKIP_REASON)
        if not _has_server_tools(found):
            raise PostgresNotFound(f"no initdb/pg_ctl in {found}")
        self.bin_dir: Path = found
        self._account = _run_as_user()
        self._base: Path | None = None
        self._port: int | None = None

    # ----------------------------------------------------------------- properties

    @property
    def port(self) -> int:
        if self._port is None:
            raise PostgresClusterError("the cluster has not been started yet")
        return self._port

    @property
    def base_dir(self) -> Path:
        """The temporary directory holding data, socket and log (created on demand)."""
        if self._base is None:
            self._base = self._make_base_dir()
        return self._base

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sock"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "postgresql.log"

    @property
    def run_as(self) -> str:
        """Name of the account the server runs as."""
        if self._account is not None:
            return self._account.pw_name
        return pwd.getpwuid(os.geteuid()).pw_name

    # ----------------------------------------------------------------- URLs

    def admin_url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL for the superuser ``alinea`` (trust auth, no password)."""
        return f"postgresql+psycopg://{SUPERUSER}@{HOST}:{self.port}/{dbname}"

    def conninfo(self, dbname: str = "postgres") -> str:
        """libpq connection string for ``psycopg.connect``."""
        return f"host={HOST} port={self.port} user={SUPERUSER} dbname={dbname} connect_timeout=5"

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> PostgresCluster:
        """Initialise (first time only) and start the server; no-op if already running."""
        if self._base is not None and self.is_running():
            return self
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        _live_clusters.add(self)
        if self._port is not None:
            # Restart: same data directory, same port.
            self._pg_ctl_start(self._port)
            return self
        attempts = 3  # a freshly picked port can be taken by someone else meanwhile
        for attempt in range(1, attempts + 1):
            port = _free_port()
            try:
                self._pg_ctl_start(port)
            except PostgresClusterError as exc:
                if attempt < attempts and "could not bind" in str(exc):
                    continue
                raise
            self._port = port
            return self
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``smart``, ``fast`` or ``immediate``); no-op if not running."""
        if mode not in ("smart", "fast", "immediate"):
            raise ValueError(f"unknown shutdown mode {mode!r}")
        if self._base is None or not self.is_running():
            return
        result = self._run(
            "pg_ctl", "-D", self.data_dir, "-m", mode, "-w", "-t", str(_PG_CTL_TIMEOUT), "stop"
        )
        if result.returncode != 0 and self.is_running():
            raise PostgresClusterError(self._failure("pg_ctl stop", result))

    def restart(self) -> PostgresCluster:
        """Stop, then start again on the same data directory and port."""
        self.stop()
        return self.start()

    def is_running(self) -> bool:
        if self._base is None or not (self.data_dir / "PG_VERSION").exists():
            return False
        # pg_ctl status: 0 = running, 3 = not running, 4 = no usable data directory.
        return self._run("pg_ctl", "-D", self.data_dir, "status").returncode == 0

    def cleanup(self) -> None:
        """Stop the server and delete the temporary directory.  Safe to call twice."""
        try:
            if self._base is not None:
                try:
                    self.stop("fast")
                except PostgresClusterError:
                    self.stop("immediate")
        finally:
            if self._base is not None:
                shutil.rmtree(self._base, ignore_errors=True)
                self._base = None
            _live_clusters.discard(self)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        state = "running" if self._base is not None and self.is_running() else "stopped"
        return f"<PostgresCluster {self.bin_dir} port={self._port} {state}>"

    # ----------------------------------------------------------------- databases

    def create_database(self, name: str, template: str | None = None) -> str:
        """``CREATE DATABASE name [TEMPLATE template]``; returns the database's URL.

        The template must have no open connections while it is copied.
        """
        from psycopg import sql

        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self._admin_execute(statement)
        return self.admin_url(name)

    def drop_database(self, name: str) -> None:
        """Drop the database if it exists, disconnecting its sessions (``WITH (FORCE)``)."""
        from psycopg import sql

        self._admin_execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def _admin_execute(self, statement: Any) -> None:
        import psycopg

        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(statement)

    # ----------------------------------------------------------------- internals

    def _make_base_dir(self) -> Path:
        parent: str | None = None
        if self._account is not None and not _traversable_by(
            Path(tempfile.gettempdir()), self._account
        ):
            # e.g. TMPDIR under /root: the unprivileged server could not reach it.
            parent = "/tmp"
            if not _traversable_by(Path(parent), self._account):
                raise PostgresClusterError(
                    f"no temporary directory reachable by user {self._account.pw_name!r}"
                )
        base = Path(tempfile.mkdtemp(prefix="alinea-pg-", dir=parent))
        (base / "sock").mkdir()
        if self._account is not None:
            for path in (base, base / "sock"):
                os.chown(path, self._account.pw_uid, self._account.pw_gid)
        return base

    def _initdb(self) -> None:
        result = self._run(
            "initdb",
            "-D", self.data_dir,
            "-U", SUPERUSER,
            "-A", "trust",
            "--encoding", "UTF8",
            "--no-locale",
            "--no-sync",
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresClusterError(self._failure("initdb", result, log=False))

    def _pg_ctl_start(self, port: int) -> None:
        options = " ".join(
            [
                f"-p {port}",
                f"-c listen_addresses={HOST}",
                f"-k {self.socket_dir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        result = self._run(
            "pg_ctl",
            "-D", self.data_dir,
            "-w",
            "-t", str(_PG_CTL_TIMEOUT),
            "-l", self.log_file,
            "-o", options,
            "start",
        )  # fmt: skip
        if result.returncode != 0:
            raise PostgresClusterError(self._failure(f"pg_ctl start (port {port})", result))

    def _run(self, tool: str, *args: object) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in _PG_ENV_VARS}
        env.update(LC_ALL="C", LANG="C")
        kwargs: dict[str, Any] = {}
        if self._account is not None:
            kwargs.update(
                user=self._account.pw_uid,
                group=self._account.pw_gid,
                extra_groups=[],
            )
            env.update(HOME=str(self.base_dir), USER=self._account.pw_name,
                       LOGNAME=self._account.pw_name)  # fmt: skip
        try:
            return subprocess.run(
                [str(self.bin_dir / tool), *map(str, args)],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                env=env,
                cwd=self.base_dir,  # must be accessible to the (unprivileged) user
                timeout=_SUBPROCESS_TIMEOUT,
                check=False,
                **kwargs,
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresClusterError(
                f"{tool} timed out after {exc.timeout}s\n--- log tail ---\n{_tail(self.log_file)}"
            ) from exc

    def _failure(
        self, what: str, result: subprocess.CompletedProcess[str], *, log: bool = True
    ) -> str:
        parts = [
            f"{what} failed with exit code {result.returncode} "
            f"(binaries {self.bin_dir}, running as {self.run_as})",
        ]
        output = (result.stdout + result.stderr).strip()
        if output:
            parts.append(f"--- output ---\n{output}")
        if log:
            parts.append(f"--- log tail ({self.log_file}) ---\n{_tail(self.log_file)}")
        return "\n".join(parts)


# --------------------------------------------------------------------------- pytest


def postgres_required() -> bool:
    """Whether missing PostgreSQL binaries must fail the run instead of skipping."""
    return _truthy(os.environ.get(REQUIRE_ENV_VAR))


def postgres_cluster_or_skip() -> PostgresCluster:
    """Start a cluster, or skip the calling test when PostgreSQL is not installed.

    With ``ALINEA_REQUIRE_POSTGRES=1`` (CI) a missing installation fails instead.
    A server that is installed but does not start is always an error.
    The caller owns the returned cluster and must ``cleanup()`` it.
    """
    if find_pg_bin() is None:
        if postgres_required():
            pytest.fail(f"{SKIP_REASON} ({REQUIRE_ENV_VAR}=1 is set, so this is an error)")
        pytest.skip(SKIP_REASON)
    cluster = PostgresCluster()
    try:
        cluster.start()
    except BaseException:
        cluster.cleanup()
        raise
    return cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL server for the whole test session."""
    cluster = postgres_cluster_or_skip()
    try:
        yield cluster
    finally:
        cluster.cleanup()
