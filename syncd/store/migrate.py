"""Schema migrations (Alembic), safe when several replicas start at the same moment.

The whole upgrade runs in one transaction (PostgreSQL and, with our own BEGIN, SQLite have
transactional DDL), so a crash mid-way leaves the previous version, never half of one.
Concurrent starters are serialized: on PostgreSQL by a transaction-scoped advisory lock,
on SQLite by ``BEGIN IMMEDIATE``; the second one then finds the schema current.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from syncd.core.errors import StoreError
from syncd.store.database import describe_failure, redacted_url

__all__ = ["alembic_config", "current_version", "upgrade"]

_MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key (any constant; this one spells "syncd" in ASCII).
_MIGRATION_LOCK = 0x73796E6364


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def current_version(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(writer: Engine) -> None:
    """Bring the schema to the newest version; refuse a database from a newer syncd.
    ``writer`` is the store's engine for write transactions."""
    cfg = alembic_config()
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    url = writer.url.render_as_string(hide_password=False)
    try:
        with writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Released when this transaction ends, whatever happens.
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            current = MigrationContext.configure(conn).get_current_revision()
            if current is not None and current not in {r.revision for r in script.walk_revisions()}:
                raise StoreError(
                    f"the state database is at schema version {current}, newer than this "
                    f"syncd knows (newest: {head}); upgrade syncd or point SYNCD_STATE_URL "
                    "at another database"
                )
            if current != head:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise StoreError(
            f"cannot open the state database {redacted_url(url)}: {describe_failure(url, exc)}"
        ) from None
    except DBAPIError as exc:
        raise StoreError(
            f"the state database {redacted_url(url)} cannot be used: {describe_failure(url, exc)}"
        ) from None
