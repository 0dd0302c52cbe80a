"""A person's App Home as a Block Kit `home` view: pure functions of `services.home.Home`.

    header and intro                       the person's language (their Slack locale, else the workspace's)
    the week's KPIs of every team below as one native table (when the workspace's Slack takes it)
    per team (at most MAX_TEAMS):          the team's language and way of writing numbers
      name · <#channel> · the person's roles
      the week's primary and supporting KPIs (the weekly agenda's lines: value, against the week
      before, against the agreed target)
      every SLA commitment in one line, and "nothing waits for you" when that is so
      breaches waiting for the person's acknowledgement, each with **Acknowledge**
      the person's key results, each with progress and **Check in**
      the agreed glossary: name and a short definition
    the other teams by name and channel, and the hint to `/alinea ayuda`

Native blocks: Slack's surfaces data (https://docs.slack.dev/blocks.json, shown as the "Surfaces"
column of https://docs.slack.dev/reference/block-kit/blocks) lists the table block in "Messages"
and "Home tabs", and the data visualization block in "Messages" only. So the Home carries the
agenda's KPI table (`agenda_kpis.kpi_table_rows`) and no chart: the primary KPI's trend stays in
the channel's agendas and in `/alinea kpi show`. Slack gives a limit of one table for a message
and none for a view, so the Home holds one table, every team's rows with the team's name first,
and keeps the KPI lines, which say the same numbers for screen readers and for a Slack that does
not draw the table. `native=False` (the workspace's Slack refused native blocks) leaves it out.

Slack takes at most 100 blocks in a Home view. Each section has its budget (MAX_BREACHES,
MAX_KRS, MAX_SLA_LINES, MAX_TERMS per team, MAX_TEAMS teams), and what does not fit is counted
in an "… and N more" line with the command that shows it all; `_within` is the last guard.

The buttons are the ones the channel messages carry (same action ids and values), so the
existing handlers answer them. A Home view has no channel: each button's block_id names its
team's channel (`block_id()`), which `commands.runner` reads (`channel_of_block()`) to find the
team, so the modal the button opens belongs to that team and its result is posted there.

Whatever a person typed (team and KPI names, KR metrics, glossary names and definitions) is
escaped, so `<!channel>` or `<@U…>` in it shows as text and pings nobody; the table's cells are
raw text, which Slack shows as typed and never reads as a mention.
"""

from __future__ import annotations

from typing import Any

from bot.blocks import Block, context, divider, escape_mrkdwn, header, kit, section, truncate
from bot.blocks.agenda_kpis import kpi_line, kpi_table_header, kpi_table_rows
from bot.blocks.agenda_layout import KPI_TABLE_ALIGN
from bot.blocks.agenda_okr import kr_text
from bot.blocks.agenda_sla import commitment_lines
from bot.blocks.kpi import display
from bot.blocks.native import table_block
from domain.locales import TeamLocale, team_locale
from bot.blocks.okr import CHECKIN_OPEN, goal_text, value_text
from bot.blocks.sla_breach import ACKNOWLEDGE, promise_text
from domain.periods import format_period
from services import home as home_service
from services.home import Home, TeamHome
from services.i18n import t
from services.okr import KeyResultView
from services.sla_breaches import BreachView

MAX_BLOCKS = 100  # Slack's limit for a Home view
MAX_TEAMS = home_service.MAX_TEAMS
MAX_BREACHES = 3  # per team, each a block with its button
MAX_KRS = 4  # per team, each a block with its button
MAX_SLA_LINES = 6
MAX_TERMS = 6
DEFINITION_LIMIT = 120
LINE_LIMIT = 480
BLOCK_PREFIX = "home"
KPI_TABLE = "home-kpi-table"  # no "/": names no team (see `channel_of_block`)
_SEPARATOR = "/"


# Block ids: the team's channel rides in them ----------------------------------------------------------


def block_id(channel_id: str, kind: str, key: object) -> str:
    """"home/C0TEAM/ack/12": unique in the view, and names the team the button acts in."""
    return _SEPARATOR.join((BLOCK_PREFIX, channel_id, kind, str(key)))


def channel_of_block(value: str | None) -> str | None:
    """The channel a Home block names (see `block_id`), or None for any other block id."""
    parts = (value or "").split(_SEPARATOR)
    if len(parts) >= 3 and parts[0] == BLOCK_PREFIX and parts[1]:
        return parts[1]
    return None


# Pieces ---------------------------------------------------------------------------------------------


def _more(count: int, language: str, message_id: str, **params: Any) -> str:
    return t(language, message_id, count=count, **params)


def _oneline(text: str) -> str:
    return " ".join(text.split())


def team_title(team: TeamHome) -> str:
    language = team.locale
    lines = [f"*{escape_mrkdwn(team.name)}* · <#{team.channel_id}>"]
    if team.roles:
        roles = ", ".join(t(language, f"home.ui.role.{role.value}") for role in team.roles)
        lines.append(t(language, "home.ui.team.roles", roles=roles))
    else:
        lines.append(t(language, "home.ui.team.no_role"))
    return "\n".join(lines)


def kpi_text(team: TeamHome, where: TeamLocale) -> str:
    """The weekly agenda's KPI lines for the last complete week."""
    language = where.language
    lines = [t(language, "home.ui.kpis.title", period=format_period(team.reported, language))]
    if team.primary is not None:
        lines += [t(language, "agenda.ui.kpis.primary"), kpi_line(team.primary, where, kind="week")]
    else:
        lines.append(t(language, "agenda.ui.kpis.no_primary"))
    if team.supporting:
        lines.append(t(language, "agenda.ui.kpis.supporting"))
        lines += [f"• {kpi_line(fact, where, kind='week')}" for fact in team.supporting]
    elif team.primary is not None:
        lines.append(t(language, "agenda.ui.kpis.no_supporting"))
    return "\n".join(truncate(line, LINE_LIMIT) for line in lines)


def sla_text(team: TeamHome, where: TeamLocale) -> str:
    """Each commitment in one line (the agenda's words, joined), then whether anything waits."""
    language = where.language
    lines = [t(language, "home.ui.sla.title")]
    if not team.sla:
        lines.append(t(language, "agenda.ui.sla.none"))
        return "\n".join(lines)
    lines += [truncate(" · ".join(commitment_lines(row, where)), LINE_LIMIT) for row in team.sla[:MAX_SLA_LINES]]
    if len(team.sla) > MAX_SLA_LINES:
        lines.append(_more(len(team.sla) - MAX_SLA_LINES, language, "home.ui.sla.more", channel=team.channel_id))
    if not team.to_acknowledge:
        lines.append(t(language, "home.ui.ack.none"))
    return "\n".join(lines)


def breach_text(view: BreachView, where: TeamLocale) -> str:
    language = where.language
    head = t(language, "agenda.ui.breach.head", breach=view.label, sla=view.version.label,
             period=format_period(view.period, language), value=display(view.value, view.version.spec, where))  # fmt: skip
    lines = [head, t(language, "sla.ui.breach.promised", promise=promise_text(view.version, where))]
    if view.step.value == "escalated":
        lines.append(t(language, "agenda.ui.breach.escalated"))
    return "\n".join(truncate(line, LINE_LIMIT) for line in lines)


def key_result_text(kr: KeyResultView, where: TeamLocale) -> str:
    """The agenda's KR lines (heading, progress bar, expected, status) and where it stands now."""
    current = value_text(kr.current.value, kr, where) if kr.current is not None else t(where.language, "okr.ui.kr.no_value")
    now = t(where.language, "okr.ui.kr.now", current=current, goal=goal_text(kr, where))
    return truncate(f"{kr_text(kr, where)}\n   {now}", LINE_LIMIT * 2)


def glossary_text(team: TeamHome, where: TeamLocale) -> str:
    language = where.language
    if not team.glossary:
        return "\n".join([t(language, "home.ui.glossary.title", count=0), t(language, "home.ui.glossary.none")])
    lines = [t(language, "home.ui.glossary.title", count=len(team.glossary))]
    for entry in team.glossary[:MAX_TERMS]:
        name = escape_mrkdwn(truncate(_oneline(entry.name), 80))
        definition = escape_mrkdwn(truncate(_oneline(entry.definition), DEFINITION_LIMIT))
        lines.append(f"• *{name}* — {definition}")
    if len(team.glossary) > MAX_TERMS:
        lines.append(_more(len(team.glossary) - MAX_TERMS, language, "home.ui.glossary.more"))
    return "\n".join(lines)


def _with_button(text: str, element: dict[str, Any], block: str) -> Block:
    block_ = section(text)
    block_["block_id"] = block
    block_["accessory"] = element
    return block_


# A team ---------------------------------------------------------------------------------------------


def team_blocks(team: TeamHome) -> list[Block]:
    """At most 16 blocks: divider, title, KPIs, SLA, breaches (heading, 3, more), KRs (heading, 4, more), glossary."""
    where = team_locale(team)
    language = where.language
    blocks: list[Block] = [divider(), section(team_title(team)), section(kpi_text(team, where)), section(sla_text(team, where))]
    if team.to_acknowledge:
        blocks.append(section(t(language, "home.ui.ack.title", count=len(team.to_acknowledge))))
        for view in team.to_acknowledge[:MAX_BREACHES]:
            ack = kit.button(text=t(language, "sla.ui.breach.acknowledge"), action_id=ACKNOWLEDGE, value=str(view.id), style="primary")
            blocks.append(_with_button(breach_text(view, where), ack, block_id(team.channel_id, "ack", view.id)))
        if len(team.to_acknowledge) > MAX_BREACHES:
            blocks.append(context(_more(len(team.to_acknowledge) - MAX_BREACHES, language, "home.ui.ack.more", channel=team.channel_id)))
    if team.key_results:
        blocks.append(section(t(language, "home.ui.krs.title", count=len(team.key_results))))
        for kr in team.key_results[:MAX_KRS]:
            checkin = kit.button(text=t(language, "okr.ui.checkin.button"), action_id=CHECKIN_OPEN, value=str(kr.result.number))
            blocks.append(_with_button(key_result_text(kr, where), checkin, block_id(team.channel_id, "kr", kr.result.number)))
        if len(team.key_results) > MAX_KRS:
            blocks.append(context(_more(len(team.key_results) - MAX_KRS, language, "home.ui.krs.more", channel=team.channel_id)))
    blocks.append(section(glossary_text(team, where)))
    return blocks


# The KPI table ---------------------------------------------------------------------------------------


def kpi_table(teams: tuple[TeamHome, ...], language: str) -> Block | None:
    """One native table of every team's weekly KPIs (the rows the agenda's table has, each team's
    in its own way of writing numbers), the team's name first when there are several teams; the
    header in the person's language. None when no team has a KPI to show."""
    several = len(teams) > 1
    rows: list[tuple[str, ...]] = []
    for team in teams:
        facts = [fact for fact in (team.primary, *team.supporting) if fact is not None]
        for row in kpi_table_rows(facts, team_locale(team))[1:]:
            rows.append((team.name, *row) if several else row)
    if not rows:
        return None
    header = kpi_table_header(language)
    align = KPI_TABLE_ALIGN
    if several:
        header, align = (t(language, "home.native.table.team"), *header), ("left", *align)
    return table_block([header, *rows], align=align, block_id=KPI_TABLE)


# The view -------------------------------------------------------------------------------------------


def _within(blocks: list[Block], language: str) -> list[Block]:
    """The last guard of Slack's 100 blocks (the budgets above keep well under it)."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 1]
    return [*kept, context(_more(len(blocks) - len(kept), language, "home.ui.more_blocks"))]


def _other_teams(home: Home, language: str) -> str:
    listed = ", ".join(f"*{escape_mrkdwn(ref.name)}* <#{ref.channel_id}>" for ref in home.more_teams)
    return truncate(t(language, "home.ui.more_teams", count=len(home.more_teams), teams=listed), 2000)


def welcome_blocks(language: str) -> list[Block]:
    """A person without a team: what Alinea does and how to start."""
    return [
        header(t(language, "home.ui.welcome.title")),
        section(t(language, "home.ui.welcome.intro")),
        section(t(language, "home.ui.welcome.setup")),
        section(t(language, "home.ui.welcome.help")),
    ]


def home_blocks(home: Home, *, language: str, native: bool = True) -> list[Block]:
    """The Home's blocks; `native=False` without the KPI table (its numbers are in the KPI lines)."""
    if home.empty:
        return welcome_blocks(language)
    blocks: list[Block] = [header(t(language, "home.ui.title")), context(t(language, "home.ui.intro"))]
    table = kpi_table(home.teams[:MAX_TEAMS], language) if native else None
    if table is not None:  # first: every team's numbers at a glance, and never past the 100 blocks
        blocks.append(table)
    for team in home.teams[:MAX_TEAMS]:
        blocks += team_blocks(team)
    if home.more_teams:
        blocks += [divider(), context(_other_teams(home, language))]
    blocks.append(context(t(language, "home.ui.footer")))
    return _within(blocks, language)


def home_view(home: Home, *, language: str, native: bool = True) -> dict[str, Any]:
    """The `view` argument of views.publish."""
    return {"type": "home", "blocks": home_blocks(home, language=language, native=native)}


def error_view(text: str) -> dict[str, Any]:
    """What the Home says when it could not be built (the error's short text, already mrkdwn)."""
    return {"type": "home", "blocks": [section(text)]}
