"""`/alinea data`: what was exported, the confirmation before deleting a workspace's data, what
Alinea holds about a person, and what their erasure did."""

from __future__ import annotations

from typing import Any, Mapping

from babel.numbers import format_decimal

from bot.blocks import Block, Reply, context, escape_mrkdwn, header, kit, plain, section
from services.person_data import Erasure, PersonReport
from services.i18n import t

DELETE_CONFIRM = "data-delete-confirm"  # value: "<issued epoch seconds>:<workspace id>"
ERASE_ME = "data-erase-me"  # value ignored: the presser is the only person ever erased
DELETE_BLOCK, ERASE_BLOCK = "data-delete", "data-erase"
MAX_TABLE_LINES = 60


def number(value: int, locale: str) -> str:
    return format_decimal(value, locale="es_CO" if locale.startswith("es") else "en_US")


def _table_lines(counts: Mapping[str, int], locale: str) -> str:
    lines = [f"`{name}` {number(count, locale)}" for name, count in list(counts.items())[:MAX_TABLE_LINES]]
    return "\n".join(lines)


def _confirm(title: str, text: str, confirm: str, deny: str) -> dict[str, Any]:
    """Slack's own "are you sure?" dialog on a button (texts already localized)."""
    return {
        "title": plain(title[:100]), "text": plain(text[:300]), "confirm": plain(confirm[:30]), "deny": plain(deny[:30]),
        "style": "danger",
    }


def overview(locale: str) -> Reply:
    title = t(locale, "data_rights.overview.title")
    return Reply(title, [header(title), section(t(locale, "data_rights.overview.text")), context(t(locale, "data_rights.rights"))])


def export_sent(locale: str, *, filename: str, counts: Mapping[str, int]) -> Reply:
    text = t(locale, "data_rights.export.sent", file=filename, tables=number(len(counts), locale),
             rows=number(sum(counts.values()), locale))  # fmt: skip
    return Reply(text, [section(text), section(_table_lines(counts, locale)), context(t(locale, "data_rights.export.hint"))])


def export_comment(locale: str, *, team_name: str, rows: int) -> str:
    return t(locale, "data_rights.export.comment", workspace=escape_mrkdwn(team_name), rows=number(rows, locale))


def delete_confirmation(locale: str, *, counts: Mapping[str, int], value: str, minutes: int) -> Reply:
    rows = number(sum(counts.values()), locale)
    title = t(locale, "data_rights.delete.title")
    text = t(locale, "data_rights.delete.text", rows=rows, tables=number(len(counts), locale), minutes=minutes)
    confirm_button = kit.button(text=t(locale, "data_rights.delete.button", rows=rows), action_id=DELETE_CONFIRM, value=value,
                                style="danger")
    confirm_button["confirm"] = _confirm(
        t(locale, "data_rights.delete.dialog_title"), t(locale, "data_rights.delete.dialog_text", rows=rows),
        t(locale, "data_rights.delete.dialog_confirm"), t(locale, "data_rights.delete.dialog_deny"),
    )
    blocks: list[Block] = [header(title), section(text), section(_table_lines(counts, locale)),
                           kit.actions(block_id=DELETE_BLOCK, elements=[confirm_button])]
    return Reply(f"{title}: {text}", blocks)


def deleted(locale: str, counts: Mapping[str, int]) -> Reply:
    text = t(locale, "data_rights.delete.done", rows=number(sum(counts.values()), locale), tables=number(len(counts), locale))
    return Reply(text, [section(text), context(t(locale, "data_rights.delete.after"))])


def _kind(kind: str, locale: str) -> str:
    return t(locale, f"data_rights.kind.{kind}")


def person_report(locale: str, report: PersonReport, *, can_erase: bool = True) -> Reply:
    """What Alinea holds about the person, with the erase button; without a pseudonym key
    (`can_erase` false) the button is replaced by what the operator must set first."""
    title = t(locale, "data_rights.me.title")
    blocks: list[Block] = [header(title)]
    if not report.total:
        text = t(locale, "data_rights.me.none")
        return Reply(text, [*blocks, section(text), context(t(locale, "data_rights.rights"))])
    blocks.append(section(t(locale, "data_rights.me.intro", user=f"<@{report.user_id}>")))
    for entry in report.kinds:
        line = f"*{_kind(entry.kind, locale)}*: {number(entry.count, locale)}"
        if entry.samples:
            line += "\n" + "\n".join(f"• {escape_mrkdwn(sample)}" for sample in entry.samples)
        blocks.append(section(line))
    if report.mentions:
        blocks.append(section(t(locale, "data_rights.me.mentions", count=number(report.mentions, locale))))
    if not can_erase:
        return Reply(title, [*blocks, section(t(locale, "data_rights.me.no_key")), context(t(locale, "data_rights.rights"))])
    blocks.append(context(t(locale, "data_rights.me.what_erasure_does")))
    erase = kit.button(text=t(locale, "data_rights.me.button"), action_id=ERASE_ME, value="me", style="danger")
    erase["confirm"] = _confirm(
        t(locale, "data_rights.me.dialog_title"), t(locale, "data_rights.me.dialog_text"),
        t(locale, "data_rights.me.dialog_confirm"), t(locale, "data_rights.me.dialog_deny"),
    )
    blocks += [kit.actions(block_id=ERASE_BLOCK, elements=[erase]), context(t(locale, "data_rights.rights"))]
    return Reply(title, blocks)


def erased(locale: str, erasure: Erasure) -> Reply:
    if not erasure.total:
        text = t(locale, "data_rights.erase.nothing")
        return Reply(text, [section(text)])
    text = t(locale, "data_rights.erase.done", pseudonym=erasure.pseudonym)
    lines = [text]
    if erasure.removed:
        lines.append(t(locale, "data_rights.erase.removed", items=_kinds(erasure.removed, locale)))
    if erasure.pseudonymised:
        lines.append(t(locale, "data_rights.erase.pseudonymised", items=_kinds(erasure.pseudonymised, locale)))
    if erasure.mentions:
        lines.append(t(locale, "data_rights.erase.mentions", count=number(erasure.mentions, locale)))
    return Reply(text, [section("\n".join(lines)), context(t(locale, "data_rights.erase.after"))])


def _kinds(counts: Mapping[str, int], locale: str) -> str:
    return "; ".join(f"{_kind(kind, locale)} ({number(count, locale)})" for kind, count in counts.items())
