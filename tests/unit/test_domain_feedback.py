"""Feedback themes by words (both languages, accents and case folded), complaints, NPS and CSAT."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import UserError
from domain.feedback import (
    STARTER_THEMES, CountedItem, FeedbackLine, ThemeRule, period_figures, classify, fold_text, is_complaint, parse_feedback_line, summarize_scores, theme_words, typed_score,
)

RULES = [ThemeRule(theme.key, theme.words) for theme in STARTER_THEMES]


@pytest.mark.parametrize(
    ("text", "themes"),
    [
        ("El pedido NO HA LLEGADO y nadie responde en WhatsApp", ["delivery", "response_time"]),
        ("La ENTREGA se demoró 10 días", ["delivery", "response_time"]),
        ("Muy caro el envío para Cali", ["delivery", "price"]),
        ("La camisa llegó rota, mala calidad", ["delivery", "product_quality"]),
        ("Me rechazaron la tarjeta en el checkout", ["checkout"]),
        ("Pedí la devolución hace un mes y no me reembolsan", ["returns"]),
        ("Siempre está agotado lo que busco", ["stock"]),
        ("La asesora fue muy amable", ["attention"]),
        ("Atención pésima", ["attention"]),
        ("The parcel arrived late and the courier was rude", ["delivery", "attention"]),
        ("Too expensive, and my card was declined", ["price", "checkout"]),
        ("I asked for a refund, no reply for a week", ["response_time", "returns"]),
        ("Out of stock again", ["stock"]),
        ("Todo bien, gracias", []),
    ],
)
def test_starter_themes_are_found_by_words(text, themes):
    assert classify(text, RULES) == themes


def test_words_match_word_beginnings_only():
    assert classify("escaramuza", [ThemeRule("price", ("caro",))]) == []  # "caro" inside a word does not count
    assert classify("carísimo", [ThemeRule("price", ("caro",))]) == []
    assert classify("Carísimo", [ThemeRule("price", ("carisim",))]) == ["price"]


def test_theme_words_are_folded_and_deduplicated():
    assert theme_words("Envío, NO ha llegado; courier,envio,  ") == ("envio", "no ha llegado", "courier")
    assert fold_text("¿Dónde está MI pedido?!") == "donde esta mi pedido"


@pytest.mark.parametrize(
    ("text", "score", "complaint"),
    [
        ("Excelente", 3, True),  # the score decides when there is one
        ("No llegó", 9, False),
        ("No llegó nunca", None, True),
        ("Llegó tarde", None, True),
        ("It was late", None, True),
        ("Me encantó", None, False),
        ("Loved it", None, False),
    ],
)
def test_a_complaint_is_a_detractor_or_negative_words(text, score, complaint):
    assert is_complaint(text, score) is complaint


def test_nps_and_csat_on_a_known_sample():
    summary = summarize_scores([10, 9, 9, 8, 7, 3])
    assert (summary.answers, summary.promoters, summary.passives, summary.detractors, summary.satisfied) == (6, 3, 2, 1, 4)
    assert summary.nps == Decimal("33.3")  # (3 - 1) / 6 = 33.33… %
    assert summary.csat == Decimal("66.7")  # 4 of 6 scored 8 or more


def test_nps_rounds_half_away_from_zero_and_spans_the_scale():
    assert summarize_scores([9] + [0, 0] + [7] * 13).nps == Decimal("-6.3")  # (1 - 2) / 16 = -6.25 %
    assert summarize_scores([10, 10]).nps == Decimal("100.0")
    assert summarize_scores([0, 6]).nps == Decimal("-100.0")
    assert summarize_scores([7, 8]).nps == Decimal("0.0")
    empty = summarize_scores([])
    assert (empty.answers, empty.nps, empty.csat) == (0, None, None)


def test_a_score_outside_the_scale_is_refused():
    with pytest.raises(ValueError):
        summarize_scores([11])


@pytest.mark.parametrize(("typed", "score"), [("8", 8), ("10/10", 10), ("0", 0), ("11", None), ("-1", None), ("7.5", None), ("x", None), ("²", None), ("0" * 5000, None)])
def test_typed_scores(typed, score):
    assert typed_score(typed) == score


@pytest.mark.parametrize(
    ("line", "text", "source", "score"),
    [
        ("El pedido llegó tarde fuente whatsapp nota 4", "El pedido llegó tarde", "whatsapp", 4),
        ("El pedido llegó tarde nota 4 fuente Reseña", "El pedido llegó tarde", "review", 4),
        ("Too expensive source survey score 10", "Too expensive", "survey", 10),
        ("Sin opciones", "Sin opciones", "slack", None),
        ("la fuente de soda está rota", "la fuente de soda está rota", "slack", None),
        ("nota 7", "", "slack", 7),
    ],
)
def test_the_one_line_grammar(line, text, source, score):
    assert parse_feedback_line(line) == FeedbackLine(text, source, score)


@pytest.mark.parametrize(("line", "message_id"), [("Lento nota 11", "feedback.score_invalid"), ("Lento nota diez", "feedback.score_invalid"),
                                                   ("Lento fuente twitter", "feedback.source_invalid")])
def test_the_one_line_grammar_refuses_bad_options(line, message_id):
    with pytest.raises(UserError) as refused:
        parse_feedback_line(line)
    assert refused.value.message_id == message_id


def test_a_periods_figures_count_complaints_per_theme():
    found = period_figures([
        CountedItem("Llegó tarde", None, ("delivery",)), CountedItem("Excelente", 10, ("delivery", "attention")),
        CountedItem("Caro y lento", 4, ("price", "delivery")), CountedItem("Sin tema", None, ()),
    ])
    assert (found.items, found.complaints, found.scores.answers, found.scores.nps) == (4, 2, 2, Decimal("0.0"))
    assert found.complaints_by_theme == {"delivery": 2, "price": 1}
    assert found.mentions_by_theme == {"delivery": 3, "attention": 1, "price": 1}
