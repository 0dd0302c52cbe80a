"""The end-of-period OKR review in Slack: the review post's Answer button and its form, and
answers replied in the post's thread (`logrado: …`, `aprendido: …`, `ajustar: …`, or
`achieved:`, `learned:`, `adjust:`; several in one message, one per line).

Anyone in the team's channel may answer (the meeting answers together). After each answer the
review post is redrawn from the database with the answers so far, so the post is the one place
to read them and a redraw is idempotent; the person who answered is told privately what was kept.

Thread replies reach this module through commands/threads.py, which filters cheaply first. The
event id is claimed in the same transaction as the answers, so Slack's retries change nothing;
replies in other threads, chatter without a question word and bots' messages are left alone.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.orm import Session

from bot.blocks import Reply
from bot.blocks.okr_rhythm import QUESTIONS, REVIEW_ANSWER, REVIEW_VIEW, answered_reply, review_modal
from bot.errors import describe
from bot.okr_posts import OkrPoster
from bot.runtime import Runtime
from domain.locales import team_locale
from commands.context import FieldErrors, Interaction, modal_metadata, team_of
from commands.modal_state import Submitted
from db import repositories
from db.models import OkrObjective
from db.session import read_only
from domain.errors import UserError
from domain.okr_review_answers import ReviewQuestion, parse_review_answer
from domain.slack_text import decode_entities
from services import okr_rhythm, workspaces
from services.okr_rhythm import MAX_ANSWER_LENGTH

logger = logging.getLogger(__name__)

__all__ = ["REVIEW_ANSWER", "REVIEW_VIEW", "ask_answers", "handle_thread_reply", "looks_like_answer", "read_answers", "submit_answers"]

EVENT = "message"


# Reading answers (pure) ------------------------------------------------------------------------------

# A question word at the start of a line, then a colon or dash, forgiving the formatting people
# add in Slack: a list bullet (`- `, `• `) and bold/italic/strike marks (`*Logrado:*`, `_learned_ -`).
_LEAD = re.compile(r"\s*(?:[-•]\s+)?[*_~]*(?P<word>[^\W\d_]+)[*_~]*\s*[:\-–—](?:[*_~]+(?=\s|$))?\s*", re.UNICODE)


def _question_line(line: str) -> tuple[ReviewQuestion, str] | None:
    """`logrado: X` → (ACHIEVED, "X"); `*Logrado:*` alone → (ACHIEVED, "") (the answer follows on
    the next lines); None when the line does not start with a question word and a colon or dash.
    The words are domain.okr's (`parse_review_answer`), in Spanish and English."""
    found = _LEAD.match(line)
    if found is None:
        return None
    named = parse_review_answer(f"{found.group('word')}: ·")  # only the word is asked about
    return (named[0], line[found.end():].strip()) if named else None


def answers_in(text: str) -> dict[ReviewQuestion, str]:
    """`logrado: X` → {ACHIEVED: "X"}. A message may answer several questions, one per line
    (`logrado: X` / `aprendido: Y`); a line without a question word continues the answer above
    it. Empty when the first line is not an answer (the message is chatter) or says nothing."""
    answers: dict[ReviewQuestion, list[str]] = {}
    current: list[str] | None = None
    for line in text.strip().splitlines():
        found = _question_line(line)
        if found is not None:
            current = answers.setdefault(found[0], [])
            current.append(found[1])
        elif current is None:
            return {}  # chatter first: not an answer, even if a question word follows
        else:
            current.append(line)
    joined = {question: "\n".join(parts).strip() for question, parts in answers.items()}
    return {question: answer for question, answer in joined.items() if answer}


def looks_like_answer(text: str) -> bool:
    """Cheap, for the `message` listener: whether a thread reply (entities decoded) starts with a
    question word and a colon or dash. (One that then says nothing is told so privately.)"""
    return _question_line(text.lstrip().partition("\n")[0]) is not None


# The Answer button and its form ----------------------------------------------------------------------------


def _objective_id(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError("okr.unknown_objective", reference=str(value)) from None


def ask_answers(interaction: Interaction) -> None:
    objective_id = _objective_id(interaction.value)
    with read_only(interaction.runtime.session_factory) as session:
        team = team_of(session, interaction.scope)
        view = okr_rhythm.review_prompt(session, team=team, objective_id=objective_id, now=interaction.now)
        if view is None or view.channel_id != team.channel_id:
            raise UserError("okr.unknown_objective", reference=str(objective_id))
        where = team_locale(team)
    metadata = modal_metadata(channel_id=interaction.channel_id, locale=interaction.locale, objective_id=objective_id)
    interaction.client.views_open(trigger_id=interaction.trigger_id, view=review_modal(view, where, metadata=metadata))


def read_answers(form: Submitted, metadata: dict[str, Any]) -> dict[str, Any]:
    """Pure validation before the ack: at least one answer, none too long."""
    answers = {question: form.text(question.value) for question in QUESTIONS}
    answers = {question: text for question, text in answers.items() if text}
    too_long = {question.value: ("okr.rhythm.form.too_long", {"limit": MAX_ANSWER_LENGTH})
                for question, text in answers.items() if len(text) > MAX_ANSWER_LENGTH}  # fmt: skip
    if too_long:
        raise FieldErrors(too_long)
    if not answers:
        raise FieldErrors({QUESTIONS[0].value: "okr.rhythm.form.answer_missing"})
    return {"objective_id": _objective_id(metadata.get("objective_id")), "answers": answers}


def submit_answers(interaction: Interaction) -> Reply:
    form = interaction.value
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        okr_rhythm.answer_review(
            session, team=team, objective_id=form["objective_id"], actor=interaction.user_id, answers=form["answers"],
            source="form", now=interaction.now,
        )  # fmt: skip
        label, where, team_id = _label(session, form["objective_id"]), team_locale(team), team.id
    OkrPoster(interaction.runtime.session_factory, interaction.client, team_id=team_id).redraw_review(form["objective_id"], now=interaction.now)
    return answered_reply(label, list(form["answers"]), where)


def _label(session: Session, objective_id: int) -> str:
    objective = session.get(OkrObjective, objective_id)
    return f"O{objective.number}" if objective is not None else str(objective_id)


# Thread replies ------------------------------------------------------------------------------------------------


def handle_thread_reply(runtime: Runtime, client: WebClient, *, slack_team_id: str, event_id: str, event: dict[str, Any]) -> None:
    """A reply that looks like an answer: recorded when it is in a review post's thread."""
    channel_id, user_id, thread_ts = event["channel"], event["user"], event["thread_ts"]
    locale = runtime.settings.default_locale
    now = runtime.clock()
    try:
        with runtime.session_factory.begin() as session:
            workspace = workspaces.ensure_workspace(session, slack_team_id=slack_team_id, defaults=runtime.workspace_defaults, now=now)
            team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)
            prompt = okr_rhythm.prompt_in_thread(session, team=team, channel_id=channel_id, thread_ts=thread_ts) if team else None
            if team is None or prompt is None:
                return  # not a review's thread: left alone
            locale, team_id, objective_id = team.locale, team.id, prompt.objective_id
            claimed = workspaces.claim_event(
                session, workspace_id=workspace.id, event_id=event_id or f"msg:{channel_id}:{event.get('ts')}", event_type=EVENT, now=now
            )  # fmt: skip
            if not claimed:
                return
            answers = answers_in(decode_entities(event.get("text") or ""))
            okr_rhythm.answer_review(session, team=team, objective_id=objective_id, actor=user_id, answers=answers, source="thread", now=now)
            label, where = _label(session, objective_id), team_locale(team)
    except Exception as error:  # told privately in the thread; nothing was written
        _whisper(client, channel_id, user_id, thread_ts, describe(error, locale=locale))
        return
    OkrPoster(runtime.session_factory, client, team_id=team_id).redraw_review(objective_id, now=now)
    _whisper(client, channel_id, user_id, thread_ts, answered_reply(label, list(answers), where).text)


def _whisper(client: WebClient, channel_id: str, user_id: str, thread_ts: str, text: str) -> None:
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=text, thread_ts=thread_ts)
    except (SlackApiError, SlackClientError, OSError):
        logger.warning("could not tell %s privately about their review answer", user_id, exc_info=True)
