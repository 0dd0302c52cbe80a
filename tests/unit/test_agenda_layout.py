"""How an agenda is laid out in its thread: the details and the charts replies within Slack's
limits, nothing dropped when they overflow, the same names and split with PNGs, and a section
that can be redrawn alone."""

from __future__ import annotations

from bot.blocks import section
from bot.blocks.agenda_monthly import monthly_agenda
from bot.blocks.agenda_weekly import weekly_agenda
from bot.blocks.agenda_layout import CHARTS, DETAILS, replace_section, sections_of, thread
from bot.blocks.native import count
from bot.slack_double.validation import message_blocks_errors
from bot.transcript import render
from services import agenda_charts
from services.sla_breaches import BreachStatus
from tests.support.agenda_consistency import contradictions, plain
from tests.unit.test_agenda_blocks import ES, FOLLOWUP, breach, fact, monthly_facts, sla_row, topic, weekly_facts


def laid(facts, *, native=True, monthly=False):
    agenda = (monthly_agenda if monthly else weekly_agenda)(facts, ES)
    charts = (agenda_charts.monthly_charts if monthly else agenda_charts.weekly_charts)(facts)
    return agenda, thread(agenda, charts, ES, native=native)


def assert_slack_takes(parts):
    for part in parts:
        assert message_blocks_errors(part.reply.blocks) == [], (part.name, message_blocks_errors(part.reply.blocks))
        assert part.reply.text.strip() and len(part.reply.text) <= 3000


def test_a_weekly_agenda_is_three_messages_with_a_native_table_and_three_native_charts():
    agenda, laid_out = laid(weekly_facts())
    assert laid_out.names == (DETAILS, CHARTS)
    details, charts = (part.reply for part in laid_out.parts)
    assert list(sections_of(details.blocks)) == [part.name for part in agenda.parts]
    assert count(details.blocks, "table") == 1 and count(details.blocks, "data_visualization") == 1  # the KPIs; OKR progress
    assert count(charts.blocks, "data_visualization") == 2  # the trend with its target, SLA attainment
    trend = next(block for block in charts.blocks if block["type"] == "data_visualization")
    assert [series["name"] for series in trend["chart"]["series"]] == ["Ventas", "Meta"]
    # Every chart's numbers are in the text under it.
    assert "S11 $45.000.000" in plain(render({"blocks": charts.blocks})) and "Meta $50.000.000" in plain(render({"blocks": charts.blocks}))
    assert_slack_takes(laid_out.parts)
    # Read back from the details, the sections say what the agenda's parts say (the consistency
    # check finds the same things in both; this fixture mixes weeks on purpose, so it finds some).
    parent = {"text": agenda.parent.text, "blocks": agenda.parent.blocks}
    read_back = {name: {"blocks": blocks} for name, blocks in sections_of(details.blocks).items()}
    written = {part.name: {"blocks": part.reply.blocks} for part in agenda.parts}
    found = contradictions(parent, read_back, language="es", period="semana 11 de 2026")
    assert found and found == contradictions(parent, written, language="es", period="semana 11 de 2026")


def test_with_pngs_the_same_messages_go_without_native_blocks_and_the_charts_reply_is_the_upload():
    _, native = laid(weekly_facts())
    _, pngs = laid(weekly_facts(), native=False)
    assert pngs.names == native.names and [chart.name for chart in pngs.charts] == ["primary", "sla", "okr"]
    details, charts = (part.reply for part in pngs.parts)
    assert count(details.blocks, "table") == 0 and count(details.blocks, "data_visualization") == 0
    assert charts.blocks == [] and charts.text == "Gráficos"  # the upload's comment
    assert_slack_takes(pngs.parts[:1])


def test_details_that_do_not_fit_one_message_overflow_into_more_replies_and_nothing_is_lost():
    many_changes = tuple(fact(FOLLOWUP, ["20", str(30 + i)], target="24", source="sla", name=f"KPI {i} " + "x" * 200) for i in range(40))
    many_topics = tuple(topic(n, ("Tema largo " * 30).strip()) for n in range(1, 80))
    breaches = tuple(breach(n, status=BreachStatus.ACKNOWLEDGED, plan="p" * 1500, note="n" * 1000) for n in range(1, 60))
    facts = weekly_facts(changes=many_changes, topics=many_topics, open_breaches=breaches, sla=tuple(sla_row() for _ in range(70)))
    agenda, laid_out = laid(facts)
    details = [part for part in laid_out.parts if part.name.startswith(DETAILS)]
    assert [part.name for part in details][:2] == ["details", "details-2"] and laid_out.names[-1] == CHARTS
    found = [name for part in details for name in sections_of(part.reply.blocks)]
    assert found == [part.name for part in agenda.parts]  # every section once, in order
    for part in details:  # each section whole, as the agenda wrote it (the marker aside), then its table or chart
        for name, blocks in sections_of(part.reply.blocks).items():
            written = agenda.part(name).blocks
            assert [{k: v for k, v in b.items() if k != "block_id"} for b in blocks[: len(written)]] == [
                {k: v for k, v in b.items() if k != "block_id"} for b in written]
    assert all(count(part.reply.blocks, "table") <= 1 and count(part.reply.blocks, "data_visualization") <= 2 for part in laid_out.parts)
    assert_slack_takes(laid_out.parts)
    _, pngs = laid(facts, native=False)
    assert pngs.names == laid_out.names  # the same split with PNGs: a run that falls back halfway posts the same parts


def test_the_monthly_agenda_is_laid_out_the_same_way():
    agenda, laid_out = laid(monthly_facts(), monthly=True)
    assert laid_out.names == (DETAILS, CHARTS)
    assert list(sections_of(laid_out.parts[0].reply.blocks)) == ["kpis", "sla", "breaches", "okr", "topics", "glossary"]
    assert_slack_takes(laid_out.parts)


def test_one_section_is_redrawn_alone():
    _, laid_out = laid(weekly_facts())
    blocks = laid_out.parts[0].reply.blocks
    redrawn = replace_section(blocks, "okr", [section("*OKR* nuevo")])
    sections = sections_of(redrawn)
    assert render({"blocks": sections["okr"]}) == "*OKR* nuevo"
    assert {name: value for name, value in sections.items() if name != "okr"} == {
        name: value for name, value in sections_of(blocks).items() if name != "okr"}
    assert replace_section(blocks, "glossary", [section("x")]) is None  # not in a weekly agenda
