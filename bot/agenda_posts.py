"""Posting a meeting's agenda once: claimed, reconciled, resumed where it stopped.

`AgendaPoster.run(kind, now)` takes the run of the meeting due at `now` (a row in `agendas`,
unique per team, kind and period: `services.agendas.claim`, in its own transaction), builds
the facts in a read, renders, and posts in this order, recording each step in a short
transaction of its own after Slack answered (never a write transaction across a Slack call):

1. the parent message in the team's channel, with the run's claim (`agenda-<id>`) in its Slack
   metadata → `record_parent`;
2. the thread (`bot.blocks.agenda_layout`): the details reply (`details`, and `details-2`… when
   they do not fit one message) with the claim `agenda-<id>-<part>`, skipping the parts the run
   already recorded → `record_part` after each;
3. the charts reply (`charts`): Slack's native chart blocks in a message, or, where the
   workspace's Slack refuses them, every chart rendered here as a PNG (after the agenda's text is
   out, never on Bolt's listener threads) and uploaded in one `files_upload_v2` call under unique
   file names (`agenda-<id>-primary.png`) → `record_part("charts")`; a chart that fails to
   render is logged and left out. When Slack answers `invalid_blocks` for a reply holding native
   blocks (nothing was posted), the refusal is remembered for the workspace for a day
   (`services.native_blocks`) and that reply and the rest go without them;
4. `record_done`. The monthly agenda then posts the objectives' review prompts it claimed
   (the okr-review job's claim and rendering, `bot.okr_posts`).

Nothing is posted twice:
- two replicas, a double fire or a manual run beside the scheduler: one claim wins; a lock
  per team also serializes the posters of one process;
- a post whose answer was lost (a 500 after Slack posted, a dropped connection): the Notifier
  looks the message up by its claim before posting again;
- a run taken again (its earlier attempt failed, or its process died and the claim's lease
  expired) first looks in the channel and the thread for what that attempt posted or uploaded
  and did not record, and records it instead of posting it again;
- while a run posts, a `LeaseKeeper` renews its claim's lease (a heartbeat thread, and a check
  before each post); every record is fenced on the run's attempt, so a poster whose lease lapsed
  (frozen, cut off from the database) stops at its next step, leaving the rest to the run that
  took over: `agenda-resume` finds expired leases every 15 seconds;
- 429s are retried inside slack_sdk (Slack did nothing); any other Slack error marks the run
  failed with a retry time that backs off, and the next scheduler run after it resumes, until
  the meeting starts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Iterator

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import chart_process, metrics
from bot.blocks import Reply
from bot.slack_client import rate_limit_only_retry_handlers
from bot.blocks import agenda_layout
from bot.blocks.native import CHART, count, is_native
from bot.blocks.agenda_monthly import monthly_agenda
from bot.blocks.agenda_okr import ReviewState
from bot.blocks.agenda_pieces import AgendaMessages, Part
from bot.blocks.agenda_weekly import weekly_agenda
from bot.blocks.narrative import insight_reply, narrative_reply
from bot.leases import Clock, LeaseKeeper, Pacer
from bot.runtime import utc_now
from domain.locales import TeamLocale, team_locale
from bot.team_locks import TeamLocks
from bot.team_sessions import TeamSessions
from bot.notifier import Message, Notifier
from db.session import read_only
from db.models import Agenda, AgendaStatus, AlignmentTeam, WorkspaceState
from domain.meetings import AgendaKind, Occurrence
from domain.narrative import Fact, Narrative, Narrator
from services import agenda_charts, agenda_facts, agendas, insights, narrative_facts, native_blocks, okr_rhythm
from services.insights import Insight
from bot.narrators import offline_narrator
from services.agenda_charts import Chart
from services.agendas import AgendaRun
from services.leases import LeaseLost

logger = logging.getLogger(__name__)

UPLOAD_TIMEOUT_S = 30
_team_lock = TeamLocks()
# One agenda's facts built at a time in this process (PNGs are drawn in bot/chart_process.py).
# Building is Python under the GIL between dozens of short SQLite calls, each of which gives the
# GIL away, and eight threads building at once each wait for it again and again (measured: 0.11 s
# for one agenda alone, 4.7 s each with eight at once). Taking turns, each build is as fast as
# alone while the other posters wait on Slack's per-channel rate limit, where an agenda's time goes.
_cpu_turn = threading.Lock()


class AgendaNotPosted(RuntimeError):
    """Slack (or something else) failed mid-post; the run is marked failed and retried later."""

    def __init__(self, message: str, *, retry_at: datetime, channel_id: str):
        super().__init__(message)
        self.retry_at, self.channel_id = retry_at, channel_id


@dataclass(frozen=True)
class Outcome:
    """What one call did. `status`: posted, already (done before), in_progress (another poster
    holds the claim's lease, or took this run over when its lease lapsed), waiting (a failed run
    whose retry time has not come), too_late (the meeting started), skipped (marked skipped
    earlier), nothing_due."""

    status: str
    line: str
    kind: AgendaKind
    meeting: Occurrence | None = None
    channel_id: str | None = None
    ts: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class AgendaDraft:
    agenda: AgendaMessages
    charts: tuple[Chart, ...]
    where: TeamLocale
    channel_id: str
    facts: tuple[Fact, ...] = ()  # what a narrator may put into words (weekly agendas)
    llm_allowed: bool = True  # the team's own switch (`configurar ia no`)

    def with_narrative(self, narrative: Narrative | Insight) -> AgendaDraft:
        """The agenda with its narrative as the thread part after the KPIs: a stored one with its
        Adopt and Not useful buttons, or (a preview) the text alone."""
        if isinstance(narrative, Insight):
            reply = insight_reply(narrative, self.where, actionable=True)
        else:
            reply = narrative_reply(narrative, self.where)
        part = Part("summary", reply)
        first, *rest = self.agenda.parts
        return replace(self, agenda=replace(self.agenda, parts=(first, part, *rest)))


def _message(reply: Reply) -> Message:
    return Message(reply.text, reply.blocks)


def _refused_native(error: SlackApiError, reply: Reply) -> bool:
    """Slack answered invalid_blocks for a message holding chart or table blocks."""
    return error.response.get("error") == "invalid_blocks" and any(is_native(block) for block in reply.blocks)


def build(factory: sessionmaker[Session], notifier: Notifier, *, team_id: int, meeting: Occurrence, now: datetime,
          claim_reviews: bool = False) -> AgendaDraft:
    """Facts (in a read), the review prompts' state (claimed first when `claim_reviews`), the
    rendered agenda and its charts (not rendered yet: `Chart.render`)."""
    with read_only(factory) as session:  # no write lock while the facts are computed
        team = _team(session, team_id)
        where, channel = team_locale(team), team.channel_id
        if meeting.kind is AgendaKind.WEEKLY:
            facts = agenda_facts.weekly(session, team=team, occurrence=meeting, now=now)
            said = tuple(narrative_facts.weekly_facts(facts, language=team.locale)) if facts.has_data else ()
            charts = tuple(agenda_charts.weekly_charts(facts))
            return AgendaDraft(weekly_agenda(facts, where), charts, where, channel, said, llm_allowed=team.llm_enabled)
        facts = agenda_facts.monthly(session, team=team, occurrence=meeting, now=now)
    reviews = review_states(factory, notifier, team_id=team_id, objective_ids=[o.id for o in facts.reviews], now=now, claim=claim_reviews)
    return AgendaDraft(monthly_agenda(facts, where, reviews=reviews), tuple(agenda_charts.monthly_charts(facts)), where, channel)


def review_states(factory: sessionmaker[Session], notifier: Notifier, *, team_id: int, objective_ids: list[int], now: datetime,
                  claim: bool) -> dict[int, ReviewState]:
    """Each objective's review prompt: claimed now by this agenda ("asking", with the claim the
    okr-review job uses, so it is asked once whichever comes first), being posted, or asked
    already (with a link to it)."""
    if not objective_ids:
        return {}
    states: dict[int, ReviewState] = {}
    posted: dict[int, tuple[str, str]] = {}
    with factory.begin() if claim else read_only(factory) as session:  # a preview claims nothing
        team = _team(session, team_id)
        for objective_id in objective_ids:
            if claim and okr_rhythm.claim_review_prompt(session, team=team, objective_id=objective_id, now=now):
                states[objective_id] = ReviewState("asking")
                continue
            prompt = okr_rhythm.review_prompt(session, team=team, objective_id=objective_id, now=now)
            if prompt is None:
                states[objective_id] = ReviewState("later")
            elif prompt.message_ts is None:
                states[objective_id] = ReviewState("pending")
            else:
                posted[objective_id] = (prompt.channel_id, prompt.message_ts)
    for objective_id, (channel, ts) in posted.items():  # Slack after the transaction
        states[objective_id] = ReviewState("asked", notifier.permalink(channel=channel, ts=ts))
    return states


def _team(session: Session, team_id: int) -> AlignmentTeam:
    team = session.get(AlignmentTeam, team_id)
    assert team is not None, f"no alignment team {team_id}"
    return team


class AgendaPoster(TeamSessions):
    def __init__(self, factory: sessionmaker[Session], client: WebClient, *, team_id: int, sleep: Callable[[float], None] = time.sleep,
                 narrator: Narrator | None = None, clock: Clock = utc_now, pacer: Callable[[], Pacer] = Pacer):
        super().__init__(factory, team_id)
        self._client = client
        # The clock leases are set and compared on (the runtime's: the wall clock every replica
        # shares, a test's clock in tests) and the pacer of the heartbeat (a test steps its own).
        self._clock, self._pacer = clock, pacer
        # The offline narrator unless the LLM is configured (bot/scheduler.py); either never raises.
        self._narrator = narrator or offline_narrator()
        self._notifier = Notifier(client, sleep=sleep)
        # Uploads retry 429s only: a retried files.completeUploadExternal after a 500 can share a
        # file twice, so other failures are reconciled by file name on the next attempt.
        self._uploader = WebClient(
            token=client.token, base_url=client.base_url, timeout=max(client.timeout, UPLOAD_TIMEOUT_S),
            retry_handlers=rate_limit_only_retry_handlers(),
        )
        # Seconds spent per phase across this poster's runs (facts, charts, posting): what
        # bench/agendas.py reports; cheap enough to keep on always.
        self.timings: defaultdict[str, float] = defaultdict(float)

    @contextmanager
    def _timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] += time.perf_counter() - started

    # What the scheduler, the CLI and the command call --------------------------------------------------

    def run(self, kind: AgendaKind, now: datetime, *, meeting: Occurrence | None = None, claimed_by: str = "scheduler") -> str:
        """Post the agenda of `meeting` (default: the one due at `now`) unless it was; a summary line."""
        return self.post(kind, now, meeting=meeting, claimed_by=claimed_by).line

    def scheduled(self, kind: AgendaKind, now: datetime) -> str:
        """What each scheduler fire does for one kind: log a meeting missed while the bot was down
        as skipped, then post the agenda due now, if any."""
        if not self._installed():
            return f"{kind.value}: the workspace uninstalled Alinea; nothing posted"
        with self._factory.begin() as session:
            skipped = agendas.skip_if_missed(session, team=_team(session, self._team_id), kind=kind, now=now)
        line = self.run(kind, now)
        return f"{kind.value} {skipped.key} skipped: its meeting already happened; {line}" if skipped else line

    def catch_up(self, now: datetime) -> str:
        """At start-up: for each kind, a missed meeting is logged as skipped, a due agenda posted.
        Every kind is tried; the first failure is raised at the end."""
        lines, failure = [], None
        for kind in AgendaKind:
            try:
                lines.append(self.scheduled(kind, now))
            except AgendaNotPosted as error:
                lines.append(f"{kind.value}: {error}")
                failure = failure or error
        if failure is not None:
            raise failure
        return "; ".join(lines)

    def resume(self, now: datetime) -> str:
        """`agenda-resume`: each run of this team whose poster stopped renewing its lease (it died or
        froze mid-post) is taken over and finished, unless another run takes it first."""
        with read_only(self._factory) as session:
            expired = agendas.expired_runs(session, team=_team(session, self._team_id), now=now, clock_now=self._clock())
        lines, failure = [], None
        for run in expired:
            try:
                lines.append(self.run(run.kind, now, meeting=run.occurrence))
            except AgendaNotPosted as error:
                lines.append(f"{run.kind.value}: {error}")
                failure = failure or error
        if failure is not None:
            raise failure
        return "; ".join(lines) or "no agenda to take over"

    def by_hand(self, kind: AgendaKind, now: datetime, *, claimed_by: str = "cli") -> str:
        """`alinea jobs run …-agenda --team T --at X`: the agenda due at X; else the meeting of the
        period X falls in, if it has not started (whoever runs it by hand wants it now)."""
        with read_only(self._factory) as session:
            team = _team(session, self._team_id)
            meeting = agendas.due_occurrence(team, kind, now) or agendas.meeting_of_period(team, kind, now)
        if now >= meeting.meeting_at:
            return f"{kind.value} {meeting.key} skipped: the meeting already happened ({meeting.meeting_at.isoformat()})"
        return self.run(kind, now, meeting=meeting, claimed_by=claimed_by)

    def _installed(self) -> bool:
        with read_only(self._factory) as session:
            return _team(session, self._team_id).workspace.state is WorkspaceState.INSTALLED

    # One run ---------------------------------------------------------------------------------------------

    def post(self, kind: AgendaKind, now: datetime, *, meeting: Occurrence | None = None, claimed_by: str = "scheduler") -> Outcome:
        with _team_lock(self._team_id):
            with self._factory.begin() as session:
                team = _team(session, self._team_id)
                meeting = meeting or agendas.due_occurrence(team, kind, now)
                if meeting is None:
                    return Outcome("nothing_due", f"{kind.value}: nothing due", kind)
                run = agendas.claim(session, team=team, meeting=meeting, claimed_by=claimed_by, now=now, clock_now=self._clock())
                if run is None:
                    return self._not_claimed(session, team, meeting, now)
            with self._keeper(run) as keeper:
                try:
                    outcome = self._post_run(run, now, keeper)
                except LeaseLost:
                    outcome = self._taken_over(run)
                except Exception as error:  # the failure is this run's to record, unless it was taken over
                    outcome = self._taken_over(run) if keeper.lost else self._failed(run, error, now)
            metrics.agenda_outcome(kind.value, outcome.status)
            return outcome

    def _keeper(self, run: AgendaRun) -> LeaseKeeper:
        def renew(at: datetime) -> bool:
            return self._write(lambda s, team: agendas.renew(s, team=team, agenda_id=run.id, attempt=run.attempts, now=at))

        return LeaseKeeper(renew, clock=self._clock, name=run.claim, pacer=self._pacer())

    def _failed(self, run: AgendaRun, error: Exception, now: datetime) -> Outcome:
        """Records the failure (retried with backoff) and raises AgendaNotPosted; when another run
        took this one over meanwhile, that run decides: the taken-over outcome instead."""
        kind, key = run.kind.value, run.occurrence.key
        reason = f"{type(error).__name__}: {error}"
        try:
            retry_at = self._write(
                lambda s, team: agendas.record_failure(s, team=team, agenda_id=run.id, attempt=run.attempts, error=reason, now=now)
            )
        except LeaseLost:
            logger.warning("the %s agenda %s (%s) stopped mid-post: %s", kind, key, run.claim, reason)
            return self._taken_over(run)
        metrics.agenda_outcome(kind, "failed")
        logger.warning("the %s agenda %s (%s) stopped mid-post; retried after %s", kind, key, run.claim, retry_at.isoformat(), exc_info=error)
        raise AgendaNotPosted(f"{kind} {key}: {type(error).__name__}; retried after {retry_at.isoformat()}",
                              retry_at=retry_at, channel_id=run.channel_id) from error  # fmt: skip

    def _taken_over(self, run: AgendaRun) -> Outcome:
        """This run's lease lapsed (the process froze, or lost the database) and another run took
        the agenda over: it stops where it was and posts nothing more."""
        line = f"{run.kind.value} {run.occurrence.key}: taken over by another run (this one's lease lapsed); stopped"
        logger.warning("%s (%s)", line, run.claim)
        return Outcome("in_progress", line, run.kind, run.occurrence, run.channel_id, run.message_ts)

    def _not_claimed(self, session: Session, team: AlignmentTeam, meeting: Occurrence, now: datetime) -> Outcome:
        kind, key = meeting.kind, meeting.key
        found = session.scalars(select(Agenda).where(Agenda.team_id == team.id, Agenda.kind == kind.value, Agenda.period_key == key)).one_or_none()
        common = {"kind": kind, "meeting": meeting, "channel_id": found.channel_id if found else team.channel_id}
        if found is not None and found.status is AgendaStatus.DONE:
            return Outcome("already", f"{kind.value} {key}: already done (posted before)", ts=found.message_ts, **common)
        if found is not None and found.status is AgendaStatus.SKIPPED:
            return Outcome("skipped", f"{kind.value} {key}: skipped earlier, its meeting had started", **common)
        if now >= meeting.meeting_at:
            return Outcome("too_late", f"{kind.value} {key} skipped: the meeting already happened", ts=found.message_ts if found else None, **common)
        if found is not None and found.status is AgendaStatus.FAILED:
            retry = found.retry_at.isoformat() if found.retry_at else "?"
            return Outcome("waiting", f"{kind.value} {key}: failed before, retried after {retry}", ts=found.message_ts, retry_at=found.retry_at, **common)
        return Outcome("in_progress", f"{kind.value} {key}: being posted by another run", ts=found.message_ts if found else None, **common)

    def _post_run(self, run: AgendaRun, now: datetime, keeper: LeaseKeeper) -> Outcome:
        with self._timed("facts"), _cpu_turn:  # facts from the database, rendered as Block Kit
            built = build(self._factory, self._notifier, team_id=self._team_id, meeting=run.occurrence, now=now,
                          claim_reviews=run.kind is AgendaKind.MONTHLY)  # fmt: skip
        with self._timed("posting"):
            return self._post_built(run, built, now, keeper.check)

    def _narrate(self, run: AgendaRun, built: AgendaDraft, now: datetime) -> Insight:
        """The week's stored narrative of these facts (a retried run, or `/alinea insights` asked
        before, already paid for it), else narrated now; the team's switch picks the narrator."""
        narrator = self._narrator if built.llm_allowed else offline_narrator()
        return insights.narrate_once(
            self._factory, narrator, team_id=self._team_id, week=run.occurrence.period, facts=built.facts,
            language=built.where.language, country=built.where.country, now=now,
        )  # fmt: skip

    def _post_built(self, run: AgendaRun, built: AgendaDraft, now: datetime, hold: Callable[[], None]) -> Outcome:
        """`hold()` before each Slack call that posts (each attempt of it): raises LeaseLost once
        another run took over, so an attempt starts only under a lease renewed in the last 15 s."""
        channel, agenda, attempt = run.channel_id, built.agenda, run.attempts
        retaken = run.attempts > 1  # an earlier attempt may have posted more than it recorded
        ts = run.message_ts
        if ts is None and retaken:
            ts = self._notifier.find_posted(channel=channel, claim=run.claim)
        parent_posted = ts is None
        native = self._native_allowed()
        # PNGs are drawn in the chart process while the parent and the details go out (Slack's
        # per-channel limit spaces them a second apart), so they are ready when their turn comes.
        drawing = None if native or not built.charts else chart_process.draw([chart.render for chart in built.charts])
        if ts is None:
            ts = self._notifier.post(channel=channel, message=_message(agenda.parent), claim=run.claim, hold=hold)
        if run.message_ts is None:
            self._write(lambda s, team: agendas.record_parent(s, team=team, agenda_id=run.id, attempt=attempt, ts=ts, now=now))
        if built.facts:  # outside any transaction, bounded by the narrator's timeout; narrated after the parent
            # is out, while Slack's per-channel limit holds the next message back anyway
            with self._timed("narrative"):
                built = built.with_narrative(self._narrate(run, built, now))
        replies, charts, native = self._post_thread(run, built, ts, retaken, hold, native=native, drawing=drawing)
        self._write(lambda s, team: agendas.record_done(s, team=team, agenda_id=run.id, attempt=attempt))
        if run.kind is AgendaKind.MONTHLY:
            self._post_reviews(now)
        drawn = "native" if native else "PNG"
        line = f"posted the {run.kind.value} agenda {run.occurrence.key}: {'parent, ' if parent_posted else ''}{replies} replies, {charts} {drawn} charts"
        logger.info("%s (%s)", line, run.claim)
        return Outcome("posted", line, run.kind, run.occurrence, channel, ts)

    def _post_thread(self, run: AgendaRun, built: AgendaDraft, ts: str, retaken: bool, hold: Callable[[], None], *, native: bool,
                     drawing: list[Future[bytes]] | None) -> tuple[int, int, bool]:  # fmt: skip
        """The replies the run has not recorded, each recorded once Slack has it: (replies
        posted, charts shown, whether natively). `drawing`: the PNGs started, when not native."""
        claims, files = self._thread(run.channel_id, ts) if retaken else ({}, set())
        laid = agenda_layout.thread(built.agenda, built.charts, built.where, native=native)
        replies = charts = 0
        for name in laid.names:
            if name in run.parts_posted:
                continue
            try:
                posted, shown = self._post_reply(run, ts, laid, name, claims, files, hold, drawing)
            except SlackApiError as error:
                if not (laid.native and _refused_native(error, laid.part(name).reply)):
                    raise
                laid = self._without_native(run, laid, built, error)  # both layouts name their replies alike
                posted, shown = self._post_reply(run, ts, laid, name, claims, files, hold, drawing)
            replies, charts = replies + posted, charts + shown
            self._write(lambda s, team, name=name: agendas.record_part(s, team=team, agenda_id=run.id, attempt=run.attempts, part=name))
        return replies, charts, laid.native

    def _post_reply(self, run: AgendaRun, ts: str, laid: agenda_layout.Thread, name: str, claims: dict[str, str], files: set[str],
                    hold: Callable[[], None], drawing: list[Future[bytes]] | None) -> tuple[int, int]:  # fmt: skip
        """One reply, unless an earlier attempt posted it (found by its claim or its files):
        (messages posted, charts in them)."""
        part = laid.part(name)
        if name == agenda_layout.CHARTS and not laid.native:
            uploaded = self._upload_charts(run, ts, laid.charts, part.reply.text, files, hold, drawing)
            return int(uploaded > 0), uploaded
        claim = f"{run.claim}-{name}"
        if claim in claims:
            return 0, 0
        self._notifier.post(channel=run.channel_id, message=_message(part.reply), claim=claim, thread_ts=ts, hold=hold)
        return 1, count(part.reply.blocks, CHART)

    def _native_allowed(self) -> bool:
        with read_only(self._factory) as session:
            return native_blocks.allowed(session, workspace_id=_team(session, self._team_id).workspace_id, now=self._clock())

    def _without_native(self, run: AgendaRun, laid: agenda_layout.Thread, built: AgendaDraft, error: SlackApiError) -> agenda_layout.Thread:
        """Slack refused a chart or table block (nothing was posted): remembered for the
        workspace, and the agenda's remaining replies laid out again without them."""
        logger.warning("Slack refused native blocks in %s (%s); charts go as PNGs in this workspace for a day",
                       run.claim, error.response.get("errors"))  # fmt: skip
        metrics.slack_api_retry("chat.postMessage", "native_blocks_refused")
        self._write(lambda s, team: native_blocks.record_refused(s, workspace_id=team.workspace_id, now=self._clock()))
        return agenda_layout.thread(built.agenda, laid.charts, built.where, native=False)

    def _thread(self, channel: str, ts: str) -> tuple[dict[str, str], set[str]]:
        """The claims and file names already in the agenda's thread (one conversations.replies)."""
        response = self._client.conversations_replies(channel=channel, ts=ts, include_all_metadata=True, limit=200)
        claims: dict[str, str] = {}
        files: set[str] = set()
        for message in response.get("messages", []):
            claim = ((message.get("metadata") or {}).get("event_payload") or {}).get("claim")
            if claim:
                claims[claim] = message["ts"]
            files.update(file.get("name", "") for file in message.get("files") or [])
        return claims, files

    def _upload_charts(self, run: AgendaRun, ts: str, charts: tuple[Chart, ...], comment: str, files: set[str],
                       hold: Callable[[], None], drawing: list[Future[bytes]] | None) -> int:  # fmt: skip
        """Every chart as a PNG in one upload (one message in the thread, its comment the charts
        reply's text), under unique file names (`agenda-<id>-primary.png`) that a retaken run
        finds; a chart that fails to render is logged and left out. `drawing`: the PNGs already
        started (else they are started now). The number uploaded."""
        uploads = []
        if any(f"{run.claim}-{chart.name}.png" in files for chart in charts):  # an earlier attempt uploaded them and lost the answer
            return 0
        with self._timed("charts"):
            drawing = drawing or chart_process.draw([chart.render for chart in charts])
            for chart, started in zip(charts, drawing):
                try:
                    png = chart_process.png(chart.render, started)
                except Exception:  # a chart never blocks an agenda: its numbers are in the text anyway
                    logger.exception("the %s chart of %s did not render; posted without it", chart.name, run.claim)
                    continue
                uploads.append({"content": png, "filename": f"{run.claim}-{chart.name}.png", "title": chart.title, "alt_txt": chart.alt})
        if uploads:
            hold()
            self._uploader.files_upload_v2(channel=run.channel_id, thread_ts=ts, file_uploads=uploads, initial_comment=comment)
        return len(uploads)

    def _post_reviews(self, now: datetime) -> None:
        """The review prompts this agenda claimed, posted in the channel by the okr-review job's
        poster (same claim ids and rendering); a failure there is that job's to retry."""
        from bot.okr_posts import OkrPoster

        try:
            OkrPoster(self._factory, self._client, team_id=self._team_id).post_reviews(now=now)
        except Exception:
            logger.warning("the review prompts were not posted with the monthly agenda; the okr-review job retries", exc_info=True)
