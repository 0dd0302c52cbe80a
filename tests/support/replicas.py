"""Several `alinea serve` replicas as operators run them: real subprocesses on loopback ports
(Slack's HTTP mode, or Socket Mode with a health port each), one database, one Slack (a
`SlackDouble` given as SLACK_API_URL). Used by tests/integration/test_replicas.py and bench/replicas.py.

Each process writes its stdout and stderr to files (a pipe nobody reads would fill up and stall
a busy process), so a test can read what each replica logged, while it runs and after.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
ALINEA = [sys.executable, "-m", "bot.cli"]
STOP_TIMEOUT_S = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alinea_environment(*, database_url: str, slack_api_url: str, bot_token: str, signing_secret: str,
                       app_token: str | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment without our own variables, then exactly the settings given
    (`app_token`, Socket Mode's, as SLACK_APP_TOKEN)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ALINEA_", "DATABASE_URL"))}
    environment.update({
        "DATABASE_URL": database_url, "SLACK_API_URL": slack_api_url, "SLACK_BOT_TOKEN": bot_token,
        "SLACK_SIGNING_SECRET": signing_secret, "PYTHONPATH": str(ROOT), **(extra or {}),
    })  # fmt: skip
    if app_token:
        environment["SLACK_APP_TOKEN"] = app_token
    return environment


@dataclass
class AlineaProcess:
    """One `alinea …` subprocess with its output in files."""

    name: str
    process: subprocess.Popen
    stdout_path: Path
    stderr_path: Path

    @classmethod
    def start(cls, name: str, args: Sequence[str], *, env: dict[str, str], workdir: Path) -> AlineaProcess:
        workdir.mkdir(parents=True, exist_ok=True)
        stdout_path, stderr_path = workdir / f"{name}.out", workdir / f"{name}.err"
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [*ALINEA, *args], env=env, cwd=workdir, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
            )  # the child keeps its own copies of the descriptors
        return cls(name, process, stdout_path, stderr_path)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            raise AssertionError(f"{self.name} did not finish within {timeout:g} s; stderr:\n{self.stderr[-4000:]}") from None

    def stop(self) -> int:
        """SIGTERM (serve stops cleanly on it), then SIGKILL if it hangs; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode


@dataclass
class Replica(AlineaProcess):
    port: int = 0  # HTTP mode: Slack's endpoint and /healthz; Socket Mode: the health port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    def wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited early ({self.process.returncode}):\n{self.stderr[-4000:]}")
            try:
                with urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except (URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise AssertionError(f"{self.name} never answered GET /healthz:\n{self.stderr[-4000:]}")


class Replicas:
    """`count` `alinea serve` processes started together, each on its own loopback port:
    `transport="http"` serves Slack's HTTP mode there, `"socket"` connects in Socket Mode (the
    environment needs SLACK_APP_TOKEN) and serves only /healthz and /metrics there.

        with Replicas(3, env=env, workdir=tmp_path) as replicas:
            for replica in replicas: ...

    `start()` only launches them (to race something else against their start-up); `__enter__`
    launches and waits until every one answers GET /healthz. On exit each gets SIGTERM."""

    def __init__(self, count: int, *, env: dict[str, str], workdir: Path, startup_timeout: float = 60, transport: str = "http"):
        self.count, self.env, self.workdir, self.startup_timeout = count, env, workdir, startup_timeout
        self.transport = transport
        self.replicas: list[Replica] = []
        self.exit_codes: list[int] = []

    def start(self) -> Replicas:
        for index in range(self.count):
            port = free_port()
            mode = ["--http", "--port", str(port)] if self.transport == "http" else ["--health-port", str(port)]
            started = AlineaProcess.start(
                f"replica-{index}", ["serve", "--host", "127.0.0.1", *mode], env=self.env, workdir=self.workdir,
            )  # fmt: skip
            self.replicas.append(Replica(started.name, started.process, started.stdout_path, started.stderr_path, port=port))
        return self

    def wait_healthy(self) -> Replicas:
        deadline = time.monotonic() + self.startup_timeout
        for replica in self.replicas:
            replica.wait_healthy(deadline)
        return self

    def stop(self) -> list[int]:
        self.exit_codes = [replica.stop() for replica in self.replicas]
        return self.exit_codes

    def __enter__(self) -> Replicas:
        if not self.replicas:
            self.start()
        try:
            return self.wait_healthy()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __iter__(self):
        return iter(self.replicas)

    def __len__(self) -> int:
        return len(self.replicas)

    def __getitem__(self, index: int) -> Replica:
        return self.replicas[index]
