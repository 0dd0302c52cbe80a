"""`/alinea kpi …` and the top-level `/alinea registrar …`:

    kpi templates | plantillas          enable the starter set of e-commerce KPIs
    kpi new KEY "Name" unit % …  | nuevo one line (see domain.kpis.parse_kpi_new)
    kpi list | lista                    the catalog
    kpi log KEY VALUE [for PERIOD] [note] | registrar
    kpi undo | deshacer                 take back your own last entry
    kpi show KEY | ver                  recent weeks, with a chart
    kpi primary KEY | principal         kpi support KEY [KEY] | apoyo
    kpi import | importar               a spreadsheet (commands/kpi_import.py)
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.alerts import post_pending
from bot.blocks import Reply
from bot.blocks import kpi as form
from bot.blocks.native import chart_block
from bot.blocks.kpi import (
    catalog_reply,
    created_reply,
    recorded_reply,
    roles_reply,
    show_reply,
    shown,
    templates_reply,
    new_kpi_modal,
    undone_reply,
)
from domain.locales import TeamLocale, team_locale
from commands import kpi_import
from commands.context import CommandRequest, FieldErrors, Interaction, dispatch_subword, modal_metadata, team_of
from commands.modal_state import Submitted
from db.session import read_only
from domain.errors import UserError
from domain.kpis import KpiSpec, check_unit, parse_kpi_new, validate_key, validate_spec
from domain.numbers import parse_quantity
from domain.periods import Period, local_date, parse_period, split_for_period
from services import charts, kpis, native_blocks
from services.charts import ChartData, Series
from services.i18n import t

logger = logging.getLogger(__name__)

ACTIONS = {
    "templates": "templates", "plantillas": "templates", "new": "new", "nuevo": "new", "list": "list", "lista": "list",
    "log": "log", "registrar": "log", "undo": "undo", "deshacer": "undo", "show": "show", "ver": "show",
    "mostrar": "show", "primary": "primary", "principal": "primary", "support": "support", "apoyo": "support",
    "import": "import", "importar": "import",
}
WEEKS_SHOWN = 8


def handle(request: CommandRequest) -> Reply | None:
    return dispatch_subword(request, ACTIONS, HANDLERS, usage_id="kpi.ui.usage")



def templates(request: CommandRequest, _rest: str) -> Reply:
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        added = kpis.enable_starter_set(session, team=team, actor=request.user_id, now=request.now, language=team.locale)
        return templates_reply(added, team_locale(team))


def new(request: CommandRequest, rest: str) -> Reply | None:
    if not rest:
        return open_new_form(request)
    spec = parse_kpi_new(rest)
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        view = kpis.create(session, team=team, spec=spec, actor=request.user_id, now=request.now, language=team.locale)
        return created_reply(view, team_locale(team))


def open_new_form(request: CommandRequest) -> None:
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        keys = [view.key for view in kpis.catalog(session, team=team)]
        language = team.locale
    metadata = modal_metadata(channel_id=request.channel_id, locale=language)
    request.client.views_open(trigger_id=request.trigger_id, view=new_kpi_modal(language, existing_keys=keys, metadata=metadata))


# Which field of the form each problem belongs beside.
FORM_ERRORS = {
    "kpi.invalid_key": form.KEY, "kpi.name_missing": form.NAME, "kpi.name_too_long": form.NAME,
    "kpi.invalid_currency": form.CURRENCY, "kpi.term_too_long": form.TERM, "kpi.parts_without_rate": form.AGGREGATION,
    "kpi.rate_needs_parts": form.NUMERATOR, "kpi.rate_refers_to_itself": form.NUMERATOR, "kpi.rate_same_parts": form.DENOMINATOR,
}


def read_new_form(state: Submitted, _metadata: dict) -> KpiSpec:
    """Pure: the form's state -> a validated KpiSpec, or the problems beside their fields."""
    typed, chosen = state.text, state.selected
    try:
        name = typed(form.NAME)
        spec = KpiSpec(
            key=validate_key(typed(form.KEY)), name_es=name, name_en=name, unit=chosen(form.UNIT) or "count",
            direction=chosen(form.DIRECTION) or "higher", aggregation=chosen(form.AGGREGATION) or "sum",
            side=chosen(form.SIDE) or "both", term=typed(form.TERM) or None, currency=(typed(form.CURRENCY) or "COP").upper(),
            numerator=chosen(form.NUMERATOR), denominator=chosen(form.DENOMINATOR),
        )
        validate_spec(spec)
    except UserError as error:
        block = FORM_ERRORS.get(error.message_id, form.NUMERATOR if form.NUMERATOR in state else form.AGGREGATION)
        raise FieldErrors({block: (error.message_id, dict(error.params))}) from None
    return spec


def submit_new(interaction: Interaction) -> Reply:
    with interaction.unit_of_work() as session:
        team = team_of(session, interaction.scope)
        view = kpis.create(session, team=team, spec=interaction.value, actor=interaction.user_id, now=interaction.now, language=team.locale)
        return created_reply(view, team_locale(team))


def catalog(request: CommandRequest, _rest: str) -> Reply:
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        return catalog_reply(kpis.catalog(session, team=team), team_locale(team))


def log(request: CommandRequest, rest: str) -> Reply:
    """`KEY VALUE [for PERIOD] [note]`: the value is read the team's way and echoed as understood."""
    key, _, after_key = rest.strip().partition(" ")
    if not key or not after_key.strip():
        raise UserError("kpi.ui.log_usage")
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        spec = kpis.find(session, team=team, key=key).spec
        where = team_locale(team)
    quantity, remainder = parse_quantity(after_key, language=where.language, country=where.country, currency=spec.currency)
    check_unit(spec, quantity.unit, language=where.language)
    note, period_text = split_for_period(remainder)
    today = local_date(request.now, where.timezone)
    period = parse_period(period_text, today=today, language=where.language) if period_text else Period.day(today)
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        result = kpis.record(
            session, team=team, key=key, value=quantity.value, shown=quantity.text,
            period=period, source="slack", actor=request.user_id, note=note.strip(), now=request.now,
        )
        team_id = team.id
    if result.alerts:  # after the commit: the episodes are claimed, the posts may follow
        post_pending(request.runtime.session_factory, request.client, team_id=team_id)
    return recorded_reply(result, where, typed=quantity.text, note=note.strip())


def log_top_level(request: CommandRequest) -> Reply:
    return log(request, request.args)


def undo(request: CommandRequest, _rest: str) -> Reply:
    with request.unit_of_work() as session:
        team = team_of(session, request.scope)
        view, period, restored = kpis.undo_last(session, team=team, actor=request.user_id, now=request.now)
        return undone_reply(view, period, restored, team_locale(team))


def set_role(role: str):
    def handler(request: CommandRequest, rest: str) -> Reply:
        keys = [key for key in rest.replace(",", " ").split() if key]
        with request.unit_of_work() as session:
            team = team_of(session, request.scope)
            views = kpis.set_roles(session, team=team, role=role, keys=keys, actor=request.user_id, now=request.now)
            return roles_reply(views, role, team_locale(team))

    return handler


def show(request: CommandRequest, rest: str) -> Reply:
    key = rest.strip().split(" ")[0] if rest.strip() else ""
    if not key:
        raise UserError("kpi.ui.show_usage")
    with read_only(request.runtime.session_factory) as session:
        team = team_of(session, request.scope)
        where = team_locale(team)
        view = kpis.find(session, team=team, key=key)
        this_week = Period.week_of(local_date(request.now, where.timezone))
        periods = [this_week]
        for _ in range(WEEKS_SHOWN - 1):
            periods.insert(0, periods[0].previous())
        points = kpis.series(session, team=team, key=view.key, periods=periods)
        native = native_blocks.allowed(session, workspace_id=team.workspace_id, now=request.now)
    if not any(p.value is not None for p in points):
        return show_reply(view, points, where, chart_file_id=None)
    if native:  # Slack draws it: nothing to render or upload (its numbers are in the reply's text)
        return show_reply(view, points, where, chart_file_id=None, chart=trend_block(view, points))
    return show_reply(view, points, where, chart_file_id=upload_chart(request, view, points, where))


def trend_block(view, points) -> dict | None:
    labels = [f"S{p.period.start.isocalendar().week}" for p in points]
    values = [float(p.value) if p.value is not None else None for p in points]
    return chart_block(ChartData("line", view.name, labels, [Series(view.name, values)]), block_id="kpi-show-chart")


def upload_chart(request: CommandRequest, view, points, where: TeamLocale) -> str | None:
    """Render and upload the trend privately; a chart that fails leaves the text, never the reply."""
    changes = [i for i in range(1, len(points)) if points[i].definition_version not in (None, points[i - 1].definition_version)
               and points[i - 1].definition_version is not None]
    trend = charts.Trend(
        title=view.name, labels=[f"S{p.period.start.isocalendar().week}" for p in points],
        values=[p.value for p in points], format_value=lambda value: shown(value, view.spec, where),
        definition_changes=changes, definition_label=t(where.language, "kpi.ui.chart.new_definition"),
    )
    try:
        png = charts.trend_png(trend)
        upload = request.client.files_upload_v2(content=png, filename=f"{view.key}.png", title=view.name)
        return upload["file"]["id"]
    except (SlackApiError, SlackClientError, OSError, ValueError, KeyError):
        logger.warning("could not render or upload the chart of %s", view.key, exc_info=True)
        return None


def start_import(request: CommandRequest, _rest: str) -> Reply | None:
    return kpi_import.open_import(request)


HANDLERS = {
    "templates": templates, "new": new, "list": catalog, "log": log, "undo": undo, "show": show,
    "primary": set_role("primary"), "support": set_role("support"), "import": start_import,
}
