"""One manager's parsed tasks and rule results, kept across store changes task by task.

A poll or a webhook changes a handful of tasks; the desk's next view used to parse all of
the manager's stored snapshots again (pydantic validation of 2,000 tasks: 40–100 ms) and
evaluated every rule on every task. The shelf keeps each parsed task beside its stored
snapshot text and parses only the snapshots whose text changed; a task whose
snapshot did not change keeps the very same ``Task`` object, so what is derived from it
can be kept by identity:

- its rule results, for the same engine at the same moment (rules are pure functions of
  task, time and engine: the desk evaluates at the start of the minute, so a store change
  within a minute re-evaluates only the changed tasks), or until the engine's
  ``TaskResult.valid_until`` when the engine says so;
- its checkpoint moment (``ShelvedEngine``): a function of the task and the engine alone,
  asked for by the digest's facts and by the timeline for every open task.

The snapshot text is read with the tasks' own table (the store's ``iter_tasks`` parses
every row, which is exactly the cost kept away here). Not thread-safe on its own: the
view cache calls it under its lock.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from config.policy import ManagerConfig
from rules.engine import Engine, ScopedRule, TaskResult
from syncd.core.models import Finding, Task
from syncd.digest.scope import owns
from syncd.store import Store
from syncd.store import schema as tables

__all__ = ["ShelvedEngine", "TaskShelf", "snapshot_rows"]


def snapshot_rows(store: Store, sources: Iterable[str]) -> list[tuple[str, str, str]]:
    """(source, key, snapshot JSON) of the stored tasks of ``sources``, in the order of
    ``Store.iter_tasks`` (source, key), unparsed."""
    t = tables.tasks
    query = (
        sa.select(t.c.source, t.c.key, t.c.snapshot)
        .where(t.c.source.in_(sorted(set(sources))))
        .order_by(t.c.source, t.c.key)
    )
    with store.engine.connect() as conn:
        return [(source, key, snapshot) for source, key, snapshot in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class _Evaluated:
    engine: Engine
    at: datetime
    result: TaskResult


class TaskShelf:
    """The parsed tasks and rule results of one manager (the view cache keeps one per
    manager and what they own)."""

    def __init__(self) -> None:
        # The snapshot text beside its task: comparing it is exact and cheaper than any
        # digest of it, and it is smaller than the parsed task kept anyway.
        self._parsed: dict[tuple[str, str], tuple[str, Task]] = {}
        self._evaluated: dict[tuple[str, str], _Evaluated] = {}
        self.reads = 0
        """Times the snapshots were read from the store."""
        self.parsed = 0
        """Snapshots parsed so far (what the tests count)."""
        self.evaluated = 0
        """Tasks whose rules were evaluated so far."""
        self._marker: Hashable = None
        self._tasks: tuple[Task, ...] = ()

    def tasks(self, store: Store, manager: ManagerConfig, marker: Hashable) -> tuple[Task, ...]:
        """The manager's tasks as last refreshed while the store's change ``marker`` is
        the same, else refreshed (the store is not read at all while it is)."""
        if marker is None or marker != self._marker:
            self._tasks = self.refresh(store, manager)
            self._marker = marker
            self.reads += 1
        return self._tasks

    def refresh(self, store: Store, manager: ManagerConfig) -> tuple[Task, ...]:
        """The stored tasks ``manager`` owns now, as ``pages.read_tasks`` gives them;
        snapshots unchanged since the last refresh are not parsed again."""
        kept: dict[tuple[str, str], tuple[str, Task]] = {}
        tasks: list[Task] = []
        owned: dict[tuple[str, str], bool] = {}  # (source, project) → the manager's?
        for source, key, snapshot in snapshot_rows(store, {o.source for o in manager.owns}):
            known = self._parsed.get((source, key))
            if known is not None and known[0] == snapshot:
                task = known[1]
            else:
                task = Task.model_validate_json(snapshot)
                self.parsed += 1
            kept[(source, key)] = (snapshot, task)
            place = (task.source, task.project)
            mine = owned.get(place)
            if mine is None:
                mine = owned[place] = owns(manager, task)
            if mine:
                tasks.append(task)
        self._parsed = kept  # tasks gone from the store are let go
        return tuple(tasks)

    def findings(self, engine: Engine, tasks: Sequence[Task], now: datetime) -> list[Finding]:
        """``engine.evaluate(tasks, now)``, evaluating only the tasks whose kept result
        does not hold at ``now``: same order, same findings."""
        kept = self._evaluated
        results: dict[tuple[str, str], TaskResult] = {}
        stale: list[Task] = []
        for task in tasks:
            known = kept.get((task.source, task.key))
            if known is not None and _holds(known, engine, task, now):
                results[(task.source, task.key)] = known.result
            else:
                stale.append(task)
        for result in engine.iter_results(stale, now):
            results[(result.task.source, result.task.key)] = result
            kept[(result.task.source, result.task.key)] = _Evaluated(engine, now, result)
        self.evaluated += len(stale)
        if len(kept) > len(results):  # tasks closed or gone: their results are let go
            self._evaluated = {k: kept[k] for k in results}
        return [f for task in tasks for f in results[(task.source, task.key)].findings]


def _holds(known: _Evaluated, engine: Engine, task: Task, now: datetime) -> bool:
    # Kept under ``valid_until``, the findings keep the ``detected_at`` of their
    # evaluation (the engine promises the rest): no page shows it.
    if known.engine is not engine or known.result.task is not task:
        return False
    if known.at == now:
        return True
    until = known.result.valid_until
    return until is not None and known.at <= now < until


class ShelvedEngine(Engine):
    """The policy's engine, keeping each task's checkpoint moment (a function of the
    task and the engine only) while the task object stays the same: the digest's facts
    and the timeline ask for it for every open task on every view."""

    def __init__(self, rules: Sequence[ScopedRule], **options: Any) -> None:
        super().__init__(rules, **options)
        self._moments: dict[tuple[str, str], tuple[Task, datetime | None]] = {}

    def checkpoint_moment(self, task: Task) -> datetime | None:
        known = self._moments.get((task.source, task.key))
        if known is not None and known[0] is task:
            return known[1]
        moment = super().checkpoint_moment(task)
        self._moments[(task.source, task.key)] = (task, moment)  # a changed task replaces
        return moment
