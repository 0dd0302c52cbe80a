from datetime import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import UserError
from domain.setup import LAST, MAX_NAME_LENGTH, SetupChanges, parse_setup, parse_time, parse_weekday

TIMEZONES = {"America/Bogota", "America/Mexico_City", "America/Argentina/Buenos_Aires", "Europe/Madrid", "UTC"}
COUNTRIES = {"CO", "MX", "US", "ES"}


def parse(text):
    return parse_setup(text, valid_timezone=TIMEZONES.__contains__, valid_country=COUNTRIES.__contains__)


def expect_error(message_id, params, call, *args):
    """`call(*args)` raises the UserError `message_id` with exactly `params`."""
    with pytest.raises(UserError) as info:
        call(*args)
    assert (info.value.message_id, info.value.params) == (message_id, params)


# --- times -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("9:00", time(9, 0)),
        ("09:00", time(9, 0)),
        ("15:30", time(15, 30)),
        ("0:05", time(0, 5)),
        ("23:59", time(23, 59)),
        ("9am", time(9, 0)),
        ("9AM", time(9, 0)),
        ("3pm", time(15, 0)),
        ("9:30pm", time(21, 30)),
        ("9 a.m.", time(9, 0)),
        ("3 p.m.", time(15, 0)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("9h", time(9, 0)),
        ("9h30", time(9, 30)),
        (" 14:00 ", time(14, 0)),
    ],
)
def test_parse_time(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["", "9", "nine", "24:00", "9:60", "9:5", "0am", "13pm", "25h", "9:00:00", "9-00", "mediodía"])
def test_parse_time_rejects(text):
    expect_error("setup.invalid_time", {"word": text.strip()}, parse_time, text)


@given(st.integers(0, 23), st.integers(0, 59))
def test_parse_time_reads_every_24_hour_time(hour, minute):
    assert parse_time(f"{hour}:{minute:02d}") == parse_time(f"{hour:02d}:{minute:02d}") == time(hour, minute)


@given(st.integers(1, 12), st.integers(0, 59), st.sampled_from(["am", "pm"]))
def test_parse_time_reads_every_12_hour_time(hour, minute, meridiem):
    expected = time(hour % 12 + (12 if meridiem == "pm" else 0), minute)
    assert parse_time(f"{hour}:{minute:02d}{meridiem}") == expected
    if minute == 0:
        assert parse_time(f"{hour}{meridiem}") == expected


# --- weekdays ----------------------------------------------------------------------------------

WEEKDAY_NAMES = [
    ("monday", "lunes", "mon", "lun"),
    ("tuesday", "martes", "tue", "mar"),
    ("wednesday", "miércoles", "wed", "mié"),
    ("thursday", "jueves", "thu", "jue"),
    ("friday", "viernes", "fri", "vie"),
    ("saturday", "sábado", "sat", "sáb"),
    ("sunday", "domingo", "sun", "dom"),
]


@pytest.mark.parametrize("day, names", list(enumerate(WEEKDAY_NAMES)))
def test_parse_weekday_in_both_languages_with_or_without_accents(day, names):
    from domain.commands import fold

    for name in names:
        for spelling in (name, name.upper(), name.capitalize(), fold(name), name + "."):
            assert parse_weekday(spelling) == day, spelling


@pytest.mark.parametrize("word", ["", "funday", "lu", "weekend", "8"])
def test_parse_weekday_rejects(word):
    expect_error("setup.invalid_weekday", {"word": word}, parse_weekday, word)


# --- the whole line ----------------------------------------------------------------------------


def test_empty_text_changes_nothing():
    changes = parse("")
    assert changes == SetupChanges() and changes.is_empty()
    assert parse("   ").is_empty()


def test_is_empty_is_false_once_anything_is_given():
    assert not SetupChanges(language="es").is_empty()
    assert not SetupChanges(marketing_leads=()).is_empty()


def test_the_example_from_the_docs():
    assert parse("marketing <@U0ANA|ana> sales <@U0LUIS|luis> tz America/Bogota lang es") == SetupChanges(
        marketing_leads=("U0ANA",), sales_leads=("U0LUIS",), timezone="America/Bogota", language="es"
    )


def test_everything_in_spanish():
    text = (
        'nombre "Ventas Norte" mercadeo <@U1|ana> <@U2> ventas <@U3> administradores <@U1> zona America/Bogota '
        "idioma español país co semanal miércoles 9:00 mensual último viernes 3pm"
    )
    assert parse(text) == SetupChanges(
        name="Ventas Norte",
        marketing_leads=("U1", "U2"),
        sales_leads=("U3",),
        admins=("U1",),
        timezone="America/Bogota",
        language="es",
        country="CO",
        weekly_weekday=2,
        weekly_time=time(9, 0),
        monthly_nth=LAST,
        monthly_weekday=4,
        monthly_time=time(15, 0),
    )


def test_everything_in_english():
    text = "name Growth Team marketing <@U1> sales <@U2> admins <@U3> timezone UTC language english country us weekly mon 9am monthly first tue 15:30"
    assert parse(text) == SetupChanges(
        name="Growth Team",
        marketing_leads=("U1",),
        sales_leads=("U2",),
        admins=("U3",),
        timezone="UTC",
        language="en",
        country="US",
        weekly_weekday=0,
        weekly_time=time(9, 0),
        monthly_nth=1,
        monthly_weekday=1,
        monthly_time=time(15, 30),
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("MARKETING <@U1>", SetupChanges(marketing_leads=("U1",))),
        ("mkt <@U1>", SetupChanges(marketing_leads=("U1",))),
        ("mercadeo <@U1> y <@U2>", SetupChanges(marketing_leads=("U1", "U2"))),
        ("mercadeo <@U1>, <@U2>,<@U3>", SetupChanges(marketing_leads=("U1", "U2", "U3"))),
        ("ventas <@U1> and <@U2> <@U1>", SetupChanges(sales_leads=("U1", "U2"))),
        ("sales <@U1|ana maria>", SetupChanges(sales_leads=("U1",))),
        ("admin <@W1>", SetupChanges(admins=("W1",))),
        ("marketing <@U1> sales <@U1>", SetupChanges(marketing_leads=("U1",), sales_leads=("U1",))),
        ("tz america/bogota", SetupChanges(timezone="America/Bogota")),
        ("zona horaria America/Bogotá", SetupChanges(timezone="America/Bogota")),
        ("tz utc", SetupChanges(timezone="UTC")),
        ("tz america/argentina/buenos_aires", SetupChanges(timezone="America/Argentina/Buenos_Aires")),
        ("lang ES", SetupChanges(language="es")),
        ("idioma inglés", SetupChanges(language="en")),
        ("idioma ingles", SetupChanges(language="en")),
        ("language spanish", SetupChanges(language="es")),
        ("lang en-US", SetupChanges(language="en")),
        ("lang es_CO", SetupChanges(language="es")),
        ("pais mx", SetupChanges(country="MX")),
        ("PAÍS CO", SetupChanges(country="CO")),
        ("semanal lunes a las 9:00", SetupChanges(weekly_weekday=0, weekly_time=time(9, 0))),
        ("weekly Friday at 4 pm", SetupChanges(weekly_weekday=4, weekly_time=time(16, 0))),
        ("semanal mié 9h30", SetupChanges(weekly_weekday=2, weekly_time=time(9, 30))),
        ("mensual primer lunes 9am", SetupChanges(monthly_nth=1, monthly_weekday=0, monthly_time=time(9, 0))),
        ("mensual segundo martes 10:00", SetupChanges(monthly_nth=2, monthly_weekday=1, monthly_time=time(10, 0))),
        ("mensual tercer jueves 8:00", SetupChanges(monthly_nth=3, monthly_weekday=3, monthly_time=time(8, 0))),
        ("monthly fourth sun 8:00", SetupChanges(monthly_nth=4, monthly_weekday=6, monthly_time=time(8, 0))),
        ("monthly last friday 5pm", SetupChanges(monthly_nth=-1, monthly_weekday=4, monthly_time=time(17, 0))),
        ("mensual 1º lunes 9:00", SetupChanges(monthly_nth=1, monthly_weekday=0, monthly_time=time(9, 0))),
        ("mensual ultima sabado 9:00", SetupChanges(monthly_nth=-1, monthly_weekday=5, monthly_time=time(9, 0))),
        ("nombre Equipo Norte", SetupChanges(name="Equipo Norte")),
        ("nombre Norte,  Sur idioma es", SetupChanges(name="Norte,  Sur", language="es")),
        ("nombre “Mercadeo y Ventas”", SetupChanges(name="Mercadeo y Ventas")),
        ("tz UTC, lang en", SetupChanges(timezone="UTC", language="en")),
        # working hours (the SLA escalation clock) and the agenda's lead time
        ("horario 8:00-17:00", SetupChanges(work_start=time(8, 0), work_end=time(17, 0))),
        ("horario 7:30 a 16:30 lunes a sábado", SetupChanges(work_start=time(7, 30), work_end=time(16, 30), work_days=(0, 1, 2, 3, 4, 5))),
        ("workhours 8am to 5pm mon-fri", SetupChanges(work_start=time(8, 0), work_end=time(17, 0), work_days=(0, 1, 2, 3, 4))),
        ("horario 8:00-12:00 lun,mié,vie", SetupChanges(work_start=time(8, 0), work_end=time(12, 0), work_days=(0, 2, 4))),
        ("anticipacion 2h", SetupChanges(agenda_lead_minutes=120)),
        ("anticipación 1h30", SetupChanges(agenda_lead_minutes=90)),
        ("lead 45m", SetupChanges(agenda_lead_minutes=45)),
        ("lead 3 hours", SetupChanges(agenda_lead_minutes=180)),
    ],
)
def test_one_setting(text, expected):
    assert parse(text) == expected


def test_the_validators_receive_the_canonical_spellings():
    asked: list[tuple[str, str]] = []

    def timezone_ok(name):
        asked.append(("tz", name))
        return name == "America/Bogota"

    def country_ok(code):
        asked.append(("country", code))
        return True

    parse_setup("tz america/bogota pais co", valid_timezone=timezone_ok, valid_country=country_ok)
    assert asked == [("tz", "america/bogota"), ("tz", "America/Bogota"), ("country", "CO")]


@pytest.mark.parametrize(
    "text, message_id, params",
    [
        # words that are no keyword
        ("xyzzy", "setup.unknown_word", {"word": "xyzzy"}),
        ("marketng <@U1>", "setup.unknown_word_suggestion", {"word": "marketng", "suggestion": "marketing"}),
        ("idiom es", "setup.unknown_word_suggestion", {"word": "idiom", "suggestion": "idioma"}),
        ("marketing <@U1> luego", "setup.unknown_word", {"word": "luego"}),
        ("semanal lunes 9:00 extra", "setup.unknown_word", {"word": "extra"}),
        ('lang es "quoted"', "setup.unknown_word", {"word": '"quoted"'}),
        # mentions
        ("<@U1> marketing <@U2>", "setup.mention_without_role", {"word": "<@U1>"}),
        ("@ana", "setup.mention_without_role", {"word": "@ana"}),
        ("marketing @ana", "setup.mention_not_recognized", {"word": "@ana"}),
        ("ventas <@U1> @luis", "setup.mention_not_recognized", {"word": "@luis"}),
        ("ventas <@bad>", "setup.mention_not_recognized", {"word": "<@bad>"}),
        ("marketing", "setup.role_without_mentions", {"word": "marketing"}),
        ("Ventas sales <@U1>", "setup.role_without_mentions", {"word": "Ventas"}),
        ("admins ana", "setup.role_without_mentions", {"word": "admins"}),
        ("admins <#C1|general>", "setup.role_without_mentions", {"word": "admins"}),
        ("nombre Equipo Ventas", "setup.role_without_mentions", {"word": "Ventas"}),
        # repeats
        ("marketing <@U1> mercadeo <@U2>", "setup.repeated_keyword", {"word": "mercadeo"}),
        ("lang es idioma en", "setup.repeated_keyword", {"word": "idioma"}),
        ("tz UTC TZ UTC", "setup.repeated_keyword", {"word": "TZ"}),
        # name
        ("nombre", "setup.name_missing", {"word": "nombre"}),
        ("name lang es", "setup.name_missing", {"word": "name"}),
        ('nombre "" lang es', "setup.name_missing", {"word": "nombre"}),
        ("nombre Ventas Norte", "setup.name_missing", {"word": "nombre"}),
        ("nombre " + "x" * (MAX_NAME_LENGTH + 1), "setup.name_too_long", {"limit": MAX_NAME_LENGTH, "length": MAX_NAME_LENGTH + 1}),
        # time zone
        ("tz", "setup.timezone_missing", {"word": "tz"}),
        ("zona horaria", "setup.timezone_missing", {"word": "zona"}),
        ("timezone lang es", "setup.timezone_missing", {"word": "timezone"}),
        ("tz Mars/Olympus", "setup.invalid_timezone", {"word": "Mars/Olympus"}),
        ("tz Bogota", "setup.invalid_timezone", {"word": "Bogota"}),
        # language
        ("lang", "setup.language_missing", {"word": "lang"}),
        ("idioma pais co", "setup.language_missing", {"word": "idioma"}),
        ("lang fr", "setup.invalid_language", {"word": "fr"}),
        ("idioma portugués", "setup.invalid_language", {"word": "portugués"}),
        # country
        ("country", "setup.country_missing", {"word": "country"}),
        ("país Colombia", "setup.invalid_country", {"word": "Colombia"}),
        ("pais ZZ", "setup.invalid_country", {"word": "ZZ"}),
        ("pais C0", "setup.invalid_country", {"word": "C0"}),
        # weekly
        ("semanal", "setup.weekly_missing", {"word": "semanal"}),
        ("weekly lang es", "setup.weekly_missing", {"word": "weekly"}),
        ("semanal lunes", "setup.weekly_missing", {"word": "semanal"}),
        ("semanal lunes a las", "setup.weekly_missing", {"word": "semanal"}),
        ("semanal funday 9:00", "setup.invalid_weekday", {"word": "funday"}),
        ("semanal 9:00 lunes", "setup.invalid_weekday", {"word": "9:00"}),
        ("semanal lunes 25:00", "setup.invalid_time", {"word": "25:00"}),
        ("semanal lunes 9", "setup.invalid_time", {"word": "9"}),
        # monthly
        ("mensual", "setup.monthly_missing", {"word": "mensual"}),
        ("monthly first", "setup.monthly_missing", {"word": "monthly"}),
        ("mensual último viernes", "setup.monthly_missing", {"word": "mensual"}),
        ("mensual quinto lunes 9:00", "setup.invalid_nth", {"word": "quinto"}),
        ("mensual lunes 9:00", "setup.invalid_nth", {"word": "lunes"}),
        ("mensual primer lunch 9:00", "setup.invalid_weekday", {"word": "lunch"}),
        ("mensual primer lunes 9pmm", "setup.invalid_time", {"word": "9pmm"}),
        # working hours and lead time
        ("horario", "setup.hours_missing", {"word": "horario"}),
        ("horario 8:00", "setup.hours_missing", {"word": "horario"}),
        ("horario 17:00-8:00", "setup.hours_backwards", {"start": "17:00", "end": "08:00"}),
        ("horario 8:00-17:00 vie-lun", "setup.days_backwards", {"word": "vie-lun"}),
        ("horario 8:00-17:00 lun-feriado", "setup.invalid_weekday", {"word": "feriado"}),
        ("anticipacion", "setup.lead_missing", {"word": "anticipacion"}),
        ("anticipacion pronto", "setup.lead_missing", {"word": "anticipacion"}),
        ("lead 5m", "setup.lead_out_of_range", {"low": 15, "high": 48}),
        ("lead 72h", "setup.lead_out_of_range", {"low": 15, "high": 48}),
    ],
)
def test_setup_errors(text, message_id, params):
    expect_error(message_id, params, parse, text)


# --- the team's switch for the LLM narrator ----------------------------------------------------

LLM_ON_WORDS = ["on", "si", "sí", "yes", "activar", "activada", "encendida"]
LLM_OFF_WORDS = ["off", "no", "desactivar", "desactivada", "apagada"]


@pytest.mark.parametrize("keyword", ["ia", "ai", "llm", "IA", "Ai", "LLM"])
@pytest.mark.parametrize(
    "word, enabled", [(word, True) for word in LLM_ON_WORDS] + [(word, False) for word in LLM_OFF_WORDS]
)
def test_the_llm_switch_reads_every_word_both_ways(keyword, word, enabled):
    for spelling in (word, word.upper(), word.capitalize()):
        assert parse(f"{keyword} {spelling}") == SetupChanges(llm_enabled=enabled), spelling


def test_the_llm_switch_combines_with_other_settings_in_any_position():
    assert parse("ia no idioma en") == SetupChanges(llm_enabled=False, language="en")
    assert parse("lang es ai ON, lead 2h") == SetupChanges(language="es", llm_enabled=True, agenda_lead_minutes=120)
    assert parse("IA Sí") == SetupChanges(llm_enabled=True) and not parse("ia no").is_empty()


@pytest.mark.parametrize(
    "text, params",
    [
        ("ia", {"word": "ia"}),
        ("AI", {"word": "AI"}),
        ("llm idioma es", {"word": "llm"}),
        ("ia quizas", {"word": "ia"}),
        ("ai maybe", {"word": "ai"}),
        ("ia 1", {"word": "ia"}),
        ("ia <@U1>", {"word": "ia"}),
    ],
)
def test_the_llm_switch_without_a_yes_or_no_says_what_to_type(text, params):
    expect_error("setup.llm_missing", params, parse, text)


def test_the_llm_switch_is_one_setting_however_it_is_spelled():
    expect_error("setup.repeated_keyword", {"word": "ai"}, parse, "ia si ai off")


# Settings that can be written in any order: the result must not depend on it.
SETTINGS = [
    ("marketing <@U1> <@U2>", {"marketing_leads": ("U1", "U2")}),
    ("ventas <@U3>", {"sales_leads": ("U3",)}),
    ("admins <@U4>", {"admins": ("U4",)}),
    ("zona America/Bogota", {"timezone": "America/Bogota"}),
    ("idioma en", {"language": "en"}),
    ("pais mx", {"country": "MX"}),
    ("semanal martes 10:00", {"weekly_weekday": 1, "weekly_time": time(10, 0)}),
    ("mensual ultimo jueves 4pm", {"monthly_nth": -1, "monthly_weekday": 3, "monthly_time": time(16, 0)}),
    ('nombre "Ventas Norte"', {"name": "Ventas Norte"}),
    ("ia no", {"llm_enabled": False}),
]


@given(st.permutations(SETTINGS).flatmap(lambda order: st.integers(0, len(order)).map(lambda n: order[:n])))
def test_settings_in_any_order_and_any_subset(chosen):
    expected: dict = {}
    for _, fields in chosen:
        expected.update(fields)
    assert parse(" ".join(text for text, _ in chosen)) == SetupChanges(**expected)


@given(st.lists(st.sampled_from(["U1", "U2", "U3", "W9"]), min_size=1, max_size=8))
def test_mentions_keep_order_without_repeats(user_ids):
    mentions = " ".join(f"<@{user_id}|someone>" if n % 2 else f"<@{user_id}>" for n, user_id in enumerate(user_ids))
    assert parse(f"marketing {mentions}").marketing_leads == tuple(dict.fromkeys(user_ids))
