"""Team setup: the modal and the configuration summary, as Block Kit."""

from __future__ import annotations

import re
from typing import Any

from bot.blocks import Block, context, fields_section, header, mention, plain, section
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


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text[:75]), "value": value}


def _select(options: list[dict[str, Any]], initial: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": VALUE, "options": options}
    chosen = next((option for option in options if option["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _radio(options: list[dict[str, Any]], initial: str | None) -> dict[str, Any]:
    return {**_select(options, initial), "type": "radio_buttons"}


def _users(initial: list[str]) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "multi_users_select", "action_id": VALUE}
    if initial:
        element["initial_users"] = initial
    return element


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {"type": "input", "block_id": block_id, "label": plain(label), "element": element, "optional": optional}


def modal(config: dict[str, Any], locale: str, metadata: str) -> dict[str, Any]:
    """The setup form, filled with the team's configuration (or the defaults for a new team)."""
    weekdays = [_option(day_name(day, locale), str(day)) for day in range(7)]
    timezones = list(dict.fromkeys([config["timezone"], *TIMEZONES]))
    blocks = [
        _input(CHANNEL, t(locale, "setup.ui.channel"), {
            "type": "conversations_select", "action_id": VALUE, "initial_conversation": config["channel_id"],
            "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        }),
        _input(NAME, t(locale, "setup.ui.name"), {
            "type": "plain_text_input", "action_id": VALUE, "initial_value": config["name"], "max_length": 80,
        }),
        _input(MARKETING, t(locale, "setup.ui.marketing_leads"), _users(config["marketing_leads"])),
        _input(SALES, t(locale, "setup.ui.sales_leads"), _users(config["sales_leads"])),
        _input(ADMINS, t(locale, "setup.ui.admins"), _users(config["admins"])),
        _input(TIMEZONE, t(locale, "setup.ui.timezone"), _select([_option(z, z) for z in timezones], config["timezone"])),
        _input(LANGUAGE, t(locale, "setup.ui.language"), _select(
            [_option(t(locale, f"setup.ui.language.{code}"), code) for code in ("es", "en")], config["language"])),
        _input(COUNTRY, t(locale, "setup.ui.country"), _select([_option(c, c) for c in COUNTRIES], config["country"])),
        _input(WEEKLY_DAY, t(locale, "setup.ui.weekly_day"), _select(weekdays, str(config["weekly_weekday"]))),
        _input(WEEKLY_TIME, t(locale, "setup.ui.weekly_time"), {
            "type": "timepicker", "action_id": VALUE, "initial_time": config["weekly_time"],
        }),
        _input(MONTHLY_NTH, t(locale, "setup.ui.monthly_nth"), _select(
            [_option(nth_label(nth, locale), str(nth)) for nth in NTHS], str(config["monthly_nth"]))),
        _input(MONTHLY_DAY, t(locale, "setup.ui.monthly_day"), _select(weekdays, str(config["monthly_weekday"]))),
        _input(MONTHLY_TIME, t(locale, "setup.ui.monthly_time"), {
            "type": "timepicker", "action_id": VALUE, "initial_time": config["monthly_time"],
        }),
        _input(LLM, t(locale, "setup.ui.llm"), _radio(
            [_option(t(locale, "setup.ui.llm.option_on"), LLM_ON), _option(t(locale, "setup.ui.llm.option_off"), LLM_OFF)],
            LLM_ON if config.get("llm_enabled", True) else LLM_OFF,
        ), optional=True),
    ]
    return {
        "type": "modal", "callback_id": VIEW, "private_metadata": metadata,
        "title": plain(t(locale, "setup.ui.modal_title")), "submit": plain(t(locale, "setup.ui.save")),
        "close": plain(t(locale, "setup.ui.cancel")), "blocks": blocks,
    }

