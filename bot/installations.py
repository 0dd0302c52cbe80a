"""Where OAuth mode keeps each workspace's installation: slack_sdk's SQLAlchemy installation store
in our database, with every token encrypted at rest.

- The tables are slack_sdk's own (`SQLAlchemyInstallationStore.build_*_table`, the same columns),
  with the four token columns widened to Text, since a Fernet token is longer than what it hides.
  They are created by our Alembic migration 0009, never by slack_sdk at run time, and live on a
  MetaData of their own (`OAUTH_METADATA`): they belong to slack_sdk's flow, not to a workspace of
  ours, so `services/data_rights.py` (which walks our models) leaves them alone.
- `EncryptedInstallationStore` wraps the store: bot, refresh and user tokens are encrypted with
  the first key of ALINEA_TOKEN_KEYS on save and decrypted with any of them on find
  (cryptography's MultiFernet). `rekey()` re-encrypts every stored token with the first key, so an
  old key can be dropped (`alinea tokens rekey`).
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, Optional, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, Table, Text, and_, delete, select, update
from sqlalchemy.orm import Session

from db.base import NAMING_CONVENTION
from db.session import READ_ONLY

logger = logging.getLogger(__name__)

INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name  # "slack_installations"
BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name  # "slack_bots"
STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name  # "slack_oauth_states"
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


def _widen_tokens(table: Table) -> Table:
    """slack_sdk sizes token columns for plaintext (String(200)); ciphertext needs more room."""
    for name in TOKEN_COLUMNS:
        if name in table.c:
            table.c[name].type = Text()
    return table


class _TokenTablesStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, on tables with room for encrypted tokens. Naive datetimes read back
    are UTC (slack_sdk stores them so), which slack_sdk's models already assume."""

    @classmethod
    def build_installations_table(cls, metadata: MetaData, table_name: str) -> Table:
        return _widen_tokens(super().build_installations_table(metadata, table_name))

    @classmethod
    def build_bots_table(cls, metadata: MetaData, table_name: str) -> Table:
        return _widen_tokens(super().build_bots_table(metadata, table_name))


def oauth_metadata() -> MetaData:
    """The three tables of slack_sdk's OAuth flow, as our migration 0009 creates them."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    _TokenTablesStore.build_installations_table(metadata, INSTALLATIONS_TABLE)
    _TokenTablesStore.build_bots_table(metadata, BOTS_TABLE)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES_TABLE)
    return metadata


OAUTH_METADATA = oauth_metadata()


class TokenKeyError(RuntimeError):
    """A stored token could not be decrypted with any key of ALINEA_TOKEN_KEYS."""


class TokenCipher:
    """Fernet with key rotation: the first key encrypts, every key decrypts."""

    def __init__(self, keys: Sequence[str]):
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, value: Optional[str]) -> Optional[str]:
        return None if value is None else self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, value: Optional[str]) -> Optional[str]:
        if value is None:
            return None
        try:
            return self._fernet.decrypt(value.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise TokenKeyError(
                "a stored Slack token cannot be decrypted with any key of ALINEA_TOKEN_KEYS (was a key dropped before "
                "`alinea tokens rekey`?)"
            ) from None

    def reencrypt(self, value: str) -> str:
        """Decrypt with any key, encrypt with the first (MultiFernet.rotate keeps the timestamp)."""
        try:
            return self._fernet.rotate(value.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise TokenKeyError("a stored Slack token cannot be decrypted with any key of ALINEA_TOKEN_KEYS") from None


def _with_tokens(model: Any, change) -> Any:
    """A copy of an Installation or Bot with each token column passed through `change`."""
    copy = type(model)(**model.to_dict_for_copying())
    for name in TOKEN_COLUMNS:
        if hasattr(copy, name):
            setattr(copy, name, change(getattr(copy, name)))
    return copy


class EncryptedInstallationStore(InstallationStore):
    """slack_sdk's SQLAlchemy installation store with every token encrypted at rest.

    Finds read without SQLite's write lock (a read-only connection); saves and deletes write
    through the engine as slack_sdk does. `*_in(session, ...)` delete inside the caller's
    transaction, so an uninstall event's claim, the workspace's state and its tokens change together.
    """

    def __init__(self, *, client_id: str, engine: Engine, cipher: TokenCipher):
        self.client_id = client_id
        self.cipher = cipher
        self._writer = _TokenTablesStore(client_id=client_id, engine=engine, logger=logger)
        self._reader = _TokenTablesStore(client_id=client_id, engine=engine.execution_options(**{READ_ONLY: True}), logger=logger)
        self.installations = self._writer.installations
        self.bots = self._writer.bots
        self.engine = engine

    @property
    def logger(self) -> logging.Logger:
        return logger

    # --- InstallationStore --------------------------------------------------------------------

    def save(self, installation: Installation) -> None:
        self._writer.save(_with_tokens(installation, self.cipher.encrypt))  # its bots row too, already encrypted

    def save_bot(self, bot: Bot) -> None:
        self._writer.save_bot(_with_tokens(bot, self.cipher.encrypt))

    def find_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str], is_enterprise_install: Optional[bool] = False) -> Optional[Bot]:
        found = self._reader.find_bot(enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install)
        return None if found is None else _with_tokens(found, self.cipher.decrypt)

    def find_installation(
        self,
        *,
        enterprise_id: Optional[str],
        team_id: Optional[str],
        user_id: Optional[str] = None,
        is_enterprise_install: Optional[bool] = False,
    ) -> Optional[Installation]:
        found = self._reader.find_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, is_enterprise_install=is_enterprise_install
        )
        return None if found is None else _with_tokens(found, self.cipher.decrypt)

    def delete_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        self._writer.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(self, *, enterprise_id: Optional[str], team_id: Optional[str], user_id: Optional[str] = None) -> None:
        self._writer.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)

    def find_for_team(self, team_id: str) -> Optional[Installation]:
        """The latest installation in a workspace known only by its Slack team id (background
        jobs): a workspace of an Enterprise Grid org is stored under its org's id as well."""
        table = self.installations
        query = (
            select(table.c.enterprise_id)
            .where(table.c.client_id == self.client_id, table.c.team_id == team_id)
            .order_by(table.c.installed_at.desc())
            .limit(1)
        )
        with self._reader.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return self.find_installation(enterprise_id=row[0], team_id=team_id)

    # --- inside a caller's transaction ----------------------------------------------------------

    def delete_team_in(self, session: Session, *, team_id: str) -> int:
        """Every installation and bot row of the workspace (all its tokens, under any org id);
        returns the rows deleted."""
        removed = 0
        for table in (self.bots, self.installations):
            where = and_(table.c.client_id == self.client_id, table.c.team_id == team_id)
            removed += session.execute(delete(table).where(where)).rowcount or 0
        return removed

    def delete_users_in(self, session: Session, *, team_id: str, user_ids: Iterable[str]) -> int:
        """People's installation rows (their user tokens), as slack_sdk's delete_installation(user_id=...)."""
        table = self.installations
        ids = list(user_ids)
        if not ids:
            return 0
        where = and_(table.c.client_id == self.client_id, table.c.team_id == team_id, table.c.user_id.in_(ids))
        return session.execute(delete(table).where(where)).rowcount or 0

    def erase_user_in(self, session: Session, *, team_id: str, user_id: str, pseudonym: str, older: tuple[str, ...] = ()) -> int:
        """A person's erasure (`/alinea datos yo`): the installation rows they made keep the bot's
        token (the workspace still uses it) but lose their user id (the pseudonym instead) and
        their own user token; returns the rows changed. Rows an earlier erasure gave an `older`
        stand-in (made with a pseudonym key since rotated) take the new one too."""
        table = self.installations
        mine = and_(table.c.client_id == self.client_id, table.c.team_id == team_id)
        cleared = {"user_id": pseudonym, "user_token": None, "user_refresh_token": None, "user_scopes": None}
        if older:
            session.execute(update(table).where(mine, table.c.user_id.in_(older)).values(user_id=pseudonym))
        return session.execute(update(table).where(mine, table.c.user_id == user_id).values(**cleared)).rowcount or 0

    def installed_by(self, session: Session, *, team_id: str, user_id: str) -> int:
        """How many installations of the workspace this person made (what `datos yo` reports)."""
        table = self.installations
        where = and_(table.c.client_id == self.client_id, table.c.team_id == team_id, table.c.user_id == user_id)
        return len(session.execute(select(table.c.id).where(where)).all())

    # --- key rotation -----------------------------------------------------------------------------

    def rekey(self) -> int:
        """Re-encrypt every stored token, of any client id, with the first key; returns how many.

        One transaction. Each row is updated only if its tokens are still the ones read, so a
        token refreshed meanwhile (already under the first key) is left as the refresher wrote it.
        """
        return rekey_tables(self.engine, self.cipher, (self.installations, self.bots))


def rekey_tables(engine: Engine, cipher: TokenCipher, tables: Iterable[Table]) -> int:
    count = 0
    with engine.begin() as connection:
        for table in tables:
            columns = [table.c[name] for name in TOKEN_COLUMNS if name in table.c]
            for row in connection.execute(select(table.c.id, *columns)).mappings().all():
                old = {column.name: row[column.name] for column in columns if row[column.name] is not None}
                if not old:
                    continue
                new = {name: cipher.reencrypt(value) for name, value in old.items()}
                unchanged = and_(table.c.id == row["id"], *(table.c[name] == value for name, value in old.items()))
                if connection.execute(update(table).where(unchanged).values(**new)).rowcount:
                    count += len(new)
    return count

