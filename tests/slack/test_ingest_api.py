"""The ingest API through real HTTP (waitress, the same server as Slack's endpoint) on SQLite and
PostgreSQL: counts, idempotent resends, audited corrections, all-or-nothing batches, 401s that
say nothing about other teams, Bogotá weeks, exact decimals, limits; and openapi.yaml agreeing
with all of it."""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.http import HttpServer
from bot.ingest_api import IngestApi
from bot.loopback import LoopbackBot
from db import repositories
from db.models import AuditEntry, IngestToken, KpiValue
from db.session import make_engine, make_session_factory
from domain.periods import Period
from services import ingest, kpis
from tests.support.clock import Clock

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 14, 15, 0, tzinfo=timezone.utc)  # Wednesday of 2026-W03 in Bogotá
ONE_LINE = "configurar mercadeo <@U0ANA|ana> ventas <@U0LUIS|luis> zona America/Bogota idioma es"
PATH = "/api/v1/teams/{team}/metrics"
FEEDBACK_PATH = "/api/v1/teams/{team}/feedback"
observed: set[int] = set()  # every status the server answered here, checked against openapi.yaml


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def bot(settings, double, clock):
    double.add_user("U0LUIS", name="luis", locale="es-LA")
    with LoopbackBot(settings, double=double, clock=clock) as bot:
        yield bot


def team_of(session, bot, channel="C0TEAM"):
    workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
    return repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)


def set_up_team(bot, channel="C0TEAM") -> str:
    """A team with the starter KPIs and a token (through the services, as fixtures do)."""
    bot.command(ONE_LINE, user_id="U0ANA", channel_id=channel)
    with bot.runtime.session_factory.begin() as session:
        team = team_of(session, bot, channel)
        kpis.enable_starter_set(session, team=team, actor="U0ANA", now=NOW, language="es")
        return ingest.create_token(session, team=team, actor="U0ANA", is_workspace_admin=False, now=NOW).plain


@pytest.fixture
def token(bot) -> str:
    return set_up_team(bot)


def call(url: str, *, method: str = "POST", path: str | None = None, team: str = "C0TEAM", token: str | None = None,
         body: Any = None, raw: bytes | None = None, content_type: str | None = "application/json",
         headers: dict[str, str] | None = None) -> Answer:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    sent = {**({"Authorization": f"Bearer {token}"} if token else {}), **({"Content-Type": content_type} if content_type else {}),
            **(headers or {})}
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    try:
        connection.request(method, path or PATH.format(team=team), body=payload, headers=sent)
        response = connection.getresponse()
        data = response.read()
        answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(data) if data else None)
    finally:
        connection.close()
    observed.add(answer.status)
    return answer


def send(bot, token, rows, **kwargs) -> Answer:
    return call(bot.url, token=token, body={"values": rows}, **kwargs)


def row(kpi="orders", value: Any = 16, source="shopify", **extra):
    return {"kpi": kpi, "value": value, "source": source, **(extra or {"period": "2026-W02"})}


def stored(bot) -> list[KpiValue]:
    with bot.runtime.session_factory() as session:
        return session.query(KpiValue).order_by(KpiValue.id).all()


def value_audit(bot) -> list[AuditEntry]:
    with bot.runtime.session_factory() as session:
        return session.query(AuditEntry).filter_by(entity_type="kpi_value").order_by(AuditEntry.id).all()


def week_value(bot, key, period):
    with bot.runtime.session_factory() as session:
        (point,) = kpis.series(session, team=team_of(session, bot), key=key, periods=[period])
    return point.value


# Writing ----------------------------------------------------------------------------------------------


def test_a_good_batch_then_the_same_again_then_a_correction(bot, token, clock):
    batch = [row(), row("sessions", 1000), row("sales_cop", "45000000.5", period="2026-01")]
    first = send(bot, token, batch)
    assert (first.status, first.body) == (200, {"recorded": 3, "unchanged": 0, "replaced": 0})
    assert first.headers["content-type"] == "application/json"
    again = send(bot, token, batch)
    assert (again.status, again.body) == (200, {"recorded": 0, "unchanged": 3, "replaced": 0})
    clock.now = NOW + timedelta(hours=2)
    batch[1]["value"] = 1200
    fixed = send(bot, token, batch)
    assert (fixed.status, fixed.body) == (200, {"recorded": 0, "unchanged": 2, "replaced": 1})
    entries = value_audit(bot)
    assert [e.action for e in entries] == ["kpi_value.recorded"] * 3 + ["kpi_value.replaced"]
    assert (entries[-1].before["value"], entries[-1].after["value"]) == ("1000", "1200")
    assert entries[-1].actor == f"api:{token[:10]}" and token not in json.dumps([e.after for e in entries])
    assert {v.source for v in stored(bot)} == {"api:shopify"}
    assert week_value(bot, "sessions", Period.iso_week(2026, 2)) == Decimal(1200)
    with bot.runtime.session_factory() as session:
        assert session.query(IngestToken).one().last_used_at == NOW + timedelta(hours=2)


def test_one_bad_row_writes_nothing_and_says_which(bot, token):
    batch = [row(), row("sessions", 1000), row("orders", -3, period="2026-W01"), row("ordres", 5)]
    answer = send(bot, token, batch)
    assert answer.status == 422 and answer.body["error"] == "invalid_rows"
    assert [(r["index"], r["error"]) for r in answer.body["rows"]] == [(2, "negative_value"), (3, "unknown_kpi")]
    assert "did you mean 'orders'" in answer.body["rows"][1]["message"]
    assert stored(bot) == [] and value_audit(bot) == []


def test_sunday_night_in_bogota_belongs_to_that_bogota_week(bot, token):
    answer = send(bot, token, [row("orders", 7, timestamp="2026-01-11T23:30:00-05:00")])  # Monday 04:30 UTC
    assert answer.status == 200
    (value,) = stored(bot)
    assert (value.period_kind, value.period_start) == ("day", date(2026, 1, 11))
    assert week_value(bot, "orders", Period.iso_week(2026, 2)) == Decimal(7)
    assert week_value(bot, "orders", Period.iso_week(2026, 3)) is None


def test_decimals_are_exact_as_strings_and_as_json_numbers(bot, token):
    raw = (b'{"values": [{"kpi": "sales_cop", "value": "45000000.123456", "period": "2026-01-12", "source": "siigo"},'
           b' {"kpi": "sales_cop", "value": 123456789012.654321, "period": "2026-01-13", "source": "siigo"}]}')
    assert call(bot.url, token=token, raw=raw).status == 200  # the second is no float: it has 18 digits
    assert [v.value for v in stored(bot)] == [Decimal("45000000.123456"), Decimal("123456789012.654321")]
    resend = send(bot, token, [row("sales_cop", "45000000.123456", period="2026-01-12", source="siigo")])
    assert resend.body == {"recorded": 0, "unchanged": 1, "replaced": 0}


def test_the_openapi_example_is_accepted(bot, token):
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    example = spec["paths"][PATH]["post"]["requestBody"]["content"]["application/json"]["examples"]["mixed"]["value"]
    answer = call(bot.url, token=token, body=example)
    assert (answer.status, answer.body) == (200, {"recorded": 3, "unchanged": 0, "replaced": 0})


# Refusals ----------------------------------------------------------------------------------------------


def assert_unauthorized(answer: Answer) -> None:
    assert answer.status == 401 and answer.body["error"] == "invalid_token"
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_wrong_missing_revoked_and_other_teams_tokens_get_401(bot, token, double):
    double.add_channel("C0OTHER", "otro")
    other = set_up_team(bot, "C0OTHER")
    assert_unauthorized(send(bot, None, [row()]))
    assert_unauthorized(send(bot, "aln_" + "x" * 43, [row()]))
    assert_unauthorized(send(bot, token, [row()], headers={"Authorization": f"Basic {token}"}))
    assert_unauthorized(send(bot, other, [row()]))  # valid, for another team
    nowhere = send(bot, token, [row()], team="C0NOWHERE")  # no such team: the very same answer
    assert_unauthorized(nowhere)
    assert nowhere.body == send(bot, other, [row()]).body
    with bot.runtime.session_factory.begin() as session:
        ingest.revoke_tokens(session, team=team_of(session, bot), actor="U0ANA", is_workspace_admin=False, now=NOW)
    assert_unauthorized(send(bot, token, [row()]))
    assert stored(bot) == []


def test_malformed_json_wrong_type_method_size_and_shape(bot, token):
    answer = call(bot.url, token=token, raw=b'{"values": [{"kpi": "orders",')
    assert (answer.status, answer.body["error"]) == (400, "malformed_json")
    assert call(bot.url, token=token, raw=b'{"values": [{"kpi": "orders", "value": NaN}]}').status == 400
    assert call(bot.url, token=token, body={"values": []}).body["error"] == "invalid_request"
    assert call(bot.url, token=token, body=[row()]).status == 400
    answer = call(bot.url, token=token, raw=b"kpi=orders&value=16", content_type="application/x-www-form-urlencoded")
    assert (answer.status, answer.body["error"]) == (415, "unsupported_media_type")
    answer = call(bot.url, method="GET", token=token, content_type=None)
    assert (answer.status, answer.headers["allow"]) == (405, "POST")
    assert call(bot.url, path="/api/v1/teams/C0TEAM/nothing", token=token).status == 404
    answer = call(bot.url, token=token, raw=b'{"values": ["' + b"x" * (2 * 1024 * 1024) + b'"]}')
    assert (answer.status, answer.body["error"]) == (413, "body_too_large")
    assert stored(bot) == []


def test_more_than_a_thousand_rows_are_refused_and_a_thousand_go_in(bot, token):
    start = date(2023, 4, 1)
    rows = [row("orders", n, period=(start + timedelta(days=n)).isoformat()) for n in range(1001)]
    answer = send(bot, token, rows)
    assert (answer.status, answer.body["error"]) == (413, "too_many_rows") and "at most 1000" in answer.body["message"]
    assert stored(bot) == []
    answer = send(bot, token, rows[:1000])
    assert (answer.status, answer.body) == (200, {"recorded": 1000, "unchanged": 0, "replaced": 0})


def answer_without_a_database(tmp_path) -> Answer:
    """A request to an API whose database does not answer (its file's folder does not exist)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    server = HttpServer(IngestApi(make_session_factory(engine), clock=lambda: NOW), port=0).start()
    try:
        return call(server.url, token="aln_" + "x" * 43, body={"values": [row()]})
    finally:
        server.stop()
        engine.dispose()


def test_a_database_that_does_not_answer_gives_503_with_retry_after(tmp_path):
    answer = answer_without_a_database(tmp_path)
    assert (answer.status, answer.body["error"]) == (503, "unavailable") and int(answer.headers["retry-after"]) > 0


def test_slack_still_answers_beside_the_api(bot, token):
    send(bot, token, [row()])
    _, reply = bot.command("ayuda", user_id="U0ANA")
    assert "/alinea token" in json.dumps(reply.params)


# openapi.yaml -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))


def test_openapi_documents_the_endpoint_the_server_serves(spec):
    assert spec["openapi"].startswith("3.1")
    assert list(spec["paths"]) == [PATH, FEEDBACK_PATH] and all(list(spec["paths"][path]) == ["post"] for path in spec["paths"])
    assert spec["components"]["securitySchemes"]["ingestToken"] == {**spec["components"]["securitySchemes"]["ingestToken"],
                                                                  "type": "http", "scheme": "bearer"}
    documented = {int(code) for code in spec["paths"][PATH]["post"]["responses"]}
    assert documented == {200, 400, 401, 413, 415, 422, 500, 503}
    assert spec["components"]["schemas"]["Batch"]["properties"]["values"]["maxItems"] == ingest.MAX_ROWS


def test_openapi_lists_every_row_error_the_service_gives(spec):
    source = (ROOT / "services" / "ingest.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'_Invalid\(\s*"([a-z_]+)"', source)) | {code for code, _ in ingest._VALUE_ERRORS.values()} | {"duplicate_row"}
    assert set(spec["components"]["schemas"]["RowError"]["properties"]["error"]["enum"]) == codes


def test_openapi_status_codes_are_the_ones_the_server_answers(bot, token, tmp_path, spec):
    """Every documented status is answered to a request made here (500 is a bug, so it cannot be
    provoked), and every status this process's tests saw is documented. The first half makes its
    own requests: under pytest-xdist the module's other tests may run in another worker."""
    answers = {
        send(bot, token, [row()]).status,  # 200
        call(bot.url, token=token, raw=b'{"values": [').status,  # 400
        send(bot, "aln_" + "x" * 43, [row()]).status,  # 401
        send(bot, token, [row("orders", n, period=(date(2023, 4, 1) + timedelta(days=n)).isoformat()) for n in range(1001)]).status,  # 413
        call(bot.url, token=token, raw=b"kpi=orders", content_type="application/x-www-form-urlencoded").status,  # 415
        send(bot, token, [row("ordres", 5)]).status,  # 422
        answer_without_a_database(tmp_path).status,  # 503
    }
    documented = {int(code) for code in spec["paths"][PATH]["post"]["responses"]}
    assert answers == documented - {500}
    assert observed - {404, 405} <= documented  # 404 and 405 are other paths and methods, described in the text


def test_concurrent_batches_on_the_same_keys_all_land_and_nothing_is_lost(bot, token):
    from concurrent.futures import ThreadPoolExecutor

    start = date(2025, 6, 1)

    def batch(value):
        return [row(key, value, period=(start + timedelta(days=day)).isoformat()) for day in range(100) for key in ("orders", "sessions")]

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda value: send(bot, token, batch(value)), [1, 2, 3, 4]))
    assert [a.status for a in answers] == [200] * 4
    totals = {name: sum(a.body[name] for a in answers) for name in ("recorded", "unchanged", "replaced")}
    assert totals["recorded"] == 200 and totals["recorded"] + totals["replaced"] + totals["unchanged"] == 800
    assert len(stored(bot)) == 200 and len({v.value for v in stored(bot)}) == 1  # the last writer's value everywhere
    assert len(value_audit(bot)) == totals["recorded"] + totals["replaced"]


def test_values_from_the_api_fire_alert_rules_like_values_from_slack(bot, token, clock):
    bot.command("alerta nueva cart_abandonment sube 3 puntos en 48 horas", user_id="U0ANA")
    assert send(bot, token, [row("cart_abandonment", "68", period="2026-01-11")]).status == 200
    clock.now += timedelta(hours=24)
    answer = send(bot, token, [row("cart_abandonment", "72.5", period="2026-01-12")])
    assert answer.status == 200 and answer.body["recorded"] == 1

    def is_alert(call):
        return (call.params.get("metadata") or {}).get("event_payload", {}).get("claim", "").startswith("alert-")

    (posted,) = bot.double.wait_for("chat.postMessage", is_alert)  # posted from the work queue after the commit
    assert "subió 4,5 puntos" in posted.params["text"]
