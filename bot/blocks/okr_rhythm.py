"""The OKR rhythm as Block Kit: the check-in reminder DM before the weekly meeting, and the
end-of-period review posted in the team's channel (redrawn as answers come in) with its form.

People's names are mentions built from ids we stored; whatever people typed (a KR's metric, an
objective's title, review answers) is escaped, so a `<!channel>` or `<@U…>` in an answer shows
as text and pings nobody.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from bot.blocks import Block, Reply, context, escape_mrkdwn, header, kit, mention, section, truncate
from domain.locales import TeamLocale
from domain.kpis import DEFAULT_CURRENCY
from domain.number_format import display_quantity, format_quantity
from domain.number_style import HOURS, PERCENT
from domain.okr import GOOD_SCORE, KIND_LABELS, ObjectiveKind, Status
from domain.okr_review_answers import ReviewQuestion
from services.i18n import t
from services.okr import KeyResultView, ObjectiveView
from services.okr_rhythm import MAX_ANSWER_LENGTH, AnswerView, ReminderView, ReviewPromptView

# The check-in button of a reminder: its handler and modal live with the OKR commands
# (commands/okr_checkins.py); its value is the KR's number ("3" for KR3).
CHECKIN_OPEN = "okr_checkin_open"
REVIEW_ANSWER = "okr_review_answer"  # the review post's Answer button; value: the objective's id
REVIEW_VIEW = "okr_review_view"  # the review form's callback_id
VALUE = "value"  # the action_id of each input in the review form
QUESTIONS = (ReviewQuestion.ACHIEVED, ReviewQuestion.LEARNED, ReviewQuestion.ADJUST)  # block ids: their values

MAX_REMINDER_KRS = 20  # a section per KR; an owner of more sees the first ones and a count
SHOWN_ANSWER_LENGTH = 500  # an answer longer than this is clipped in the post (kept whole in the database)
ANSWERS_TEXT_LIMIT = 2800  # per question's section, under Slack's 3,000 characters
STATUS_MARKS = {Status.ON_TRACK: "🟢", Status.AT_RISK: "🟡", Status.OFF_TRACK: "🔴"}


# Pieces ---------------------------------------------------------------------------------------------------


def _babel(team: TeamLocale) -> str:
    return f"{team.language}_{team.country}" if team.language == "es" and team.country else team.language


def _meeting_moment(moment: datetime, team: TeamLocale) -> str:
    """"lunes 9 mar, 09:00" / "Monday, Mar 9, 09:00", in the team's timezone."""
    pattern = "EEEE d MMM, HH:mm" if team.language == "es" else "EEEE, MMM d, HH:mm"
    return format_datetime(moment, pattern, tzinfo=ZoneInfo(team.timezone), locale=_babel(team))


def _day(day: date, team: TeamLocale) -> str:
    return format_date(day, format="medium", locale=_babel(team))


def _currency(view: KeyResultView) -> str:
    if view.spec is not None:
        return view.spec.currency
    unit = view.result.unit
    return unit if unit and unit not in (PERCENT, HOURS) else DEFAULT_CURRENCY


def kr_value(value: Decimal, view: KeyResultView, team: TeamLocale) -> str:
    """A KR's value as the team writes it, with the KR's unit; at most two decimals (a KPI's
    weekly average can have many), none for whole pesos; "8,2 de 10" for a rating."""
    shown = display_quantity(Decimal(value), view.result.unit, language=team.language, country=team.country, currency=_currency(view))
    if view.result.scale is not None:
        scale = format_quantity(view.result.scale, None, language=team.language, country=team.country)
        return t(team.language, "okr.rhythm.kr.of_scale", value=shown, scale=scale)
    return shown


def _share(fraction: float, team: TeamLocale) -> str:
    """0.8 → "80 %" / "80%"."""
    return format_quantity(Decimal(round(fraction * 100)), PERCENT, language=team.language, country=team.country)


def score_text(score: float, team: TeamLocale) -> str:
    """0.85 → "0,85" / "0.85"."""
    return format_quantity(Decimal(str(round(score, 2))), None, language=team.language, country=team.country, decimals=2)


def status_text(status: Status, language: str) -> str:
    return f"{STATUS_MARKS[status]} {t(language, status.label_id)}"


def kind_text(kind: ObjectiveKind, language: str) -> str:
    """"comprometido" / "committed", to sit inside a sentence."""
    return t(language, KIND_LABELS[kind]).lower()


def _metric(view: KeyResultView) -> str:
    return escape_mrkdwn(truncate(view.result.metric, 200))


def _current(view: KeyResultView, team: TeamLocale) -> str:
    target = kr_value(view.result.target, view, team)
    if view.current is None:
        return t(team.language, "okr.rhythm.kr.no_value", target=target)
    return t(team.language, "okr.rhythm.kr.value", current=kr_value(view.current.value, view, team), target=target)


def reminder_kr_text(view: KeyResultView, team: TeamLocale) -> str:
    """"*KR3* Recompra" then "24 % (meta 25 %) · progreso 80 % · 🟡 En riesgo · confianza 6/10"."""
    language = team.language
    facts = [_current(view, team), t(language, "okr.rhythm.kr.progress", progress=_share(view.progress, team)), status_text(view.status, language)]
    if view.result.confidence is not None:
        facts.append(t(language, "okr.rhythm.kr.confidence", confidence=view.result.confidence))
    lines = [f"*{view.short_id}* {_metric(view)}", " · ".join(facts)]
    if view.spec is not None:
        lines.append(t(language, "okr.rhythm.kr.from_kpi", key=view.spec.key))
    return "\n".join(lines)


# The reminder DM ------------------------------------------------------------------------------------------


def reminder_message(view: ReminderView, team: TeamLocale, *, channel_id: str) -> Reply:
    """One DM per owner: the KRs waiting for a check-in, each with a Check in button, and the
    one-line command for people who prefer typing (in the team's channel: a DM has no team)."""
    language = team.language
    channel = f"<#{channel_id}>"
    meeting = _meeting_moment(view.meeting_at, team)
    krs = view.key_results[:MAX_REMINDER_KRS]
    blocks: list[Block] = [
        header(t(language, "okr.rhythm.reminder.title")),
        section(t(language, "okr.rhythm.reminder.intro", channel=channel, meeting=meeting, count=len(view.key_results))),
    ]
    for kr in krs:
        block = section(reminder_kr_text(kr, team))
        block["block_id"] = f"okr_reminder_{kr.result.number}"
        block["accessory"] = kit.button(text=t(language, "okr.rhythm.reminder.button"), action_id=CHECKIN_OPEN, value=str(kr.result.number),
                                        style="primary")
        blocks.append(block)
    if len(view.key_results) > len(krs):
        blocks.append(context(t(language, "okr.rhythm.reminder.more", count=len(view.key_results) - len(krs))))
    blocks.append(context(_one_line_hint(krs, team, channel)))
    ids = ", ".join(kr.short_id for kr in view.key_results)
    return Reply(t(language, "okr.rhythm.reminder.text", meeting=meeting, krs=ids, channel=channel), blocks)


def _one_line_hint(krs: Sequence[KeyResultView], team: TeamLocale, channel: str) -> str:
    language = team.language
    manual = next((kr for kr in krs if kr.spec is None), None)
    backed = next((kr for kr in krs if kr.spec is not None), None)
    lines = []
    if manual is not None:
        lines.append(t(language, "okr.rhythm.reminder.one_line", channel=channel, kr=manual.short_id))
    if backed is not None:
        key = "okr.rhythm.reminder.one_line_kpi" if manual is not None else "okr.rhythm.reminder.one_line_kpi_only"
        lines.append(t(language, key, channel=channel, kr=backed.short_id))
    return "\n".join(lines) or t(language, "okr.rhythm.reminder.one_line", channel=channel, kr="KR1")


# The review post ------------------------------------------------------------------------------------------


def question_label(question: ReviewQuestion, language: str) -> str:
    return t(language, f"okr.rhythm.question.{question.value}")


def question_ask(question: ReviewQuestion, language: str) -> str:
    return t(language, f"okr.rhythm.question.{question.value}.ask")


def score_line(objective: ObjectiveView, team: TeamLocale) -> str:
    language = team.language
    if objective.score is None:
        return t(language, "okr.rhythm.review.score.none")
    params = {"score": score_text(objective.score, team), "kind": kind_text(objective.kind, language),
              "expected": score_text(GOOD_SCORE[objective.kind], team)}
    key = "okr.rhythm.review.score.good" if objective.good else "okr.rhythm.review.score.short"
    return t(language, key, **params)


def _review_kr_line(view: KeyResultView, team: TeamLocale) -> str:
    language = team.language
    baseline = kr_value(view.result.baseline, view, team)
    if view.current is None:
        result = t(language, "okr.rhythm.review.kr.no_value", baseline=baseline, target=kr_value(view.result.target, view, team))
    else:
        result = t(language, "okr.rhythm.review.kr.value", baseline=baseline, current=kr_value(view.current.value, view, team),
                   target=kr_value(view.result.target, view, team))
    owner = f" · {mention(view.owner)}" if view.owner else ""
    score = t(language, "okr.rhythm.review.kr.score", score=score_text(view.progress, team))
    return f"• *{view.short_id}* {_metric(view)}: {result} · {score}{owner}"


def review_message(view: ReviewPromptView, answers: Sequence[AnswerView], team: TeamLocale) -> Reply:
    """The review prompt in the team's channel: the objective, its final score (good or not for
    its kind), each KR's result, the three questions and how to answer; the answers so far once
    there are some (the post is redrawn after each)."""
    objective, language = view.objective, team.language
    title = t(language, "okr.rhythm.review.title", objective=objective.label, title=objective.title)
    score = score_line(objective, team)
    facts = [score]
    if objective.ends_on is not None:
        facts.append(t(language, "okr.rhythm.review.ended", day=_day(objective.ends_on, team), kind=kind_text(objective.kind, language)))
    blocks: list[Block] = [header(title), section("\n".join(facts))]
    if objective.key_results:
        lines = [_review_kr_line(kr, team) for kr in objective.key_results]
        blocks.append(section(truncate(t(language, "okr.rhythm.review.results") + "\n" + "\n".join(lines), 3000)))
    questions = "\n".join(f"{number}. *{question_label(q, language)}* — {question_ask(q, language)}" for number, q in enumerate(QUESTIONS, 1))
    blocks.append(section(t(language, "okr.rhythm.review.questions") + "\n" + questions))
    answer = kit.button(text=t(language, "okr.rhythm.review.button"), action_id=REVIEW_ANSWER, value=str(objective.id), style="primary")
    blocks.append(kit.actions(block_id=f"okr_review_{objective.id}", elements=[answer]))
    blocks.append(context(t(language, "okr.rhythm.review.how")))
    blocks += answer_blocks(answers, team)
    text = t(language, "okr.rhythm.review.text", objective=objective.label, title=escape_mrkdwn(objective.title), score=score)
    return Reply(truncate(text, 3000), blocks)


def answer_blocks(answers: Sequence[AnswerView], team: TeamLocale) -> list[Block]:
    """The answers so far, grouped by question, oldest first; who answered is a mention of a
    stored id, what they wrote is escaped (and clipped in the post when very long)."""
    if not answers:
        return []
    language = team.language
    blocks: list[Block] = [{"type": "divider"}, section(t(language, "okr.rhythm.review.answers.title", count=len(answers)))]
    for question in QUESTIONS:
        given = [answer for answer in answers if answer.question is question]
        if given:
            blocks.append(section(_answers_text(question, given, team)))
    return blocks


def _answers_text(question: ReviewQuestion, given: Sequence[AnswerView], team: TeamLocale) -> str:
    """The newest answers that fit in one section, oldest first, after a count of those left out."""
    language = team.language
    label = f"*{question_label(question, language)}*"
    lines: list[str] = []
    room = ANSWERS_TEXT_LIMIT - len(label) - 200  # 200: the "N earlier answers" line
    for answer in reversed(given):
        line = f"• {mention(answer.user_id)}: {escape_mrkdwn(truncate(' '.join(answer.answer.split()), SHOWN_ANSWER_LENGTH))}"
        if len(line) + 1 > room:
            break
        lines.insert(0, line)
        room -= len(line) + 1
    earlier = len(given) - len(lines)
    head = [label, t(language, "okr.rhythm.review.answers.earlier", count=earlier)] if earlier else [label]
    return "\n".join(head + lines)


# The review form --------------------------------------------------------------------------------------------


def review_modal(view: ReviewPromptView, team: TeamLocale, *, metadata: str) -> dict[str, Any]:
    """Three optional multi-line answers (the submission needs at least one)."""
    objective, language = view.objective, team.language
    intro = t(language, "okr.rhythm.form.intro", objective=objective.label, title=escape_mrkdwn(objective.title),
              score=score_line(objective, team))
    blocks: list[Block] = [section(truncate(intro, 3000))]
    for question in QUESTIONS:
        blocks.append(kit.input_block(
            block_id=question.value, optional=True, label=f"{question_label(question, language)} — {question_ask(question, language)}",
            element=kit.plain_text_input(action_id=VALUE, multiline=True, max_length=MAX_ANSWER_LENGTH,
                                         placeholder=t(language, f"okr.rhythm.form.placeholder.{question.value}")),
        ))  # fmt: skip
    return kit.modal(
        callback_id=REVIEW_VIEW, private_metadata=metadata, title=t(language, "okr.rhythm.form.title", objective=objective.label),
        submit=t(language, "okr.rhythm.form.submit"), close=t(language, "okr.rhythm.form.cancel"), blocks=blocks,
    )


# Replies to the person ----------------------------------------------------------------------------------------


def answered_reply(objective_label: str, questions: Sequence[ReviewQuestion], team: TeamLocale) -> Reply:
    language = team.language
    named = ", ".join(question_label(question, language) for question in QUESTIONS if question in questions)
    text = t(language, "okr.rhythm.answered", objective=objective_label, questions=named)
    return Reply(text, [section(text)])
