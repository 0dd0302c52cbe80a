"""Charts as PNG bytes, with matplotlib's object API (Figure + Agg canvas, never pyplot's global
state, so concurrent renders on the work queue cannot touch each other's figures).

Readable on a phone: large type, few ticks, a colour-blind-safe palette (Okabe–Ito), numbers
formatted by the caller in the team's locale.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00", "grey": "#999999"}


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per category; None: nothing to draw there


@dataclass(frozen=True)
class ChartData:
    """A chart as plain data (`bot.blocks.native.chart_block` writes it as a Slack block)."""

    kind: str  # "line", "bar", "area"
    title: str
    categories: Sequence[str]
    series: Sequence[Series]
    y_label: str = ""


@dataclass(frozen=True)
class Trend:
    title: str
    labels: Sequence[str]  # one per period, oldest first ("S47", "nov")
    values: Sequence[Decimal | None]  # None where nothing was recorded
    format_value: Callable[[Decimal], str]  # the team's way of writing numbers, for the labels
    target: Decimal | None = None
    target_label: str = ""
    definition_changes: Sequence[int] = ()  # indexes of periods counted with a new definition
    definition_label: str = ""


def trend_png(trend: Trend, *, width_inches: float = 6.4, height_inches: float = 3.6, dpi: int = 110) -> bytes:
    figure = Figure(figsize=(width_inches, height_inches), dpi=dpi, layout="constrained")
    axes = figure.add_subplot()
    # NaN where nothing was recorded: matplotlib leaves a gap instead of inventing a line.
    values = [float(value) if value is not None else math.nan for value in trend.values]
    axes.plot(range(len(values)), values, marker="o", linewidth=2.5, markersize=7, color=OKABE_ITO["blue"])
    recorded = [index for index, value in enumerate(trend.values) if value is not None]
    if recorded:
        last = recorded[-1]
        axes.annotate(
            trend.format_value(trend.values[last]), (last, values[last]), textcoords="offset points", xytext=(0, 10),
            ha="center", fontsize=13, fontweight="bold", color=OKABE_ITO["blue"],
        )
    if trend.target is not None:
        axes.axhline(float(trend.target), linestyle="--", linewidth=2, color=OKABE_ITO["orange"], label=trend.target_label)
    for index in trend.definition_changes:
        axes.axvline(index - 0.5, linestyle=":", linewidth=1.5, color=OKABE_ITO["grey"], label=trend.definition_label)
    _style(axes, trend)
    canvas = FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    canvas.print_png(buffer)
    return buffer.getvalue()


def _style(axes, trend: Trend) -> None:
    axes.set_title(trend.title, fontsize=15, loc="left", fontweight="bold")
    axes.set_xticks(range(len(trend.labels)), list(trend.labels), fontsize=11)
    axes.set_xlim(-0.5, max(len(trend.labels) - 0.5, 0.5))
    axes.tick_params(axis="y", labelsize=11)
    axes.yaxis.set_major_formatter(lambda value, _position: trend.format_value(Decimal(str(round(value, 6)))))
    axes.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    handles, labels = axes.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    if any(unique):
        axes.legend(unique.values(), unique.keys(), fontsize=10, frameon=False, loc="best")
