"""The offline narrator: the default, and what speaks whenever the model cannot. It
puts the facts (`services.narrative_facts`) into 3–5 sentences from catalog templates
(`narrative.offline.*`, Spanish and English) and proposes 1–3 hypotheses from rules. Same facts,
same words: no randomness, no clock.

The summary, in this order, each sentence only when its facts exist:

1. the primary KPI against the period before and against its target;
2. the largest changes that matter (up to three, largest relative move first);
3. SLA: the open breaches (how many, the largest by its gap relative to the promise, and whether
   it was acknowledged, with the reason's code in words), else how many commitments were met;
4. what if: what 0,2 more points of conversion would have sold at the week's traffic and ticket
   (a team with a funnel: sessions, conversion, ticket);
5. last week's experiment: its result and its metric's move;
6. key results: how many are on track, at risk and off track, and the one furthest behind.

At most five: with all six, the experiment's sentence gives way (the agenda's experiment part,
just above the thread, reports the same result and move in full; the what-if is said nowhere else).

Hypotheses, by priority (at most one per rule, at most three, never two on the same fact):

- conversion fell while traffic rose → checkout or buying experience (split test of checkout);
- a conversion KPI fell (citing the last experiment when it was refuted on that metric) → walk
  the funnel and fix one step;
- cart or checkout abandonment rose → shipping costs or payment methods;
- an SLA breach: response times (hours, "at most") → staffing and lead assignment; a reported
  tracking problem → audit the data first; anything else → review the week of the breach;
- a key result off track (else at risk) → one weekly action for it;
- the week's bottleneck, by its funnel stage (traffic, ticket, retention);
- with nothing of the above: the largest improvement (repeat it) or the largest worsening.

Numbers are written the team's way with `domain.number_format.display_quantity` (whole pesos, two
decimals at most), relative changes with one decimal, KR progress in whole percents; every
sentence and hypothesis then goes through `domain.grounding` (so the offline text obeys the
same rule as a model's) and `escape_for_slack` (KPI names are people's words).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

from domain.grounding import check_hypotheses, check_sentences, escape_for_slack
from domain.narrative import Fact, FactKind, Hypothesis, Narrative, Source
from domain.number_format import display_quantity, format_quantity, rounded_for_display
from domain.number_style import DEFAULT_CURRENCY, HOURS, PERCENT
from services.i18n import t

MAX_CHANGES = 3
MAX_HYPOTHESES = 3
MAX_SENTENCES = 5
_TENTH = Decimal("0.1")
_HUNDREDTH = Decimal("0.01")
_WHOLE = Decimal(1)
_STATUSES = ("on_track", "at_risk", "off_track")


class OfflineNarrator:
    """Templates and rules; implements `domain.narrative.Narrator`."""

    source = Source.OFFLINE

    def narrate(self, facts: Sequence[Fact], *, language: str, country: str | None) -> Narrative:
        writer = _Writer(list(facts), language=language, country=country)
        sentences = writer.summary()
        hypotheses = writer.hypotheses()
        kept, dropped = check_sentences(sentences, facts, language=language, country=country)
        grounded, dropped_hypotheses = check_hypotheses(hypotheses, facts, language=language, country=country)
        if not kept:
            kept = [t(language, "narrative.offline.nothing")]
        return Narrative(
            summary=tuple(escape_for_slack(sentence) for sentence in kept),
            hypotheses=tuple(_escaped(hypothesis) for hypothesis in grounded),
            source=Source.OFFLINE,
            dropped=dropped + dropped_hypotheses,
        )


_AMOUNTS = frozenset({"value", "previous", "target", "worth", "ticket"})  # in the fact's unit
_MAGNITUDES = frozenset({"difference", "gap", "to_target"})  # without sign; points for a percentage
_PERCENTS = {"percent": _TENTH, "attainment": _WHOLE, "progress": _WHOLE, "expected": _WHOLE, "conversion": _HUNDREDTH}
_POINTS = frozenset({"points"})  # percent points of a rate, whatever the fact's unit ("0,2 pp")


def fact_number(fact: Fact, name: str, *, language: str, country: str | None) -> str:
    """One of a fact's numbers written the way this narrator writes it (the LLM narrator fills
    its placeholders with it): amounts in the fact's unit, changes and gaps without their sign
    (the prose says which way), percentages rounded, counts as plain numbers."""
    writer = _Writer([fact], language=language, country=country)
    value = fact.numbers[name]
    if name in _PERCENTS:
        return writer.percent(value, places=_PERCENTS[name])
    if name in _POINTS:
        return writer.amount(value, PERCENT)
    if name in _MAGNITUDES:
        return writer.amount(value, fact.unit)
    if name in _AMOUNTS:
        return writer.number(value, fact.unit)
    return writer.number(value, None)  # counts (met, breached, on_track…) and confidence


def _escaped(hypothesis: Hypothesis) -> Hypothesis:
    """Text and experiment escaped; the metric is a KPI key or a KR label of ours, kept as is."""
    return Hypothesis(escape_for_slack(hypothesis.text), hypothesis.fact_ids, escape_for_slack(hypothesis.experiment), hypothesis.metric)


def _is_currency(unit: str | None) -> bool:
    return unit is not None and unit not in (PERCENT, HOURS)


def _label_and_name(subject: str) -> tuple[str, str]:
    """"KR3 · Ventas" → ("KR3", "Ventas"); "B1 · SLA1 · Ventas" → ("B1 · SLA1", "Ventas")."""
    label, _, name = subject.rpartition(" · ")
    return (label, name) if label else (subject, subject)


class _Writer:
    def __init__(self, facts: list[Fact], *, language: str, country: str | None):
        self.facts = facts
        self.language = language
        self.country = country
        self.kpis = [fact for fact in facts if fact.kind is FactKind.KPI_CHANGE]
        self.used: set[str] = set()  # fact ids a hypothesis already rests on

    # -- numbers the team's way

    def number(self, value: Decimal, unit: str | None) -> str:
        currency = unit if _is_currency(unit) else DEFAULT_CURRENCY
        return display_quantity(value, unit, language=self.language, country=self.country, currency=currency)

    def percent(self, value: Decimal, *, places: Decimal = _TENTH) -> str:
        return format_quantity(rounded_for_display(abs(value), places), PERCENT, language=self.language, country=self.country)

    def amount(self, value: Decimal, unit: str | None) -> str:
        """A difference or a gap without its sign: points for a percentage KPI."""
        if unit == PERCENT:
            points = format_quantity(rounded_for_display(abs(value), _HUNDREDTH), None, language=self.language, country=self.country)
            return t(self.language, "narrative.offline.points", value=points)
        return self.number(abs(value), unit)

    def change(self, fact: Fact, *, signed: bool = True) -> str:
        """"−$7.850.000, −15,9 %" (signed) or "15,9 %" (the magnitude, for prose that says
        which way it went)."""
        difference = fact.numbers.get("difference")
        percent = fact.numbers.get("percent")
        if difference is None or difference == 0:
            return t(self.language, "narrative.offline.unchanged")
        sign = ("+" if difference > 0 else "−") if signed else ""
        if not signed:
            return self.percent(percent) if percent is not None else self.amount(difference, fact.unit)
        bits = [sign + self.amount(difference, fact.unit)]
        if percent is not None:
            bits.append(sign + self.percent(percent))
        return ", ".join(bits)

    def join(self, items: list[str]) -> str:
        if len(items) < 2:
            return "".join(items)
        return ", ".join(items[:-1]) + f" {t(self.language, 'narrative.offline.and')} " + items[-1]

    # -- finding facts

    def of_kind(self, kind: FactKind) -> list[Fact]:
        return [fact for fact in self.facts if fact.kind is kind]

    def summary_of(self, kind: FactKind) -> Fact | None:
        return next((fact for fact in self.of_kind(kind) if fact.detail.get("summary") == "yes"), None)

    def kpi(self, key: str | None) -> Fact | None:
        return next((fact for fact in self.kpis if key is not None and fact.detail.get("kpi") == key), None)

    # -- the summary

    def summary(self) -> list[str]:
        experiment = self.experiment_sentence()
        parts = [self.primary_sentence(), self.changes_sentence(), self.sla_sentence(), self.whatif_sentence(), experiment, self.okr_sentence()]
        if sum(bool(sentence) for sentence in parts) > MAX_SENTENCES:
            parts.remove(experiment)  # said in full by the agenda's experiment part
        return [sentence for sentence in parts if sentence]

    def primary_sentence(self) -> str | None:
        fact = next((fact for fact in self.kpis if fact.detail.get("role") == "primary" and "value" in fact.numbers), None)
        if fact is None:
            return None
        kind = "month" if fact.detail.get("period_kind") == "month" else "week"
        params = {
            "name": fact.subject, "value": self.number(fact.numbers["value"], fact.unit),
            "this_period": t(self.language, f"narrative.offline.period.{kind}.this"),
            "last_period": t(self.language, f"narrative.offline.period.{kind}.last"),
        }  # fmt: skip
        if "previous" not in fact.numbers:
            return t(self.language, "narrative.offline.primary.no_previous", **params)
        params.update(previous=self.number(fact.numbers["previous"], fact.unit), change=self.change(fact))
        target = fact.numbers.get("target")
        if target is None or fact.detail.get("meets_target") is None:
            return t(self.language, "narrative.offline.primary.no_target", **params)
        params["target"] = self.number(target, fact.unit)
        if fact.detail["meets_target"] == "yes":
            return t(self.language, "narrative.offline.primary.target_met", **params)
        return t(self.language, "narrative.offline.primary.target_missed", gap=self.amount(fact.numbers["to_target"], fact.unit), **params)

    def mattering(self) -> list[Fact]:
        """KPI changes that matter, other than the primary, the largest relative move first."""
        chosen = [
            fact for fact in self.kpis
            if fact.detail.get("matters") == "yes" and fact.detail.get("role") != "primary" and "difference" in fact.numbers
        ]  # fmt: skip
        return sorted(chosen, key=lambda fact: (-abs(fact.numbers.get("percent", Decimal(0))), fact.id))

    def changes_sentence(self) -> str | None:
        items = []
        for fact in self.mattering()[:MAX_CHANGES]:
            verdict = fact.detail.get("direction")
            key = f"narrative.offline.change_item.{verdict}" if verdict in ("better", "worse") else "narrative.offline.change_item.unchanged"
            items.append(t(self.language, key, name=fact.subject, change=self.change(fact)))
        if not items:
            return None
        return t(self.language, "narrative.offline.changes", items="; ".join(items))

    def open_breaches(self) -> list[Fact]:
        found = [fact for fact in self.of_kind(FactKind.BREACH) if fact.detail.get("status") in ("open", "acknowledged")]
        return sorted(found, key=lambda fact: (-_relative_gap(fact), fact.id))

    def sla_sentence(self) -> str | None:
        summary = self.summary_of(FactKind.SLA)
        breaches = self.open_breaches()
        if breaches and summary is not None and "open_breaches" in summary.numbers:
            worst = breaches[0]
            label, name = _label_and_name(worst.subject)
            status = worst.detail.get("status")
            if status == "open":
                clause = t(self.language, "narrative.offline.sla.status.open")
            elif worst.detail.get("reason"):
                reason = t(self.language, f"narrative.offline.reason.{worst.detail['reason']}")
                clause = t(self.language, "narrative.offline.sla.status.acknowledged", reason=reason)
            else:
                clause = t(self.language, "narrative.offline.sla.status.acknowledged_no_reason")
            count = int(summary.numbers["open_breaches"])
            key = "narrative.offline.sla.breach.one" if count == 1 else "narrative.offline.sla.breach.other"
            return t(
                self.language, key, count=count, label=_parenthesised(label), name=name, status=clause,
                value=self.number(worst.numbers["value"], worst.unit), target=self.number(worst.numbers["target"], worst.unit),
                gap=self.amount(worst.numbers["gap"], worst.unit),
            )  # fmt: skip
        if summary is None:
            return None
        numbers = summary.numbers
        if "periods" in numbers:  # a month
            if not numbers["periods"]:
                return None
            return t(self.language, "narrative.offline.sla.month", met=int(numbers["periods_met"]), count=int(numbers["periods"]))
        closed = int(numbers.get("met", 0) + numbers.get("breached", 0) + numbers.get("no_data", 0))
        if not closed:
            return None
        count = int(numbers["commitments"])
        if int(numbers["met"]) == count == closed:
            key = "narrative.offline.sla.all_met.one" if count == 1 else "narrative.offline.sla.all_met.other"
            return t(self.language, key, count=count)
        return t(self.language, "narrative.offline.sla.mixed", met=int(numbers["met"]), count=count,
                 breached=int(numbers["breached"]), no_data=int(numbers["no_data"]))  # fmt: skip

    def whatif_sentence(self) -> str | None:
        fact = next(iter(self.of_kind(FactKind.WHAT_IF)), None)
        if fact is None:
            return None
        numbers = fact.numbers
        return t(
            self.language, "narrative.offline.whatif.conversion", name=fact.subject, sessions=self.number(numbers["sessions"], None),
            ticket=self.number(numbers["ticket"], fact.unit), points=self.amount(numbers["points"], PERCENT),
            conversion=self.percent(numbers["conversion"], places=_HUNDREDTH), worth=self.number(numbers["worth"], fact.unit),
        )  # fmt: skip

    def experiment_sentence(self) -> str | None:
        experiment = next(iter(self.of_kind(FactKind.EXPERIMENT)), None)
        if experiment is None:
            return None
        result = t(self.language, f"narrative.offline.result.{experiment.detail.get('result', 'pending')}")
        if "kpi" not in experiment.detail:
            return t(self.language, "narrative.offline.experiment.plain", result=result)
        numbers = experiment.numbers
        if "value" not in numbers or "previous" not in numbers:
            return t(self.language, "narrative.offline.experiment.still", name=experiment.subject, result=result)
        return t(
            self.language, "narrative.offline.experiment.moved", name=experiment.subject, result=result,
            previous=self.number(numbers["previous"], experiment.unit), value=self.number(numbers["value"], experiment.unit),
            change=self.change(experiment),
        )  # fmt: skip

    def key_results(self) -> list[Fact]:
        return [fact for fact in self.of_kind(FactKind.KEY_RESULT) if fact.detail.get("summary") != "yes" and "progress" in fact.numbers]

    def behind(self) -> Fact | None:
        """The key result furthest behind: off track first, then at risk; by the distance
        between expected and actual progress."""
        for status in ("off_track", "at_risk"):
            found = [fact for fact in self.key_results() if fact.detail.get("status") == status]
            if found:
                return max(found, key=lambda fact: (fact.numbers.get("expected", Decimal(0)) - fact.numbers["progress"], fact.id))
        return None

    def okr_sentence(self) -> str | None:
        summary = self.summary_of(FactKind.KEY_RESULT)
        results = self.key_results()
        if summary is None or not results:
            return None
        total = int(summary.numbers["total"])
        if total == 1:
            only = results[0]
            label, name = _label_and_name(only.subject)
            status = t(self.language, f"narrative.offline.okr.status.{only.detail.get('status', 'on_track')}")
            return t(self.language, "narrative.offline.okr.single", label=label, name=name, status=status, **self.progress(only))
        parts = []
        for status in _STATUSES:
            count = int(summary.numbers.get(status, 0))
            if count:
                parts.append(t(self.language, f"narrative.offline.okr.part.{status}.{'one' if count == 1 else 'other'}", count=count))
        worst = self.behind()
        if worst is None:
            return t(self.language, "narrative.offline.okr.counts", total=total, parts=self.join(parts))
        label, name = _label_and_name(worst.subject)
        return t(self.language, "narrative.offline.okr.counts_worst", total=total, parts=self.join(parts), label=label, name=name, **self.progress(worst))

    def progress(self, fact: Fact) -> dict[str, str]:
        return {
            "progress": self.percent(fact.numbers["progress"], places=_WHOLE),
            "expected": self.percent(fact.numbers.get("expected", Decimal(0)), places=_WHOLE),
        }

    # -- hypotheses

    def hypotheses(self) -> list[Hypothesis]:
        found: list[Hypothesis] = []
        rules = (self.conversion_rule, self.abandonment_rule, self.breach_rule, self.key_result_rule, self.bottleneck_rule)
        for rule in rules:
            if len(found) >= MAX_HYPOTHESES:
                break
            hypothesis = rule()
            if hypothesis is not None:
                found.append(hypothesis)
                self.used.update(hypothesis.fact_ids)
        if not found:
            fallback = self.fallback_rule()
            if fallback is not None:
                found.append(fallback)
        return found

    def make(self, rule: str, fact_ids: Sequence[str], metric: str, **params: str) -> Hypothesis:
        text = t(self.language, f"narrative.offline.hypothesis.{rule}", **params)
        experiment_rule = "conversion" if rule in ("conversion_down", "conversion_refuted") else rule
        experiment = t(self.language, f"narrative.offline.hypothesis.{experiment_rule}.experiment", **params)
        return Hypothesis(text, tuple(dict.fromkeys(fact_ids)), experiment, metric)

    def worse(self, stage: str, better_when: str) -> list[Fact]:
        found = [
            fact for fact in self.kpis
            if fact.detail.get("stage") == stage and fact.detail.get("better_when") == better_when
            and fact.detail.get("direction") == "worse" and fact.id not in self.used
        ]  # fmt: skip
        return sorted(found, key=lambda fact: (-abs(fact.numbers.get("percent", Decimal(0))), fact.id))

    def conversion_rule(self) -> Hypothesis | None:
        fallen = self.worse("conversion", "higher")
        if not fallen:
            return None
        conversion = fallen[0]
        key = conversion.detail["kpi"]
        risen = [fact for fact in self.kpis if fact.detail.get("stage") == "traffic" and fact.numbers.get("difference", Decimal(0)) > 0]
        if risen:
            traffic = max(risen, key=lambda fact: (fact.numbers.get("percent", Decimal(0)), fact.id))
            return self.make("conversion_traffic", (conversion.id, traffic.id), key, conversion=conversion.subject, traffic=traffic.subject,
                             conversion_change=self.change(conversion, signed=False), traffic_change=self.change(traffic, signed=False))  # fmt: skip
        experiment = next(iter(self.of_kind(FactKind.EXPERIMENT)), None)
        if experiment is not None and experiment.detail.get("kpi") == key and experiment.detail.get("result") == "refuted":
            return self.make("conversion_refuted", (conversion.id, experiment.id), key, name=conversion.subject, change=self.change(conversion, signed=False))
        return self.make("conversion_down", (conversion.id,), key, name=conversion.subject, change=self.change(conversion, signed=False),
                         previous=self.number(conversion.numbers["previous"], conversion.unit),
                         value=self.number(conversion.numbers["value"], conversion.unit))  # fmt: skip

    def abandonment_rule(self) -> Hypothesis | None:
        risen = self.worse("conversion", "lower")
        if not risen:
            return None
        fact = risen[0]
        return self.make("abandonment", (fact.id,), fact.detail["kpi"], name=fact.subject, change=self.change(fact, signed=False),
                         value=self.number(fact.numbers["value"], fact.unit))  # fmt: skip

    def breach_rule(self) -> Hypothesis | None:
        breaches = [fact for fact in self.open_breaches() if fact.id not in self.used and {"value", "target"} <= set(fact.numbers)]
        if not breaches:
            return None
        breach = breaches[0]
        key = breach.detail.get("kpi") or breach.detail.get("sla", "")
        label, name = _label_and_name(breach.subject)
        cited = [breach.id]
        related = self.kpi(breach.detail.get("kpi"))
        if related is not None:
            cited.append(related.id)
        if breach.detail.get("reason") == "tracking":
            rule = "tracking"
        elif breach.unit == HOURS and breach.detail.get("comparator") == "at_most":
            rule = "response"
        else:
            rule = "breach"
        return self.make(rule, cited, key, name=name, label=label.split(" · ")[-1],
                         value=self.number(breach.numbers["value"], breach.unit), target=self.number(breach.numbers["target"], breach.unit))  # fmt: skip

    def key_result_rule(self) -> Hypothesis | None:
        worst = self.behind()
        if worst is None or worst.id in self.used:
            return None
        label, name = _label_and_name(worst.subject)
        return self.make("key_result", (worst.id,), worst.detail.get("kpi") or label, label=label, name=name, **self.progress(worst))

    def bottleneck_rule(self) -> Hypothesis | None:
        fact = next((fact for fact in self.kpis if fact.detail.get("bottleneck") == "yes"), None)
        if fact is None or fact.id in self.used or fact.detail.get("stage") not in ("traffic", "ticket", "retention"):
            return None
        if "difference" not in fact.numbers:
            return None
        return self.make(fact.detail["stage"], (fact.id,), fact.detail["kpi"], name=fact.subject, change=self.change(fact))

    def fallback_rule(self) -> Hypothesis | None:
        moved = [fact for fact in self.kpis if fact.detail.get("direction") in ("better", "worse") and fact.numbers.get("difference")]
        if not moved:
            return None
        improved = [fact for fact in moved if fact.detail["direction"] == "better"]
        pool, rule = (improved, "improved") if improved else (moved, "worsened")
        fact = min(pool, key=lambda fact: (-abs(fact.numbers.get("percent", Decimal(0))), fact.id))
        return self.make(rule, (fact.id,), fact.detail.get("kpi", ""), name=fact.subject, change=self.change(fact, signed=False))


def _parenthesised(label: str) -> str:
    """"B1 · SLA1" → "B1 (SLA1)"."""
    first, _, rest = label.partition(" · ")
    return f"{first} ({rest})" if rest else first


def _relative_gap(fact: Fact) -> Decimal:
    gap, target = fact.numbers.get("gap"), fact.numbers.get("target")
    if gap is None:
        return Decimal(0)
    return abs(gap) / abs(target) if target else abs(gap)
