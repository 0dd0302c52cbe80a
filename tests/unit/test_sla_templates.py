"""Starter SLA templates and the optional words of the one-line form: pure, table-driven."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import UserError
from domain.kpis import STARTER_TEMPLATES
from domain.sla import check_commitment, parse_commitment
from domain.sla_line import CommitmentLine, split_line
from domain.sla_templates import SLA_TEMPLATES, sla_template
from services.i18n import message_ids

STARTER_CATALOG = {spec.key: spec for spec in STARTER_TEMPLATES}
TEAMS = [("es", "CO"), ("en", "CO"), ("en", "US"), ("es", "MX")]


@pytest.mark.parametrize("language, country", TEAMS)
@pytest.mark.parametrize("template", SLA_TEMPLATES, ids=lambda template: template.id)
def test_every_template_line_reads_back_as_its_commitment_and_suits_its_starter_kpi(template, language, country):
    line = template.one_line(language=language, country=country)
    commitment = parse_commitment(line, language=language, country=country)
    assert commitment == template.commitment()
    assert check_commitment(commitment, STARTER_CATALOG, language=language).key == template.kpi_key


@pytest.mark.parametrize(
    "template_id, language, country, expected",
    [
        ("leads_delivered", "es", "CO", "mercadeo leads_mql >= 120 semanal"),
        ("marketing_revenue", "es", "CO", "mercadeo revenue_marketing >= 45 millones COP mensual"),
        ("average_deal", "es", "CO", "mercadeo avg_deal >= 250.000 COP mensual"),
        ("marketing_conversion", "es", "CO", "mercadeo lead_to_customer >= 3 % mensual"),
        ("followup_speed", "en", "CO", "sales followup_hours <= 24 h weekly"),
        ("average_deal", "en", "US", "marketing avg_deal >= 250,000 COP monthly"),
        ("sales_conversion", "en", "US", "sales lead_to_customer >= 3% monthly"),
    ],
)
def test_template_lines_are_written_the_teams_way(template_id, language, country, expected):
    assert sla_template(template_id).one_line(language=language, country=country) == expected


def test_the_issue_names_both_sides_commitments_and_each_has_a_title_in_every_language():
    assert {(t.side.value, t.kpi_key) for t in SLA_TEMPLATES} == {
        ("marketing", "leads_mql"), ("marketing", "revenue_marketing"), ("marketing", "avg_deal"),
        ("marketing", "lead_to_customer"), ("sales", "followup_hours"), ("sales", "contact_attempts"),
        ("sales", "lead_to_customer"),
    }
    for language in ("es", "en"):
        titles = message_ids(language)
        assert all(f"sla.ui.template.{template.id}" in titles for template in SLA_TEMPLATES)
    assert sla_template("nope") is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ventas followup_hours <= 24 semanal", CommitmentLine("ventas followup_hours <= 24 semanal")),
        (
            "ventas followup_hours <=24 semanal responsable <@U0LUIS|luis m> desde 2026-04-01",
            CommitmentLine("ventas followup_hours <=24 semanal", responsible="U0LUIS", starts_on=date(2026, 4, 1)),
        ),
        (
            "marketing leads_mql from 2026-03-02 >= 120 weekly Responsible <@U0ANA> term \"desde hoy\"",
            CommitmentLine("marketing leads_mql >= 120 weekly term \"desde hoy\"", responsible="U0ANA", starts_on=date(2026, 3, 2)),
        ),
    ],
)
def test_responsible_and_start_day_are_taken_out_of_the_line(text, expected):
    assert split_line(text, today=date(2026, 3, 2)) == expected


@pytest.mark.parametrize(
    "text, message_id",
    [
        ("ventas followup_hours <= 24 semanal responsable luis", "sla.ui.responsible_missing"),
        ("ventas followup_hours <= 24 semanal responsable", "sla.ui.responsible_missing"),
        ("ventas followup_hours <= 24 semanal desde el lunes", "sla.ui.start_day_invalid"),
        ("ventas followup_hours <= 24 semanal desde 2026-02-30", "sla.ui.start_day_invalid"),
        ("ventas followup_hours <= 24 semanal desde 2026-03-02 from 2026-03-09", "sla.repeated_keyword"),
    ],
)
def test_a_misused_optional_word_says_what_to_type(text, message_id):
    with pytest.raises(UserError) as refused:
        split_line(text, today=date(2026, 3, 2))
    assert refused.value.message_id == message_id
