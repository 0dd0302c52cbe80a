"""`/alinea agenda …`: what the next meetings will discuss.

    agenda | agenda list | lista               open topics and this week's experiment
    agenda add | tema TEXT                     a topic for the next weekly meeting (also `/alinea tema TEXT`)
    agenda close | cerrar T3 OUTCOME           close a topic with its outcome (author, leads, admins)
    agenda result | resultado confirmed|refuted|inconclusive [NOTE]
                                               how the latest experiment went (its owner, leads, admins)
    agenda preview | vista [weekly|monthly]    the next agenda, privately (commands/agenda_run.py)
    agenda post | publicar [weekly|monthly]    post it now, once per period (admins; commands/agenda_run.py)

The weekly agenda's "Decide this week's experiment" button opens the experiment form here.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.blocks import Reply
from bot.blocks.agenda_topics import (
    DECIDE_EXPERIMENT,
    DUE,
    EXPERIMENT_VIEW,
    HYPOTHESIS,
    METRIC,
    METRIC_TEXT,
    OWNER,
    added_reply,
    closed_reply,
    experiment_modal,
    experiment_post,
    meeting_label,
    result_reply,
    topics_reply,
)
from bot.notifier import Message
from commands import agenda_run  # the agenda itself: rendering, charts and posting
from commands.context import CommandRequest, FieldErrors, Interaction, dispatch_subword, modal_metadata, team_of
from commands.modal_state import Submitted
from db.session import read_only
from domain.commands import fold
from domain.errors import UserError
from domain.meetings import AgendaKind
from domain.periods import Period
from services import agenda_topics, agendas, experiments, kpis
from services.experiments import MAX_HYPOTHESIS_LENGTH, Result

__all__ = ["DECIDE_EXPERIMENT", "EXPERIMENT_VIEW", "decide_experiment", "handle", "read_experiment_form", "submit_experiment", "topic_top_level"]

WORDS = {
    "list": "list", "lista": "list", "add": "add", "tema": "add", "agregar": "add",
    "close": "close", "cerrar": "close", "result": "result", "resultado": "result",
    "preview": "preview", "vista": "preview", "post": "post", "publicar": "post",
}
RESULTS = {
    **dict.fromkeys(("confirmed", "confirmado", "confirmada", "si", "yes"), Result.CONFIRMED),
    **dict.fromkeys(("refuted", "refutado", "refutada", "no"), Result.REFUTED),
    **dict.fromkeys(("inconclusive", "no_concluyente", "inconcluso", "inconclusa", "dudoso"), Result.INCONCLUSIVE),
}


def handle(request: CommandRequest) -> Reply | None:
    return dispatch_subword(request, WORDS, HANDLERS, usage_id="agenda.topics.usage", default="list")


def topic_top_level(request: CommandRequest) -> Reply:
    """`/alinea tema TEXT`: the same as `agenda add`."""
    return add(request, request.args.strip())


def _next_weekly(request: CommandRequest, team) -> str:
    meeting = agendas.next_meeting(team, AgendaKind.WEEKLY, request.now)
    return meeting_label(meeting.meeting_at, team.timezone, team.locale)


def listing(request: CommandRequest, _rest: str) -> Reply:
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        meeting = agendas.next_meeting(team, AgendaKind.WEEKLY, request.now)
        topics = agenda_topics.open_topics(session, team=team)
        experiment = experiments.of_week(session, team=team, week=meeting.period)
        return topics_reply(topics, experiment, meeting=meeting_label(meeting.meeting_at, team.timezone, team.locale), locale=team.locale)


def add(request: CommandRequest, rest: str) -> Reply:
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        topic = agenda_topics.add(session, team=team, actor=request.user_id, text=rest, now=request.now)
        return added_reply(topic, meeting=_next_weekly(request, team), locale=team.locale)


def close(request: CommandRequest, rest: str) -> Reply:
    reference, _, outcome = rest.partition(" ")
    if not reference:
        raise UserError("agenda.topics.close_usage")
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        topic = agenda_topics.close(session, team=team, actor=request.user_id, reference=reference, outcome=outcome, now=request.now)
        return closed_reply(topic, team.locale)


def result(request: CommandRequest, rest: str) -> Reply:
    """How the latest experiment (this week's, else the one before) went."""
    word, _, note = rest.partition(" ")
    verdict = RESULTS.get(fold(word)) if word else None
    if verdict is None:
        raise UserError("agenda.topics.result_usage")
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        week = agendas.next_meeting(team, AgendaKind.WEEKLY, request.now).period
        latest = experiments.of_week(session, team=team, week=week) or experiments.latest_before(session, team=team, week=week)
        if latest is None:
            raise UserError("agenda.no_experiment", week=week.key)
        done = experiments.record_result(session, team=team, actor=request.user_id, week=latest.week, result=verdict, note=note, now=request.now)
        return result_reply(done, team.locale)


def preview(request: CommandRequest, rest: str) -> Reply | None:
    return agenda_run.preview(request, rest or None)


def post(request: CommandRequest, rest: str) -> Reply | None:
    return agenda_run.post_now(request, rest or None)


HANDLERS = {"list": listing, "add": add, "close": close, "result": result, "preview": preview, "post": post}


# The week's experiment --------------------------------------------------------------------------------


def decide_experiment(interaction: Interaction) -> Reply | None:
    """The weekly agenda's button: the experiment form for its week."""
    try:
        week = Period.parse_key(str(interaction.value or ""))
    except ValueError:
        raise UserError("agenda.topics.unknown_week") from None
    with read_only(interaction.runtime.session_factory) as session:
        team = team_of(session, interaction.scope)
        catalog = [(view.key, view.name) for view in kpis.catalog(session, team=team)]
        channel_id, locale = team.channel_id, team.locale
    metadata = modal_metadata(channel_id=channel_id, locale=locale, week=week.key)
    view = experiment_modal(week_key=week.key, kpis=catalog, due=week.start + timedelta(days=4), metadata=metadata, locale=locale)
    interaction.client.views_open(trigger_id=interaction.trigger_id, view=view)
    return None


def read_experiment_form(form: Submitted, metadata: dict[str, Any]) -> dict[str, Any]:
    """Pure checks shown beside the fields: a hypothesis, exactly one metric, an owner, a date
    not before the week."""
    errors: dict[str, Any] = {}
    hypothesis = " ".join(form.text(HYPOTHESIS).split())
    if not hypothesis:
        errors[HYPOTHESIS] = "agenda.experiment_hypothesis_missing"
    elif len(hypothesis) > MAX_HYPOTHESIS_LENGTH:
        errors[HYPOTHESIS] = ("agenda.experiment_hypothesis_too_long", {"limit": MAX_HYPOTHESIS_LENGTH})
    chosen = (form.selected(METRIC) or "").strip()
    written = form.text(METRIC_TEXT)
    if bool(chosen) == bool(written):
        errors[METRIC_TEXT] = "agenda.topics.form.metric_one"
    owner = form.user(OWNER)
    if not owner:
        errors[OWNER] = "agenda.topics.form.owner_missing"
    week = Period.parse_key(metadata.get("week") or "")
    due = _date(form, DUE)
    if due is None:
        errors[DUE] = "agenda.topics.form.due_missing"
    elif due < week.start:
        errors[DUE] = ("agenda.experiment_due_before_week", {"due": due.isoformat(), "start": week.start.isoformat()})
    if errors:
        raise FieldErrors(errors)
    return {"week": week, "hypothesis": hypothesis, "metric": chosen or written, "owner": owner, "due": due}


def _date(form: Submitted, block: str) -> date | None:
    try:
        return form.date(block)
    except ValueError:
        return None


def submit_experiment(interaction: Interaction) -> Reply:
    """Records the decision, then posts it in the team's channel (visible: it is the meeting's)."""
    form = interaction.value
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        decided = experiments.decide(session, team=team, actor=interaction.user_id, now=interaction.now, **form)
        channel_id, locale = team.channel_id, team.locale
    announce_experiment(interaction, decided, channel_id=channel_id, locale=locale)
    return result_reply(decided, locale)


def announce_experiment(interaction: Interaction, decided: experiments.ExperimentView, *, channel_id: str, locale: str) -> None:
    """The decision, posted in the team's channel once (claimed by the experiment and the time
    it was decided, so a decision replaced later is announced again)."""
    post = experiment_post(decided, decided_by=interaction.user_id, locale=locale)
    claim = f"experiment-{decided.id}-{int(decided.decided_at.timestamp())}"
    interaction.notifier.post(channel=channel_id, message=Message(post.text, post.blocks), claim=claim)
