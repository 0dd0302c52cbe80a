"""OAuth mode's installation store on real SQLite and PostgreSQL: slack_sdk's tables from our
migration, every token encrypted at rest, find and delete, and key rotation (`tokens rekey`)."""

from __future__ import annotations

import time

import pytest
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Text, inspect, select

from bot import cli
from bot.installations import (
    BOTS_TABLE,
    INSTALLATIONS_TABLE,
    OAUTH_METADATA,
    STATES_TABLE,
    TOKEN_COLUMNS,
    EncryptedInstallationStore,
    TokenCipher,
    TokenKeyError,
)
from tests.support.tokens import holds_slack_token

CLIENT_ID = "111.222"
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def installation(team_id: str = "T0ACME", *, enterprise_id: str | None = None, serial: int = 1, rotating: bool = True) -> Installation:
    return Installation(
        app_id="A0DOUBLE",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name="Acme",
        bot_token=f"xoxe.xoxb-1-{team_id}-bot-{serial}" if rotating else f"xoxb-{team_id}-bot-{serial}",
        bot_id="B0DOUBLE",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        bot_refresh_token=f"xoxe-1-{team_id}-refresh-{serial}" if rotating else None,
        bot_token_expires_in=43200 if rotating else None,
        user_id="U0ANA",
        user_token=f"xoxp-{team_id}-user-{serial}",
        user_scopes="search:read",
        installed_at=time.time() + serial,
    )


def plaintext_tokens(item: Installation) -> set[str]:
    return {value for value in (getattr(item, name) for name in TOKEN_COLUMNS) if value}


def raw_rows(engine) -> list[dict]:
    rows = []
    with engine.connect() as connection:
        for name in (INSTALLATIONS_TABLE, BOTS_TABLE):
            rows += [dict(row) for row in connection.execute(select(OAUTH_METADATA.tables[name])).mappings()]
    return rows


@pytest.fixture
def store(engine) -> EncryptedInstallationStore:
    return EncryptedInstallationStore(client_id=CLIENT_ID, engine=engine, cipher=TokenCipher([KEY_A]))


def test_the_migration_creates_slack_sdks_columns_with_room_for_ciphertext(engine):
    """The tables are slack_sdk's: same names, columns, nullability and types, except the token
    columns, which are Text to hold Fernet ciphertext."""
    theirs = MetaData()
    expected = {
        INSTALLATIONS_TABLE: SQLAlchemyInstallationStore.build_installations_table(theirs, INSTALLATIONS_TABLE),
        BOTS_TABLE: SQLAlchemyInstallationStore.build_bots_table(theirs, BOTS_TABLE),
        STATES_TABLE: SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, STATES_TABLE),
    }
    inspector = inspect(engine)
    for name, table in expected.items():
        found = {column["name"]: column for column in inspector.get_columns(name)}
        assert list(found) == [column.name for column in table.c], name
        for column in table.c:
            assert found[column.name]["nullable"] == column.nullable, (name, column.name)
            if column.name in TOKEN_COLUMNS:
                assert isinstance(found[column.name]["type"], Text)
            else:
                assert found[column.name]["type"]._type_affinity is column.type._type_affinity, (name, column.name)
                assert getattr(found[column.name]["type"], "length", None) == getattr(column.type, "length", None)
        assert {index["name"] for index in inspector.get_indexes(name)} == {index.name for index in table.indexes}


def test_tokens_are_encrypted_at_rest_and_decrypted_on_find(engine, store):
    saved = installation()
    store.save(saved)
    rows = raw_rows(engine)
    assert len(rows) == 2  # the installation and its bot
    stored_text = " ".join(str(value) for row in rows for value in row.values())
    for token in plaintext_tokens(saved):
        assert token not in stored_text
    assert not holds_slack_token(stored_text)  # no Slack token of any kind, plaintext
    for row in rows:
        for name in TOKEN_COLUMNS:
            if name in row and row[name] is not None:
                assert row[name].startswith("gAAAAA")  # Fernet's version byte, base64

    found = store.find_installation(enterprise_id=None, team_id="T0ACME")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token, found.user_token) == (saved.bot_token, saved.bot_refresh_token, saved.user_token)
    assert found.bot_token_expires_at == saved.bot_token_expires_at
    bot = store.find_bot(enterprise_id=None, team_id="T0ACME")
    assert bot is not None and (bot.bot_token, bot.bot_refresh_token) == (saved.bot_token, saved.bot_refresh_token)


def test_find_takes_the_latest_and_a_grid_workspace_is_found_by_team_alone(store):
    store.save(installation(serial=1))
    store.save(installation(serial=2))
    store.save(installation("T0GRID", enterprise_id="E0ORG"))
    assert store.find_for_team("T0ACME").bot_token.endswith("bot-2")
    grid = store.find_for_team("T0GRID")
    assert grid is not None and grid.enterprise_id == "E0ORG" and grid.bot_token.endswith("T0GRID-bot-1")
    assert store.find_installation(enterprise_id=None, team_id="T0GRID") is None  # slack_sdk's exact match
    assert store.find_for_team("T0NOBODY") is None


def test_a_refreshed_token_is_saved_over_the_same_row(engine, store):
    first = installation()
    store.save(first)
    rotated = Installation(**first.to_dict_for_copying())
    rotated.bot_token, rotated.bot_refresh_token = "xoxe.xoxb-1-T0ACME-bot-new", "xoxe-1-T0ACME-refresh-new"
    store.save(rotated)
    assert len(raw_rows(engine)) == 2  # updated in place, keyed by installed_at as slack_sdk does
    assert store.find_for_team("T0ACME").bot_token == "xoxe.xoxb-1-T0ACME-bot-new"


def test_delete_inside_a_transaction_and_slack_sdks_deletes(engine, session_factory, store):
    store.save(installation("T0ACME"))
    store.save(installation("T0OTHER"))
    store.save(installation("T0GRID", enterprise_id="E0ORG"))
    with session_factory.begin() as session:
        assert store.delete_users_in(session, team_id="T0ACME", user_ids=["U0NOBODY"]) == 0
        assert store.delete_team_in(session, team_id="T0ACME") == 2
        assert store.delete_team_in(session, team_id="T0GRID") == 2  # under its org id too
    assert store.find_for_team("T0ACME") is None and store.find_for_team("T0GRID") is None
    assert store.find_for_team("T0OTHER") is not None
    with session_factory.begin() as session:
        assert store.delete_users_in(session, team_id="T0OTHER", user_ids=["U0ANA"]) == 1
    assert store.find_for_team("T0OTHER") is None
    assert store.find_bot(enterprise_id=None, team_id="T0OTHER") is not None  # the bot row stays
    store.delete_all(enterprise_id=None, team_id="T0OTHER")
    assert raw_rows(engine) == []


def test_another_client_ids_rows_are_not_found(engine, store):
    EncryptedInstallationStore(client_id="999.999", engine=engine, cipher=TokenCipher([KEY_A])).save(installation())
    assert store.find_for_team("T0ACME") is None


def test_rekey_reencrypts_with_the_first_key_so_the_old_one_can_go(engine, store):
    saved = installation()
    store.save(saved)
    before = raw_rows(engine)
    rotated = EncryptedInstallationStore(client_id=CLIENT_ID, engine=engine, cipher=TokenCipher([KEY_B, KEY_A]))
    assert rotated.find_for_team("T0ACME").bot_token == saved.bot_token  # both keys decrypt meanwhile
    assert rotated.rekey() == 5  # the installation's bot, refresh and user tokens; the bot row's two
    after = raw_rows(engine)
    assert [row["bot_token"] for row in after] != [row["bot_token"] for row in before]
    only_new = EncryptedInstallationStore(client_id=CLIENT_ID, engine=engine, cipher=TokenCipher([KEY_B]))
    assert plaintext_tokens(only_new.find_for_team("T0ACME")) == plaintext_tokens(saved)
    only_old = EncryptedInstallationStore(client_id=CLIENT_ID, engine=engine, cipher=TokenCipher([KEY_A]))
    with pytest.raises(TokenKeyError):
        only_old.find_for_team("T0ACME")


def test_alinea_tokens_rekey(engine, store, database_url, monkeypatch, tmp_path, capsys):
    saved = installation()
    store.save(saved)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("ALINEA_TOKEN_KEYS", f"{KEY_B},{KEY_A}")
    assert cli.main(["tokens", "rekey"]) == 0
    assert "re-encrypted 5 tokens" in capsys.readouterr().out
    only_new = EncryptedInstallationStore(client_id=CLIENT_ID, engine=engine, cipher=TokenCipher([KEY_B]))
    assert plaintext_tokens(only_new.find_for_team("T0ACME")) == plaintext_tokens(saved)

    # Dropping the old key before rekeying: refused, nothing changed.
    monkeypatch.setenv("ALINEA_TOKEN_KEYS", Fernet.generate_key().decode())
    assert cli.main(["tokens", "rekey"]) == 2
    assert "ALINEA_TOKEN_KEYS" in capsys.readouterr().err
    assert plaintext_tokens(only_new.find_for_team("T0ACME")) == plaintext_tokens(saved)


def test_an_erasure_after_a_pseudonym_key_rotation_leaves_one_stand_in_per_person(engine, session_factory, store):
    """Ana installed, was erased (old key), installed again and is erased again (new key first):
    both installations end under the new stand-in, and only her current one counts as erased now."""
    store.save(installation("T0ACME", serial=1))
    with session_factory.begin() as session:
        assert store.erase_user_in(session, team_id="T0ACME", user_id="U0ANA", pseudonym="UERASEDOLD0000000") == 1
    store.save(installation("T0ACME", serial=2))
    store.save(installation("T0OTHER", serial=3))  # another workspace: its stand-ins are its own
    with session_factory.begin() as session:
        changed = store.erase_user_in(session, team_id="T0ACME", user_id="U0ANA", pseudonym="UERASEDNEW0000000", older=("UERASEDOLD0000000",))
    assert changed == 1
    table = OAUTH_METADATA.tables[INSTALLATIONS_TABLE]
    with engine.connect() as connection:
        users = sorted(tuple(row) for row in connection.execute(select(table.c.team_id, table.c.user_id)))
    assert users == [("T0ACME", "UERASEDNEW0000000"), ("T0ACME", "UERASEDNEW0000000"), ("T0OTHER", "U0ANA")]
