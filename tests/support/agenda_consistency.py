"""Reads a posted agenda as people read it (the rendered text of the parent, its notification
text and each section of its thread: `thread_sections` splits the details replies back into
their sections) and lists every place where a later statement contradicts what the
parent says about the same KPI and period. Used by the unit test over generated agendas and by
the Slack test over an agenda posted through the app.

What the parent says about a KPI is its line "… *Name* (`key`): *value* · vs before (move) ·
target". A contradiction is:

- another line about that KPI shaped the same way (the KPI part, the changes part, the
  experiment part when it reports the same period) that says anything else after "(`key`)";
- the SLA part's last week for a commitment on that KPI showing another value, or another
  verdict than the parent's target when that target is the SLA's;
- the plan's first step or the notification text not showing the primary's value and target
  as the parent does (or, without a value, not saying so the same way);
- the bottleneck step or the summary quoting a value or percent for that KPI other than the
  parent's;
- the changes part saying that no KPI moved 5 % or more, or that those with a target meet it,
  while the parent shows such a move or a missed target; or listing changes and leaving out a
  KPI whose figures in the parent make it matter; or not naming a KPI the parent shows without
  a value among those left out of the comparison;
- the monthly parent's "targets met" count differing from the ✅ and ❌ in the KPI part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping, Sequence

from bot.blocks.agenda_layout import DETAILS, sections_of
from bot.transcript import render
from services.i18n import t

_KEY = re.compile(r"\(`(?P<key>[a-z][a-z0-9_]*)`\)")
_SPACES = re.compile("[\u2009\u202f\xa0]")
_PERCENT = re.compile(r"([+−±-]?)(\d+(?:[.,]\d+)*)\s?%")


def plain(text: str) -> str:
    return _SPACES.sub(" ", text)


def text_of(message: Mapping) -> str:
    return plain(render(dict(message)))


@dataclass(frozen=True)
class Said:
    """What the parent says about one KPI."""

    key: str
    name: str
    tail: str  # everything after "(`key`)" on its line
    value: str | None  # None: no value for the period
    move: str | None  # "+$5.000.000, +12,5 %" (no previous or no move: None)
    percent: Decimal | None
    target: str  # "✅ meta ≥ $50.000.000 (SLA)", "sin meta acordada"…

    @property
    def missed_target(self) -> bool:
        return self.target.startswith("❌")


def _number(text: str) -> Decimal:
    """A shown percent: one decimal at most, after "," or "." (an English team in Colombia writes
    "0,8%"), so a separator followed by a single digit is the decimal one."""
    whole, _, decimal = text.rpartition(text[-2]) if len(text) > 2 and text[-2] in ".," else (text, "", "")
    return Decimal(re.sub(r"[.,]", "", whole) + ("." + decimal if decimal else ""))


def _percent_of(move: str | None, *, first: bool = False) -> Decimal | None:
    """The relative change in a move ("+$5.000.000, +12,5 %": the last percent) or in a sentence
    ("empeoró 8,3 % … (1,2 % → 1,1 %)": the first, before a percentage KPI's own values)."""
    found = _PERCENT.findall(move or "")
    if not found:
        return None
    sign, digits = found[0] if first else found[-1]
    return -_number(digits) if sign in ("−", "-") else _number(digits)


def said_in(parent_text: str, language: str) -> dict[str, Said]:
    """Every KPI the parent gives a line, by key."""
    found: dict[str, Said] = {}
    for line in parent_text.splitlines():
        match = _KEY.search(line)
        if match is None:
            continue
        key, tail = match.group("key"), line[match.end():]
        name = line[: match.start()].rstrip().rstrip("*").split("*")[-1]
        value = re.match(r": \*([^*]+)\*", tail)
        segments = tail.split(" · ")
        move = re.search(r"\(([^()]*), [^(),]+\)$", segments[1]) if value and len(segments) > 2 else None
        found[key] = Said(key, name, tail, value.group(1) if value else None, move.group(1) if move else None,
                          _percent_of(move.group(1) if move else None), segments[-1] if value else "")  # fmt: skip
    return found


def thread_sections(parent: Mapping, thread: Sequence[Mapping]) -> dict[str, dict]:
    """The sections of a posted agenda by name ("kpis", "sla", "summary"…), each as a message
    holding its blocks, read from the details replies (`agenda-<id>-details`, `-details-2`…) of
    the parent's thread."""
    claim = parent["metadata"]["event_payload"]["claim"]
    found: dict[str, dict] = {}
    for message in thread:
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if payload.get("claim", "").removeprefix(claim + "-").startswith(DETAILS) and payload.get("claim", "").startswith(claim + "-"):
            found.update({name: {"text": "", "blocks": blocks} for name, blocks in sections_of(message.get("blocks") or []).items()})
    return found


def _matters(said: Said, language: str) -> bool:
    """What the parent's figures say: a move of 5 % or more as shown, a move from zero (a
    difference with no percent), or a missed target."""
    if said.value is None:
        return False
    if said.missed_target or (said.percent is not None and abs(said.percent) >= 5):
        return True
    return said.move is not None and said.percent is None and said.move != t(language, "agenda.ui.kpi.unchanged")


def contradictions(parent: Mapping, parts: Mapping[str, Mapping], *, language: str, period: str) -> list[str]:
    """Every contradiction between the parent (a message: text and blocks) and the later parts
    (by name) of one agenda; `period` is how the agenda names the period it reports."""
    parent_text = text_of(parent)
    said = said_in(parent_text, language)
    found: list[str] = []
    texts = {name: text_of(message) for name, message in parts.items()}
    for name, text in texts.items():
        if name == "sla":
            found += _sla(text, said, language)
            continue
        for line in text.splitlines():
            found += _line_contradictions(name, line, said, language, period)
    primary = _primary(parent_text, said)
    if primary is not None:
        found += _primary_sentence("notification", plain(parent.get("text", "")), primary)
        if "plan" in texts:
            found += _primary_sentence("plan", texts["plan"], primary)
    if "changes" in texts:
        found += _changes(texts["changes"], said, language)
    if "summary" in texts and primary is not None and primary.value is not None:
        if primary.value not in texts["summary"].replace("*", ""):
            found.append(f"summary: the primary's value {primary.value} is not the parent's")
    if "kpis" in texts and parts and _is_monthly(parent_text, language):
        found += _monthly_targets(parent_text, texts["kpis"], language)
    return found


def _primary(parent_text: str, said: Mapping[str, Said]) -> Said | None:
    lines = parent_text.splitlines()
    for index, line in enumerate(lines[:-1]):
        if line.strip("*") in (t("es", "agenda.ui.kpis.primary").strip("*"), t("en", "agenda.ui.kpis.primary").strip("*")):
            match = _KEY.search(lines[index + 1])
            return said.get(match.group("key")) if match else None
    return None


def _line_contradictions(part: str, line: str, said: Mapping[str, Said], language: str, period: str) -> list[str]:
    match = _KEY.search(line)
    if match is None or match.group("key") not in said:
        return []
    parent = said[match.group("key")]
    tail = line[match.end():]
    if part == "experiment" and period not in line:
        return []  # its metric over another week
    if tail.startswith((":", " ")):  # a KPI line like the parent's (a sentence goes on with ", ")
        if parent.value is None and not tail.startswith(": *"):
            return []  # no value, said in either wording (the primary's also says how to log it)
        if tail != parent.tail:
            return [f"{part}: {parent.key} says {tail!r}, the parent {parent.tail!r}"]
        return []
    found = []  # a sentence about it (the bottleneck): its value and percent must be the parent's
    if parent.value is None or parent.value not in tail:
        found.append(f"{part}: {parent.key} is quoted without the parent's value {parent.value}: {tail!r}")
    percent = _percent_of(tail, first=True) if "→" in tail else None  # a move "(before → now)"; else a gap to the target
    if percent is not None and parent.percent is not None and abs(percent) != abs(parent.percent):
        found.append(f"{part}: {parent.key} moved {percent} % here, {parent.percent} % in the parent")
    return found


def _sla(text: str, said: Mapping[str, Said], language: str) -> list[str]:
    """A weekly commitment on a KPI of the parent: last week's state must show the parent's value
    and, when the parent's target is that SLA's, the same verdict."""
    found, lines = [], text.splitlines()
    last_week = t(language, "agenda.ui.sla.last.week", state="")
    for index, line in enumerate(lines):
        match = _KEY.search(line)
        if match is None or match.group("key") not in said or said[match.group("key")].value is None:
            continue
        parent = said[match.group("key")]
        state = next((later.removeprefix(last_week) for later in lines[index + 1 : index + 3] if later.startswith(last_week)), None)
        if state is None or state.startswith("⬜"):
            continue
        if f"({parent.value})" not in state:
            found.append(f"sla: {parent.key} was {state!r} last week, the parent says {parent.value}")
        if parent.target.endswith("(SLA)") and parent.target[:1] in "✅❌" and state[:1] != parent.target[:1]:
            found.append(f"sla: {parent.key} is {state!r}, the parent's target says {parent.target!r}")
    return found


def _primary_sentence(where: str, text: str, primary: Said) -> list[str]:
    if primary.value is None:
        statement = primary.tail.strip()
        return [] if statement in text else [f"{where}: does not say the primary's missing value as the parent does ({statement!r})"]
    if f"{primary.name} {primary.value} · {primary.target}" not in text.replace("*", ""):
        return [f"{where}: the primary is not shown as '{primary.name} {primary.value} · {primary.target}'"]
    return []


def _changes(text: str, said: Mapping[str, Said], language: str) -> list[str]:
    found = []
    listed = {match.group("key") for line in text.splitlines() if re.match(r"\d+\. ", line) for match in [_KEY.search(line)] if match}
    none = t(language, "agenda.ui.changes.none")
    if none in text:
        found += [f"changes: says no KPI moved or missed its target, but the parent shows {s.key}: {s.tail!r}" for s in said.values() if _matters(s, language)]
    else:
        found += [f"changes: leaves out {s.key}, which matters in the parent ({s.tail!r})" for s in said.values() if _matters(s, language) and s.key not in listed]
    nothing = t(language, "agenda.truth.changes.nothing_logged")
    unlogged = next((line for line in text.splitlines() if line.startswith(t(language, "agenda.truth.changes.unlogged", count=0, names="").split("(")[0])), "")
    for s in said.values():
        if s.value is None and nothing not in text and s.name not in unlogged:
            found.append(f"changes: does not say that {s.key} has no value, as the parent does")
        if s.value is None and s.key in listed:
            found.append(f"changes: lists {s.key}, which has no value in the parent")
    return found


def _is_monthly(parent_text: str, language: str) -> bool:
    return t(language, "agenda.ui.monthly.targets", met=0, total=0).split("0")[0] in parent_text


def _monthly_targets(parent_text: str, kpis_text: str, language: str) -> list[str]:
    head = t(language, "agenda.ui.monthly.targets", met="{met}", total="{total}")
    pattern = re.escape(head).replace(r"\{met\}", r"(\d+)").replace(r"\{total\}", r"(\d+)")
    match = re.search(pattern, parent_text)
    if match is None:
        return []
    met, total = int(match.group(1)), int(match.group(2))
    lines = [line for line in kpis_text.splitlines() if _KEY.search(line)]
    shown_met = sum(" · ✅" in line for line in lines)
    shown_total = shown_met + sum(" · ❌" in line for line in lines)
    if (met, total) != (shown_met, shown_total):
        return [f"monthly: the parent says {met} of {total} targets met, the KPI part shows {shown_met} of {shown_total}"]
    return []


def message_of(reply) -> dict:
    """A rendered `Reply` as the message Slack would hold."""
    return {"text": reply.text, "blocks": reply.blocks}


def parts_of(agenda, extra: Sequence[tuple[str, object]] = ()) -> dict[str, dict]:
    return {part.name: message_of(part.reply) for part in agenda.parts} | {name: message_of(reply) for name, reply in extra}
