"""Schema migrations (Alembic), safe when several replicas start at the same moment.

The whole upgrade runs in one transaction (PostgreSQL and, with our own BEGIN, SQLite have
transactional DDL), so a crash mid-way leaves the previous version, never half of one.
Concurrent starters are serialized: on PostgreSQL by a transaction-scoped advisory lock,
on SQLite by ``BEGIN IMMEDIATE``; the second one then finds the schema current.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from syncd.core.errors import StoreError
from syncd.store.database import describe_failure, redacted_url

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["SCHEMA_HEAD", "alembic_config", "current_version", "upgrade"]

_MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA_HEAD = max(p.name.split("_", 1)[0] for p in (_MIGRATIONS / "versions").glob("[0-9]*_*.py"))
"""The newest migration's revision, read from the scripts' names (``NNNN_what.py`` with
``revision = "NNNN"``; a test holds it to Alembic's head): a store already at it opens
with one SELECT, without importing Alembic and reading every script (a third of a short
command's start-up)."""

# pg_advisory_xact_lock key (any constant; this one spells "syncd" in ASCII).
_MIGRATION_LOCK = 0x73796E6364


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def current_version(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(writer: Engine) -> None:
    """Bring the schema to the newest version; refuse a database from a newer syncd.
    ``writer`` is the store's engine for write transactions."""
    if _at_head(writer):
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

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


def _at_head(engine: Engine) -> bool:
    """The schema is already the newest (anything else, a failure included, is left to
    the full upgrade and its errors)."""
    try:
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:
        return False
    return [v for (v,) in versions] == [SCHEMA_HEAD]
