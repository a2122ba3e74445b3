"""The connector contract. A connector maps one tracker to the normalized model; the daemon
owns the control flow (when to sync, what to post, what to record).

Cursor discipline (see each connector's module docstring for the details of its tracker):
``sync`` yields pages; the cursor attached to a page may be persisted only after that page's
tasks are stored, and it never moves past the moment the poll started.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from connectors.http.reread_keys import Skip
from connectors.markers import MARKER_PREFIX, PostedReminder
from syncd.core.models import Person, Reminder, Task

__all__ = [
    "MARKER_PREFIX",
    "Connector",
    "DoctorCheck",
    "Page",
    "PostedReminder",
    "Previous",
]


Previous = Callable[[Collection[str]], Mapping[str, Task]]
"""The snapshots the store holds for some task keys of the source (keys never stored are
absent): what ``sync`` compares an issue with to read only what changed. One call per
listing page, so a 100-issue page costs one store query."""


@dataclass(frozen=True)
class Page:
    tasks: list[Task]
    cursor: dict[str, Any]
    requests: int = 0
    """API requests this page cost (search + comment/changelog pages), for benchmarks."""
    skipped: tuple[Skip, ...] = ()
    """Tasks that could not be read or mapped since the previous page (kept in the cursor's
    retry list by the connector): the daemon shows, counts and logs them."""


@dataclass(frozen=True)
class DoctorCheck:
    """One line of ``syncd doctor``."""

    name: str
    ok: bool
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    source: str

    def sync(
        self, cursor: dict[str, Any] | None, previous: Previous | None = None
    ) -> Iterator[Page]:
        """Tasks changed since ``cursor`` (all in scope when None), complete with comments.
        ``previous``: the stored snapshots, for a connector that reads an issue's comments
        and history only when the issue's listing says they can have changed (without it,
        every changed issue is read in full)."""
        ...

    def fetch_task(self, key: str) -> Task | None:
        """Re-read one task (webhook hint, read-after-write). None if it is gone/out of scope."""
        ...

    def open_keys(self) -> set[str]:
        """Keys of every open task in scope, from one cheap listing (no comments, no history):
        the daemon's periodic sweep for tasks deleted, moved or taken out of the scope, which
        an incremental sync never sees."""
        ...

    def bot(self) -> Person:
        """The account syncd acts as."""
        ...

    def find_marker(self, task_key: str, marker: str) -> str | None:
        """Id of the comment carrying ``marker`` on the task, if one exists."""
        ...

    def posted_reminders(self, task_key: str) -> list[PostedReminder]:
        """Every syncd reminder on the task, oldest first, with the findings it names
        (``connectors.markers``): how a reminder posted under another source name, by
        another installation or before a restored backup is recognised."""
        ...

    def post_reminder(self, task_key: str, reminder: Reminder) -> str:
        """Post one comment carrying the reminder's tag (marker and the findings it names,
        ``connectors.markers``); returns the comment id.
        Never retried blindly: callers look for the marker before posting again."""
        ...

    def set_labels(self, task_key: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None: ...

    def doctor(self) -> list[DoctorCheck]: ...

    def close(self) -> None: ...
