"""How an agenda is posted: the parent, one reply with the details, one reply with the charts.

Slack lets a bot post about one message per second in a channel, and every reply notifies the
thread's followers: three messages instead of eight (plus an upload per chart) make a weekly
agenda post in about three seconds and ping people twice. So:

- **details** (the thread's first reply): every section of the agenda (`AgendaMessages.parts`,
  in reading order: KPIs with their native table, the week in brief with its buttons, SLA and
  open breaches, OKR progress, changes, last week's experiment, topics, the plan) separated by
  dividers. Each section's first block carries the block_id `agenda-part-<name>`, so a button
  that redraws one section (the week in brief's Adopt) replaces only its blocks, and a reader of
  the thread (the agenda's self-consistency check) can split it again. When the sections do not
  fit one message (50 blocks, one table, two charts), the rest goes in `details-2`, `details-3`…:
  nothing is dropped.
- **charts**: the first two charts (the primary KPI's trend with its target, SLA attainment) as
  native `data_visualization` blocks, each with its numbers in a context line. A third chart (OKR
  progress) is drawn in the details beside its section: Slack takes two charts per message.
- When the workspace's Slack refuses native blocks (`native=False`), the same messages are posted
  without charts and tables (their numbers are in the text anyway) and the charts reply becomes
  one upload of every chart as a PNG (`charts` names the charts; the poster renders them).

The split into messages is computed with the native blocks in, in both modes, so a run that
switches to PNGs halfway (Slack refused a chart) posts the same sections under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from bot.blocks import Block, Reply, context, divider, section, truncate
from bot.blocks.agenda_pieces import MAX_BLOCKS, TEXT_LIMIT, AgendaMessages, Part
from domain.locales import TeamLocale
from bot.blocks.native import CHART, MAX_CHARTS_PER_MESSAGE, MAX_TABLES_PER_MESSAGE, TABLE, chart_block, count, table_block, without_native
from services.agenda_charts import Chart
from services.i18n import t

DETAILS = "details"
CHARTS = "charts"
SECTION_ID = "agenda-part-"
KPI_TABLE_ALIGN = ("left", "right", "right", "right", "left")


@dataclass(frozen=True)
class Thread:
    """What goes in the agenda's thread, in order: the details replies, then (when there are
    charts) the charts reply, whose `charts` are uploaded as PNGs when it has no native blocks."""

    parts: tuple[Part, ...]
    charts: tuple[Chart, ...]
    native: bool

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(part.name for part in self.parts)

    def part(self, name: str) -> Part:
        return next(part for part in self.parts if part.name == name)


def thread(agenda: AgendaMessages, charts: Sequence[Chart], where: TeamLocale, *, native: bool) -> Thread:
    in_reply, beside = list(charts[:MAX_CHARTS_PER_MESSAGE]), list(charts[MAX_CHARTS_PER_MESSAGE:])
    sections = [_section(part, agenda, beside) for part in agenda.parts]
    placed = {chart.name for chart in beside if chart.name in {part.name for part in agenda.parts}}
    leftover = [block for chart in beside if chart.name not in placed for block in _chart_blocks(chart)]
    if leftover and sections:
        sections[-1] = (sections[-1][0], [*sections[-1][1], *leftover])
    parts = []
    for index, packed in enumerate(_pack(sections)):
        name = DETAILS if index == 0 else f"{DETAILS}-{index + 1}"
        titles = " · ".join(title for title, _ in packed)
        text = titles if index == 0 else t(where.language, "agenda.native.details.continued", title=titles)
        blocks = [block for _, blocks in packed for block in blocks]
        parts.append(Part(name, Reply(truncate(text, TEXT_LIMIT), blocks if native else without_native(blocks))))
    if charts:
        parts.append(Part(CHARTS, charts_reply(in_reply if native else list(charts), where, native=native)))
    return Thread(tuple(parts), tuple(charts), native)


def charts_reply(charts: Sequence[Chart], where: TeamLocale, *, native: bool) -> Reply:
    """Native: a title and each chart with its numbers under it. PNG: the title as the upload's
    comment (each image carries its numbers as alt text)."""
    title = t(where.language, "agenda.native.charts.title")
    if not native:
        return Reply(title, [])
    blocks: list[Block] = [section(f"*{title}*")]
    for chart in charts:
        blocks += _chart_blocks(chart)
    return Reply(title, blocks)


def section_range(blocks: Sequence[Block], name: str) -> tuple[int, int] | None:
    """Where section `name` lies in a details message: [start, end), the divider before the next
    section left out; None when the message does not hold it."""
    marker = SECTION_ID + name
    start = next((index for index, block in enumerate(blocks) if block.get("block_id") == marker), None)
    if start is None:
        return None
    end = next((index for index in range(start + 1, len(blocks)) if str(blocks[index].get("block_id", "")).startswith(SECTION_ID)), len(blocks))
    if end < len(blocks) and end > start + 1 and blocks[end - 1].get("type") == "divider":
        end -= 1
    return start, end


def replace_section(blocks: Sequence[Block], name: str, new: Sequence[Block]) -> list[Block] | None:
    """The details message with section `name` redrawn as `new`; None when it is not there."""
    found = section_range(blocks, name)
    if found is None:
        return None
    start, end = found
    return [*blocks[:start], *marked(name, new), *blocks[end:]]


def sections_of(blocks: Sequence[Block]) -> dict[str, list[Block]]:
    """A details message split back into its sections, by name."""
    names = [str(block["block_id"]).removeprefix(SECTION_ID) for block in blocks if str(block.get("block_id", "")).startswith(SECTION_ID)]
    found = {}
    for name in names:
        start, end = section_range(blocks, name)
        found[name] = list(blocks[start:end])
    return found


def marked(name: str, blocks: Sequence[Block]) -> list[Block]:
    """The section's blocks with its marker on the first (or on a divider before it, when the
    first block has a block_id of its own that buttons rely on)."""
    blocks = [dict(block) for block in blocks]
    if blocks and "block_id" not in blocks[0]:
        blocks[0]["block_id"] = SECTION_ID + name
        return blocks
    return [{**divider(), "block_id": SECTION_ID + name}, *blocks]


def _section(part: Part, agenda: AgendaMessages, beside: Sequence[Chart]) -> tuple[str, list[Block]]:
    blocks = marked(part.name, part.reply.blocks)
    extra: list[Block] = []
    if part.name == "kpis" and len(agenda.kpi_rows) > 1:
        table = table_block(agenda.kpi_rows, align=KPI_TABLE_ALIGN, block_id="agenda-kpi-table")
        extra += [table] if table else []
    for chart in beside:
        if chart.name == part.name:
            extra += _chart_blocks(chart)
    if len(blocks) + len(extra) <= MAX_BLOCKS:  # a section that fills a message keeps its text, not its extras
        blocks += extra
    return part.reply.text, blocks


def _chart_blocks(chart: Chart) -> list[Block]:
    block = chart_block(chart.data, block_id=f"agenda-chart-{chart.name}") if chart.data is not None else None
    return [block, context(chart.alt)] if block is not None else [context(chart.alt)]


def _fits(blocks: Sequence[Block]) -> bool:
    return len(blocks) <= MAX_BLOCKS and count(blocks, TABLE) <= MAX_TABLES_PER_MESSAGE and count(blocks, CHART) <= MAX_CHARTS_PER_MESSAGE


def _pack(sections: Sequence[tuple[str, list[Block]]]) -> list[list[tuple[str, list[Block]]]]:
    """Sections in order into as few messages as fit; a divider between two sections."""
    messages: list[list[tuple[str, list[Block]]]] = [[]]
    for title, blocks in sections:
        current = messages[-1]
        joined = [divider(), *blocks] if current else blocks
        flat = [block for _, held in current for block in held]
        if current and not _fits([*flat, *joined]):
            messages.append([])
            joined = blocks
        messages[-1].append((title, joined))
    return [message for message in messages if message]
