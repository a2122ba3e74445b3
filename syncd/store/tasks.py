"""Per-source cursors and task snapshots."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syncd.core.models import Task
from syncd.store import schema as t
from syncd.store.base import BATCH as _BATCH
from syncd.store.base import StoreBase
from syncd.store.database import dialect_insert

__all__ = ["TasksMixin", "content_id"]


def content_id(snapshot: str) -> str:
    """A digest of a stored snapshot: equal digests, same task content (kept results are
    valid for the content they were computed from)."""
    return hashlib.blake2b(snapshot.encode(), digest_size=16).hexdigest()


class TasksMixin(StoreBase):
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
                            "content": insert.excluded.content,
                        },
                        # A page read before a webhook's re-read must not undo it.
                        where=t.tasks.c.updated <= insert.excluded.updated,
                    ),
                    [_task_row(task) for task in batch],
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
                batch = keys[start : start + _BATCH]
                removed += conn.execute(
                    t.tasks.delete().where(t.tasks.c.source == source, t.tasks.c.key.in_(batch))
                ).rowcount
                conn.execute(
                    t.kept_results.delete().where(
                        t.kept_results.c.source == source, t.kept_results.c.task_key.in_(batch)
                    )
                )
                conn.execute(
                    t.kept_findings.delete().where(
                        t.kept_findings.c.source == source, t.kept_findings.c.task_key.in_(batch)
                    )
                )
        return removed

    def open_task_keys(self, source: str) -> set[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.tasks.c.key).where(
                    t.tasks.c.source == source, t.tasks.c.is_open.is_(True)
                )
            )
            return {key for (key,) in rows}

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

    def tasks_by_key(self, source: str, keys: Iterable[str]) -> dict[str, Task]:
        """The stored snapshots of ``keys`` (those never stored are absent): what a
        connector compares a changed issue with (``connectors.base.Previous``)."""
        keys = list(keys)
        found: dict[str, Task] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(keys), _BATCH):
                rows = conn.execute(
                    sa.select(t.tasks.c.key, t.tasks.c.snapshot).where(
                        t.tasks.c.source == source, t.tasks.c.key.in_(keys[start : start + _BATCH])
                    )
                )
                for key, snapshot in rows:
                    found[key] = Task.model_validate_json(snapshot)
        return found

    def tasks_marker(self, sources: Iterable[str]) -> tuple[int, datetime | None, int]:
        """A cheap change marker of the tasks stored for ``sources``: how many, the latest
        ``updated`` and the total snapshot length. Any upsert or removal by any replica
        changes it (an edit moves ``updated``; a re-read of the same version that changes
        the snapshot almost always changes its length), so a reader can keep what it built
        from these tasks until it moves."""
        query = sa.select(
            sa.func.count(),
            sa.func.max(t.tasks.c.updated),
            sa.func.coalesce(sa.func.sum(sa.func.length(t.tasks.c.snapshot)), 0),
        ).where(t.tasks.c.source.in_(sorted(set(sources))))
        with self.engine.connect() as conn:
            count, latest, size = conn.execute(query).one()
        return int(count), latest, int(size)

    def count_tasks(self, source: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(t.tasks)
        if source is not None:
            query = query.where(t.tasks.c.source == source)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)


def _task_row(task: Task) -> dict[str, Any]:
    snapshot = task.model_dump_json()
    return {
        "source": task.source,
        "key": task.key,
        "updated": task.updated,
        "is_open": task.is_open,
        "snapshot": snapshot,
        "content": content_id(snapshot),
    }
