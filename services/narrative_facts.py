"""The facts a narrator receives, computed from the agenda's facts: every number a
weekly or monthly narrative may say, each with a stable id (`domain.narrative.Fact`).

Nothing here is new arithmetic: values, differences, percent changes, targets and trends come
from `domain.deltas.Change` (via `services.agenda_facts`), SLA states and gaps from the stored
evaluations, progress from the OKR board, the what-if from the funnel arithmetic
(`domain.funnel` via `services.whatif`). This module only picks and labels them.

No person: facts carry KPI names (in the team's language), glossary terms, commitment and key
result labels (SLA1, KR3, B1), numbers, states and reason codes. Never a Slack id, a name, an
email, or text people typed about themselves or others: not a breach's note or plan, not an
experiment's hypothesis or result note, not an owner. (A key result that reads no KPI is named
by its metric, which is the team's own wording of a goal.)

Ids (stable for the same period, unique within one list):

    kpi.<key>.<period key>     KPI_CHANGE   value, previous, difference, percent, target, to_target
    sla.<SLA1>.<period key>    SLA          value, target, gap, attained, evaluated (weekly: the
                                            commitment's last closed period; monthly: the month)
    sla.summary.<period key>   SLA          counts: commitments, met, breached, no_data, at_risk,
                                            open_breaches, unacknowledged (monthly: periods, periods_met,
                                            breaches, open_breaches)
    breach.<B1>                BREACH       value, target, gap; detail reason (a code) once acknowledged
    experiment.<week key>      EXPERIMENT   its metric's value, previous, difference, percent; detail result
    kr.<KR3>                   KEY_RESULT   progress, expected (percent of the way), confidence
    kr.summary                 KEY_RESULT   counts: total, on_track, at_risk, off_track
    whatif.conversion.<week>   WHAT_IF      worth, points (what `points` more of conversion would have
                                            sold that week, in its currency), and the week's sessions,
                                            conversion and ticket it comes from (`services.whatif`)

The two summaries carry `detail["summary"] == "yes"`. Percentages derived here (relative change, KR progress) keep six decimals, the precision values
are stored with; a KPI's `trend` detail is its last four values, oldest first, as plain decimals
separated by "; " ("—" where nothing was recorded), which `domain.grounding` reads as numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from db.models import BreachStatus
from domain.deltas import STARTER_STAGES
from domain.kpis import Direction, KpiSpec, Unit
from domain.narrative import Fact, FactKind
from domain.number_style import HOURS, PERCENT
from domain.okr import Status
from domain.periods import Period
from domain.sla import Comparator, State
from services.agenda_facts import KpiFact, MonthlyFacts, SlaMonth, WeeklyFacts
from services.i18n import t
from services.okr import Board
from services.sla import CommitmentRow
from services.sla_breaches import BreachView
from services.whatif import ConversionWorth

_PLACES = Decimal("0.000001")
_HUNDRED = Decimal(100)
_CLOSED = (State.MET, State.BREACHED, State.NO_DATA)


# Numbers --------------------------------------------------------------------------------------------


def _plain(value: Decimal) -> Decimal:
    """Six decimals at most, no trailing zeros, never in exponent form (4E+1 is written 40)."""
    rounded = Decimal(value).quantize(_PLACES, rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return rounded.quantize(Decimal(1))
    return rounded.normalize()


def _numbers(**values: Decimal | None) -> dict[str, Decimal]:
    return {name: Decimal(value) for name, value in values.items() if value is not None}


def _text(value: Decimal | None) -> str:
    return "—" if value is None else format(Decimal(value), "f")


def quantity_unit(spec: KpiSpec) -> str | None:
    """A fact's unit for a KPI: "%", "h", its currency code, or None (counts and ratios)."""
    return {Unit.PERCENT: PERCENT, Unit.HOURS: HOURS, Unit.CURRENCY: spec.currency}.get(spec.unit)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


# KPIs -----------------------------------------------------------------------------------------------


def kpi_change_fact(fact: KpiFact, *, language: str, flags: Iterable[str] = ()) -> Fact:
    """One KPI this period against the last. `flags` ("bottleneck", "experiment") mark why else
    it is on the agenda."""
    change = fact.change
    percent = change.percent
    numbers = _numbers(
        value=change.value, previous=change.previous, difference=change.difference,
        percent=_plain(percent) if percent is not None else None, target=change.target,
        to_target=abs(change.value - change.target) if change.value is not None and change.target is not None else None,
    )  # fmt: skip
    detail = {
        "kpi": fact.key,
        "period": change.period.key,
        "period_kind": change.period.kind,
        "better_when": "higher" if change.direction is Direction.HIGHER else "lower",
        "direction": {True: "better", False: "worse"}.get(change.improved, "unchanged" if change.difference is not None else "no_previous"),
        "matters": _yes(change.matters),
        "trend": "; ".join(_text(value) for value in change.trend),
    }
    if change.value is None:
        detail["direction"] = "no_value"
    if fact.role:
        detail["role"] = fact.role
    if change.target is not None:
        detail["target_source"] = fact.target_source or "okr"
        if change.meets_target is not None:
            detail["meets_target"] = _yes(change.meets_target)
    stage = STARTER_STAGES.get(fact.key)
    if stage is not None:
        detail["stage"] = stage.value
    if fact.spec.term:
        detail["term"] = fact.spec.term
    for flag in flags:
        detail[flag] = "yes"
    return Fact(change.fact_id, FactKind.KPI_CHANGE, fact.spec.name(language), numbers, quantity_unit(fact.spec), detail)


def _kpi_facts(entries: Iterable[tuple[KpiFact | None, str | None]], *, language: str) -> list[Fact]:
    """KPI facts in the order given, one per fact id (a KPI shown twice is one fact, flagged
    with every reason it was shown)."""
    order: list[str] = []
    chosen: dict[str, KpiFact] = {}
    flags: dict[str, list[str]] = {}
    for fact, flag in entries:
        if fact is None:
            continue
        fact_id = fact.change.fact_id
        if fact_id not in chosen:
            order.append(fact_id)
            chosen[fact_id] = fact
            flags[fact_id] = []
        if flag and flag not in flags[fact_id]:
            flags[fact_id].append(flag)
    return [kpi_change_fact(chosen[fact_id], language=language, flags=flags[fact_id]) for fact_id in order]


# SLA ------------------------------------------------------------------------------------------------


def _closed_period(row: CommitmentRow, breaches: Sequence[BreachView]) -> Period | None:
    """The period of the commitment's last closed outcome. The row's outcomes carry no period:
    a breach of that commitment with the same value names it; else it is the period before the
    one in progress (evaluations run as each period closes)."""
    version = row.in_force
    closed = [outcome for outcome in row.recent if outcome.state in _CLOSED]
    if version is None or not closed:
        return None
    last = closed[-1]
    if last.state is State.BREACHED:
        for breach in sorted(breaches, key=lambda view: view.period.start, reverse=True):
            if breach.version.commitment_id == version.commitment_id and breach.value == last.value:
                return breach.period
    return row.current_period.previous() if row.current_period is not None else None


def sla_fact(row: CommitmentRow, period: Period, *, language: str) -> Fact:
    version = row.shown
    last = [outcome for outcome in row.recent if outcome.state in _CLOSED][-1]
    met, evaluated = row.attainment
    numbers = _numbers(value=last.value, target=last.target, gap=last.gap, attained=Decimal(met), evaluated=Decimal(evaluated))
    detail = {
        "state": last.state.value,
        "comparator": "at_least" if version.terms.comparator is Comparator.AT_LEAST else "at_most",
        "side": version.terms.side.value,
        "kpi": version.terms.kpi_key,
        "period": period.key,
        "period_kind": period.kind,
    }
    if row.current_state is not None:
        detail["current_state"] = row.current_state.value
    subject = f"{version.label} · {version.spec.name(language)}"
    return Fact(f"sla.{version.label}.{period.key}", FactKind.SLA, subject, numbers, quantity_unit(version.spec), detail)


def breach_fact(view: BreachView, *, language: str) -> Fact:
    """An SLA breach: value, target and gap; once acknowledged, the reason's code (never the
    note, the plan or who)."""
    version = view.version
    numbers = _numbers(value=view.value, target=version.terms.target, gap=view.gap)
    detail = {
        "sla": version.label,
        "kpi": version.terms.kpi_key,
        "period": view.period.key,
        "status": view.status.value,
        "step": view.step.value,
        "comparator": "at_least" if version.terms.comparator is Comparator.AT_LEAST else "at_most",
        "side": version.terms.side.value,
        "plan": _yes(bool(view.plan.strip())),
    }
    if view.reason is not None and view.status is not BreachStatus.OPEN:
        detail["reason"] = view.reason.value
    subject = f"{view.label} · {version.label} · {version.spec.name(language)}"
    return Fact(f"breach.{view.label}", FactKind.BREACH, subject, numbers, quantity_unit(version.spec), detail)


def _weekly_sla(facts: WeeklyFacts, *, language: str) -> list[Fact]:
    found: list[Fact] = []
    counts = dict.fromkeys(("commitments", "met", "breached", "no_data", "at_risk"), 0)
    for row in facts.sla:
        if row.in_force is None:
            continue
        counts["commitments"] += 1
        counts["at_risk"] += row.current_state is State.AT_RISK
        period = _closed_period(row, facts.open_breaches)
        if period is None:
            continue
        fact = sla_fact(row, period, language=language)
        counts[fact.detail["state"]] += 1
        found.append(fact)
    found += [breach_fact(view, language=language) for view in facts.open_breaches]
    if counts["commitments"] or facts.open_breaches:
        unacknowledged = sum(view.status is BreachStatus.OPEN for view in facts.open_breaches)
        numbers = {name: Decimal(count) for name, count in counts.items()}
        numbers.update(open_breaches=Decimal(len(facts.open_breaches)), unacknowledged=Decimal(unacknowledged))
        found.append(_sla_summary(numbers, facts.reported, language=language))
    return found


def _sla_summary(numbers: dict[str, Decimal], period: Period, *, language: str) -> Fact:
    return Fact(f"sla.summary.{period.key}", FactKind.SLA, t(language, "narrative.facts.sla_summary"), numbers, None, {"summary": "yes", "period": period.key})


def sla_month_fact(month: SlaMonth, period: Period) -> Fact:
    """A commitment's month: how many of its periods were met (the KPI's name as the agenda
    shows it, in the team's language)."""
    met, evaluated = month.attainment
    numbers = _numbers(attained=Decimal(met), evaluated=Decimal(evaluated))
    if evaluated:
        numbers["attainment"] = _plain(Decimal(met) * _HUNDRED / Decimal(evaluated))
    detail = {"side": month.side, "period": period.key, "period_kind": period.kind}
    return Fact(f"sla.{month.label}.{period.key}", FactKind.SLA, f"{month.label} · {month.kpi_name}", numbers, None, detail)


# Experiment -----------------------------------------------------------------------------------------


def experiment_fact(facts: WeeklyFacts, *, language: str) -> Fact | None:
    """Last week's experiment: its result code and its metric's move over the week it ran.
    The hypothesis and the result note are people's words: not included."""
    experiment = facts.last_experiment
    if experiment is None:
        return None
    moved = facts.last_experiment_change
    detail = {"result": experiment.result.value if experiment.result is not None else "pending", "week": experiment.week.key}
    numbers: dict[str, Decimal] = {}
    unit = None
    subject = t(language, "narrative.facts.experiment")
    if moved is not None:
        change = moved.change
        percent = change.percent
        numbers = _numbers(value=change.value, previous=change.previous, difference=change.difference,
                           percent=_plain(percent) if percent is not None else None)  # fmt: skip
        unit = quantity_unit(moved.spec)
        subject = moved.spec.name(language)
        detail.update(kpi=moved.key, kpi_fact=change.fact_id, better_when="higher" if change.direction is Direction.HIGHER else "lower")
        detail["direction"] = {True: "better", False: "worse"}.get(change.improved, "unchanged")
    elif experiment.kpi_key is not None:
        detail["kpi"] = experiment.kpi_key
    return Fact(f"experiment.{experiment.week.key}", FactKind.EXPERIMENT, subject, numbers, unit, detail)


# OKR ------------------------------------------------------------------------------------------------


def _percent_of_way(share: float) -> Decimal:
    return _plain(Decimal(repr(float(share))) * _HUNDRED)


def okr_facts(board: Board, *, language: str) -> list[Fact]:
    """One fact per key result of an active objective, and their status counts."""
    found: list[Fact] = []
    counts = {status: 0 for status in Status}
    for objective in board.objectives:
        if not objective.active:
            continue
        for kr in objective.key_results:
            counts[kr.status] += 1
            numbers = _numbers(progress=_percent_of_way(kr.progress), expected=_percent_of_way(kr.expected),
                               confidence=Decimal(kr.result.confidence) if kr.result.confidence is not None else None)  # fmt: skip
            detail = {"status": kr.status.value, "objective": objective.label, "objective_kind": objective.kind.value}
            if kr.spec is not None:
                detail["kpi"] = kr.spec.key
            if kr.guardrail_broken:
                detail["guardrail"] = "broken"
            name = kr.spec.name(language) if kr.spec is not None else kr.result.metric
            found.append(Fact(f"kr.{kr.short_id}", FactKind.KEY_RESULT, f"{kr.short_id} · {name}", numbers, PERCENT, detail))
    if found:
        numbers = {"total": Decimal(len(found)), **{status.value: Decimal(count) for status, count in counts.items()}}
        found.append(Fact("kr.summary", FactKind.KEY_RESULT, t(language, "narrative.facts.okr_summary"), numbers, None, {"summary": "yes"}))
    return found


# What if --------------------------------------------------------------------------------------------


def whatif_fact(found: ConversionWorth, *, language: str) -> Fact:
    """"At the week's traffic and ticket, +0,2 points of conversion would have been $X more": the
    numbers Alinea computed, so a narrator quotes them (by placeholder) rather than working
    them out. Named after the conversion KPI the points are of."""
    numbers = _numbers(worth=_plain(found.worth), points=found.points, sessions=_plain(found.sessions),
                       conversion=_plain(found.conversion), ticket=_plain(found.ticket))  # fmt: skip
    detail = {"kpi": found.kpi.key, "lever": "conversion", "period": found.week.key, "period_kind": found.week.kind}
    return Fact(f"whatif.conversion.{found.week.key}", FactKind.WHAT_IF, found.kpi.spec.name(language), numbers, found.currency, detail)


# The lists ------------------------------------------------------------------------------------------


def weekly_facts(facts: WeeklyFacts, *, language: str) -> list[Fact]:
    """Everything the weekly agenda's numbers say, as facts: the KPIs shown (primary,
    supporting, the changes that matter, the bottleneck, the experiment's metric over its week),
    SLA commitments' last closed periods and their summary, open breaches, last week's
    experiment, key results and their summary; then, when the team's funnel has the week's
    figures, what more conversion would have sold. Ids are unique; the order is the agenda's."""
    entries: list[tuple[KpiFact | None, str | None]] = [(facts.primary, None)]
    entries += [(fact, None) for fact in facts.supporting]
    entries += [(fact, None) for fact in facts.changes]
    entries += [(facts.bottleneck, "bottleneck"), (facts.last_experiment_change, "experiment")]
    found = _kpi_facts(entries, language=language)
    found += _weekly_sla(facts, language=language)
    experiment = experiment_fact(facts, language=language)
    if experiment is not None:
        found.append(experiment)
    found += okr_facts(facts.okr, language=language)
    if facts.conversion_worth is not None:  # last, so the other facts keep their places (and aliases)
        found.append(whatif_fact(facts.conversion_worth, language=language))
    return found


def monthly_facts(facts: MonthlyFacts, *, language: str) -> list[Fact]:
    """The monthly agenda's numbers as facts: every KPI shown, each commitment's attainment in
    the month, the month's breaches, key results, and summaries."""
    found = _kpi_facts(((fact, None) for fact in facts.kpis), language=language)
    found += [sla_month_fact(month, facts.reported) for month in facts.sla if month.outcomes]
    found += [breach_fact(view, language=language) for view in facts.breaches]
    if facts.sla or facts.breaches:
        periods = sum(month.attainment[1] for month in facts.sla)
        met = sum(month.attainment[0] for month in facts.sla)
        still_open = sum(view.status in (BreachStatus.OPEN, BreachStatus.ACKNOWLEDGED) for view in facts.breaches)
        numbers = {
            "commitments": Decimal(len(facts.sla)), "periods": Decimal(periods), "periods_met": Decimal(met),
            "breaches": Decimal(len(facts.breaches)), "open_breaches": Decimal(still_open),
        }  # fmt: skip
        found.append(_sla_summary(numbers, facts.reported, language=language))
    found += okr_facts(facts.okr, language=language)
    return found
