"""The LLM narrator with the REAL openai client against a loopback OpenAI-compatible server
(tests/support/openai_double.py): every scenario ends in a correct, safe Narrative, within the
time limit, and no person's name, Slack id or email ever reaches the server."""

from __future__ import annotations

import json
import re
import socket
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import openai
import pytest

from bot import demo_data
from domain import grounding
from domain.meetings import AgendaKind
from domain.narrative import Fact, FactKind, Hypothesis, Narrative, Source
from services import agenda_facts, agendas, narrative_facts
from services.llm_client import FormatMemory
from services.llm_narrator import GRAMMAR_TEMPERATURE, LlmNarrator
from services.llm_prompt import RESPONSE_SCHEMA
from services.offline_narrator import OfflineNarrator
from tests.support.openai_double import COMPLETION_TOKENS, INVENTED_NUMBER, PROMPT_TOKENS, UNKNOWN_FACT_ID, OpenAIDouble

NOW = datetime(2026, 3, 16, 12, 0, tzinfo=timezone.utc)
FACTS = (
    Fact("kpi.sales_cop.2026-W11", FactKind.KPI_CHANGE, "Ventas",
         {"value": Decimal("41440000"), "previous": Decimal("45000000"), "difference": Decimal("3560000"),
          "percent": Decimal("-7.911111"), "target": Decimal("45833333.333333")}, "COP", {"direction": "worse", "kpi": "sales_cop"}),
    Fact("kpi.conversion_web.2026-W11", FactKind.KPI_CHANGE, "Conversión web",
         {"value": Decimal("1.24"), "previous": Decimal("1.31"), "percent": Decimal("-5.343511")}, "%", {"direction": "falls"}),
    Fact("sla.SLA1.2026-W11", FactKind.SLA, "SLA1 · seguimiento en 24 h", {"value": Decimal("31.5"), "target": Decimal("24")}, "h",
         {"state": "breached"}),
    Fact("breach.B1", FactKind.BREACH, "SLA1 · seguimiento", {"value": Decimal("31.5"), "target": Decimal("24"), "gap": Decimal("7.5")},
         "h", {"reason": "staffing"}),
    Fact("experiment.2026-W11", FactKind.EXPERIMENT, "Envío gratis en la ficha", {}, None,
         {"result": "refuted", "metric": "conversion_web"}),
    Fact("kr.KR3", FactKind.KEY_RESULT, "KR3 · whatsapp_close_rate de 22 % a 30 %",
         {"progress": Decimal("25"), "expected": Decimal("40")}, "%", {"status": "at_risk"}),
)  # fmt: skip
IDS = {f.id for f in FACTS}
OFFLINE_TEXT = ("Resumen sin IA: las ventas quedaron en 41.440.000 COP.", "La conversión web quedó en 1,24 %.")


class Offline:
    """The fallback: records that it spoke."""

    def __init__(self) -> None:
        self.calls = 0

    def narrate(self, facts, *, language, country):
        self.calls += 1
        return Narrative(summary=OFFLINE_TEXT, hypotheses=(), source=Source.OFFLINE)


@dataclass
class MemoryBudget:
    limit: int = 200_000
    records: list[int] = field(default_factory=list)

    def remaining(self, *, workspace_id, now):
        return self.limit - sum(self.records)

    def record(self, *, workspace_id, tokens, now):
        self.records.append(tokens)


@pytest.fixture
def run():
    """run(scenario, timeout_s=1.0, language="es") -> (narrative, double, offline, budget, seconds)."""
    doubles, clients = [], []

    def narrate(scenario: str, *, timeout_s: float = 1.0, language: str = "es", facts=FACTS):
        double = OpenAIDouble(scenario).start()
        doubles.append(double)
        client = openai.OpenAI(api_key="not-needed", base_url=double.base_url, max_retries=0)
        clients.append(client)
        offline, budget = Offline(), MemoryBudget()
        narrator = LlmNarrator(
            client, model="double-model", fallback=offline, budget=budget, workspace_id=1, timeout_s=timeout_s, clock=lambda: NOW
        )
        started = time.monotonic()
        narrative = narrator.narrate(facts, language=language, country="CO")
        return narrative, double, offline, budget, time.monotonic() - started

    yield narrate
    for client in clients:
        client.close()
    for double in doubles:
        double.stop()


def texts(narrative: Narrative) -> list[str]:
    return [*narrative.summary, *(t for h in narrative.hypotheses for t in (h.text, h.experiment, h.metric))]


def assert_safe_and_grounded(narrative: Narrative) -> None:
    for text in texts(narrative):
        assert grounding.grounded(text, FACTS, language="es", country="CO"), text
        assert "<" not in text and ">" not in text.replace("&gt;", ""), text
        assert "*" not in text and "`" not in text and "~" not in text, text
        assert "http" not in text and "evil" not in text, text
    for hypothesis in narrative.hypotheses:
        assert hypothesis.fact_ids and set(hypothesis.fact_ids) <= IDS


# Scenarios ------------------------------------------------------------------------------------


def test_a_good_answer_becomes_the_narrative_labelled_with_the_model(run):
    narrative, double, offline, budget, _ = run("good")
    assert (narrative.source, narrative.model, narrative.fallback_reason, narrative.dropped) == (Source.LLM, "double-model", None, 0)
    assert 3 <= len(narrative.summary) <= 5 and 1 <= len(narrative.hypotheses) <= 3
    # The model named the fact and its number by placeholder; Alinea wrote both, the team's way.
    assert narrative.summary[0] == "El indicador Ventas quedó en $41.440.000 en el periodo."
    assert narrative.summary[1] == "El indicador Conversión web quedó en 1,24\xa0% en el periodo."
    assert narrative.hypotheses[0] == Hypothesis(
        "La conversión baja explica la caída de las ventas.",
        ("kpi.sales_cop.2026-W11", "kpi.conversion_web.2026-W11"),
        "Simplificar el pago en el celular durante una semana.",
        "sales_cop",  # a KPI key stays usable as the week's experiment metric
    )
    assert_safe_and_grounded(narrative)
    assert offline.calls == 0 and budget.records == [PROMPT_TOKENS + COMPLETION_TOKENS]
    [body] = double.requests
    assert double.paths == ["/v1/chat/completions"]
    assert body["model"] == "double-model" and body["max_tokens"] == 700
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "alinea_narrative", "strict": True, "schema": RESPONSE_SCHEMA},
    }
    assert double.headers[0]["authorization"] == "Bearer not-needed"


def test_invented_numbers_and_unknown_ids_are_dropped(run):
    narrative, double, offline, _, _ = run("invents")
    assert narrative.source is Source.LLM and narrative.dropped == 2 and offline.calls == 0
    assert not any(INVENTED_NUMBER in text for text in texts(narrative))
    assert all(UNKNOWN_FACT_ID not in h.fact_ids for h in narrative.hypotheses) and len(narrative.hypotheses) == 1
    assert len(narrative.summary) == 4
    assert_safe_and_grounded(narrative)


def test_too_little_grounded_text_falls_back(run):
    narrative, _, offline, _, _ = run("all_invented")
    assert (narrative.source, narrative.fallback_reason, narrative.summary) == (Source.OFFLINE, "ungrounded", OFFLINE_TEXT)
    assert offline.calls == 1


def test_sentences_dropped_for_what_they_said_fall_back_and_say_so(run):
    """A small model's filler and a copy of the prompt's example carry no invented number, but
    say nothing true of the week: dropped, and the note says why rather than "unreadable"."""
    narrative, double, offline, _, _ = run("filler")
    assert (narrative.source, narrative.fallback_reason, narrative.summary) == (Source.OFFLINE, "unsupported", OFFLINE_TEXT)
    assert len(double.requests) == 1 and offline.calls == 1


def test_malformed_json_falls_back_without_a_retry(run):
    narrative, double, offline, budget, _ = run("malformed")
    assert (narrative.source, narrative.fallback_reason, narrative.summary) == (Source.OFFLINE, "malformed", OFFLINE_TEXT)
    assert len(double.requests) == 1 and offline.calls == 1
    assert budget.records == [PROMPT_TOKENS + COMPLETION_TOKENS]  # spent all the same


def test_injected_markup_and_instructions_do_not_survive(run):
    narrative, _, _, _, _ = run("inject")
    assert narrative.source is Source.LLM
    joined = " ".join(texts(narrative))
    for forbidden in ("<!channel>", "<!here>", "<https", "evil.example", "click", "*", "~", "`", "Ignore previous", "999", "@channel"):
        assert forbidden not in joined, forbidden
    # Two sentences carrying a mention or a link, one typing a number the injection asks for, and
    # the hypothesis with a mention are dropped; what survives shows as text, escaped.
    assert narrative.dropped == 4 and narrative.hypotheses == ()
    assert narrative.summary[0] == f"Ojo @{grounding.WORD_JOINER}channel: Ventas quedó en $41.440.000 &gt; meta."
    assert_safe_and_grounded(narrative)


@pytest.mark.parametrize("scenario, reason, charged", [("html", "malformed", 0), ("refusal", "refused", 1)])
def test_answers_without_text_fall_back(run, scenario, reason, charged):
    narrative, double, _, budget, _ = run(scenario)
    assert (narrative.source, narrative.fallback_reason) == (Source.OFFLINE, reason)
    assert len(double.requests) == 1 and len(budget.records) == charged


def test_a_hanging_server_costs_no_more_than_the_timeout(run):
    narrative, double, offline, budget, seconds = run("hang", timeout_s=1.0)
    assert (narrative.source, narrative.fallback_reason) == (Source.OFFLINE, "timeout")
    assert seconds < 1.5, seconds
    assert len(double.requests) == 1 and offline.calls == 1 and budget.records == []


def test_a_trickling_answer_is_cut_at_the_deadline(run):
    narrative, _, _, _, seconds = run("trickle", timeout_s=1.0)
    assert (narrative.source, narrative.fallback_reason) == (Source.OFFLINE, "timeout")
    assert seconds < 1.5, seconds


def test_a_llama_cpp_server_gets_json_mode_with_the_facts_schema(run):
    """The recorded llama-cpp double refuses the JSON schema (500) and takes JSON mode with a
    schema, answering only what its grammar allows: each of this narration's facts with true
    sentences of its own, the prompt's example in the grammar's shape, and every sentence kept
    is the model's."""
    narrative, double, offline, _, _ = run("llama_cpp")
    assert formats_sent(double) == ["json_schema", "json_object_schema"]
    # A low temperature only where the grammar binds: structured output gets the server's default.
    assert "temperature" not in double.requests[0] and double.requests[1]["temperature"] == GRAMMAR_TEMPERATURE < 0.5
    schema = double.requests[1]["response_format"]["schema"]
    aliases = [fact["alias"] for fact in double.facts_of(double.requests[1])]
    branches = schema["properties"]["summary"]["items"]["anyOf"]
    assert [branch["properties"]["fact"]["const"] for branch in branches] == aliases  # every fact here has a state or a number to tell
    assert "{F1} empeoró." in branches[0]["properties"]["text"]["enum"] and "{F1} mejoró." not in branches[0]["properties"]["text"]["enum"]
    assert '"summary": [{"fact": "F1", "text": "{F1} empeoró y pasó de {F1.previous} a {F1.value}."' in double.requests[1]["messages"][0]["content"]
    assert narrative.source is Source.LLM and narrative.dropped == 0 and offline.calls == 0
    assert len(narrative.summary) >= 2 and not any(re.search(r"\{|F\d", text) for text in narrative.summary)
    assert_safe_and_grounded(narrative)


def formats_sent(double: OpenAIDouble, since: int = 0) -> list[str | None]:
    """The format of each request as the narrator names it: JSON mode with a schema is
    "json_object_schema"."""
    sent = [r.get("response_format") or {} for r in double.requests[since:]]
    return [f"{f['type']}_schema" if f.get("type") == "json_object" and "schema" in f else f.get("type") for f in sent]


def test_a_server_error_is_retried_once_then_falls_back(run):
    narrative, double, offline, _, seconds = run("error500")
    assert (narrative.source, narrative.fallback_reason) == (Source.OFFLINE, "server_error")
    assert len(double.requests) == 2 and double.requests[0] == double.requests[1]
    assert offline.calls == 1 and seconds < 1.0


def test_one_server_error_then_a_good_answer_succeeds(run):
    narrative, double, _, _, _ = run("error500_once")
    assert narrative.source is Source.LLM and narrative.fallback_reason is None
    assert len(double.requests) == 2


def test_a_server_without_json_schema_gets_json_mode(run):
    narrative, double, offline, budget, _ = run("no_json_schema")
    # It takes JSON mode with the facts' schema and ignores the schema: the answer is read all the same.
    assert formats_sent(double) == ["json_schema", "json_object_schema"]
    assert narrative.source is Source.LLM and narrative.dropped == 0 and offline.calls == 0
    assert "JSON" in double.requests[1]["messages"][0]["content"]  # JSON mode needs the word in the prompt
    assert budget.records == [PROMPT_TOKENS + COMPLETION_TOKENS]  # a refused request costs nothing
    assert_safe_and_grounded(narrative)


def test_a_server_without_json_modes_gets_plain_text(run):
    narrative, double, _, _, _ = run("text_only")
    assert formats_sent(double) == ["json_schema", "json_object_schema", "json_object", None]
    assert "\nS: Las ventas bajaron a {F1.value}" in double.requests[3]["messages"][0]["content"]  # the example, in lines
    assert narrative.source is Source.LLM and len(narrative.summary) == 4 and len(narrative.hypotheses) == 1
    assert_safe_and_grounded(narrative)




@pytest.mark.parametrize("scenario, learnt", [("llama_cpp", ["json_object_schema"]), ("prose", [None])])
def test_a_refused_format_is_learnt_once_per_server_and_model(scenario, learnt, caplog):
    """llama-cpp-python's server answers 500 to a JSON schema (the recorded double); a server
    that ignores response_format answers prose. Either way the next format is tried at once
    (no retry of the 500), and later narrations for the same base URL and model start with the
    format that worked, which is logged once at INFO."""
    formats = FormatMemory()
    caplog.set_level("INFO", logger="services.llm_client")
    with OpenAIDouble(scenario) as double:
        client = openai.OpenAI(api_key="not-needed", base_url=double.base_url, max_retries=0)

        def narrate(model="small-model"):
            narrator = LlmNarrator(client, model=model, fallback=Offline(), budget=MemoryBudget(), workspace_id=1, timeout_s=2.0,
                                   clock=lambda: NOW, formats=formats)  # fmt: skip
            return narrator.narrate(FACTS, language="es", country="CO")

        first = narrate()
        tried = len(double.requests)
        again = narrate()
        other_model = narrate("other-model")
        client.close()
    assert formats_sent(double)[:tried] == (
        ["json_schema", "json_object_schema"] if scenario == "llama_cpp" else ["json_schema", "json_object_schema", "json_object", None]
    )
    assert formats_sent(double, tried)[:1] == learnt  # the same server and model: straight to what worked
    assert formats_sent(double, tried + 1)[0] == "json_schema"  # another model on that server is asked afresh
    for narrative in (first, again, other_model):
        assert narrative.source is Source.LLM and narrative.fallback_reason is None
        assert_safe_and_grounded(narrative)
    said = [r.getMessage() for r in caplog.records if r.levelname == "INFO" and "answers model" in r.getMessage()]
    assert said == [
        f"the LLM server at {double.base_url} answers model small-model with response_format {learnt[0] or 'text'}",
        f"the LLM server at {double.base_url} answers model other-model with response_format {learnt[0] or 'text'}",
    ]


def test_a_model_that_wants_max_completion_tokens_gets_it(run):
    narrative, double, _, _, _ = run("max_completion_tokens")
    assert narrative.source is Source.LLM
    first, second = double.requests
    assert first["max_tokens"] == 700 and "max_completion_tokens" not in first
    assert second["max_completion_tokens"] == 700 and "max_tokens" not in second
    assert second["response_format"]["type"] == "json_schema"


def test_a_server_that_reports_no_usage_is_charged_an_estimate(run):
    narrative, double, _, budget, _ = run("no_usage")
    assert narrative.source is Source.LLM
    [tokens] = budget.records
    assert tokens >= len(double.raw_bodies[0]) // 8


def test_the_prompt_follows_the_teams_language(run):
    narrative, double, _, _, _ = run("good", language="en")
    system = double.requests[0]["messages"][0]["content"]
    assert "You summarise, in English" in system and "Resumes en español" not in system and "FACTS:" in system
    assert narrative.source is Source.LLM


def test_no_server_listening_falls_back_quickly():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = openai.OpenAI(api_key="x", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    narrator = LlmNarrator(client, model="m", fallback=Offline(), budget=MemoryBudget(), workspace_id=1, timeout_s=1.0)
    started = time.monotonic()
    narrative = narrator.narrate(FACTS, language="es", country="CO")
    client.close()
    assert (narrative.source, narrative.fallback_reason) == (Source.OFFLINE, "connection")
    assert time.monotonic() - started < 1.5


def test_the_narrator_never_raises(run):
    class Broken:
        def narrate(self, facts, *, language, country):
            raise RuntimeError("offline narrator bug")

    class ExplodingClient:
        class chat:  # noqa: N801 (mimics the client's attribute path)
            class completions:  # noqa: N801
                @staticmethod
                def create(**_):
                    raise ValueError("unexpected")

    narrator = LlmNarrator(ExplodingClient(), model="m", fallback=Offline(), budget=MemoryBudget(), workspace_id=1, timeout_s=1.0)
    assert narrator.narrate(FACTS, language="es", country="CO").fallback_reason == "error"
    with OpenAIDouble("error500") as double:
        client = openai.OpenAI(api_key="x", base_url=double.base_url, max_retries=0)
        narrator = LlmNarrator(client, model="m", fallback=Broken(), budget=MemoryBudget(), workspace_id=1, timeout_s=1.0)
        narrative = narrator.narrate(FACTS, language="es", country="CO")
        client.close()
    assert (narrative.summary, narrative.source, narrative.fallback_reason) == ((), Source.OFFLINE, "server_error")
    assert narrator.narrate((), language="es", country="CO").fallback_reason == "no_facts"


# Privacy --------------------------------------------------------------------------------------

SLACK_ID = re.compile(r"\b[UW]0[A-Z0-9]+\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@pytest.fixture
def demo_facts(session_factory):
    """The demo team's weekly facts (bot.demo_data), as the weekly agenda of 2026-W12 sees them."""
    [team] = demo_data.seeded(session_factory, today=date(2026, 3, 16))
    now = datetime(2026, 3, 16, 7, 0, tzinfo=ZoneInfo("America/Bogota"))
    with session_factory() as session:
        found = demo_data._load(session, team)
        occurrence = agendas.due_occurrence(found, AgendaKind.WEEKLY, now)
        weekly = agenda_facts.weekly(session, team=found, occurrence=occurrence, now=now)
        return narrative_facts.weekly_facts(weekly, language=found.locale)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_person_reaches_the_model(demo_facts):
    assert demo_facts
    narratives = {}
    with OpenAIDouble("good") as double:
        client = openai.OpenAI(api_key="not-needed", base_url=double.base_url, max_retries=0)
        for scenario in ("good", "malformed"):
            double.scenario = scenario
            narrator = LlmNarrator(
                client, model="double-model", fallback=OfflineNarrator(), budget=MemoryBudget(), workspace_id=1,
                timeout_s=2.0, clock=lambda: NOW,
            )  # fmt: skip
            narratives[scenario] = narrator.narrate(demo_facts, language="es", country="CO")
        client.close()
    assert len(double.requests) == 2
    for raw in double.raw_bodies:
        body = json.dumps(json.loads(raw), ensure_ascii=False)
        assert not SLACK_ID.search(body), SLACK_ID.search(body)
        assert not EMAIL.search(body)
        for slack_id, name, _ in demo_data.PEOPLE:
            assert slack_id not in body
            assert not re.search(rf"\b{name}\b", body, re.IGNORECASE), name
    # Every fact reached it, by alias and with its numbers as placeholders only: no figure, no id.
    said = double.facts_of(double.requests[0])
    assert [f["alias"] for f in said] == [f"F{n}" for n in range(1, len(demo_facts) + 1)]
    assert [f["numbers"] for f in said] == [list(f.numbers) for f in demo_facts]
    user = double.requests[0]["messages"][1]["content"]
    for fact in sorted(demo_facts, key=lambda f: -len(f.subject)):  # names may carry digits (SLA1, KR3, "a 60 días"); nothing else does
        user = user.replace(fact.subject, "")
    assert not re.search(r"\d", re.sub(r"\{F\d+(\.\w+)?\}|\bF\d+\b", "", user)), user
    # The demo's facts narrate through the model, and through the offline narrator when it fails.
    good, malformed = narratives["good"], narratives["malformed"]
    assert (good.source, good.dropped, good.fallback_reason) == (Source.LLM, 0, None)
    offline = OfflineNarrator().narrate(demo_facts, language="es", country="CO")
    assert malformed == replace(offline, fallback_reason="malformed")
    for text in texts(good):
        assert grounding.grounded(text, demo_facts, language="es", country="CO")
