"""A person's App Home as Block Kit, rendered from hand-built facts: the welcome for a person
without a team, each team's part in the team's language and the header in the person's, the
buttons the channel messages carry (same action ids and values) with the team's channel in
their block id, typed text neutralised, and Slack's 100 blocks kept for a person with many
teams, key results and breaches (checked with the double's validator, as strict as Slack); the
week's KPIs of every team in one native table, never a chart (Slack takes no chart in a Home tab),
with the same numbers as the KPI lines, and no table at all when the workspace's Slack refused one."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest

from bot.blocks.home import (
    MAX_BLOCKS,
    MAX_BREACHES,
    MAX_KRS,
    MAX_TEAMS,
    MAX_TERMS,
    KPI_TABLE,
    block_id,
    channel_of_block,
    home_view,
)
from bot.blocks.native import NATIVE_TYPES, without_native
from bot.blocks.okr import CHECKIN_OPEN
from bot.blocks.sla_breach import ACKNOWLEDGE
from bot.slack_double.validation import view_errors
from bot.transcript import render
from db.models import BreachStatus, SlaStatus, TeamRole
from domain.deltas import change_of
from domain.glossary import Side
from domain.kpis import KpiSpec
from domain.okr import KeyResult, Status
from domain.periods import Period
from domain.sla import Comparator, Commitment, Outcome, State, Step
from services.agenda_facts import KpiFact
from services.home import GlossaryEntry, Home, TeamHome, TeamRef
from services.okr import KeyResultView, Reading
from services.sla import AcceptanceView, CommitmentRow, SlaVersionView
from services.sla_breaches import BreachView

W11 = Period.week_of(date(2026, 3, 9))
EVIL = "<!channel> & <@U0EVIL>"
ESCAPED = "&lt;!channel&gt; &amp; &lt;@U0EVIL&gt;"
SALES = KpiSpec("sales_cop", "Ventas", "Sales", unit="currency", aggregation="sum", side="sales")
CONVERSION = KpiSpec("conversion_web", "Tasa de conversión web", "Web conversion rate", unit="percent", aggregation="average", side="both")
FOLLOWUP = KpiSpec("followup_hours", "Tiempo de seguimiento", "Follow-up time", unit="hours", aggregation="average", side="sales", direction="lower")


def fact(spec: KpiSpec, values, *, role, target=None, source=None, name=None) -> KpiFact:
    periods = [W11.previous(), W11][-len(values):]
    history = tuple(zip(periods, [D(v) for v in values]))
    change = change_of(spec.key, spec.unit, spec.direction, list(history), target=D(target) if target is not None else None)
    return KpiFact(spec.key, name or spec.name_es, spec, role, change, source if target is not None else None, history, ())


def version(number=1) -> SlaVersionView:
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    return SlaVersionView(
        id=number, commitment_id=number, commitment_number=number, number=1,
        terms=Commitment(Side.SALES, FOLLOWUP.key, Comparator.AT_MOST, D("24"), "week"), kpi_name=FOLLOWUP.name_es, spec=FOLLOWUP,
        responsible="U0LUIS", starts_on=date(2026, 3, 2), term_name=None, status=SlaStatus.ACTIVE, proposed_by="U0LUIS",
        proposed_at=at, active_at=at, acceptances=(AcceptanceView("U0ANA", frozenset({Side.MARKETING}), at),),
        channel_id="C0TEAM", message_ts="1.1",
    )  # fmt: skip


def sla_row(number=1) -> CommitmentRow:
    recent = (Outcome(State.MET, D("20"), D("24"), None), Outcome(State.BREACHED, D("30"), D("24"), D("6")))
    return CommitmentRow(version(number), None, W11.next(), State.AT_RISK, D("26.5"), recent)


def breach(number=1) -> BreachView:
    return BreachView(
        id=100 + number, number=number, version=version(), period=W11, value=D("31"), gap=D("7"), trend=((W11, D("31")),),
        responsible="U0LUIS", may_acknowledge=("U0LUIS", "U0ROSA"), escalate_to=("U0ANA",), status=BreachStatus.OPEN,
        step=Step.ESCALATED, channel_id="C0TEAM", message_ts="2.2", posted_at=datetime(2026, 3, 16, 5, tzinfo=timezone.utc),
        acknowledged_by=None, acknowledged_at=None, reason=None, note="", plan="", plan_owner=None, plan_due=None,
        ended_at=None, ended_by=None, end_note="",
    )  # fmt: skip


def kr(number, metric="clientes con recompra") -> KeyResultView:
    result = KeyResult(number=number, metric=metric, baseline=D(100), target=D(200), start=date(2026, 1, 1), deadline=date(2026, 3, 31), owner="U0LUIS")
    return KeyResultView(
        id=number, objective_id=1, objective_number=1, result=result, spec=None, current=Reading(D(130), "checkin", date(2026, 3, 10)),
        progress=0.3, expected=0.45, status=Status.AT_RISK, guardrail_value=None, guardrail_broken=False, last_checkin_at=None,
        note="", retargets=0, objective_active=True,
    )  # fmt: skip


def team(number=1, *, language="es", breaches=1, krs=1, terms=2, slas=1, name="Tienda Norte", **overrides) -> TeamHome:
    values = dict(
        id=number, name=name, channel_id=f"C0TEAM{number}", locale=language, country="CO" if language == "es" else "US",
        timezone="America/Bogota", roles=(TeamRole.SALES_LEAD,), reported=W11,
        primary=fact(SALES, ["40000000", "45000000"], role="primary", target="50000000", source="sla"),
        supporting=(fact(CONVERSION, ["1.2", "1.1"], role="support", name=f"Conversión {EVIL}"),),
        sla=tuple(sla_row(n) for n in range(1, slas + 1)), to_acknowledge=tuple(breach(n) for n in range(1, breaches + 1)),
        key_results=tuple(kr(n, metric=f"recompra {EVIL}" if n == 1 else "clientes") for n in range(1, krs + 1)),
        glossary=tuple(GlossaryEntry(f"MQL {n} {EVIL}" if n == 1 else f"Término {n}", f"Lead que cumple {EVIL} " + "x" * 300)
                       for n in range(1, terms + 1)),
    )  # fmt: skip
    values.update(overrides)
    return TeamHome(**values)


def valid(view) -> str:
    """Slack (the double, as strict) accepts it as a Home view; no message id is left raw."""
    assert view["type"] == "home"
    assert view_errors(view) == [], view_errors(view)
    assert len(view["blocks"]) <= MAX_BLOCKS
    shown = render(view)
    assert "home.ui." not in shown and "agenda.ui." not in shown
    return shown.replace("\xa0", " ").replace("\u202f", " ")


def natives(view) -> list[dict]:
    return [block for block in view["blocks"] if block["type"] in NATIVE_TYPES]


def table_cells(view) -> list[str]:
    """Every cell of the view's one table, row after row."""
    (table,) = natives(view)
    assert table["type"] == "table" and table["block_id"] == KPI_TABLE
    assert all(cell["type"] == "raw_text" for row in table["rows"] for cell in row)
    return [cell["text"] for row in table["rows"] for cell in row]


def accessories(view) -> list[tuple[str, dict]]:
    return [(block["block_id"], block["accessory"]) for block in view["blocks"] if "accessory" in block]


# The welcome ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language, words", [
    ("es", ("Te damos la bienvenida a Alinea", "`/alinea configurar`", "`/alinea ayuda`")),
    ("en", ("Welcome to Alinea", "`/alinea setup` · `configurar`", "`/alinea help` · `ayuda`")),
])  # fmt: skip
def test_a_person_without_a_team_is_welcomed_with_how_to_start(language, words):
    shown = valid(home_view(Home("U0PEDRO", ()), language=language))
    assert all(word in shown for word in words)


# A team ---------------------------------------------------------------------------------------------------


def test_a_team_in_spanish_shows_kpis_sla_breaches_krs_and_glossary():
    view = home_view(Home("U0LUIS", (team(),)), language="es")
    shown = valid(view)
    assert "Tu alineación de mercadeo y ventas" in shown  # the header, in the person's language
    assert "*Tienda Norte* · <#C0TEAM1>" in shown and "Tu rol: líder de ventas" in shown
    assert "*KPI de semana 11 de 2026 (9–15 mar)*" in shown
    assert "*Ventas* (`sales_cop`): *$45.000.000*" in shown and "semana anterior $40.000.000" in shown  # the agenda's own line
    assert "❌ meta ≥ $50.000.000 (SLA)" in shown
    assert f"Conversión {ESCAPED}" in shown  # a KPI name someone typed
    assert "*SLA1* · Ventas" in shown and "Esta semana: 🟡 en riesgo (26,5 h hasta ahora)" in shown
    assert "*Esperan tu reconocimiento (1)*" in shown and "*B1* · SLA1 · semana 11 de 2026 (9–15 mar): 31 h" in shown
    assert "📣 Escalado." in shown
    assert "*Tus resultados clave (1)*" in shown and f"*KR1* · recompra {ESCAPED}" in shown and "Ahora: 130" in shown
    assert "*Glosario* · 2 término(s) acordado(s)" in shown and f"• *MQL 1 {ESCAPED}* — Lead que cumple {ESCAPED}" in shown
    mrkdwn = render({"blocks": without_native(view["blocks"])})
    assert "<!channel>" not in mrkdwn and "<@U0EVIL>" not in mrkdwn  # nothing anyone typed pings
    assert f"🔴 Conversión {EVIL}" in table_cells(view)  # a raw_text cell: shown as typed, never a mention


def test_the_buttons_are_the_channel_messages_own_and_name_the_team_channel():
    view = home_view(Home("U0LUIS", (team(3, krs=2),)), language="es")
    found = accessories(view)
    assert [(element["action_id"], element["value"]) for _, element in found] == [(ACKNOWLEDGE, "101"), (CHECKIN_OPEN, "1"), (CHECKIN_OPEN, "2")]
    assert [channel_of_block(block) for block, _ in found] == ["C0TEAM3"] * 3
    assert [element["text"]["text"] for _, element in found] == ["Reconocer", "Check-in", "Check-in"]


def test_block_ids_carry_the_channel_and_other_block_ids_carry_none():
    assert channel_of_block(block_id("C0ABC", "kr", 3)) == "C0ABC"
    assert channel_of_block("sla_breach_12") is None and channel_of_block(None) is None and channel_of_block("home") is None


def test_a_team_in_english_speaks_english_under_a_spanish_header():
    view = home_view(Home("U0LUIS", (team(language="en", breaches=0, krs=0, terms=0),)), language="es")
    shown = valid(view)
    assert "Tu alineación de mercadeo y ventas" in shown  # the person reads Spanish
    assert "Your role: sales lead" in shown and "*KPIs for week 11 of 2026" in shown and "COP45,000,000* · previous week" in shown
    assert "✅ No breach waits for your acknowledgement." in shown
    assert "No agreed terms yet." in shown and "*Your key results" not in shown
    assert accessories(view) == []


def test_a_team_without_kpis_or_slas_says_how_to_start():
    bare = team(breaches=0, krs=0, terms=0, slas=0, primary=None, supporting=(), roles=())
    shown = valid(home_view(Home("U0ANA", (bare,)), language="es"))
    assert "No hay KPI principal" in shown and "No hay compromisos de SLA" in shown
    assert "Tienes resultados clave o compromisos a tu cargo en este equipo." in shown


def test_long_lists_are_cut_with_the_command_that_shows_them_all():
    shown = valid(home_view(Home("U0LUIS", (team(breaches=7, krs=9, terms=20, slas=9),)), language="es"))
    assert f"… y {7 - MAX_BREACHES} más: `/alinea sla incumplimientos` en <#C0TEAM1>." in shown
    assert f"… y {9 - MAX_KRS} más: `/alinea okr` en <#C0TEAM1>." in shown
    assert f"… y {20 - MAX_TERMS} más: `/alinea glosario` los muestra todos." in shown
    assert "… y 3 compromiso(s) más: `/alinea sla` en <#C0TEAM1>." in shown
    assert "x" * 130 not in shown  # definitions are short


# Slack's 100 blocks -----------------------------------------------------------------------------------------


def test_many_teams_krs_and_breaches_stay_within_100_blocks():
    teams = tuple(team(n, name=f"Equipo {n} {EVIL}", breaches=12, krs=15, terms=40, slas=12) for n in range(1, MAX_TEAMS + 1))
    more = tuple(TeamRef(f"Otro {n}", f"C0MORE{n}") for n in range(1, 9))
    view = home_view(Home("U0LUIS", teams, more), language="en")
    shown = valid(view)
    assert len(view["blocks"]) <= MAX_BLOCKS
    assert all(f"<#C0TEAM{n}>" in shown for n in range(1, MAX_TEAMS + 1))
    assert "You are in 8 more team(s): *Otro 1* <#C0MORE1>" in shown
    assert len(accessories(view)) == MAX_TEAMS * (MAX_BREACHES + MAX_KRS)
    block_ids = [block["block_id"] for block in view["blocks"] if "block_id" in block]
    assert len(block_ids) == len(set(block_ids))


# The native table -------------------------------------------------------------------------------------------


def test_one_native_table_under_the_header_says_the_kpi_lines_numbers_and_no_chart_is_sent():
    view = home_view(Home("U0LUIS", (team(),)), language="es")
    shown = valid(view)
    assert [block["type"] for block in natives(view)] == ["table"]  # Slack lists charts in messages only
    assert view["blocks"][2]["type"] == "table"  # right under the header and the intro
    rows = natives(view)[0]["rows"]
    assert [cell["text"] for cell in rows[0]] == ["KPI", "Valor", "Anterior", "Cambio", "Meta"]  # one team: no team column
    assert [cell["text"] for cell in rows[1]][:3] == ["🟢 Ventas", "$45.000.000", "$40.000.000"]
    assert "❌ meta ≥ $50.000.000 (SLA)" in [cell["text"] for cell in rows[1]]
    for number in ("$45.000.000", "$40.000.000", "1,1\xa0%", "1,2\xa0%"):  # the same numbers in the lines screen readers read
        assert number in table_cells(view) and number in render({"blocks": without_native(view["blocks"])})
    assert "$45.000.000" in shown


def test_several_teams_share_the_one_table_each_row_named_by_its_team_and_written_its_way():
    spanish, english = team(1, name="Tienda Norte"), team(2, language="en", name="Store South")
    view = home_view(Home("U0LUIS", (spanish, english)), language="en")
    valid(view)
    (table,) = natives(view)
    rows = [[cell["text"] for cell in row] for row in table["rows"]]
    assert rows[0] == ["Team", "KPI", "Value", "Previous", "Change", "Target"]  # the person's language
    assert [row[0] for row in rows[1:]] == ["Tienda Norte", "Tienda Norte", "Store South", "Store South"]
    assert rows[1][2] == "$45.000.000" and rows[3][2] == "COP45,000,000"  # each team's way of writing numbers
    assert [setting["align"] for setting in table["column_settings"]] == ["left", "left", "right", "right", "right", "left"]


def test_no_table_without_kpis_nor_when_the_workspaces_slack_refused_native_blocks():
    bare = team(primary=None, supporting=())
    assert natives(home_view(Home("U0ANA", (bare,)), language="es")) == []
    with_table = home_view(Home("U0LUIS", (team(),)), language="es")
    text_only = home_view(Home("U0LUIS", (team(),)), language="es", native=False)
    assert natives(text_only) == [] and text_only["blocks"] == without_native(with_table["blocks"])
    assert valid(text_only) == render({"blocks": without_native(with_table["blocks"])}).replace("\xa0", " ").replace("\u202f", " ")


def test_the_busiest_home_keeps_its_table_within_100_blocks():
    teams = tuple(team(n, name=f"Equipo {n}", breaches=12, krs=15, terms=40, slas=12) for n in range(1, MAX_TEAMS + 1))
    view = home_view(Home("U0LUIS", teams, tuple(TeamRef(f"Otro {n}", f"C0MORE{n}") for n in range(1, 9))), language="es")
    valid(view)
    assert len(view["blocks"]) <= MAX_BLOCKS and view["blocks"][-1]["type"] == "context"  # nothing cut: no "… more blocks"
    assert len(natives(view)[0]["rows"]) == 1 + MAX_TEAMS * 2  # every team's primary and supporting KPI
