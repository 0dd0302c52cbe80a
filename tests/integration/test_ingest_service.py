"""Ingest tokens and batches on real SQLite and PostgreSQL: only hashes stored, rotation in one
transaction, all-or-nothing batches, idempotent resends, corrections audited like Slack's."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from db import repositories
from db.models import AuditEntry, IngestToken, KpiValue
from domain.errors import UserError
from domain.glossary import TermDraft
from domain.kpis import KpiSpec
from domain.periods import Period
from domain.setup import SetupChanges
from services import glossary, ingest, kpis, teams, workspaces
from services.teams import TeamDefaults
from services.workspaces import WorkspaceDefaults

NOW = datetime(2026, 1, 14, 15, 0, tzinfo=timezone.utc)  # Wednesday of 2026-W03 in Bogotá
ANA, LUIS, PEDRO = "U0ANA", "U0LUIS", "U0PEDRO"


@pytest.fixture
def team(session_factory):  # not tests/integration/conftest.py's: two channels' teams, loaded by channel
    with session_factory.begin() as session:
        workspace = workspaces.ensure_workspace(session, slack_team_id="T1", defaults=WorkspaceDefaults("es", "America/Bogota"), now=NOW)
        for channel in ("C0TEAM", "C0OTHER"):
            teams.setup_team(
                session, workspace_id=workspace.id, channel_id=channel, channel_name=channel.lower(), actor=ANA,
                is_workspace_admin=False, changes=SetupChanges(marketing_leads=(ANA,), sales_leads=(LUIS,)),
                defaults=TeamDefaults("America/Bogota", "es"), now=NOW,
            )

    def load(session, channel="C0TEAM"):
        workspace = repositories.workspace_by_slack_id(session, slack_team_id="T1")
        return repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)

    with session_factory.begin() as session:
        for channel in ("C0TEAM", "C0OTHER"):
            kpis.enable_starter_set(session, team=load(session, channel), actor=ANA, now=NOW, language="es")
    return load


def act(session_factory, team, action, channel="C0TEAM", **kwargs):  # the team of either channel
    with session_factory.begin() as session:
        return action(session, team=team(session, channel), **kwargs)


def create(session_factory, team, channel="C0TEAM", actor=ANA):
    return act(session_factory, team, ingest.create_token, channel, actor=actor, is_workspace_admin=False, now=NOW)


def caller(session_factory, channel, token):
    with session_factory() as session:
        return ingest.authenticate(session, channel_id=channel, token=token)


def send(session_factory, found, rows, now=NOW):
    with session_factory.begin() as session:
        return ingest.record_batch(session, caller=found, rows=rows, now=now)


def values(session_factory):
    with session_factory() as session:
        return {(v.source, v.period_kind, v.period_start, v.value, v.note) for v in session.query(KpiValue).all()}


def value_audit(session_factory):
    with session_factory() as session:
        return [
            (e.action, e.actor, e.before, e.after)
            for e in session.query(AuditEntry).filter_by(entity_type="kpi_value").order_by(AuditEntry.id)
        ]


# Tokens -------------------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_hash_and_audited_by_its_prefix(session_factory, team):
    issued = create(session_factory, team)
    assert issued.plain.startswith("aln_") and len(issued.plain) >= 4 + 43  # 32 random bytes, base64url
    assert issued.prefix == issued.plain[:10] and issued.plain not in repr(issued)
    with session_factory() as session:
        (row,) = session.query(IngestToken).all()
        entries = session.query(AuditEntry).filter_by(entity_type="ingest_token").all()
    assert row.token_hash == ingest.hash_token(issued.plain) and row.prefix == issued.prefix
    assert [e.action for e in entries] == ["ingest_token.created"]
    assert entries[0].after["prefix"] == issued.prefix
    stored = json.dumps([e.after for e in entries]) + json.dumps([e.before for e in entries])
    assert issued.plain not in stored and row.token_hash not in stored


def test_authentication_needs_an_active_token_of_that_very_team(session_factory, team):
    issued, other = create(session_factory, team), create(session_factory, team, "C0OTHER")
    found = caller(session_factory, "C0TEAM", issued.plain)
    assert found is not None and found.channel_id == "C0TEAM" and found.actor == f"api:{issued.prefix}"
    assert caller(session_factory, "C0OTHER", issued.plain) is None  # valid, but another team's
    assert caller(session_factory, "C0NOPE", issued.plain) is None
    assert caller(session_factory, "C0TEAM", other.plain) is None
    assert caller(session_factory, "C0TEAM", issued.plain[:-1] + ("A" if issued.plain[-1] != "A" else "B")) is None
    assert caller(session_factory, "C0TEAM", "") is None and caller(session_factory, "C0TEAM", "x" * 5000) is None


def test_rotate_replaces_every_active_token_at_once(session_factory, team):
    first, second = create(session_factory, team), create(session_factory, team)
    rotated = act(session_factory, team, ingest.rotate_token, actor=ANA, is_workspace_admin=False, now=NOW)
    assert set(rotated.replaced) == {first.prefix, second.prefix}
    assert caller(session_factory, "C0TEAM", first.plain) is None and caller(session_factory, "C0TEAM", second.plain) is None
    assert caller(session_factory, "C0TEAM", rotated.plain) is not None
    with session_factory() as session:
        actions = [e.action for e in session.query(AuditEntry).filter_by(entity_type="ingest_token").order_by(AuditEntry.id)]
    assert actions == ["ingest_token.created"] * 2 + ["ingest_token.revoked"] * 2 + ["ingest_token.rotated"]


def test_revoke_all_or_one_by_prefix(session_factory, team):
    first, second = create(session_factory, team), create(session_factory, team)
    assert act(session_factory, team, ingest.revoke_tokens, actor=ANA, is_workspace_admin=False, now=NOW, prefix=first.prefix + "…") == [first.prefix]
    assert caller(session_factory, "C0TEAM", first.plain) is None and caller(session_factory, "C0TEAM", second.plain) is not None
    with pytest.raises(UserError) as refused:
        act(session_factory, team, ingest.revoke_tokens, actor=ANA, is_workspace_admin=False, now=NOW, prefix="aln_zzzzzz")
    assert refused.value.message_id == "ingest.unknown_prefix"
    assert act(session_factory, team, ingest.revoke_tokens, actor=ANA, is_workspace_admin=False, now=NOW) == [second.prefix]
    with pytest.raises(UserError) as refused:
        act(session_factory, team, ingest.revoke_tokens, actor=ANA, is_workspace_admin=False, now=NOW)
    assert refused.value.message_id == "ingest.no_active_token"


def test_only_team_admins_or_workspace_admins_manage_tokens(session_factory, team):
    for action in (ingest.create_token, ingest.rotate_token, ingest.revoke_tokens):
        with pytest.raises(UserError) as refused:
            act(session_factory, team, action, actor=PEDRO, is_workspace_admin=False, now=NOW)
        assert refused.value.message_id == "ingest.not_allowed"
    assert act(session_factory, team, ingest.create_token, actor=PEDRO, is_workspace_admin=True, now=NOW).prefix
    with pytest.raises(UserError) as refused:
        for _ in range(ingest.MAX_ACTIVE_TOKENS):
            create(session_factory, team)
    assert refused.value.message_id == "ingest.too_many_tokens"


# Batches -------------------------------------------------------------------------------------------


def row(kpi="orders", value=16, source="shopify", **extra):
    return {"kpi": kpi, "value": value, "source": source, **({"period": "2026-W02"} if not extra else extra)}


def test_a_batch_is_recorded_then_unchanged_then_replaced_and_audited(session_factory, team):
    found = caller(session_factory, "C0TEAM", create(session_factory, team).plain)
    batch = [row(), row("sessions", 1000), row("sales_cop", "45000000.5", period="2026-01-12")]
    first = send(session_factory, found, batch)
    assert first.counts() == {"recorded": 3, "unchanged": 0, "replaced": 0}
    assert send(session_factory, found, batch).counts() == {"recorded": 0, "unchanged": 3, "replaced": 0}
    changed = [row(), row("sessions", 1200), row("sales_cop", "45000000.5", period="2026-01-12", note="con devoluciones")]
    assert send(session_factory, found, changed, NOW + timedelta(hours=1)).counts() == {"recorded": 0, "unchanged": 1, "replaced": 2}
    entries = value_audit(session_factory)
    assert [e[0] for e in entries] == ["kpi_value.recorded"] * 3 + ["kpi_value.replaced"] * 2
    assert {e[1] for e in entries} == {found.actor}
    sessions_fix = next(e for e in entries[3:] if e[2]["value"] == "1000")
    assert sessions_fix[3]["value"] == "1200" and sessions_fix[2]["source"] == "api:shopify"
    assert set(sessions_fix[2]) == {"kpi_id", "source", "period_kind", "period_start", "value", "note", "recorded_by", "recorded_at"}
    (point,) = act(session_factory, team, kpis.series, key="sessions", periods=[Period.iso_week(2026, 2)])
    assert point.value == Decimal("1200")
    with session_factory() as session:
        assert session.get(IngestToken, found.token_id).last_used_at == NOW + timedelta(hours=1)


def test_the_same_key_from_slack_and_from_the_api_are_two_sources(session_factory, team):
    found = caller(session_factory, "C0TEAM", create(session_factory, team).plain)
    act(session_factory, team, kpis.record, key="orders", value=Decimal(10), shown="10", period=Period.iso_week(2026, 2),
        source="slack", actor=ANA, note="", now=NOW)
    assert send(session_factory, found, [row()]).recorded == 1
    assert {v[0] for v in values(session_factory)} == {"slack", "api:shopify"}


def test_one_bad_row_refuses_the_whole_batch_with_every_reason(session_factory, team):
    found = caller(session_factory, "C0TEAM", create(session_factory, team).plain)
    batch = [
        row(),                                                   # 0 fine
        row("ordres"),                                           # 1 unknown, with a suggestion
        row("conversion_web", 1.6),                              # 2 a rate is computed
        row("orders", -3),                                       # 3 negative count
        row("orders", "2.5", period="2026-W01"),                 # 4 a count is whole
        row("cart_abandonment", 120),                            # 5 percent over 100
        row("orders", 1, period="2026-W09"),                     # 6 future week
        row("orders", 1, period="2026-W02", timestamp="2026-01-12T10:00:00-05:00"),  # 7 both
        row("orders", 1, timestamp="2026-01-12T10:00:00"),       # 8 no offset
        row("orders", 1, source="Shopify!"),                     # 9 bad source
        row("orders", "1,5", period="2026-W01"),                 # 10 not a decimal string
        row("orders", 2),                                        # 11 repeats row 0's key
        "orders=3",                                              # 12 not an object
        row("sales_cop", "1.1234567", period="2026-01"),         # 13 too many decimals
        {"kpi": "orders", "value": 1, "period": "2026-W02", "source": "x", "perod": "2026-W02"},  # 14 typo
    ]
    result = send(session_factory, found, batch)
    codes = {error.index: error.code for error in result.errors}
    assert codes == {
        1: "unknown_kpi", 2: "rate_kpi", 3: "negative_value", 4: "not_a_whole_number", 5: "percent_over_100",
        6: "future_period", 7: "period_or_timestamp", 8: "invalid_timestamp", 9: "invalid_source", 10: "invalid_value",
        11: "duplicate_row", 12: "not_an_object", 13: "too_many_decimals", 14: "unknown_field",
    }
    assert "did you mean 'orders'" in next(e.message for e in result.errors if e.index == 1)
    assert values(session_factory) == set() and value_audit(session_factory) == []


def test_a_timestamp_belongs_to_its_day_in_the_teams_timezone(session_factory, team):
    found = caller(session_factory, "C0TEAM", create(session_factory, team).plain)
    sunday_night = "2026-01-11T23:30:00-05:00"  # Sunday in Bogotá, already Monday 04:30 in UTC
    assert send(session_factory, found, [row(timestamp=sunday_night), row("sessions", 500, timestamp="2026-01-12T04:30:00Z")]).recorded == 2
    assert {(v[1], v[2]) for v in values(session_factory)} == {("day", date(2026, 1, 11))}
    points = act(session_factory, team, kpis.series, key="orders", periods=[Period.iso_week(2026, 2), Period.iso_week(2026, 3)])
    assert [p.value for p in points] == [Decimal(16), None]


def test_values_are_exact_decimals(session_factory, team):
    found = caller(session_factory, "C0TEAM", create(session_factory, team).plain)
    send(session_factory, found, [row("sales_cop", "45000000.123456", period="2026-01-12"),
                                  row("sales_cop", Decimal("123456789012.654321"), period="2026-01-13")])
    assert {v[3] for v in values(session_factory)} == {Decimal("45000000.123456"), Decimal("123456789012.654321")}
    again = send(session_factory, found, [row("sales_cop", "45000000.1234560", period="2026-01-12")])
    assert again.counts() == {"recorded": 0, "unchanged": 1, "replaced": 0}


def test_values_keep_the_definition_in_force(session_factory, team):
    act(session_factory, team, glossary.propose, actor=ANA, draft=TermDraft("MQL", "Lead con demo"), now=NOW - timedelta(days=3))
    pending = act(session_factory, team, glossary.find, query="MQL").pending
    act(session_factory, team, glossary.approve, version_id=pending.id, actor=LUIS, now=NOW - timedelta(days=3))
    spec = KpiSpec(key="mql_crm", name_es="MQL del CRM", name_en="CRM MQLs", term="MQL")
    act(session_factory, team, kpis.create, spec=spec, actor=ANA, now=NOW - timedelta(days=2), language="es")
    found = caller(session_factory, "C0TEAM", create(session_factory, team).plain)
    send(session_factory, found, [row("mql_crm", 40)])
    (point,) = act(session_factory, team, kpis.series, key="mql_crm", periods=[Period.iso_week(2026, 2)])
    assert (point.value, point.definition_version) == (Decimal(40), 1)


def test_a_token_revoked_after_authentication_writes_nothing(session_factory, team):
    issued = create(session_factory, team)
    found = caller(session_factory, "C0TEAM", issued.plain)
    act(session_factory, team, ingest.revoke_tokens, actor=ANA, is_workspace_admin=False, now=NOW)
    with pytest.raises(ingest.TokenRevoked):
        send(session_factory, found, [row()])
    assert values(session_factory) == set()


def test_a_thousand_rows_in_one_go(session_factory, team):
    found = caller(session_factory, "C0TEAM", create(session_factory, team).plain)
    start = date(2023, 4, 1)
    batch = [row("orders", n, period=(start + timedelta(days=n)).isoformat()) for n in range(ingest.MAX_ROWS)]
    assert send(session_factory, found, batch).recorded == 1000
    batch[500]["value"] = 7
    assert send(session_factory, found, batch).counts() == {"recorded": 0, "unchanged": 999, "replaced": 1}
    assert len(value_audit(session_factory)) == 1001


def test_a_key_inserted_by_another_request_meanwhile_becomes_a_correction(session_factory, team, monkeypatch):
    found = caller(session_factory, "C0TEAM", create(session_factory, team).plain)
    send(session_factory, found, [row("orders", 5)])
    real = ingest._stored
    calls = []

    def read_before_the_other_request_committed(session, rows):
        calls.append(len(rows))
        return {} if len(calls) == 1 else real(session, rows)

    monkeypatch.setattr(ingest, "_stored", read_before_the_other_request_committed)
    result = send(session_factory, found, [row("orders", 6), row("sessions", 10)], NOW + timedelta(minutes=1))
    assert result.counts() == {"recorded": 1, "unchanged": 0, "replaced": 1} and calls == [2, 1]
    assert sorted(e[0] for e in value_audit(session_factory)[1:]) == ["kpi_value.recorded", "kpi_value.replaced"]
