"""Ack latency of `/alinea help`: Alinea next to a bare Bolt app, idle and with 20 slow jobs running.

What is measured (`--transport http`, the default): the time from sending a signed slash command until
its HTTP answer (the ack) has been read in full, as `SlackDriver` reports it (`DriverResult.elapsed`).
Slack waits 3 seconds for that answer and shows the person an error after that; Bolt answers 404 itself
when no `ack()` came within those 3 seconds. Those answers are counted under "non-200" (and their ~3 s
are part of the latencies).

With `--transport socket` both apps are connected to the double's Socket Mode server instead, as
`alinea serve` runs (bot/socket_mode.py: two sockets) and as a bare Bolt app runs with Bolt's
`SocketModeHandler` and its defaults (one socket); the time is from the envelope leaving the double
until the app's ack has arrived there (`SocketModeDriver`). Bolt sends no ack at all when `ack()`
came too late, so those are "no answer" (status 0) after the client's 10 s.

Who is measured, in the same process and run, both behind the same HTTP server (`bot.http.HttpServer`,
waitress, 16 threads) and each with a fresh loopback Slack double (`bot.slack_double.SlackDouble`):

* alinea: the real app (`bot.loopback.LoopbackBot`, default settings, one fresh migrated SQLite file
  per run). Its listener reserves a slot on the bounded work queue, acks, and does the work there.
* bare: a typical Bolt app: Bolt's default pool of 5 listener threads, one `/alinea` listener that
  calls `ack()` and then `respond(...)` synchronously in the listener.

Phases (a fresh app and double for each app in each phase):

* idle: 8 clients send `help` as fast as the acks come back.
* 20 slow jobs: 20 background senders keep 20 `help` commands in flight whose response_url answers
  after 2 s (their own SlackDouble, delayed on "response_url"), while the same 8 clients measure.
  A slow job counts as in flight until its answer has reached its response_url; a sender Alinea
  turns away ("busy") tries again 0.1 s later, and the notes say how many were in flight. The measuring
  commands take the same path through each app; only their response_url (on the app's own double)
  answers at once, so that the load stays 20 slow jobs instead of every measured command becoming
  one more. In the bare app the slow `respond` calls hold its 5 listener threads, so acks queue
  behind them; in Alinea they hold work-queue threads only.

"busy" counts Alinea's "busy, try again" acks (its work queue of 200 was full): fast too, but the
command was turned away, so the notes under the table give the latencies without them as well.

Each phase sends `--requests` commands or stops at `--max-seconds`, whichever comes first; `n` in the
table says how many were measured. The clients run in the same process as the servers (one GIL),
which adds the same overhead to both apps; Bolt polls for the ack every 10 ms in both.
Run: `python bench/ack_latency.py [--transport http|socket] [--requests N] [--max-seconds S] [--warmup N] [--quick]`.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import logging
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import App  # noqa: E402
from slack_bolt.adapter.socket_mode import SocketModeHandler  # noqa: E402
from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.http import EVENTS_PATH, HttpServer  # noqa: E402
from bot.serve import settle_heap  # noqa: E402
from bot.loopback import LoopbackBot  # noqa: E402
from bot.slack_double import Driver, SlackDouble, SlackDriver, SocketModeDriver, WaitTimeout  # noqa: E402
from bot.slack_double.socket_mode import SocketModeServer  # noqa: E402
from db import migrations  # noqa: E402

SIGNING_SECRET = "bench-signing-secret"
USER_ID, USER_NAME, CHANNEL_ID, CHANNEL_NAME = "U0ANA", "ana", "C0TEAM", "alineacion"
CLIENTS = 8
SLOW_JOBS = 20
SLOW_RESPONSE_SECONDS = 2.0
BOLT_DEFAULT_LISTENER_THREADS = 5  # what slack_bolt.App creates when given no listener_executor
CLIENT_TIMEOUT = 10.0  # seconds a client waits for an ack before giving up (counted as non-200)
SLOW_JOB_ROUNDS = 1000  # upper bound on the commands one slow sender sends
SLOW_JOB_ANSWER_TIMEOUT = 30.0  # upper bound on the wait for one slow job's answer
BUSY_RETRY_SECONDS = 0.1  # a slow sender turned away ("busy") tries again after this
IN_FLIGHT_SAMPLE_SECONDS = 0.1  # how often the number of slow jobs in flight is sampled
BARE_HELP_TEXT = "help: /alinea help, /alinea glossary…"
MISSED = "missed Slack's 3 s (without an ack() in 3 s Bolt answers 404 over HTTP, sends nothing over Socket Mode)"


@dataclass(frozen=True)
class Sample:
    elapsed: float  # seconds from sending to having read the whole ack
    status: int  # HTTP status; 0 = no answer within CLIENT_TIMEOUT
    busy: bool  # acked with a "try again" message instead of taking the work


@dataclass(frozen=True)
class Row:
    phase: str
    app: str
    samples: list[Sample]
    seconds: float  # wall time of the measurement
    slow_jobs_in_flight: list[int] = field(default_factory=list)  # sampled while measuring

    @property
    def rate(self) -> float:
        return len(self.samples) / self.seconds if self.seconds > 0 else float("nan")

    def latencies_ms(self, *, accepted_only: bool = False) -> list[float]:
        kept = [s for s in self.samples if not (accepted_only and (s.busy or s.status != 200))]
        return sorted(sample.elapsed * 1000 for sample in kept)

    def percentile_ms(self, percent: int, *, accepted_only: bool = False) -> float:
        values = self.latencies_ms(accepted_only=accepted_only)
        if len(values) < 2:
            return values[0] if values else float("nan")
        return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]

    @property
    def non_200(self) -> int:
        return sum(1 for sample in self.samples if sample.status != 200)

    @property
    def busy(self) -> int:
        return sum(1 for sample in self.samples if sample.busy)


@dataclass(frozen=True)
class Endpoint:
    """Where an app hears Slack: its events URL (HTTP) or the Socket Mode server it is connected to."""

    url: str | None = None
    server: SocketModeServer | None = None

    def driver(self, double: SlackDouble) -> Driver:
        """Slack's side towards this app; response_urls (and users) come from `double`."""
        if self.url is not None:
            return SlackDriver(self.url, SIGNING_SECRET, double, timeout=CLIENT_TIMEOUT)
        return SocketModeDriver(double, timeout=CLIENT_TIMEOUT, server=self.server)


@contextmanager
def settled() -> Iterator[None]:
    """What `alinea serve` does once started (bot.serve.settle_heap), done for both apps alike;
    undone after, so the next app's start-up objects are its own."""
    settle_heap()
    try:
        yield
    finally:
        gc.unfreeze()


# --- the two apps --------------------------------------------------------------------------------


def populate(double: SlackDouble) -> SlackDouble:
    double.add_user(USER_ID, name=USER_NAME, locale="en-US")
    double.add_channel(CHANNEL_ID, CHANNEL_NAME)
    return double


@contextmanager
def running_alinea(double: SlackDouble, database_url: str, transport: str) -> Iterator[Endpoint]:
    """Our app, as `alinea serve` runs it (`--http`, or Socket Mode)."""
    settings = Settings(database_url=database_url, slack_bot_token="xoxb-alinea", slack_signing_secret=SIGNING_SECRET)
    bot = LoopbackBot(settings, double=double, transport=transport)
    try:
        with bot, settled():
            yield Endpoint(f"{bot.url}{EVENTS_PATH}") if transport == "http" else Endpoint(server=double.socket_mode)
    finally:
        if hasattr(bot, "app"):  # LoopbackBot leaves Bolt's listener pool running; its threads are idle now
            bot.app.listener_runner.listener_executor.shutdown(wait=True)


def build_bare_app(double: SlackDouble, listener_executor: ThreadPoolExecutor) -> App:
    app = App(
        signing_secret=SIGNING_SECRET,
        client=WebClient(token="xoxb-bare", base_url=double.base_url),
        token_verification_enabled=False,
        listener_executor=listener_executor,
        logger=logging.getLogger("bench.bare"),
    )

    @app.command("/alinea")
    def answer_help(ack, respond) -> None:
        ack()
        respond(text=BARE_HELP_TEXT)

    return app


@contextmanager
def running_bare_bolt(double: SlackDouble, database_url: str, transport: str) -> Iterator[Endpoint]:
    """A typical Bolt app: in the same HTTP server class, or on Bolt's SocketModeHandler with its
    defaults (slack_sdk's built-in client, one socket).

    The executor is Bolt's default (5 threads), created here only so that it can be shut down."""
    executor = ThreadPoolExecutor(max_workers=BOLT_DEFAULT_LISTENER_THREADS, thread_name_prefix="bare-listener")
    app = build_bare_app(double, executor)
    if transport == "socket":
        handler = SocketModeHandler(app, double.app_token)
        handler.connect()
        double.socket_mode.wait_for_connections(1)
        try:
            with settled():
                yield Endpoint(server=double.socket_mode)
        finally:
            handler.close()
            executor.shutdown(wait=True)
        return
    server = HttpServer(SlackRequestHandler(app, path=EVENTS_PATH), host="127.0.0.1", port=0).start()
    try:
        with settled():
            yield Endpoint(f"{server.url}{EVENTS_PATH}")
    finally:
        server.stop()
        executor.shutdown(wait=True)


APPS: dict[str, Callable[[SlackDouble, str, str], ContextManager[Endpoint]]] = {
    "alinea": running_alinea,
    "bare": running_bare_bolt,
}


# --- sending and measuring -------------------------------------------------------------------------


def send_help(driver: Driver) -> Sample:
    started = time.perf_counter()
    try:
        result = driver.slash_command("help", user_id=USER_ID, channel_id=CHANNEL_ID, user_name=USER_NAME)
    except OSError:  # no answer at all (timeout, connection reset)
        return Sample(time.perf_counter() - started, 0, busy=False)
    # A plain ack() has an empty body; Alinea's "busy, try again" ack carries a message.
    return Sample(result.elapsed, result.status, busy=result.status == 200 and bool(result.body))


def warm_up(endpoint: Endpoint, double: SlackDouble, count: int) -> None:
    """Send `count` commands one by one and check each is acked and answered on its response_url."""
    driver = endpoint.driver(double)
    for _ in range(count):
        result = driver.slash_command("help", user_id=USER_ID, channel_id=CHANNEL_ID, user_name=USER_NAME)
        if result.status != 200:
            raise SystemExit(f"warm-up: {endpoint} answered HTTP {result.status} {result.body!r}")
        reply = double.wait_for_response(result.response_url, timeout=CLIENT_TIMEOUT)[0]
        if "Alinea" not in str(reply.params.get("text")) and reply.params.get("text") != BARE_HELP_TEXT:
            raise SystemExit(f"warm-up: unexpected answer {reply.params!r}")


def measure(endpoint: Endpoint, double: SlackDouble, *, requests: int, max_seconds: float) -> tuple[list[Sample], float]:
    """CLIENTS threads send `help` back to back until `requests` were sent or `max_seconds` passed.
    Returns the samples and the seconds it took."""
    driver = endpoint.driver(double)
    started = time.monotonic()
    deadline = started + max_seconds
    samples: list[Sample] = []
    lock = threading.Lock()
    sent = 0

    def take_ticket() -> bool:
        nonlocal sent
        with lock:
            if sent >= requests or time.monotonic() >= deadline:
                return False
            sent += 1
            return True

    def client() -> None:
        while take_ticket():
            sample = send_help(driver)
            with lock:
                samples.append(sample)

    threads = [threading.Thread(target=client, name=f"bench-client-{i}") for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max_seconds + CLIENT_TIMEOUT + 5)
    return samples, time.monotonic() - started


class SlowJobs:
    """Keeps SLOW_JOBS slow `/alinea help` commands in flight against one endpoint.

    Each sender sends a command whose response_url (on `double`, delayed by SLOW_RESPONSE_SECONDS)
    answers slowly, waits until the app's answer has arrived there, and sends the next one."""

    def __init__(self, endpoint: Endpoint, double: SlackDouble, *, max_seconds: float):
        self.double = populate(double)
        self.double.set_delay("response_url", SLOW_RESPONSE_SECONDS)
        self._driver = endpoint.driver(double)
        self._deadline = time.monotonic() + max_seconds
        self._stop = threading.Event()
        self._first_sent = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._in_flight = 0
        self.in_flight_samples: list[int] = []
        self._threads = [
            threading.Thread(target=self._keep_one_in_flight, name=f"slow-job-{i}") for i in range(SLOW_JOBS)
        ]

    def __enter__(self) -> SlowJobs:
        for thread in self._threads:
            thread.start()
        try:
            self._wait_until_all_sent(timeout=CLIENT_TIMEOUT + 5)
        except BaseException:
            self.__exit__()
            raise
        sampler = threading.Thread(target=self._sample_in_flight, name="slow-job-sampler")
        self._threads.append(sampler)
        sampler.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self.double.set_delay("response_url", 0)  # the jobs still in the apps finish quickly now
        for thread in self._threads:
            thread.join(timeout=SLOW_RESPONSE_SECONDS + CLIENT_TIMEOUT + 5)

    def _wait_until_all_sent(self, timeout: float) -> None:
        """Until every sender's first command has been answered by the server (ack or not): from
        then on the app holds SLOW_JOBS slow jobs."""
        deadline = time.monotonic() + timeout
        for _ in range(SLOW_JOBS):
            if not self._first_sent.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise SystemExit("slow jobs: the first commands were not answered in time")

    def _running(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self._deadline

    def _sample_in_flight(self) -> None:
        while self._running():
            with self._lock:
                self.in_flight_samples.append(self._in_flight)
            self._stop.wait(IN_FLIGHT_SAMPLE_SECONDS)

    def _count_in_flight(self, change: int) -> None:
        with self._lock:
            self._in_flight += change

    def _keep_one_in_flight(self) -> None:
        for round_number in range(SLOW_JOB_ROUNDS):
            if not self._running():
                return
            self._count_in_flight(+1)
            try:
                response_url = self._send_one()
                if round_number == 0:
                    self._first_sent.release()
                if response_url is not None:
                    self._wait_for_answer(response_url)
            finally:
                self._count_in_flight(-1)

    def _send_one(self) -> str | None:
        """The response_url to wait on, or None when no answer will come there."""
        try:
            result = self._driver.slash_command("help", user_id=USER_ID, channel_id=CHANNEL_ID, user_name=USER_NAME)
        except OSError:
            return None
        if result.status == 200 and result.body:  # turned away ("busy, try again"): nothing runs
            self._stop.wait(BUSY_RETRY_SECONDS)
            return None
        # Acked, or acked too late (Bolt's 404): either way the listener runs and answers in the end.
        return result.response_url

    def _wait_for_answer(self, response_url: str) -> None:
        try:
            self.double.wait_for_response(response_url, timeout=SLOW_JOB_ANSWER_TIMEOUT)
        except WaitTimeout:
            pass  # counted neither way: the sender moves on, bounded by SLOW_JOB_ROUNDS and the deadline


# --- phases --------------------------------------------------------------------------------------


def run_idle_phase(app: str, database_url: str, args: argparse.Namespace) -> Row:
    with SlackDouble() as double:
        with APPS[app](populate(double), database_url, args.transport) as endpoint:
            warm_up(endpoint, double, args.warmup)
            samples, seconds = measure(endpoint, double, requests=args.requests, max_seconds=args.max_seconds)
    return Row("idle", app, samples, seconds)


def run_slow_jobs_phase(app: str, database_url: str, args: argparse.Namespace) -> Row:
    with SlackDouble() as double, SlackDouble() as slow_double:
        with APPS[app](populate(double), database_url, args.transport) as endpoint:
            warm_up(endpoint, double, args.warmup)
            slow_jobs = SlowJobs(endpoint, slow_double, max_seconds=args.max_seconds + 2 * CLIENT_TIMEOUT)
            with slow_jobs:
                samples, seconds = measure(endpoint, double, requests=args.requests, max_seconds=args.max_seconds)
                in_flight = list(slow_jobs.in_flight_samples)
    return Row(f"{SLOW_JOBS} slow jobs", app, samples, seconds, in_flight)


# --- report --------------------------------------------------------------------------------------


def print_header(args: argparse.Namespace) -> None:
    how = "signed /alinea help" if args.transport == "http" else "/alinea help as Socket Mode envelopes"
    print(
        f"ack latency, {how}, {CLIENTS} concurrent clients, "
        f"{args.requests} requests per phase (or {args.max_seconds:g} s, whichever first)"
    )
    where = ("both apps behind bot.http.HttpServer (waitress)" if args.transport == "http" else
             "alinea on bot/socket_mode.py (2 sockets), bare Bolt on SocketModeHandler's defaults (1 socket)")  # fmt: skip
    print(
        f"Python {platform.python_version()}, slack_bolt {importlib.metadata.version('slack_bolt')}, "
        f"slack_sdk {importlib.metadata.version('slack_sdk')}, waitress {importlib.metadata.version('waitress')}, "
        f"{os.cpu_count()} CPUs; {where}"
    )
    print(
        f"slow job = /alinea help whose response_url answers after {SLOW_RESPONSE_SECONDS:g} s; "
        f"bare Bolt app: {BOLT_DEFAULT_LISTENER_THREADS} listener threads, ack() then respond() in the listener"
    )


def print_table(rows: list[Row]) -> None:
    print(
        f"{'phase':<14} {'app':<7} {'n':>5} {'req/s':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'non-200':>8} {'busy':>5}"
    )
    for row in rows:
        latencies = row.latencies_ms()
        print(
            f"{row.phase:<14} {row.app:<7} {len(row.samples):>5} {row.rate:>6.0f} {row.percentile_ms(50):>8.1f} "
            f"{row.percentile_ms(99):>8.1f} {(latencies[-1] if latencies else float('nan')):>8.1f} "
            f"{row.non_200:>8} {row.busy:>5}"
        )


def print_ratios(rows: list[Row]) -> None:
    by_key = {(row.phase, row.app): row for row in rows}
    parts = []
    for phase, label in (("idle", "idle"), (f"{SLOW_JOBS} slow jobs", f"with {SLOW_JOBS} slow jobs")):
        ours, bare = by_key[(phase, "alinea")], by_key[(phase, "bare")]
        p50, p99 = (ours.percentile_ms(q) / bare.percentile_ms(q) for q in (50, 99))
        parts.append(f"{label} {format_ratio(p50)}, {format_ratio(p99)}")
    print("ratio alinea/bare (p50, p99): " + "; ".join(parts))


def format_ratio(ratio: float) -> str:
    """Two decimals, or enough digits to tell a small ratio from zero."""
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.4f}"


def print_notes(rows: list[Row]) -> None:
    for row in rows:
        if row.slow_jobs_in_flight:
            counts = row.slow_jobs_in_flight
            print(
                f"{row.phase} {row.app}: slow jobs in flight while measuring: min {min(counts)}, "
                f"mean {statistics.fmean(counts):.1f} ({len(counts)} samples)"
            )
        if row.busy:
            print(
                f"{row.phase} {row.app}: {row.busy} of {len(row.samples)} acks were \"busy, try again\" "
                f"(work queue full); the others: p50 {row.percentile_ms(50, accepted_only=True):.1f} ms, "
                f"p99 {row.percentile_ms(99, accepted_only=True):.1f} ms"
            )
    statuses = Counter(sample.status for row in rows for sample in row.samples if sample.status != 200)
    if statuses:
        shown = ", ".join(
            f"{'no answer' if status == 0 else status}: {count}" for status, count in sorted(statuses.items())
        )
        print(f"non-200 = {MISSED}; statuses: {shown}")
    else:
        print(f"non-200 = {MISSED}; none in this run")


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=400, help="measured commands per phase and app (default 400)")
    parser.add_argument(
        "--max-seconds", type=float, default=20.0, help="time cap per phase and app, in seconds (default 20)"
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="unmeasured commands sent first to each app (default 20)"
    )
    parser.add_argument("--quick", action="store_true", help="a tiny run for smoke tests (16 requests, 2 s cap)")
    parser.add_argument("--transport", choices=("http", "socket"), default="http",
                        help="how Slack reaches both apps: signed HTTP (default) or Socket Mode")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.max_seconds, args.warmup = min(args.requests, 16), min(args.max_seconds, 2.0), 3
    if args.requests < 1 or args.max_seconds <= 0 or args.warmup < 0:
        parser.error("--requests must be at least 1, --max-seconds positive, --warmup not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # Bolt warns about every missed ack; the table counts them
    started = time.monotonic()
    print_header(args)
    with tempfile.TemporaryDirectory(prefix="alinea-bench-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrations.upgrade(database_url)
        rows = [run_idle_phase(app, database_url, args) for app in APPS]
        rows += [run_slow_jobs_phase(app, database_url, args) for app in APPS]
    print_table(rows)
    print_ratios(rows)
    print_notes(rows)
    print(f"finished in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
