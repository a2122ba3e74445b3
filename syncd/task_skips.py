"""One task that cannot be taken never stops its source: it is set aside, named, counted
and tried again, and every other task goes on.

A task is skipped at one of two stages. **read**: the connector could not read or map it
(``Page.skipped``); the connector keeps it in its cursor's retry list and reads it first
next sync. **store**: the state store refused the mapped task (text no database takes, a
value out of range): the connector already counts it as done, so the cycle itself re-reads
it (``fetch_task``) on later cycles, up to ``MAX_STORE_RETRIES`` times; after that it waits
for its next change in the tracker, which brings it back through the normal sync.

Either way the skip is logged with the source, key and reason, counted in
``syncd_tasks_skipped_total{source,reason}`` and kept in the store (``syncd status`` lists
it) until the task is stored or is no longer open in the scope (the periodic sweep).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from connectors.base import Connector
from connectors.http.reread_keys import ISSUE_ERRORS, Skip, skip_of
from syncd.core.clock import Clock
from syncd.core.errors import RateLimitedError, RetriableError, SyncdError
from syncd.core.logs import get_logger
from syncd.core.models import Task
from syncd.metrics import Metrics
from syncd.store import Store

__all__ = ["MAX_STORE_RETRIES", "TaskSkips"]

MAX_STORE_RETRIES = 5
_MAX_ERROR = 300

log = get_logger("syncd.source_cycle")


def _error_text(exc: BaseException) -> str:
    """The first line only: a database error goes on with the statement and its values."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:_MAX_ERROR]


class TaskSkips:
    """The skipped tasks of one source, as its runner's cycles see them."""

    def __init__(
        self, source: str, store: Store, clock: Clock, metrics: Metrics | None = None
    ) -> None:
        self.source = source
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self.noted = 0
        """Skips noted since ``begin`` (this cycle)."""
        self._known: set[str] = set()
        self._this_cycle: set[str] = set()

    def begin(self) -> None:
        """A cycle starts: learn which keys have a skip row (one query)."""
        self._known = {row.key for row in self.store.skipped_tasks([self.source])}
        self._this_cycle = set()
        self.noted = 0

    def store_tasks(self, tasks: Sequence[Task]) -> tuple[list[str], list[Skip]]:
        """Store ``tasks``; returns the keys stored and the tasks the store refused. One
        batch normally; only when it fails is each task stored on its own to find the
        one refused. A store that refuses everything (disk full, database gone) is not
        hidden here: noting the skips then fails in turn, and the cycle with it."""
        try:
            self.store.upsert_tasks(tasks)
        except Exception:
            if len(tasks) == 0:
                raise
        else:
            return [task.key for task in tasks], []
        stored: list[str] = []
        refused: list[Skip] = []
        for task in tasks:
            try:
                self.store.upsert_tasks([task])
            except Exception as exc:  # whatever the driver raises for this one task
                refused.append(Skip(task.key, "store_failed", _error_text(exc)))
            else:
                stored.append(task.key)
        return stored, refused

    def note(self, stored: Iterable[str], read: Sequence[Skip], refused: Sequence[Skip]) -> None:
        """Record this page's skips and forget those of the tasks now stored. Called
        before the page's cursor is saved, so a skip is never lost to a crash."""
        rows = [(s.key, "read", s.reason, s.error) for s in read]
        rows += [(s.key, "store", s.reason, s.error) for s in refused]
        if rows:
            self.store.record_skipped(self.source, rows, self.clock.now())
        for skip in refused:  # the connector has logged its own (``log_skipped``)
            log.warning(
                "task skipped",
                source=self.source,
                key=skip.key,
                reason=skip.reason,
                error=skip.error,
                retry=True,
            )
        for skip in (*read, *refused):
            self.noted += 1
            self._known.add(skip.key)
            self._this_cycle.add(skip.key)
            if self.metrics is not None:
                self.metrics.tasks_skipped.labels(source=self.source, reason=skip.reason).inc()
        taken = self._known.intersection(stored) - {s.key for s in (*read, *refused)}
        if taken:
            self.store.clear_skipped(self.source, taken)
            self._known -= taken
            log.info("skipped tasks taken now", source=self.source, keys=sorted(taken))

    def retry_refused(self, connector: Connector) -> list[str]:
        """Re-read the tasks the store refused in earlier cycles; returns the keys stored."""
        due = [
            row.key
            for row in self.store.skipped_tasks([self.source])
            if row.stage == "store"
            and row.key not in self._this_cycle
            and row.attempts <= MAX_STORE_RETRIES
        ]
        stored: list[str] = []
        for key in due:
            try:
                task = connector.fetch_task(key)
            except (RateLimitedError, RetriableError) as exc:  # the tracker, not the task
                log.info("skipped tasks not re-read now", source=self.source, error=str(exc))
                break
            except (SyncdError, *ISSUE_ERRORS) as exc:
                skip = skip_of(key, exc)
                self.note((), (), [Skip(key, "store_failed", skip.error)])
                continue
            if task is None:  # gone, or out of the scope now
                self.store.clear_skipped(self.source, [key])
                continue
            ok, refused = self.store_tasks([task])
            self.note(ok, (), refused)
            stored += ok
        return stored

    def forget_closed(self, open_keys: set[str]) -> None:
        """Drop the skips of tasks no longer open in the scope (the sweep's listing): done,
        deleted or moved, they are not evaluated any more."""
        gone = {row.key for row in self.store.skipped_tasks([self.source])} - open_keys
        if gone:
            self.store.clear_skipped(self.source, gone)
            self._known -= gone
