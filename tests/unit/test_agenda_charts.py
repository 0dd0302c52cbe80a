"""The agendas' charts: real PNGs from matplotlib's object API (never pyplot), nothing drawn for a
KPI with no values, labels and numbers in the team's locale, and peso signs that stay peso signs."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from domain.periods import Period
from services import agenda_charts
from services.agenda_charts import (
    PNG_SIGNATURE,
    Bar,
    attainment_chart,
    attainment_png,
    is_png,
    kpi_number,
    period_label,
    progress_chart,
    progress_png,
    share_text,
    signed_percent,
    trend_chart,
)
from services.charts import Trend, trend_png
from tests.unit.test_agenda_blocks import SALES, fact, monthly_facts, weekly_facts

ROOT = Path(__file__).resolve().parents[2]


def test_every_weekly_and_monthly_chart_is_a_png():
    for charts in (agenda_charts.weekly_charts(weekly_facts()), agenda_charts.monthly_charts(monthly_facts())):
        assert [chart.name for chart in charts] == ["primary", "sla", "okr"]
        for chart in charts:
            png = chart.render()
            assert png.startswith(PNG_SIGNATURE) and is_png(png) and len(png) > 5000
            assert chart.title and chart.alt and len(chart.alt) <= agenda_charts.ALT_TEXT_LIMIT


def test_a_kpi_with_no_values_gets_no_chart_and_an_all_empty_trend_still_renders():
    empty = fact(SALES, [None] * 12, role="primary")
    assert trend_chart("primary", "Ventas", SALES, empty.history, target=None, definition_changes=(), language="es", country="CO") is None
    assert [chart.name for chart in agenda_charts.weekly_charts(weekly_facts(primary=empty))] == ["sla", "okr"]
    blank = Trend(title="Ventas", labels=[f"S{n}" for n in range(12)], values=[None] * 12, format_value=str)
    assert trend_png(blank).startswith(PNG_SIGNATURE)
    assert attainment_chart("sla", "SLA", [("SLA1", 0, 0)], language="es", country="CO") is None  # nothing evaluated yet
    assert progress_chart("okr", "OKR", [], language="es", country="CO") is None
    assert attainment_png("SLA", []).startswith(PNG_SIGNATURE) and progress_png("OKR", []).startswith(PNG_SIGNATURE)


def test_labels_and_numbers_follow_the_teams_locale():
    march = Period.month(2026, 3)
    assert period_label(march, language="es", country="CO").startswith("mar")
    assert period_label(march, language="en", country="US") == "Mar"
    assert period_label(Period.month(2026, 9), language="es", country="CO").startswith("sept")
    week = Period.week_of(date(2026, 3, 9))
    assert (period_label(week, language="es", country="CO"), period_label(week, language="en", country="US")) == ("S11", "W11")
    assert kpi_number(D("45000000"), SALES, language="es", country="CO") == "$45.000.000"
    assert kpi_number(D("45000000.4"), SALES, language="en", country="CO") == "$45.000.000"  # docs/decisions.md: Colombian numbers in English (COP, no decimals)
    assert signed_percent(D("12.5"), language="es", country="CO").replace("\xa0", " ") == "+12,5 %"
    assert signed_percent(D("-3.333"), language="en", country="US") == "−3.3%"
    assert share_text(0.755, language="es", country="CO").replace("\xa0", " ") == "76 %"
    monthly = agenda_charts.monthly_charts(monthly_facts())
    primary = next(chart for chart in monthly if chart.name == "primary")
    assert "abr. $150.000.000" in primary.alt and "últimos 12 meses" in primary.title
    english = next(chart for chart in agenda_charts.monthly_charts(monthly_facts(language="en", country="US")) if chart.name == "primary")
    assert "Apr COP150,000,000" in english.alt and "last 12 months" in english.title


def test_peso_signs_and_dollar_signs_in_names_do_not_become_math():
    named = fact(SALES, ["1", "2", "3"], role="primary", target="4", source="sla", name="Ventas $ netas $ (COP)")
    chart = trend_chart("primary", named.name, SALES, named.history, target=D(4), definition_changes=(1,), language="es", country="CO")
    assert chart is not None and chart.render().startswith(PNG_SIGNATURE)
    bars = [Bar("SLA $1$", 0.5, "$1/2$"), Bar("SLA2", 1.2, "6/5")]
    assert attainment_png("Meta $ $", bars).startswith(PNG_SIGNATURE)
    assert progress_png("KR $x$", [Bar("KR1", -0.2, "0 %", 1.5)], expected_label="esperado $").startswith(PNG_SIGNATURE)


def test_the_module_never_touches_pyplot():
    source = (ROOT / "services" / "agenda_charts.py").read_text(encoding="utf-8")
    imported = {
        alias.name if isinstance(node, ast.Import) else f"{node.module}.{alias.name}"
        for node in ast.walk(ast.parse(source)) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names
    }  # fmt: skip
    assert not any("pyplot" in name for name in imported)
    script = (
        "import sys\n"
        "from tests.unit.test_agenda_blocks import weekly_facts\n"
        "from services import agenda_charts\n"
        "[chart.render() for chart in agenda_charts.weekly_charts(weekly_facts())]\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("language, country", [("es", "CO"), ("en", "US")])
def test_chart_text_is_the_text_of_the_agenda(language, country):
    facts = weekly_facts(language=language, country=country)
    charts = {chart.name: chart for chart in agenda_charts.weekly_charts(facts)}
    history = agenda_charts.history_text(facts.primary.history, SALES, language=language, country=country)
    assert history in charts["primary"].alt
