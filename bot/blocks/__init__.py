"""Pure functions from results to Block Kit dicts. The only place user or model text meets mrkdwn."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters as entities, so `<!channel>` or `<@U1>` typed by a person
    (or written by a model) shows as text and never pings or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, 150), "emoji": True}}


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(mrkdwn, SECTION_TEXT_LIMIT)}}


def context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(mrkdwn, 2000)}]}


def divider() -> Block:
    return {"type": "divider"}


@dataclass(frozen=True)
class Reply:
    """What a command answers: fallback text (notifications, screen readers) and blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_ephemeral(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks, "response_type": "ephemeral", "replace_original": False}


@dataclass(frozen=True)
class HelpEntry:
    usage: str  # "/alinea help"
    summary: str  # localized description
    example: str  # "/alinea ayuda"


def help_blocks(
    *, title: str, intro: str, entries: list[HelpEntry], notice: str | None = None, example_label: str
) -> list[Block]:
    blocks: list[Block] = []
    if notice:
        blocks.append(section(notice))
    blocks += [header(title), section(intro), divider()]
    for entry in entries:
        blocks.append(section(f"*`{entry.usage}`*\n{entry.summary}\n_{example_label}_ `{entry.example}`"))
    return blocks


def fields_section(pairs: list[tuple[str, str]]) -> Block:
    """Up to 10 short "label: value" fields side by side (Slack's limit), values already escaped."""
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": truncate(f"*{label}*\n{value}", 2000)} for label, value in pairs[:10]],
    }


def mention(user_id: str) -> str:
    """A user mention from an id we stored ourselves (never from typed text)."""
    return f"<@{user_id}>"


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}
