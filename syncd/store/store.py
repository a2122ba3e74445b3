"""The Store: every read and write of syncd's state goes through here.

Writes that decide an effect (claiming an action, a digest, a lease) rely on the
database's unique keys, not on a read-then-write, so two processes — or two replicas —
racing for the same reminder cannot both win.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from syncd.models import Finding, Task
from syncd.store import leases, migrate
from syncd.store import schema as t
from syncd.store.engine import WRITE, create_store_engine, dialect_insert
from syncd.store.ledger import ActionRow, DigestRow, FindingRow, SourceRow

__all__ = ["Store", "open_store"]

# PostgreSQL errors after which a whole transaction may simply be retried.
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_BATCH = 500
_T = TypeVar("_T")


class Store:
    """State of one syncd deployment. Thread-safe: each call uses its own connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Write transactions: SQLite takes the write lock up front (see engine.py).
        self._writer = engine.execution_options(**{WRITE: True})

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> Store:
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

    # -- cursors ----------------------------------------------------------------------
    def get_cursor(self, source: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(t.cursors.c.value).where(t.cursors.c.source == source)
            ).scalar()
        return json.loads(value) if value else None

    def set_cursor(self, source: str, value: dict[str, Any], now: datetime) -> None:
        values = {"value": json.dumps(value, sort_keys=True), "updated_at": now}
        with self._write() as conn:
            insert = dialect_insert(conn, t.cursors).values(source=source, **values)
            conn.execute(insert.on_conflict_do_update(index_elements=["source"], set_=values))

    # -- tasks ------------------------------------------------------------------------
    def upsert_tasks(self, tasks: Iterable[Task]) -> int:
        count = 0
        iterator = iter(tasks)
        with self._write() as conn:
            while batch := list(itertools.islice(iterator, _BATCH)):
                insert = dialect_insert(conn, t.tasks)
                conn.execute(
                    insert.on_conflict_do_update(
                        index_elements=[t.tasks.c.source, t.tasks.c.key],
                        set_={
                            "updated": insert.excluded.updated,
                            "is_open": insert.excluded.is_open,
                            "snapshot": insert.excluded.snapshot,
                        },
                        # A page read before a webhook's re-read must not undo it.
                        where=t.tasks.c.updated <= insert.excluded.updated,
                    ),
                    [
                        {
                            "source": task.source,
                            "key": task.key,
                            "updated": task.updated,
                            "is_open": task.is_open,
                            "snapshot": task.model_dump_json(),
                        }
                        for task in batch
                    ],
                )
                count += len(batch)
        return count

    def forget_tasks(self, source: str, keys: Iterable[str]) -> int:
        """Drop tasks that are gone from the tracker or left the source's scope; their
        findings resolve at the next evaluation."""
        keys = list(keys)
        with self._write() as conn:
            removed = 0
            for start in range(0, len(keys), _BATCH):
                removed += conn.execute(
                    t.tasks.delete().where(
                        t.tasks.c.source == source, t.tasks.c.key.in_(keys[start : start + _BATCH])
                    )
                ).rowcount
        return removed

    def task_keys(self, source: str) -> set[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.tasks.c.key).where(t.tasks.c.source == source))
            return {key for (key,) in rows}

    def iter_tasks(self, source: str | None = None, *, open_only: bool = False) -> Iterator[Task]:
        query = sa.select(t.tasks.c.snapshot).order_by(t.tasks.c.source, t.tasks.c.key)
        if source is not None:
            query = query.where(t.tasks.c.source == source)
        if open_only:
            query = query.where(t.tasks.c.is_open.is_(True))
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=1000).execute(query)
            for (snapshot,) in result:
                yield Task.model_validate_json(snapshot)

    def get_task(self, source: str, key: str) -> Task | None:
        with self.engine.connect() as conn:
            snapshot = conn.execute(
                sa.select(t.tasks.c.snapshot).where(
                    t.tasks.c.source == source, t.tasks.c.key == key
                )
            ).scalar()
        return Task.model_validate_json(snapshot) if snapshot else None

    def count_tasks(self, source: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(t.tasks)
        if source is not None:
            query = query.where(t.tasks.c.source == source)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    # -- findings ledger --------------------------------------------------------------
    def findings(
        self, source: str | None = None, *, state: str | None = "open"
    ) -> list[FindingRow]:
        query = sa.select(t.findings).order_by(t.findings.c.id)
        if source is not None:
            query = query.where(t.findings.c.source == source)
        if state is not None:
            query = query.where(t.findings.c.state == state)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [FindingRow(**{k: v for k, v in row.items() if k != "id"}) for row in rows]

    def record_findings(self, source: str, found: Iterable[Finding], now: datetime) -> None:
        """Upsert the findings of one evaluation: new ones open, known ones touched,
        resolved ones that came back reopened. A reopened finding loses its
        ``notified_marker`` (so it may be reminded about again) but keeps ``notified_at``,
        which the reconciler compares with its cool-down."""
        rows = [
            {
                "source": source,
                "task_key": f.task_key,
                "rule": f.rule,
                "fingerprint": f.fingerprint,
                "state": "open",
                "severity": f.severity.value,
                "message": f.message,
                "first_seen": now,
                "last_seen": now,
                "times_notified": 0,
            }
            for f in found
        ]
        if not rows:
            return
        with self._write() as conn:
            insert = dialect_insert(conn, t.findings)
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[
                        t.findings.c.source,
                        t.findings.c.task_key,
                        t.findings.c.rule,
                        t.findings.c.fingerprint,
                    ],
                    set_={
                        "state": "open",
                        "last_seen": now,
                        "severity": insert.excluded.severity,
                        "message": insert.excluded.message,
                        "resolved_at": None,
                        # Right-hand sides see the old row: only a resolved one is reset.
                        "notified_marker": sa.case(
                            (t.findings.c.state == "resolved", sa.null()),
                            else_=t.findings.c.notified_marker,
                        ),
                    },
                ),
                rows,
            )

    def resolve_findings(
        self, source: str, keys: Iterable[tuple[str, str, str]], now: datetime
    ) -> None:
        """Mark (task_key, rule, fingerprint) findings as resolved."""
        with self._write() as conn:
            for task_key, rule, fp in keys:
                conn.execute(
                    t.findings.update()
                    .where(
                        t.findings.c.source == source,
                        t.findings.c.task_key == task_key,
                        t.findings.c.rule == rule,
                        t.findings.c.fingerprint == fp,
                        t.findings.c.state == "open",
                    )
                    .values(state="resolved", resolved_at=now)
                )

    def mark_notified(
        self,
        source: str,
        task_key: str,
        keys: Iterable[tuple[str, str]],
        marker: str,
        now: datetime,
    ) -> None:
        """Record that the reminder ``marker`` covered these (rule, fingerprint) findings."""
        with self._write() as conn:
            _mark_notified(conn, source, task_key=task_key, keys=keys, marker=marker, now=now)

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
            _mark_notified(conn, source, task_key=task_key, keys=covers, marker=marker, now=now)

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


def _action(row: Any) -> ActionRow:
    return ActionRow(**{**row, "payload": json.loads(row["payload"])})


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store at ``url``: ``sqlite:///path`` or
    ``postgresql://user:password@host:port/database``. Raises StoreError with the reason
    (never the password) when it cannot be used."""
    store = Store(create_store_engine(url))
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store


def _mark_notified(
    conn: sa.Connection,
    source: str,
    *,
    task_key: str,
    keys: Iterable[tuple[str, str]],
    marker: str,
    now: datetime,
) -> None:
    for rule, fp in keys:
        conn.execute(
            t.findings.update()
            .where(
                t.findings.c.source == source,
                t.findings.c.task_key == task_key,
                t.findings.c.rule == rule,
                t.findings.c.fingerprint == fp,
            )
            .values(
                notified_marker=marker,
                notified_at=now,
                times_notified=t.findings.c.times_notified + 1,
            )
        )
