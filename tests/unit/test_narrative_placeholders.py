"""Numbers placed by Alinea: a model's placeholders filled with the facts' numbers the team's
way; a text with a number the model typed itself, or a placeholder that names no fact, refused;
and `ground`, which says why each dropped sentence went."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.narrative import Fact, FactKind, Hypothesis
from services.llm_answer import Draft, ground
from services.narrative_placeholders import TYPED_NUMBER, UNKNOWN_PLACEHOLDER, FilledText, Placeholders

FACTS = (
    Fact("kpi.sales_cop.2026-W11", FactKind.KPI_CHANGE, "Ventas",
         {"value": Decimal("41440000"), "previous": Decimal("45000000"), "difference": Decimal("-3560000"),
          "percent": Decimal("-7.911111")}, "COP", {"direction": "worse", "kpi": "sales_cop"}),
    Fact("kpi.conversion_web.2026-W11", FactKind.KPI_CHANGE, "Conversión web",
         {"value": Decimal("1.24"), "difference": Decimal("-0.07"), "percent": Decimal("-5.343511")}, "%", {"kpi": "conversion_web"}),
    Fact("kr.KR3", FactKind.KEY_RESULT, "KR3 · Recompra a 60 días", {"progress": Decimal("25.4"), "expected": Decimal("40")}, "%",
         {"status": "at_risk", "kpi": "repurchase_60d"}),
    Fact("sla.summary.2026-W11", FactKind.SLA, "Estado de los SLA", {"commitments": Decimal(2), "met": Decimal(1)}, None, {"summary": "yes"}),
)  # fmt: skip


@pytest.fixture
def places() -> Placeholders:
    return Placeholders(FACTS, language="es", country="CO", names={"valor": "value", "cambio": "percent"})


@pytest.mark.parametrize(
    "written, filled",
    [
        ("{F1} bajó a {F1.value}, {F1.percent} menos.", "Ventas bajó a $41.440.000, 7,9\xa0% menos."),
        ("La diferencia fue de {F1.difference}.", "La diferencia fue de $3.560.000."),  # no sign: the prose says which way
        ("La conversión quedó en {F2.value} %, {F2.difference} menos.", "La conversión quedó en 1,24\xa0%, 0,07 pp menos."),
        ("Las ventas fueron ${F1.value} COP.", "Las ventas fueron $41.440.000 COP."),  # the model's $ goes; COP is not the fill's unit
        ("{F3} va en {F3.progress} de {F3.expected} esperado.", "KR3 · Recompra a 60 días va en 25\xa0% de 40\xa0% esperado."),
        ("Se cumplieron {F4.met} de {F4.commitments} compromisos.", "Se cumplieron 1 de 2 compromisos."),
        ("Ventas: { kpi.sales_cop.2026-W11.value }.", "Ventas: $41.440.000."),  # the full id works too
        ("KR3 y kpi.sales_cop.2026-W11 siguen así.", "KR3 y kpi.sales_cop.2026-W11 siguen así."),  # names are not numbers
        ("F1 bajó a F1.value.", "Ventas bajó a $41.440.000."),  # aliases without braces, a small model's habit
        ("Las ventas quedaron en {F1.valor}.", "Las ventas quedaron en $41.440.000."),  # the prompt's word for the number
    ],
)
def test_placeholders_are_filled_with_the_facts_numbers_the_teams_way(places, written, filled):
    assert places.fill(written) == FilledText(filled)


@pytest.mark.parametrize(
    "written, reason, typed",
    [
        ("Las ventas fueron 41.440.000.", TYPED_NUMBER, 1),  # right, but typed: numbers come from the facts only
        ("Las ventas subieron {F1.percent}, unos 3 puntos.", TYPED_NUMBER, 1),
        ("En 2 semanas veremos si KR9 mejora.", TYPED_NUMBER, 2),  # a time count and a label no fact uses
        ("Las ventas quedaron en {F9.value}.", UNKNOWN_PLACEHOLDER, 0),
        ("La meta de ventas es {F1.target}.", UNKNOWN_PLACEHOLDER, 0),  # F1 has no target
        ("El total fue {total}.", UNKNOWN_PLACEHOLDER, 0),
        ("La meta era {F1.meta}.", UNKNOWN_PLACEHOLDER, 0),  # a word the prompt did not give
        ("F9 bajó.", TYPED_NUMBER, 1),  # not an alias of ours: its digit is typed
    ],
)
def test_a_typed_number_or_a_placeholder_naming_no_fact_refuses_the_text(places, written, reason, typed):
    assert places.fill(written) == FilledText(None, reason, typed)


def test_a_metric_named_by_alias_is_its_kpis_key_and_cited_aliases_are_the_facts_ids(places):
    assert places.metric("F2").text == "conversion_web" and places.metric("{F3}").text == "repurchase_60d"
    assert places.metric("F4").text == "Estado de los SLA"  # no KPI: its name
    assert places.metric("la conversión web").text == "la conversión web"
    assert places.fact_ids(["F1", "kr.KR3", "F99"]) == ("kpi.sales_cop.2026-W11", "kr.KR3", "F99")


def test_ground_keeps_filled_sentences_and_says_why_each_other_went():
    draft = Draft(
        summary=(
            "{F1} bajó a {F1.value}. Las ventas fueron 41.440.000.",
            "La conversión quedó en {F2.target}.",
            "Miren https://example.com para {F1.value}.",
            "{F2} quedó en {F2.value}.",
            "Fernando Almaraz: el tamaño de la caché y el tiempo que encierra esta semana.",  # SmolLM2's, verbatim in kind
            "La recompra a 60 días va atrasada.",  # names a fact by its name, no number: fine
        ),
        hypotheses=(
            Hypothesis("{F2} explica la caída.", ("F2", "F1"), "Quitar un paso del pago.", "F2"),
            Hypothesis("Algo nuevo.", ("F99",), "Probar algo.", "F1"),
            Hypothesis("Subirá 5 puntos.", ("F1",), "Probar algo.", "F1"),
        ),
        unusable=1,
    )
    grounded = ground(draft, FACTS, language="es", country="CO")
    assert grounded.summary == ("Ventas bajó a $41.440.000.", "Conversión web quedó en 1,24\xa0%.", "La recompra a 60 días va atrasada.")
    assert grounded.hypotheses == (
        Hypothesis("Conversión web explica la caída.", ("kpi.conversion_web.2026-W11", "kpi.sales_cop.2026-W11"),
                   "Quitar un paso del pago.", "conversion_web"),
    )  # fmt: skip
    reasons = [dropped.reason for dropped in grounded.dropped]
    assert sorted(reasons) == sorted(["hypothesis", TYPED_NUMBER, UNKNOWN_PLACEHOLDER, "link", "no_fact", "hypothesis", TYPED_NUMBER])
    assert grounded.typed == 2  # "41.440.000" and "5"


def test_a_copy_of_the_prompts_example_or_a_bare_number_is_dropped():
    """SmolLM2-135M copied the example's "Las ventas bajaron a {F1.value}…" in a week when sales
    rose, and "La conversión web mejoró a {F2.value}" when F2 was another KPI: real numbers under
    false words. It also wrote a placeholder alone. Neither reaches Slack; a sentence of its own
    about the same facts does."""
    draft = Draft(
        summary=(
            "Las ventas bajaron a {F1.value}, un cambio de {F1.percent} frente a {F1.previous}.",
            "la conversión web  mejoró a {F2.value}",
            "Las ventas bajaron a {F2.value}, un cambio de F1.value frente a {F1}.",  # other placeholders, same false words
            "Web conversion improved to {F2.value}.",
            "{F2.value}.",
            "{F1} quedó en {F1.value}.",
        ),
        hypotheses=(
            Hypothesis("La mejor conversión web aún no compensa la caída de las ventas.", ("F1", "F2"), "Ofrecer envío gratis.", "F1"),
            Hypothesis("{F2} explica la caída.", ("F2",), "Quitar un paso del pago.", "F2"),
        ),
    )
    grounded = ground(draft, FACTS, language="es", country="CO")
    assert grounded.summary == ("Ventas quedó en $41.440.000.",)
    assert [h.text for h in grounded.hypotheses] == ["Conversión web explica la caída."]
    assert sorted(d.reason for d in grounded.dropped) == ["example", "example", "example", "example", "example", "fragment"]


def test_a_sentence_like_the_grammars_example_is_kept_only_where_it_is_true_of_this_weeks_fact():
    """The grammar's example says F1 worsened and F2 improved. This week's F1 did worsen, so the
    same sentence is one of F1's true sentences and stays; F2's state is unknown, so "F2
    improved" is the example's, not this week's, and goes. The same sentence twice is told once."""
    draft = Draft(
        summary=(
            "{F1} empeoró y pasó de {F1.previous} a {F1.value}.",
            "{F2} mejoró y quedó en {F2.value}.",
            "{F1} empeoró y pasó de {F1.previous} a {F1.value}.",
            "{F3} está en riesgo.",
        ),
        hypotheses=(),
    )
    grounded = ground(draft, FACTS, language="es", country="CO")
    assert grounded.summary == ("Ventas empeoró y pasó de $45.000.000 a $41.440.000.", "KR3 · Recompra a 60 días está en riesgo.")
    assert [(d.text, d.reason) for d in grounded.dropped] == [
        ("{F2} mejoró y quedó en {F2.value}.", "example"),
        ("{F1} empeoró y pasó de {F1.previous} a {F1.value}.", "repeated"),
    ]


def test_a_hypothesis_nearly_the_examples_or_with_its_experiment_is_dropped():
    """At a low temperature SmolLM2-135M changed a word of the example's hypothesis ("La mejora
    de la conversión web…", in a week web conversion fell) and kept its experiment word for
    word; both are the example's, not the model's reading of the week. Its own hypothesis stays."""
    own = Hypothesis("{F2} explica la caída.", ("F2",), "Quitar un paso del pago.", "F2")
    draft = Draft(
        summary=("{F1} quedó en {F1.value}.",),
        hypotheses=(
            Hypothesis("La mejora de la conversión web aún no compensa la caída de las ventas.", ("F1", "F2"), "Quitar un paso.", "F1"),
            Hypothesis("{F2} explica la caída.", ("F2",), "Ofrecer envío gratis en los pedidos web esta semana.", "F2"),
            own,
        ),
    )
    grounded = ground(draft, FACTS, language="es", country="CO")
    assert [h.experiment for h in grounded.hypotheses] == ["Quitar un paso del pago."]
    assert [d.reason for d in grounded.dropped] == ["example", "example"]
