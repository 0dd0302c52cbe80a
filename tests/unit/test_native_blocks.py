"""Slack's chart and table blocks: what the builders write stays inside Slack's limits, and the
loopback double refuses what Slack refuses (and, switched to an older Slack, refuses them all),
and takes them in views only where Slack's surfaces data lists them: a table (one) in a Home tab,
never a chart there, and neither in a modal."""

from __future__ import annotations

import pytest

from bot.blocks import section
from bot.blocks.native import chart_block, table_block, without_native
from bot.slack_double.validation import message_blocks_errors, view_errors
from services.charts import ChartData, Series


def line(title="Ventas — últimas 12 semanas", categories=("S1", "S2", "S3"), series=(Series("Ventas", (1, 2, 3)),)):
    return ChartData("line", title, categories, series)


def test_a_built_chart_has_the_reference_shape_and_the_double_takes_it():
    block = chart_block(line(series=(Series("Ventas", (10, None, 12.5)), Series("Meta", (11, 11, 11)))), block_id="chart-primary")
    assert block == {
        "type": "data_visualization", "title": "Ventas — últimas 12 semanas", "block_id": "chart-primary",
        "chart": {"type": "line", "axis_config": {"categories": ["S1", "S2", "S3"]}, "series": [
            {"name": "Ventas", "data": [{"label": "S1", "value": 10}, {"label": "S3", "value": 12.5}]},
            {"name": "Meta", "data": [{"label": "S1", "value": 11}, {"label": "S2", "value": 11}, {"label": "S3", "value": 11}]},
        ]},
    }  # fmt: skip
    assert message_blocks_errors([block]) == []


def test_long_titles_labels_and_duplicate_names_are_clamped_to_what_slack_takes():
    categories = [f"Semana número {week:02d} del año" for week in range(1, 26)]  # 25 labels of 24 characters
    data = line(title="x" * 80, categories=categories,
                series=(Series("Un nombre de KPI muy largo", range(25)), Series("Un nombre de KPI muy largo", range(25))))  # fmt: skip
    block = chart_block(data)
    assert len(block["title"]) == 50
    axis = block["chart"]["axis_config"]["categories"]
    assert len(axis) == 20 and all(len(label) <= 20 for label in axis) and len(set(axis)) == 20
    names = [series["name"] for series in block["chart"]["series"]]
    assert len(set(names)) == 2 and all(len(name) <= 20 for name in names)
    assert block["chart"]["series"][0]["data"][-1] == {"label": axis[-1], "value": 24}  # the latest points are kept
    assert message_blocks_errors([block]) == []


def test_a_chart_without_any_value_is_not_drawn():
    assert chart_block(line(series=(Series("Ventas", (None, None, None)),))) is None


@pytest.mark.parametrize(
    "change, complaint",
    [
        (lambda b: b.update(title="t" * 51), "less than 51 characters"),
        (lambda b: b["chart"]["series"][0]["data"].append({"label": "S9", "value": 1}), "not one of the axis categories"),
        (lambda b: b["chart"]["series"].append(dict(b["chart"]["series"][0])), "series names must be unique"),
        (lambda b: b["chart"]["series"][0]["data"][0].update(value="12"), "finite number"),
        (lambda b: b["chart"].update(type="scatter"), "chart type must be"),
        (lambda b: b["chart"].pop("axis_config"), "axis_config"),
        (lambda b: b["chart"].update(series=[{"name": f"s{n}", "data": [{"label": "S1", "value": 1}]} for n in range(7)]), "1 to 6 series"),
    ],
)
def test_the_double_refuses_charts_slack_refuses(change, complaint):
    block = chart_block(line())
    change(block)
    errors = message_blocks_errors([block])
    assert errors and complaint in errors[0]


def test_at_most_two_charts_and_one_table_in_a_message():
    chart = chart_block(line())
    table = table_block([["KPI", "Valor"], ["Ventas", "$1"]])
    assert message_blocks_errors([chart, dict(chart), table]) == []
    assert "no more than 2 data_visualization" in message_blocks_errors([chart, dict(chart), dict(chart)])[0]
    assert "only_one_table_allowed" in message_blocks_errors([table, dict(table)])[0]


def test_a_table_has_raw_text_cells_padded_to_one_width_and_at_most_100_rows():
    block = table_block([["KPI", "Valor", "Meta"], ["Ventas", "$1"]] + [["x", "1", "2"]] * 120, align=("left", "right", "right"))
    assert block["rows"][1] == [{"type": "raw_text", "text": "Ventas"}, {"type": "raw_text", "text": "$1"}, {"type": "raw_text", "text": "—"}]
    assert len(block["rows"]) == 100 and block["column_settings"][1] == {"align": "right", "is_wrapped": True}
    assert message_blocks_errors([block]) == []
    block["rows"][0][0] = {"type": "mrkdwn", "text": "*KPI*"}
    assert "raw_text or rich_text" in message_blocks_errors([block])[0]


def test_an_older_slack_refuses_both_blocks_and_takes_the_rest():
    blocks = [section("Ventas $1"), chart_block(line()), table_block([["a"], ["b"]])]
    errors = message_blocks_errors(blocks, native=False)
    assert [error.split(" [")[0] for error in errors] == ["unsupported block type: 'data_visualization'", "unsupported block type: 'table'"]
    assert message_blocks_errors(without_native(blocks), native=False) == []


def test_a_home_view_takes_one_table_checked_like_a_messages_and_no_chart():
    table = table_block([["KPI", "Valor"], ["Ventas", "$1"]], block_id="home-kpi-table")
    home = {"type": "home", "blocks": [section("Ventas $1"), table]}
    assert view_errors(home) == []
    chart = {"type": "home", "blocks": [section("Ventas $1"), chart_block(line())]}
    assert [error.split(" [")[0] for error in view_errors(chart)] == ["unsupported block type: 'data_visualization'"]
    two = {"type": "home", "blocks": [table, {**table, "block_id": "other"}]}
    assert "only_one_table_allowed" in view_errors(two)[0]
    broken = {"type": "home", "blocks": [{**table, "rows": [[{"type": "mrkdwn", "text": "*KPI*"}]]}]}
    assert "raw_text or rich_text" in view_errors(broken)[0]


def test_a_modal_takes_neither_and_an_older_slack_refuses_the_homes_table():
    table = table_block([["KPI", "Valor"], ["Ventas", "$1"]])
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "KPI"}, "blocks": [section("Ventas $1"), table]}
    assert [error.split(" [")[0] for error in view_errors(modal)] == ["unsupported block type: 'table'"]
    home = {"type": "home", "blocks": [section("Ventas $1"), table]}
    assert [error.split(" [")[0] for error in view_errors(home, native=False)] == ["unsupported block type: 'table'"]
    assert view_errors({"type": "home", "blocks": without_native(home["blocks"])}, native=False) == []
