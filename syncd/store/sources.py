"""Source status (polls, errors) and source leases between replicas."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from syncd.store import leases
from syncd.store import schema as t
from syncd.store.base import StoreBase
from syncd.store.database import dialect_insert
from syncd.store.ledger import SourceRow

__all__ = ["SourcesMixin"]


class SourcesMixin(StoreBase):
    # -- source status ----------------------------------------------------------------
    def record_poll(self, source: str, now: datetime, error: str | None = None) -> None:
        values: dict[str, Any] = {"last_attempt": now, "last_error": error}
        if error is None:
            values["last_success"] = now
        with self._write() as conn:
            insert = dialect_insert(conn, t.sources).values(source=source, cycles=1, **values)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[t.sources.c.source],
                    set_={**values, "cycles": t.sources.c.cycles + 1},
                )
            )

    def source_rows(self) -> list[SourceRow]:
        """Every source that was ever polled (see ``status_rows`` for configured ones)."""
        with self.engine.connect() as conn:
            names = list(conn.execute(sa.select(t.sources.c.source)).scalars())
        return self.status_rows(names)

    def status_rows(self, sources: Iterable[str] | None = None) -> list[SourceRow]:
        """One row per source for ``syncd status``: poll history, lease owner and expiry,
        cursor, and how many ledger entries are claimed but not confirmed. ``sources``
        (the configured ones) are always listed, even if never polled; by default every
        source the store knows of."""
        with self.engine.connect() as conn:
            polls = {r["source"]: r for r in conn.execute(sa.select(t.sources)).mappings()}
            held = {
                r["source"]: r
                for r in conn.execute(sa.select(t.leases).where(t.leases.c.owner != leases.FREE))
                .mappings()
                .all()
            }
            cursors = dict(conn.execute(sa.select(t.cursors.c.source, t.cursors.c.value)).all())
            pending: dict[str, int] = dict(
                conn.execute(
                    sa.select(t.actions.c.source, sa.func.count())
                    .where(t.actions.c.state == "claimed")
                    .group_by(t.actions.c.source)
                ).all()
            )
        names = set(sources) if sources is not None else {*polls, *held, *cursors, *pending}
        rows = []
        for name in sorted(names):
            poll = polls.get(name)
            lease = held.get(name)
            rows.append(
                SourceRow(
                    source=name,
                    last_success=poll["last_success"] if poll else None,
                    last_attempt=poll["last_attempt"] if poll else None,
                    last_error=poll["last_error"] if poll else None,
                    cycles=poll["cycles"] if poll else 0,
                    owner=lease["owner"] if lease else None,
                    lease_expires=lease["expires_at"] if lease else None,
                    cursor=json.loads(cursors[name]) if name in cursors else None,
                    pending=int(pending.get(name, 0)),
                )
            )
        return rows

    # -- source leases ----------------------------------------------------------------
    def claim_leases(
        self,
        owner: str,
        sources: list[str],
        now: datetime,
        ttl: timedelta,
        fair_share: int | None = None,
    ) -> list[str]:
        """Announce replica ``owner``, renew its leases, take free or expired ones up to its
        fair share (default ``ceil(len(sources) / live replicas)``) and give back any above
        it. Returns the sources it holds now. Call every cycle, well within ``ttl``."""
        return self._retrying(
            lambda conn: leases.claim(conn, owner, sources, now=now, ttl=ttl, fair_share=fair_share)
        )

    def renew_lease(self, owner: str, source: str, now: datetime, ttl: timedelta) -> bool:
        """Extend one lease (a long sync); False when another replica has taken it over."""
        return self._retrying(lambda conn: leases.renew(conn, owner, source, now, ttl))

    def release_leases(self, owner: str, sources: list[str] | None = None) -> int:
        """Give leases back (on shutdown: all, which also retires the replica)."""
        return self._retrying(lambda conn: leases.release(conn, owner, sources))

    def lease_owners(self) -> dict[str, tuple[str, datetime]]:
        """source -> (owner, expires_at) for every held lease, expired ones included."""
        with self.engine.connect() as conn:
            return leases.owners(conn)

    def live_replicas(self, now: datetime) -> list[str]:
        """Replicas whose heartbeat has not expired at ``now``."""
        with self.engine.connect() as conn:
            return leases.live_replicas(conn, now)
