"""Customer feedback: the answers to `/alinea feedback`, the theme list and the shortcut's form."""

from __future__ import annotations

from typing import Any, Sequence

from bot.blocks import Block, Reply, context, escape_mrkdwn, kit, section, truncate
from services.feedback import FeedbackView, ThemeView
from services.i18n import t

SHORTCUT = "feedback_from_message"  # the message shortcut's callback id (app-manifest.yml)
FORM_VIEW = "feedback_form_view"
TEAM, SOURCE, SCORE, THEMES, VALUE = "fb_team", "fb_source", "fb_score", "fb_themes", "value"
FORM_SOURCES = ("whatsapp", "survey", "review", "support", "crm", "slack")
MAX_ITEMS_SHOWN = 10
QUOTE_LENGTH = 280


def themes_text(item: FeedbackView, locale: str) -> str:
    if not item.themes:
        return t(locale, "feedback.no_theme")
    return ", ".join(escape_mrkdwn(theme.name) for theme in item.themes)


def removed_text(removed: dict[str, int], locale: str) -> str | None:
    """"Se quitaron 2 datos personales: 1 correo, 1 teléfono" — counts only, never the data."""
    if not removed:
        return None
    kinds = ", ".join(t(locale, f"feedback.removed.{kind}", count=count) for kind, count in sorted(removed.items()))
    return t(locale, "feedback.removed", total=sum(removed.values()), kinds=kinds)


def item_line(item: FeedbackView, locale: str) -> str:
    score = t(locale, "feedback.score_part", score=item.score) if item.score is not None else ""
    return t(
        locale, "feedback.item_line", label=item.label, text=escape_mrkdwn(truncate(item.text, QUOTE_LENGTH)),
        source=t(locale, f"feedback.source.{item.source}"), score=score, themes=themes_text(item, locale),
    )  # fmt: skip


def recorded_reply(item: FeedbackView, *, created: bool, locale: str) -> Reply:
    title = t(locale, "feedback.recorded" if created else "feedback.already_recorded", label=item.label)
    blocks: list[Block] = [section(f"*{title}*"), section(item_line(item, locale))]
    removed = removed_text(item.removed, locale)
    if removed:
        blocks.append(context(removed))
    blocks.append(context(t(locale, "feedback.retag_hint", label=item.label)))
    return Reply(title, blocks)


def retagged_reply(item: FeedbackView, locale: str) -> Reply:
    text = t(locale, "feedback.retagged", label=item.label, themes=themes_text(item, locale))
    return Reply(text, [section(text)])


def items_reply(items: Sequence[FeedbackView], locale: str) -> Reply:
    title = t(locale, "feedback.recent_title")
    blocks: list[Block] = [section(f"*{title}*")]
    if not items:
        blocks.append(section(t(locale, "feedback.none")))
    for item in items[:MAX_ITEMS_SHOWN]:
        blocks.append(section(item_line(item, locale)))
    blocks.append(context(t(locale, "feedback.hint")))
    return Reply(title, blocks)


def themes_reply(themes: Sequence[ThemeView], locale: str) -> Reply:
    title = t(locale, "feedback.themes.title")
    lines = [t(locale, "feedback.themes.line", name=escape_mrkdwn(theme.name), words=escape_mrkdwn(", ".join(theme.words[:8])))
             for theme in themes]  # fmt: skip
    blocks: list[Block] = [section(f"*{title}*"), section("\n".join(lines) or t(locale, "feedback.themes.none"))]
    blocks.append(context(t(locale, "feedback.themes.hint")))
    return Reply(title, blocks)


def theme_added_reply(theme: ThemeView, locale: str) -> Reply:
    text = t(locale, "feedback.themes.added", name=escape_mrkdwn(theme.name), words=escape_mrkdwn(", ".join(theme.words)))
    return Reply(text, [section(text)])


def theme_removed_reply(theme: ThemeView, locale: str) -> Reply:
    text = t(locale, "feedback.themes.removed", name=escape_mrkdwn(theme.name))
    return Reply(text, [section(text)])


# The message shortcut's form ----------------------------------------------------------------------------


def form_modal(
    *, quote: str, teams: Sequence[tuple[int, str]], themes: Sequence[ThemeView], suggested: Sequence[str], metadata: str, locale: str,
) -> dict[str, Any]:
    """Team, source, optional score 0–10 and themes (the words' suggestion preselected), under
    the message as it will be stored (personal data already removed)."""
    team_options = [kit.option(text=name, value=str(team_id)) for team_id, name in teams]
    source_options = [kit.option(text=t(locale, f"feedback.source.{source}"), value=source) for source in FORM_SOURCES]
    score_options = [kit.option(text=str(score), value=str(score)) for score in range(10, -1, -1)]
    theme_options = [kit.option(text=theme.name, value=theme.key) for theme in themes]
    blocks: list[Block] = [
        section(t(locale, "feedback.form.quote", text=escape_mrkdwn(truncate(quote, 2500)))),
        kit.input_block(block_id=TEAM, label=t(locale, "feedback.form.team"),
                        element=kit.static_select(action_id=VALUE, options=team_options, initial=team_options[0]["value"])),
        kit.input_block(block_id=SOURCE, label=t(locale, "feedback.form.source"),
                        element=kit.static_select(action_id=VALUE, options=source_options, initial=source_options[-1]["value"])),
        kit.input_block(block_id=SCORE, label=t(locale, "feedback.form.score"), element=kit.static_select(action_id=VALUE, options=score_options),
                        optional=True),
    ]  # fmt: skip
    if theme_options:
        blocks.append(kit.input_block(block_id=THEMES, label=t(locale, "feedback.form.themes"),
                                      element=kit.multi_static_select(action_id=VALUE, options=theme_options, initial=suggested), optional=True))
    blocks.append(context(t(locale, "feedback.form.privacy")))
    return kit.modal(callback_id=FORM_VIEW, private_metadata=metadata, title=t(locale, "feedback.form.title"),
                     submit=t(locale, "feedback.form.submit"), close=t(locale, "feedback.form.cancel"), blocks=blocks)
