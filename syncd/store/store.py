"""The Store: every read and write of syncd's state goes through here.

Writes that decide an effect (claiming an action, a digest, a lease) rely on the
database's unique keys, not on a read-then-write, so two processes — or two replicas —
racing for the same reminder cannot both win.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from syncd.errors import StoreError
from syncd.models import Finding, Task
from syncd.store import schema as t
from syncd.store.ledger import ActionRow, DigestRow, FindingRow, SourceRow

__all__ = ["Store", "open_store"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def _sqlalchemy_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Store:
    """State of one syncd deployment. Thread-safe: each call uses its own connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    # -- schema -----------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest version; refuse a database from a newer syncd."""
        cfg = _alembic_config()
        script = ScriptDirectory.from_config(cfg)
        head = script.get_current_head()
        try:
            with self.engine.begin() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
                if current is not None and current not in {
                    r.revision for r in script.walk_revisions()
                }:
                    raise StoreError(
                        f"the state database is at schema version {current}, newer than this "
                        f"syncd knows (newest: {head}); upgrade syncd or point SYNCD_STATE_URL "
                        "at another database"
                    )
                if current != head:
                    from alembic import command

                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, "head")
        except DatabaseError as exc:
            raise StoreError(f"the state database cannot be used: {exc.orig}") from None

    def schema_version(self) -> str | None:
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

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
        with self.engine.begin() as conn:
            self._upsert(
                conn,
                t.cursors,
                {"source": source},
                {"value": json.dumps(value, sort_keys=True), "updated_at": now},
            )

    # -- tasks ------------------------------------------------------------------------
    def upsert_tasks(self, tasks: Iterable[Task]) -> int:
        count = 0
        with self.engine.begin() as conn:
            for task in tasks:
                self._upsert(
                    conn,
                    t.tasks,
                    {"source": task.source, "key": task.key},
                    {
                        "updated": task.updated,
                        "is_open": task.is_open,
                        "snapshot": task.model_dump_json(),
                    },
                )
                count += 1
        return count

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
        resolved ones that came back reopened (keeping their notification history)."""
        with self.engine.begin() as conn:
            for f in found:
                key = {
                    "source": source,
                    "task_key": f.task_key,
                    "rule": f.rule,
                    "fingerprint": f.fingerprint,
                }
                updated = conn.execute(
                    t.findings.update()
                    .where(*(t.findings.c[k] == v for k, v in key.items()))
                    .values(
                        state="open",
                        last_seen=now,
                        severity=f.severity.value,
                        message=f.message,
                        resolved_at=None,
                    )
                ).rowcount
                if not updated:
                    conn.execute(
                        t.findings.insert().values(
                            **key,
                            state="open",
                            severity=f.severity.value,
                            message=f.message,
                            first_seen=now,
                            last_seen=now,
                            times_notified=0,
                        )
                    )

    def resolve_findings(
        self, source: str, keys: Iterable[tuple[str, str, str]], now: datetime
    ) -> None:
        """Mark (task_key, rule, fingerprint) findings as resolved."""
        with self.engine.begin() as conn:
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
        with self.engine.begin() as conn:
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
            with self.engine.begin() as conn:
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

    def confirm_action(self, marker: str, result: str | None, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                t.actions.update()
                .where(t.actions.c.marker == marker)
                .values(state="done", done_at=now, result=result)
            )

    def note_attempt(self, marker: str, error: str | None = None) -> None:
        with self.engine.begin() as conn:
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
            with self.engine.begin() as conn:
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
        with self.engine.begin() as conn:
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
        with self.engine.begin() as conn:
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
        with self.engine.begin() as conn:
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
        with self.engine.begin() as conn:
            values: dict[str, Any] = {"last_attempt": now, "last_error": error}
            if error is None:
                values["last_success"] = now
            existing = conn.execute(
                sa.select(t.sources.c.cycles).where(t.sources.c.source == source)
            ).scalar()
            if existing is None:
                conn.execute(t.sources.insert().values(source=source, cycles=1, **values))
            else:
                conn.execute(
                    t.sources.update()
                    .where(t.sources.c.source == source)
                    .values(cycles=existing + 1, **values)
                )

    def source_rows(self) -> list[SourceRow]:
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(
                        t.sources,
                        t.leases.c.owner,
                        t.leases.c.expires_at.label("lease_expires"),
                        t.cursors.c.value.label("cursor"),
                    )
                    .select_from(
                        t.sources.outerjoin(
                            t.leases, t.leases.c.source == t.sources.c.source
                        ).outerjoin(t.cursors, t.cursors.c.source == t.sources.c.source)
                    )
                    .order_by(t.sources.c.source)
                )
                .mappings()
                .all()
            )
        return [
            SourceRow(**{**r, "cursor": json.loads(r["cursor"]) if r["cursor"] else None})
            for r in rows
        ]

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _upsert(
        conn: sa.Connection, table: sa.Table, key: dict[str, Any], values: dict[str, Any]
    ) -> None:
        where = [table.c[k] == v for k, v in key.items()]
        if not conn.execute(table.update().where(*where).values(**values)).rowcount:
            conn.execute(table.insert().values(**key, **values))


def _action(row: Any) -> ActionRow:
    return ActionRow(**{**row, "payload": json.loads(row["payload"])})


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store at ``url``: ``sqlite:///path`` or
    ``postgresql://…``. Raises StoreError with the reason when it cannot be used."""
    sa_url = _sqlalchemy_url(url)
    if sa_url.startswith("sqlite:///"):
        path = Path(sa_url.removeprefix("sqlite:///"))
        if str(path) not in ("", ":memory:"):
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(sa_url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    elif sa_url.startswith("postgresql+psycopg://"):
        engine = sa.create_engine(sa_url, pool_size=5, max_overflow=5, pool_pre_ping=True)
    else:
        raise StoreError(
            f"unsupported state URL scheme in {url.split('://', maxsplit=1)[0]}://…; "
            "use sqlite:///path or postgresql://…"
        )
    store = Store(engine)
    if migrate:
        try:
            store.migrate()
        except OperationalError as exc:
            raise StoreError(f"cannot open the state database: {exc.orig}") from None
    return store
