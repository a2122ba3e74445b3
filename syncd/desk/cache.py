"""The desk's built views and pages, kept while nothing they were drawn from has moved.

Building a manager's view from scratch reads and parses every stored task, evaluates every
rule and builds the digest facts — a few hundred ms for 2,000 tasks — yet the tasks only
change when a poll or a webhook writes them. So a view (and each page rendered from it) is
kept under a key of everything it depends on: the policy object (a reload is a new object),
the manager, the store's change markers for the manager's sources and trend snapshots (read
from the shared store on every request, so another replica's writes are noticed at once),
and the current minute (states such as "overdue" follow the clock; a page is at most a
minute older than the request, far less than the poll interval the data itself is behind
by).
The parsed tasks and rule results are kept apart, on one ``TaskShelf`` per manager: the
next minute's view only evaluates the rules again, and the view after a store change parses
only the tasks that changed (``shelf.py``). Views are built at the start of their minute,
so a page does not depend on which second of it was asked first.

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
from syncd.desk.pages import DeskView
from syncd.desk.shelf import TaskShelf
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
    def shelf(self) -> Hashable:
        """Whose parsed tasks: not the clock, not the policy, not the store's marker."""
        return (self.manager, self.owned)


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
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._shelves: OrderedDict[Hashable, TaskShelf] = OrderedDict()
        self._lock = threading.RLock()  # a view's build asks for its tasks under it

    def shelf(self, key: ViewKey) -> TaskShelf:
        """The manager's shelf of parsed tasks and rule results (kept across minutes,
        policy reloads and store changes)."""
        with self._lock:
            shelf = self._shelves.get(key.shelf)
            if shelf is None:
                shelf = self._shelves[key.shelf] = TaskShelf()
                while len(self._shelves) > self.max_entries:
                    self._shelves.popitem(last=False)
            self._shelves.move_to_end(key.shelf)
            return shelf

    @property
    def reads(self) -> int:
        """Times a manager's tasks were read from the store (over the shelves kept)."""
        return self._total(lambda shelf: shelf.reads)

    @property
    def parsed(self) -> int:
        """Task snapshots parsed (over the shelves kept)."""
        return self._total(lambda shelf: shelf.parsed)

    @property
    def evaluated(self) -> int:
        """Tasks whose rules were evaluated (over the shelves kept)."""
        return self._total(lambda shelf: shelf.evaluated)

    def _total(self, count: Callable[[TaskShelf], int]) -> int:
        with self._lock:
            return sum(count(shelf) for shelf in self._shelves.values())

    @property
    def kept(self) -> int:
        """Views kept now."""
        with self._lock:
            return len(self._entries)

    def _entry(self, key: Hashable, policy: Policy, build: Callable[[], DeskView]) -> _Entry:
        # Called with the lock held.
        entry = self._entries.get(key)
        if entry is None or entry.policy is not policy:
            entry = _Entry(policy, build())
            self.builds += 1
            if isinstance(key, ViewKey):
                self._supersede(key)
            self._entries[key] = entry
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        self._entries.move_to_end(key)
        return entry

    def _supersede(self, key: ViewKey) -> None:
        """Let go of the manager's earlier views: a new minute, store change or policy
        never asks for them again, and each holds thousands of findings that every full
        garbage collection walks (tens of ms per view kept, paid by some request)."""
        for old in [k for k in self._entries if isinstance(k, ViewKey)]:
            if old.manager == key.manager:
                del self._entries[old]

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
