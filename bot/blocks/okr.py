"""OKRs as Block Kit: the board (`/alinea okr`), an objective or KR in detail, the objective's
post in the team's channel, the short lines posted when a KR is added, re-targeted or an
objective closed, the replies to the person who acted, and the three modals (new objective with
its first key result, a key result for an objective, a check-in).

Pure functions of the service's views. Titles, metrics, notes and reasons were typed by people:
they are escaped in mrkdwn and never put in a header or a fallback text unescaped; mentions are
built only from user ids we stored. Status is an emoji *and* a word (colour is not enough), and
progress a text bar that reads on a phone: `▰▰▰▱▱▱▱▱▱▱ 30 %`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot.blocks import Block, Reply, context, divider, escape_mrkdwn, fields_section, header, kit, mention, section, truncate
from domain.locales import TeamLocale
from bot.blocks.smart import checklist_reply
from domain.examples import example_params
from domain.glossary import Side
from domain.number_format import display_quantity, format_quantity
from domain.number_style import DEFAULT_CURRENCY, HOURS, PERCENT
from domain.periods import format_period
from domain.okr import GOOD_SCORE, Contributor, FocusWarning, ObjectiveKind, Status
from domain.sla import Comparator
from domain.smart_goal import SmartCheck
from services.i18n import language_of, t
from services.okr import AddedKeyResult, Board, KeyResultCheckIn, KeyResultRetarget, KeyResultView, ObjectiveView

# Ids: buttons, modals and their input blocks ------------------------------------------------------

CHECKIN_OPEN = "okr_checkin_open"  # value: the KR number ("3"); the reminder DM uses it too
NEW_OPEN = "okr-new-open"  # the board's "New objective"
ADD_KR_OPEN = "okr-kr-add-open"  # value: the objective number ("1")
BOARD_ACTIONS = "okr-board-actions"
OBJECTIVE_ACTIONS = "okr-objective-actions"
KR_ACTIONS = "okr-kr-actions"

NEW_VIEW = "okr-new"  # objective + its first key result
KR_VIEW = "okr-kr-new"  # a key result for an existing objective
CHECKIN_VIEW = "okr-checkin"

TITLE = "okr-title"
KIND = "okr-kind"
KR_KPI = "okr-kr-kpi"
KR_METRIC = "okr-kr-metric"
KR_BASELINE = "okr-kr-baseline"
KR_TARGET = "okr-kr-target"
KR_START = "okr-kr-start"
KR_DEADLINE = "okr-kr-deadline"
KR_OWNER = "okr-kr-owner"
KR_SIDES = "okr-kr-sides"
KR_CONTRIBUTORS = "okr-kr-contributors"
KR_MILESTONES = "okr-kr-milestones"
KR_CONFIDENCE = "okr-kr-confidence"
SECOND = "okr-second-"  # prefixes the block ids of a second key result proposed in the new objective form
SECOND_KEEP = "okr-second-keep"  # its "create this one too" box
CHECKIN_KR = "okr-checkin-kr"
CHECKIN_VALUE = "okr-checkin-value"
CHECKIN_CONFIDENCE = "okr-checkin-confidence"
CHECKIN_NOTE = "okr-checkin-note"
VALUE = "okr-value"  # the action id of every input element: the block id says which field

MAX_MESSAGE_BLOCKS = 50
BAR_SEGMENTS = 10
FILLED, EMPTY = "▰", "▱"
STATUS_EMOJI = {Status.ON_TRACK: "🟢", Status.AT_RISK: "🟡", Status.OFF_TRACK: "🔴"}
SYMBOLS = {Comparator.AT_LEAST: "≥", Comparator.AT_MOST: "≤"}
MAX_NOTE_LENGTH = 500
MAX_METRIC_LENGTH = 200
MAX_TITLE_LENGTH = 150
RETARGETS_SHOWN = 5
MORE_LABELS = 8  # objectives named in the board's "N more" line


@dataclass(frozen=True)
class RetargetShown:
    """One re-target of a KR, as `okr show KR3` lists it."""

    old_target: Decimal
    new_target: Decimal
    old_deadline: date
    new_deadline: date
    reason: str
    user_id: str
    at: datetime


# Small pieces ------------------------------------------------------------------------------------


def progress_bar(progress: float) -> str:
    """Ten segments, a segment filled per whole tenth reached: 0.34 → ▰▰▰▱▱▱▱▱▱▱."""
    share = min(1.0, max(0.0, progress))
    filled = min(BAR_SEGMENTS, int(share * BAR_SEGMENTS + 1e-9))
    return FILLED * filled + EMPTY * (BAR_SEGMENTS - filled)


def percent(progress: float, where: TeamLocale) -> str:
    """0.3 → "30 %" (es) / "30%" (en)."""
    whole = Decimal(str(min(1.0, max(0.0, progress)) * 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return format_quantity(whole, PERCENT, language=where.language, country=where.country, decimals=0)


def bar(progress: float, where: TeamLocale) -> str:
    return f"{progress_bar(progress)} {percent(progress, where)}"


def status_text(status: Status, language: str) -> str:
    """"🟡 En riesgo": the emoji and the word."""
    return f"{STATUS_EMOJI[status]} {t(language, status.label_id)}"


def kind_text(kind: ObjectiveKind, language: str) -> str:
    return t(language, f"okr.kind.{kind.value}")


def day(value: date, where: TeamLocale) -> str:
    return format_date(value, format="medium", locale=language_of(where.language))


def _moment_day(moment: datetime, where: TeamLocale) -> str:
    return day(moment.astimezone(ZoneInfo(where.timezone)).date(), where)


def number(value: Decimal | float, where: TeamLocale, *, decimals: int | None = None) -> str:
    return format_quantity(Decimal(str(value)), None, language=where.language, country=where.country, decimals=decimals)


def _currency_of(kr: KeyResultView) -> str:
    unit = kr.result.unit
    if unit and unit not in (PERCENT, HOURS):
        return unit
    return kr.spec.currency if kr.spec is not None else DEFAULT_CURRENCY


def value_text(value: Decimal, kr: KeyResultView, where: TeamLocale, *, unit: str | None = None) -> str:
    """A KR's value the team's way ("1,4 %", "$45.000.000", "8,5 de 10")."""
    shown = display_quantity(value, unit or kr.result.unit, language=where.language, country=where.country, currency=_currency_of(kr))
    if kr.result.scale is not None:
        shown = t(where.language, "okr.ui.of_scale", value=shown, scale=number(kr.result.scale, where))
    return shown


def score_text(objective: ObjectiveView, where: TeamLocale) -> str:
    """"Puntaje 0,3 de 1,0 · por debajo de 1,0, lo esperado para un objetivo comprometido"."""
    language = where.language
    if objective.score is None:
        return t(language, "okr.ui.score.none")
    good = number(GOOD_SCORE[objective.kind], where, decimals=1)
    kind = kind_text(objective.kind, language).lower()
    verdict = t(language, "okr.ui.score.good" if objective.good else "okr.ui.score.low", good=good, kind=kind)
    return t(language, "okr.ui.score", score=number(objective.score, where, decimals=1), full=number(1, where, decimals=1)) + f" · {verdict}"


def warning_lines(warnings: Sequence[FocusWarning], language: str) -> str:
    return "\n".join(
        "⚠️ " + t(language, warning.message_id, **{name: escape_mrkdwn(str(value)) for name, value in warning.params.items()})
        for warning in warnings
    )


def _people(user_ids: Sequence[str]) -> str:
    return ", ".join(mention(user) for user in user_ids)


def _sides(kr: KeyResultView, language: str) -> str:
    names = {Side.MARKETING: "okr.ui.side.marketing", Side.SALES: "okr.ui.side.sales"}
    sides = [t(language, names[side]) for side in (Side.MARKETING, Side.SALES) if side in kr.result.sides]
    return ", ".join(sides)


def _contributors(kr: KeyResultView, language: str) -> str:
    return ", ".join(t(language, f"okr.ui.contributor.{who.value}") for who in Contributor if who in kr.result.contributors)


def kpi_marker(kr: KeyResultView, language: str) -> str:
    return t(language, "okr.ui.kr.kpi_backed", key=kr.spec.key) if kr.spec is not None else ""


def _guardrail_line(kr: KeyResultView, where: TeamLocale) -> str | None:
    guardrail = kr.result.guardrail
    if guardrail is None or not kr.guardrail_broken:
        return None
    unit = guardrail.unit
    limit = format_quantity(guardrail.value, unit, language=where.language, country=where.country)
    current = format_quantity(kr.guardrail_value, unit, language=where.language, country=where.country) if kr.guardrail_value is not None else "?"
    return t(where.language, "okr.ui.kr.guardrail_broken", metric=escape_mrkdwn(guardrail.metric),
             comparator=SYMBOLS[guardrail.comparator], value=limit, current=current)


def _metric(kr: KeyResultView) -> str:
    return escape_mrkdwn(truncate(kr.result.metric, MAX_METRIC_LENGTH))


def _title(objective: ObjectiveView) -> str:
    return escape_mrkdwn(truncate(objective.title, MAX_TITLE_LENGTH))


def kr_heading(kr: KeyResultView, language: str) -> str:
    """"*KR3* · Conversión en móvil · 📈 KPI `mobile_conversion`"."""
    marker = kpi_marker(kr, language)
    return f"*{kr.short_id}* · {_metric(kr)}" + (f" · {marker}" if marker else "")


def goal_text(kr: KeyResultView, where: TeamLocale) -> str:
    """"de 1,2 % a 1,6 % al 31 mar 2026"."""
    return t(where.language, "okr.ui.kr.goal", baseline=value_text(kr.result.baseline, kr, where),
             target=value_text(kr.result.target, kr, where), deadline=day(kr.result.deadline, where))


def kr_lines(kr: KeyResultView, where: TeamLocale) -> str:
    """The KR on the board: heading, bar and status, current value and goal, owner, flags."""
    language = where.language
    current = value_text(kr.current.value, kr, where) if kr.current is not None else t(language, "okr.ui.kr.no_value")
    lines = [
        kr_heading(kr, language),
        f"{bar(kr.progress, where)} · {status_text(kr.status, language)}",
        t(language, "okr.ui.kr.now", current=current, goal=goal_text(kr, where)),
        t(language, "okr.ui.kr.owner", owner=mention(kr.owner) if kr.owner else "—"),
    ]
    guardrail = _guardrail_line(kr, where)
    if guardrail:
        lines.append(guardrail)
    return "\n".join(lines)


def objective_heading(objective: ObjectiveView, where: TeamLocale) -> str:
    """"*O1* · Title" then "Comprometido · Puntaje 0,3 de 1,0 · …" (and 🔒 when closed)."""
    language = where.language
    meta = f"{kind_text(objective.kind, language)} · {score_text(objective, where)}"
    if not objective.active:
        meta = f"{t(language, 'okr.ui.closed')} · {meta}"
    return f"*{objective.label}* · {_title(objective)}\n{meta}"


def _checkin_button(kr: KeyResultView, language: str) -> dict[str, Any]:
    return kit.button(text=t(language, "okr.ui.checkin.button"), action_id=CHECKIN_OPEN, value=str(kr.result.number))


def _add_kr_button(objective: ObjectiveView, language: str) -> dict[str, Any]:
    return kit.button(text=t(language, "okr.ui.kr.add_button"), action_id=ADD_KR_OPEN, value=str(objective.number))


def notice(text: str) -> Reply:
    """A short answer already in mrkdwn (catalog words, escaped parameters)."""
    return Reply(text=text, blocks=[section(text)])


# The board ----------------------------------------------------------------------------------------


def board_reply(board: Board, where: TeamLocale, *, include_closed: bool = False) -> Reply:
    """Focus warnings first, then each objective with its KRs (a Check in button on each active
    one), within Slack's 50 blocks: what does not fit is counted in an "N more" line."""
    language = where.language
    new = kit.button(text=t(language, "okr.ui.new_button"), action_id=NEW_OPEN, value="new", style="primary")
    new_button = kit.actions(block_id=BOARD_ACTIONS, elements=[new])
    if not board.objectives:
        text = t(language, "okr.ui.board.empty_all" if include_closed else "okr.ui.board.empty")
        return Reply(text=text, blocks=[section(text), new_button])
    active = sum(objective.active for objective in board.objectives)
    closed = len(board.objectives) - active
    title = t(language, "okr.ui.board.title_all", active=active, closed=closed) if include_closed else t(language, "okr.ui.board.title", count=active)
    blocks: list[Block] = [header(title)]
    if board.warnings:
        blocks.append(context(warning_lines(board.warnings, language)))
    tail = [context(t(language, "okr.ui.board.hint")), new_button]
    room = MAX_MESSAGE_BLOCKS - len(blocks) - len(tail) - 1  # one for the "N more" line
    items = _board_items(board.objectives, where)
    blocks += [block for block, _, _ in items[:room]]
    left = items[room:]
    if left:
        labels = list(dict.fromkeys(label for _, _, label in left))
        named = ", ".join(labels[:MORE_LABELS]) + (", …" if len(labels) > MORE_LABELS else "")
        key_results = sum(1 for _, kind, _ in left if kind == "kr")
        blocks.append(context(t(language, "okr.ui.board.more", labels=named, key_results=key_results, first=labels[0])))
    blocks += tail
    return Reply(text=title, blocks=blocks)


def _board_items(objectives: Sequence[ObjectiveView], where: TeamLocale) -> list[tuple[Block, str, str]]:
    """(block, what it shows, its objective's label), in the board's order."""
    language = where.language
    items: list[tuple[Block, str, str]] = []
    for objective in objectives:
        block = section(objective_heading(objective, where))
        if objective.active:
            block["accessory"] = _add_kr_button(objective, language)
        items.append((block, "objective", objective.label))
        if not objective.key_results:
            items.append((context(t(language, "okr.ui.objective.no_krs", objective=objective.label)), "hint", objective.label))
        for kr in objective.key_results:
            kr_block = section(kr_lines(kr, where))
            if kr.objective_active:
                kr_block["accessory"] = _checkin_button(kr, language)
            items.append((kr_block, "kr", objective.label))
    return items


# Detail: `okr show O1` and `okr show KR3` ---------------------------------------------------------


def objective_detail(objective: ObjectiveView, where: TeamLocale) -> Reply:
    language = where.language
    title = t(language, "okr.ui.objective.header", objective=objective.label)
    blocks: list[Block] = [header(title), section(objective_heading(objective, where))]
    if objective.owners:
        blocks.append(context(t(language, "okr.ui.objective.owners", people=_people(objective.owners))))
    room = MAX_MESSAGE_BLOCKS - len(blocks) - 2
    for kr in objective.key_results[:room]:
        block = section(kr_lines(kr, where) + "\n" + _last_checkin(kr, where) + _retargets_count(kr, language))
        if kr.objective_active:
            block["accessory"] = _checkin_button(kr, language)
        blocks.append(block)
    if len(objective.key_results) > room:
        blocks.append(context(t(language, "okr.ui.objective.more", count=len(objective.key_results) - room)))
    if not objective.key_results:
        blocks.append(context(t(language, "okr.ui.objective.no_krs", objective=objective.label)))
    if objective.active:
        blocks.append(kit.actions(block_id=OBJECTIVE_ACTIONS, elements=[_add_kr_button(objective, language)]))
    return Reply(text=title, blocks=blocks)


def _last_checkin(kr: KeyResultView, where: TeamLocale) -> str:
    language = where.language
    if kr.last_checkin_at is None:
        return t(language, "okr.ui.kr.no_checkin")
    line = t(language, "okr.ui.kr.last_checkin", date=_moment_day(kr.last_checkin_at, where))
    if kr.result.confidence is not None:
        line += " · " + t(language, "okr.ui.kr.confidence", confidence=kr.result.confidence)
    if kr.note:
        line += " · " + t(language, "okr.ui.kr.note", note=escape_mrkdwn(truncate(kr.note, MAX_NOTE_LENGTH)))
    return line


def _retargets_count(kr: KeyResultView, language: str) -> str:
    return "\n" + t(language, "okr.ui.kr.retargets", count=kr.retargets) if kr.retargets else ""


def key_result_detail(kr: KeyResultView, objective: ObjectiveView, retargets: Sequence[RetargetShown], where: TeamLocale) -> Reply:
    language = where.language
    title = t(language, "okr.ui.kr.header", kr=kr.short_id, objective=objective.label)
    current = value_text(kr.current.value, kr, where) if kr.current is not None else t(language, "okr.ui.kr.no_value")
    pairs = [
        (t(language, "okr.ui.field.current"), current),
        (t(language, "okr.ui.field.expected"), percent(kr.expected, where)),
        (t(language, "okr.ui.field.baseline"), value_text(kr.result.baseline, kr, where)),
        (t(language, "okr.ui.field.target"), value_text(kr.result.target, kr, where)),
        (t(language, "okr.ui.field.dates"), t(language, "okr.ui.kr.dates", start=day(kr.result.start, where), deadline=day(kr.result.deadline, where))),
        (t(language, "okr.ui.field.owner"), mention(kr.owner) if kr.owner else "—"),
        (t(language, "okr.ui.field.sides"), _sides(kr, language) or "—"),
    ]
    if kr.result.contributors:
        pairs.append((t(language, "okr.ui.field.contributors"), _contributors(kr, language)))
    if kr.result.milestones:
        milestones = "\n".join(f"{value_text(m.value, kr, where)} · {day(m.due, where)}" for m in kr.result.milestones)
        pairs.append((t(language, "okr.ui.field.milestones"), milestones))
    if kr.result.guardrail is not None:
        g = kr.result.guardrail
        limit = format_quantity(g.value, g.unit, language=where.language, country=where.country)
        pairs.append((t(language, "okr.ui.field.guardrail"), f"{escape_mrkdwn(g.metric)} {SYMBOLS[g.comparator]} {limit}"))
    objective_line = t(language, "okr.ui.kr.of_objective", objective=objective.label, title=_title(objective))
    blocks: list[Block] = [
        header(title),
        section(f"{kr_heading(kr, language)}\n{objective_line}\n{bar(kr.progress, where)} · {status_text(kr.status, language)}"),
        fields_section(pairs),
        context(_last_checkin(kr, where)),
    ]
    guardrail = _guardrail_line(kr, where)
    if guardrail:
        blocks.insert(2, section(guardrail))
    if retargets:
        lines = [t(language, "okr.ui.retargets.title", count=len(retargets))]
        for change in list(retargets)[-RETARGETS_SHOWN:]:
            lines.append(_retarget_line(change, kr, where))
        blocks.append(section("\n".join(lines)))
    if kr.objective_active:
        blocks.append(kit.actions(block_id=KR_ACTIONS, elements=[_checkin_button(kr, language)]))
    return Reply(text=title, blocks=blocks)


def _retarget_line(change: RetargetShown, kr: KeyResultView, where: TeamLocale) -> str:
    language = where.language
    parts = []
    if change.new_target != change.old_target:
        parts.append(t(language, "okr.ui.retarget.target_change", old=value_text(change.old_target, kr, where), new=value_text(change.new_target, kr, where)))
    if change.new_deadline != change.old_deadline:
        parts.append(t(language, "okr.ui.retarget.deadline_change", old=day(change.old_deadline, where), new=day(change.new_deadline, where)))
    return t(language, "okr.ui.retargets.line", date=_moment_day(change.at, where), changes="; ".join(parts),
             reason=escape_mrkdwn(truncate(change.reason, MAX_NOTE_LENGTH)), user=mention(change.user_id))


# The objective's post in the channel, and what follows it -------------------------------------------


def objective_post(objective: ObjectiveView, where: TeamLocale, *, actor: str) -> Reply:
    """Visible to the team: title, kind, KRs and owners, with an "Add key result" button."""
    language = where.language
    title = t(language, "okr.ui.post.header", objective=objective.label)
    lines = [f"*{_title(objective)}*", kind_text(objective.kind, language)]
    blocks: list[Block] = [header(title), section("\n".join(lines))]
    room = MAX_MESSAGE_BLOCKS - 5
    for kr in objective.key_results[:room]:
        blocks.append(section(f"{kr_heading(kr, language)}\n{goal_text(kr, where)} · {mention(kr.owner) if kr.owner else '—'}"))
    if not objective.key_results:
        blocks.append(context(t(language, "okr.ui.objective.no_krs", objective=objective.label)))
    people = t(language, "okr.ui.post.created_by", user=mention(actor))
    if objective.owners:
        people += " · " + t(language, "okr.ui.objective.owners", people=_people(objective.owners))
    blocks.append(context(people))
    if objective.active:
        blocks.append(kit.actions(block_id=OBJECTIVE_ACTIONS, elements=[_add_kr_button(objective, language)]))
    return Reply(text=title, blocks=blocks)


def kr_added_post(added: AddedKeyResult, where: TeamLocale, *, actor: str) -> Reply:
    """One line in the channel: "KR4 added to O1 by @ana: …"."""
    kr = added.key_result
    text = t(where.language, "okr.ui.post.kr_added", kr=kr.short_id, objective=added.objective.label, user=mention(actor),
             metric=_metric(kr), goal=goal_text(kr, where), owner=mention(kr.owner) if kr.owner else "—")
    return notice(text)


def retarget_post(result: KeyResultRetarget, where: TeamLocale, *, actor: str) -> Reply:
    return notice(t(where.language, "okr.ui.post.retargeted", user=mention(actor), **_retarget_params(result, where)))


def closed_post(objective: ObjectiveView, where: TeamLocale, *, actor: str) -> Reply:
    return notice(t(where.language, "okr.ui.post.closed", objective=objective.label, title=_title(objective),
                    user=mention(actor), score=score_text(objective, where)))


# Replies to the person who acted ------------------------------------------------------------------


def _with_smart(lines: list[str], smart: SmartCheck, warnings: Sequence[FocusWarning], where: TeamLocale) -> Reply:
    first = "\n".join(lines)
    checklist = checklist_reply(smart, where)
    blocks: list[Block] = [section(first), *checklist.blocks]
    if warnings:
        blocks.append(context(warning_lines(warnings, where.language)))
    return Reply(text=lines[0], blocks=blocks)


def _posted_line(where: TeamLocale, channel_id: str, posted: bool) -> str:
    return t(where.language, "okr.ui.posted" if posted else "okr.ui.not_posted", channel=f"<#{channel_id}>")


def created_with_kr_reply(added: AddedKeyResult, where: TeamLocale, *, channel_id: str, posted: bool) -> Reply:
    """After the form: the objective and its first KR, then the KR's SMART checklist."""
    objective, kr = added.objective, added.key_result
    lines = [
        t(where.language, "okr.ui.created", objective=objective.label, title=_title(objective), kind=kind_text(objective.kind, where.language).lower()),
        f"{kr_heading(kr, where.language)}: {goal_text(kr, where)} · {mention(kr.owner) if kr.owner else '—'}",
        *_logged_baseline_line(added, where),
        _posted_line(where, channel_id, posted),
    ]
    return _with_smart(lines, added.smart, added.warnings, where)


def with_second_kr(reply: Reply, second: AddedKeyResult, where: TeamLocale) -> Reply:
    """The form's reply when it created a second key result too: that one's lines and its own
    SMART checklist below the first's (the focus warnings, of the board with both, come last)."""
    kr = second.key_result
    lines = [t(where.language, "okr.ui.kr.added", kr=kr.short_id, objective=second.objective.label), kr_lines(kr, where),
             *_logged_baseline_line(second, where)]
    return Reply(text=reply.text, blocks=[*reply.blocks, divider(), *_with_smart(lines, second.smart, second.warnings, where).blocks])


def created_reply(objective: ObjectiveView, where: TeamLocale, *, channel_id: str, posted: bool, example: str) -> Reply:
    """After `okr new TITLE`: the objective, and how to add its KRs in one line."""
    language = where.language
    lines = [
        t(language, "okr.ui.created", objective=objective.label, title=_title(objective), kind=kind_text(objective.kind, language).lower()),
        t(language, "okr.ui.created.add_krs", objective=objective.label, example=escape_mrkdwn(example)),
        _posted_line(where, channel_id, posted),
    ]
    text = "\n".join(lines)
    return Reply(text=lines[0], blocks=[section(text)])


def kr_added_reply(added: AddedKeyResult, where: TeamLocale, *, channel_id: str, posted: bool) -> Reply:
    kr = added.key_result
    language = where.language
    lines = [t(language, "okr.ui.kr.added", kr=kr.short_id, objective=added.objective.label), kr_lines(kr, where)]
    lines += _logged_baseline_line(added, where)
    lines.append(_posted_line(where, channel_id, posted))
    return _with_smart(lines, added.smart, added.warnings, where)


def _logged_baseline_line(added: AddedKeyResult, where: TeamLocale) -> list[str]:
    """When no starting point was typed, which logged value the KR took (none otherwise)."""
    logged = added.logged_baseline
    if logged is None:
        return []
    value = value_text(logged.value, added.key_result, where)
    return [t(where.language, "okr.ui.kr.baseline_logged", value=value, period=format_period(logged.period, where.language))]


def checked_in_reply(result: KeyResultCheckIn, where: TeamLocale) -> Reply:
    """Before → after: value, progress and status, with the confidence and note echoed."""
    language = where.language
    kr, before = result.key_result, result.before
    lines = [t(language, "okr.ui.checkin.done", kr=kr.short_id, metric=_metric(kr))]
    if kr.spec is None and kr.current is not None:
        was = value_text(before.current.value, before, where) if before.current is not None else t(language, "okr.ui.kr.no_value")
        lines.append(t(language, "okr.ui.checkin.value", before=was, after=value_text(kr.current.value, kr, where)))
    elif kr.spec is not None:
        current = value_text(kr.current.value, kr, where) if kr.current is not None else t(language, "okr.ui.kr.no_value")
        lines.append(t(language, "okr.ui.checkin.kpi_value", key=kr.spec.key, current=current))
    lines.append(t(language, "okr.ui.checkin.progress", before=percent(before.progress, where), after=bar(kr.progress, where)))
    status = status_text(kr.status, language)
    if before.status is not kr.status:
        status = t(language, "okr.ui.checkin.status_changed", before=status_text(before.status, language), after=status)
    lines.append(t(language, "okr.ui.checkin.status", status=status))
    if kr.result.confidence is not None and kr.result.confidence != before.result.confidence:
        lines.append(t(language, "okr.ui.kr.confidence", confidence=kr.result.confidence))
    if kr.note and kr.last_checkin_at is not None and kr.last_checkin_at != before.last_checkin_at:
        lines.append(t(language, "okr.ui.kr.note", note=escape_mrkdwn(truncate(kr.note, MAX_NOTE_LENGTH))))
    text = "\n".join(lines)
    return Reply(text=lines[0], blocks=[section(text)])


def _retarget_params(result: KeyResultRetarget, where: TeamLocale) -> dict[str, str]:
    kr = result.key_result
    language = where.language
    changes = []
    if result.old_target != kr.result.target:
        changes.append(t(language, "okr.ui.retarget.target_change", old=value_text(result.old_target, kr, where),
                         new=value_text(kr.result.target, kr, where)))
    if result.old_deadline != kr.result.deadline:
        changes.append(t(language, "okr.ui.retarget.deadline_change", old=day(result.old_deadline, where), new=day(kr.result.deadline, where)))
    return {"kr": kr.short_id, "metric": _metric(kr), "changes": "; ".join(changes),
            "reason": escape_mrkdwn(truncate(result.reason, MAX_NOTE_LENGTH))}


def retargeted_reply(result: KeyResultRetarget, where: TeamLocale, *, channel_id: str, posted: bool) -> Reply:
    language = where.language
    kr = result.key_result
    lines = [
        t(language, "okr.ui.retarget.done", **_retarget_params(result, where)),
        f"{bar(kr.progress, where)} · {status_text(kr.status, language)}",
        _posted_line(where, channel_id, posted),
    ]
    return Reply(text=lines[0], blocks=[section("\n".join(lines))])


def closed_reply(objective: ObjectiveView, where: TeamLocale, *, channel_id: str, posted: bool) -> Reply:
    language = where.language
    lines = [
        t(language, "okr.ui.closed.done", objective=objective.label, title=_title(objective)),
        score_text(objective, where),
        _posted_line(where, channel_id, posted),
    ]
    return Reply(text=lines[0], blocks=[section("\n".join(lines))])


# Modals -----------------------------------------------------------------------------------------


def _text(max_length: int, *, placeholder: str | None = None, multiline: bool = False, initial: str = "") -> dict[str, Any]:
    return kit.plain_text_input(action_id=VALUE, max_length=max_length, multiline=multiline, initial=initial, placeholder=placeholder)


@dataclass(frozen=True)
class KeyResultPrefill:
    """A key result proposed elsewhere (a what-if path), filled in for a person to review:
    nothing is saved until they submit the form."""

    kpi_key: str
    baseline: str  # as the team writes it ("1,28 %")
    target: str
    deadline: date
    milestones: str = ""  # as the field reads them: "1,4 % 30/04/2026; 1,5 % 31/05/2026"


def _key_result_fields(
    where: TeamLocale, *, kpis: Sequence[tuple[str, str]], today: date, owner: str | None, prefill: KeyResultPrefill | None = None
) -> list[Block]:
    """The KR's fields, shared by the two forms."""
    language = where.language

    def label(field: str) -> str:
        return t(language, f"okr.ui.form.{field}")

    def field(block_id: str, name: str, element: dict[str, Any], *, optional: bool = False, hint: str | None = None) -> Block:
        return kit.input_block(block_id=block_id, label=label(name), element=element, optional=optional, hint=hint)

    blocks: list[Block] = []
    if kpis:
        select = kit.static_select(action_id=VALUE, options=[kit.option(text=f"{name} ({key})", value=key) for key, name in kpis],
                                   initial=prefill.kpi_key if prefill else None, placeholder=label("kpi_placeholder"))
        blocks.append(field(KR_KPI, "kpi", select, optional=True, hint=label("kpi_hint")))
    blocks.append(field(KR_METRIC, "metric", _text(MAX_METRIC_LENGTH, placeholder=label("metric_placeholder")),
                        optional=True, hint=label("metric_hint")))
    blocks.append(field(KR_BASELINE, "baseline", _text(40, placeholder=label("baseline_placeholder"), initial=prefill.baseline if prefill else ""),
                        optional=True, hint=label("baseline_hint")))  # empty on a KPI: its latest logged value
    blocks.append(field(KR_TARGET, "target", _text(40, placeholder=label("target_placeholder"), initial=prefill.target if prefill else "")))
    blocks.append(field(KR_START, "start", kit.datepicker(action_id=VALUE, initial=today)))
    blocks.append(field(KR_DEADLINE, "deadline", kit.datepicker(action_id=VALUE, initial=prefill.deadline if prefill else None)))
    blocks.append(field(KR_OWNER, "owner", kit.users_select(action_id=VALUE, initial=owner, placeholder=label("owner_placeholder"))))
    sides = [kit.option(text=t(language, "okr.ui.side.marketing"), value=Side.MARKETING.value),
             kit.option(text=t(language, "okr.ui.side.sales"), value=Side.SALES.value)]
    blocks.append(field(KR_SIDES, "sides", kit.checkboxes(action_id=VALUE, options=sides), optional=True, hint=label("sides_hint")))
    helpers = [kit.option(text=t(language, f"okr.ui.contributor.{who.value}"), value=who.value) for who in Contributor]
    blocks.append(field(KR_CONTRIBUTORS, "contributors", kit.checkboxes(action_id=VALUE, options=helpers), optional=True))
    milestones = _text(300, placeholder=t(language, "okr.ui.form.milestones_placeholder", **example_params(today, language)),
                       initial=prefill.milestones if prefill else "")
    blocks.append(field(KR_MILESTONES, "milestones", milestones, optional=True, hint=label("milestones_hint")))
    blocks.append(field(KR_CONFIDENCE, "confidence", _text(2, placeholder="7"), optional=True, hint=label("confidence_hint")))
    return blocks


def new_objective_modal(
    where: TeamLocale, *, kpis: Sequence[tuple[str, str]], today: date, metadata: str, owner: str | None, prefill: KeyResultPrefill | None = None,
    title: str = "", second: SecondKeyResult | None = None,
) -> dict[str, Any]:
    """The objective (title, kind) and its first key result, every field of it; `title` fills
    the title in (an objective proposed from a customer-feedback theme), `second` adds a second
    proposed key result below the first."""
    language = where.language

    def label(field: str) -> str:
        return t(language, f"okr.ui.form.{field}")

    kinds = [kit.option(text=kind_text(kind, language), value=kind.value) for kind in ObjectiveKind]
    blocks: list[Block] = [
        section(label("intro")),
        kit.input_block(block_id=TITLE, label=label("title"),
                        element=_text(MAX_TITLE_LENGTH, placeholder=label("title_placeholder"), initial=truncate(title, MAX_TITLE_LENGTH))),
        kit.input_block(block_id=KIND, label=label("kind"), element=kit.radio_buttons(action_id=VALUE, options=kinds, initial=kinds[0]["value"]),
                        hint=label("kind_hint")),
        section(f"*{label('first_kr')}*"),
        *_key_result_fields(where, kpis=kpis, today=today, owner=owner, prefill=prefill),
    ]
    if second is not None:
        blocks += second_key_result_blocks(where, second, kpis=kpis, today=today, owner=owner)
    return kit.modal(callback_id=NEW_VIEW, title=label("modal_title"), submit=label("create"), close=label("cancel"),
                     private_metadata=metadata, blocks=blocks)


@dataclass(frozen=True)
class SecondKeyResult:
    """A second key result proposed with the objective (an objective from a feedback theme: its
    complaints first, then CSAT). `prefill` None proposes none: `intro` says why and what to do."""

    intro: str  # mrkdwn: where its numbers come from
    prefill: KeyResultPrefill | None
    label: str = ""  # the name of its "create this one too" box ("CSAT key result")


def second_key_result_blocks(
    where: TeamLocale, second: SecondKeyResult, *, kpis: Sequence[tuple[str, str]], today: date, owner: str | None
) -> list[Block]:
    """Its intro, a ticked box that keeps it, and the fields of a key result under block ids of
    their own (`SECOND` + the first one's). Slack requires none of them: they are checked only
    while the box is ticked, so unticking it leaves the objective with its first key result."""
    blocks: list[Block] = [section(second.intro)]
    if second.prefill is None:
        return blocks
    keep = kit.option(text=t(where.language, "okr.ui.form.second_keep"), value="keep")
    box = kit.checkboxes(action_id=VALUE, options=[keep], initial=[keep["value"]])
    blocks.append(kit.input_block(block_id=SECOND_KEEP, label=second.label or t(where.language, "okr.ui.form.second_kr"), element=box, optional=True))
    for block in _key_result_fields(where, kpis=kpis, today=today, owner=owner, prefill=second.prefill):
        blocks.append({**block, "block_id": SECOND + block["block_id"], "optional": True})
    return blocks


def key_result_modal(
    where: TeamLocale, objective: ObjectiveView, *, kpis: Sequence[tuple[str, str]], today: date, metadata: str, owner: str | None
) -> dict[str, Any]:
    language = where.language
    intro = t(language, "okr.ui.form.kr_intro", objective=objective.label, title=_title(objective))
    blocks = [section(intro), *_key_result_fields(where, kpis=kpis, today=today, owner=owner)]
    return kit.modal(callback_id=KR_VIEW, title=t(language, "okr.ui.form.kr_modal_title"), submit=t(language, "okr.ui.form.add"),
                     close=t(language, "okr.ui.form.cancel"), private_metadata=metadata, blocks=blocks)


def _kr_option(kr: KeyResultView, where: TeamLocale) -> dict[str, Any]:
    text = f"{kr.short_id} · {kr.result.metric}"  # plain_text: shown as typed, never a mention
    return kit.option(text=text, value=str(kr.result.number))


def checkin_modal(where: TeamLocale, key_results: Sequence[KeyResultView], *, selected: int | None, metadata: str) -> dict[str, Any]:
    """Pick one of *my* KRs, then a value (manual KRs), confidence and a note."""
    language = where.language

    def label(field: str) -> str:
        return t(language, f"okr.ui.checkin.form.{field}")

    select = kit.static_select(action_id=VALUE, options=[_kr_option(kr, where) for kr in key_results],
                               initial=None if selected is None else str(selected), placeholder=label("kr_placeholder"))
    summary = "\n".join(_checkin_summary(kr, where) for kr in key_results[:10])
    blocks: list[Block] = [
        section(truncate(label("intro") + "\n" + summary, 3000)),
        kit.input_block(block_id=CHECKIN_KR, label=label("kr"), element=select),
        kit.input_block(block_id=CHECKIN_VALUE, label=label("value"), element=_text(40, placeholder=label("value_placeholder")), optional=True,
                        hint=label("value_hint")),
        kit.input_block(block_id=CHECKIN_CONFIDENCE, label=label("confidence"), element=_text(2, placeholder="7"), optional=True,
                        hint=label("confidence_hint")),
        kit.input_block(block_id=CHECKIN_NOTE, label=label("note"), element=_text(MAX_NOTE_LENGTH, multiline=True, placeholder=label("note_placeholder")),
                        optional=True),
    ]
    return kit.modal(callback_id=CHECKIN_VIEW, title=label("title"), submit=label("submit"), close=label("cancel"), private_metadata=metadata,
                     blocks=blocks)


def _checkin_summary(kr: KeyResultView, where: TeamLocale) -> str:
    language = where.language
    current = value_text(kr.current.value, kr, where) if kr.current is not None else t(language, "okr.ui.kr.no_value")
    line = f"• {kr_heading(kr, language)}: {current} → {value_text(kr.result.target, kr, where)} · {status_text(kr.status, language)}"
    return line
