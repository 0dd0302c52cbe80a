import pytest

from domain.commands import closest, fold, split_command
from domain.slack_text import channel_id_of, decode_entities, user_id_of, user_ids_in


@pytest.mark.parametrize(
    "sent, typed",
    [
        ("followup_hours &lt;= 24", "followup_hours <= 24"),
        ("ventas &amp; mercadeo", "ventas & mercadeo"),
        ("&amp;lt; stays as typed", "&lt; stays as typed"),
        ("no entities", "no entities"),
    ],
)
def test_entities_are_decoded_exactly_once(sent, typed):
    assert decode_entities(sent) == typed


@pytest.mark.parametrize(
    "token, user_id",
    [("<@U123ABC|ana>", "U123ABC"), ("<@U123ABC>", "U123ABC"), ("<@W0ENT|luis.p>", "W0ENT"), ("@ana", None), ("U123", None)],
)
def test_one_mention_in_either_form(token, user_id):
    assert user_id_of(token) == user_id


def test_mentions_in_text_keep_order_without_repeats():
    assert user_ids_in("marketing <@U1|ana> <@U2> sales <@U1|ana>") == ["U1", "U2"]


def test_channel_mention():
    assert channel_id_of("<#C0TEAM|ventas>") == "C0TEAM"
    assert channel_id_of("#ventas") is None


@pytest.mark.parametrize(
    "text, word, rest",
    [("", "", ""), ("   ", "", ""), ("AYUDA", "ayuda", ""), ("kpi log leads 120", "kpi", "log leads 120"), ("Glosário MQL", "glosario", "MQL")],
)
def test_split_command_folds_case_and_accents(text, word, rest):
    parsed = split_command(text)
    assert (parsed.word, parsed.rest) == (word, rest)


def test_closest_suggests_only_near_words():
    words = ["help", "ayuda", "glossary", "glosario"]
    assert closest("ayuad", words) == "ayuda"
    assert closest("glosary", words) == "glossary"
    assert closest("xyzzy", words) is None
    assert fold("CONVERSIÓN") == "conversion"
