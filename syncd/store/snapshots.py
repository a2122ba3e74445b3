"""Daily per-client headline numbers of each manager: what the desk's trend lines draw.

One row per (manager, client, day); the first writer of a day wins (a second replica, or a
second tick the same day, changes nothing), so the line is one point per day."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime

import sqlalchemy as sa

from syncd.store import schema as t
from syncd.store.base import StoreBase
from syncd.store.database import dialect_insert

__all__ = ["SnapshotsMixin"]

_T = t.client_snapshots


class SnapshotsMixin(StoreBase):
    def has_client_snapshot(self, manager: str, day: date) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(_T.c.client).where(_T.c.manager == manager, _T.c.day == day.isoformat())
            ).first()
        return found is not None

    def record_client_snapshot(
        self, manager: str, day: date, counts: Mapping[str, Mapping[str, int]], now: datetime
    ) -> None:
        """``counts``: client → metric → number, as the manager's headlines show them."""
        rows = [
            {
                "manager": manager,
                "client": client,
                "day": day.isoformat(),
                "counts": json.dumps(dict(values), sort_keys=True),
                "taken_at": now,
            }
            for client, values in counts.items()
        ]
        if not rows:
            return
        with self._write() as conn:
            conn.execute(dialect_insert(conn, _T).on_conflict_do_nothing(), rows)

    def client_snapshots_marker(self, manager: str) -> tuple[int, str | None]:
        """How many daily rows ``manager`` has and the latest day: moves when one is taken."""
        query = sa.select(sa.func.count(), sa.func.max(_T.c.day)).where(_T.c.manager == manager)
        with self.engine.connect() as conn:
            count, latest = conn.execute(query).one()
        return int(count), latest

    def client_snapshots(self, manager: str, since: date) -> dict[str, dict[date, dict[str, int]]]:
        """client → day → metric → number, for days from ``since`` on."""
        query = (
            sa.select(_T.c.client, _T.c.day, _T.c.counts)
            .where(_T.c.manager == manager, _T.c.day >= since.isoformat())
            .order_by(_T.c.client, _T.c.day)
        )
        out: dict[str, dict[date, dict[str, int]]] = {}
        with self.engine.connect() as conn:
            for client, day, counts in conn.execute(query):
                out.setdefault(client, {})[date.fromisoformat(day)] = json.loads(counts)
        return out
