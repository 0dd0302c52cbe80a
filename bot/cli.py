"""The `alinea` command: serve, db, jobs, glossary, import, demo.

Exit codes: 0 done (a job already done counts), 1 a job failed or an import had rejected rows
(nothing was written), 2 bad settings or arguments.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from bot.config import ConfigError, Settings, load_settings, read_environment, redact_url
from bot.logs import configure_logging

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from db.models import AlignmentTeam

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
    serve.add_argument("--health-port", type=int, default=None,
                       help="Socket Mode: the port of GET /healthz and GET /metrics (default ALINEA_HEALTH_PORT, else 3000; 0 picks a free one)")

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

    glossary = commands.add_parser("glossary", help="the shared glossary as a spreadsheet").add_subparsers(
        dest="glossary_command", required=True
    )
    export = glossary.add_parser("export", help="print one row per term (the version in force, else the pending one)")
    export.add_argument("--team", required=True, help="channel id or name of the alignment team")
    export.add_argument("--format", choices=("json", "csv"), default="json", help="json (default) or csv (UTF-8, comma-separated)")
    load = glossary.add_parser(
        "import", help="add the terms of a CSV (or an exported JSON) file, all rows or none"
    )
    load.add_argument("file", help="CSV as Excel saves it (; or , separated, UTF-8 or Windows-1252), or exported JSON")
    load.add_argument("--team", required=True, help="channel id or name of the alignment team")
    load.add_argument("--as-agreed", action="store_true", help="record the terms as agreed (both sides signed them off already)")
    load.add_argument("--dry-run", action="store_true", help="check every row and print the report; write nothing")

    imports = commands.add_parser("import", help="load data from spreadsheets").add_subparsers(dest="import_command", required=True)
    kpi_values = imports.add_parser("kpis", help="KPI values from a CSV (kpi, value, period[, note, source]), all rows or none")
    kpi_values.add_argument("file", help="CSV as Excel saves it (; or , separated, UTF-8 or Windows-1252, decimal commas)")
    kpi_values.add_argument("--team", required=True, help="channel id or name of the alignment team")
    kpi_values.add_argument("--dry-run", action="store_true", help="check every row and print the report; write nothing")

    tokens = commands.add_parser("tokens", help="the workspaces' Slack tokens stored in OAuth mode").add_subparsers(
        dest="tokens_command", required=True
    )
    tokens.add_parser("rekey", help="re-encrypt every stored token with the first key of ALINEA_TOKEN_KEYS")

    llm = commands.add_parser("llm", help="the model server of the AI summary").add_subparsers(dest="llm_command", required=True)
    llm_check = llm.add_parser("check", help="ask the configured server once in each format and show what Alinea would keep")
    llm_check.add_argument("--language", choices=("es", "en"), help="the sample week's language (default: ALINEA_DEFAULT_LOCALE's)")

    demo = commands.add_parser("demo", help="run Alinea against the built-in Slack double and print what users see")
    demo.add_argument("--database", default="sqlite:///alinea-demo.db", help="where the demo keeps its data")
    demo.add_argument("--output", default="demo-output", help="folder for the posted messages (Block Kit JSON) and chart PNGs")
    demo.add_argument("--transport", choices=("socket", "http"), default="socket",
                      help="how the double's Slack reaches the app: Socket Mode (default, like `serve`) or signed HTTP (like `serve --http`)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()  # text until the settings say otherwise
    try:
        if args.command == "demo":
            from bot.demo import run_demo  # the demo needs no Slack settings at all

            return run_demo(database_url=args.database, output=Path(args.output), transport=args.transport)
        settings = load_settings(read_environment())
        configure_logging(settings.log_format, settings.secret_values(), level=logging.getLevelName(settings.log_level))
        return dispatch(args, settings)
    except ConfigError as error:
        print(f"alinea: configuration error: {error}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(f"alinea: {error}", file=sys.stderr)
        return 2


def dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        if args.health_port is not None:
            settings = replace(settings, health_port=args.health_port)
        return serve(settings, http=args.http, host=args.host, port=args.port)
    if args.command == "db":
        return database(settings, args)
    if args.command == "glossary":
        return glossary(settings, args)
    if args.command == "import":
        return import_kpis(settings, path=Path(args.file), team_ref=args.team, dry_run=args.dry_run)
    if args.command == "tokens":
        return rekey_tokens(settings)
    if args.command == "llm":
        return check_llm(settings, language=args.language)
    return jobs(settings, args)


def check_llm(settings: Settings, *, language: str | None) -> int:
    """`alinea llm check`: exit 0 when some format worked, 1 when none did."""
    from bot.narrators import ModelServer, unmetered_narrator
    from services.llm_check import check, report_lines

    server = ModelServer.from_settings(settings)
    if server is None:
        raise ConfigError("ALINEA_LLM_MODEL", "the model to check, e.g. llama3.1:8b (and OPENAI_BASE_URL for a local server)")
    language = language or ("en" if settings.default_locale.startswith("en") else "es")
    country = "US" if language == "en" else "CO"  # the sample week is in pesos either way
    with unmetered_narrator(server) as narrator:
        reports = check(narrator, language=language, country=country)
    for line in report_lines(reports, server=redact_url(server.base_url), model=server.model):
        print(line)
    return 0 if any(report.worked for report in reports) else 1


def rekey_tokens(settings: Settings) -> int:
    """`alinea tokens rekey`: every stored token (installations and bots) re-encrypted with the
    first key of ALINEA_TOKEN_KEYS, so the keys after it can be dropped (README: key rotation)."""
    from bot.installations import OAUTH_METADATA, BOTS_TABLE, INSTALLATIONS_TABLE, TokenCipher, TokenKeyError, rekey_tables
    from bot.bootstrap import open_database

    if not settings.token_keys:
        raise ConfigError("ALINEA_TOKEN_KEYS", "the Fernet keys, the new one first, then the old ones")
    tables = (OAUTH_METADATA.tables[INSTALLATIONS_TABLE], OAUTH_METADATA.tables[BOTS_TABLE])
    with open_database(settings.database_url) as database:
        try:
            count = rekey_tables(database.engine, TokenCipher(settings.token_keys), tables)
        except TokenKeyError as error:  # nothing was changed: the transaction rolled back
            raise ConfigError("ALINEA_TOKEN_KEYS", f"every key still needed ({error})") from None
    print(f"re-encrypted {count} tokens with the first key of ALINEA_TOKEN_KEYS; the other keys can go now")
    return 0


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
    from bot.bootstrap import open_runtime

    if args.jobs_command == "list":
        name, scope, schedule = (max(len(getattr(spec, field)) for spec in JOBS) for field in ("name", "scope", "schedule"))
        for spec in JOBS:  # columns as wide as their longest entry
            print(f"{spec.name:<{name}}  {spec.scope:<{scope}}  {spec.schedule:<{schedule}}  {spec.description}")
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


def find_team(session: Session, reference: str) -> AlignmentTeam:
    """The one alignment team `reference` (a channel id or a team name) names, or UsageError."""
    from db import repositories

    teams = repositories.teams_matching(session, reference=reference)
    by_channel = [team for team in teams if team.channel_id == reference]
    if len(by_channel) == 1:  # a channel id beats another workspace's team that happens to have it as name
        return by_channel[0]
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise UsageError(f"no alignment team with channel id or name {reference!r}")
    found = "; ".join(f"{team.name!r} (channel {team.channel_id}, workspace {team.workspace.slack_team_id})" for team in teams)
    raise UsageError(f"{reference!r} names teams in several workspaces: {found}; pass --team with the channel id of the one you mean")


def glossary(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_runtime

    with open_runtime(settings) as runtime:
        if args.glossary_command == "export":
            return glossary_export(runtime.session_factory, team_ref=args.team, format=args.format)
        return glossary_import(
            runtime.session_factory, path=Path(args.file), team_ref=args.team, as_agreed=args.as_agreed, dry_run=args.dry_run
        )


def glossary_export(session_factory, *, team_ref: str, format: str) -> int:
    import json

    from db.session import read_only
    from domain.spreadsheet import write_csv
    from services.glossary_io import EXPORT_COLUMNS, export_terms

    with read_only(session_factory) as session:
        rows = export_terms(session, team=find_team(session, team_ref))
    if format == "csv":
        write_stdout(write_csv(EXPORT_COLUMNS, rows))
    else:
        write_stdout(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    return 0


def glossary_import(session_factory, *, path: Path, team_ref: str, as_agreed: bool, dry_run: bool) -> int:
    from bot.runtime import utc_now
    from domain.errors import UserError
    from domain.spreadsheet import read_records, read_table
    from services.glossary_io import import_terms
    from services.i18n import t

    with session_factory() as session:
        team = find_team(session, team_ref)
        locale, team_name = team.locale, team.name
        try:
            data = path.read_bytes()
        except OSError as error:
            raise UsageError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
        try:
            table = read_records(data) if _is_json(path, data) else read_table(data)
            report = import_terms(session, team=team, table=table, actor="cli", now=utc_now(), as_agreed=as_agreed)
        except UserError as error:
            raise UsageError(t(locale, error.message_id, **error.params)) from None
        if report.ok and not dry_run:
            session.commit()
        else:
            session.rollback()
    total = len(report.accepted) + len(report.rejected)
    if not report.ok:
        print(t(locale, "glossary.import.report_rejected", rejected=len(report.rejected), total=total))
        for line, message_id, params in report.rejected:
            print(f"line {line}: {t(locale, message_id, **params)}")
        if report.accepted:
            print(t(locale, "glossary.import.report_valid_rows"))
    else:
        if dry_run:
            summary = "glossary.import.report_dry_run_agreed" if as_agreed else "glossary.import.report_dry_run"
        else:
            summary = "glossary.import.report_agreed" if as_agreed else "glossary.import.report_pending"
        print(t(locale, summary, count=len(report.accepted), team=team_name))
    for line, term in report.accepted:
        print(f"line {line}: {term}")
    for line, message_id, params in report.unchanged:
        print(f"line {line}: {t(locale, message_id, **params)}")
    return 0 if report.ok else 1


def import_kpis(settings: Settings, *, path: Path, team_ref: str, dry_run: bool) -> int:
    """`alinea import kpis FILE --team T [--dry-run]`: check every row; write all of them or none."""
    from bot.runtime import utc_now
    from bot.bootstrap import open_runtime
    from db.session import read_only
    from domain.errors import UserError
    from domain.spreadsheet import read_table
    from services import kpi_import
    from services.i18n import t

    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
    now = utc_now()
    with open_runtime(settings) as runtime, (read_only(runtime.session_factory) if dry_run else runtime.session_factory()) as session:
        team = find_team(session, team_ref)
        locale, team_name, today = team.locale, team.name, kpi_import.team_today(team, now)
        try:
            table = read_table(data)
            if dry_run:
                report = kpi_import.check(session, team=team, table=table, today=today, actor="cli")
            else:
                report = kpi_import.commit(session, team=team, table=table, today=today, actor="cli", now=now)
        except UserError as error:
            raise UsageError(t(locale, error.message_id, **error.params)) from None
        if report.committed:
            session.commit()
        else:
            session.rollback()
    if not report.ok:
        print(t(locale, "kpi_import.report_rejected", rejected=len(report.rejected), total=report.total))
        for line, message_id, params in report.rejected:
            print(f"line {line}: {t(locale, message_id, **params)}")
        if report.accepted:
            print(t(locale, "kpi_import.report_valid_rows"))
    else:
        counts = {outcome: report.count(outcome) for outcome in (kpi_import.RECORDED, kpi_import.REPLACED, kpi_import.UNCHANGED)}
        summary = "kpi_import.report_committed" if report.committed else "kpi_import.report_dry_run"
        print(t(locale, summary, count=len(report.accepted), team=team_name, **counts))
    outcomes = {
        kpi_import.RECORDED: "kpi_import.outcome.recorded",
        kpi_import.UNCHANGED: "kpi_import.outcome.unchanged",
        kpi_import.REPLACED: "kpi_import.outcome.replaced",
    }
    for row in report.accepted:
        source = f" [{row.source}]" if row.source != kpi_import.DEFAULT_SOURCE else ""
        outcome = t(locale, outcomes[row.outcome], previous=row.previous or "")
        print(f"line {row.line}: {row.kpi} {row.period} = {row.shown} ({outcome}){source}")
    return 0 if report.ok else 1


def _is_json(path: Path, data: bytes) -> bool:
    return path.suffix.lower() == ".json" or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")


def write_stdout(text: str) -> None:
    """UTF-8 whatever the terminal's locale, and no newline translation: the output is a file."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def serve(settings: Settings, *, http: bool, host: str, port: int) -> int:
    from bot.bootstrap import open_runtime
    from bot.serve import serve_http, serve_socket_mode
    from db import migrations

    if http:
        settings.require_http_credentials()
    elif settings.oauth_enabled:
        raise UsageError("OAuth mode (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set) serves Slack's HTTP mode: add --http")
    elif not settings.slack_app_token:
        raise UsageError("serve needs --http (Slack's HTTP mode) or SLACK_APP_TOKEN (Socket Mode)")
    else:
        settings.require_socket_mode_credentials()
    if not settings.pseudonym_keys:  # said at start, not only to the first person who asks to be erased
        logger.warning("ALINEA_PSEUDONYM_KEYS is not set: `/alinea data me` cannot erase anyone until it is (README: Your data)")
    migrations.upgrade(settings.database_url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # waitress and Bolt stop cleanly on SystemExit
    with open_runtime(settings) as runtime:
        if http:
            return serve_http(runtime, host=host, port=port)
        return serve_socket_mode(runtime, host=host)


if __name__ == "__main__":
    raise SystemExit(main())
