from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import UserError
from domain.glossary import (
    MAX_ALIASES,
    MAX_DEFINITION_LENGTH,
    MAX_FIELD_LENGTH,
    MAX_TERM_LENGTH,
    Approval,
    FieldChange,
    Side,
    TermDraft,
    TermRef,
    alias_conflicts,
    changes_between,
    closest_terms,
    is_agreed,
    is_duplicate,
    match_term,
    missing_sides,
    parse_define,
    parse_glossary_args,
    parse_side,
    split_aliases,
    term_key,
    validate_draft,
)


def expect_error(message_id, params, call, *args):
    """`call(*args)` raises the UserError `message_id` with exactly `params`."""
    with pytest.raises(UserError) as info:
        call(*args)
    assert (info.value.message_id, info.value.params) == (message_id, params)


# --- sides -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word, side",
    [
        ("marketing", Side.MARKETING),
        ("Mercadeo", Side.MARKETING),
        ("MKT", Side.MARKETING),
        ("sales", Side.SALES),
        (" Ventas ", Side.SALES),
        ("both", Side.BOTH),
        ("ambos", Side.BOTH),
        ("AMBAS", Side.BOTH),
    ],
)
def test_parse_side(word, side):
    assert parse_side(word) == side


@pytest.mark.parametrize("word", ["", "finanzas", "market"])
def test_parse_side_rejects_other_words(word):
    expect_error("glossary.unknown_side", {"word": word.strip()}, parse_side, word)


def test_side_is_a_string_enum():
    assert Side.SALES == "sales" and Side("both") is Side.BOTH


# --- term_key ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("Conversión", "CONVERSION"),
        ("Conversión", " conversion "),
        ("lead   calificado", "Lead Calificado"),
        ('"lead calificado"', "lead calificado"),
        ("“venta atribuible”", "venta atribuible"),
        ("*MQL*", "mql"),
        ("MQL.", "MQL"),
        ("¿SQL?", "sql"),
        ("ＭＱＬ", "MQL"),
    ],
)
def test_term_key_matches_spellings_of_one_term(a, b):
    assert term_key(a) == term_key(b)


@pytest.mark.parametrize("a, b", [("MQL", "SQL"), ("lead", "lead calificado"), ("CAC (%)", "CAC")])
def test_term_key_keeps_different_terms_apart(a, b):
    assert term_key(a) != term_key(b)


@pytest.mark.parametrize("name, key", [(" Conversión  Rate ", "conversion rate"), ("'SQL'", "sql"), ("...", "")])
def test_term_key_value(name, key):
    assert term_key(name) == key


@given(st.text())
def test_term_key_is_idempotent(name):
    assert term_key(term_key(name)) == term_key(name)


ACCENTED = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "n": "ñ"}


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 ", max_size=30))
def test_term_key_ignores_case_and_accents(name):
    accented = "".join(ACCENTED.get(ch, ch) for ch in name)
    assert term_key(name.upper()) == term_key(name) == term_key(accented) == term_key(accented.upper())


@given(st.text(alphabet="abc xyz\t\n", max_size=30))
def test_term_key_collapses_whitespace(name):
    assert "  " not in term_key(name)
    assert term_key(name) == term_key(name).strip()


# --- parse_define ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", ("", "")),
        ("   ", ("", "")),
        ("MQL: Lead que pidió demo", ("MQL", "Lead que pidió demo")),
        ("  Lead Calificado :  Lead que cumple  ", ("Lead Calificado", "Lead que cumple")),
        ("MQL:Lead que", ("MQL", "Lead que")),
        ("MQL: Lead: que cumple", ("MQL", "Lead: que cumple")),
        ('"lead calificado" Lead que cumple', ("lead calificado", "Lead que cumple")),
        ('"lead calificado": Lead que cumple', ("lead calificado", "Lead que cumple")),
        ("“venta atribuible” Venta que…", ("venta atribuible", "Venta que…")),
        ('“Tasa: MQL→SQL” % de MQL', ("Tasa: MQL→SQL", "% de MQL")),
        ("MQL Lead que…", ("MQL", "Lead que…")),
        ("MQL\nLead que\ncumple", ("MQL", "Lead que\ncumple")),
        ("MQL https://wiki.example.com/mql", ("MQL", "https://wiki.example.com/mql")),
        ("SLA respuesta antes de las 9:30", ("SLA", "respuesta antes de las 9:30")),
    ],
)
def test_parse_define(text, expected):
    assert parse_define(text) == expected


@pytest.mark.parametrize("text, name", [("MQL", "MQL"), ("MQL:", "MQL"), ("lead calificado:   ", "lead calificado"), ('"lead calificado"', "lead calificado")])
def test_parse_define_needs_a_definition(text, name):
    expect_error("glossary.definition_missing", {"name": name}, parse_define, text)


@pytest.mark.parametrize("text", [": Lead que", '"" Lead que', "...: Lead que"])
def test_parse_define_needs_a_name(text):
    expect_error("glossary.name_missing", {}, parse_define, text)


def test_parse_define_needs_the_closing_quote():
    expect_error("glossary.quote_not_closed", {}, parse_define, '"lead calificado Lead que cumple')


names_without_colons = st.text(
    alphabet=st.characters(blacklist_characters=':"“”„«', blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda name: term_key(name))
definitions = st.text(min_size=1, max_size=80).filter(lambda text: text.strip())


@given(names_without_colons, definitions)
def test_parse_define_round_trips_names_without_colons(name, definition):
    assert parse_define(f"{name}: {definition}") == (name.strip(), definition.strip())


# --- split_aliases -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, aliases",
    [
        ("", ()),
        ("MQL", ("MQL",)),
        ("MQL, lead de mercadeo; marketing qualified lead", ("MQL", "lead de mercadeo", "marketing qualified lead")),
        ("MQL\n  Lead Mercadeo \n\n", ("MQL", "Lead Mercadeo")),
        ("MQL, mql, Mql., , ;", ("MQL",)),
        ("Conversión, conversion, CONVERSIÓN, tasa", ("Conversión", "tasa")),
        ("b, a, b", ("b", "a")),
    ],
)
def test_split_aliases(text, aliases):
    assert split_aliases(text) == aliases


@given(st.lists(st.sampled_from(["MQL", "mql", "Conversión", "conversion", " tasa ", "", "x"]), max_size=12))
def test_split_aliases_never_repeats_a_key(pieces):
    aliases = split_aliases(", ".join(pieces))
    keys = [term_key(alias) for alias in aliases]
    assert len(keys) == len(set(keys))
    assert all(alias == alias.strip() and alias for alias in aliases)


@given(st.text())
def test_split_aliases_has_no_duplicates_or_blanks_for_any_text(text):
    aliases = split_aliases(text)
    keys = [term_key(alias) for alias in aliases]
    assert len(keys) == len(set(keys)) and all(keys)


# --- validate_draft ----------------------------------------------------------------------------

VALID = TermDraft(name="MQL", definition="Lead que pidió demo", aliases=("lead de mercadeo",))


def test_a_valid_draft_passes():
    validate_draft(VALID)
    validate_draft(
        replace(
            VALID,
            name="x" * MAX_TERM_LENGTH,
            definition="d" * MAX_DEFINITION_LENGTH,
            formula="f" * MAX_FIELD_LENGTH,
            aliases=tuple(f"alias {n}" for n in range(MAX_ALIASES)),
        )
    )


@pytest.mark.parametrize(
    "changes, message_id, params",
    [
        ({"name": ""}, "glossary.name_missing", {}),
        ({"name": "  "}, "glossary.name_missing", {}),
        ({"name": "x" * 61}, "glossary.term_too_long", {"field": "name", "limit": 60, "length": 61}),
        ({"definition": " "}, "glossary.definition_missing", {"name": "MQL"}),
        ({"definition": "d" * 1720}, "glossary.definition_too_long", {"field": "definition", "limit": 1500, "length": 1720}),
        ({"formula": "f" * 501}, "glossary.formula_too_long", {"field": "formula", "limit": 500, "length": 501}),
        ({"source_system": "s" * 600}, "glossary.source_system_too_long", {"field": "source_system", "limit": 500, "length": 600}),
        ({"examples": "e" * 501}, "glossary.examples_too_long", {"field": "examples", "limit": 500, "length": 501}),
        ({"non_examples": "n" * 502}, "glossary.non_examples_too_long", {"field": "non_examples", "limit": 500, "length": 502}),
        (
            {"aliases": tuple(f"a{n}" for n in range(11))},
            "glossary.too_many_aliases",
            {"field": "aliases", "limit": 10, "count": 11},
        ),
        (
            {"aliases": ("ok", "a" * 61)},
            "glossary.alias_too_long",
            {"field": "aliases", "alias": "a" * 61, "limit": 60, "length": 61},
        ),
        ({"aliases": ("lead", " mql ")}, "glossary.alias_is_name", {"field": "aliases", "alias": "mql", "name": "MQL"}),
    ],
)
def test_validate_draft_errors(changes, message_id, params):
    expect_error(message_id, params, validate_draft, replace(VALID, **changes))


def test_lengths_ignore_surrounding_whitespace():
    validate_draft(replace(VALID, name="  " + "x" * MAX_TERM_LENGTH + "  "))


# --- matching ----------------------------------------------------------------------------------

TERMS = [
    TermRef(key="mql", name="MQL", aliases=("Marketing Qualified Lead", "lead de mercadeo")),
    TermRef(key="sql", name="SQL", aliases=("Sales Qualified Lead",)),
    TermRef(key="lead calificado", name="Lead calificado"),
    TermRef(key="conversion", name="Conversión", aliases=("tasa de conversión",)),
]


@pytest.mark.parametrize(
    "query, name",
    [
        ("MQL", "MQL"),
        (" mql ", "MQL"),
        ("marketing qualified LEAD", "MQL"),
        ("Lead de Mercadeo", "MQL"),
        ("conversion", "Conversión"),
        ("TASA DE CONVERSION", "Conversión"),
        ('"lead calificado"', "Lead calificado"),
        ("nada", None),
        ("", None),
    ],
)
def test_match_term(query, name):
    found = match_term(query, TERMS)
    assert (found.name if found else None) == name


def test_a_name_beats_another_terms_alias():
    terms = [TermRef(key="x", name="X", aliases=("SQL",)), TermRef(key="sql", name="SQL")]
    assert match_term("sql", terms).name == "SQL"


@pytest.mark.parametrize(
    "query, names",
    [
        ("MQLL", ["MQL"]),
        ("conversoin", ["Conversión"]),
        ("lead calificao", ["Lead calificado"]),
        ("zzzzzz", []),
        ("", []),
    ],
)
def test_closest_terms(query, names):
    assert closest_terms(query, TERMS) == names


def test_closest_terms_returns_each_term_once_and_at_most_n():
    terms = [TermRef(key=f"lead {c}", name=f"Lead {c}", aliases=(f"lead {c}x", f"lead {c}y")) for c in "abcde"]
    names = closest_terms("lead", terms, n=3)
    assert len(names) == 3 and len(set(names)) == 3
    assert closest_terms("MQL", [TermRef("mql", "MQL", ("mql.", "M.Q.L"))]) == ["MQL"]
    assert closest_terms("lead", terms, n=0) == []


def test_closest_terms_of_an_exact_query_starts_with_that_term():
    assert closest_terms("sql", TERMS)[0] == "SQL"


@pytest.mark.parametrize(
    "draft, own_key, conflicts",
    [
        (TermDraft("MQL", "def", aliases=("lead de mercadeo",)), "mql", []),
        (TermDraft("MQL", "def"), None, ["MQL"]),
        (TermDraft("Lead", "def", aliases=("sql", "nuevo", "Conversion")), None, ["sql", "Conversion"]),
        (TermDraft("mql", "def", aliases=("sales qualified lead",)), "MQL", ["sales qualified lead"]),
        (TermDraft("Nuevo", "def", aliases=("otro",)), None, []),
    ],
)
def test_alias_conflicts(draft, own_key, conflicts):
    assert alias_conflicts(draft, TERMS, own_key) == conflicts


# --- agreement ---------------------------------------------------------------------------------

M, S = Side.MARKETING, Side.SALES


def approval(user_id, *sides):
    return Approval(user_id, frozenset(sides))


@pytest.mark.parametrize(
    "approvals, missing",
    [
        ([], {M, S}),
        ([approval("U1", M)], {S}),
        ([approval("U1", S)], {M}),
        ([approval("U1", M), approval("U2", M)], {S}),
        ([approval("U1", M), approval("U2", S)], set()),
        ([approval("U1", M, S)], {S}),  # one person with both roles fills one side only
        ([approval("U1", M, S), approval("U1", M, S)], {S}),
        ([approval("U1", M), approval("U1", S)], {S}),  # approving twice is still one person
        ([approval("U1", M, S), approval("U2", M)], set()),
        ([approval("U1", M, S), approval("U2", S)], set()),
        ([approval("U1", M, S), approval("U2", M, S)], set()),
        ([approval("U1", Side.BOTH), approval("U2", S)], set()),
        ([approval("U1")], {M, S}),  # approved but leads nothing
    ],
)
def test_missing_sides_and_agreement(approvals, missing):
    assert missing_sides(approvals) == missing
    assert is_agreed(approvals) is (not missing)


people = st.lists(st.tuples(st.sampled_from(["U1", "U2", "U3"]), st.frozensets(st.sampled_from([M, S]))), max_size=6)


@given(people)
def test_agreement_needs_two_distinct_people(entries):
    approvals = [Approval(user, sides) for user, sides in entries]
    agreed = any(u != v and M in a and S in b for u, a in entries for v, b in entries)
    assert is_agreed(approvals) is agreed
    assert len(missing_sides(approvals)) <= 2
    if not agreed:
        assert missing_sides(approvals)


# --- versions ----------------------------------------------------------------------------------

OLD = TermDraft(
    name="MQL",
    definition="Lead que pidió demo",
    owner_side=Side.MARKETING,
    formula="",
    source_system="HubSpot",
    examples="Pidió demo",
    non_examples="",
    aliases=("lead de mercadeo", "Marketing Qualified Lead"),
)


def test_changes_for_a_new_term_list_every_filled_field_in_order():
    assert changes_between(None, OLD) == [
        FieldChange("definition", "", "Lead que pidió demo"),
        FieldChange("owner_side", "", "marketing"),
        FieldChange("source_system", "", "HubSpot"),
        FieldChange("examples", "", "Pidió demo"),
        FieldChange("aliases", "", "lead de mercadeo, Marketing Qualified Lead"),
    ]


def test_changes_between_versions_in_fixed_order():
    new = replace(OLD, aliases=("MQL lead",), formula="leads con demo / leads", definition="Lead que pidió demo o precio", owner_side=Side.BOTH)
    assert changes_between(OLD, new) == [
        FieldChange("definition", "Lead que pidió demo", "Lead que pidió demo o precio"),
        FieldChange("owner_side", "marketing", "both"),
        FieldChange("formula", "", "leads con demo / leads"),
        FieldChange("aliases", "lead de mercadeo, Marketing Qualified Lead", "MQL lead"),
    ]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"definition": "  Lead que pidió demo \n"},
        {"aliases": ("marketing qualified lead", "Lead de Mercadeo")},
        {"name": "mql"},  # the name is the term's identity, not versioned content
        {"examples": " Pidió demo "},
    ],
)
def test_duplicates(changes):
    new = replace(OLD, **changes)
    assert is_duplicate(OLD, new)
    assert changes_between(OLD, new) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"definition": "lead que pidió demo"},  # case inside the definition matters
        {"owner_side": Side.SALES},
        {"aliases": ("lead de mercadeo",)},
        {"non_examples": "Descargó un ebook"},
        {"source_system": ""},
    ],
)
def test_not_duplicates(changes):
    assert not is_duplicate(OLD, replace(OLD, **changes))


drafts = st.builds(
    TermDraft,
    name=st.just("MQL"),
    definition=st.sampled_from(["a", " a ", "b"]),
    owner_side=st.sampled_from(list(Side)),
    formula=st.sampled_from(["", "x", " x"]),
    aliases=st.lists(st.sampled_from(["p", "P", "q"]), unique=True, max_size=2).map(tuple),
)


@given(drafts, drafts)
def test_is_duplicate_is_symmetric_and_means_no_changes(a, b):
    assert is_duplicate(a, b) == is_duplicate(b, a) == (changes_between(a, b) == [])
    assert is_duplicate(a, a)


# --- /alinea glossary arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", (None, False)),
        ("   ", (None, False)),
        ("MQL", ("MQL", False)),
        ("lead calificado", ("lead calificado", False)),
        ("lead calificado historial", ("lead calificado", True)),
        ("MQL HISTORY", ("MQL", True)),
        ('"venta atribuible" history', ("venta atribuible", True)),
        ("“venta atribuible” Historial", ("venta atribuible", True)),
        ("historial de compras", ("historial de compras", False)),
        ('"lead historial"', ("lead historial", False)),
        ("historial", (None, True)),
    ],
)
def test_parse_glossary_args(text, expected):
    assert parse_glossary_args(text) == expected


def test_closest_terms_of_an_empty_glossary_is_empty():
    assert closest_terms("MQL", []) == []
