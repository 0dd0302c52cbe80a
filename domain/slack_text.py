"""Reading what Slack sends in command text. Pure string work, no Slack library.

With escaping on, Slack sends `&`, `<`, `>` typed by a person as `&amp;`, `&lt;`, `&gt;`, and
a mention as `<@U123|ana>` (or `<@U123>`), a channel as `<#C123|general>`.
"""

from __future__ import annotations

import re

USER_MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL_MENTION = re.compile(r"<#(?P<id>C[A-Z0-9]+)(?:\|[^>]*)?>")
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}
_ENTITY = re.compile(r"&(?:lt|gt|amp);")


# Control characters (tab and newline aside): nothing a person means, and PostgreSQL refuses NUL in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def without_controls(text: str) -> str:
    """Control characters pasted into a command become spaces, so words stay apart and
    nothing unstorable reaches a text column."""
    return _CONTROL.sub(" ", text)


def decode_entities(text: str) -> str:
    """Undo Slack's three entities once, so we store what the person typed.

    `&amp;lt;` becomes `&lt;` (the person typed that), never `<`: one pass, left to right.
    """
    return _ENTITY.sub(lambda match: _ENTITIES[match.group(0)], text)


def user_ids_in(text: str) -> list[str]:
    """Slack user ids mentioned in `text`, in order, without repeats."""
    seen: dict[str, None] = {}
    for match in USER_MENTION.finditer(text):
        seen.setdefault(match.group("id"), None)
    return list(seen)


def user_id_of(token: str) -> str | None:
    """The user id if `token` is exactly one mention, else None."""
    match = USER_MENTION.fullmatch(token.strip())
    return match.group("id") if match else None


def channel_id_of(token: str) -> str | None:
    match = CHANNEL_MENTION.fullmatch(token.strip())
    return match.group("id") if match else None
