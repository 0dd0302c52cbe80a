"""The weekly and monthly agendas as Block Kit, rendered from hand-built facts: both languages,
Slack's limits (checked with the double's validator, as strict as Slack), text that people typed
neutralised, the first agenda of a team without data, and every chart's numbers in the text."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from bot.blocks.agenda_monthly import MONTHLY_PARTS, monthly_agenda
from bot.blocks.agenda_okr import ReviewState
from bot.blocks.agenda_preview import preview_reply
from bot.blocks.agenda_weekly import PLAN_ACTIONS, WEEKLY_PARTS, weekly_agenda
from bot.blocks.agenda_topics import DECIDE_EXPERIMENT
from domain.locales import TeamLocale
from bot.slack_double.validation import message_blocks_errors
from bot.transcript import render
from db.models import BreachStatus, ObjectiveStatus, SlaStatus, TopicStatus
from domain.deltas import change_of
from domain.glossary import Side
from domain.kpis import KpiSpec
from domain.meetings import AgendaKind, MeetingSchedule, occurrence
from domain.okr import KeyResult, ObjectiveKind, Status
from domain.periods import Period
from domain.sla import Comparator, Commitment, Outcome, Reason, State, Step
from services import agenda_charts
from services.agenda_facts import KpiFact, MonthlyFacts, SlaMonth, TermChange, WeeklyFacts
from services.agenda_topics import TopicView
from services.experiments import ExperimentView, Result
from services.okr import Board, KeyResultView, ObjectiveView, Reading
from services.sla import AcceptanceView, CommitmentRow, SlaVersionView
from services.sla_breaches import BreachView

ES = TeamLocale(language="es", country="CO", timezone="America/Bogota")
EN = TeamLocale(language="en", country="US", timezone="America/Bogota")
SCHEDULE = MeetingSchedule(timezone="America/Bogota", country="CO")
W11 = Period.week_of(date(2026, 3, 9))
WEEKLY = occurrence(SCHEDULE, AgendaKind.WEEKLY, W11.next())  # Monday 16 March 09:00 Bogotá
WEEKLY_AFTER_HOLIDAY = occurrence(SCHEDULE, AgendaKind.WEEKLY, W11.next().next())  # Monday 23 March (San José): posted Friday 20
MONTHLY = occurrence(SCHEDULE, AgendaKind.MONTHLY, Period.month(2026, 4))
EVIL = "<!channel> & <@U0EVIL>"
ESCAPED = "&lt;!channel&gt; &amp; &lt;@U0EVIL&gt;"

SALES = KpiSpec("sales_cop", "Ventas", "Sales", unit="currency", aggregation="sum", side="sales")
CONVERSION = KpiSpec("conversion_web", "Tasa de conversión web", "Web conversion rate", unit="percent", aggregation="average", side="both")
DEAL = KpiSpec("avg_deal", "Ticket promedio", "Average order", unit="currency", aggregation="average", side="sales")
FOLLOWUP = KpiSpec("followup_hours", "Tiempo de seguimiento", "Follow-up time", unit="hours", aggregation="average", side="sales", direction="lower")


def periods(last: Period, count: int = 12) -> list[Period]:
    found = [last]
    while len(found) < count:
        found.insert(0, found[0].previous())
    return found


def fact(spec: KpiSpec, values, *, role=None, target=None, source=None, name=None, last=W11, changes=()) -> KpiFact:
    history = tuple(zip(periods(last, len(values)), [D(v) if v is not None else None for v in values]))
    change = change_of(spec.key, spec.unit, spec.direction, list(history), target=D(target) if target is not None else None)
    return KpiFact(spec.key, name or spec.name_es, spec, role, change, source if target is not None else None, history, tuple(changes))


def version(number=1, *, kpi=FOLLOWUP, comparator=Comparator.AT_MOST, target="24", side=Side.SALES, kind="week", status=SlaStatus.ACTIVE):
    terms = Commitment(side, kpi.key, comparator, D(target), kind)
    return SlaVersionView(
        id=number, commitment_id=number, commitment_number=number, number=1, terms=terms, kpi_name=kpi.name_es, spec=kpi,
        responsible="U0LUIS", starts_on=date(2026, 3, 2), term_name=None, status=status, proposed_by="U0LUIS",
        proposed_at=datetime(2026, 3, 1, tzinfo=timezone.utc), active_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
        acceptances=(AcceptanceView("U0ANA", frozenset({Side.MARKETING}), datetime(2026, 3, 1, tzinfo=timezone.utc)),),
        channel_id="C0TEAM", message_ts="1.1",
    )


def outcome(state, value=None, target="24"):
    return Outcome(state, D(value) if value is not None else None, D(target), None)


def sla_row(**kwargs) -> CommitmentRow:
    recent = (outcome(State.MET, "20"), outcome(State.BREACHED, "30"), outcome(State.NO_DATA), outcome(State.BREACHED, "31"))
    return CommitmentRow(version(**kwargs), None, W11.next(), State.AT_RISK, D("26.5"), recent)


def breach(number=1, *, status=BreachStatus.OPEN, plan="", note="") -> BreachView:
    acknowledged = status is not BreachStatus.OPEN
    return BreachView(
        id=number, number=number, version=version(), period=W11, value=D("31"), gap=D("7"), trend=((W11, D("31")),),
        responsible="U0LUIS", may_acknowledge=("U0LUIS", "U0MARTA", "U0ROSA"), escalate_to=("U0ANA",), status=status,
        step=Step.ESCALATED if not acknowledged else Step.POSTED, channel_id="C0TEAM", message_ts="2.2",
        posted_at=datetime(2026, 3, 16, 5, tzinfo=timezone.utc), acknowledged_by="U0MARTA" if acknowledged else None,
        acknowledged_at=datetime(2026, 3, 16, 6, tzinfo=timezone.utc) if acknowledged else None,
        reason=Reason.STAFFING if acknowledged else None, note=note, plan=plan, plan_owner="U0MARTA" if plan else None,
        plan_due=date(2026, 3, 20) if plan else None, ended_at=None, ended_by=None, end_note="",
    )


def kr(number, progress, expected, status, *, metric="clientes con recompra") -> KeyResultView:
    result = KeyResult(number=number, metric=metric, baseline=D(100), target=D(200), start=date(2026, 1, 1), deadline=date(2026, 3, 31), owner="U0ANA")
    return KeyResultView(
        id=number, objective_id=1, objective_number=1, result=result, spec=None, current=Reading(D(130), "checkin", date(2026, 3, 10)),
        progress=progress, expected=expected, status=status, guardrail_value=None, guardrail_broken=False, last_checkin_at=None,
        note="", retargets=0, objective_active=True,
    )


def board(title="Que los clientes vuelvan a comprar") -> Board:
    krs = (kr(1, 0.3, 0.45, Status.AT_RISK, metric=f"recompra {EVIL}"), kr(2, 0.8, 0.75, Status.ON_TRACK))
    objective = ObjectiveView(id=7, number=1, title=title, kind=ObjectiveKind.COMMITTED, status=ObjectiveStatus.ACTIVE,
                              created_by="U0ANA", key_results=krs, score=0.55)
    return Board((objective,), (), date(2026, 3, 16))


def topic(number, text, user="U0PEDRO") -> TopicView:
    return TopicView(number, number, text, user, datetime(2026, 3, 12, tzinfo=timezone.utc), TopicStatus.OPEN, "", None, None)


def experiment(week: Period, *, result=None, note="", hypothesis=f"Envío gratis {EVIL}") -> ExperimentView:
    return ExperimentView(1, week, hypothesis, "conversion_web", "conversion_web", "U0LUIS", week.start + timedelta(days=4), "team",
                          "U0ANA", datetime(2026, 3, 9, 14, tzinfo=timezone.utc), result, note)


def weekly_facts(language="es", **overrides) -> WeeklyFacts:
    primary = fact(SALES, [None, None, "38000000", "41000000", None, "39000000", "40000000", "42000000", "40500000", "43000000",
                           "40000000", "45000000"], role="primary", target="50000000", source="sla", changes=(8,))
    conversion = fact(CONVERSION, ["1.2", "1.1"], role="support", name=f"Conversión {EVIL}")
    deal = fact(DEAL, ["130000", "120000"], role="support", target="152000", source="okr")
    followup = fact(FOLLOWUP, ["20", "30"], target="24", source="sla")
    values = dict(
        team_name="Tienda <Norte>", channel_id="C0TEAM", language=language, country="CO", occurrence=WEEKLY, reported=W11,
        kpi_count=20, primary=primary, supporting=(conversion, deal), changes=(followup,), bottleneck=deal, sla=(sla_row(),),
        open_breaches=(breach(3), breach(1, status=BreachStatus.ACKNOWLEDGED, plan=f"Reasignar leads {EVIL}", note=EVIL)),
        okr=board(), last_experiment=experiment(W11, result=Result.CONFIRMED, note=f"subió {EVIL}"),
        last_experiment_change=fact(CONVERSION, ["1.1", "1.3"]), experiment=None,
        topics=(topic(1, f"Precios de envío {EVIL}"), topic(2, "Pauta en TikTok", "U0ANA")), logged=True,
    )  # fmt: skip
    values.update(overrides)
    return WeeklyFacts(**values)


def monthly_facts(language="es", **overrides) -> MonthlyFacts:
    march = Period.month(2026, 3)
    primary = fact(SALES, [str(150000000 + 5000000 * i) for i in range(12)], role="primary", target="210000000", source="okr", last=march)
    values = dict(
        team_name="Tienda Norte", channel_id="C0TEAM", language=language, country="CO", occurrence=MONTHLY, reported=march,
        kpis=(primary, fact(FOLLOWUP, ["22", "25"], target="24", source="sla", last=march)),
        sla=(SlaMonth("SLA1", "Tiempo de seguimiento", "sales", (outcome(State.MET, "20"), outcome(State.BREACHED, "30"),
                                                                  outcome(State.MET, "22"), outcome(State.BREACHED, "26"))),),
        breaches=(breach(1, status=BreachStatus.ACKNOWLEDGED, plan="Reasignar leads"), breach(2)),
        okr=board(), reviews=board().objectives, topics=(topic(2, f"Pauta {EVIL}"),),
        glossary_changes=(TermChange(f"MQL {EVIL}", 2, datetime(2026, 3, 12, 15, tzinfo=timezone.utc)),),
    )  # fmt: skip
    values.update(overrides)
    return MonthlyFacts(**values)


def valid(reply) -> str:
    """Slack accepts it (50 blocks, 3,000 characters a section…); no message id is left raw."""
    assert message_blocks_errors(reply.blocks) == [], message_blocks_errors(reply.blocks)
    assert reply.text.strip() and len(reply.text) <= 3000
    shown = render({"blocks": reply.blocks})
    assert "agenda.ui." not in shown and "agenda.ui." not in reply.text
    return shown.replace("\xa0", " ").replace("\u202f", " ")


def whole(agenda) -> str:
    return "\n".join(valid(reply) for reply in (agenda.parent, *(part.reply for part in agenda.parts)))


# Weekly ---------------------------------------------------------------------------------------------------


def test_the_weekly_agenda_in_spanish_has_its_parent_and_every_part():
    agenda = weekly_agenda(weekly_facts(), ES)
    assert tuple(part.name for part in agenda.parts) == WEEKLY_PARTS
    parent = valid(agenda.parent)
    assert "Agenda semanal · Tienda <Norte>" in parent  # a header is plain text: nothing to escape there
    assert "lunes 16 mar, 09:00–09:30 (America/Bogota)" in parent and "30 min: 10 KPI principal · 10 cuello de botella · 10 experimento" in parent
    assert "semana 11 de 2026 (9–15 mar)" in parent
    assert "*Ventas* (`sales_cop`): *$45.000.000*" in parent and "semana anterior $40.000.000 (+$5.000.000, +12,5 %, mejor)" in parent
    assert "❌ meta ≥ $50.000.000 (SLA)" in parent
    assert "Ticket promedio" in parent and "Conversión &lt;!channel&gt;" in parent  # both supporting KPIs, names escaped
    assert "*SLA:* último periodo: ✅ 0 · ❌ 1 · ⬜ 0 sin dato · 🟡 en riesgo ahora: 1 · incumplimientos abiertos: 2 (1 sin reconocer)" in parent
    assert "*OKR:* objetivos activos: 1 · KR: 🟢 1 en camino, 🟡 1 en riesgo, 🔴 0 atrasados" in parent
    assert "Tienda &lt;Norte&gt;" in agenda.parent.text  # the fallback text is mrkdwn too


def test_the_weekly_parts_say_what_the_meeting_needs():
    agenda = weekly_agenda(weekly_facts(), ES)
    sla = valid(agenda.part("sla"))
    assert "*SLA1* · Ventas" in sla and "Semana pasada: ❌ incumplido (31 h)" in sla and "Esta semana: 🟡 en riesgo (26,5 h hasta ahora)" in sla
    assert "Cumplimiento: 1/4 · 25 % de 4 periodos cerrados ✅❌⬜❌" in sla  # no data counts as not met
    assert "*B3* · SLA1 · semana 11 de 2026 (9–15 mar): 31 h" in sla and "Nadie lo ha reconocido; le toca a <@U0LUIS>. 📣 Escalado." in sla
    assert "Reconocido por <@U0MARTA>: falta de personal" in sla and "responsable <@U0MARTA>, para el 20/03/2026" in sla
    changes = valid(agenda.part("changes"))
    assert "1. 🔴 *Tiempo de seguimiento* (`followup_hours`): *30 h* · semana anterior 20 h (+10 h, +50 %, peor) · ❌ meta ≤ 24 h (SLA)" in changes
    experiment = valid(agenda.part("experiment"))
    assert "✅ Confirmado." in experiment and "Su métrica en la semana 11 de 2026 (9–15 mar)" in experiment and "+0,2 pp, +18,2 %" in experiment
    topics = valid(agenda.part("topics"))
    assert "*T1* Precios de envío" in topics and "<@U0PEDRO>" in topics and "*T2* Pauta en TikTok — <@U0ANA>" in topics
    plan = agenda.part("plan")
    shown = valid(plan)
    assert "*1 · 10 min — KPI principal:* Ventas $45.000.000 · ❌ meta ≥ $50.000.000 (SLA)" in shown
    assert "*2 · 10 min — Cuello de botella:* *Ticket promedio* (`avg_deal`), etapa de ticket: $120.000, a 21 % de su meta de $152.000." in shown
    (buttons,) = [block for block in plan.blocks if block["type"] == "actions"]
    assert buttons["block_id"] == PLAN_ACTIONS
    assert [(b["action_id"], b["value"]) for b in buttons["elements"]] == [(DECIDE_EXPERIMENT, "2026-W12")]


def test_a_decided_experiment_replaces_the_button():
    agenda = weekly_agenda(weekly_facts(experiment=experiment(W11.next(), hypothesis="Cupón en móvil")), ES)
    plan = agenda.part("plan")
    assert not any(block["type"] == "actions" for block in plan.blocks)
    assert "Ya decidido" in valid(plan) and "Cupón en móvil" in valid(plan)


def test_the_weekly_agenda_in_english_formats_numbers_the_teams_way():
    agenda = weekly_agenda(weekly_facts(language="en"), TeamLocale("en", "CO", "America/Bogota"))
    parent = valid(agenda.parent)
    assert "Weekly agenda · Tienda <Norte>" in parent and "Monday, Mar 16, 09:00–09:30" in parent
    assert "$45.000.000" in parent  # docs/decisions.md: Colombian numbers in English
    assert "previous week $40.000.000 (+$5.000.000, +12,5%, better)" in parent
    us = whole(weekly_agenda(weekly_facts(language="en"), EN))
    assert "COP45,000,000" in us and "Primary KPI" in us and "10 bottleneck" in us and "Last week's experiment" in us
    assert "Decide the experiment" in render({"blocks": weekly_agenda(weekly_facts(language="en"), EN).part("plan").blocks})


@pytest.mark.parametrize("where", [ES, EN])
def test_nothing_people_typed_can_ping_anyone(where):
    text = whole(weekly_agenda(weekly_facts(language=where.language), where)) + whole(monthly_agenda(monthly_facts(language=where.language), where))
    assert "<!channel>" not in text and "<@U0EVIL>" not in text
    assert ESCAPED in text
    for name in ("Reasignar leads", "Precios de envío", "Envío gratis", "recompra", "MQL"):
        assert f"{name} {ESCAPED}" in text, name


def test_the_numbers_of_every_chart_are_in_the_text():
    facts = weekly_facts()
    agenda = weekly_agenda(facts, ES)
    charts = {chart.name: chart for chart in agenda_charts.weekly_charts(facts)}
    assert set(charts) == {"primary", "sla", "okr"}
    kpis = valid(agenda.part("kpis"))
    points = agenda_charts.history_text(facts.primary.history, SALES, language="es", country="CO")
    assert f"Últimas 12 semanas: {points}".replace("\xa0", " ") in kpis
    assert "S52 —, S1 —, S2 $38.000.000" in kpis and "S11 $45.000.000" in kpis
    assert "📏 La definición cambió desde S8" in kpis
    assert "S2 $38.000.000" in charts["primary"].alt and "Meta $50.000.000" in charts["primary"].alt
    assert "1/4 · 25 %" in valid(agenda.part("sla")) and "SLA1 1/4 · 25 %" in charts["sla"].alt.replace("\xa0", " ")
    okr = valid(agenda.part("okr"))
    assert "▰▰▰▱▱▱▱▱▱▱ 30 % · esperado 45 % · 🟡 En riesgo" in okr and "80 % · esperado 75 %" in okr
    assert "KR1 30 % (esperado a hoy 45 %)" in charts["okr"].alt.replace("\xa0", " ")


def test_limits_hold_with_many_changes_topics_and_breaches():
    many_changes = tuple(fact(FOLLOWUP, ["20", str(30 + i)], target="24", source="sla", name=f"KPI {i} " + "x" * 200) for i in range(40))
    many_topics = tuple(topic(n, ("Tema largo " * 30).strip()) for n in range(1, 80))
    breaches = tuple(breach(n, status=BreachStatus.ACKNOWLEDGED, plan="p" * 1500, note="n" * 1000) for n in range(1, 60))
    rows = tuple(sla_row() for _ in range(70))
    agenda = weekly_agenda(weekly_facts(changes=many_changes, topics=many_topics, open_breaches=breaches, sla=rows), ES)
    for reply in (agenda.parent, *(part.reply for part in agenda.parts)):
        assert len(reply.blocks) <= 50
        valid(reply)
    assert "… y 25 más." in valid(agenda.part("changes"))
    assert "… y 49 más." in valid(agenda.part("topics"))
    assert "bloques más que no caben" in valid(agenda.part("sla"))


# The first agenda -----------------------------------------------------------------------------------------


def test_a_team_without_kpis_gets_a_first_agenda_that_says_how_to_start():
    empty = weekly_facts(kpi_count=0, primary=None, supporting=(), changes=(), bottleneck=None, sla=(), open_breaches=(),
                         okr=Board((), (), date(2026, 3, 16)), last_experiment=None, last_experiment_change=None, topics=(),
                         logged=False)  # fmt: skip
    agenda = weekly_agenda(empty, ES)
    parent = valid(agenda.parent)
    assert "Cómo empezar: fijen la línea base" in parent
    for command in ("`/alinea kpi plantillas`", "`/alinea kpi principal sales_cop`", "`/alinea registrar sales_cop VALOR para semana pasada`",
                    "`/alinea sla plantillas`", "`/alinea tema TEXTO`"):
        assert command in parent, command
    assert [part.name for part in agenda.parts] == ["topics", "plan"]
    assert any(block["type"] == "actions" for block in agenda.part("plan").blocks)
    english = valid(weekly_agenda(empty, EN).parent)
    assert "How to start: set the baseline" in english and "`/alinea log sales_cop VALUE for last week`" in english
    assert "`/alinea kpi templates`" in english


def test_a_team_with_kpis_but_no_values_skips_the_steps_it_took():
    primary = fact(SALES, [None, None], role="primary")
    agenda = weekly_agenda(weekly_facts(primary=primary, supporting=(), changes=(), bottleneck=None, last_experiment=None,
                                        last_experiment_change=None, logged=False), ES)  # fmt: skip
    parent = valid(agenda.parent)
    assert "kpi plantillas" not in parent and "kpi principal" not in parent and "`/alinea registrar sales_cop VALOR" in parent
    assert [part.name for part in agenda.parts] == ["sla", "okr", "topics", "plan"]


def test_a_month_without_data_says_how_to_start_too():
    agenda = monthly_agenda(monthly_facts(kpis=(), sla=(), breaches=(), reviews=(), okr=Board((), (), date(2026, 4, 7)),
                                          topics=(), glossary_changes=()), ES)  # fmt: skip
    parent = valid(agenda.parent)
    assert "Cómo empezar" in parent and "`/alinea kpi plantillas`" in parent
    assert "kpis" not in [part.name for part in agenda.parts]
    for part in agenda.parts:
        valid(part.reply)


# Monthly --------------------------------------------------------------------------------------------------


def test_the_monthly_agenda_reviews_the_month():
    facts = monthly_facts()
    agenda = monthly_agenda(facts, ES, reviews={7: ReviewState("asking")})
    assert tuple(part.name for part in agenda.parts) == MONTHLY_PARTS
    parent = valid(agenda.parent)
    assert "Agenda mensual · Tienda Norte" in parent and "*Mes revisado:* marzo de 2026" in parent
    assert "martes 7 abr, 09:00–10:00" in parent
    assert "*Metas:* 0 de 2 KPI con meta la cumplieron." in parent
    assert "*SLA:* 2 de 4 periodos cumplidos en el mes · 2 incumplimientos" in parent
    kpis = valid(agenda.part("kpis"))
    assert "*Ventas* (`sales_cop`): *$205.000.000* · mes anterior $200.000.000 (+$5.000.000, +2,5 %, mejor) · ❌ meta ≥ $210.000.000 (OKR)" in kpis
    assert "Últimos 12 meses: abr. $150.000.000" in kpis and "mar. $205.000.000" in kpis
    assert "cumplió 2 de 4 periodos — 2/4 · 50 % ✅❌✅❌" in valid(agenda.part("sla"))
    breaches = valid(agenda.part("breaches"))
    assert "Reconocido por <@U0MARTA>" in breaches and "Reasignar leads" in breaches and "<@U0LUIS>" in breaches
    okr = valid(agenda.part("okr"))
    assert "*O1* Que los clientes vuelvan a comprar: su revisión se publica ahora en el canal" in okr
    assert "Temas que siguen abiertos (1)" in valid(agenda.part("topics"))
    assert "versión 2, acordada el 12/03/2026" in valid(agenda.part("glossary"))


def test_review_prompts_already_asked_link_to_the_prompt():
    link = "https://example.slack.com/archives/C0TEAM/p1"
    okr = valid(monthly_agenda(monthly_facts(language="en"), EN, reviews={7: ReviewState("asked", link)}).part("okr"))
    assert f"<{link}|open it and answer in its thread>" in okr
    assert "being posted" in valid(monthly_agenda(monthly_facts(language="en"), EN, reviews={7: ReviewState("pending")}).part("okr"))
    assert "with the monthly agenda" in valid(monthly_agenda(monthly_facts(language="en"), EN).part("okr"))


def test_the_monthly_agenda_in_english():
    text = whole(monthly_agenda(monthly_facts(language="en"), EN))
    assert "Monthly agenda · Tienda Norte" in text and "March 2026" in text and "Last 12 months: Apr COP150,000,000" in text
    assert "met 2 of 4 periods — 2/4 · 50%" in text and "version 2, agreed on Mar 12, 2026" in text


# The private preview --------------------------------------------------------------------------------------


def test_the_preview_is_one_valid_message_that_names_what_did_not_fit():
    facts = weekly_facts(topics=tuple(topic(n, "tema") for n in range(1, 40)))
    reply = preview_reply(weekly_agenda(facts, ES), ES, post_at=WEEKLY.post_at, channel_id="C0TEAM")
    shown = valid(reply)
    assert "Vista previa, solo para ti" in shown and "lunes 16 mar, 07:00" in shown
    assert len(reply.blocks) <= 50
    monthly = valid(preview_reply(monthly_agenda(monthly_facts(), ES), ES, post_at=MONTHLY.post_at, channel_id="C0TEAM"))
    assert "agenda mensual" in monthly


def test_an_agenda_posted_early_for_a_holiday_says_why_its_numbers_are_a_week_older():
    early = weekly_facts(occurrence=WEEKLY_AFTER_HOLIDAY, reported=W11)
    assert early.reported_early
    parent = valid(weekly_agenda(early, ES).parent)
    assert "Se publica antes por un festivo: la semana 12 de 2026 (16–22 mar) aún no termina" in parent
    assert not weekly_facts().reported_early
