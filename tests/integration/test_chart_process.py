"""PNG charts drawn in the chart process (bot/chart_process.py): the same bytes as drawn here,
and every failure of the pool falls back to drawing here, so no chart is lost to it."""

from __future__ import annotations

import os
import signal
from decimal import Decimal
from functools import partial

from datetime import date

import pytest

from bot import chart_process
from domain.kpis import KpiSpec
from domain.periods import Period
from services.agenda_charts import PNG_SIGNATURE, attainment_chart, trend_chart


def _charts():
    week = Period.week_of(date(2026, 3, 9))
    history = []
    for step in range(6):
        history.insert(0, (week, Decimal(1000 + 37 * step)))
        week = week.previous()
    spec = KpiSpec(key="sales_cop", name_es="Ventas", name_en="Sales", unit="currency", currency="COP")
    trend = trend_chart("primary", "Ventas", spec, history, target=Decimal(1200), definition_changes=(), language="es", country="CO")
    bars = attainment_chart("sla", "SLA", [("SLA1", 3, 4), ("SLA2", 1, 4)], language="es", country="CO")
    return [trend, bars]


def test_the_chart_process_draws_the_same_png_as_this_process(caplog):
    charts = _charts()
    started = chart_process.draw([chart.render for chart in charts])
    drawn_there = [chart_process.png(chart.render, future) for chart, future in zip(charts, started)]
    drawn_here = [chart.render() for chart in charts]
    assert all(png.startswith(PNG_SIGNATURE) for png in drawn_there)
    assert drawn_there == drawn_here
    assert not [record for record in caplog.records if "drawing it here" in record.getMessage()]  # no fall-back


def _boom() -> bytes:
    raise ValueError("the chart's own error")


def test_a_chart_that_cannot_be_sent_is_drawn_here(caplog):
    here = _charts()[0].render
    not_picklable = lambda: here()  # noqa: E731 - a local lambda cannot be pickled
    [started] = chart_process.draw([not_picklable])
    assert chart_process.png(not_picklable, started) == here()
    assert [record for record in caplog.records if "drawing it here" in record.getMessage()]


def test_a_chart_whose_drawing_fails_raises_its_own_error():
    [started] = chart_process.draw([_boom])
    with pytest.raises(ValueError, match="the chart's own error"):
        chart_process.png(_boom, started)


def test_a_killed_worker_is_replaced_and_its_charts_drawn_here():
    render = _charts()[0].render
    chart_process.png(render, chart_process.draw([render])[0])  # the pool is up
    pool = chart_process._pool
    for pid in list(pool._processes):
        os.kill(pid, signal.SIGKILL)
    started = chart_process.draw([render, partial(render)])
    assert [chart_process.png(render, future) for future in started] == [render(), render()]
    again = chart_process.draw([render])  # a new pool
    assert chart_process.png(render, again[0]) == render()
    assert chart_process._pool is not pool
