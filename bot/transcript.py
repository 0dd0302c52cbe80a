"""Block Kit messages as plain text, for the demo's transcript and readable test failures."""

from __future__ import annotations

from typing import Any


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
    return [f"({kind} block)"]


def render(message: dict[str, Any]) -> str:
    """What a person would read: the blocks when there are any, else the fallback text."""
    blocks = message.get("blocks") or []
    if not blocks:
        return message.get("text", "")
    return "\n".join(line for block in blocks for line in block_lines(block))
