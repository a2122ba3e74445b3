"""The actions ledger: claimed and confirmed effects on trackers, keyed by marker."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from syncd.store import schema as t
from syncd.store.base import StoreBase
from syncd.store.findings import mark_notified_rows
from syncd.store.ledger import ActionRow

__all__ = ["ActionsMixin"]


class ActionsMixin(StoreBase):
    # -- actions ledger ---------------------------------------------------------------
    def claim_action(
        self,
        marker: str,
        *,
        source: str,
        task_key: str,
        kind: str,
        payload: dict[str, Any],
        owner: str,
        now: datetime,
    ) -> bool:
        """Claim an effect. False when the marker was claimed before (by anyone)."""
        try:
            with self._write() as conn:
                conn.execute(
                    t.actions.insert().values(
                        marker=marker,
                        source=source,
                        task_key=task_key,
                        kind=kind,
                        state="claimed",
                        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
                        owner=owner,
                        claimed_at=now,
                        attempts=0,
                    )
                )
        except IntegrityError:
            return False
        return True

    def get_action(self, marker: str) -> ActionRow | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(t.actions).where(t.actions.c.marker == marker))
                .mappings()
                .first()
            )
        return _action(row) if row else None

    def actions(self, source: str | None = None, *, state: str | None = None) -> list[ActionRow]:
        query = sa.select(t.actions).order_by(t.actions.c.claimed_at, t.actions.c.marker)
        if source is not None:
            query = query.where(t.actions.c.source == source)
        if state is not None:
            query = query.where(t.actions.c.state == state)
        with self.engine.connect() as conn:
            return [_action(r) for r in conn.execute(query).mappings().all()]

    def resume_action(
        self,
        marker: str,
        owner: str,
        now: datetime,
        *,
        stale_after: timedelta = timedelta(minutes=10),
    ) -> bool:
        """Take a claimed-but-unconfirmed action to finish it: True for its own owner, or for
        anyone once the claim is older than ``stale_after`` (its owner died). Atomic, so when
        two replicas briefly both serve a source only one of them finishes a given effect;
        the loser must leave it alone (False: done, unknown, or another owner's live claim)."""
        with self._write() as conn:
            taken = conn.execute(
                t.actions.update()
                .where(
                    t.actions.c.marker == marker,
                    t.actions.c.state == "claimed",
                    sa.or_(
                        t.actions.c.owner == owner,
                        t.actions.c.claimed_at < now - stale_after,
                    ),
                )
                .values(owner=owner, claimed_at=now)
            ).rowcount
        return bool(taken)

    def confirm_action(self, marker: str, result: str | None, now: datetime) -> None:
        with self._write() as conn:
            conn.execute(
                t.actions.update()
                .where(t.actions.c.marker == marker)
                .values(state="done", done_at=now, result=result)
            )

    def confirm_reminder(
        self,
        marker: str,
        comment_id: str | None,
        *,
        source: str,
        task_key: str,
        covers: Iterable[tuple[str, str]],
        now: datetime,
    ) -> None:
        """The reminder is on the tracker: mark the action done and the findings it names
        notified, in ONE transaction — a crash between the two would leave findings that
        look un-notified behind a done action, and they would be repeated in the next
        comment."""
        with self._write() as conn:
            conn.execute(
                t.actions.update()
                .where(t.actions.c.marker == marker)
                .values(state="done", done_at=now, result=comment_id)
            )
            mark_notified_rows(conn, source, task_key=task_key, keys=covers, marker=marker, now=now)

    def abandon_action(self, marker: str) -> None:
        """Forget a claim whose effect never reached the tracker (its findings cleared
        first), so the same finding coming back can be claimed afresh under its marker."""
        with self._write() as conn:
            conn.execute(
                t.actions.delete().where(
                    t.actions.c.marker == marker, t.actions.c.state == "claimed"
                )
            )

    def give_up_action(self, marker: str, error: str, now: datetime) -> None:
        """Stop retrying an effect the tracker keeps refusing (deleted issue, lost
        permission): state ``failed``; the findings stay open for the digests."""
        with self._write() as conn:
            conn.execute(
                t.actions.update()
                .where(t.actions.c.marker == marker, t.actions.c.state == "claimed")
                .values(state="failed", done_at=now, result=error)
            )

    def note_attempt(self, marker: str, error: str | None = None) -> None:
        with self._write() as conn:
            conn.execute(
                t.actions.update()
                .where(t.actions.c.marker == marker)
                .values(attempts=t.actions.c.attempts + 1, result=error)
            )


def _action(row: Any) -> ActionRow:
    return ActionRow(**{**row, "payload": json.loads(row["payload"])})
