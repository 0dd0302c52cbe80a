"""`/alinea token`: the new token (shown once) with an example request, and the list of tokens."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Sequence

from bot.blocks import Block, Reply, context, header, mention, section
from services.formatting import local_datetime
from services.i18n import t
from services.ingest import TokenView

EXAMPLE_HOST = "https://YOUR-HOST"


def example_request(*, channel_id: str, token: str, kpi: str, period: str) -> str:
    body = json.dumps({"values": [{"kpi": kpi, "value": 16, "period": period, "source": "shopify"}]})
    return (
        f"curl -X POST {EXAMPLE_HOST}/api/v1/teams/{channel_id}/metrics \\\n"
        f"  -H 'Authorization: Bearer {token}' \\\n"
        f"  -H 'Content-Type: application/json' \\\n"
        f"  -d '{body}'"
    )


def prefixes(values: Sequence[str]) -> str:
    return ", ".join(f"`{value}…`" for value in values)


def issued(
    locale: str, *, token: str, prefix: str, replaced: Sequence[str], rotated: bool, channel_id: str, kpi: str, period: str
) -> Reply:
    """The token in full, once, for the admin's eyes only (the reply is ephemeral).
    Every character of a token is in [A-Za-z0-9_-]: nothing in it needs escaping."""
    title = t(locale, "ingest.ui.rotated_title" if rotated else "ingest.ui.created_title", prefix=f"{prefix}…")
    blocks: list[Block] = [
        header(title),
        section(t(locale, "ingest.ui.copy_now") + f"\n```{token}```"),
    ]
    if replaced:
        blocks.append(section(t(locale, "ingest.ui.replaced", prefixes=prefixes(replaced))))
    blocks += [
        section(t(locale, "ingest.ui.example_intro") + "\n```" + example_request(
            channel_id=channel_id, token=token, kpi=kpi, period=period) + "```"),
        context(t(locale, "ingest.ui.example_hint", host=EXAMPLE_HOST)),
    ]
    return Reply(f"{title}: {token}", blocks)


def revoked(locale: str, values: Sequence[str]) -> Reply:
    text = t(locale, "ingest.ui.revoked", prefixes=prefixes(values))
    return Reply(text, [section(text), context(t(locale, "ingest.ui.revoked_hint"))])


def listing(locale: str, tokens: Sequence[TokenView], *, country: str | None, timezone: str) -> Reply:
    def when(moment: datetime) -> str:
        return local_datetime(moment, language=locale, country=country, timezone=timezone)

    title = t(locale, "ingest.ui.list_title")
    if not tokens:
        text = t(locale, "ingest.ui.list_empty")
        return Reply(text, [header(title), section(text)])
    lines = [
        t(locale, "ingest.ui.list_line", prefix=f"`{token.prefix}…`", user=mention(token.created_by), created=when(token.created_at),
          used=when(token.last_used_at) if token.last_used_at else t(locale, "ingest.ui.never_used"))
        for token in tokens
    ]
    return Reply(title, [header(title), section("\n".join(lines)), context(t(locale, "ingest.ui.list_hint"))])
