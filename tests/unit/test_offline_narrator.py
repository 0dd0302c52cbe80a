"""The offline narrator (services/offline_narrator.py): 3–5 sentences and 1–3 hypotheses from the
facts, in Spanish and English, every number grounded, every cited fact existing, deterministic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from domain.deltas import change_of
from domain.grounding import check_hypotheses, check_sentences, numbers_in
from domain.kpis import Direction, KpiSpec, Unit, template
from domain.narrative import Fact, FactKind, Narrator, Source
from domain.periods import Period
from services.agenda_facts import KpiFact
from services.i18n import t
from services.narrative_facts import kpi_change_fact
from services.narrative_placeholders import Placeholders
from services.offline_narrator import OfflineNarrator

WEEK = Period.week_of(date(2026, 3, 9))  # 2026-W11
MONTH = Period.month_of(date(2026, 2, 1))
TEAMS = [("es", "CO"), ("en", "CO"), ("en", "US"), ("es", None)]


def kpi(key, *values, target=None, role=None, flags=(), spec=None, language="es", last=WEEK, source="okr"):
    """A KPI_CHANGE fact built the way services.narrative_facts builds it, from the domain's Change."""
    spec = spec or template(key)
    periods = [last]
    while len(periods) < len(values):
        periods.insert(0, periods[0].previous())
    points = [(period, None if value is None else D(str(value))) for period, value in zip(periods, values)]
    change = change_of(key, spec.unit, spec.direction, points, target=None if target is None else D(str(target)))
    fact = KpiFact(key, spec.name(language), spec, role, change, source if target is not None else None, tuple(points), ())
    return kpi_change_fact(fact, language=language, flags=flags)


def sla(label, name, value, target, state, unit="h", comparator="at_most", kpi_key="followup_hours"):
    gap = (D(str(value)) - D(str(target))) if comparator == "at_most" else (D(str(target)) - D(str(value)))
    return Fact(f"sla.{label}.2026-W11", FactKind.SLA, f"{label} · {name}", {"value": D(str(value)), "target": D(str(target)), "gap": gap,
                "attained": D(7), "evaluated": D(8)}, unit, {"state": state, "comparator": comparator, "kpi": kpi_key, "period": "2026-W11"})  # fmt: skip


def breach(label, sla_label, name, value, target, *, status="open", reason=None, unit="h", comparator="at_most", kpi_key="followup_hours"):
    gap = (D(str(value)) - D(str(target))) if comparator == "at_most" else (D(str(target)) - D(str(value)))
    detail = {"sla": sla_label, "kpi": kpi_key, "period": "2026-W11", "status": status, "step": "posted", "comparator": comparator}
    if reason:
        detail["reason"] = reason
    return Fact(f"breach.{label}", FactKind.BREACH, f"{label} · {sla_label} · {name}", {"value": D(str(value)), "target": D(str(target)), "gap": gap}, unit, detail)


def sla_summary(commitments, met, breached, no_data, open_breaches):
    numbers = {"commitments": commitments, "met": met, "breached": breached, "no_data": no_data, "at_risk": 0, "open_breaches": open_breaches, "unacknowledged": open_breaches}
    return Fact("sla.summary.2026-W11", FactKind.SLA, "Estado de los SLA", {k: D(v) for k, v in numbers.items()}, None, {"summary": "yes"})


def kr(label, name, progress, expected, status, kpi_key=None):
    detail = {"status": status, "objective": "O1"} | ({"kpi": kpi_key} if kpi_key else {})
    return Fact(f"kr.{label}", FactKind.KEY_RESULT, f"{label} · {name}", {"progress": D(str(progress)), "expected": D(str(expected))}, "%", detail)


def kr_summary(*facts):
    counts = {status: sum(f.detail["status"] == status for f in facts) for status in ("on_track", "at_risk", "off_track")}
    numbers = {"total": D(len(facts))} | {status: D(count) for status, count in counts.items()}
    return Fact("kr.summary", FactKind.KEY_RESULT, "Resultados clave", numbers, None, {"summary": "yes"})


def experiment(result, moved=None):
    detail = {"result": result, "week": "2026-W11"}
    numbers, unit, subject = {}, None, "Experimento"
    if moved is not None:
        numbers = {name: moved.numbers[name] for name in ("value", "previous", "difference", "percent") if name in moved.numbers}
        unit, subject = moved.unit, moved.subject
        detail |= {"kpi": moved.detail["kpi"], "kpi_fact": moved.id, "direction": moved.detail["direction"]}
    return Fact("experiment.2026-W11", FactKind.EXPERIMENT, subject, numbers, unit, detail)


# --- fact sets ------------------------------------------------------------------------------------

SALES = kpi("sales_cop", 50434000, 40727000, 49290000, 41440000, target="46083333.333333", role="primary")
CONVERSION = kpi("conversion_web", "1.411844", "1.20146", "1.267841", "1.198575", role="support", flags=("experiment",))
TICKET = kpi("avg_deal", "150668.428571", "153192.714286", "139149.285714", role="support")
FOLLOWUP = kpi("followup_hours", "19.914286", "15.6", "18.685714", "31.142857", target=24, source="sla")
MQL = kpi("leads_mql", 129, 128, 127, 140, target=120, source="sla")
CLOSE_RATE = kpi("whatsapp_close_rate", "26.1", "25.228571", "24.514286", target="25.244444", flags=("bottleneck",))
KRS = (kr("KR1", "Recompra a 60 días", "51.666667", "41.111111", "on_track", "repurchase_60d"),
       kr("KR2", "clientes en el programa de referidos", "46.666667", "41.111111", "at_risk"),
       kr("KR3", "Tasa de cierre en WhatsApp", "31.428575", "41.111111", "at_risk", "whatsapp_close_rate"),
       kr("KR4", "Ventas", "9.6", "41.111111", "off_track", "sales_cop"))  # fmt: skip

FULL = [
    SALES, TICKET, CONVERSION, FOLLOWUP, MQL, CLOSE_RATE,
    sla("SLA1", "Tiempo de seguimiento a leads", "31.142857", 24, "breached"),
    sla("SLA2", "Leads calificados por mercadeo (MQL)", 140, 120, "met", unit=None, comparator="at_least", kpi_key="leads_mql"),
    breach("B1", "SLA1", "Tiempo de seguimiento a leads", "31.142857", 24),
    sla_summary(2, 1, 1, 0, 1),
    experiment("refuted", CONVERSION),
    *KRS, kr_summary(*KRS),
]  # fmt: skip
CONVERSION_TRAFFIC = [
    kpi("sales_cop", 45000000, 43000000, role="primary"),
    kpi("sessions", 20000, 22400),
    kpi("conversion_web", "1.45", "1.33"),
]
ABANDONMENT = [kpi("cart_abandonment", "72.1", "77.3"), kpi("orders", 318, 296)]
TRACKING = [
    kpi("sales_cop", 41000000, 43000000, target=40000000, role="primary"),
    sla("SLA1", "Tiempo de seguimiento a leads", "30.5", 24, "breached"),
    breach("B1", "SLA1", "Tiempo de seguimiento a leads", "30.5", 24, status="acknowledged", reason="tracking"),
    breach("B2", "SLA2", "Leads calificados por mercadeo (MQL)", 100, 120, status="acknowledged", reason="staffing", unit=None,
           comparator="at_least", kpi_key="leads_mql"),
    sla_summary(2, 0, 2, 0, 2),
]  # fmt: skip
ONLY_KR = [kr("KR1", "clientes en el programa de referidos", 10, "41.111111", "off_track"), kr_summary(kr("KR1", "x", 10, 41, "off_track"))]
IMPROVED = [
    kpi("sales_cop", 41000000, 47000000, target=45000000, role="primary"),
    kpi("sessions", 20000, 21800),
    sla("SLA1", "Tiempo de seguimiento a leads", 18, 24, "met"),
    sla_summary(1, 1, 0, 0, 0),
    experiment("confirmed", kpi("sessions", 20000, 21800)),
]
NO_PREVIOUS = [kpi("sales_cop", 41000000, role="primary"), experiment("pending")]
MONTHLY = [kpi("sales_cop", 180000000, 170000000, target=175000000, role="primary", last=MONTH),
           kpi("repurchase_60d", "20.3", "21.1", last=MONTH, flags=("bottleneck",)),
           kpi("avg_deal", 147000, 139000, last=MONTH)]  # fmt: skip
SIXTY_DAYS = [kpi("repurchase_60d", "20.3", "21.1", target=24, role="primary"), kpi("sessions", 20000, 21800)]
NEGATIVE = [kpi("gross_margin", "2.5", "-5.5", role="primary")]  # selling at a loss
HOSTILE_SPEC = KpiSpec("custom", "<!channel> *Ventas* en www.evil.com", "<!channel> *Sales* at www.evil.com", Unit.CURRENCY, Direction.HIGHER)
HOSTILE = [kpi("custom", 100000, 90000, role="primary", spec=HOSTILE_SPEC)]

def whatif(sessions, orders, ticket, points="0.2", name="Tasa de conversión web"):
    """The week's what-if as services.narrative_facts builds it: its figures as logged, the worth
    worked out here (sessions × points % × ticket)."""
    sessions, orders, ticket, points = D(str(sessions)), D(str(orders)), D(str(ticket)), D(points)
    numbers = {"worth": sessions * points / 100 * ticket, "points": points, "sessions": sessions, "conversion": orders * 100 / sessions,
               "ticket": ticket}  # fmt: skip
    detail = {"kpi": "conversion_web", "lever": "conversion", "period": "2026-W11", "period_kind": "week"}
    return Fact("whatif.conversion.2026-W11", FactKind.WHAT_IF, name, numbers, "COP", detail)


WHATIF = whatif(27500, 330, "125573.5")  # 1,2 % of 27 500 sessions; +0,2 pp = 55 more orders × $125 573,5 = $6 906 542,5
WHATIF_FULL = [*FULL, WHATIF]

SETS = {
    "full": FULL, "whatif": [SALES, WHATIF], "whatif_full": WHATIF_FULL, "conversion_traffic": CONVERSION_TRAFFIC, "abandonment": ABANDONMENT, "tracking": TRACKING, "only_kr": ONLY_KR,
    "improved": IMPROVED, "no_previous": NO_PREVIOUS, "monthly": MONTHLY, "sixty_days": SIXTY_DAYS, "hostile": HOSTILE,
    "negative": NEGATIVE,
}  # fmt: skip


def narrate(facts, language="es", country="CO"):
    return OfflineNarrator().narrate(facts, language=language, country=country)


# --- every narrative is grounded ------------------------------------------------------------------


@pytest.mark.parametrize("language, country", TEAMS)
@pytest.mark.parametrize("name", sorted(SETS))
def test_the_offline_narrative_passes_its_own_grounding_check(name, language, country):
    facts = SETS[name]
    narrative = narrate(facts, language, country)
    assert narrative.source is Source.OFFLINE and narrative.model is None and narrative.dropped == 0
    assert check_sentences(list(narrative.summary), facts, language=language, country=country) == (list(narrative.summary), 0)
    assert check_hypotheses(list(narrative.hypotheses), facts, language=language, country=country) == (list(narrative.hypotheses), 0)
    ids = {fact.id for fact in facts}
    assert all(hypothesis.fact_ids and set(hypothesis.fact_ids) <= ids for hypothesis in narrative.hypotheses)
    assert 1 <= len(narrative.summary) <= 5 and len(narrative.hypotheses) <= 3


@pytest.mark.parametrize("language, country", TEAMS)
@pytest.mark.parametrize(
    "name, sentences, hypotheses",
    [("full", 5, 3), ("improved", 4, 1), ("tracking", 2, 1), ("conversion_traffic", 2, 1), ("monthly", 2, 1), ("only_kr", 1, 1)],
)
def test_a_sentence_for_each_kind_of_fact_there_is(name, sentences, hypotheses, language, country):
    """Primary KPI, changes, SLA, experiment, key results: enough facts make 3–5 sentences."""
    narrative = narrate(SETS[name], language, country)
    assert (len(narrative.summary), len(narrative.hypotheses)) == (sentences, hypotheses)


def test_it_is_a_narrator_and_deterministic():
    narrator: Narrator = OfflineNarrator()
    assert narrator.narrate(FULL, language="es", country="CO") == narrator.narrate(list(FULL), language="es", country="CO")


# --- what it says ---------------------------------------------------------------------------------

FULL_ES = (
    "Ventas cerró la semana en $41.440.000, frente a $49.290.000 la semana anterior (−$7.850.000, −15,9\u00a0%), "
    "y quedó a $4.643.333 de la meta de $46.083.333.",
    "Lo que más se movió: Tiempo de seguimiento a leads +12,46\u00a0h, +66,7\u00a0% (peor); "
    "Leads calificados por mercadeo (MQL) +13, +10,2\u00a0% (mejor); Ticket promedio por oportunidad −$14.043, −9,2\u00a0% (peor).",
    "Hay un incumplimiento de SLA abierto: B1 (SLA1), Tiempo de seguimiento a leads, con 31,14\u00a0h frente al compromiso de "
    "24\u00a0h (7,14\u00a0h por fuera), todavía sin reconocer.",
    "El último experimento, sobre Tasa de conversión web, quedó refutado: la métrica pasó de 1,27\u00a0% a 1,2\u00a0% "
    "(−0,07 pp, −5,5\u00a0%).",
    "De 4 resultados clave, 1 va en camino, 2 están en riesgo y 1 está atrasado; el más rezagado es KR4 (Ventas), con "
    "10\u00a0% de avance frente a 41\u00a0% esperado.",
)


def test_the_full_week_in_spanish():
    narrative = narrate(FULL)
    assert narrative.summary == FULL_ES
    assert [(h.metric, h.fact_ids) for h in narrative.hypotheses] == [
        ("conversion_web", ("kpi.conversion_web.2026-W11", "kpi.leads_mql.2026-W11")),  # conversion fell while MQLs rose
        ("followup_hours", ("breach.B1", "kpi.followup_hours.2026-W11")),
        ("sales_cop", ("kr.KR4",)),
    ]
    assert narrative.hypotheses[1].experiment.startswith("Asignar un turno fijo de respuesta por WhatsApp")


def test_the_full_week_in_english_for_a_us_team():
    narrative = narrate(FULL, "en", "US")
    assert narrative.summary[0] == (
        "Ventas closed the week at COP41,440,000, against COP49,290,000 the week before (−COP7,850,000, −15.9%), "
        "COP4,643,333 away from its COP46,083,333 target."  # pesos in a US locale carry their code
    )
    assert narrative.summary[2].startswith("One SLA breach is open: B1 (SLA1)") and "31.14\u00a0h" in narrative.summary[2]
    assert narrative.summary[4].startswith("Of 4 key results, 1 is on track, 2 are at risk and 1 is off track")
    assert "checkout" in narrative.hypotheses[0].text and narrative.hypotheses[0].experiment.startswith("Simplify checkout")


def test_an_english_team_in_colombia_writes_colombian_numbers():
    assert "$41.440.000" in narrate(FULL, "en", "CO").summary[0]


@pytest.mark.parametrize(
    "name, language, expected",
    [
        ("conversion_traffic", "es", [("conversion_web", ("kpi.conversion_web.2026-W11", "kpi.sessions.2026-W11"))]),
        ("abandonment", "es", [("cart_abandonment", ("kpi.cart_abandonment.2026-W11",))]),
        ("tracking", "es", [("followup_hours", ("breach.B1",))]),  # the largest breach, relative to its promise
        ("only_kr", "en", [("KR1", ("kr.KR1",))]),  # a KR without a KPI: its label is the metric
        ("improved", "en", [("sales_cop", ("kpi.sales_cop.2026-W11",))]),  # nothing wrong: repeat the largest improvement
        ("monthly", "es", [("repurchase_60d", ("kpi.repurchase_60d.2026-02",))]),  # the month's bottleneck: retention
        ("no_previous", "es", []),  # nothing moved: nothing to explain
    ],
)
def test_hypotheses_by_rule(name, language, expected):
    assert [(h.metric, h.fact_ids) for h in narrate(SETS[name], language).hypotheses] == expected


def test_a_breach_reported_as_tracking_asks_to_check_the_data_first():
    narrative = narrate(TRACKING)
    assert "problema de medición" in narrative.summary[1] and "Hay 2 incumplimientos de SLA abiertos" in narrative.summary[1]
    assert narrative.hypotheses[0].experiment.startswith("Auditar una muestra")


@pytest.mark.parametrize(
    "name, language, expected",
    [
        ("no_previous", "es", ("Ventas cerró la semana en $41.000.000; todavía no hay un periodo anterior con qué compararlo.",
                               "El último experimento quedó pendiente de evaluar.")),
        ("only_kr", "en", ("The only key result, KR1 (clientes en el programa de referidos), is at 10% against 41% expected and is off track.",)),
        ("improved", "es", ("Ventas cerró la semana en $47.000.000, frente a $41.000.000 la semana anterior (+$6.000.000, +14,6\u00a0%), "
                            "y cumplió la meta de $45.000.000.",
                            "Lo que más se movió: Sesiones +1.800, +9\u00a0% (mejor).",
                            "El SLA acordado cumplió su último periodo.",
                            "El último experimento, sobre Sesiones, quedó confirmado: la métrica pasó de 20.000 a 21.800 (+1.800, +9\u00a0%).")),
        ("monthly", "en", ("Ventas closed the month at $170.000.000, against $180.000.000 the month before (−$10.000.000, −5,6%), "
                           "$5.000.000 away from its $175.000.000 target.",
                           "The biggest moves: Ticket promedio por oportunidad −$8.000, −5,4% (worse).")),
    ],
)
def test_sentences_for_smaller_fact_sets(name, language, expected):
    assert narrate(SETS[name], language).summary == expected


@pytest.mark.parametrize("language, country", TEAMS)
def test_with_no_facts_there_is_nothing_to_compare_yet(language, country):
    narrative = narrate([], language, country)
    assert narrative.summary == (t(language, "narrative.offline.nothing"),) and narrative.hypotheses == ()
    assert not numbers_in(narrative.summary[0], language=language, country=country)


def test_digits_in_a_kpi_name_are_not_numbers_to_ground():
    narrative = narrate(SIXTY_DAYS)
    assert narrative.summary[0].startswith("Recompra a 60 días cerró la semana en 21,1\u00a0%") and narrative.dropped == 0


def test_a_negative_value_keeps_its_sign():
    assert narrate(NEGATIVE).summary[0].startswith("Margen bruto cerró la semana en -5,5\u00a0%, frente a 2,5\u00a0% la semana anterior (−8 pp")


def test_people_words_are_escaped_for_slack():
    [sentence] = narrate(HOSTILE).summary
    assert sentence.startswith("&lt;!channel&gt; \u2217Ventas\u2217 en www[.]evil[.]com cerró la semana en $90.000")
    assert "<" not in sentence and "*" not in sentence


# --- the what-if ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language, country, said", [
    ("es", "CO", "Con el tráfico (27.500 sesiones) y el ticket ($125.574) de la semana, 0,2 pp más de Tasa de conversión web "
                 "(cerró en 1,2\u00a0%) habrían sido $6.906.543 más en ventas."),
    ("en", "US", "At the week's traffic (27,500 sessions) and ticket (COP125,574), 0.2 pp more of Tasa de conversión web "
                 "(it closed at 1.2%) would have been COP6,906,543 more in sales."),
])  # fmt: skip
def test_the_what_if_in_the_teams_words_and_numbers(language, country, said):
    assert WHATIF.numbers["worth"] == D("6906542.5")  # pesos show no decimals: half up to $6.906.543
    narrative = narrate([SALES, WHATIF], language, country)
    assert narrative.summary[-1] == said


def test_five_sentences_at_most_the_experiment_gives_way_to_the_what_if():
    """The agenda's experiment part reports the experiment in full; the what-if is said nowhere else."""
    full, with_whatif = narrate(FULL), narrate(WHATIF_FULL)
    assert len(with_whatif.summary) == 5
    assert with_whatif.summary == (*FULL_ES[:3], narrate([WHATIF]).summary[0], FULL_ES[4])
    assert full.summary == FULL_ES  # without the what-if, nothing changes
    assert with_whatif.hypotheses == full.hypotheses  # hypotheses still rest on the experiment


def test_the_llm_fills_the_what_if_placeholders_as_the_offline_narrator_writes_them():
    places = Placeholders([WHATIF], language="es", country="CO")
    filled = places.fill("Subir {F1.points} valdría {F1.worth} con {F1.sessions} sesiones, ticket {F1.ticket} y conversión {F1.conversion}.")
    assert filled.text == "Subir 0,2 pp valdría $6.906.543 con 27.500 sesiones, ticket $125.574 y conversión 1,2\u00a0%."
    assert places.metric("{F1}").text == "conversion_web"  # a hypothesis on it can be adopted as the week's experiment
