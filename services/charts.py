"""Charts as PNG bytes, with matplotlib's object API (Figure + Agg canvas, never pyplot's global
state, so concurrent renders on the work queue cannot touch each other's figures).

Readable on a phone: large type, few ticks, a colour-blind-safe palette (Okabe–Ito), numbers
formatted by the caller in the team's locale.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Sequence

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.axes import Axes
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


# One figure per thread and size, reused with its axes: creating a Figure, its axes and their
# ticks costs more than drawing a dozen points, so a chart removes the previous chart's lines,
# texts and legend instead. Styles are set once, when the axes are made (`_STYLE`). Fixed
# margins instead of constrained layout (which draws the figure an extra time to measure it), a
# title at a fixed height (else matplotlib measures the axis to place it) and a fixed legend
# corner instead of "best" (which tries every corner): our charts have one size, so the room
# their labels need is known. Together they bring a chart to within 1.3× of a bare matplotlib
# line of the same data (`bench/agendas.py` measures it).
_FIGURES = threading.local()
_MARGINS = {"left": 0.2, "right": 0.95, "top": 0.88, "bottom": 0.22}  # the legend goes under the axis
_STYLE = {"font.size": 11, "axes.titlesize": 15, "axes.titleweight": "bold", "axes.titlelocation": "left",
          "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
          "legend.fontsize": 10, "legend.frameon": False}  # fmt: skip


def reused_axes(width_inches: float, height_inches: float, dpi: int, *, grid: str = "y", margins: dict[str, float] | None = None) -> Axes:
    """This thread's axes for a chart of this size, emptied of the last chart drawn on them."""
    cache = getattr(_FIGURES, "by_size", None)
    if cache is None:
        cache = _FIGURES.by_size = {}
    margins = margins or _MARGINS
    key = (width_inches, height_inches, dpi, grid, tuple(sorted(margins.items())))
    axes = cache.get(key)
    if axes is None:
        figure = Figure(figsize=(width_inches, height_inches), dpi=dpi)
        FigureCanvasAgg(figure)
        with rc_context({**_STYLE, "axes.grid.axis": grid}):
            axes = cache[key] = figure.add_subplot()
        figure.subplots_adjust(**margins)
        return axes
    for artist in [*axes.lines, *axes.texts, *axes.patches, *axes.collections]:
        artist.remove()
    if axes.get_legend() is not None:
        axes.get_legend().remove()
    axes.relim()
    axes.set_autoscale_on(True)
    return axes


# zlib level 3 instead of Pillow's 6: a fifth less time per chart (41 → 33 ms) for a fifth more
# bytes (19 → 23 KB), which an upload does not notice; measured on an agenda's three charts.
PNG_COMPRESS_LEVEL = 3


def png_of(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.canvas.print_png(buffer, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return buffer.getvalue()


def trend_png(trend: Trend, *, width_inches: float = 6.4, height_inches: float = 3.6, dpi: int = 110) -> bytes:
    axes = reused_axes(width_inches, height_inches, dpi)
    # NaN where nothing was recorded: matplotlib leaves a gap instead of inventing a line.
    values = [float(value) if value is not None else math.nan for value in trend.values]
    axes.plot(range(len(values)), values, marker="o", linewidth=2.5, markersize=7, color=OKABE_ITO["blue"])
    recorded = [index for index, value in enumerate(trend.values) if value is not None]
    if recorded:
        last = recorded[-1]
        at_the_edge = last == len(values) - 1  # right-aligned there, so it is not cut off
        axes.annotate(
            trend.format_value(trend.values[last]), (last, values[last]), textcoords="offset points", xytext=(4 if at_the_edge else 0, 10),
            ha="right" if at_the_edge else "center", fontsize=13, fontweight="bold", color=OKABE_ITO["blue"],
        )
    if trend.target is not None:
        axes.axhline(float(trend.target), linestyle="--", linewidth=2, color=OKABE_ITO["orange"], label=trend.target_label)
    for index in trend.definition_changes:
        axes.axvline(index - 0.5, linestyle=":", linewidth=1.5, color=OKABE_ITO["grey"], label=trend.definition_label)
    axes.relim()
    axes.autoscale_view()
    _style(axes, trend)
    return png_of(axes.figure)


def _style(axes, trend: Trend) -> None:
    axes.set_title(trend.title, y=1.04, loc="left", fontsize=15, fontweight="bold")
    axes.set_xticks(range(len(trend.labels)), list(trend.labels))
    axes.set_xlim(-0.5, max(len(trend.labels) - 0.5, 0.5))
    axes.yaxis.set_major_formatter(lambda value, _position: trend.format_value(Decimal(str(round(value, 6)))))
    handles, labels = axes.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    if any(unique):
        axes.legend(unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(0, -0.1), ncol=2, frameon=False)
