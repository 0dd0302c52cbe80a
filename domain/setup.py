"""Reading the one-line team setup:

    /alinea setup marketing @ana sales @luis tz America/Bogota lang es

Each keyword (English or Spanish, any case, accents optional) is followed by its values. Only
what is typed changes; everything else is None ("not given"), so a team can fix one thing at a
time. Whether a time zone or a country exists is asked through injected functions, so this
module needs no zone database or holiday calendar and stays pure.

The text arrives entity-decoded (the dispatcher does it), with mentions as Slack sends them:
`<@U123|ana>` or `<@U123>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import time
from typing import Callable

from domain.commands import fold, unknown_word
from domain.errors import UserError
from domain.locales import normalize_locale
from domain.slack_text import user_id_of

MAX_NAME_LENGTH = 80
LAST = -1  # monthly_nth for "the last <weekday> of the month"


@dataclass(frozen=True)
class SetupChanges:
    """What the person asked to change; None means "not given, keep what is there"."""

    name: str | None = None
    marketing_leads: tuple[str, ...] | None = None  # Slack user ids
    sales_leads: tuple[str, ...] | None = None
    admins: tuple[str, ...] | None = None
    timezone: str | None = None  # IANA name, e.g. America/Bogota
    language: str | None = None  # "es" or "en"
    country: str | None = None  # ISO 3166 alpha-2, upper-case
    weekly_weekday: int | None = None  # Monday = 0
    weekly_time: time | None = None
    monthly_nth: int | None = None  # 1..4, or LAST (-1)
    monthly_weekday: int | None = None
    monthly_time: time | None = None
    work_days: tuple[int, ...] | None = None  # Monday = 0; pause the SLA escalation clock outside them
    work_start: time | None = None
    work_end: time | None = None
    agenda_lead_minutes: int | None = None  # how long before a meeting its agenda is posted
    llm_enabled: bool | None = None  # False: the team's agendas use the offline narrator, its facts stay on the server

    def is_empty(self) -> bool:
        return all(getattr(self, field.name) is None for field in fields(self))


# ---------------------------------------------------------------------------------------------
# Words

# Folded keyword -> the setting it introduces. The setting name also detects repeats, so
# "marketing @a mercadeo @b" is caught as the same keyword twice.
_KEYWORDS = {
    "name": "name",
    "nombre": "name",
    "marketing": "marketing",
    "mercadeo": "marketing",
    "mkt": "marketing",
    "sales": "sales",
    "ventas": "sales",
    "admins": "admins",
    "admin": "admins",
    "administradores": "admins",
    "administrador": "admins",
    "tz": "timezone",
    "timezone": "timezone",
    "zona": "timezone",
    "lang": "language",
    "language": "language",
    "idioma": "language",
    "country": "country",
    "pais": "country",
    "weekly": "weekly",
    "semanal": "weekly",
    "monthly": "monthly",
    "mensual": "monthly",
    "workhours": "hours",
    "working_hours": "hours",
    "horario": "hours",
    "jornada": "hours",
    "lead": "lead",
    "anticipacion": "lead",
    "antelacion": "lead",
    "ai": "llm",
    "ia": "llm",
    "llm": "llm",
}
MIN_LEAD_MINUTES, MAX_LEAD_MINUTES = 15, 48 * 60

_WEEKDAYS = {
    **{word: day for day, word in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
    **{word: day for day, word in enumerate(("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"))},
    **{word: day for day, word in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{word: day for day, word in enumerate(("lun", "mar", "mie", "jue", "vie", "sab", "dom"))},
}

_NTH = {
    # "1º" folds to "1o" (º decomposes to o), "1ª" to "1a", "1er" is the Spanish abbreviation.
    **dict.fromkeys(("first", "1st", "1", "1o", "1a", "1er", "primer", "primero", "primera"), 1),
    **dict.fromkeys(("second", "2nd", "2", "2o", "2a", "segundo", "segunda"), 2),
    **dict.fromkeys(("third", "3rd", "3", "3o", "3a", "3er", "tercer", "tercero", "tercera"), 3),
    **dict.fromkeys(("fourth", "4th", "4", "4o", "4a", "cuarto", "cuarta"), 4),
    **dict.fromkeys(("last", "ultimo", "ultima"), LAST),
}

# The team's switch for the LLM narrator: `ia si`, `ai off`, `llm desactivada` (folded words).
_SWITCH = {
    **dict.fromkeys(("on", "si", "yes", "activar", "activada", "activado", "encendida", "encendido"), True),
    **dict.fromkeys(("off", "no", "desactivar", "desactivada", "desactivado", "apagada", "apagado"), False),
}

_LANGUAGES = {
    **dict.fromkeys(("es", "espanol", "spanish", "castellano"), "es"),
    **dict.fromkeys(("en", "ingles", "english"), "en"),
}

# Words people put between mentions or before a time; they carry no value of their own.
_MENTION_JOINERS = {",", "y", "e", "and", "&"}
_TIME_JOINERS = {"a", "las", "la", "at", "@"}
_MERIDIEMS = {"am", "pm", "a.m.", "p.m."}

# A mention, a quoted run, a comma, or any other run of non-spaces is one token: a Slack
# mention's label may contain spaces (`<@U1|ana maria>`), a quoted team name usually does, and
# "<@U1>,<@U2>" is two mentions.
_TOKEN = re.compile(r"<[^>]*>|[\"“„«][^\"”»]*[\"”»]|,|[^\s,]+")
_QUOTES = "\"“”„«»"

_HH_MM = re.compile(r"(?P<hour>\d{1,2})(?::|h)(?P<minute>\d{2})(?P<meridiem>am|pm)?")
_HOUR_ONLY = re.compile(r"(?P<hour>\d{1,2})(?P<meridiem>am|pm|h)")


# ---------------------------------------------------------------------------------------------
# Times and days


def parse_time(text: str) -> time:
    """`9:00`, `09:00`, `15:30`, `9am`, `3pm`, `9:30pm`, `9h`, `9h30` → a time of day."""
    compact = fold(text).replace(" ", "").replace(".", "")  # "9 a.m." → "9am"
    match = _HH_MM.fullmatch(compact) or _HOUR_ONLY.fullmatch(compact)
    if match is None:
        raise UserError("setup.invalid_time", word=text.strip())
    hour = int(match.group("hour"))
    minute = int(match.group("minute")) if "minute" in match.groupdict() else 0
    meridiem = match.group("meridiem")
    if meridiem in ("am", "pm"):
        hour = _from_twelve_hour(hour, meridiem, text)
    if hour > 23 or minute > 59:
        raise UserError("setup.invalid_time", word=text.strip())
    return time(hour, minute)


def _from_twelve_hour(hour: int, meridiem: str, text: str) -> int:
    """12am is midnight and 12pm is noon; "0am" or "13pm" mean nothing."""
    if not 1 <= hour <= 12:
        raise UserError("setup.invalid_time", word=text.strip())
    return hour % 12 + (12 if meridiem == "pm" else 0)


def parse_weekday(word: str) -> int:
    """`lunes`, `Miércoles`, `miercoles`, `mié`, `monday`, `Mon` → 0..6 (Monday = 0)."""
    day = _WEEKDAYS.get(fold(word.strip()).rstrip(".,"))
    if day is None:
        raise UserError("setup.invalid_weekday", word=word.strip())
    return day


# ---------------------------------------------------------------------------------------------
# The line


class _Tokens:
    """The words of the line, read left to right, remembering where each one was typed."""

    def __init__(self, text: str):
        self.text = text
        self.matches = list(_TOKEN.finditer(text))
        self.position = 0

    def peek(self) -> str | None:
        return self.matches[self.position].group(0) if self.position < len(self.matches) else None

    def take(self) -> str:
        word = self.matches[self.position].group(0)
        self.position += 1
        return word

    def next_is_value(self) -> bool:
        """True when a value follows: there is a word and it does not start the next setting."""
        word = self.peek()
        return word is not None and not is_keyword(word)

    def take_values(self) -> str:
        """Every word up to the next keyword, as typed (spacing and commas kept)."""
        start = self.position
        while self.next_is_value():
            self.position += 1
        if self.position == start:
            return ""
        return self.text[self.matches[start].start() : self.matches[self.position - 1].end()]


def is_keyword(word: str) -> bool:
    return fold(word) in _KEYWORDS


@dataclass(frozen=True)
class _Checks:
    """The injected lookups: does this IANA zone exist, is this a country we know."""

    valid_timezone: Callable[[str], bool]
    valid_country: Callable[[str], bool]


def parse_setup(
    text: str, *, valid_timezone: Callable[[str], bool], valid_country: Callable[[str], bool]
) -> SetupChanges:
    """`marketing @ana sales @luis tz America/Bogota lang es …` → the changes asked for."""
    tokens = _Tokens(text)
    checks = _Checks(valid_timezone, valid_country)
    values: dict[str, object] = {}
    seen: set[str] = set()
    while tokens.peek() is not None:
        keyword = tokens.take()
        if keyword == ",":  # "tz America/Bogota, lang es": a comma between settings is harmless
            continue
        setting = _setting_of(keyword)
        if setting in seen:
            raise UserError("setup.repeated_keyword", word=keyword)
        seen.add(setting)
        values.update(_READERS[setting](tokens, keyword, checks))
    return SetupChanges(**values)


def _setting_of(word: str) -> str:
    setting = _KEYWORDS.get(fold(word))
    if setting is not None:
        return setting
    if user_id_of(word) or _looks_like_mention(word):
        # A mention where a keyword should be: the person forgot which role it is for.
        raise UserError("setup.mention_without_role", word=word)
    raise unknown_word(word, _KEYWORDS, "setup.unknown_word")


# Each reader takes the values after its keyword and returns the SetupChanges fields they set.
# They share one signature so parse_setup can dispatch on the setting without special cases.


def _read_name(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    first = tokens.peek()
    if first is not None and first[0] in _QUOTES and first[-1] in _QUOTES and len(first) > 1:
        name = tokens.take()
    else:
        name = tokens.take_values()
    name = name.strip(_QUOTES + " ")
    if not name:
        raise UserError("setup.name_missing", word=keyword)
    if len(name) > MAX_NAME_LENGTH:
        raise UserError("setup.name_too_long", limit=MAX_NAME_LENGTH, length=len(name))
    return {"name": name}


def _read_mentions(tokens: _Tokens, keyword: str) -> tuple[str, ...]:
    """The people after a role keyword, in order, without repeats.

    Reading stops at the first word that is not a mention (or a joiner such as "y", ","), so
    the main loop reports that word; a word that looks like a mention but is not one ("@ana"
    typed without choosing the person from Slack's list) gets its own message.
    """
    user_ids: list[str] = []
    while tokens.next_is_value():
        word = tokens.peek() or ""
        user_id = user_id_of(word)
        if user_id is not None:
            if user_id not in user_ids:
                user_ids.append(user_id)
        elif _looks_like_mention(word):
            raise UserError("setup.mention_not_recognized", word=word)
        elif fold(word) not in _MENTION_JOINERS:
            break
        tokens.take()
    if not user_ids:
        raise UserError("setup.role_without_mentions", word=keyword)
    return tuple(user_ids)


def _looks_like_mention(word: str) -> bool:
    return word.startswith("@") or word.startswith("<@")


def _read_marketing(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    return {"marketing_leads": _read_mentions(tokens, keyword)}


def _read_sales(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    return {"sales_leads": _read_mentions(tokens, keyword)}


def _read_admins(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    return {"admins": _read_mentions(tokens, keyword)}


def _read_timezone(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    if fold(tokens.peek() or "") == "horaria":  # "zona horaria America/Bogota"
        tokens.take()
    if not tokens.next_is_value():
        raise UserError("setup.timezone_missing", word=keyword)
    typed = tokens.take()
    for candidate in _timezone_spellings(typed):
        if checks.valid_timezone(candidate):
            return {"timezone": candidate}
    raise UserError("setup.invalid_timezone", word=typed)


def _timezone_spellings(typed: str) -> list[str]:
    """What the person typed, then the canonical capitalisation of it.

    Zone names are case-sensitive on most systems, but people type "america/bogota" or
    "America/Bogotá"; IANA names are ASCII with each part capitalised ("Buenos_Aires").
    """
    ascii_name = fold(typed)
    capitalised = "/".join("_".join(part.capitalize() for part in segment.split("_")) for segment in ascii_name.split("/"))
    spellings = [typed, capitalised, ascii_name.upper()]
    return list(dict.fromkeys(spellings))


def _read_language(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    if not tokens.next_is_value():
        raise UserError("setup.language_missing", word=keyword)
    typed = tokens.take()
    language = _LANGUAGES.get(fold(typed)) or normalize_locale(typed)  # also "es-CO", "en_US"
    if language is None:
        raise UserError("setup.invalid_language", word=typed)
    return {"language": language}


def _read_country(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    if not tokens.next_is_value():
        raise UserError("setup.country_missing", word=keyword)
    typed = tokens.take()
    code = typed.strip().upper()
    if not (len(code) == 2 and code.isascii() and code.isalpha() and checks.valid_country(code)):
        raise UserError("setup.invalid_country", word=typed)
    return {"country": code}


def _read_weekly(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    if not tokens.next_is_value():
        raise UserError("setup.weekly_missing", word=keyword)
    weekday = parse_weekday(tokens.take())
    return {"weekly_weekday": weekday, "weekly_time": _read_time(tokens, "setup.weekly_missing", keyword)}


def _read_monthly(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    if not tokens.next_is_value():
        raise UserError("setup.monthly_missing", word=keyword)
    typed_nth = tokens.take()
    nth = _NTH.get(fold(typed_nth).rstrip("."))
    if nth is None:
        raise UserError("setup.invalid_nth", word=typed_nth)
    if not tokens.next_is_value():
        raise UserError("setup.monthly_missing", word=keyword)
    weekday = parse_weekday(tokens.take())
    return {"monthly_nth": nth, "monthly_weekday": weekday, "monthly_time": _read_time(tokens, "setup.monthly_missing", keyword)}


def _read_time(tokens: _Tokens, missing_id: str, keyword: str) -> time:
    """The time after a weekday: `9:00`, `9am`, also `a las 9:00`, `at 9 am`."""
    while tokens.next_is_value() and fold(tokens.peek() or "") in _TIME_JOINERS:
        tokens.take()
    if not tokens.next_is_value():
        raise UserError(missing_id, word=keyword)
    typed = tokens.take()
    # "9 am" arrives as two words; the meridiem belongs to the time, not to the next setting.
    if tokens.next_is_value() and fold(tokens.peek() or "") in _MERIDIEMS:
        typed += " " + tokens.take()
    return parse_time(typed)


_RANGE = re.compile(r"(?P<start>[^-–]+)[-–](?P<end>.+)")
_RANGE_WORDS = {"a", "to", "hasta", "-", "–"}
_DURATION = re.compile(r"(?:(?P<hours>\d{1,2})\s*(?:h|horas?|hours?))?\s*(?:(?P<minutes>\d{1,3})\s*(?:m|min|minutos?|minutes?)?)?")


def _read_hours(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    """`horario 8:00-17:00 [lun-vie]`, `workhours 8am to 5pm mon-sat`, `horario 7:30 a 16:30 lunes a sabado`."""
    words = tokens.take_values().split()
    if not words:
        raise UserError("setup.hours_missing", word=keyword)
    start, end, rest = _time_range(words, keyword)
    if end <= start:
        raise UserError("setup.hours_backwards", start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))
    values: dict[str, object] = {"work_start": start, "work_end": end}
    if rest:
        values["work_days"] = _day_range(rest, keyword)
    return values


def _time_range(words: list[str], keyword: str) -> tuple[time, time, list[str]]:
    joined = _RANGE.fullmatch(words[0])
    if joined:  # "8:00-17:00"
        return parse_time(joined.group("start")), parse_time(joined.group("end")), words[1:]
    at = next((index for index, word in enumerate(words) if fold(word) in _RANGE_WORDS), None)
    if at is None or at + 1 >= len(words):
        raise UserError("setup.hours_missing", word=keyword)
    return parse_time(" ".join(words[:at])), parse_time(words[at + 1]), words[at + 2 :]


def _day_range(words: list[str], keyword: str) -> tuple[int, ...]:
    """`lun-vie`, `lunes a viernes`, `mon-sat`, `lun,mar,mie`."""
    text = " ".join(words)
    joined = _RANGE.fullmatch(text.replace(" ", "")) if len(words) == 1 else None
    parts = [word for word in re.split(r"\s+(?:a|to|hasta)\s+|\s+", text) if word]
    if joined:
        first, last = parse_weekday(joined.group("start")), parse_weekday(joined.group("end"))
    elif len(parts) == 2 and len(words) == 3:
        first, last = parse_weekday(parts[0]), parse_weekday(parts[1])
    else:
        return tuple(sorted({parse_weekday(day) for day in re.split(r"[,\s]+", text) if day}))
    if last < first:
        raise UserError("setup.days_backwards", word=text)
    return tuple(range(first, last + 1))


def _read_lead(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    """`anticipacion 2h`, `lead 90m`, `anticipación 1h30`, `lead 3 hours`."""
    typed = tokens.take_values()
    found = _DURATION.fullmatch(fold(typed).strip())
    if not typed or found is None or not (found.group("hours") or found.group("minutes")):
        raise UserError("setup.lead_missing", word=keyword)
    minutes = int(found.group("hours") or 0) * 60 + int(found.group("minutes") or 0)
    if not MIN_LEAD_MINUTES <= minutes <= MAX_LEAD_MINUTES:
        raise UserError("setup.lead_out_of_range", low=MIN_LEAD_MINUTES, high=MAX_LEAD_MINUTES // 60)
    return {"agenda_lead_minutes": minutes}


def _read_llm(tokens: _Tokens, keyword: str, checks: _Checks) -> dict[str, object]:
    """`ia no`, `ai off`, `llm sí`, `IA Desactivada`: whether the team's summaries may use the model."""
    if not tokens.next_is_value():
        raise UserError("setup.llm_missing", word=keyword)
    typed = tokens.take()
    enabled = _SWITCH.get(fold(typed).strip(".,!"))
    if enabled is None:
        raise UserError("setup.llm_missing", word=keyword)
    return {"llm_enabled": enabled}


_READERS = {
    "name": _read_name,
    "marketing": _read_marketing,
    "sales": _read_sales,
    "admins": _read_admins,
    "timezone": _read_timezone,
    "language": _read_language,
    "country": _read_country,
    "weekly": _read_weekly,
    "monthly": _read_monthly,
    "hours": _read_hours,
    "lead": _read_lead,
    "llm": _read_llm,
}
