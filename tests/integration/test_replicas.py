"""Three `alinea serve` replicas on one PostgreSQL database, as operators deploy them: real
subprocesses on loopback ports, each with its own scheduler, one Slack double in this process
as SLACK_API_URL. Each test runs on both transports: `serve --http` replicas behind their own
ports, and Socket Mode replicas holding two sockets each to the double, which spreads envelopes
across all six. Whatever lands on which replica, and however often, each effect happens once:

- 100 events, each delivered three times at once, each delivery to a different replica (the
  repeats carry X-Slack-Retry-Num 1 and 2, as Slack's retries do): a CSV shared in a DM with the
  bot, whose effect is visible in Slack (the check posted back in the DM). Each event's
  `event_id` is claimed in `processed_events` before any work, so one delivery does the work
  and the other two log "already handled".
- 50 teams whose weekly agendas are due at the same instant: `serve` starts its scheduler, and
  the agenda jobs fire once at start-up, so the three replicas starting together race for the
  50 agendas, joined by three `alinea jobs run weekly-agenda --at NOW` processes. Each agenda
  is a row in `agendas` unique on (team, kind, period): 50 parents in Slack, 50 rows done.

The agenda test has to use the real clock (the replicas' schedulers read it; `serve` has no
setting to stop them or move their clock), so it seeds teams whose meeting is 90 minutes from
now with a 3-hour lead (due now, whatever the date), every day a working day (no weekend
moves) and the monthly meeting days away (not due): the outcome does not depend on when the
test runs. PostgreSQL only: replicas share a server, not a SQLite file.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time as clock_time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.slack_double import SlackDouble, SlackDriver, SocketModeDriver
from db import repositories
from db.models import Agenda, AgendaStatus, ProcessedEvent
from db.session import make_engine, make_session_factory
from domain.periods import Period
from domain.setup import SetupChanges
from services import kpis, teams, workspaces
from services.teams import TeamDefaults
from services.workspaces import WorkspaceDefaults
from tests.support.replicas import AlineaProcess, Replicas, alinea_environment

POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
BOTH_TRANSPORTS = pytest.mark.parametrize("transport", ["http", "socket"])
BOGOTA = "America/Bogota"
SLACK_TEAM = "T0DOUBLE"  # the double's workspace
SIGNING_SECRET = "replicas-signing-secret-0123456789"
BOT_TOKEN = "xoxb-replicas"
ANA, LUIS, CARO = "U0ANA", "U0LUIS", "U0CARO"
DM = "D0ANA"
REPLICAS = 3
EVENTS = 100
AGENDA_TEAMS = 50
CLAIM_AT_END = re.compile(r"\((agenda-\d+)\)\s*$")


# Seeding, through the services, before any replica starts -------------------------------------------------


def factory_for(database_url: str):
    engine = make_engine(database_url)
    return engine, make_session_factory(engine)


def new_team(session, *, channel: str, name: str, changes: SetupChanges, now: datetime):
    workspace = workspaces.ensure_workspace(session, slack_team_id=SLACK_TEAM, defaults=WorkspaceDefaults("es", BOGOTA), now=now)
    teams.setup_team(
        session, workspace_id=workspace.id, channel_id=channel, channel_name=name, actor=CARO, is_workspace_admin=True,
        changes=changes, defaults=TeamDefaults(BOGOTA, "es"), now=now,
    )  # fmt: skip
    team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)
    kpis.enable_starter_set(session, team=team, actor=ANA, now=now, language="es")
    return team


def due_now(now: datetime) -> SetupChanges:
    """A team whose weekly agenda is due at `now` and stays due for 90 minutes; its monthly
    meeting falls on a weekday three days away, so that one is not due."""
    local = now.astimezone(ZoneInfo(BOGOTA))
    meeting = (local + timedelta(minutes=90)).replace(second=0, microsecond=0)
    return SetupChanges(
        marketing_leads=(ANA,), sales_leads=(LUIS,), admins=(CARO,), language="es", country="CO", timezone=BOGOTA,
        weekly_weekday=meeting.weekday(), weekly_time=meeting.time(), agenda_lead_minutes=180,
        monthly_nth=1, monthly_weekday=(local.weekday() + 3) % 7, monthly_time=clock_time(12, 0),
        work_days=tuple(range(7)),
    )  # fmt: skip


def seed_agenda_teams(database_url: str, *, count: int, now: datetime) -> list[str]:
    """`count` teams due now, each with a primary KPI and two weeks of numbers; their channels."""
    changes = due_now(now)
    meeting_day = (now.astimezone(ZoneInfo(BOGOTA)) + timedelta(minutes=90)).date()
    last_week = Period.week_of(meeting_day).previous()
    engine, factory = factory_for(database_url)
    channels = []
    try:
        for index in range(count):
            channel = f"C0AG{index:04d}"
            with factory.begin() as session:
                team = new_team(session, channel=channel, name=f"equipo-{index:03d}", changes=changes, now=now)
                kpis.set_roles(session, team=team, role="primary", keys=["sales_cop"], actor=ANA, now=now)
                for week, sales, orders in ((last_week.previous(), 40_000_000 + index, 120), (last_week, 45_000_000 + index, 131)):
                    for key, value in (("sales_cop", sales), ("orders", orders)):
                        kpis.record(session, team=team, key=key, value=Decimal(value), shown=str(value), period=week, source="slack",
                                    actor=LUIS, note="", now=now)  # fmt: skip
            channels.append(channel)
    finally:
        engine.dispose()
    return channels


def seed_dm_team(database_url: str, *, now: datetime) -> None:
    """Ana's one team (a CSV she sends the bot in a DM is checked for it)."""
    engine, factory = factory_for(database_url)
    try:
        with factory.begin() as session:
            changes = SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,), admins=(CARO,), language="es", country="CO")
            new_team(session, channel="C0TEAM", name="alineacion", changes=changes, now=now)
    finally:
        engine.dispose()


def count_rows(database_url: str, statement) -> list[Any]:
    engine, factory = factory_for(database_url)
    try:
        with factory() as session:
            return list(session.execute(statement))
    finally:
        engine.dispose()


# Slack ---------------------------------------------------------------------------------------------------


def slack_double() -> SlackDouble:
    double = SlackDouble(team_id=SLACK_TEAM).start()
    for user_id, name in ((ANA, "ana"), (LUIS, "luis"), (CARO, "caro")):
        double.add_user(user_id, name=name, locale="es-LA")
    double.add_channel("C0TEAM", "alineacion")
    return double


def environment(database_url: str, double: SlackDouble) -> dict[str, str]:
    return alinea_environment(database_url=database_url, slack_api_url=double.base_url, bot_token=BOT_TOKEN,
                              signing_secret=SIGNING_SECRET, app_token=double.app_token)  # fmt: skip


def wait_connected(replicas: Replicas, double: SlackDouble) -> None:
    """In Socket Mode, healthy is not enough: wait for two sockets per replica."""
    if replicas.transport == "socket":
        double.socket_mode.wait_for_connections(2 * len(replicas), timeout=30)


def claim_of(message: dict[str, Any]) -> str:
    return ((message.get("metadata") or {}).get("event_payload") or {}).get("claim", "")


def wait_until(condition, *, timeout: float, what: str, poll: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


# a) One event, three deliveries, three replicas ---------------------------------------------------------------


@POSTGRES_ONLY
@BOTH_TRANSPORTS
def test_events_delivered_three_times_across_three_replicas_take_effect_once(database_url, transport, tmp_path):
    now = datetime.now(timezone.utc)
    seed_dm_team(database_url, now=now)
    last_week = Period.week_of(now.astimezone(ZoneInfo(BOGOTA)).date()).previous().key
    double = slack_double()
    try:
        as_ana = WebClient(token="xoxp-ana", base_url=double.base_url)
        file_ids = []
        for index in range(EVENTS):  # Ana drags 100 spreadsheets into her DM with Alinea
            data = f"Indicador;Valor;Período\r\nsessions;{10_000 + index};{last_week}\r\n".encode("cp1252")
            file_ids.append(as_ana.files_upload_v2(content=data, filename=f"kpis-{index:03d}.csv", channel=DM)["file"]["id"])
        with Replicas(REPLICAS, env=environment(database_url, double), workdir=tmp_path / "a", transport=transport) as replicas:
            wait_connected(replicas, double)
            if transport == "http":
                drivers = [SlackDriver(replica.events_url, SIGNING_SECRET, double) for replica in replicas]
            else:  # one Slack: the double picks the socket, so the deliveries of an event spread over the processes
                drivers = [SocketModeDriver(double, timeout=30)] * REPLICAS
            event_ids = [f"Ev0REPL{index:04d}" for index in range(EVENTS)]

            def deliver(index: int, attempt: int, barrier: threading.Barrier) -> int:
                file_id = file_ids[index]
                event = {"type": "file_shared", "file_id": file_id, "user_id": ANA, "file": {"id": file_id}, "channel_id": DM}
                driver = drivers[(index + attempt) % REPLICAS]  # each delivery of an event to another replica
                barrier.wait(timeout=30)  # the three deliveries of one event leave together
                result = driver.event(event, event_id=event_ids[index], retry_num=attempt or None)
                return result.status

            with ThreadPoolExecutor(max_workers=8 * REPLICAS) as pool:
                futures = []
                for index in range(EVENTS):
                    barrier = threading.Barrier(REPLICAS)
                    futures += [pool.submit(deliver, index, attempt, barrier) for attempt in range(REPLICAS)]
                statuses = [future.result() for future in futures]
            assert statuses == [200] * (EVENTS * REPLICAS)

            def claims() -> list[str]:
                return [claim_of(m) for m in double.messages(DM) if claim_of(m).startswith("kpi-import-dm-")]

            def stood_down() -> list[str]:
                return [line for replica in replicas for line in replica.stderr.splitlines() if "already handled" in line]

            # Done when all 300 deliveries are accounted for: an answer in the DM, or "already handled".
            wait_until(lambda: len(claims()) + len(stood_down()) >= EVENTS * REPLICAS, timeout=60,
                       what="every delivery answered or standing down")  # fmt: skip
            time.sleep(0.5)  # anything late would show up now
            answered = claims()
            answers = {claim_of(m): m.get("text") or "" for m in double.messages(DM) if claim_of(m).startswith("kpi-import-dm-")}
            losers = stood_down()
            # Informative only (which replica did the work is up to the race): each got 100 deliveries.
            winners = {replica.name: EVENTS - replica.stderr.count("already handled") for replica in replicas}
    finally:
        double.stop()

    assert sorted(answered) == sorted(f"kpi-import-dm-{file_id}" for file_id in file_ids)  # one answer per event
    for index, file_id in enumerate(file_ids):  # each the real check of that file, for Ana's team
        assert f"`kpis-{index:03d}.csv` están bien para *alineacion*: 1 nuevas" in answers[f"kpi-import-dm-{file_id}"]
    assert len(double.calls_to("files.info")) == EVENTS  # the work ran once per event, not per delivery
    stood_down_ids = Counter(re.search(r"event (\S+) already handled", line).group(1) for line in losers)
    assert stood_down_ids == {event_id: REPLICAS - 1 for event_id in event_ids}
    rows = count_rows(database_url, select(ProcessedEvent.event_id, ProcessedEvent.event_type))
    assert sorted(rows) == [(event_id, "file_shared") for event_id in event_ids]
    assert replicas.exit_codes == [0] * REPLICAS, [replica.stderr[-2000:] for replica in replicas]
    assert not double.internal_errors, double.internal_errors
    print(f"\nevents whose work each replica did: {winners}")


# b) Fifty agendas due at once, every replica's scheduler and three manual runs -----------------------------


@POSTGRES_ONLY
@BOTH_TRANSPORTS
def test_fifty_agendas_due_at_once_are_posted_once_by_three_replicas_and_three_manual_runs(database_url, transport, tmp_path):
    now = datetime.now(timezone.utc)
    channels = seed_agenda_teams(database_url, count=AGENDA_TEAMS, now=now)
    double = slack_double()
    try:
        for channel in channels:
            double.add_channel(channel, channel.lower())
        env = environment(database_url, double)
        workdir = tmp_path / "b"
        # Their schedulers fire the agendas at start-up.
        replicas = Replicas(REPLICAS, env=env, workdir=workdir, transport=transport).start()
        manual = [
            AlineaProcess.start(f"jobs-run-{index}", ["jobs", "run", "weekly-agenda", "--at", datetime.now(timezone.utc).isoformat()],
                                env=env, workdir=workdir)  # fmt: skip
            for index in range(3)
        ]
        with replicas:
            wait_connected(replicas, double)
            manual_exit_codes = [process.wait(timeout=80) for process in manual]

            def done() -> int:
                return count_rows(database_url, select(func.count()).select_from(Agenda).where(Agenda.status == AgendaStatus.DONE))[0][0]

            wait_until(lambda: done() >= AGENDA_TEAMS, timeout=60, what="50 agendas done", poll=0.5)
            time.sleep(0.5)
    finally:
        double.stop()

    processes = [*replicas, *manual]
    assert manual_exit_codes == [0, 0, 0], [process.stderr[-3000:] for process in manual]
    assert replicas.exit_codes == [0] * REPLICAS, [replica.stderr[-3000:] for replica in replicas]
    # Slack: one parent per team, and nothing in any channel posted twice (details, charts).
    for channel in channels:
        messages = double.messages(channel)
        claims = [claim_of(m) for m in messages if claim_of(m)]
        parents = [claim for claim in claims if claim.count("-") == 1]
        assert len(parents) == 1, (channel, claims)
        assert len(claims) == len(set(claims)), (channel, claims)
        files = [f["name"] for m in messages for f in m.get("files") or []]
        assert len(files) == len(set(files)), (channel, files)
        assert [claim.split("-", 2)[2] for claim in claims if claim.count("-") >= 2] == ["details", "charts"], (channel, claims)
    # The database: one run per team, done.
    rows = count_rows(database_url, select(Agenda.team_id, Agenda.kind, Agenda.status))
    assert len(rows) == AGENDA_TEAMS and len({team_id for team_id, _, _ in rows}) == AGENDA_TEAMS
    assert Counter((kind, status.value) for _, kind, status in rows) == {("weekly", "done"): AGENDA_TEAMS}
    # The processes: 50 agendas posted between them, each by one.
    posted = Counter()
    for process in processes:
        for line in process.stderr.splitlines():
            found = CLAIM_AT_END.search(line)
            if found and "posted the weekly agenda" in line:
                posted[(process.name, found.group(1))] += 1
    assert len(posted) == AGENDA_TEAMS and set(posted.values()) == {1}
    assert len({claim for _, claim in posted}) == AGENDA_TEAMS
    assert not double.internal_errors, double.internal_errors
    print(f"\nagendas posted per process: {dict(Counter(name for name, _ in posted))}")
