"""The digest ledger: each (manager, kind, period) claimed and sent once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from syncd.store import schema as t
from syncd.store.base import StoreBase
from syncd.store.ledger import DigestRow

__all__ = ["DigestsMixin"]


class DigestsMixin(StoreBase):
    # -- digests ledger ---------------------------------------------------------------
    def claim_digest(
        self,
        manager: str,
        kind: str,
        period: str,
        owner: str,
        now: datetime,
        *,
        stale_after: timedelta = timedelta(minutes=10),
    ) -> bool:
        """Claim the (manager, kind, period) digest. A claim that was never confirmed and is
        older than ``stale_after`` (its sender crashed) may be taken over."""
        try:
            with self._write() as conn:
                conn.execute(
                    t.digests.insert().values(
                        manager=manager,
                        kind=kind,
                        period=period,
                        state="claimed",
                        owner=owner,
                        claimed_at=now,
                    )
                )
            return True
        except IntegrityError:
            pass
        with self._write() as conn:
            taken = conn.execute(
                t.digests.update()
                .where(
                    t.digests.c.manager == manager,
                    t.digests.c.kind == kind,
                    t.digests.c.period == period,
                    t.digests.c.state == "claimed",
                    t.digests.c.claimed_at < now - stale_after,
                )
                .values(owner=owner, claimed_at=now)
            ).rowcount
        return bool(taken)

    def confirm_digest(
        self, manager: str, kind: str, period: str, stats: dict[str, Any], now: datetime
    ) -> None:
        with self._write() as conn:
            conn.execute(
                t.digests.update()
                .where(
                    t.digests.c.manager == manager,
                    t.digests.c.kind == kind,
                    t.digests.c.period == period,
                )
                .values(state="sent", sent_at=now, stats=json.dumps(stats, ensure_ascii=False))
            )

    def release_digest(self, manager: str, kind: str, period: str) -> None:
        """Give up a claim after a failed send so the next cycle retries it."""
        with self._write() as conn:
            conn.execute(
                t.digests.delete().where(
                    t.digests.c.manager == manager,
                    t.digests.c.kind == kind,
                    t.digests.c.period == period,
                    t.digests.c.state == "claimed",
                )
            )

    def digests(self, manager: str | None = None, kind: str | None = None) -> list[DigestRow]:
        query = sa.select(t.digests).order_by(t.digests.c.claimed_at)
        if manager is not None:
            query = query.where(t.digests.c.manager == manager)
        if kind is not None:
            query = query.where(t.digests.c.kind == kind)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            DigestRow(**{**r, "stats": json.loads(r["stats"]) if r["stats"] else None})
            for r in rows
        ]
