"""KPI replies as Block Kit: what was recorded (echoed as understood), the catalog, a KPI's trend."""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from bot.blocks import Block, Reply, context, escape_mrkdwn, header, kit, section
from domain.kpis import Direction, KpiSpec, Unit
from domain.locales import TeamLocale
from domain.number_format import display_quantity, format_quantity
from domain.number_style import HOURS, PERCENT
from domain.periods import Period, format_period
from services.i18n import t
from services.kpis import KpiView, Point, StoredValue

CHART_ALT_LIMIT = 2000


def quantity_unit(spec: KpiSpec) -> str | None:
    """The unit a value of this KPI is written with (what parse/format_quantity call a unit)."""
    return {Unit.PERCENT: PERCENT, Unit.HOURS: HOURS, Unit.CURRENCY: spec.currency}.get(spec.unit)


def shown(value: Decimal, spec: KpiSpec, team: TeamLocale) -> str:
    decimals = 0 if spec.unit is Unit.CURRENCY and spec.currency == "COP" and value == value.to_integral_value() else None
    return format_quantity(
        value, quantity_unit(spec), language=team.language, country=team.country, currency=spec.currency, decimals=decimals
    )


def display(value: Decimal, spec: KpiSpec, team: TeamLocale) -> str:
    """A computed value of the KPI (an average, a gap, a target): two decimals at most."""
    return display_quantity(value, quantity_unit(spec), language=team.language, country=team.country, currency=spec.currency)


def recorded_reply(result: StoredValue, team: TeamLocale, *, typed: str, note: str) -> Reply:
    language = team.language
    value = shown(result.value, result.kpi.spec, team)
    params = {"name": escape_mrkdwn(result.kpi.name), "key": result.kpi.key, "value": value,
              "period": format_period(result.period, language)}
    lines = [t(language, f"kpi.ui.logged.{result.outcome}", **params)]
    lines.append(t(language, "kpi.ui.logged.understood", typed=escape_mrkdwn(typed), value=value))
    if result.previous is not None and result.outcome == "replaced":
        lines.append(t(language, "kpi.ui.logged.previous", value=shown(result.previous, result.kpi.spec, team)))
    if note:
        lines.append(t(language, "kpi.ui.logged.note", note=escape_mrkdwn(note)))
    if result.definition_version is not None and result.kpi.term:
        lines.append(t(language, "kpi.ui.logged.definition", term=escape_mrkdwn(result.kpi.term), number=result.definition_version))
    lines.append(t(language, "kpi.ui.logged.undo_hint"))
    return Reply(lines[0], [section(lines[0]), context("\n".join(lines[1:]))])


def _describe(view: KpiView, language: str) -> str:
    spec = view.spec
    unit = spec.currency if spec.unit is Unit.CURRENCY else t(language, f"kpi.ui.unit.{spec.unit.value}")
    better = t(language, "kpi.ui.better_higher" if spec.direction is Direction.HIGHER else "kpi.ui.better_lower")
    role = f" · {t(language, f'kpi.ui.role.{view.role}')}" if view.role else ""
    term = f" · {t(language, 'kpi.ui.counts', term=escape_mrkdwn(view.term))}" if view.term else ""
    return f"`{view.key}` {escape_mrkdwn(view.name)} — {unit}, {better}{role}{term}"


def catalog_reply(views: Sequence[KpiView], team: TeamLocale) -> Reply:
    language = team.language
    if not views:
        text = t(language, "kpi.ui.catalog.empty")
        return Reply(text, [section(text)])
    lines = [_describe(view, language) for view in views]
    blocks: list[Block] = [header(t(language, "kpi.ui.catalog.title", count=len(views)))]
    chunk: list[str] = []
    for line in lines:  # several KPIs per section, within Slack's 3,000 characters
        if sum(len(item) + 1 for item in chunk) + len(line) > 2800:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    blocks.append(section("\n".join(chunk)))
    blocks.append(context(t(language, "kpi.ui.catalog.hint")))
    return Reply(t(language, "kpi.ui.catalog.title", count=len(views)), blocks[:50])


def templates_reply(added: Sequence[KpiView], team: TeamLocale) -> Reply:
    language = team.language
    if not added:
        text = t(language, "kpi.ui.templates.none")
        return Reply(text, [section(text)])
    text = t(language, "kpi.ui.templates.added", count=len(added))
    return Reply(text, [section(text), section("\n".join(_describe(view, language) for view in added)[:2900]),
                        context(t(language, "kpi.ui.templates.hint"))])


def created_reply(view: KpiView, team: TeamLocale) -> Reply:
    text = t(team.language, "kpi.ui.created", key=view.key)
    return Reply(text, [section(text), section(_describe(view, team.language)), context(t(team.language, "kpi.ui.created_hint", key=view.key))])


def roles_reply(views: Sequence[KpiView], role: str, team: TeamLocale) -> Reply:
    names = ", ".join(f"`{view.key}`" for view in views)
    text = t(team.language, f"kpi.ui.roles.{role}", keys=names)
    return Reply(text, [section(text)])


def undone_reply(view: KpiView, period: Period, restored: Decimal | None, team: TeamLocale) -> Reply:
    params = {"name": escape_mrkdwn(view.name), "period": format_period(period, team.language)}
    if restored is None:
        text = t(team.language, "kpi.ui.undone.removed", **params)
    else:
        text = t(team.language, "kpi.ui.undone.restored", value=shown(restored, view.spec, team), **params)
    return Reply(text, [section(text)])


def trend_lines(view: KpiView, points: Sequence[Point], team: TeamLocale) -> list[str]:
    """Every period with its number as text: phones, screen readers and search need them."""
    lines, previous_version = [], None
    for point in points:
        value = shown(point.value, view.spec, team) if point.value is not None else t(team.language, "kpi.ui.show.no_data")
        line = f"{format_period(point.period, team.language)}: *{value}*"
        if point.definition_version is not None and previous_version is not None and point.definition_version != previous_version:
            line += " " + t(team.language, "kpi.ui.show.new_definition", number=point.definition_version)
        if point.definition_version is not None:
            previous_version = point.definition_version
        lines.append(line)
    return lines


def show_reply(view: KpiView, points: Sequence[Point], team: TeamLocale, *, chart_file_id: str | None, chart: Block | None = None) -> Reply:
    """`chart`: the trend as Slack's own chart block; `chart_file_id`: as an uploaded PNG."""
    language = team.language
    title = f"{view.name} ({view.key})"
    blocks: list[Block] = [header(title), section(_describe(view, language))]
    if chart is not None:
        blocks.append(chart)
    elif chart_file_id:
        alt = "; ".join(trend_lines(view, points, team))[:CHART_ALT_LIMIT]
        blocks.append({"type": "image", "slack_file": {"id": chart_file_id}, "alt_text": alt})
    if all(point.value is None for point in points):
        blocks.append(section(t(language, "kpi.ui.show.empty", key=view.key)))
    else:
        blocks.append(section("\n".join(trend_lines(view, points, team))))
    blocks.append(context(t(language, "kpi.ui.show.hint", key=view.key)))
    return Reply(escape_mrkdwn(title), blocks)


# The "new KPI" form ------------------------------------------------------------------------------

NEW_VIEW = "kpi-new"
KEY, NAME, UNIT, CURRENCY, DIRECTION = "kpi-new-key", "kpi-new-name", "kpi-new-unit", "kpi-new-currency", "kpi-new-direction"
AGGREGATION, NUMERATOR, DENOMINATOR, SIDE, TERM = (
    "kpi-new-aggregation", "kpi-new-numerator", "kpi-new-denominator", "kpi-new-side", "kpi-new-term",
)
VALUE = "value"  # every input's action id; the block id names the field


def _choice(block_id: str, label: str, options: list[tuple[str, str]], *, initial: str | None, optional: bool = False) -> Block:
    element = kit.static_select(action_id=VALUE, options=[kit.option(text=text, value=value) for text, value in options], initial=initial)
    return kit.input_block(block_id=block_id, label=label, element=element, optional=optional)


def _typed(block_id: str, label: str, *, placeholder: str, optional: bool = False, max_length: int = 60) -> Block:
    element = kit.plain_text_input(action_id=VALUE, max_length=max_length, placeholder=placeholder)
    return kit.input_block(block_id=block_id, label=label, element=element, optional=optional)


def new_kpi_modal(language: str, *, existing_keys: Sequence[str], metadata: str) -> dict:
    def label(name: str) -> str:
        return t(language, f"kpi.ui.form.{name}")

    units = [(t(language, f"kpi.ui.unit.{unit}"), unit) for unit in ("count", "percent", "hours", "ratio")]
    units.append((t(language, "kpi.ui.unit.currency"), "currency"))
    parts = [(key, key) for key in existing_keys][:100]
    blocks = [
        _typed(KEY, label("key"), placeholder="ventas_kits", max_length=40),
        _typed(NAME, label("name"), placeholder=t(language, "kpi.ui.form.name_placeholder")),
        _choice(UNIT, label("unit"), units, initial="count"),
        _typed(CURRENCY, label("currency"), placeholder="COP", optional=True, max_length=3),
        _choice(DIRECTION, label("direction"), [(t(language, "kpi.ui.better_higher"), "higher"), (t(language, "kpi.ui.better_lower"), "lower")], initial="higher"),
        _choice(AGGREGATION, label("aggregation"), [(t(language, f"kpi.ui.form.aggregation.{a}"), a) for a in ("sum", "average", "last", "rate")], initial="sum"),
    ]
    if parts:  # a rate divides two KPIs the team already has
        blocks += [_choice(NUMERATOR, label("numerator"), parts, initial=None, optional=True),
                   _choice(DENOMINATOR, label("denominator"), parts, initial=None, optional=True)]
    blocks += [
        _choice(SIDE, label("side"), [(t(language, f"kpi.ui.form.side.{s}"), s) for s in ("marketing", "sales", "both")], initial="both"),
        _typed(TERM, label("term"), placeholder="MQL", optional=True, max_length=60),
    ]
    return kit.modal(callback_id=NEW_VIEW, private_metadata=metadata, title=label("title"), submit=label("create"),
                     close=label("cancel"), blocks=blocks)
