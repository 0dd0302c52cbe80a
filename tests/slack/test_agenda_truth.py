"""An agenda for a week nobody logged yet: the notification, the parent and the plan say that the
primary KPI has no value for that week and name the command that logs it; typed as shown (with a
number for the placeholder) through the signed endpoint, that command fills exactly that week,
in Spanish and in English, for a KPI logged itself and for a computed rate (its parts)."""

from __future__ import annotations

import json
import re
from contextlib import ExitStack
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.jobs import run_job
from bot.loopback import LoopbackBot
from bot.scheduler import job_named
from bot.transcript import render
from db import repositories
from domain.periods import Period
from domain.setup import SetupChanges
from domain.sla import parse_commitment
from services import breach_evaluation, kpis, sla, teams, workspaces
from services.job_runs import Outcome
from services.teams import TeamDefaults
from tests.slack.test_agenda_posting import with_team
from tests.support.agenda_consistency import contradictions, thread_sections
from tests.support.clock import Clock

BOGOTA = ZoneInfo("America/Bogota")
CHANNEL = "C0TEAM"
ANA, LUIS, ROSA, TOM = "U0ANA", "U0LUIS", "U0ROSA", "U0TOM"
CREATED = datetime(2026, 3, 2, 10, 0, tzinfo=BOGOTA)
W10, W11 = Period.week_of(date(2026, 3, 2)), Period.week_of(date(2026, 3, 9))
POSTED = datetime(2026, 3, 16, 7, 0, tzinfo=BOGOTA)  # Monday 16 March: the agenda of W12 reports W11
COMMAND = re.compile(r"`/alinea ([^`]+)`")
PLACEHOLDER = {"es": ("VALOR", "4700"), "en": ("VALUE", "4700")}


@pytest.fixture
def clock():
    return Clock(CREATED)


@pytest.fixture
def start(settings, double, clock):
    """Starts the app with a team speaking `language`, its starter KPIs enabled."""
    with ExitStack() as stack:
        yield lambda language: _started(stack.enter_context(LoopbackBot(settings, double=double, clock=clock)), language)


def _started(bot: LoopbackBot, language: str) -> LoopbackBot:
    double = bot.double
    for user_id in (LUIS, ROSA):
        double.add_user(user_id, name=user_id.lower(), locale="es-LA")
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=double.team_id, defaults=bot.runtime.workspace_defaults, now=CREATED)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=CHANNEL, channel_name="alineacion", actor=ROSA, is_workspace_admin=True,
            changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,), admins=(ROSA,)),
            defaults=TeamDefaults("America/Bogota", language), now=CREATED,
        )  # fmt: skip
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=CHANNEL)
        kpis.enable_starter_set(session, team=team, actor=ANA, now=CREATED, language=language)
    return bot


def log(bot, key: str, value: str, week: Period) -> None:
    with_team(bot, kpis.record, key=key, value=Decimal(value), shown=value, period=week, source="slack", actor=LUIS, note="", now=CREATED)


def post_agenda(bot, clock, job: str = "weekly-agenda", at: datetime = POSTED) -> tuple[dict, list[dict]]:
    """The agenda's parent message and its thread, posted as the scheduler posts them."""
    clock.now = at
    before = {m["ts"] for m in bot.double.messages(CHANNEL)}
    (result,) = run_job(bot.runtime, job_named(job), at=at, team_ref=CHANNEL)
    assert result.outcome is Outcome.DONE, result.line()
    (parent,) = [m for m in bot.double.messages(CHANNEL) if m["ts"] not in before and m.get("thread_ts", m["ts"]) == m["ts"]]
    return parent, [m for m in bot.double.messages(CHANNEL) if m.get("thread_ts") == parent["ts"] and m["ts"] != parent["ts"]]


def plain(text: str) -> str:
    """Babel's narrow and thin spaces (in "9–15 mar", "Mar 9 – 15") as plain ones."""
    return re.sub("[\u2009\u202f\xa0]", " ", text)


def value_of(bot, key: str, week: Period) -> Decimal | None:
    return with_team(bot, lambda session, team: kpis.series(session, team=team, key=key, periods=[week])[0].value)


def type_each_command(bot, text: str, language: str) -> list[str]:
    """Every command the text shows, typed as shown with a number for the placeholder."""
    placeholder, number = PLACEHOLDER[language]
    commands = COMMAND.findall(text)
    for command in commands:
        assert placeholder in command, command
        _, reply = bot.command(command.replace(placeholder, number), user_id=LUIS, channel_id=CHANNEL, timeout=10)
        assert "2026" in render(reply.params) and "⚠" not in render(reply.params), reply.params
    return commands


@pytest.mark.parametrize(
    "language, said",
    [("es", "Ventas no tiene dato en semana 11 de 2026 (9–15 mar); regístrenlo con `/alinea registrar sales_cop VALOR para 2026-W11`"),
     ("en", "Sales has no value for week 11 of 2026 (Mar 9 – 15); log it with `/alinea log sales_cop VALUE for 2026-W11`")],
)  # fmt: skip
def test_a_week_nobody_logged_says_the_primary_has_no_value_and_the_command_that_logs_it(start, clock, language, said):
    bot = start(language)
    with_team(bot, kpis.set_roles, role="primary", keys=["sales_cop"], actor=ANA, now=CREATED)
    log(bot, "sales_cop", "4000", W10)  # the team has a baseline; week 11 nobody logged
    parent, thread = post_agenda(bot, clock)
    plan = next(message for message in thread if "10 min" in render(message))
    shown = plain(render(parent))
    assert said in plain(parent["text"])  # the notification
    assert "sin KPI principal" not in parent["text"] and "no primary KPI" not in parent["text"]
    assert "`/alinea " in shown and said.split(";")[1].strip() in shown  # the parent's primary line
    assert said in plain(render(plan))  # the plan's first step
    assert value_of(bot, "sales_cop", W11) is None
    assert type_each_command(bot, parent["text"], language) == [said.split("`/alinea ")[1].rstrip("`")]
    assert value_of(bot, "sales_cop", W11) == Decimal(4700) and value_of(bot, "sales_cop", W10) == Decimal(4000)


def test_a_computed_primary_names_the_commands_of_its_parts(start, clock):
    bot = start("es")
    with_team(bot, kpis.set_roles, role="primary", keys=["conversion_web"], actor=ANA, now=CREATED)
    log(bot, "orders", "120", W10)
    log(bot, "sessions", "10000", W10)
    parent, _ = post_agenda(bot, clock)
    assert "se calcula de `orders` ÷ `sessions`" in parent["text"]
    assert "registrar conversion_web" not in parent["text"]  # a rate is refused when logged: never suggested
    assert type_each_command(bot, parent["text"], "es") == ["registrar orders VALOR para 2026-W11", "registrar sessions VALOR para 2026-W11"]
    assert value_of(bot, "conversion_web", W11) is not None


def test_a_month_nobody_logged_names_the_command_for_that_month(start, clock):
    bot = start("es")
    with_team(bot, kpis.set_roles, role="primary", keys=["sales_cop"], actor=ANA, now=CREATED)
    log(bot, "sales_cop", "4000", Period.week_of(date(2026, 2, 9)))  # February has a value; March nobody logged
    parent, _ = post_agenda(bot, clock, "monthly-agenda", datetime(2026, 4, 7, 7, 0, tzinfo=BOGOTA))
    said = "Ventas no tiene dato en marzo de 2026; regístrenlo con `/alinea registrar sales_cop VALOR para 2026-03`"
    assert said in plain(parent["text"])
    assert "*Ventas* (`sales_cop`) no tiene dato en marzo de 2026; regístrenlo con `/alinea registrar sales_cop VALOR para 2026-03`" in plain(render(parent))
    assert type_each_command(bot, parent["text"], "es") == ["registrar sales_cop VALOR para 2026-03"]
    assert value_of(bot, "sales_cop", Period.month(2026, 3)) == Decimal(4700)


def parts_by_name(parent: dict, thread: list[dict]) -> dict[str, dict]:
    """The agenda's sections by name, read from its details replies."""
    return thread_sections(parent, thread)


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_posted_agenda_never_contradicts_its_parent(start, clock, language):
    """Sales +9,8 % in the parent; the changes part lists it (it used to say nothing moved)."""
    bot = start(language)
    with_team(bot, kpis.set_roles, role="primary", keys=["sales_cop"], actor=ANA, now=CREATED)
    with_team(bot, kpis.set_roles, role="support", keys=["conversion_web", "avg_deal"], actor=ANA, now=CREATED)
    proposal = with_team(bot, sla.propose, actor=LUIS, terms=parse_commitment("ventas sales_cop >= 45000000 semanal"), now=CREATED)
    assert with_team(bot, sla.accept, version_id=proposal.version.id, actor=ANA, now=CREATED).active
    for key, before, after in (("sales_cop", "40000000", "43920000"), ("orders", "120", "121"), ("sessions", "10000", "10050"),
                               ("avg_deal", "130000", "131000")):  # fmt: skip
        log(bot, key, before, W10)
        log(bot, key, after, W11)
    with_team(bot, breach_evaluation.evaluate, now=datetime(2026, 3, 16, 0, 15, tzinfo=BOGOTA))  # week 11 closed: 43.920.000 < 45.000.000
    parent, thread = post_agenda(bot, clock)
    parts = parts_by_name(parent, thread)
    assert {"kpis", "sla", "changes", "plan", "summary"} <= set(parts)
    assert "43.920.000" in plain(render(parts["sla"])) and "❌" in plain(render(parts["sla"]))
    period = "semana 11 de 2026" if language == "es" else "week 11 of 2026"
    assert contradictions(parent, parts, language=language, period=period) == []
    stale = json.loads(json.dumps(parts["sla"]).replace("43.920.000", "43.000.000"))  # as if evaluated before a correction
    assert [found.split(":")[0] for found in contradictions(parent, parts | {"sla": stale}, language=language, period=period)] == ["sla"]
    moved = "+9,8 %" if language == "es" else "+9,8%"  # an English team in Colombia writes numbers the Colombian way
    assert moved in plain(render(parent)) and moved in plain(render(parts["changes"]))
    assert "(`sales_cop`)" in plain(render(parts["changes"])).split("\n")[1]  # the largest move, first
    month, thread = post_agenda(bot, clock, "monthly-agenda", datetime(2026, 4, 7, 7, 0, tzinfo=BOGOTA))
    assert contradictions(month, parts_by_name(month, thread), language=language, period="marzo" if language == "es" else "March") == []


def test_a_first_agenda_with_a_computed_primary_suggests_logging_one_of_its_parts(start, clock):
    bot = start("es")
    with_team(bot, kpis.set_roles, role="primary", keys=["conversion_web"], actor=ANA, now=CREATED)
    parent, _ = post_agenda(bot, clock)  # nothing logged yet: the agenda says how to start
    shown = plain(render(parent))
    assert "`/alinea registrar orders VALOR para semana pasada`" in shown and "registrar conversion_web" not in shown
    _, reply = bot.command("registrar orders 120 para semana pasada", user_id=LUIS, channel_id=CHANNEL, timeout=10)
    assert "⚠" not in render(reply.params) and value_of(bot, "orders", W11) == Decimal(120)  # typed on Monday 16 March: week 11
