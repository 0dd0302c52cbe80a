"""Topics for the next meeting and the week's experiment: the `/alinea agenda` list, the
answers to `agenda add|tema` and `agenda close`, the experiment form and its channel post."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from bot.blocks import Block, Reply, context, escape_mrkdwn, kit, section
from services.agenda_topics import TopicView
from services.experiments import ExperimentView
from services.i18n import t

DECIDE_EXPERIMENT = "agenda_decide_experiment"  # the weekly agenda's button; its value is the week key
EXPERIMENT_VIEW = "agenda_experiment_view"
HYPOTHESIS, METRIC, METRIC_TEXT, OWNER, DUE = "exp_hypothesis", "exp_metric", "exp_metric_text", "exp_owner", "exp_due"
VALUE = "value"
MAX_TOPICS_SHOWN = 40


def _day(day: date, locale: str) -> str:
    return format_date(day, "EEE d MMM", locale=_babel(locale))


def _babel(locale: str) -> str:
    return "es_CO" if locale.startswith("es") else "en_US"


def meeting_label(meeting_at: datetime, timezone: str, locale: str) -> str:
    return format_datetime(meeting_at.astimezone(ZoneInfo(timezone)), "EEEE d MMM, HH:mm", locale=_babel(locale))


def topic_line(topic: TopicView, locale: str) -> str:
    line = t(locale, "agenda.topics.line", label=topic.label, text=escape_mrkdwn(topic.text), user=topic.added_by)
    if topic.outcome:
        line += "\n" + t(locale, "agenda.topics.outcome", outcome=escape_mrkdwn(topic.outcome))
    return line


def topics_reply(topics: list[TopicView], experiment: ExperimentView | None, *, meeting: str, locale: str) -> Reply:
    title = t(locale, "agenda.topics.title", meeting=meeting)
    blocks: list[Block] = [section(f"*{title}*")]
    if not topics:
        blocks.append(section(t(locale, "agenda.topics.none")))
    for topic in topics[:MAX_TOPICS_SHOWN]:
        blocks.append(section(topic_line(topic, locale)))
    if len(topics) > MAX_TOPICS_SHOWN:
        blocks.append(context(t(locale, "agenda.topics.more", count=len(topics) - MAX_TOPICS_SHOWN)))
    if experiment is not None:
        blocks.append(section(experiment_text(experiment, locale)))
    blocks.append(context(t(locale, "agenda.topics.hint")))
    return Reply(title, blocks)


def added_reply(topic: TopicView, *, meeting: str, locale: str) -> Reply:
    text = t(locale, "agenda.topics.added", label=topic.label, text=escape_mrkdwn(topic.text), meeting=meeting)
    return Reply(text, [section(text), context(t(locale, "agenda.topics.close_hint", label=topic.label))])


def closed_reply(topic: TopicView, locale: str) -> Reply:
    text = t(locale, "agenda.topics.closed", label=topic.label, text=escape_mrkdwn(topic.text), outcome=escape_mrkdwn(topic.outcome))
    return Reply(text, [section(text)])


def experiment_text(experiment: ExperimentView, locale: str) -> str:
    text = t(
        locale, "agenda.experiment.line", week=experiment.week.key, hypothesis=escape_mrkdwn(experiment.hypothesis),
        metric=escape_mrkdwn(experiment.metric), owner=experiment.owner, due=_day(experiment.due, locale),
    )  # fmt: skip
    if experiment.result is not None:
        text += "\n" + t(locale, f"agenda.experiment.result.{experiment.result.value}", note=escape_mrkdwn(experiment.result_note))
    return text


def experiment_post(experiment: ExperimentView, *, decided_by: str, locale: str) -> Reply:
    title = t(locale, "agenda.experiment.decided", week=experiment.week.key, user=decided_by)
    return Reply(title, [section(f"*{title}*"), section(experiment_text(experiment, locale)), context(t(locale, "agenda.experiment.result_hint"))])


def result_reply(experiment: ExperimentView, locale: str) -> Reply:
    text = experiment_text(experiment, locale)
    return Reply(t(locale, "agenda.experiment.result_recorded", week=experiment.week.key), [section(text)])


def experiment_modal(*, week_key: str, kpis: list[tuple[str, str]], due: date, metadata: str, locale: str, bottleneck: str | None = None) -> dict[str, Any]:
    """Hypothesis, the metric that will judge it (a KPI, or words), owner and date."""
    known = bottleneck if bottleneck and any(key == bottleneck for key, _ in kpis) else None
    metric = kit.static_select(action_id=VALUE, options=[kit.option(text=f"{name} ({key})", value=key) for key, name in kpis],
                               initial=known, placeholder=t(locale, "agenda.experiment.form.metric_placeholder"))
    blocks = [
        section(t(locale, "agenda.experiment.form.intro", week=week_key)),
        kit.input_block(block_id=HYPOTHESIS, label=t(locale, "agenda.experiment.form.hypothesis"), element=kit.plain_text_input(
            action_id=VALUE, multiline=True, max_length=500, placeholder=t(locale, "agenda.experiment.form.hypothesis_placeholder"))),
        kit.input_block(block_id=METRIC, label=t(locale, "agenda.experiment.form.metric"), element=metric, optional=True),
        kit.input_block(block_id=METRIC_TEXT, label=t(locale, "agenda.experiment.form.metric_text"),
                        element=kit.plain_text_input(action_id=VALUE, max_length=200), optional=True,
                        hint=t(locale, "agenda.experiment.form.metric_hint")),
        kit.input_block(block_id=OWNER, label=t(locale, "agenda.experiment.form.owner"), element=kit.users_select(action_id=VALUE)),
        kit.input_block(block_id=DUE, label=t(locale, "agenda.experiment.form.due"), element=kit.datepicker(action_id=VALUE, initial=due)),
    ]
    return kit.modal(
        callback_id=EXPERIMENT_VIEW, private_metadata=metadata, title=t(locale, "agenda.experiment.form.title"),
        submit=t(locale, "agenda.experiment.form.submit"), close=t(locale, "agenda.experiment.form.cancel"), blocks=blocks,
    )  # fmt: skip
