"""The store's foundation: the engine, write transactions, the schema version."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from syncd.store import migrate
from syncd.store.database import WRITE

__all__ = ["BATCH", "StoreBase"]

# PostgreSQL errors after which a whole transaction may simply be retried.
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
BATCH = 500
_T = TypeVar("_T")


class StoreBase:
    """Connections and transactions; the ledgers are mixed in by ``Store``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Write transactions: SQLite takes the write lock up front (see engine.py).
        self._writer = engine.execution_options(**{WRITE: True})

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _write(self) -> AbstractContextManager[sa.Connection]:
        return self._writer.begin()

    def _retrying(self, work: Callable[[sa.Connection], _T]) -> _T:
        """Run ``work`` in a write transaction, again if PostgreSQL chose it as the victim
        of a deadlock (replicas claiming leases at the same moment)."""
        for attempt in itertools.count():
            try:
                with self._write() as conn:
                    return work(conn)
            except DBAPIError as exc:
                sqlstate = getattr(exc.orig, "sqlstate", None)
                if sqlstate not in _RETRY_SQLSTATES or attempt >= 4:
                    raise
        raise AssertionError("unreachable")

    # -- schema -----------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest version; refuse a database from a newer syncd.
        Safe when several replicas start at once (see migrate.py)."""
        migrate.upgrade(self._writer)

    def schema_version(self) -> str | None:
        return migrate.current_version(self.engine)

    def close(self) -> None:
        self.engine.dispose()
