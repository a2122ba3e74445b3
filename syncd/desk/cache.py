"""The desk's built views and pages, kept while nothing they were drawn from has moved.

Building a manager's view reads and parses every stored task, evaluates every rule and
builds the digest facts — most of a second for 2,000 tasks — yet the tasks only change when
a poll or a webhook writes them. So a view (and each page rendered from it) is kept under a
key of everything it depends on: the policy object (a reload is a new object), the manager,
the store's change markers for the manager's sources and trend snapshots (read from the
shared store on every request, so another replica's writes are noticed at once), and the
current minute (states such as "overdue" follow the clock; a page is at most a minute
older than the request, far less than the poll interval the data itself is behind by).

Thread-safe (requests are served from a thread pool) and bounded (least recently used
entries go first). Builds happen under one lock: two requests for the same key build once,
and building is CPU-bound under the GIL, so letting two builds race would gain nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime

from config.policy import ManagerConfig, Policy
from syncd.desk.pages import DeskView
from syncd.store import Store

__all__ = ["ViewCache", "view_key"]

MAX_ENTRIES = 32
"""Managers whose views are kept at once (each view holds its tasks: a few MB at most)."""


def view_key(store: Store, policy: Policy, manager: ManagerConfig, now: datetime) -> Hashable:
    """Everything a manager's view depends on, cheap to read (two aggregate queries)."""
    sources = {owned.source for owned in manager.owns}
    return (
        id(policy),
        manager.name,
        store.tasks_marker(sources),
        store.client_snapshots_marker(manager.name),
        now.replace(second=0, microsecond=0),
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
        self._lock = threading.Lock()

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
