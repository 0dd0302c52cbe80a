"""The one kit of Block Kit builders for modals and buttons: options, input blocks and their
elements (text, selects, checkboxes, radio buttons, pickers, file input), the modal itself, and
a message's buttons and their row (actions).

Every builder is keyword-only, so a call reads as the field it builds (`option(text=…, value=…)`
can never swap its two strings), and each one cuts its plain-text fields to Slack's limits: a
modal's title, submit and close 24 characters, an option's or a button's text 75, a placeholder
150, a label or hint 2000, at most 100 options in a list. Text blocks (section, context, header)
are in bot/blocks/__init__.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from bot.blocks import Block, plain, truncate

Element = dict[str, Any]

MODAL_TEXT_LIMIT = 24  # a modal's title, submit and close
OPTION_TEXT_LIMIT = 75
BUTTON_TEXT_LIMIT = 75
PLACEHOLDER_LIMIT = 150
LABEL_LIMIT = 2000  # an input's label and hint
MAX_OPTIONS = 100  # a select's, checkboxes' or radio buttons' options


def option(*, text: str, value: str) -> Element:
    return {"text": plain(truncate(text, OPTION_TEXT_LIMIT)), "value": value}


def input_block(*, block_id: str, label: str, element: Element, optional: bool = False, hint: str | None = None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": plain(truncate(label, LABEL_LIMIT)), "element": element,
                    "optional": optional}  # fmt: skip
    if hint:
        block["hint"] = plain(truncate(hint, LABEL_LIMIT))
    return block


def plain_text_input(
    *, action_id: str, initial: str | None = None, multiline: bool = False, max_length: int | None = None, placeholder: str | None = None,
) -> Element:
    element: Element = {"type": "plain_text_input", "action_id": action_id}
    if multiline:
        element["multiline"] = True
    if max_length is not None:
        element["max_length"] = max_length
    if initial:
        element["initial_value"] = initial
    return _with_placeholder(element, placeholder)


def static_select(*, action_id: str, options: Sequence[Element], initial: str | None = None, placeholder: str | None = None) -> Element:
    """One choice of at most 100 options; `initial` is the value of the option shown chosen."""
    return _with_placeholder(_choice("static_select", action_id, options, initial), placeholder)


def radio_buttons(*, action_id: str, options: Sequence[Element], initial: str | None = None) -> Element:
    return _choice("radio_buttons", action_id, options, initial)


def multi_static_select(*, action_id: str, options: Sequence[Element], initial: Iterable[str] = ()) -> Element:
    return _choices("multi_static_select", action_id, options, initial)


def checkboxes(*, action_id: str, options: Sequence[Element], initial: Iterable[str] = ()) -> Element:
    return _choices("checkboxes", action_id, options, initial)


def users_select(*, action_id: str, initial: str | None = None, placeholder: str | None = None) -> Element:
    element: Element = {"type": "users_select", "action_id": action_id}
    if initial:
        element["initial_user"] = initial
    return _with_placeholder(element, placeholder)


def multi_users_select(*, action_id: str, initial: Sequence[str] = ()) -> Element:
    element: Element = {"type": "multi_users_select", "action_id": action_id}
    if initial:
        element["initial_users"] = list(initial)
    return element


def conversations_select(*, action_id: str, initial: str | None = None, filter: dict[str, Any] | None = None) -> Element:
    element: Element = {"type": "conversations_select", "action_id": action_id}
    if initial:
        element["initial_conversation"] = initial
    if filter:
        element["filter"] = filter
    return element


def datepicker(*, action_id: str, initial: date | None = None) -> Element:
    element: Element = {"type": "datepicker", "action_id": action_id}
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return element


def timepicker(*, action_id: str, initial: str | None = None) -> Element:
    """`initial` as Slack writes it, "HH:MM"."""
    element: Element = {"type": "timepicker", "action_id": action_id}
    if initial:
        element["initial_time"] = initial
    return element


def file_input(*, action_id: str, filetypes: Sequence[str], max_files: int = 1) -> Element:
    return {"type": "file_input", "action_id": action_id, "filetypes": list(filetypes), "max_files": max_files}


def button(*, text: str, action_id: str, value: str, style: str | None = None) -> Element:
    """A message's button; `style` "primary" or "danger"."""
    element: Element = {"type": "button", "text": plain(truncate(text, BUTTON_TEXT_LIMIT)), "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def actions(*, block_id: str, elements: Iterable[Element]) -> Block:
    """A row of buttons."""
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def modal(*, callback_id: str, title: str, submit: str, close: str, blocks: list[Block], private_metadata: str | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal", "callback_id": callback_id, "title": plain(truncate(title, MODAL_TEXT_LIMIT)),
        "submit": plain(truncate(submit, MODAL_TEXT_LIMIT)), "close": plain(truncate(close, MODAL_TEXT_LIMIT)), "blocks": blocks,
    }  # fmt: skip
    if private_metadata is not None:
        view["private_metadata"] = private_metadata
    return view


def _choice(kind: str, action_id: str, options: Sequence[Element], initial: str | None) -> Element:
    kept = list(options[:MAX_OPTIONS])
    element: Element = {"type": kind, "action_id": action_id, "options": kept}
    chosen = next((each for each in kept if initial is not None and each["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return element


def _choices(kind: str, action_id: str, options: Sequence[Element], initial: Iterable[str]) -> Element:
    kept = list(options[:MAX_OPTIONS])
    element: Element = {"type": kind, "action_id": action_id, "options": kept}
    wanted = set(initial)
    chosen = [each for each in kept if each["value"] in wanted]
    if chosen:
        element["initial_options"] = chosen
    return element


def _with_placeholder(element: Element, placeholder: str | None) -> Element:
    if placeholder:
        element["placeholder"] = plain(truncate(placeholder, PLACEHOLDER_LIMIT))
    return element
