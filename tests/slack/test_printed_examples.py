"""Every example command Alinea prints works when typed.

The examples are collected, not listed by hand: every `/alinea …` a catalog message shows (help
in both languages, usage texts, refusals, form and App Home hints, the SLA templates' commands)
and every one in the README's "In Slack" section. Each is typed through the signed endpoint, as
Slack sends it (entities escaped, mentions resolved), by the demo team's marketing lead, against
a fresh copy of a team seeded as `alinea demo` seeds it (bot/demo_data.py) — Spanish examples
against the Spanish team, English ones against the same team set to English and the US way of
writing numbers. None may be refused, unless for the team's state named in ALLOWED_REFUSALS.

What is left out is syntax, not an example: a line with alternatives (`a|b`), optional parts
(`[…]`), an ellipsis or a placeholder word in capitals (`CLAVE`, `VALUE`). Parameters of a
message are filled with what the code passes in a like case (PARAMS), and the example dates with
their values for the test's today; a parameter nobody described fails the test.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import demo_data
from bot.config import Settings
from bot.loopback import LoopbackBot
from bot.slack_double import SlackDouble, slack_escape
from bot.slack_double.server import RESPONSE_URL_METHOD
from bot.transcript import render
from db import migrations, repositories
from db.session import make_engine, make_session_factory
from domain.examples import example_params
from domain.periods import Period
from domain.setup import SetupChanges
from domain.sla_templates import SLA_TEMPLATES
from services import teams
from services.i18n import message_ids
from tests.conftest import copy_sqlite
from tests.support.clock import Clock

README = Path(__file__).resolve().parents[2] / "README.md"
BOGOTA = ZoneInfo("America/Bogota")
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=BOGOTA)  # a Sunday: week 2026-W49 in progress
TODAY = NOW.date()
LAST_WEEK = Period.week_of(TODAY).previous().key
CHANNEL, CHANNEL_NAME = "C0DEMO", "alineacion-tienda"
ANA = demo_data.ANA  # the demo's marketing lead types every example

# Words in capitals that are values, not placeholders.
VALUES_IN_CAPITALS = {"MQL", "SQL", "COP", "USD", "CO", "US", "ROAS", "CAC", "SLA", "KPI", "OKR", "CSV", "API", "AI", "IA"}
SYNTAX = re.compile(r"[|\[\]…{}]|\.\.\.")
CAPITALS = re.compile(r"(?<![\w@])[A-ZÁÉÍÓÚÑ]{1,}(?![\w])")

# What the code passes to a message in a like case, by parameter name, then by message id.
PARAMS = {
    "es": {"key": "leads_mql", "kr": "KR2", "objective": "O1", "first": "O1", "label": "T1", "topic": "T1", "term": "MQL", "name": "MQL",
           "week": LAST_WEEK, "latest": LAST_WEEK, "numerator": "orders", "denominator": "sessions", "word": "mercadeo",
           "words": "la campaña se canceló", "suggestion": "lista", "comparator": "<=", "period": "semana pasada"},
    "en": {"key": "leads_mql", "kr": "KR2", "objective": "O1", "first": "O1", "label": "T1", "topic": "T1", "term": "MQL", "name": "MQL",
           "week": LAST_WEEK, "latest": LAST_WEEK, "numerator": "orders", "denominator": "sessions", "word": "marketing",
           "words": "the campaign was cancelled", "suggestion": "list", "comparator": "<=", "period": "last week"},
}
BY_MESSAGE = {
    # A number in the KPI's unit: the code passes the KPI the person named and an example in its unit.
    "kpi.percent_over_100": {"key": "cart_abandonment"},
    "kpi.unit_mismatch": {"key": "cart_abandonment", "example": {"es": "12 %", "en": "12%"}},
    "sla.target_missing": {"key": "followup_hours"},
    "sla.comparator_missing": {"key": "followup_hours"},
    "sla.period_missing": {"key": "followup_hours"},
    "sla.unknown_kpi_suggestion": {"suggestion": "sql"},
    "sla.contradicts_direction": {"key": "followup_hours", "comparator": ">=", "suggested": "<=", "target": "24",
                                  "lado": "ventas", "periodo": "semanal", "side": "sales", "period": "weekly"},
    # The KR is the one the person named: a KPI-backed one (KR1: 60-day repurchase, in %).
    "okr.checkin_kpi_backed": {"kr": "KR1", "key": "repurchase_60d"},
    "okr.checkin_kpi_needs_confidence": {"kr": "KR1"},
    "okr.retarget_reason_missing": {"kr": "KR1"},
    "okr.ui.retarget.unclear": {"kr": "KR1"},
    "okr.rhythm.reminder.one_line_kpi": {"kr": "KR1"},
    "okr.rhythm.reminder.one_line_kpi_only": {"kr": "KR1"},
    # The key the person typed that the team has no KPI for yet.
    "kpi.name_missing": {"key": "ventas_kits"},
    "kpi.rate_needs_parts": {"key": "conversion_kits"},
    "kpi.invalid_currency": {"key": "ventas_kits"},
    "sla.unknown_kpi": {"key": "ventas_kits"},
    # The what-if names the team's own orders and sessions KPIs in the rate it suggests.
    "whatif.missing_conversion": {"orders": "orders", "sessions": "sessions"},
}


@dataclass(frozen=True)
class Example:
    text: str  # after `/alinea `
    language: str
    source: str  # the message id, "README" or the SLA template

    def __str__(self) -> str:
        return f"[{self.language}] /alinea {self.text}  ({self.source})"


def is_syntax(snippet: str) -> bool:
    words = [word for word in CAPITALS.findall(snippet) if word not in VALUES_IN_CAPITALS]
    return bool(SYNTAX.search(snippet) or words)


def _filled(message_id: str, text: str, language: str) -> str:
    params = dict(PARAMS[language], **example_params(TODAY, language))
    for name, value in BY_MESSAGE.get(message_id, {}).items():
        params[name] = value[language] if isinstance(value, dict) else value
    try:
        return text.format(**params)
    except KeyError as missing:
        raise AssertionError(f"{message_id}: say in PARAMS what the code passes as {missing}") from None


def _snippets(text: str) -> list[str]:
    found = re.findall(r"`(/alinea\b[^`]*)`", text)
    return found + ([text] if text.startswith("/alinea") else [])


def catalog_examples() -> list[Example]:
    examples = []
    for language in ("es", "en"):
        for message_id, raw in message_ids(language).items():
            for snippet in _snippets(raw):
                if is_syntax(re.sub(r"\{\w+\}", "x", snippet)):
                    continue
                examples.append(Example(_filled(message_id, snippet, language).removeprefix("/alinea").strip(), language, message_id))
    return examples


def template_examples() -> list[Example]:
    """`/alinea sla templates` shows each template's command for the team's way of writing."""
    ways = {"es": ("es", "CO"), "en": ("en", "US")}
    return [Example(f"sla {'nuevo' if language == 'es' else 'new'} {template.one_line(language=language, country=ways[language][1])}",
                    language, f"SLA template {template.id}")
            for template in SLA_TEMPLATES for language in ways]  # fmt: skip


def readme_examples() -> list[Example]:
    """The README's examples are written the Colombian way (`1,6 %`): typed in the Spanish team."""
    section = README.read_text(encoding="utf-8").split("\n## In Slack", 1)[1].split("\n## ", 1)[0]
    return [Example(snippet.removeprefix("/alinea").strip(), "es", "README")
            for snippet in re.findall(r"`(/alinea\b[^`]*)`", section) if not is_syntax(snippet)]  # fmt: skip


def all_examples() -> list[Example]:
    unique = {}
    for example in catalog_examples() + template_examples() + readme_examples():
        unique.setdefault((example.text, example.language), example)
    return sorted(unique.values(), key=lambda e: (e.language, e.text))


# Refusals that come from the team's state or the person, not from the example: the example is
# right for the team it is typed in (a breach number the demo team does not have yet, a token
# that must first exist).
ALLOWED_REFUSALS: dict[str, str] = {
    "sla.same_as_in_force": "the demo team already agreed that very commitment (an SLA template, the usage's example)",
    "sla.ui.nothing_to_accept": "both sides of the demo team accepted SLA1 already",
    "alert.ui.unknown_rule": "the demo team has no alerts yet: the number comes from `/alinea alerta lista`",
    "ingest.no_active_token": "the demo team has no ingest token yet: `/alinea token crear` makes one",
}


# The seeded team, copied for every example ------------------------------------------------------------


class SqliteCopies:
    """A SQLite file per language seeded once; each example gets its own copy."""

    def __init__(self, directory: Path):
        self.directory, self.templates = directory, {}
        for language in ("es", "en"):
            path = directory / f"demo-{language}.db"
            migrations.upgrade(f"sqlite:///{path}")
            _seed(f"sqlite:///{path}", language)
            self.templates[language] = path

    def fresh(self, language: str) -> str:
        path = self.directory / f"{uuid.uuid4().hex[:8]}.db"
        copy_sqlite(self.templates[language], path)
        return f"sqlite:///{path}"

    def release(self, url: str) -> None:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


class PostgresCopies:
    """A PostgreSQL database per language seeded once; each example gets a copy (its template)."""

    def __init__(self, cluster):
        self.cluster, self.templates = cluster, {}
        for language in ("es", "en"):
            name = f"examples_{language}_{uuid.uuid4().hex[:6]}"
            url = cluster.create_database(name)
            migrations.upgrade(url)
            _seed(url, language)
            self.templates[language] = name

    def fresh(self, language: str) -> str:
        return self.cluster.create_database(f"x_{uuid.uuid4().hex[:12]}", template=self.templates[language])

    def release(self, url: str) -> None:
        self.cluster.drop_database(url.rsplit("/", 1)[1].split("?")[0])


@pytest.fixture(scope="module")
def sqlite_copies(tmp_path_factory) -> SqliteCopies:
    return SqliteCopies(tmp_path_factory.mktemp("examples"))


@pytest.fixture(scope="module")
def postgres_copies(postgres_cluster) -> PostgresCopies:
    return PostgresCopies(postgres_cluster)


def _seed(url: str, language: str) -> None:
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        team = demo_data.DemoTeam(slack_team_id="T0DOUBLE", channel_id=CHANNEL, name=CHANNEL_NAME)
        demo_data.seed(factory, team, today=TODAY)
        if language == "en":
            with factory.begin() as session:
                workspace = repositories.workspace_by_slack_id(session, slack_team_id=team.slack_team_id)
                teams.setup_team(session, workspace_id=workspace.id, channel_id=CHANNEL, channel_name=CHANNEL_NAME, actor=demo_data.CARO,
                                 is_workspace_admin=True, changes=SetupChanges(language="en", country="US"),
                                 defaults=teams.TeamDefaults("America/Bogota", "es"), now=NOW)  # fmt: skip
    finally:
        engine.dispose()


@dataclass
class Typed:
    reply: str
    refusals: list[str]


@pytest.fixture
def typist(sqlite_copies, caplog):
    return _typist(sqlite_copies, caplog)


@pytest.fixture
def postgres_typist(postgres_copies, caplog):
    return _typist(postgres_copies, caplog)


def _typist(copies, caplog):
    caplog.set_level(logging.INFO, logger="alinea.errors")

    def type_example(example: Example) -> Typed:
        url = copies.fresh(example.language)
        try:
            return _typed(url, example, caplog)
        finally:
            copies.release(url)

    return type_example


def _typed(url: str, example: Example, caplog) -> Typed:
    settings = Settings(database_url=url, slack_bot_token="xoxb-test", slack_signing_secret="test-secret")
    caplog.clear()
    with SlackDouble() as double, LoopbackBot(settings, double=double, clock=Clock(NOW)) as bot:
        double.add_channel(CHANNEL, CHANNEL_NAME)
        for user_id, name, locale in demo_data.PEOPLE:
            double.add_user(user_id, name=name, locale=locale, is_admin=user_id == ANA)
        sent = bot.driver.slash_command(as_slack_sends(example.text, demo_data.PEOPLE), user_id=ANA, channel_id=CHANNEL, user_name="ana")
        assert sent.ok, (sent.status, sent.body)
        shown = _answer(double, sent.response_url)
        assert not double.internal_errors, double.internal_errors
    refusals = [r.getMessage().removeprefix("refused: ") for r in caplog.records if r.getMessage().startswith("refused: ")]
    return Typed(shown, refusals)


def _answer(double: SlackDouble, response_url: str, timeout: float = 15.0) -> str:
    """The private answer, or the form the command opened (`views.open`) when it answers with one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answers = [call for call in double.calls_to(RESPONSE_URL_METHOD) if call.url == response_url]
        if answers:
            return render(answers[0].params)
        if double.calls_to("views.open"):
            return "(a form opened)"
        time.sleep(0.02)
    raise AssertionError("no answer and no form within 15 s")


def as_slack_sends(text: str, people) -> str:
    """Entities escaped and `@name` resolved to a mention, as Slack sends a command's text;
    `@persona`/`@person` (an example's "someone") becomes the demo's sales lead."""
    by_name = {name: user_id for user_id, name, _ in people} | {"persona": demo_data.LUIS, "person": demo_data.LUIS}
    escaped = slack_escape(text)
    return re.sub(r"@([\w.]+)", lambda found: f"<@{by_name[found.group(1)]}|{found.group(1)}>" if found.group(1) in by_name else found.group(0), escaped)


EXAMPLES = all_examples()


def test_examples_are_collected_from_every_source():
    sources = {example.source for example in catalog_examples() + template_examples() + readme_examples()}
    assert "README" in sources and any(source.startswith("SLA template") for source in sources)
    assert {"help.cmd.kpi.example", "help.cmd.okr.example", "home.ui.welcome.setup", "okr.ui.kr.usage", "kpi.ui.log_usage"} <= sources
    assert {example.language for example in EXAMPLES} == {"es", "en"}


def assert_works(typed: Typed, example: Example) -> None:
    unexpected = [refusal for refusal in typed.refusals if refusal not in ALLOWED_REFUSALS]
    assert not unexpected, f"{example} was refused ({unexpected}):\n{typed.reply}"
    assert "Algo falló" not in typed.reply and "Something failed" not in typed.reply, typed.reply


@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_every_printed_example_works_when_typed(typist, example):
    assert_works(typist(example), example)


# The OKR examples read KPI values (a KR's baseline and progress): they run on PostgreSQL too.
OKR_EXAMPLES = [example for example in EXAMPLES if example.text.split()[:1] in (["okr"], ["smart"])]


@pytest.mark.postgres
@pytest.mark.parametrize("example", OKR_EXAMPLES, ids=str)
def test_the_okr_examples_work_on_postgresql(postgres_typist, example):
    assert_works(postgres_typist(example), example)


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_kr_on_a_kpi_names_the_logged_value_it_starts_from(request, database):
    typist = request.getfixturevalue("typist" if database == "sqlite" else "postgres_typist")
    """The README's example: the demo team logged WhatsApp close rate every week; the last
    complete week is 2026-W48 (today is Sunday 6 December, week 49 still in progress)."""
    typed = typist(Example("okr kr agregar O2 aumentar whatsapp_close_rate en 25 % en 3 meses dueño @luis", "es", "README"))
    assert not typed.refusals, typed.reply
    assert re.search(r"Línea base \d+(,\d+)?\s%: el valor registrado para semana 48 de 2026 \(23–29 nov\)\.", typed.reply), typed.reply


def test_with_nothing_logged_the_kr_reply_says_what_to_log(typist):
    typed = typist(Example("okr kr agregar O2 aumentar contact_attempts en 25 % en 3 meses dueño @luis", "es", "README"))
    assert typed.refusals == ["okr.kpi_nothing_logged"]
    assert "`/alinea registrar contact_attempts VALOR para semana pasada`" in typed.reply
    assert "al 31/03/2027" in typed.reply, typed.reply  # the example date: the end of the next quarter
