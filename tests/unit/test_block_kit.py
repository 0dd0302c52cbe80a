"""The Block Kit kit (bot/blocks/kit.py) and the reader of a submitted modal (commands/modal_state.py):
each builder's output, its keyword-only signature, Slack's length limits; what each reader method
finds in a state shaped as Slack sends it, what an empty or missing field reads as, and a group of
fields repeated under a prefix."""

from __future__ import annotations

import inspect
from datetime import date

import pytest

from bot.blocks import kit
from bot.slack_double.validation import view_errors
from commands.modal_state import Submitted, submitted


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text, "emoji": True}


A, B = kit.option(text="Ana", value="a"), kit.option(text="Beto", value="b")

BUILT = [
    ("option", kit.option(text="Leads", value="leads"), {"text": plain("Leads"), "value": "leads"}),
    ("input", kit.input_block(block_id="b", label="Name", element={"type": "x"}),
     {"type": "input", "block_id": "b", "label": plain("Name"), "element": {"type": "x"}, "optional": False}),
    ("optional input with hint", kit.input_block(block_id="b", label="Name", element={"type": "x"}, optional=True, hint="Why"),
     {"type": "input", "block_id": "b", "label": plain("Name"), "element": {"type": "x"}, "optional": True, "hint": plain("Why")}),
    ("text input", kit.plain_text_input(action_id="v"), {"type": "plain_text_input", "action_id": "v"}),
    ("text input, every field", kit.plain_text_input(action_id="v", initial="hola", multiline=True, max_length=40, placeholder="p"),
     {"type": "plain_text_input", "action_id": "v", "initial_value": "hola", "multiline": True, "max_length": 40, "placeholder": plain("p")}),
    ("select", kit.static_select(action_id="v", options=[A, B]), {"type": "static_select", "action_id": "v", "options": [A, B]}),
    ("select, initial and placeholder", kit.static_select(action_id="v", options=[A, B], initial="b", placeholder="Pick"),
     {"type": "static_select", "action_id": "v", "options": [A, B], "initial_option": B, "placeholder": plain("Pick")}),
    ("select, initial not among the options", kit.static_select(action_id="v", options=[A], initial="z"),
     {"type": "static_select", "action_id": "v", "options": [A]}),
    ("radio buttons", kit.radio_buttons(action_id="v", options=[A, B], initial="a"),
     {"type": "radio_buttons", "action_id": "v", "options": [A, B], "initial_option": A}),
    ("multi select", kit.multi_static_select(action_id="v", options=[A, B], initial=["b", "z"]),
     {"type": "multi_static_select", "action_id": "v", "options": [A, B], "initial_options": [B]}),
    ("checkboxes", kit.checkboxes(action_id="v", options=[A, B]), {"type": "checkboxes", "action_id": "v", "options": [A, B]}),
    ("user", kit.users_select(action_id="v", initial="U1", placeholder="Who"),
     {"type": "users_select", "action_id": "v", "initial_user": "U1", "placeholder": plain("Who")}),
    ("no user", kit.users_select(action_id="v", initial=None), {"type": "users_select", "action_id": "v"}),
    ("users", kit.multi_users_select(action_id="v", initial=("U1", "U2")),
     {"type": "multi_users_select", "action_id": "v", "initial_users": ["U1", "U2"]}),
    ("conversation", kit.conversations_select(action_id="v", initial="C1", filter={"include": ["public"]}),
     {"type": "conversations_select", "action_id": "v", "initial_conversation": "C1", "filter": {"include": ["public"]}}),
    ("date", kit.datepicker(action_id="v", initial=date(2026, 3, 2)), {"type": "datepicker", "action_id": "v", "initial_date": "2026-03-02"}),
    ("no date", kit.datepicker(action_id="v"), {"type": "datepicker", "action_id": "v"}),
    ("time", kit.timepicker(action_id="v", initial="09:30"), {"type": "timepicker", "action_id": "v", "initial_time": "09:30"}),
    ("file", kit.file_input(action_id="f", filetypes=("csv", "txt")),
     {"type": "file_input", "action_id": "f", "filetypes": ["csv", "txt"], "max_files": 1}),
    ("button", kit.button(text="Save", action_id="save", value="7"),
     {"type": "button", "text": plain("Save"), "action_id": "save", "value": "7"}),
    ("button with a style", kit.button(text="Delete", action_id="delete", value="all", style="danger"),
     {"type": "button", "text": plain("Delete"), "action_id": "delete", "value": "all", "style": "danger"}),
    ("actions", kit.actions(block_id="row", elements=(each for each in [A, B])), {"type": "actions", "block_id": "row", "elements": [A, B]}),
    ("modal", kit.modal(callback_id="cb", title="T", submit="S", close="C", blocks=[], private_metadata="{}"),
     {"type": "modal", "callback_id": "cb", "title": plain("T"), "submit": plain("S"), "close": plain("C"), "blocks": [], "private_metadata": "{}"}),
]


@pytest.mark.parametrize("built, expected", [(built, expected) for _, built, expected in BUILT], ids=[name for name, _, _ in BUILT])
def test_each_builder_builds_what_slack_expects(built, expected):
    assert built == expected


BUILDERS = [kit.option, kit.input_block, kit.plain_text_input, kit.static_select, kit.radio_buttons, kit.multi_static_select,
            kit.checkboxes, kit.users_select, kit.multi_users_select, kit.conversations_select, kit.datepicker, kit.timepicker,
            kit.file_input, kit.button, kit.actions, kit.modal]


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda builder: builder.__name__)
def test_every_builder_is_keyword_only(builder):
    kinds = {parameter.kind for parameter in inspect.signature(builder).parameters.values()}
    assert kinds == {inspect.Parameter.KEYWORD_ONLY}
    with pytest.raises(TypeError):
        builder("positional")


LONG = "x" * 3000

LIMITS = [
    ("option text", lambda: kit.option(text=LONG, value="v")["text"]["text"], 75),
    ("label", lambda: kit.input_block(block_id="b", label=LONG + LONG, element={})["label"]["text"], 2000),
    ("hint", lambda: kit.input_block(block_id="b", label="l", element={}, hint=LONG)["hint"]["text"], 2000),
    ("text placeholder", lambda: kit.plain_text_input(action_id="v", placeholder=LONG)["placeholder"]["text"], 150),
    ("select placeholder", lambda: kit.static_select(action_id="v", options=[], placeholder=LONG)["placeholder"]["text"], 150),
    ("user placeholder", lambda: kit.users_select(action_id="v", placeholder=LONG)["placeholder"]["text"], 150),
    ("button text", lambda: kit.button(text=LONG, action_id="a", value="v")["text"]["text"], 75),
    ("modal title", lambda: kit.modal(callback_id="c", title=LONG, submit="s", close="c", blocks=[])["title"]["text"], 24),
    ("modal submit", lambda: kit.modal(callback_id="c", title="t", submit=LONG, close="c", blocks=[])["submit"]["text"], 24),
    ("modal close", lambda: kit.modal(callback_id="c", title="t", submit="s", close=LONG, blocks=[])["close"]["text"], 24),
]


@pytest.mark.parametrize("text_of, limit", [(text_of, limit) for _, text_of, limit in LIMITS], ids=[name for name, _, _ in LIMITS])
def test_plain_text_is_cut_to_slacks_limit_with_an_ellipsis(text_of, limit):
    text = text_of()
    assert len(text) == limit and text.endswith("…")


@pytest.mark.parametrize("builder", [kit.static_select, kit.radio_buttons, kit.multi_static_select, kit.checkboxes],
                         ids=lambda builder: builder.__name__)
def test_a_list_keeps_at_most_100_options(builder):
    options = [kit.option(text=str(number), value=str(number)) for number in range(150)]
    assert len(builder(action_id="v", options=options)["options"]) == 100


def test_a_modal_built_with_every_element_passes_the_doubles_validation():
    options = [A, B]
    fields = [
        kit.plain_text_input(action_id="v", multiline=True, max_length=10, placeholder="p", initial="i"),
        kit.static_select(action_id="v", options=options, initial="a", placeholder="p"),
        kit.radio_buttons(action_id="v", options=options, initial="b"),
        kit.multi_static_select(action_id="v", options=options, initial=["a"]),
        kit.checkboxes(action_id="v", options=options, initial=["b"]),
        kit.users_select(action_id="v", initial="U1"),
        kit.multi_users_select(action_id="v", initial=["U1"]),
        kit.conversations_select(action_id="v", initial="C1"),
        kit.datepicker(action_id="v", initial=date(2026, 1, 5)),
        kit.timepicker(action_id="v", initial="08:00"),
        kit.file_input(action_id="v", filetypes=["csv"]),
    ]
    blocks = [kit.input_block(block_id=f"b{number}", label="Label " * 500, element=element, optional=True, hint="h")
              for number, element in enumerate(fields)]
    view = kit.modal(callback_id="cb", title="A title far longer than 24", submit="Send", close="Cancel", blocks=blocks, private_metadata="{}")
    assert view_errors(view) == []


# The reader ------------------------------------------------------------------------------------------

STATE = {
    "name": {"any-action": {"type": "plain_text_input", "value": "  Conversión  "}},
    "empty": {"v": {"type": "plain_text_input", "value": None}},
    "kind": {"v": {"type": "static_select", "selected_option": {"text": plain("Leads"), "value": "leads"}}},
    "none_chosen": {"v": {"type": "static_select", "selected_option": None}},
    "themes": {"v": {"type": "multi_static_select", "selected_options": [{"value": "price"}, {"value": "speed"}]}},
    "sides": {"v": {"type": "checkboxes", "selected_options": []}},
    "owner": {"v": {"type": "users_select", "selected_user": "U1"}},
    "leads": {"v": {"type": "multi_users_select", "selected_users": ["U1", "U2"]}},
    "channel": {"v": {"type": "conversations_select", "selected_conversation": "C1"}},
    "due": {"v": {"type": "datepicker", "selected_date": "2026-03-20"}},
    "bad_due": {"v": {"type": "datepicker", "selected_date": "20/03/2026"}},
    "at": {"v": {"type": "timepicker", "selected_time": "09:30"}},
    "file": {"v": {"type": "file_input", "files": [{"id": "F1", "name": "kpis.csv"}]}},
}

READS = [
    ("text, stripped", lambda form: form.text("name"), "Conversión"),
    ("text left empty", lambda form: form.text("empty"), ""),
    ("text of a missing block", lambda form: form.text("missing"), ""),
    ("selected", lambda form: form.selected("kind"), "leads"),
    ("nothing selected", lambda form: form.selected("none_chosen"), None),
    ("selected of a missing block", lambda form: form.selected("missing"), None),
    ("selected many", lambda form: form.selected_many("themes"), ["price", "speed"]),
    ("none of many", lambda form: form.selected_many("sides"), []),
    ("user", lambda form: form.user("owner"), "U1"),
    ("no user", lambda form: form.user("missing"), None),
    ("users", lambda form: form.users("leads"), ("U1", "U2")),
    ("conversation", lambda form: form.conversation("channel"), "C1"),
    ("no conversation", lambda form: form.conversation("missing"), ""),
    ("date", lambda form: form.date("due"), date(2026, 3, 20)),
    ("no date", lambda form: form.date("missing"), None),
    ("time", lambda form: form.time("at"), "09:30"),
    ("files", lambda form: form.files("file"), [{"id": "F1", "name": "kpis.csv"}]),
    ("no files", lambda form: form.files("missing"), []),
    ("a block the form had", lambda form: "owner" in form, True),
    ("a block the form did not have", lambda form: "missing" in form, False),
]


@pytest.mark.parametrize("read, expected", [(read, expected) for _, read, expected in READS], ids=[name for name, _, _ in READS])
def test_the_reader_finds_each_field_by_its_block(read, expected):
    assert read(submitted({"state": {"values": STATE}})) == expected


def test_a_repeated_group_of_fields_reads_under_its_prefix_as_the_group_itself():
    values = {"first": STATE["name"], "copy-name": STATE["kind"], "copy-owner": STATE["owner"]}
    copy = Submitted(values).within("copy-")
    assert (copy.selected("name"), copy.user("owner"), "first" in copy, copy.text("first")) == ("leads", "U1", False, "")


def test_a_date_that_is_not_one_is_a_value_error_for_the_validator_to_flag():
    with pytest.raises(ValueError):
        Submitted(STATE).date("bad_due")


@pytest.mark.parametrize("view", [{}, {"state": {}}, {"state": {"values": None}}], ids=["no state", "no values", "null values"])
def test_a_view_without_state_reads_as_empty(view):
    form = submitted(view)
    assert (form.text("name"), form.selected("kind"), form.selected_many("themes")) == ("", None, [])
