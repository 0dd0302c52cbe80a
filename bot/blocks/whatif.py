"""A what-if as Block Kit: today's funnel with the weeks it comes from, the goal, each path to it
with how realistic it is, and what each term means in the team's glossary."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from babel.dates import format_date

from bot.blocks import Block, Reply, context, escape_mrkdwn, header, kit, section, truncate
from domain.locales import TeamLocale
from domain.funnel import Lever, Path, Per
from domain.kpis import Aggregation
from domain.number_format import display_quantity, format_quantity, rounded_for_display
from domain.number_style import PERCENT
from domain.smart_goal import Verdict
from services.i18n import language_of, t
from services.whatif import Definition, WhatIf

CHECK_SMART = "whatif-check-smart"  # under a path: its goal through the SMART check
USE_AS_KR = "whatif-use-as-kr"  # under a path: the new objective form, its first key result filled in
DEFINITION_LIMIT = 300  # a long definition is clipped so four fit in one section
PER_IDS = {Per.WEEK: "whatif.ui.per.week", Per.MONTH: "whatif.ui.per.month"}


class _Writer:
    """Writes the team's numbers and dates the team's way."""

    def __init__(self, team: TeamLocale, currency: str):
        self.language, self.country, self.currency = team.language, team.country, currency

    def _quantity(self, value: Decimal, unit: str | None) -> str:
        return display_quantity(value, unit, language=self.language, country=self.country, currency=self.currency)

    def money(self, value: Decimal) -> str:
        return self._quantity(value, self.currency)

    def count(self, value: Decimal) -> str:
        return format_quantity(rounded_for_display(value, Decimal(1)), None, language=self.language, country=self.country)

    def percent(self, value: Decimal, places: str = "0.01") -> str:
        rounded = rounded_for_display(value, Decimal(places))
        return format_quantity(rounded, PERCENT, language=self.language, country=self.country)

    def number(self, value: Decimal, places: str = "0.01") -> str:
        return format_quantity(rounded_for_display(value, Decimal(places)), None, language=self.language, country=self.country)

    def signed(self, change: Decimal, write) -> str:
        return ("+" if change >= 0 else "−") + write(abs(change))

    def lever(self, lever: Lever):
        """How a value of the lever is written (points of conversion are written as numbers)."""
        return {Lever.CONVERSION: self.percent, Lever.TRAFFIC: self.count, Lever.TICKET: self.money, Lever.ORDERS: self.count}[lever]

    def day(self, value: date) -> str:
        return format_date(value, format="medium", locale=language_of(self.language))


def whatif_reply(result: WhatIf, team: TeamLocale) -> Reply:
    write = _Writer(team, result.currency)
    language, plan = team.language, result.plan
    per = t(language, PER_IDS[plan.goal.per])
    title = t(language, "whatif.ui.title", goal=_goal(result, write, per))
    blocks: list[Block] = [header(title), section(t(language, "whatif.ui.formula") + "\n" + _today(result, write, per))]
    blocks.append(section(t(language, "whatif.ui.target", target=write.money(plan.target), per=per, change=write.signed(plan.target - plan.current, write.money))))
    history = t(language, "whatif.ui.history", first=write.day(result.history[0]), last=write.day(result.history[1] + timedelta(days=6)))
    asked = result.ask.lever
    for path in sorted(plan.paths, key=lambda path: path.lever is not asked):
        blocks.append(section(_path(path, result, write, per) + "\n" + _realism(path, write, history)))
        goal, key_result = smart_goal(path, result, write), key_result_value(path, result, write)
        if goal is not None and key_result is not None:
            blocks.append(kit.actions(block_id=f"whatif-{path.lever.value}", elements=[
                kit.button(text=t(language, "whatif.ui.use_as_kr"), action_id=USE_AS_KR, value=key_result),
                kit.button(text=t(language, "whatif.ui.check_smart"), action_id=CHECK_SMART, value=goal),
            ]))
    blocks.append(section("\n".join([t(language, "whatif.ui.definitions"), *(_definition(item, result, language) for item in result.definitions)])))
    notes = [t(language, "whatif.ui.footnote")]
    if plan.baseline.skipped:
        notes.insert(0, t(language, "whatif.ui.skipped", weeks=", ".join(write.day(week) for week in plan.baseline.skipped)))
    blocks.append(context("\n".join(notes)))
    return Reply(title, blocks)


def _goal(result: WhatIf, write: _Writer, per: str) -> str:
    goal, language = result.plan.goal, write.language
    if goal.relative:
        return t(language, "whatif.ui.goal.relative", amount=write.percent(goal.amount), per=per)
    message_id = "whatif.ui.goal.increase" if goal.increase else "whatif.ui.goal.target"
    return t(language, message_id, amount=write.money(goal.amount), per=per)


def _today(result: WhatIf, write: _Writer, per: str) -> str:
    plan, base = result.plan, result.plan.baseline
    weeks = t(write.language, "whatif.ui.weeks", count=len(base.weeks), first=write.day(base.weeks[0]), last=write.day(base.weeks[-1] + timedelta(days=6)))
    return t(
        write.language, "whatif.ui.today", weeks=weeks, sessions=write.count(plan.path(Lever.TRAFFIC).today),
        conversion=write.percent(base.conversion), ticket=write.money(base.ticket), sales=write.money(plan.current), per=per,
        orders=write.count(plan.path(Lever.ORDERS).today),
    )  # fmt: skip


def _kpi_name(result: WhatIf, lever: Lever) -> str:
    view = {Lever.CONVERSION: result.kpis.conversion, Lever.TRAFFIC: result.kpis.sessions, Lever.TICKET: result.kpis.ticket}.get(lever)
    return f"`{view.key}`" if view is not None else "`{}` ÷ `{}`".format(result.kpis.sales.key, result.kpis.orders.key)


def _path(path: Path, result: WhatIf, write: _Writer, per: str) -> str:
    language = write.language
    if path.needed is None:
        return t(language, "whatif.ui.path.impossible", lever=t(language, f"whatif.ui.lever.{path.lever.value}"))
    value = write.lever(path.lever)
    change = write.signed(path.change, write.number if path.lever is Lever.CONVERSION else value)
    ratio = write.number(path.ratio) if path.ratio is not None else "—"
    kpi = _kpi_name(result, path.lever) if path.lever is not Lever.ORDERS else ""
    return t(language, f"whatif.ui.path.{path.lever.value}", kpi=kpi, today=value(path.today), needed=value(path.needed),
             change=change, ratio=ratio, per=per)  # fmt: skip


def _realism(path: Path, write: _Writer, history: str) -> str:
    """The SMART rule's verdict in words: reached, within its fastest week, a stretch, too fast."""
    pace, language = path.pace, write.language
    if pace is None:
        return ""
    if path.change is not None and path.change <= 0:
        return t(language, "whatif.ui.realism.reached")
    if pace.verdict is Verdict.UNKNOWN:
        return t(language, "whatif.ui.realism.unknown")
    value = write.lever(path.lever)
    shown = {"required": value(pace.required), "history": history}
    if pace.times_fastest is None:
        return t(language, "whatif.ui.realism.never_moved", **shown)
    shown |= {"fastest": value(pace.fastest), "times": write.number(pace.times_fastest, "0.1")}
    if pace.verdict is Verdict.FAILED:
        return t(language, "whatif.ui.realism.too_fast", **shown)
    return t(language, "whatif.ui.realism.within" if pace.times_fastest <= 1 else "whatif.ui.realism.stretch", **shown)


def _definition(item: Definition, result: WhatIf, language: str) -> str:
    name, key, spec = escape_mrkdwn(item.kpi.name), item.kpi.key, item.kpi.spec
    if item.text is None:
        line = t(language, "whatif.ui.definition.missing", name=name, key=key)
    else:
        line = t(language, "whatif.ui.definition", name=name, key=key, definition=escape_mrkdwn(truncate(item.text, DEFINITION_LIMIT)),
                 version=item.version, term=escape_mrkdwn(item.term or ""))  # fmt: skip
    if spec.aggregation is Aggregation.RATE:
        line += " " + t(language, "whatif.ui.rate_of", numerator=spec.numerator, denominator=spec.denominator)
    if item.role == "sales" and result.kpis.ticket is None:
        line = t(language, "whatif.ui.definition.derived", sales=result.kpis.sales.key, orders=result.kpis.orders.key) + "\n" + line
    return line


def _path_goal(path: Path, result: WhatIf, write: _Writer) -> tuple[str, str, str] | None:
    """(KPI key, today, needed) of a path, on the KPI it moves and in that KPI's own terms:
    sessions and orders per week, since their history is weekly; None when the lever is no KPI
    of the team (a ticket of sales ÷ orders), or nothing is to move."""
    funnel = result.kpis
    view = {Lever.CONVERSION: funnel.conversion, Lever.TRAFFIC: funnel.sessions, Lever.TICKET: funnel.ticket, Lever.ORDERS: funnel.orders}[path.lever]
    if view is None or path.needed is None or path.change == 0:
        return None
    weeks = result.plan.goal.per.weeks
    if path.lever in (Lever.TRAFFIC, Lever.ORDERS):
        values = (path.today / weeks, path.needed / weeks)
        return view.key, write.count(values[0]), write.count(values[1])
    if path.lever is Lever.CONVERSION:  # as many decimals as it takes for the two to differ (up to 4)
        places = next((places for places in ("0.01", "0.001") if write.percent(path.today, places) != write.percent(path.needed, places)), "0.0001")
        return view.key, write.percent(path.today, places), write.percent(path.needed, places)
    return view.key, f"{write.number(path.today, '1')} {result.currency}", f"{write.number(path.needed, '1')} {result.currency}"


def smart_goal(path: Path, result: WhatIf, write: _Writer) -> str | None:
    """The path as a goal `/alinea smart` reads ("Aumentar conversion_web de 1,28 % a 1,38 % en 1 mes")."""
    found = _path_goal(path, result, write)
    if found is None:
        return None
    key, today, needed = found
    language = write.language
    metric = t(language, "whatif.ui.smart.per_week", key=key) if path.lever in (Lever.TRAFFIC, Lever.ORDERS) else key
    verb = "whatif.ui.smart.increase" if path.change > 0 else "whatif.ui.smart.decrease"
    within = t(language, "whatif.ui.smart.within_week" if result.plan.goal.per is Per.WEEK else "whatif.ui.smart.within_month")
    return t(language, verb, metric=metric, today=today, needed=needed, within=within)


def key_result_value(path: Path, result: WhatIf, write: _Writer) -> str | None:
    """What "Use as key result" carries to the objective form: the KPI, from, to, and the days
    the goal's period gives (a week or a month)."""
    found = _path_goal(path, result, write)
    if found is None:
        return None
    key, today, needed = found
    return json.dumps({"kpi": key, "baseline": today, "target": needed, "days": round(result.plan.goal.per.days)}, ensure_ascii=False)
