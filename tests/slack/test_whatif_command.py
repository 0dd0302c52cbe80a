"""`/alinea simular …` (whatif) through the signed endpoint, on the demo shop's own weeks: the
formula, the weeks used, each path with its realism and the glossary in force; privately, in the
team's language and number format."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot import demo_data
from bot.blocks.okr import KR_BASELINE, KR_DEADLINE, KR_KPI, KR_TARGET, NEW_VIEW
from bot.blocks.whatif import USE_AS_KR
from bot.loopback import LoopbackBot
from bot.slack_double import slack_escape
from bot.transcript import render
from db import repositories
from db.models import AuditEntry, OkrKeyResult
from domain.periods import Period
from domain.setup import SetupChanges
from services import kpis, teams, workspaces
from services.teams import TeamDefaults

# Wednesday 11 March 2026, 10:00 in Bogotá: the demo's history ends the week of 2 March.
NOW = datetime(2026, 3, 11, 15, 0, tzinfo=timezone.utc)
LAST_WEEKS = [Period.week_of(date(2026, 3, 2) - timedelta(weeks=back)) for back in (3, 2, 1, 0)]
DAYS_PER_MONTH = Decimal("30.4375")


@pytest.fixture
def bot(settings, double, transport):
    double.add_user("U0LUIS", name="luis", locale="es-LA")
    double.add_user("U0CARO", name="caro", locale="es-LA")
    double.add_channel("C0GROWTH", "growth")
    with LoopbackBot(settings, double=double, clock=lambda: NOW, transport=transport) as bot:
        for channel_id, name in (("C0TEAM", "alineacion"), ("C0GROWTH", "growth")):
            demo = demo_data.DemoTeam(slack_team_id=double.team_id, channel_id=channel_id, name=name)
            demo_data.seed(bot.runtime.session_factory, demo, today=NOW.date(), daily=False)
        with bot.runtime.session_factory.begin() as session:  # the second shop speaks English
            workspace = workspaces.ensure_workspace(session, slack_team_id=double.team_id, defaults=bot.runtime.workspace_defaults, now=NOW)
            teams.setup_team(
                session, workspace_id=workspace.id, channel_id="C0GROWTH", channel_name="growth", actor=demo_data.CARO,
                is_workspace_admin=True, changes=SetupChanges(language="en", country="US"),
                defaults=TeamDefaults("America/Bogota", "en"), now=NOW,
            )  # fmt: skip
        yield bot


def ask(bot, text, *, channel_id="C0TEAM", user_id=demo_data.ANA):
    _, reply = bot.command(slack_escape(text), user_id=user_id, channel_id=channel_id)
    assert reply.ok, reply.response
    assert reply.params.get("response_type") == "ephemeral"  # only the person who asked sees it
    return render(reply.params), reply.params


def demo_funnel(bot, channel_id="C0TEAM"):
    """Sessions, orders and ticket of the demo's last four weeks, as its KPIs report them."""
    with bot.runtime.session_factory() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)
        read = {key: [point.value for point in kpis.series(session, team=team, key=key, periods=LAST_WEEKS)] for key in ("sessions", "orders", "avg_deal")}
    return read


@pytest.mark.both_transports
def test_fifteen_million_more_a_month_by_conversion_in_spanish(bot):
    shown, message = ask(bot, "simular ventas +15 millones por mes con conversión")
    read = demo_funnel(bot)
    sessions, orders = sum(read["sessions"]), sum(read["orders"])
    ticket = sum(o * t for o, t in zip(read["orders"], read["avg_deal"])) / orders
    monthly = sessions / 4 * DAYS_PER_MONTH / 7
    needed = (monthly * orders / sessions * ticket + 15000000) * 100 / (monthly * ticket)

    assert "Simulación: ventas +$15.000.000 por mes" in shown
    assert "*Fórmula:* ventas = sesiones × conversión × ticket promedio; pedidos = sesiones × conversión." in shown
    assert "promedio de 4 semanas completas, del 9 feb 2026 al 8 mar 2026" in shown
    today = f"{orders * 100 / sessions:.2f}".replace(".", ",").rstrip("0").rstrip(",")
    wanted = f"{needed:.2f}".replace(".", ",").rstrip("0").rstrip(",")
    assert f"*Conversión* (`conversion_web`): de {today}\u00a0% a *{wanted}\u00a0%*" in shown
    assert shown.index("*Conversión*") < shown.index("*Tráfico*") < shown.index("*Ticket promedio*") < shown.index("*Pedidos*")
    assert "las 26 semanas del 8 sept 2025 al 8 mar 2026" in shown or "las 26 semanas del 8 sep 2025 al 8 mar 2026" in shown
    assert "*Qué significa cada término* (glosario en vigor):" in shown
    assert "(se calcula: `orders` ÷ `sessions`)" in shown
    assert "sin definición acordada. Propónla con `/alinea definir Sesiones: …`" in shown
    assert len(message["blocks"]) <= 50


def test_realism_from_the_shops_history(bot):
    fantasy, _ = ask(bot, "simular ventas +200 millones por mes con conversión")
    conversion_line = next(line for line in fantasy.splitlines() if "Poco realista" in line)
    assert re.search(r"tendría que moverse [\d,]+ veces más rápido de lo que nunca se ha movido en las 26 semanas", conversion_line)
    modest, _ = ask(bot, "simular ventas +1 millón por mes con conversión")
    first_path = modest.split("*Conversión*")[1].split("*Tráfico*")[0]
    assert "✅ Realista" in first_path


def test_how_many_orders_for_sixty_million(bot):
    shown, _ = ask(bot, "¿cuántos pedidos necesito para 60 millones?")
    assert "Simulación: ventas de $60.000.000 por mes" in shown
    assert shown.index("*Pedidos*") < shown.index("*Conversión*")  # what was asked comes first
    read = demo_funnel(bot)
    orders = sum(read["orders"])
    ticket = sum(o * t for o, t in zip(read["orders"], read["avg_deal"])) / orders
    needed = round(Decimal(60000000) / ticket)
    assert f"a *{needed:,}*".replace(",", ".") + " por mes" in shown


def test_meta_ventas_and_a_weekly_goal(bot):
    shown, _ = ask(bot, "meta ventas 60 millones por semana")
    assert "Simulación: ventas de $60.000.000 por semana" in shown
    assert "sesiones por semana" in shown


@pytest.mark.both_transports
def test_in_english_with_english_numbers(bot):
    shown, _ = ask(bot, "whatif sales +15M per month by conversion", channel_id="C0GROWTH")
    assert "What if: sales +COP15,000,000 per month" in shown  # a US team shows the peso's code
    assert "*Formula:* sales = sessions × conversion × average ticket; orders = sessions × conversion." in shown
    assert "mean of 4 complete weeks, Feb 9, 2026 to Mar 8, 2026" in shown
    assert re.search(r"\*Conversion\* \(`conversion_web`\): from \d\.\d+% to \*\d\.\d+%\* \(\+\d\.\d+ points, ×\d\.\d+\)", shown)
    assert "*What each term means* (glossary in force):" in shown


def test_mistakes_say_what_to_type(bot):
    shown, _ = ask(bot, "simular")
    assert "Escribe la meta de ventas, por ejemplo: `/alinea simular ventas +15 millones por mes con conversión`" in shown
    shown, _ = ask(bot, "simular ventas +15 millones USD")
    assert "no es una cantidad de dinero" in shown
    shown, _ = ask(bot, "whatif sales lots", channel_id="C0GROWTH")
    assert "Type the sales goal" in shown


def test_a_team_without_a_funnel_is_told_which_kpi_to_define(bot):
    bot.double.add_channel("C0EMPTY", "vacio")
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=NOW)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id="C0EMPTY", channel_name="vacio", actor=demo_data.ANA, is_workspace_admin=False,
            changes=SetupChanges(marketing_leads=(demo_data.ANA,), sales_leads=(demo_data.LUIS,)), defaults=TeamDefaults("America/Bogota", "es"), now=NOW,
        )  # fmt: skip
    shown, _ = ask(bot, "simular ventas +15 millones", channel_id="C0EMPTY")
    assert "no hay un KPI de sesiones" in shown and "`/alinea kpi plantillas`" in shown


@pytest.mark.parametrize("channel_id, words", [("C0TEAM", "/alinea simular | whatif | meta"), ("C0GROWTH", "/alinea simular | whatif | meta")])
def test_help_lists_it_in_both_languages(bot, channel_id, words):
    shown, _ = ask(bot, "help", channel_id=channel_id)
    assert words in shown
    assert "/alinea simular ventas +15 millones por mes con conversión" in shown or "/alinea whatif sales +15M per month by conversion" in shown


def smart_buttons(message):
    return [element for block in message["blocks"] if block["type"] == "actions" for element in block["elements"]]


def press(bot, button, *, channel_id="C0TEAM", user_id=demo_data.ANA):
    result = bot.driver.block_action(button["action_id"], value=button["value"], user_id=user_id, channel_id=channel_id)
    assert result.status == 200
    (answer,) = bot.double.wait_for_response(result.response_url)
    assert answer.params.get("response_type") == "ephemeral"
    return render(answer.params)


@pytest.mark.both_transports
@pytest.mark.parametrize("channel_id, text, achievable", [
    ("C0TEAM", "simular ventas +400 millones por mes con conversión", "❌ *Alcanzable*"),
    ("C0TEAM", "simular ventas +200 millones por mes con conversión", "✅ *Alcanzable*"),  # a stretch: up to twice its fastest
    ("C0TEAM", "simular ventas +1 millón por mes con conversión", "✅ *Alcanzable*"),
    ("C0GROWTH", "whatif sales +400M per month by conversion", "❌ *Achievable*"),
])  # fmt: skip
def test_check_as_smart_goal_gives_the_same_verdict(bot, channel_id, text, achievable):
    shown, message = ask(bot, text, channel_id=channel_id)
    buttons = [button for button in smart_buttons(message) if button["action_id"] == "whatif-check-smart"]
    assert len(buttons) == 4  # conversion, sessions, ticket, orders
    conversion = buttons[0]
    assert conversion["value"].startswith(("Aumentar conversion_web de ", "Increase conversion_web from "))
    verdict_of_path = shown.split("*Conver")[1].split("\n")[1][:1]
    before = saved(bot)
    checklist = press(bot, conversion, channel_id=channel_id)
    assert achievable in checklist
    assert achievable[0] == {"🟡": "✅"}.get(verdict_of_path, verdict_of_path)  # the path and the checklist agree
    assert saved(bot) == before  # nothing is saved without a person


def saved(bot):
    with bot.runtime.session_factory() as session:
        return len(session.scalars(select(OkrKeyResult)).all()), len(session.scalars(select(AuditEntry)).all())


def test_traffic_goes_to_the_smart_check_per_week(bot):
    _, message = ask(bot, "simular ventas +15 millones por mes")
    values = [button["value"] for button in smart_buttons(message) if button["action_id"] == "whatif-check-smart"]
    assert any(re.fullmatch(r"Aumentar sessions por semana de [\d.]+ a [\d.]+ en 1 mes", value) for value in values), values
    assert any(re.fullmatch(r"Aumentar avg_deal de [\d.]+ COP a [\d.]+ COP en 1 mes", value) for value in values), values


@pytest.mark.both_transports
def test_use_as_key_result_opens_the_objective_form_filled_in_and_saves_nothing(bot):
    _, message = ask(bot, "simular ventas +15 millones por mes con conversión")
    use = next(button for button in smart_buttons(message) if button["action_id"] == USE_AS_KR)
    before = saved(bot)
    result = bot.driver.block_action(USE_AS_KR, value=use["value"], user_id=demo_data.ANA, channel_id="C0TEAM", trigger_id="T.use-as-kr")
    assert result.status == 200
    opened = bot.double.wait_for("views.open", lambda call: call.params["trigger_id"] == "T.use-as-kr")[-1]
    assert opened.ok, opened.response
    view = opened.params["view"]
    fields = {block["block_id"]: block["element"] for block in view["blocks"] if block["type"] == "input"}
    assert view["callback_id"] == NEW_VIEW
    assert fields[KR_KPI]["initial_option"]["value"] == "conversion_web"
    assert re.fullmatch(r"1,\d+\u00a0%", fields[KR_BASELINE]["initial_value"])
    assert re.fullmatch(r"1,\d+\u00a0%", fields[KR_TARGET]["initial_value"])
    assert fields[KR_BASELINE]["initial_value"] != fields[KR_TARGET]["initial_value"]
    assert fields[KR_DEADLINE]["initial_date"] == "2026-04-10"  # a month: 30 days from 11 March
    assert saved(bot) == before  # nothing is saved until a person submits the form


def test_use_as_key_result_is_for_the_teams_leads(bot):
    bot.double.add_user("U0PEDRO", name="pedro", locale="es-LA")
    _, message = ask(bot, "simular ventas +15 millones por mes", user_id="U0PEDRO")
    use = next(button for button in smart_buttons(message) if button["action_id"] == USE_AS_KR)
    result = bot.driver.block_action(USE_AS_KR, value=use["value"], user_id="U0PEDRO", channel_id="C0TEAM", trigger_id="T.not-a-lead")
    (answer,) = bot.double.wait_for_response(result.response_url)
    assert "líder" in render(answer.params).lower()
    assert bot.double.calls_to("views.open") == []


# English questions, the weeks and the path chosen --------------------------------------------------


def orders_needed(bot, goal, channel_id="C0TEAM"):
    """The orders a month that sell `goal` at the demo's ticket of its last four weeks (Σ sales ÷ Σ orders)."""
    read = demo_funnel(bot, channel_id)
    ticket = sum(o * t for o, t in zip(read["orders"], read["avg_deal"])) / sum(read["orders"])
    return round(Decimal(goal) / ticket)


@pytest.mark.both_transports
def test_how_many_orders_do_i_need_in_english(bot):
    shown, _ = ask(bot, "how many orders do I need for 60 million?", channel_id="C0GROWTH")
    assert "What if: sales of COP60,000,000 per month" in shown
    assert shown.index("*Orders*") < shown.index("*Conversion*")  # what was asked comes first
    assert f"to *{orders_needed(bot, 60000000, 'C0GROWTH'):,}* per month" in shown
    assert "mean of 4 complete weeks, Feb 9, 2026 to Mar 8, 2026" in shown


@pytest.mark.parametrize("channel_id, text, first, title", [
    ("C0GROWTH", "how many sales for 60M", "*Orders*", "What if: sales of COP60,000,000 per month"),
    ("C0GROWTH", "how much traffic do I need for 60M a week?", "*Traffic*", "What if: sales of COP60,000,000 per week"),
    ("C0TEAM", "¿cuántas ventas necesito para 60 millones?", "*Pedidos*", "Simulación: ventas de $60.000.000 por mes"),
    ("C0TEAM", "¿Cuántas sesiones necesito para 60 millones por semana?", "*Tráfico*", "Simulación: ventas de $60.000.000 por semana"),
    ("C0TEAM", "simular ventas +15 millones con tráfico", "*Tráfico*", "Simulación: ventas +$15.000.000 por mes"),
    ("C0TEAM", "simular ventas +15 millones por mes con ticket", "*Ticket promedio*", "Simulación: ventas +$15.000.000 por mes"),
    ("C0GROWTH", "whatif sales +15M per month by ticket", "*Average ticket*", "What if: sales +COP15,000,000 per month"),
    ("C0GROWTH", "whatif sales +15M per month by traffic", "*Traffic*", "What if: sales +COP15,000,000 per month"),
])  # fmt: skip
def test_the_path_asked_for_comes_first(bot, channel_id, text, first, title):
    shown, _ = ask(bot, text, channel_id=channel_id)
    assert title in shown
    levers = [word for word in ("*Conversión*", "*Tráfico*", "*Ticket promedio*", "*Pedidos*", "*Conversion*", "*Traffic*", "*Average ticket*", "*Orders*")
              if word in shown]  # fmt: skip
    assert min(levers, key=shown.index) == first
    assert len(levers) == 4  # the others follow


def test_how_without_many_or_much_says_what_to_type(bot):
    shown, _ = ask(bot, "how do I define a term?", channel_id="C0GROWTH")
    assert "Type the sales goal, for example:" in shown and "`/alinea how many orders do I need for 60M?`" in shown


@pytest.mark.both_transports
@pytest.mark.parametrize("channel_id, text, stated", [
    ("C0TEAM", "simular ventas +15 millones por mes con conversión últimas 8 semanas", "promedio de 8 semanas completas, del 12 ene 2026 al 8 mar 2026"),
    ("C0GROWTH", "whatif sales +15M per month by conversion last 8 weeks", "mean of 8 complete weeks, Jan 12, 2026 to Mar 8, 2026"),
])  # fmt: skip
def test_the_weeks_asked_for_are_used_and_stated(bot, channel_id, text, stated):
    shown, _ = ask(bot, text, channel_id=channel_id)
    assert stated in shown
    eight = [Period.week_of(date(2026, 3, 2) - timedelta(weeks=back)) for back in range(7, -1, -1)]
    with bot.runtime.session_factory() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)
        sessions, orders = (sum(point.value for point in kpis.series(session, team=team, key=key, periods=eight)) for key in ("sessions", "orders"))
    today = f"{orders * 100 / sessions:.2f}".rstrip("0").rstrip(".")
    assert (f"de {today.replace('.', ',')}\u00a0% a *" if channel_id == "C0TEAM" else f"from {today}% to *") in shown


@pytest.mark.parametrize("channel_id, text, said", [
    ("C0TEAM", "simular ventas +15 millones últimas 20 semanas",
     "No puedo usar 20 semanas: el promedio sale de entre 1 y 13 semanas completas. Por ejemplo: `/alinea simular ventas +15 millones por mes últimas 8 semanas`."),
    ("C0TEAM", "simular ventas +15 millones últimas ocho semanas", "«ocho» no es un número de semanas. Escríbelo con cifras, entre 1 y 13"),
    ("C0GROWTH", "whatif sales +15M last 0 weeks", "I cannot use 0 weeks: the mean comes from between 1 and 13 complete weeks."),
    ("C0GROWTH", "whatif sales +15M last eight weeks", "\"eight\" is not a number of weeks. Type it in digits, from 1 to 13"),
])  # fmt: skip
def test_a_bad_number_of_weeks_says_what_to_type(bot, channel_id, text, said):
    shown, _ = ask(bot, text, channel_id=channel_id)
    assert said in shown


# With a history of 1,2 % conversion: "3,5 % next month" is unrealistic, "1,6 % in a month" is not -----

HISTORY_ORDERS = [120, 110, 120, 130, 120, 120] * 3 + [120] * 8  # 26 weeks of 10 000 sessions: 1,1–1,3 %, fastest move 0,1 points
TWELVE = {"C0DOCE": ("es", "CO"), "C0TWELVE": ("en", "US")}


def twelve_tenths_team(bot, channel_id):
    """A shop converting 1,2 % for half a year (10 000 sessions and a $100 000 ticket a week),
    made as a team would: set up, starter KPIs, values logged week by week."""
    language, country = TWELVE[channel_id]
    bot.double.add_channel(channel_id, channel_id.lower())
    with bot.runtime.session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id=bot.double.team_id, defaults=bot.runtime.workspace_defaults, now=NOW)
        teams.setup_team(
            session, workspace_id=workspace.id, channel_id=channel_id, channel_name=channel_id.lower(), actor=demo_data.ANA,
            is_workspace_admin=True, changes=SetupChanges(language=language, country=country, marketing_leads=(demo_data.ANA,)),
            defaults=TeamDefaults("America/Bogota", language), now=NOW,
        )  # fmt: skip
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel_id)
        kpis.enable_starter_set(session, team=team, actor=demo_data.ANA, now=NOW, language=language)
        last = Period.week_of(date(2026, 3, 2))
        weeks = [last]
        while len(weeks) < len(HISTORY_ORDERS):
            weeks.insert(0, weeks[0].previous())
        for week, orders in zip(weeks, HISTORY_ORDERS):
            for key, value in (("sessions", 10000), ("orders", orders), ("avg_deal", 100000)):
                kpis.record(session, team=team, key=key, value=Decimal(value), shown=str(value), period=week, source="slack",
                            actor=demo_data.ANA, note="", now=NOW)  # fmt: skip


def monthly_sales_at(conversion: str) -> Decimal:
    """A month's sales at `conversion` % of this shop's traffic and ticket: 10 000 × 30,4375 ÷ 7 sessions × % × $100 000."""
    return (Decimal(10000) * DAYS_PER_MONTH / 7 * Decimal(conversion) / 100 * 100000).quantize(Decimal("0.01"))


@pytest.mark.both_transports
@pytest.mark.parametrize("channel_id, conversion, path, verdict", [
    ("C0DOCE", "3.5", "*Conversión* (`conversion_web`): de 1,2\u00a0% a *3,5\u00a0%* (+2,3 puntos, ×2,92)", "❌ Poco realista: tendría que moverse 5,3 veces más rápido"),
    ("C0DOCE", "1.6", "*Conversión* (`conversion_web`): de 1,2\u00a0% a *1,6\u00a0%* (+0,4 puntos, ×1,33)", "✅ Realista: pide 0,09\u00a0% por semana"),
    ("C0TWELVE", "3.5", "*Conversion* (`conversion_web`): from 1.2% to *3.5%* (+2.3 points, ×2.92)", "❌ Unrealistic: it would have to move 5.3 times faster"),
    ("C0TWELVE", "1.6", "*Conversion* (`conversion_web`): from 1.2% to *1.6%* (+0.4 points, ×1.33)", "✅ Realistic: it asks 0.09% a week"),
])  # fmt: skip
def test_from_a_history_of_1_2_percent_conversion(bot, channel_id, conversion, path, verdict):
    twelve_tenths_team(bot, channel_id)
    amount = monthly_sales_at(conversion)  # 152.187.500 at 3,5 %; 69.571.428,57 at 1,6 %
    typed = (f"simular ventas {amount:,.2f} por mes con conversión".replace(",", "_").replace(".", ",").replace("_", ".")
             if TWELVE[channel_id][0] == "es" else f"whatif sales {amount:,.2f} per month by conversion")  # fmt: skip
    shown, _ = ask(bot, typed, channel_id=channel_id)
    line = next(line for line in shown.splitlines() if line.startswith(("*Conversión*", "*Conversion*")))
    assert line.startswith(path), line
    realism = shown.splitlines()[shown.splitlines().index(line) + 1]
    assert realism.startswith(verdict), realism
