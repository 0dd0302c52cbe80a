"""The one reader of a submitted modal: what each input block holds, by block id.

Slack sends a modal's state as `{block_id: {action_id: {type, value | selected_…}}}`. Every input
block holds one element, so the block id alone names the field and the reader takes the block's
one element whatever its action id. An empty or missing field reads as "" / None / [] (Slack
leaves out what was not filled in), so a validator only decides what is required.
"""

from __future__ import annotations

from datetime import date
from typing import Any


class Submitted:
    """A modal's submitted state (`view["state"]["values"]`)."""

    def __init__(self, values: dict[str, Any]):
        self._values = values or {}

    def __contains__(self, block: str) -> bool:
        """Whether the form had that block (forms leave out fields that do not apply)."""
        return block in self._values

    def text(self, block: str) -> str:
        """What was typed in a text input, stripped ("" when left empty)."""
        return (self._state(block).get("value") or "").strip()

    def selected(self, block: str) -> str | None:
        """The chosen option's value of a select or radio buttons."""
        return (self._state(block).get("selected_option") or {}).get("value")

    def selected_many(self, block: str) -> list[str]:
        """The chosen options' values of a multi-select or checkboxes, in Slack's order."""
        chosen = self._state(block).get("selected_options") or []
        return [each.get("value") for each in chosen if isinstance(each, dict) and each.get("value")]

    def user(self, block: str) -> str | None:
        return self._state(block).get("selected_user") or None

    def users(self, block: str) -> tuple[str, ...]:
        return tuple(self._state(block).get("selected_users") or ())

    def conversation(self, block: str) -> str:
        return self._state(block).get("selected_conversation") or ""

    def date(self, block: str) -> date | None:
        """The picked date; None when none was picked. ValueError when it is not a date."""
        typed = self._state(block).get("selected_date")
        return date.fromisoformat(typed) if typed else None

    def time(self, block: str) -> str | None:
        """The picked time as Slack writes it ("HH:MM")."""
        return self._state(block).get("selected_time") or None

    def files(self, block: str) -> list[Any]:
        """A file input's files, as Slack describes them."""
        return list(self._state(block).get("files") or [])

    def within(self, prefix: str) -> Submitted:
        """The blocks whose ids start with `prefix`, read by their ids without it: a form that
        repeats a group of fields under prefixed block ids reads the copy as the group itself."""
        return Submitted({block.removeprefix(prefix): state for block, state in self._values.items() if block.startswith(prefix)})

    def _state(self, block: str) -> dict[str, Any]:
        elements = self._values.get(block) or {}
        state = next(iter(elements.values()), None) if isinstance(elements, dict) else None
        return state if isinstance(state, dict) else {}


def submitted(view: dict[str, Any]) -> Submitted:
    return Submitted((view.get("state") or {}).get("values") or {})
