"""Team setup: the modal and the configuration summary, as Block Kit."""

from __future__ import annotations

import re
from typing import Any

from bot.blocks import Block, context, fields_section, header, kit, mention, section
from services.formatting import day_name
from services.i18n import t

VIEW = "setup-modal"
CHANNEL, NAME = "setup-channel", "setup-name"
MARKETING, SALES, ADMINS = "setup-marketing", "setup-sales", "setup-admins"
TIMEZONE, LANGUAGE, COUNTRY = "setup-timezone", "setup-language", "setup-country"
WEEKLY_DAY, WEEKLY_TIME = "setup-weekly-day", "setup-weekly-time"
MONTHLY_NTH, MONTHLY_DAY, MONTHLY_TIME = "setup-monthly-nth", "setup-monthly-day", "setup-monthly-time"
LLM = "setup-llm"  # radio buttons: LLM_ON or LLM_OFF
LLM_ON, LLM_OFF = "on", "off"
VALUE = "value"  # the action id of every input element: the block id says which field it is

# Where our users are first; any other IANA zone works through the one-line form.
TIMEZONES = (
    "America/Bogota", "America/Mexico_City", "America/Lima", "America/Guayaquil", "America/Caracas",
    "America/La_Paz", "America/Santiago", "America/Argentina/Buenos_Aires", "America/Sao_Paulo",
    "America/Montevideo", "America/Asuncion", "America/Panama", "America/Costa_Rica", "America/Guatemala",
    "America/El_Salvador", "America/Tegucigalpa", "America/Managua", "America/Santo_Domingo",
    "America/Puerto_Rico", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
    "Europe/Madrid", "UTC",
)
COUNTRIES = (
    "CO", "MX", "PE", "EC", "VE", "BO", "CL", "AR", "BR", "UY", "PY", "PA", "CR", "GT", "SV", "HN", "NI",
    "DO", "PR", "US", "ES",
)
NTHS = (1, 2, 3, 4, -1)
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]+$")


def channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>" if _CHANNEL_ID.match(channel_id) else f"`{channel_id}`"


def people(user_ids: list[str], locale: str) -> str:
    return " ".join(mention(user_id) for user_id in user_ids) if user_ids else t(locale, "setup.ui.nobody")


def nth_label(nth: int, locale: str) -> str:
    return t(locale, "setup.ui.nth.last" if nth == -1 else f"setup.ui.nth.{nth}")


def summary_blocks(config: dict[str, Any], locale: str, *, notice: str | None = None, server_llm: bool = True) -> list[Block]:
    """`config` is services.teams.snapshot(); names and ids in it were stored by us.
    `server_llm` says whether this server has a model configured at all (Settings.llm_enabled)."""
    language = config["language"]
    weekly = f"{day_name(config['weekly_weekday'], locale)} {config['weekly_time']}"
    monthly = f"{nth_label(config['monthly_nth'], locale)} {day_name(config['monthly_weekday'], locale)} {config['monthly_time']}"
    blocks: list[Block] = [section(notice)] if notice else []
    blocks += [
        header(t(locale, "setup.ui.summary_title", name=config["name"])),
        fields_section([
            (t(locale, "setup.ui.channel"), channel_link(config["channel_id"])),
            (t(locale, "setup.ui.marketing_leads"), people(config["marketing_leads"], locale)),
            (t(locale, "setup.ui.sales_leads"), people(config["sales_leads"], locale)),
            (t(locale, "setup.ui.admins"), people(config["admins"], locale)),
            (t(locale, "setup.ui.timezone"), config["timezone"]),
            (t(locale, "setup.ui.language"), t(locale, f"setup.ui.language.{language}")),
            (t(locale, "setup.ui.country"), config["country"]),
            (t(locale, "setup.ui.weekly"), weekly),
            (t(locale, "setup.ui.monthly"), monthly),
        ]),
    ]
    if "work_start" in config:  # a stored team (the defaults shown before the first save have none)
        blocks.append(fields_section([
            (t(locale, "setup.ui.work_hours"), work_hours_text(config, locale)),
            (t(locale, "setup.ui.agenda_lead"), t(locale, "setup.ui.agenda_lead_value", hours=_hours(config["agenda_lead_minutes"]))),
            (t(locale, "setup.ui.llm"), llm_text(config, locale, server_llm=server_llm)),
        ]))
    missing = [t(locale, f"setup.ui.missing.{role}") for role in ("marketing_leads", "sales_leads") if not config[role]]
    if missing:
        blocks.append(context(t(locale, "setup.ui.missing", roles=", ".join(missing))))
    blocks.append(context(t(locale, "setup.ui.change_hint")))
    return blocks


def llm_text(config: dict[str, Any], locale: str, *, server_llm: bool) -> str:
    """"activado", "desactivado", or "activado (…no model on this server…)": what the team chose
    and, when it chose the model, whether there is one to use."""
    if not config.get("llm_enabled", True):
        return t(locale, "setup.ui.llm.off")
    return t(locale, "setup.ui.llm.on" if server_llm else "setup.ui.llm.on_without_model")


def work_hours_text(config: dict[str, Any], locale: str) -> str:
    """"lun–vie 08:00–17:00" (consecutive days as a range, others listed)."""
    days = config["work_days"]
    consecutive = days == list(range(days[0], days[-1] + 1)) if days else False
    if consecutive and len(days) > 2:
        names = f"{day_name(days[0], locale)}–{day_name(days[-1], locale)}"
    else:
        names = ", ".join(day_name(day, locale) for day in days)
    return f"{names} {config['work_start']}–{config['work_end']}"


def _hours(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    return f"{hours}:{rest:02d}" if rest else str(hours)


def _options(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [kit.option(text=text, value=value) for text, value in pairs]


def _select(options: list[dict[str, Any]], initial: str | None) -> dict[str, Any]:
    return kit.static_select(action_id=VALUE, options=options, initial=initial)


def _users(initial: list[str]) -> dict[str, Any]:
    return kit.multi_users_select(action_id=VALUE, initial=initial)


def modal(config: dict[str, Any], locale: str, metadata: str) -> dict[str, Any]:
    """The setup form, filled with the team's configuration (or the defaults for a new team)."""
    weekdays = _options([(day_name(day, locale), str(day)) for day in range(7)])
    timezones = list(dict.fromkeys([config["timezone"], *TIMEZONES]))

    def field(block_id: str, message_id: str, element: dict[str, Any], *, optional: bool = False) -> Block:
        return kit.input_block(block_id=block_id, label=t(locale, message_id), element=element, optional=optional)

    blocks = [
        field(CHANNEL, "setup.ui.channel", kit.conversations_select(
            action_id=VALUE, initial=config["channel_id"], filter={"include": ["public", "private"], "exclude_bot_users": True},
        )),
        field(NAME, "setup.ui.name", kit.plain_text_input(action_id=VALUE, initial=config["name"], max_length=80)),
        field(MARKETING, "setup.ui.marketing_leads", _users(config["marketing_leads"])),
        field(SALES, "setup.ui.sales_leads", _users(config["sales_leads"])),
        field(ADMINS, "setup.ui.admins", _users(config["admins"])),
        field(TIMEZONE, "setup.ui.timezone", _select(_options([(z, z) for z in timezones]), config["timezone"])),
        field(LANGUAGE, "setup.ui.language", _select(
            _options([(t(locale, f"setup.ui.language.{code}"), code) for code in ("es", "en")]), config["language"])),
        field(COUNTRY, "setup.ui.country", _select(_options([(c, c) for c in COUNTRIES]), config["country"])),
        field(WEEKLY_DAY, "setup.ui.weekly_day", _select(weekdays, str(config["weekly_weekday"]))),
        field(WEEKLY_TIME, "setup.ui.weekly_time", kit.timepicker(action_id=VALUE, initial=config["weekly_time"])),
        field(MONTHLY_NTH, "setup.ui.monthly_nth", _select(
            _options([(nth_label(nth, locale), str(nth)) for nth in NTHS]), str(config["monthly_nth"]))),
        field(MONTHLY_DAY, "setup.ui.monthly_day", _select(weekdays, str(config["monthly_weekday"]))),
        field(MONTHLY_TIME, "setup.ui.monthly_time", kit.timepicker(action_id=VALUE, initial=config["monthly_time"])),
        field(LLM, "setup.ui.llm", kit.radio_buttons(
            action_id=VALUE,
            options=_options([(t(locale, "setup.ui.llm.option_on"), LLM_ON), (t(locale, "setup.ui.llm.option_off"), LLM_OFF)]),
            initial=LLM_ON if config.get("llm_enabled", True) else LLM_OFF,
        ), optional=True),
    ]
    return kit.modal(
        callback_id=VIEW, private_metadata=metadata, title=t(locale, "setup.ui.modal_title"), submit=t(locale, "setup.ui.save"),
        close=t(locale, "setup.ui.cancel"), blocks=blocks,
    )

