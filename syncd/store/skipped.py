"""Tasks a cycle could not take, per source: what ``syncd status`` lists and the cycle
retries. A row lives until the task is stored, or is no longer open in the scope."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from syncd.store import schema as t
from syncd.store.base import BATCH as _BATCH
from syncd.store.base import StoreBase
from syncd.store.database import dialect_insert
from syncd.store.ledger import SkippedRow

__all__ = ["SkippedMixin"]

_T = t.skipped_tasks


class SkippedMixin(StoreBase):
    def record_skipped(
        self, source: str, skipped: Iterable[tuple[str, str, str, str]], now: datetime
    ) -> None:
        """Note ``(key, stage, reason, error)`` skips at ``now``: a new row, or one more
        attempt on the row the task already has (its latest reason and error win)."""
        with self._write() as conn:
            for key, stage, reason, error in skipped:
                values = {"stage": stage, "reason": reason, "error": error, "last_skipped": now}
                insert = dialect_insert(conn, _T).values(
                    source=source, key=key, attempts=1, first_skipped=now, **values
                )
                conn.execute(
                    insert.on_conflict_do_update(
                        index_elements=[_T.c.source, _T.c.key],
                        set_={**values, "attempts": _T.c.attempts + 1},
                    )
                )

    def clear_skipped(self, source: str, keys: Iterable[str]) -> int:
        """Forget skips of ``keys`` (stored now, or gone from the scope)."""
        keys = list(keys)
        removed = 0
        with self._write() as conn:
            for start in range(0, len(keys), _BATCH):
                chunk = keys[start : start + _BATCH]
                removed += conn.execute(
                    _T.delete().where(_T.c.source == source, _T.c.key.in_(chunk))
                ).rowcount
        return removed

    def skipped_tasks(self, sources: Iterable[str] | None = None) -> list[SkippedRow]:
        """Every skipped task (of ``sources``), by source and key."""
        query = sa.select(_T).order_by(_T.c.source, _T.c.key)
        if sources is not None:
            query = query.where(_T.c.source.in_(list(sources)))
        with self.engine.connect() as conn:
            return [SkippedRow(**dict(row)) for row in conn.execute(query).mappings()]
