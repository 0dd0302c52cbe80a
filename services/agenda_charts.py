"""The agendas' charts, as PNG bytes, and the numbers they show written the team's way.

Three charts: the primary KPI's trend (12 weeks or 12 months) with its target line and a marker
where its definition changed; SLA attainment per commitment (bars); OKR progress per key result
(horizontal bars, a tick where the straight line expects it to be by now).

matplotlib's object API only (Figure + FigureCanvasAgg, never pyplot's global state), so charts
render safely on any thread. Readable on a phone: large type, the Okabe–Ito colour-blind-safe
palette, direct labels on the bars. Numbers, week labels and month names come from the same
helpers the agenda's text uses (`kpi_number`, `share_text`, `period_label`, `history_text`), so
every number a chart shows is also in the message as text — for phones that do not open images,
screen readers and search.

A `Chart` renders lazily: the poster renders it after the agenda's text is out and skips one
that fails (logged), so a chart never blocks an agenda.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Sequence

from babel.dates import format_date

from domain.deltas import SHOWN_PERCENT_PLACES
from domain.kpis import KpiSpec, Unit
from domain.number_format import display_quantity, format_quantity, rounded_for_display
from domain.number_style import HOURS, PERCENT
from domain.periods import MONTH, Period, format_period
from services.agenda_facts import KpiFact, MonthlyFacts, WeeklyFacts
from services.charts import OKABE_ITO, ChartData, Series, Trend, png_of, reused_axes, trend_png
from services.formatting import babel_locale
from services.i18n import t
from services.okr import Board

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ALT_TEXT_LIMIT = 1000  # Slack's limit for a file's alt_txt
MAX_BARS = 12  # more bars than this stop being readable on a phone
_TWO_PLACES = Decimal("0.01")
_WHOLE = Decimal(1)


@dataclass(frozen=True)
class Chart:
    name: str  # "primary", "sla", "okr": the uploaded file is named after it
    title: str
    alt: str  # every number the chart shows, as text
    # A partial of a module-level function on plain data, so it can be sent to another process
    # and drawn there (bot/chart_process.py); calling it draws here.
    render: Callable[[], bytes]
    data: ChartData | None = None  # the same chart for Slack to draw itself (a native chart block)


@dataclass(frozen=True)
class Bar:
    label: str  # "SLA1", "KR3"
    share: float  # 0..1: attainment, or a KR's progress
    text: str  # what the bar is labelled with ("3/4 · 75 %", "30 %")
    expected: float | None = None  # a KR's expected progress by now


# Numbers the team's way ------------------------------------------------------------------------------


def _quantity_unit(spec: KpiSpec) -> str | None:
    return {Unit.PERCENT: PERCENT, Unit.HOURS: HOURS, Unit.CURRENCY: spec.currency}.get(spec.unit)


def chart_number(value: Decimal, spec: KpiSpec, *, language: str, country: str | None) -> str:
    """A KPI's value as a chart labels it (a value or an axis tick)."""
    return _literal(kpi_number(value, spec, language=language, country=country))


def kpi_number(value: Decimal, spec: KpiSpec, *, language: str, country: str | None) -> str:
    """A KPI's value as the team writes it: "$45.000.000", "1,6 %", "24 h", "1.234"."""
    return display_quantity(value, _quantity_unit(spec), language=language, country=country, currency=spec.currency)


def signed_kpi_number(value: Decimal, spec: KpiSpec, *, language: str, country: str | None) -> str:
    """A difference: "+10 h", "−$5.000.000"; for a percentage KPI, points ("+0,3 pts")."""
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    if spec.unit is Unit.PERCENT:
        points = format_quantity(rounded_for_display(abs(value), _TWO_PLACES), None, language=language, country=country)
        return sign + t(language, "agenda.ui.points", value=points)
    return sign + kpi_number(abs(value), spec, language=language, country=country)


def signed_percent(percent: Decimal, *, language: str, country: str | None) -> str:
    """A relative change: "+12,5 %", "−3 %" (one decimal at most)."""
    sign = "+" if percent > 0 else ("−" if percent < 0 else "±")
    shown = format_quantity(rounded_for_display(abs(Decimal(percent)), SHOWN_PERCENT_PLACES), PERCENT, language=language, country=country)
    return sign + shown


def share_text(share: float, *, language: str, country: str | None) -> str:
    """0.75 → "75 %" (es) / "75%" (en): whole percents, as the bars are labelled."""
    whole = Decimal(str(max(0.0, share) * 100)).quantize(_WHOLE, rounding=ROUND_HALF_UP)
    return format_quantity(whole, PERCENT, language=language, country=country, decimals=0)


def attainment_text(met: int, total: int, *, language: str, country: str | None) -> str:
    """"3/4 · 75 %": what an SLA bar says, and the agenda's text with it."""
    share = met / total if total else 0.0
    return f"{met}/{total} · {share_text(share, language=language, country=country)}"


def period_label(period: Period, *, language: str, country: str | None) -> str:
    """A chart's x label: "S11" / "W11" for a week, the month's short name ("mar." / "Mar")."""
    if period.kind == MONTH:
        return format_date(period.start, "LLL", locale=babel_locale(language, country))
    return t(language, "agenda.ui.chart.week_label", week=period.start.isocalendar().week)


def history_text(history: Sequence[tuple[Period, Decimal | None]], spec: KpiSpec, *, language: str, country: str | None) -> str:
    """"S48 —, S49 1,2 %, … S11 1,5 %": the trend chart's points, oldest first (— = nothing logged)."""
    points = []
    for period, value in history:
        shown = kpi_number(value, spec, language=language, country=country) if value is not None else "—"
        points.append(f"{period_label(period, language=language, country=country)} {shown}")
    return ", ".join(points)


# Rendering ------------------------------------------------------------------------------------------


_BAR_MARGINS = {"left": 0.12, "right": 0.95, "top": 0.85, "bottom": 0.12}

def _literal(text: str) -> str:
    """matplotlib reads text between two `$` as math: a peso sign must stay a peso sign."""
    return text.replace("$", r"\$")


def _style(axes, title: str) -> None:
    axes.set_title(_literal(title), fontsize=15, loc="left", fontweight="bold", y=1.04)  # a fixed height: no measuring
    axes.tick_params(labelsize=12)


def attainment_png(title: str, bars: Sequence[Bar], *, width_inches: float = 6.4, dpi: int = 110) -> bytes:
    """Vertical bars: the share of closed periods each commitment met, labelled "3/4 · 75 %"."""
    shown = list(bars)[:MAX_BARS]
    axes = reused_axes(width_inches, 3.8, dpi, grid="y", margins=_BAR_MARGINS)  # one figure per thread (services.charts)
    heights = [max(0.0, min(1.0, bar.share)) * 100 for bar in shown]
    colours = [OKABE_ITO["green"] if bar.share >= 1 else (OKABE_ITO["orange"] if bar.share >= 0.5 else OKABE_ITO["vermillion"]) for bar in shown]
    positions = range(len(shown))
    axes.bar(positions, heights, color=colours, width=0.6)
    for position, height, bar in zip(positions, heights, shown):
        axes.annotate(_literal(bar.text), (position, height), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=12, fontweight="bold")
    axes.set_xticks(list(positions), [_literal(bar.label) for bar in shown])
    axes.set_xlim(-0.6, max(len(shown), 3) - 0.4)  # one commitment still gets a bar, not a wall
    axes.set_ylim(0, 118)
    axes.set_yticks([0, 50, 100], ["0", "50", "100"])
    axes.set_ylabel("%", fontsize=12)
    _style(axes, title)
    return png_of(axes.figure)


def progress_png(title: str, bars: Sequence[Bar], *, expected_label: str = "", width_inches: float = 6.4, dpi: int = 110) -> bytes:
    """Horizontal bars: each key result's progress, with a tick where it is expected to be by now."""
    shown = list(bars)[:MAX_BARS]
    height = 1.2 + 0.55 * max(len(shown), 1)
    axes = reused_axes(width_inches, height, dpi, grid="x", margins={**_BAR_MARGINS, "top": 1 - 0.6 / height, "bottom": 0.45 / height})
    positions = list(range(len(shown)))[::-1]  # the first bar on top
    widths = [max(0.0, min(1.0, bar.share)) * 100 for bar in shown]
    axes.barh(positions, widths, color=OKABE_ITO["blue"], height=0.55)
    labelled = False
    for position, width, bar in zip(positions, widths, shown):
        tick = max(0.0, min(1.0, bar.expected)) * 100 if bar.expected is not None else None
        right = max(width, tick if tick is not None else 0.0)  # the label clears the expected tick
        axes.annotate(_literal(bar.text), (right, position), textcoords="offset points", xytext=(7, 0), va="center", fontsize=12, fontweight="bold")
        if tick is not None:
            axes.plot([tick, tick], [position - 0.38, position + 0.38], color=OKABE_ITO["vermillion"], linewidth=3,
                      label=None if labelled else _literal(expected_label))  # fmt: skip
            labelled = True
    axes.set_yticks(positions, [_literal(bar.label) for bar in shown])
    axes.set_xlim(0, 125)
    axes.set_xticks([0, 50, 100], ["0", "50", "100 %"])
    if labelled and expected_label:
        axes.legend(fontsize=10, frameon=False, loc="lower right")
    _style(axes, title)
    return png_of(axes.figure)


# The agendas' charts ---------------------------------------------------------------------------------


def trend_chart(name: str, kpi_name: str, spec: KpiSpec, history: Sequence[tuple[Period, Decimal | None]], *,
                target: Decimal | None, definition_changes: Sequence[int], language: str, country: str | None) -> Chart | None:
    """The primary KPI over its history, or None when nothing was logged in it (no empty charts)."""
    if not any(value is not None for _, value in history):
        return None
    kind = "month" if history and history[-1][0].kind == MONTH else "week"
    title = t(language, f"agenda.ui.chart.trend.{kind}", name=kpi_name, count=len(history))

    target_text = kpi_number(target, spec, language=language, country=country) if target is not None else ""
    trend = Trend(
        title=_literal(title), labels=[period_label(p, language=language, country=country) for p, _ in history],
        values=[value for _, value in history], format_value=partial(chart_number, spec=spec, language=language, country=country), target=target,
        target_label=_literal(t(language, "agenda.ui.chart.target", value=target_text)) if target is not None else "",
        definition_changes=tuple(definition_changes), definition_label=t(language, "agenda.ui.chart.new_definition"),
    )  # fmt: skip
    alt = t(language, "agenda.ui.chart.trend.alt", title=title, points=history_text(history, spec, language=language, country=country))
    if target is not None:
        alt += " " + t(language, "agenda.ui.chart.target", value=target_text)
    series = [Series(kpi_name, [float(value) if value is not None else None for _, value in history])]
    if target is not None:
        series.append(Series(t(language, "agenda.native.series.target"), [float(target)] * len(history)))
    data = ChartData("line", title, trend.labels, series)
    return Chart(name, title, alt[:ALT_TEXT_LIMIT], partial(trend_png, trend), data)


def attainment_chart(name: str, title: str, rows: Sequence[tuple[str, int, int]], *, language: str, country: str | None) -> Chart | None:
    """`rows`: (label, met, evaluated) per commitment; None when nothing was evaluated."""
    bars = [Bar(label, met / total, attainment_text(met, total, language=language, country=country)) for label, met, total in rows if total]
    if not bars:
        return None
    alt = t(language, "agenda.ui.chart.bars.alt", title=title, points=", ".join(f"{bar.label} {bar.text}" for bar in bars[:MAX_BARS]))
    shown = bars[:MAX_BARS]
    data = ChartData("bar", title, [bar.label for bar in shown], [Series(t(language, "agenda.native.series.attainment"), [_percent(bar.share) for bar in shown])],
                     y_label="%")  # fmt: skip
    return Chart(name, title, alt[:ALT_TEXT_LIMIT], partial(attainment_png, title, tuple(bars)), data)


def progress_chart(name: str, title: str, rows: Sequence[tuple[str, float, float | None]], *, language: str, country: str | None) -> Chart | None:
    """`rows`: (KR id, progress, expected progress) per key result; None without key results."""
    if not rows:
        return None
    bars = [Bar(label, progress, share_text(progress, language=language, country=country), expected) for label, progress, expected in rows]
    expected_label = t(language, "agenda.ui.chart.expected")
    points = ", ".join(
        f"{bar.label} {bar.text}" + (f" ({expected_label} {share_text(bar.expected, language=language, country=country)})" if bar.expected is not None else "")
        for bar in bars[:MAX_BARS]
    )  # fmt: skip
    alt = t(language, "agenda.ui.chart.bars.alt", title=title, points=points)
    shown = bars[:MAX_BARS]
    series = [Series(t(language, "agenda.native.series.progress"), [_percent(bar.share) for bar in shown])]
    if any(bar.expected is not None for bar in shown):
        series.append(Series(expected_label, [_percent(bar.expected) if bar.expected is not None else None for bar in shown]))
    data = ChartData("bar", title, [bar.label for bar in shown], series, y_label="%")
    return Chart(name, title, alt[:ALT_TEXT_LIMIT], partial(progress_png, title, tuple(bars), expected_label=expected_label), data)


def _percent(share: float) -> float:
    """A share as the whole percent its bar is labelled with (0.754 → 75)."""
    return float(Decimal(str(max(0.0, share) * 100)).quantize(_WHOLE, rounding=ROUND_HALF_UP))


def is_png(data: bytes) -> bool:
    return data[: len(PNG_SIGNATURE)] == PNG_SIGNATURE


def _primary(fact: KpiFact | None, *, language: str, country: str | None) -> list[Chart]:
    if fact is None:
        return []
    chart = trend_chart("primary", fact.name, fact.spec, fact.history, target=fact.change.target,
                        definition_changes=fact.definition_changes, language=language, country=country)
    return [chart] if chart is not None else []


def okr_rows(board: Board) -> list[tuple[str, float, float | None]]:
    """(KR id, progress, expected) for every key result of an active objective, board order."""
    return [(kr.short_id, kr.progress, kr.expected) for objective in board.objectives if objective.active for kr in objective.key_results]


def weekly_charts(facts: WeeklyFacts) -> list[Chart]:
    language, country = facts.language, facts.country
    charts = _primary(facts.primary, language=language, country=country)
    rows = [(row.shown.label, *row.attainment) for row in facts.sla if row.in_force is not None]
    for chart in (
        attainment_chart("sla", t(language, "agenda.ui.chart.sla.weekly"), rows, language=language, country=country),
        progress_chart("okr", t(language, "agenda.ui.chart.okr"), okr_rows(facts.okr), language=language, country=country),
    ):
        if chart is not None:
            charts.append(chart)
    return charts


def monthly_charts(facts: MonthlyFacts) -> list[Chart]:
    language, country = facts.language, facts.country
    primary = next((fact for fact in facts.kpis if fact.role == "primary"), None)
    charts = _primary(primary, language=language, country=country)
    rows = [(month.label, *month.attainment) for month in facts.sla]
    for chart in (
        attainment_chart("sla", t(language, "agenda.ui.chart.sla.monthly", month=format_period(facts.reported, language)), rows, language=language, country=country),
        progress_chart("okr", t(language, "agenda.ui.chart.okr"), okr_rows(facts.okr), language=language, country=country),
    ):
        if chart is not None:
            charts.append(chart)
    return charts
