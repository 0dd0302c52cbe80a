"""The KPIs in an agenda's words: one line per KPI (its value, against the period before, against
its target), the same numbers as table rows, the primary KPI's trend as text, and, for a period
with no value, the exact commands that log one. Numbers go through `services.agenda_charts` so
a chart and its text say the same numbers; KPI names are escaped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from bot.blocks import escape_mrkdwn
from domain.locales import TeamLocale
from domain.kpis import Direction
from domain.periods import Period, format_period
from services.agenda_charts import history_text, kpi_number, period_label, signed_kpi_number, signed_percent
from services.agenda_facts import KpiFact
from services.i18n import t

_IMPROVED = {True: "🟢", False: "🔴", None: "⚪"}


def kpi_value_text(value: Decimal, fact_spec, where: TeamLocale) -> str:
    return kpi_number(value, fact_spec, language=where.language, country=where.country)


def kpi_name_text(fact: KpiFact) -> str:
    return f"*{escape_mrkdwn(fact.name)}* (`{fact.key}`)"


def _move(fact: KpiFact, where: TeamLocale) -> str:
    """"+10 h, +50 %, peor" — the difference, the relative change and which way is better."""
    change, language = fact.change, where.language
    difference = change.difference
    if not difference:
        return t(language, "agenda.ui.kpi.unchanged")
    bits = [signed_kpi_number(difference, fact.spec, language=language, country=where.country)]
    if change.percent is not None:
        bits.append(signed_percent(change.percent, language=language, country=where.country))
    bits.append(t(language, "agenda.ui.kpi.better" if change.improved else "agenda.ui.kpi.worse"))
    return ", ".join(bits)


def target_text(fact: KpiFact, where: TeamLocale) -> str:
    """"✅ meta ≥ $50.000.000 (SLA)", "❌ …", or "sin meta acordada"."""
    change, language = fact.change, where.language
    if change.target is None:
        return t(language, "agenda.ui.kpi.no_target")
    comparator = "≥" if change.direction is Direction.HIGHER else "≤"
    target = f"{comparator} {kpi_value_text(change.target, fact.spec, where)}"
    source = t(language, f"agenda.ui.kpi.source.{fact.target_source or 'okr'}")
    if change.meets_target is None:
        return t(language, "agenda.ui.kpi.target", target=target, source=source)
    key = "agenda.ui.kpi.target_met" if change.meets_target else "agenda.ui.kpi.target_missed"
    return t(language, key, target=target, source=source)


def kpi_line(fact: KpiFact, where: TeamLocale, *, kind: str) -> str:
    """One KPI in one line: value, against the period before (difference, %), against its target.
    `kind` is "week" or "month"."""
    change, language = fact.change, where.language
    if change.value is None:
        return t(language, "agenda.ui.kpi.no_value", name=kpi_name_text(fact), period=format_period(change.period, language))
    value = t(language, "agenda.ui.kpi.value", name=kpi_name_text(fact), value=kpi_value_text(change.value, fact.spec, where))
    if change.previous is None:
        previous = t(language, f"agenda.ui.kpi.no_previous.{kind}")
    else:
        previous = t(language, f"agenda.ui.kpi.vs_previous.{kind}", previous=kpi_value_text(change.previous, fact.spec, where), move=_move(fact, where))
    return f"{_IMPROVED[change.improved]} {value} · {previous} · {target_text(fact, where)}"


def kpi_table_header(language: str) -> tuple[str, ...]:
    """The KPI table's header row: KPI, value, previous, change, target."""
    return tuple(t(language, f"agenda.native.table.{column}") for column in ("kpi", "value", "previous", "change", "target"))


def kpi_table_rows(facts: Sequence[KpiFact], where: TeamLocale) -> tuple[tuple[str, ...], ...]:
    """The KPIs as table rows (a header, then one row each: name, value, previous, move, target),
    with the same numbers and words as their lines; () without KPIs. Table cells are raw text:
    names are shown as typed, nothing in them is read as a mention or a link."""
    if not facts:
        return ()
    rows = [kpi_table_header(where.language)]
    for fact in facts:
        change = fact.change
        value = kpi_value_text(change.value, fact.spec, where) if change.value is not None else "—"
        previous = kpi_value_text(change.previous, fact.spec, where) if change.previous is not None else "—"
        move = _move(fact, where) if change.value is not None and change.previous is not None else "—"
        rows.append((f"{_IMPROVED[change.improved]} {fact.name}", value, previous, move, target_text(fact, where)))
    return tuple(rows)


def primary_line(fact: KpiFact, where: TeamLocale, *, kind: str) -> str:
    """The primary KPI's line; without a value for the period it also says how to log one."""
    if fact.change.value is None:
        return f"{_IMPROVED[None]} {missing_value_text(fact, where, name=kpi_name_text(fact))}"
    return kpi_line(fact, where, kind=kind)


def trend_line(fact: KpiFact, where: TeamLocale, *, kind: str) -> str:
    """The numbers of the trend chart, as text: "Últimas 12 semanas: S48 —, … S11 $45.000.000"."""
    points = history_text(fact.history, fact.spec, language=where.language, country=where.country)
    line = t(where.language, f"agenda.ui.kpi.history.{kind}", count=len(fact.history), points=points)
    if fact.definition_changes:
        labels = ", ".join(_label(fact.history[index][0], where) for index in fact.definition_changes if index < len(fact.history))
        line += "\n" + t(where.language, "agenda.ui.kpi.definition_changed", periods=labels)
    return line


def _label(period: Period, where: TeamLocale) -> str:
    return period_label(period, language=where.language, country=where.country)


def kpi_sentence(fact: KpiFact | None, where: TeamLocale) -> str:
    """The primary KPI in a sentence (the notification text, the plan): its value and target,
    or, when the period has no value, that it has none and the command that logs it."""
    if fact is None:
        return t(where.language, "agenda.ui.kpis.no_primary_short")
    if fact.change.value is None:
        return missing_value_text(fact, where)
    return f"{escape_mrkdwn(fact.name)} {kpi_value_text(fact.change.value, fact.spec, where)} · {target_text(fact, where)}"


def log_commands(fact: KpiFact, where: TeamLocale) -> str:
    """The commands that give `fact` a value for its period, as the team types them: the KPI
    itself, or a computed rate's parts (logging a rate is refused). The period is named by its
    key ("2026-W11", "2026-03"), which reads the same whatever day it is typed."""
    language = where.language
    commands = [t(language, "agenda.truth.log_command", key=key, period=fact.change.period.key) for key in fact.log_keys or (fact.key,)]
    return t(language, "agenda.truth.and").join(commands)


def missing_value_text(fact: KpiFact, where: TeamLocale, *, name: str | None = None) -> str:
    """"Ventas has no value for week 11 of 2026 (9–15 Mar); log it with `/alinea log …`".
    `name` is how to show the KPI (default: its escaped name)."""
    language = where.language
    params = {"name": name or escape_mrkdwn(fact.name), "period": format_period(fact.change.period, language), "commands": log_commands(fact, where)}
    if fact.log_keys:
        parts = " ÷ ".join(f"`{key}`" for key in (fact.spec.numerator, fact.spec.denominator))
        return t(language, "agenda.truth.no_value.rate", parts=parts, **params)
    return t(language, "agenda.truth.no_value", **params)
