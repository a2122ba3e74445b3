"""The desk's built views and pages, kept while nothing they were drawn from has moved.

Building a manager's view reads and parses every stored task, evaluates every rule and
builds the digest facts — most of a second for 2,000 tasks — yet the tasks only change when
a poll or a webhook writes them. So a view (and each page rendered from it) is kept under a
key of everything it depends on: the policy object (a reload is a new object), the manager,
the store's change markers for the manager's sources and trend snapshots (read from the
shared store on every request, so another replica's writes are noticed at once), and the
current minute (states such as "overdue" follow the clock; a page is at most a minute
older than the request, far less than the poll interval the data itself is behind by).
The parsed tasks are kept apart, under the tasks' marker alone: the next minute's view
only evaluates the rules again.

Thread-safe (requests are served from a thread pool) and bounded (least recently used
entries go first). Builds happen under one lock: two requests for the same key build once,
and building is CPU-bound under the GIL, so letting two builds race would gain nothing
(a hit waits for a build in progress: a few hundred ms at most).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from config.policy import ManagerConfig, Policy
from syncd.core.models import Task
from syncd.desk.pages import DeskView
from syncd.store import Store

__all__ = ["ViewCache", "ViewKey", "view_key"]

MAX_ENTRIES = 32
"""Managers whose views are kept at once (each view holds its tasks: a few MB at most)."""


class ViewKey(NamedTuple):
    """Everything a manager's view depends on, cheap to read (two aggregate queries)."""

    policy: int
    manager: str
    owned: tuple[tuple[str, tuple[str, ...]], ...]
    tasks: tuple[int, datetime | None, int]
    snapshots: tuple[int, str | None]
    minute: datetime

    @property
    def stored_tasks(self) -> Hashable:
        """What the manager's parsed tasks depend on: not the clock, not the policy."""
        return (self.owned, self.tasks)


def view_key(store: Store, policy: Policy, manager: ManagerConfig, now: datetime) -> ViewKey:
    owned = tuple((o.source, o.projects) for o in manager.owns)
    return ViewKey(
        policy=id(policy),
        manager=manager.name,
        owned=owned,
        tasks=store.tasks_marker({source for source, _ in owned}),
        snapshots=store.client_snapshots_marker(manager.name),
        minute=now.replace(second=0, microsecond=0),
    )


@dataclass
class _Entry:
    policy: Policy  # held so ``id(policy)`` in the key cannot be reused by another object
    view: DeskView
    pages: dict[str, str] = field(default_factory=dict)


class ViewCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self.builds = 0
        """Views built so far (what the tests count)."""
        self.reads = 0
        """Times the manager's tasks were read and parsed from the store."""
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._tasks: OrderedDict[Hashable, tuple[Task, ...]] = OrderedDict()
        self._lock = threading.RLock()  # a view's build asks for its tasks under it

    def tasks(self, key: ViewKey, read: Callable[[], tuple[Task, ...]]) -> tuple[Task, ...]:
        """The manager's parsed tasks, kept across minutes and policy reloads until the
        store's tasks move: the next minute's view re-evaluates the rules only."""
        with self._lock:
            tasks = self._tasks.get(key.stored_tasks)
            if tasks is None:
                tasks = self._tasks[key.stored_tasks] = read()
                self.reads += 1
                while len(self._tasks) > self.max_entries:
                    self._tasks.popitem(last=False)
            self._tasks.move_to_end(key.stored_tasks)
            return tasks

    def _entry(self, key: Hashable, policy: Policy, build: Callable[[], DeskView]) -> _Entry:
        # Called with the lock held.
        entry = self._entries.get(key)
        if entry is None or entry.policy is not policy:
            entry = _Entry(policy, build())
            self.builds += 1
            self._entries[key] = entry
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        self._entries.move_to_end(key)
        return entry

    def view(self, key: Hashable, build: Callable[[], DeskView], *, policy: Policy) -> DeskView:
        with self._lock:
            return self._entry(key, policy, build).view

    def page(
        self,
        key: Hashable,
        policy: Policy,
        build: Callable[[], DeskView],
        name: str,
        render: Callable[[DeskView], str],
    ) -> str:
        """The page ``name`` rendered from the view under ``key`` (both kept)."""
        with self._lock:
            entry = self._entry(key, policy, build)
            html = entry.pages.get(name)
            if html is None:
                html = entry.pages[name] = render(entry.view)
            return html
