"""The `alinea` command: serve, db, jobs, demo.

Exit codes: 0 done (a job already done counts), 1 a job failed, 2 bad settings or arguments.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from datetime import datetime
from typing import Sequence

from bot.config import ConfigError, Settings, load_settings, read_environment, redact_url

logger = logging.getLogger("alinea")


class UsageError(Exception):
    """Bad arguments: printed, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alinea", description="Alinea: marketing and sales alignment in Slack.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the bot (Socket Mode, or HTTP with --http)")
    serve.add_argument("--http", action="store_true", help="serve Slack's HTTP mode on POST /slack/events")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)

    db = commands.add_parser("db", help="database migrations").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply every pending migration")
    downgrade = db.add_parser("downgrade", help="go back to a revision (e.g. base, or -1)")
    downgrade.add_argument("revision")

    jobs = commands.add_parser("jobs", help="scheduled jobs").add_subparsers(dest="jobs_command", required=True)
    jobs.add_parser("list", help="every recurring job and its schedule")
    run = jobs.add_parser("run", help="run a job once, as if the scheduler fired at --at")
    run.add_argument("job")
    run.add_argument("--team", help="channel id or name of an alignment team (default: every team)")
    run.add_argument("--at", help="ISO-8601 instant with offset, e.g. 2026-01-12T09:00-05:00 (default: now)")

    demo = commands.add_parser("demo", help="run Alinea against the built-in Slack double and print what users see")
    demo.add_argument("--database", default="sqlite:///alinea-demo.db", help="where the demo keeps its data")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        if args.command == "demo":
            from bot.demo import run_demo  # the demo needs no Slack settings at all

            return run_demo(database_url=args.database)
        settings = load_settings(read_environment())
        return dispatch(args, settings)
    except ConfigError as error:
        print(f"alinea: configuration error: {error}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(f"alinea: {error}", file=sys.stderr)
        return 2


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        return serve(settings, http=args.http, host=args.host, port=args.port)
    if args.command == "db":
        return database(settings, args)
    return jobs(settings, args)


def database(settings: Settings, args: argparse.Namespace) -> int:
    from db import migrations

    if args.db_command == "upgrade":
        migrations.upgrade(settings.database_url)
    else:
        migrations.downgrade(settings.database_url, args.revision)
    print(f"database at {redact_url(settings.database_url)}: {args.db_command} done")
    return 0


def parse_at(value: str | None) -> datetime:
    from bot.runtime import utc_now

    if value is None:
        return utc_now()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--at: expected an ISO-8601 instant such as 2026-01-12T09:00-05:00, got {value!r}") from None
    if at.tzinfo is None:
        raise UsageError(f"--at: {value!r} has no UTC offset; add one, e.g. {value}-05:00")
    return at


def jobs(settings: Settings, args: argparse.Namespace) -> int:
    from bot.jobs import JobError, run_job
    from bot.scheduler import JOBS, job_named
    from bot.wiring import open_runtime

    if args.jobs_command == "list":
        for spec in JOBS:
            print(f"{spec.name:<28} {spec.scope:<10} {spec.schedule:<28} {spec.description}")
        return 0
    spec = job_named(args.job)
    if spec is None:
        raise UsageError(f"unknown job {args.job!r}; `alinea jobs list` shows them: {', '.join(s.name for s in JOBS)}")
    at = parse_at(args.at)
    with open_runtime(settings) as runtime:
        try:
            results = run_job(runtime, spec, at=at, team_ref=args.team)
        except JobError as error:
            raise UsageError(str(error)) from None
    for result in results:
        print(result.line())
    if not results:
        print(f"{spec.name}: nothing due at {at.isoformat()}")
    return 1 if any(result.outcome.value == "failed" for result in results) else 0


def serve(settings: Settings, *, http: bool, host: str, port: int) -> int:
    from bot.wiring import open_runtime, serve_http, serve_socket_mode
    from db import migrations

    if http:
        settings.require_http_credentials()
    elif not settings.slack_app_token:
        raise UsageError("serve needs --http (Slack's HTTP mode) or SLACK_APP_TOKEN (Socket Mode)")
    else:
        settings.require_socket_mode_credentials()
    migrations.upgrade(settings.database_url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # waitress and Bolt stop cleanly on SystemExit
    with open_runtime(settings) as runtime:
        if http:
            return serve_http(runtime, host=host, port=port)
        return serve_socket_mode(runtime)


if __name__ == "__main__":
    raise SystemExit(main())
