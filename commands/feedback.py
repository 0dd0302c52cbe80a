"""`/alinea feedback …` (also `opinion`, `opinión`): customer feedback in one line, the team's themes.

    feedback TEXT [fuente|source whatsapp|encuesta|reseña|soporte|crm] [nota|score N]
                                             stores it, personal data removed, themes by words
    feedback lista | list                    the latest items with their themes
    feedback okr THEME                       (leads) the objective form filled in: that theme's complaints down, CSAT up
    feedback etiquetar | tag F3 THEME, THEME a person's themes replace the ones words chose
    feedback temas | themes                  the team's themes and their words
    feedback temas agregar | add NAME[: word, word]   (leads) a new theme
    feedback temas quitar | remove NAME               (leads) archive a theme

Any other first word starts the feedback text itself.

The message shortcut **Send to Alinea as customer feedback** opens a small form (team, source,
optional score, themes the words suggest) under the message as it will be stored, personal data
already removed; the Slack message's channel and ts are its sender's id, so sending the same
message twice stores it once.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.blocks import Reply
from bot.blocks.feedback_agenda import PROPOSE_OKR
from bot.blocks.feedback_okr import csat_key_result
from bot.blocks.okr import KeyResultPrefill
from bot.blocks.feedback import (
    FORM_SOURCES,
    FORM_VIEW,
    SCORE,
    SHORTCUT,
    SOURCE,
    TEAM,
    THEMES,
    form_modal,
    items_reply,
    recorded_reply,
    retagged_reply,
    theme_added_reply,
    theme_removed_reply,
    themes_reply,
)
from bot.feedback_themes import refine_on_queue
from bot.middleware import runtime_of
from commands import okr_objectives
from commands.context import CommandRequest, FieldErrors, Interaction, team_of
from commands.modal_state import Submitted
from commands.runner import ack_then, answer, via_response_url
from db import repositories
from db.models import AlignmentTeam
from db.session import read_only
from domain.commands import fold, unknown_word
from domain.errors import UserError
from domain.feedback import classify, parse_feedback_line
from domain.feedback_okr import typed_milestones
from domain.periods import local_date
from domain.personal_data import scrub
from domain.slack_text import decode_entities
from services import feedback, feedback_kpis, feedback_okr
from services.i18n import t
from services.teams import roles_of

__all__ = ["FORM_VIEW", "PROPOSE_OKR", "SHORTCUT", "handle", "on_message_shortcut", "propose_okr_button", "read_form", "submit_form"]
METADATA_LIMIT = 3000  # Slack's limit on a view's private_metadata

WORDS = {
    "lista": "list", "list": "list", "recientes": "list", "recent": "list",
    "etiquetar": "tag", "tag": "tag", "retag": "tag", "reetiquetar": "tag",
    "temas": "themes", "themes": "themes",
    "okr": "okr", "objetivo": "okr", "objective": "okr",
}
THEME_WORDS = {
    "lista": "list", "list": "list", "agregar": "add", "add": "add", "nuevo": "add", "new": "add",
    "quitar": "remove", "remove": "remove", "borrar": "remove", "delete": "remove",
}


def handle(request: CommandRequest) -> Reply:
    args = request.args.strip()
    if not args:
        raise UserError("feedback.usage")
    word, _, rest = args.partition(" ")
    action = WORDS.get(fold(word))
    if action == "list":
        return listing(request)
    if action == "tag":
        return tag(request, rest.strip())
    if action == "themes":
        return themes(request, rest.strip())
    if action == "okr":
        return propose_okr(request, rest.strip())
    return add(request, args)


def add(request: CommandRequest, line: str) -> Reply:
    parsed = parse_feedback_line(line)
    if not parsed.text:
        raise UserError("feedback.usage")
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        done = feedback.record(
            session, team=team, actor=request.user_id, text=parsed.text, source=parsed.source, score=parsed.score, now=request.now,
        )  # fmt: skip
        reply, team_id = recorded_reply(done.item, created=done.created, locale=team.locale), team.id
    if done.created:  # committed: the model may refine the words' themes now, off this answer
        refine_on_queue(request.runtime, team_id=team_id, item_ids=[done.item.id])
    return reply


def listing(request: CommandRequest) -> Reply:
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        return items_reply(feedback.recent(session, team=team), team.locale)


def tag(request: CommandRequest, rest: str) -> Reply:
    reference, _, typed = rest.partition(" ")
    if not reference or not typed.strip():
        raise UserError("feedback.retag_usage")
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        item = feedback.retag(session, team=team, actor=request.user_id, reference=reference, typed_themes=typed, now=request.now)
        return retagged_reply(item, team.locale)


def themes(request: CommandRequest, rest: str) -> Reply:
    word, _, written = rest.partition(" ")
    action = THEME_WORDS.get(fold(word)) if word else "list"
    if action is None:
        raise unknown_word(word, THEME_WORDS, "feedback.themes.usage", suggestion_id="feedback.themes.usage_suggest")
    with request.unit_of_work() as session:  # the first look seeds the starter themes
        team = team_of(session, request.scope)
        if action == "add":
            return theme_added_reply(feedback.add_theme(session, team=team, actor=request.user_id, written=written, now=request.now), team.locale)
        if action == "remove":
            if not written.strip():
                raise UserError("feedback.themes.remove_usage")
            return theme_removed_reply(feedback.remove_theme(session, team=team, actor=request.user_id, typed=written, now=request.now), team.locale)
        return themes_reply(feedback.themes(session, team=team, now=request.now), team.locale)


# The message shortcut --------------------------------------------------------------------------------


def on_message_shortcut(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond) -> None:
    runtime = runtime_of(context)
    user_id, channel_id = body["user"]["id"], (body.get("channel") or {}).get("id")
    team_id = (body.get("team") or {}).get("id") or body["user"].get("team_id")
    message = body.get("message") or {}

    def build(scope) -> Reply | None:
        return open_form(Interaction(
            runtime, client, scope, user_id, channel_id, message, message.get("ts"), body.get("trigger_id"), runtime.clock(),
        ))  # fmt: skip

    ack_then(runtime, ack, "feedback-shortcut", lambda: answer(
        runtime, client, team_id=team_id, user_id=user_id, channel_id=channel_id, reply_to=via_response_url(respond), build=build,
    ))  # fmt: skip


def _form_teams(session, interaction: Interaction) -> list[AlignmentTeam]:
    """The workspace's teams: the message channel's own team first, then the person's, then the rest."""
    every = repositories.teams_of_workspace(session, workspace_id=interaction.scope.workspace_id)
    mine = {team.id for team in repositories.teams_of_member(session, workspace_id=interaction.scope.workspace_id, slack_user_id=interaction.user_id)}
    return sorted(every, key=lambda team: (team.id != interaction.scope.team_id, team.id not in mine, team.name.casefold()))


def open_form(interaction: Interaction) -> Reply | None:
    """The form under the message as it will be kept: its personal data is removed before the
    text is shown, carried or stored."""
    # Slack's markup first (mentions, <url|label> links are personal data or carry it), then its entities.
    scrubbed = scrub(interaction.value.get("text") or "")
    scrubbed = replace(scrubbed, text=decode_entities(scrubbed.text))
    if not scrubbed.text:
        raise UserError("feedback.shortcut.no_text")
    with interaction.unit_of_work() as session:  # the first look at a team's themes seeds them
        choices = _form_teams(session, interaction)
        if not choices:
            raise UserError("feedback.shortcut.no_team")
        first = choices[0]
        active = feedback.themes(session, team=first, now=interaction.now)
        locale = first.locale
        teams = [(team.id, team.name) for team in choices]
    suggested = classify(scrubbed.text, [theme.rule() for theme in active])
    sender = f"slack:{interaction.channel_id}:{interaction.message_ts}"
    metadata = _metadata(channel_id=interaction.channel_id, locale=locale, sender=sender, text=scrubbed.text, removed=scrubbed.removed)
    view = form_modal(quote=json.loads(metadata)["text"], teams=teams, themes=active, suggested=suggested, metadata=metadata, locale=locale)
    interaction.client.views_open(trigger_id=interaction.trigger_id, view=view)
    return None


def _metadata(*, channel_id: str | None, locale: str, sender: str, text: str, removed: dict[str, int]) -> str:
    """What the form carries to its submission, shortened to Slack's limit (the text, from its end)."""
    while True:
        metadata = json.dumps({"channel_id": channel_id, "locale": locale, "sender": sender, "text": text, "removed": removed})
        if len(metadata) <= METADATA_LIMIT:
            return metadata
        text = text[: max(0, len(text) - (len(metadata) - METADATA_LIMIT) - 1)].rstrip() + "…"


def read_form(form: Submitted, metadata: dict[str, Any]) -> dict[str, Any]:
    """Pure checks beside the fields: a team and a known source (the score and themes come from lists)."""
    errors: dict[str, Any] = {}
    team = form.selected(TEAM) or ""
    if not team.isdigit():
        errors[TEAM] = "feedback.form.team_missing"
    source = form.selected(SOURCE) or ""
    if source not in FORM_SOURCES:
        errors[SOURCE] = "feedback.form.source_missing"
    score_text = form.selected(SCORE) or ""
    score = int(score_text) if score_text.isdigit() and int(score_text) <= 10 else None
    themes_chosen = form.selected_many(THEMES)
    if errors:
        raise FieldErrors(errors)
    return {
        "team_id": int(team), "source": source, "score": score, "themes": [key for key in themes_chosen if key],
        "sender": str(metadata.get("sender") or ""), "text": str(metadata.get("text") or ""),
        "removed": {str(kind): int(count) for kind, count in (metadata.get("removed") or {}).items() if str(count).isdigit()},
    }  # fmt: skip


def submit_form(interaction: Interaction) -> Reply:
    form = interaction.value
    with interaction.unit_of_work() as session:
        team = session.get(AlignmentTeam, form["team_id"])
        if team is None or team.workspace_id != interaction.scope.workspace_id:
            raise UserError("feedback.shortcut.no_team")
        done = feedback.record(
            session, team=team, actor=interaction.user_id, text=form["text"], source=form["source"], score=form["score"],
            now=interaction.now, external_id=form["sender"] or None, theme_keys=form["themes"], themes_from="person",
            removed_before=form["removed"],
        )  # fmt: skip
        # No model here: the form showed the words' themes to a person who confirmed or changed
        # them, so they are a person's themes, which a model never redoes.
        return recorded_reply(done.item, created=done.created, locale=team.locale)


# An objective proposed from a theme ------------------------------------------------------------------


def propose_okr_button(interaction: Interaction) -> None:
    """The monthly agenda's **Propose an OKR from this theme** (its value is the theme's key)."""
    return _propose(interaction, str(interaction.value or ""))


def propose_okr(request: CommandRequest, typed: str) -> None:
    if not typed:
        raise UserError("feedback.okr_usage")
    return _propose(request, typed)


def _propose(ctx, typed: str) -> None:
    """The new objective form, filled in: a qualitative objective named for the theme, a key
    result that halves the theme's complaints of last month within three months, and one that
    raises the team's CSAT by then (or, without CSAT, how to get one), each with the milestones
    the SMART check advises. The person edits it, picks owners and sides, and saves it (the SMART
    check runs then); nothing is created here."""
    with ctx.unit_of_work() as session:  # the first look at a team's themes seeds them
        team = team_of(session, ctx.scope)
        if not roles_of(team, ctx.user_id):
            raise UserError("okr.not_a_lead")
        theme = feedback.find_theme(feedback.themes(session, team=team, now=ctx.now), typed)
        today = local_date(ctx.now, team.timezone)
        proposal = feedback_kpis.propose(session, team=team, theme=theme, today=today)
        csat = feedback_okr.propose_csat(session, team=team, today=today, deadline=proposal.deadline) if proposal else None
        language, country = team.locale, team.country
    if proposal is None:
        raise UserError("feedback.okr_nothing_to_reduce", name=theme.name)
    title = t(language, "feedback.okr.title", name=theme.name)
    milestones = typed_milestones(Decimal(proposal.baseline), Decimal(proposal.target), start=today, deadline=proposal.deadline, unit=None,
                                  language=language, country=country)
    prefill = KeyResultPrefill(proposal.kpi_key, str(proposal.baseline), str(proposal.target), proposal.deadline, milestones)
    second = csat_key_result(csat, language=language, country=country, today=today, deadline=proposal.deadline)
    okr_objectives.open_new_form(ctx, prefill, title=title, second=second)
    return None
