"""Slack's native chart and table blocks: the one place their JSON is written.

Data visualization block (https://docs.slack.dev/reference/block-kit/blocks/data-visualization-block):

    {"type": "data_visualization", "title": "≤ 50 characters", "block_id": "…",
     "chart": {"type": "line" | "bar" | "area",
               "series": [{"name": "≤ 20 characters, unique", "data": [{"label": "W11", "value": 12.5}, …]}],
               "axis_config": {"categories": ["W10", "W11", …], "x_label": "≤ 50", "y_label": "≤ 50"}}}

(a pie chart has `segments` [{"label", "value" > 0}] instead of series and axis_config). 1 to 6
series, 1 to 20 points each; every point's label is one of the axis categories (≤ 20 characters);
a message holds at most two of these blocks.

Table block (https://docs.slack.dev/reference/block-kit/blocks/table-block):

    {"type": "table", "block_id": "…", "rows": [[{"type": "raw_text", "text": "…"}, …], …],
     "column_settings": [{"align": "left" | "center" | "right", "is_wrapped": true}, …]}

at most 100 rows of at most 20 cells, at most 20 column settings, and one table per message
(Slack draws it at the bottom of the message).

Where they may go: Slack's surfaces data (https://docs.slack.dev/blocks.json, the "Surfaces" column
of https://docs.slack.dev/reference/block-kit/blocks) lists the data visualization block in
Messages only and the table block in Messages and Home tabs; neither in Modals. So an App Home
may carry a table (one, as a message: Slack states no other limit for a view) and never a chart.

The builders below clamp to those limits (titles and labels shortened, series names made unique,
rows and points cut to the last ones that fit) so a block they return is always one Slack takes;
the loopback double checks the same limits. Whatever a chart or table shows is also written in the
message's text by its caller: for screen readers, notifications, search, and the Slack clients
that do not draw these blocks.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from bot.blocks import Block, truncate
from services.charts import ChartData

CHART = "data_visualization"
TABLE = "table"
NATIVE_TYPES = frozenset({CHART, TABLE})
CHART_TYPES = ("line", "bar", "area")
MAX_CHARTS_PER_MESSAGE = 2
MAX_TABLES_PER_MESSAGE = 1
TITLE_MAX = 50
LABEL_MAX = 20  # a category, a series name, a pie segment
AXIS_LABEL_MAX = 50
MAX_SERIES = 6
MAX_POINTS = 20
MAX_ROWS = 100
MAX_COLUMNS = 20
CELL_MAX = 1000  # our own bound: a cell is a number or a short name, never a paragraph


def chart_block(data: ChartData, *, block_id: str | None = None) -> Block | None:
    """The chart as a data_visualization block; None when no series has a finite value."""
    if data.kind not in CHART_TYPES:
        raise ValueError(f"unknown chart type {data.kind!r}")
    categories = _unique([truncate(label, LABEL_MAX) for label in data.categories])[-MAX_POINTS:]
    offset = len(data.categories) - len(categories)
    names = _unique([truncate(series.name, LABEL_MAX) for series in data.series[:MAX_SERIES]])
    series = []
    for name, source in zip(names, data.series):
        points = [
            {"label": label, "value": _number(value)}
            for label, value in zip(categories, list(source.values)[offset:])
            if value is not None and math.isfinite(float(value))
        ]
        if points:
            series.append({"name": name, "data": points})
    if not series:
        return None
    axis: dict[str, Any] = {"categories": categories}
    if data.y_label:
        axis["y_label"] = truncate(data.y_label, AXIS_LABEL_MAX)
    block: Block = {"type": CHART, "title": truncate(data.title, TITLE_MAX), "chart": {"type": data.kind, "series": series, "axis_config": axis}}
    if block_id:
        block["block_id"] = block_id
    return block


def table_block(rows: Sequence[Sequence[str]], *, align: Sequence[str] = (), block_id: str | None = None) -> Block | None:
    """A table of text cells (the first row is the header); None without rows. Rows past 100 and
    cells past 20 are cut (callers keep every row in their text as well)."""
    shown = [[truncate(cell or "—", CELL_MAX) for cell in row[:MAX_COLUMNS]] for row in rows[:MAX_ROWS]]
    if not shown:
        return None
    width = max(len(row) for row in shown)
    block: Block = {"type": TABLE, "rows": [[{"type": "raw_text", "text": cell} for cell in row + ["—"] * (width - len(row))] for row in shown]}
    if align:
        block["column_settings"] = [{"align": side, "is_wrapped": True} for side in list(align)[:MAX_COLUMNS]]
    if block_id:
        block["block_id"] = block_id
    return block


def is_native(block: Block) -> bool:
    return block.get("type") in NATIVE_TYPES


def without_native(blocks: Sequence[Block]) -> list[Block]:
    """The blocks an older Slack takes: charts and tables left out (their numbers are in the text)."""
    return [block for block in blocks if not is_native(block)]


def count(blocks: Sequence[Block], kind: str) -> int:
    return sum(block.get("type") == kind for block in blocks)


def _number(value: float) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else round(number, 4)


def _unique(labels: list[str]) -> list[str]:
    """Labels made unique the way a reader still tells apart ("KR1", "KR1 (2)"), within 20 characters."""
    seen: set[str] = set()
    unique = []
    for label in labels:
        candidate, number = label, 2
        while candidate in seen:
            suffix = f" ({number})"
            candidate, number = truncate(label, LABEL_MAX - len(suffix)) + suffix, number + 1
        seen.add(candidate)
        unique.append(candidate)
    return unique
