"""The SLAs in an agenda's words: each commitment (its promise, the last closed period, the current
one, attainment), the one-line summary for the parent, and each breach with who has to
acknowledge it (mentioned from the stored id), or who did, why and the action plan.
"""

from __future__ import annotations

from typing import Sequence

from bot.blocks import escape_mrkdwn, mention, truncate
from bot.blocks.agenda_kpis import kpi_value_text
from bot.blocks.glossary import side_label
from domain.locales import TeamLocale
from bot.blocks.sla import strip
from bot.blocks.sla_breach import plan_text, promise_text, reason_text
from domain.periods import format_period
from domain.sla import Outcome, State
from services.agenda_charts import attainment_text
from services.i18n import t
from services.sla import CommitmentRow
from services.sla_breaches import BreachStatus, BreachView

MAX_BREACHES = 30

_CLOSED_MARK = {State.MET: "✅", State.BREACHED: "❌", State.NO_DATA: "⬜"}


def _closed_text(outcome: Outcome, row: CommitmentRow, where: TeamLocale) -> str:
    language = where.language
    if outcome.state is State.NO_DATA or outcome.value is None:
        return t(language, "agenda.ui.sla.state.no_data")
    value = kpi_value_text(outcome.value, row.shown.spec, where)
    return t(language, f"agenda.ui.sla.state.{outcome.state.value}", value=value)


def _current_text(row: CommitmentRow, where: TeamLocale) -> str | None:
    if row.current_state is None or row.in_force is None:
        return None
    language = where.language
    state = "at_risk" if row.current_state is State.AT_RISK else "on_track"
    if row.current_value is None:
        return t(language, f"agenda.ui.sla.state.{state}_no_data")
    return t(language, f"agenda.ui.sla.state.{state}", value=kpi_value_text(row.current_value, row.in_force.spec, where))


def commitment_lines(row: CommitmentRow, where: TeamLocale) -> list[str]:
    version, language = row.shown, where.language
    lines = [f"*{version.label}* · {side_label(language, version.terms.side)} · {promise_text(version, where)}"]
    if row.in_force is None:
        lines.append(t(language, "agenda.ui.sla.pending"))
        return lines
    kind = version.terms.period_kind
    closed = [outcome for outcome in row.recent if outcome.state in _CLOSED_MARK]
    if closed:
        lines.append(t(language, f"agenda.ui.sla.last.{kind}", state=_closed_text(closed[-1], row, where)))
    current = _current_text(row, where)
    if current:
        lines.append(t(language, f"agenda.ui.sla.current.{kind}", state=current))
    met, total = row.attainment
    if total:
        lines.append(t(language, "agenda.ui.sla.attainment", count=total, text=attainment_text(met, total, language=language, country=where.country),
                       strip=strip(row.recent)))  # fmt: skip
    return lines


def sla_summary(rows: Sequence[CommitmentRow], breaches: Sequence[BreachView], where: TeamLocale) -> str:
    """One line for the parent: last period's states, at-risk flags and open breaches."""
    language = where.language
    active = [row for row in rows if row.in_force is not None]
    if not active:
        return t(language, "agenda.ui.sla.summary.none")
    counts = {State.MET: 0, State.BREACHED: 0, State.NO_DATA: 0}
    for row in active:
        closed = [outcome for outcome in row.recent if outcome.state in counts]
        if closed:
            counts[closed[-1].state] += 1
    at_risk = sum(row.current_state is State.AT_RISK for row in active)
    unacknowledged = sum(view.status is BreachStatus.OPEN for view in breaches)
    return t(
        language, "agenda.ui.sla.summary", met=counts[State.MET], breached=counts[State.BREACHED], no_data=counts[State.NO_DATA],
        at_risk=at_risk, open=len(breaches), unacknowledged=unacknowledged,
    )  # fmt: skip


def breach_lines(view: BreachView, where: TeamLocale) -> list[str]:
    """The breach, and who has not acknowledged it (the responsible lead, mentioned) or who did,
    why and the action plan."""
    language = where.language
    head = t(language, "agenda.ui.breach.head", breach=view.label, sla=view.version.label, period=format_period(view.period, language),
             value=kpi_value_text(view.value, view.version.spec, where))  # fmt: skip
    if view.status is BreachStatus.OPEN:
        who = mention(view.responsible) if view.responsible else t(language, "agenda.ui.breach.no_responsible")
        state = t(language, "agenda.ui.breach.unacknowledged", user=who)
        if view.step.value == "escalated":
            state += " " + t(language, "agenda.ui.breach.escalated")
    elif view.status is BreachStatus.ACKNOWLEDGED:
        who = mention(view.acknowledged_by) if view.acknowledged_by else "—"
        reason = reason_text(view.reason, language) if view.reason else "—"
        state = t(language, "agenda.ui.breach.acknowledged", user=who, reason=reason)
        if view.note:
            state += f" — {escape_mrkdwn(truncate(' '.join(view.note.split()), 300))}"
    elif view.status is BreachStatus.RESOLVED:
        state = t(language, "agenda.ui.breach.resolved")
    else:
        state = t(language, "agenda.ui.breach.closed", note=escape_mrkdwn(truncate(view.end_note or "—", 300)))
    lines = [f"• {head}", f"   {state}"]
    plan = plan_text(view, where)
    if plan:
        lines.append(f"   {truncate(plan, 600)}")
    elif view.status in (BreachStatus.OPEN, BreachStatus.ACKNOWLEDGED):
        lines.append("   " + t(language, "agenda.ui.breach.no_plan"))
    return lines
