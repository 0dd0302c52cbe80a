"""The double's checks of Slack's chart and table blocks, which slack_sdk has no models for yet.

The limits are the ones Slack's reference gives (see `bot/blocks/native.py`, which builds these
blocks): a data_visualization block has a title of 1–50 characters and a line, bar, area or pie
chart; a series chart has 1–6 series with unique names (≤ 20 characters) of 1–20 points, each
point a finite number whose label is one of the axis categories (≤ 20 characters, unique); a
pie has 1–6 segments of positive value. A table has 1–100 rows of 1–20 raw_text or rich_text
cells and at most 20 column settings. A message holds at most two charts and one table.

Where Slack takes them: its surfaces data (https://docs.slack.dev/blocks.json, the "Surfaces"
column of https://docs.slack.dev/reference/block-kit/blocks) lists the data visualization block in
Messages only and the table block in Messages and Home tabs, neither in Modals. A view gets the
message's counts too (Slack states no other), so a Home view holds at most one table.

Errors are strings ending with a json-pointer, like the rest of the double's validation.
"""

from __future__ import annotations

import math
from typing import Any, Callable

Errors = list[str]

TITLE_MAX = 50
LABEL_MAX = 20
AXIS_LABEL_MAX = 50
SERIES_MAX = 6
POINTS_MAX = 20
SEGMENTS_MAX = 6
ROWS_MAX = 100
CELLS_MAX = 20
COLUMN_SETTINGS_MAX = 20
CHARTS_PER_MESSAGE = 2
TABLES_PER_MESSAGE = 1
ALIGNS = ("left", "center", "right")
IN_VIEWS = {"home": frozenset({"table"}), "modal": frozenset()}  # the native blocks each kind of view takes
SERIES_CHARTS = ("line", "bar", "area")


def native_count_errors(blocks: list, pointer: str) -> Errors:
    """At most two charts and one table in one message."""
    kinds = [block.get("type") for block in blocks if isinstance(block, dict)]
    errors = []
    if kinds.count("data_visualization") > CHARTS_PER_MESSAGE:
        errors.append(_at(f"no more than {CHARTS_PER_MESSAGE} data_visualization blocks per message", pointer))
    if kinds.count("table") > TABLES_PER_MESSAGE:
        errors.append(_at("only_one_table_allowed", pointer))
    return errors


def _chart_rules(block: dict, pointer: str) -> Errors:
    errors = _string_errors(block.get("title"), f"{pointer}/title", TITLE_MAX)
    chart = block.get("chart")
    if not isinstance(chart, dict):
        return errors + [_at("missing required field: chart", pointer)]
    kind = chart.get("type")
    if kind == "pie":
        return errors + _pie_errors(chart, f"{pointer}/chart")
    if kind not in SERIES_CHARTS:
        return errors + [_at(f"chart type must be line, bar, area or pie (got {kind!r})", f"{pointer}/chart/type")]
    return errors + _series_chart_errors(chart, f"{pointer}/chart")


def _series_chart_errors(chart: dict, pointer: str) -> Errors:
    axis = chart.get("axis_config")
    if not isinstance(axis, dict):
        return [_at("missing required field: axis_config", pointer)]
    errors = []
    categories = axis.get("categories")
    if not isinstance(categories, list) or not categories:
        return [_at("must be a non-empty array", f"{pointer}/axis_config/categories")]
    for index, label in enumerate(categories):
        errors += _string_errors(label, f"{pointer}/axis_config/categories/{index}", LABEL_MAX)
    if len(set(map(str, categories))) != len(categories):
        errors.append(_at("categories must be unique", f"{pointer}/axis_config/categories"))
    for name in ("x_label", "y_label"):
        if name in axis:
            errors += _string_errors(axis[name], f"{pointer}/axis_config/{name}", AXIS_LABEL_MAX)
    series = chart.get("series")
    if not _holds(series, SERIES_MAX):
        return errors + [_at(f"must hold 1 to {SERIES_MAX} series", f"{pointer}/series")]
    def one_series(entry: dict, here: str) -> Errors:
        return _string_errors(entry.get("name"), f"{here}/name", LABEL_MAX) + _points_errors(entry.get("data"), f"{here}/data", set(categories))

    errors += _each_object(series, f"{pointer}/series", one_series)
    names = [entry.get("name") for entry in series if isinstance(entry, dict)]
    if len(set(map(str, names))) != len(names):
        errors.append(_at("series names must be unique", f"{pointer}/series"))
    return errors


def _points_errors(points: Any, pointer: str, categories: set) -> Errors:
    if not _holds(points, POINTS_MAX):
        return [_at(f"must hold 1 to {POINTS_MAX} data points", pointer)]
    def one_point(point: dict, here: str) -> Errors:
        errors = _value_errors(point.get("value"), f"{here}/value")
        if point.get("label") not in categories:
            errors.insert(0, _at(f"label {point.get('label')!r} is not one of the axis categories", f"{here}/label"))
        return errors

    errors = _each_object(points, pointer, one_point)
    labels = [point.get("label") for point in points if isinstance(point, dict)]
    if len(set(map(str, labels))) != len(labels):
        errors.append(_at("a series has one point per category", pointer))
    return errors


def _pie_errors(chart: dict, pointer: str) -> Errors:
    segments = chart.get("segments")
    if not _holds(segments, SEGMENTS_MAX):
        return [_at(f"must hold 1 to {SEGMENTS_MAX} segments", f"{pointer}/segments")]
    def one_segment(segment: dict, here: str) -> Errors:
        value_errors = _value_errors(segment.get("value"), f"{here}/value") or _positive(segment["value"], f"{here}/value")
        return _string_errors(segment.get("label"), f"{here}/label", LABEL_MAX) + value_errors

    return _each_object(segments, f"{pointer}/segments", one_segment)


def _positive(value: float, pointer: str) -> Errors:
    return [] if value > 0 else [_at("must be greater than 0", pointer)]


def _table_rules(block: dict, pointer: str) -> Errors:
    rows = block.get("rows")
    if not _holds(rows, ROWS_MAX):
        return [_at(f"must hold 1 to {ROWS_MAX} rows", f"{pointer}/rows")]
    errors = []
    for row_index, row in enumerate(rows):
        here = f"{pointer}/rows/{row_index}"
        if not _holds(row, CELLS_MAX):
            errors.append(_at(f"a row holds 1 to {CELLS_MAX} cells", here))
            continue
        for cell_index, cell in enumerate(row):
            errors += _cell_errors(cell, f"{here}/{cell_index}")
    settings = block.get("column_settings")
    if settings is not None:
        if not isinstance(settings, list) or len(settings) > COLUMN_SETTINGS_MAX:
            errors.append(_at(f"no more than {COLUMN_SETTINGS_MAX} column settings", f"{pointer}/column_settings"))
        else:
            for index, setting in enumerate(settings):
                if setting is not None and (not isinstance(setting, dict) or setting.get("align", "left") not in ALIGNS):
                    errors.append(_at("align must be left, center or right", f"{pointer}/column_settings/{index}"))
    return errors


def _cell_errors(cell: Any, pointer: str) -> Errors:
    if not isinstance(cell, dict):
        return [_at("must be a raw_text or rich_text object", pointer)]
    if cell.get("type") == "raw_text":
        return _string_errors(cell.get("text"), f"{pointer}/text", None)
    if cell.get("type") == "rich_text":
        return [] if isinstance(cell.get("elements"), list) else [_at("must be an array", f"{pointer}/elements")]
    return [_at(f"cell type must be raw_text or rich_text (got {cell.get('type')!r})", f"{pointer}/type")]


def _each_object(items: list, pointer: str, check: Callable[[dict, str], Errors]) -> Errors:
    """`check(item, its pointer)` for each item that is an object; an error for each that is not."""
    errors = []
    for index, item in enumerate(items):
        here = f"{pointer}/{index}"
        errors += check(item, here) if isinstance(item, dict) else [_at("must be an object", here)]
    return errors


def _holds(items: Any, most: int) -> bool:
    """A list of 1 to `most` items."""
    return isinstance(items, list) and 1 <= len(items) <= most


def _string_errors(value: Any, pointer: str, limit: int | None) -> Errors:
    if not isinstance(value, str) or not value:
        return [_at("must be a non-empty string", pointer)]
    if limit is not None and len(value) > limit:
        return [_at(f"must be less than {limit + 1} characters (got {len(value)})", pointer)]
    return []


def _value_errors(value: Any, pointer: str) -> Errors:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return [_at("must be a finite number", pointer)]
    return []


def _at(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


NATIVE_RULES: dict[str, Callable[[dict, str], Errors]] = {"data_visualization": _chart_rules, "table": _table_rules}
