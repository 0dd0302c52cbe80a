"""Block Kit messages as plain text, for the demo's transcript and readable test failures."""

from __future__ import annotations

import re
from typing import Any, Callable

MENTION = re.compile(r"<([@#])([A-Z0-9]+)(?:\|([^>]*))?>")
LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


def text_of(element: dict[str, Any] | None) -> str:
    if not element:
        return ""
    if element.get("type") in ("plain_text", "mrkdwn"):
        return element.get("text", "")
    return ""


def block_lines(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = text_of(block.get("text"))
        return [title, "=" * len(title)]
    if kind == "divider":
        return ["-" * 40]
    if kind == "section":
        lines = text_of(block.get("text")).splitlines()
        for field in block.get("fields") or []:
            lines += text_of(field).splitlines()
        return lines
    if kind == "context":
        return [" ".join(text_of(element) for element in block.get("elements", []))]
    if kind == "actions":
        return ["[" + "] [".join(text_of(element.get("text")) for element in block.get("elements", [])) + "]"]
    if kind == "image":
        return [f"(image: {block.get('alt_text', '')})"]
    if kind == "table":  # Slack draws it as a grid: one line a row
        return [" | ".join(cell.get("text", "…") for cell in row) for row in block.get("rows", [])]
    if kind == "data_visualization":
        chart = block.get("chart") or {}
        series = "; ".join(
            f"{entry.get('name')}: " + ", ".join(f"{point.get('label')} {point.get('value')}" for point in entry.get("data", []))
            for entry in chart.get("series", [])
        )  # fmt: skip
        return [f"({chart.get('type')} chart: {block.get('title', '')} — {series})"]
    return [f"({kind} block)"]


def render(message: dict[str, Any], *, name_of: Callable[[str], str | None] | None = None) -> str:
    """What a person would read: the blocks when there are any, else the fallback text.

    With `name_of` (a user or channel id -> its name), mentions read as Slack shows them
    (@ana, #ventas), links as their label, and Slack's entities as the characters they stand for.
    """
    blocks = message.get("blocks") or []
    text = message.get("text", "") if not blocks else "\n".join(line for block in blocks for line in block_lines(block))
    return text if name_of is None else as_seen(text, name_of)


def as_seen(text: str, name_of: Callable[[str], str | None]) -> str:
    def mention(match: re.Match) -> str:
        sigil, identifier, label = match.groups()
        return f"{sigil}{label or name_of(identifier) or identifier}"

    text = MENTION.sub(mention, LINK.sub(lambda match: match.group(2), text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
