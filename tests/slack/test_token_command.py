"""`/alinea token` through the signed endpoint: admins only, the token shown once and privately,
only its hash stored, every change audited by prefix, and the API honouring what was decided."""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request

import pytest

from bot.transcript import render
from db import repositories
from db.models import AuditEntry, IngestToken
from services import ingest, kpis

ONE_LINE = "configurar mercadeo <@U0ANA|ana> ventas <@U0LUIS|luis> zona America/Bogota idioma es"
TOKEN = re.compile(r"aln_[A-Za-z0-9_-]{40,}")


@pytest.fixture
def people(double):
    double.add_user("U0LUIS", name="luis", locale="es-LA")
    double.add_user("U0PEDRO", name="pedro", locale="es-LA")
    double.add_user("U0BOSS", name="boss", locale="en-US", is_admin=True)


def enable_kpis(bot, channel="C0TEAM"):
    with bot.runtime.session_factory.begin() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        team = repositories.team_by_channel(session, workspace_id=workspace.id, channel_id=channel)
        kpis.enable_starter_set(session, team=team, actor="U0ANA", now=bot.runtime.clock(), language="es")


@pytest.fixture
def team(bot, people):  # not tests/slack/conftest.py's: Ana sets this team up by typing the setup command
    bot.command(ONE_LINE, user_id="U0ANA")
    enable_kpis(bot)


def tokens_in(reply) -> list[str]:
    return sorted(set(TOKEN.findall(json.dumps(reply.params))))


def stored_tokens(bot) -> list[IngestToken]:
    with bot.runtime.session_factory() as session:
        return session.query(IngestToken).order_by(IngestToken.id).all()


def token_audit(bot) -> list[AuditEntry]:
    with bot.runtime.session_factory() as session:
        workspace = repositories.workspace_by_slack_id(session, slack_team_id=bot.double.team_id)
        return repositories.audit_entries(session, workspace_id=workspace.id, entity_type="ingest_token")


def api_status(bot, token: str, channel: str = "C0TEAM") -> int:
    body = json.dumps({"values": [{"kpi": "orders", "value": 1, "period": "2026-01", "source": "test"}]}).encode()
    request = urllib.request.Request(
        f"{bot.url}/api/v1/teams/{channel}/metrics", data=body, method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_an_admin_gets_the_token_once_privately_and_only_its_hash_is_kept(bot, team, caplog):
    caplog.set_level(logging.INFO)
    _, reply = bot.command("token crear", user_id="U0ANA")
    assert reply.params["response_type"] == "ephemeral"  # only Ana sees it
    (plain,) = tokens_in(reply)
    shown = render(reply.params)
    assert "Token de ingesta creado" in shown and "no lo volveré a mostrar" in shown
    assert "curl -X POST https://YOUR-HOST/api/v1/teams/C0TEAM/metrics" in shown and f"Bearer {plain}" in shown
    (row,) = stored_tokens(bot)
    assert row.token_hash == ingest.hash_token(plain) and plain.startswith(row.prefix) and row.created_by == "U0ANA"
    (entry,) = token_audit(bot)
    assert (entry.action, entry.actor, entry.after["prefix"]) == ("ingest_token.created", "U0ANA", row.prefix)
    assert plain not in json.dumps(entry.after)
    # Nothing public: the channel got no message with it, and no log line carries it.
    assert all(plain not in json.dumps(message) for message in bot.double.messages("C0TEAM"))
    assert plain not in caplog.text
    # It works, and the list shows it by prefix only.
    assert api_status(bot, plain) == 200
    _, listed = bot.command("token lista", user_id="U0ANA")
    assert row.prefix in render(listed.params) and tokens_in(listed) == []


def test_people_who_are_not_admins_are_refused_privately(bot, team):
    _, reply = bot.command("token crear", user_id="U0PEDRO")
    assert reply.params["response_type"] == "ephemeral"
    assert "Solo los administradores del equipo" in reply.params["text"] and tokens_in(reply) == []
    for text in ("token rotar", "token revocar", "token lista"):
        _, reply = bot.command(text, user_id="U0PEDRO")
        assert "Solo los administradores del equipo" in reply.params["text"]
    assert stored_tokens(bot) == [] and token_audit(bot) == []


def test_a_slack_workspace_admin_may_create_one(bot, team):
    _, reply = bot.command("token create", user_id="U0BOSS")
    assert len(tokens_in(reply)) == 1 and stored_tokens(bot)[0].created_by == "U0BOSS"


def test_rotate_revokes_the_old_token_and_shows_the_new_one_once(bot, team):
    _, first = bot.command("token crear", user_id="U0ANA")
    (old,) = tokens_in(first)
    _, rotated = bot.command("token rotar", user_id="U0ANA")
    (new,) = tokens_in(rotated)
    assert new != old and "Revoqué" in render(rotated.params)
    assert (api_status(bot, old), api_status(bot, new)) == (401, 200)
    assert [e.action for e in token_audit(bot)] == ["ingest_token.created", "ingest_token.revoked", "ingest_token.rotated"]


def test_revoke_all_or_one_by_prefix(bot, team):
    first = tokens_in(bot.command("token crear", user_id="U0ANA")[1])[0]
    second = tokens_in(bot.command("token crear", user_id="U0ANA")[1])[0]
    _, reply = bot.command(f"token revocar {first}", user_id="U0ANA")  # a pasted whole token: by its prefix
    assert first[:10] in reply.params["text"] and tokens_in(reply) == []
    assert (api_status(bot, first), api_status(bot, second)) == (401, 200)
    bot.command("token revocar", user_id="U0ANA")
    assert api_status(bot, second) == 401
    _, reply = bot.command("token revocar", user_id="U0ANA")
    assert "no tiene tokens activos" in reply.params["text"] and "/alinea token crear" in reply.params["text"]
    assert [e.action for e in token_audit(bot)] == ["ingest_token.created"] * 2 + ["ingest_token.revoked"] * 2


def test_a_token_works_only_for_its_own_team(bot, team, double):
    double.add_channel("C0OTHER", "otro-equipo")
    bot.command(ONE_LINE, user_id="U0ANA", channel_id="C0OTHER")
    enable_kpis(bot, "C0OTHER")
    mine = tokens_in(bot.command("token crear", user_id="U0ANA")[1])[0]
    theirs = tokens_in(bot.command("token crear", user_id="U0ANA", channel_id="C0OTHER")[1])[0]
    assert (api_status(bot, mine), api_status(bot, mine, "C0OTHER"), api_status(bot, theirs)) == (200, 401, 401)


def test_english_team_and_mistakes(bot, people):
    bot.command("setup marketing <@U0ANA> sales <@U0LUIS> lang en", user_id="U0TOM")
    _, reply = bot.command("token create", user_id="U0TOM")
    assert "Ingest token created" in render(reply.params) and "won't show it again" in render(reply.params)
    _, reply = bot.command("token destroy", user_id="U0TOM")
    assert "I don't understand `destroy`" in reply.params["text"] and "/alinea token create" in reply.params["text"]
    _, reply = bot.command("token revoke aln_zzzzzz", user_id="U0TOM")
    assert "No active token starts with `aln_zzzzzz`" in reply.params["text"]


def test_a_channel_without_a_team_is_told_to_set_one_up(bot, people):
    _, reply = bot.command("token crear", user_id="U0ANA")
    assert "todavía no tiene un equipo" in reply.params["text"] and stored_tokens(bot) == []


def test_help_lists_the_token_command(bot, people):
    _, reply = bot.command("ayuda", user_id="U0ANA")
    assert "/alinea token" in render(reply.params) and "/alinea token crear" in render(reply.params)
