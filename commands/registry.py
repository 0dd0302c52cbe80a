"""The single table of what Alinea answers: slash subcommands, buttons, modals and events.

Every listener reserves room on the work queue, acks, and does the rest there
(commands/runner.py); the work opens its own units of work (`with factory.begin()`), so what
a request writes is committed, or rolled back, as one.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.blocks import Reply
from bot.middleware import runtime_of
from bot.blocks import kpi as kpi_blocks
from bot.blocks import setup as setup_blocks
from commands import alert, help, kpi, lifecycle, setup
from commands import glossary
from commands import kpi_import, kpi_import_dm, survey_import
from commands import token
from commands import smart
from commands import whatif
from commands import sla
from commands import sla_breach
from commands import okr, okr_checkins, okr_key_results, okr_objectives
from commands import agenda
from commands import okr_review, threads
from commands import data
from commands import insights
from commands import feedback
from commands import home
from commands.context import CommandRequest, Scope, Subcommand, native_refused_in
from commands.runner import ack_then, action_listener, answer, via_response_url, view_listener
from domain.commands import split_command
from domain.slack_text import decode_entities, without_controls

SLASH_COMMAND = "/alinea"
logger = logging.getLogger("commands")  # not __name__: the "/alinea … answered" lines are found under "commands"

SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", ("ayuda",), lambda request: help.show(request, SUBCOMMANDS), "help.cmd.help", "help.cmd.help.example"),
    Subcommand("setup", ("configurar",), setup.handle, "help.cmd.setup", "help.cmd.setup.example"),
    Subcommand("define", ("definir",), glossary.define, "help.cmd.define", "help.cmd.define.example"),
    Subcommand("glossary", ("glosario",), glossary.show, "help.cmd.glossary", "help.cmd.glossary.example"),
    Subcommand("kpi", (), kpi.handle, "help.cmd.kpi", "help.cmd.kpi.example"),
    Subcommand("log", ("registrar",), kpi.log_top_level, "help.cmd.log", "help.cmd.log.example"),
    Subcommand("alert", ("alerta",), alert.handle, "help.cmd.alert", "help.cmd.alert.example"),
    Subcommand("sla", (), sla.handle, "help.cmd.sla", "help.cmd.sla.example"),
    Subcommand("token", (), token.handle, "help.cmd.token", "help.cmd.token.example"),
    Subcommand("smart", (), smart.handle, "help.cmd.smart", "help.cmd.smart.example"),
    Subcommand("simular", whatif.WORDS, whatif.handle, "help.cmd.simular", "help.cmd.simular.example"),
    Subcommand("okr", (), okr.handle, "help.cmd.okr", "help.cmd.okr.example"),
    Subcommand("agenda", (), agenda.handle, "help.cmd.agenda", "help.cmd.agenda.example"),
    Subcommand("tema", ("topic",), agenda.topic_top_level, "help.cmd.tema", "help.cmd.tema.example"),
    Subcommand("feedback", ("opinion", "opiniones", "comentario"), feedback.handle, "help.cmd.feedback", "help.cmd.feedback.example"),
    Subcommand("data", ("datos",), data.handle, "help.cmd.data", "help.cmd.data.example"),
    Subcommand("insights", ("analisis", "resumen"), insights.show, "help.cmd.insights", "help.cmd.insights.example"),
)

ACTIONS: dict[str, Any] = {  # action_id -> handler(Interaction)
    glossary.APPROVE: glossary.approve,
    glossary.REQUEST_CHANGES: glossary.ask_for_changes,
    kpi_import.COMMIT: kpi_import.commit,
    kpi_import.CANCEL: kpi_import.cancel,
    survey_import.COMMIT: survey_import.commit,  # a survey export's Save all (same upload paths)
    sla.ACCEPT: sla.accept,
    sla.PROPOSE_TEMPLATE: sla.propose_template,
    sla_breach.ACKNOWLEDGE: sla_breach.ask_acknowledgement,
    sla_breach.ADD_PLAN: sla_breach.ask_plan,
    okr_objectives.NEW_OPEN: okr_objectives.open_new_button,
    okr_key_results.ADD_KR_OPEN: okr_key_results.open_kr_button,
    okr_checkins.CHECKIN_OPEN: okr_checkins.open_checkin_button,  # also the reminder DM's button
    okr_review.REVIEW_ANSWER: okr_review.ask_answers,
    agenda.DECIDE_EXPERIMENT: agenda.decide_experiment,  # the weekly agenda's button
    data.DELETE_CONFIRM: data.confirm_delete,  # /alinea data delete's confirmation (10 minutes)
    data.ERASE_ME: data.erase_me,  # /alinea data me: erases the presser, never an id from the value
    insights.ADOPT: insights.adopt,  # under each hypothesis: in the agenda's thread and in /alinea insights
    insights.NOT_USEFUL: insights.not_useful,
    whatif.CHECK_SMART: whatif.check_smart,  # under each path of /alinea simular: the path through /alinea smart
    whatif.USE_AS_KR: whatif.use_as_key_result,  # … and the new objective form, that path as its first KR
    feedback.PROPOSE_OKR: feedback.propose_okr_button,  # the monthly agenda's voice of the customer: the objective form filled in
}
VIEWS: dict[str, Any] = {  # callback_id -> (validate(form, metadata), handler(Interaction))
    setup_blocks.VIEW: (setup.read_modal, setup.on_submit),
    kpi_blocks.NEW_VIEW: (kpi.read_new_form, kpi.submit_new),
    glossary.DEFINE_VIEW: (glossary.validate_define, glossary.submit_define),
    glossary.CHANGES_VIEW: (glossary.validate_changes, glossary.submit_changes),
    kpi_import.UPLOAD_VIEW: (kpi_import.validate_upload, kpi_import.on_upload),
    sla.NEW_VIEW: (sla.read_new_form, sla.submit_new),
    sla_breach.ACK_VIEW: (sla_breach.validate_ack, sla_breach.submit_ack),
    sla_breach.PLAN_VIEW: (sla_breach.validate_plan, sla_breach.submit_plan),
    okr_objectives.NEW_VIEW: (okr_objectives.read_new_form, okr_objectives.submit_new),
    okr_key_results.KR_VIEW: (okr_key_results.read_kr_form, okr_key_results.submit_kr),
    okr_checkins.CHECKIN_VIEW: (okr_checkins.read_checkin_form, okr_checkins.submit_checkin),
    okr_review.REVIEW_VIEW: (okr_review.read_answers, okr_review.submit_answers),
    agenda.EXPERIMENT_VIEW: (agenda.read_experiment_form, agenda.submit_experiment),
    feedback.FORM_VIEW: (feedback.read_form, feedback.submit_form),
}
SHORTCUTS: dict[str, Any] = {  # callback_id -> Bolt listener (message shortcuts, app-manifest.yml)
    feedback.SHORTCUT: feedback.on_message_shortcut,  # "Send to Alinea as customer feedback" on any message
}

EVENTS: dict[str, Any] = {  # event type -> Bolt listener (each claims its event_id: Slack retries)
    "app_uninstalled": lifecycle.claimed(lifecycle.on_app_uninstalled),
    "tokens_revoked": lifecycle.claimed(lifecycle.on_tokens_revoked),
    kpi_import_dm.EVENT: kpi_import_dm.on_file_shared,  # a CSV uploaded in a DM with the bot
    threads.EVENT: threads.on_message,  # thread replies: `ack <reason>` on a breach, `logrado: …` on an OKR review
    home.EVENT: home.on_home_opened,  # the Home tab, rebuilt on every open (claims nothing: a rebuild is idempotent)
}


def register(app: App) -> None:
    metrics.prepare_commands(entry.name for entry in SUBCOMMANDS)
    app.command(SLASH_COMMAND)(on_slash_command)
    for action_id, handler in ACTIONS.items():
        app.action(action_id)(action_listener(action_id, handler))
    for callback_id, (validate, handler) in VIEWS.items():
        app.view(callback_id)(view_listener(callback_id, validate, handler))
    for event_type, listener in EVENTS.items():
        app.event(event_type)(listener)
    for callback_id, listener in SHORTCUTS.items():
        app.shortcut(callback_id)(listener)


def find_subcommand(word: str) -> Subcommand | None:
    return next((entry for entry in SUBCOMMANDS if word in entry.words()), None)


def on_slash_command(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond) -> None:
    runtime = runtime_of(context)
    parsed = split_command(without_controls(decode_entities(body.get("text") or "")))

    def build(scope: Scope) -> Reply | None:
        return route(CommandRequest(
            runtime=runtime, client=client, scope=scope, user_id=body["user_id"], channel_id=body.get("channel_id"),
            word=parsed.word, args=parsed.rest, now=runtime.clock(), trigger_id=body.get("trigger_id"),
        ))

    subcommand = subcommand_label(parsed.word)

    def work() -> None:
        outcome = answer(
            runtime, client, team_id=body["team_id"], user_id=body["user_id"], channel_id=body.get("channel_id"),
            reply_to=via_response_url(respond, on_native_refused=native_refused_in(runtime, body["team_id"])), build=build,
        )
        if subcommand == metrics.UNKNOWN_SUBCOMMAND and outcome == "ok":
            outcome = "user_error"  # answered with "did you mean", but the person mistyped
        metrics.command(subcommand, outcome)
        logger.info("/alinea %s answered: %s", subcommand, outcome)

    if not ack_then(runtime, ack, "slash-command", work):
        metrics.command(subcommand, "busy")


def subcommand_label(word: str) -> str:
    """The canonical name the metrics count a command under (never what the person typed)."""
    if not word:
        return "help"  # an empty `/alinea` shows the help
    entry = find_subcommand(word)
    return entry.name if entry else metrics.UNKNOWN_SUBCOMMAND


def route(request: CommandRequest) -> Reply | None:
    if not request.word:
        return help.show(request, SUBCOMMANDS)
    entry = find_subcommand(request.word)
    if entry is None:
        return help.unknown(request, SUBCOMMANDS)
    return entry.handler(request)
