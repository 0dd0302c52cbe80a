"""Around the agenda: the whole agenda in one private message (`agenda preview`), within Slack's
50 blocks with the parts that did not fit named, and the short answers to `agenda post`
(posted, or posted already, with a link to it).
"""

from __future__ import annotations

from datetime import datetime

from bot.blocks import Block, Reply, context, divider, section, truncate
from bot.blocks.agenda_pieces import MAX_BLOCKS, TEXT_LIMIT, AgendaMessages, post_time_text
from domain.locales import TeamLocale
from domain.meetings import AgendaKind
from services.i18n import t


def preview_reply(agenda: AgendaMessages, where: TeamLocale, *, post_at: datetime, channel_id: str) -> Reply:
    """The whole agenda in one private message (parent, then each part after a divider), within
    50 blocks; the parts that do not fit are named."""
    language = where.language
    kind = agenda.kind.value
    intro = t(language, f"agenda.ui.preview.intro.{kind}", when=post_time_text(post_at, where), channel=f"<#{channel_id}>")
    blocks: list[Block] = [context(intro), *agenda.parent.blocks]
    left: list[str] = []
    for part in agenda.parts:
        if left or len(blocks) + 1 + len(part.reply.blocks) > MAX_BLOCKS - 1:
            left.append(part.name)
            continue
        blocks += [divider(), *part.reply.blocks]
    if left:
        names = ", ".join(t(language, f"agenda.ui.part.{name}") for name in left)
        blocks.append(context(t(language, "agenda.ui.preview.left_out", parts=names)))
    return Reply(truncate(intro + "\n" + agenda.parent.text, TEXT_LIMIT), blocks)


def notice(text: str) -> Reply:
    return Reply(text, [section(text)])


def posted_reply(kind: AgendaKind, where: TeamLocale, *, channel_id: str, link: str | None) -> Reply:
    text = t(where.language, f"agenda.ui.post.posted.{kind.value}", channel=f"<#{channel_id}>")
    return notice(f"{text} <{link}|{t(where.language, 'agenda.ui.post.open')}>" if link else text)


def already_posted_reply(kind: AgendaKind, where: TeamLocale, *, channel_id: str, link: str | None, key: str) -> Reply:
    text = t(where.language, f"agenda.ui.post.already.{kind.value}", channel=f"<#{channel_id}>", key=key)
    return notice(f"{text} <{link}|{t(where.language, 'agenda.ui.post.open')}>" if link else text)
