"""The connector contract. A connector maps one tracker to the normalized model; the daemon
owns the control flow (when to sync, what to post, what to record).

Cursor discipline (see each connector's module docstring for the details of its tracker):
``sync`` yields pages; the cursor attached to a page may be persisted only after that page's
tasks are stored, and it never moves past the moment the poll started.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from connectors.markers import MARKER_PREFIX, PostedReminder
from connectors.request_counts import RequestCounts
from syncd.models import Person, Task

__all__ = [
    "MARKER_PREFIX",
    "Check",
    "Connector",
    "Page",
    "PostedReminder",
    "Reminder",
    "ReminderItem",
]


@dataclass(frozen=True)
class Page:
    tasks: list[Task]
    cursor: dict[str, Any]
    requests: int = 0
    """API requests this page cost (search + comment/changelog pages), for benchmarks."""


@dataclass(frozen=True)
class ReminderItem:
    title: str
    """One line saying what is wrong, e.g. "No checkpoint comment since 19 Nov"."""
    details: tuple[str, ...] = ()
    """What to do; may include a ready-to-fill template of missing sections."""


@dataclass(frozen=True)
class Reminder:
    """A tracker-neutral reminder comment; each connector renders it in its own markup
    (ADF, wiki, Markdown), escaping user text so it cannot trigger quick actions."""

    marker: str
    intro: str
    items: tuple[ReminderItem, ...]
    mention: Person | None = None
    outro: str = ""
    covers: tuple[tuple[str, str], ...] = ()
    """(rule, fingerprint) of the finding each item is about, in the order of ``items``:
    written into the comment's tag (``connectors.markers``) as its identity."""
    generation: int = 0
    """How many times these findings had been reminded about before this reminder."""

    def only(self, keep: set[tuple[str, str]]) -> Reminder:
        """The reminder naming only the findings in ``keep`` (items follow ``covers``)."""
        if len(self.items) != len(self.covers):
            return self
        pairs = [(i, c) for i, c in zip(self.items, self.covers, strict=True) if c in keep]
        return replace(self, items=tuple(i for i, _ in pairs), covers=tuple(c for _, c in pairs))

    def plain_text(self) -> str:
        lines = [f"@{self.mention.name} " + self.intro if self.mention else self.intro]
        for item in self.items:
            lines.append(f"- {item.title}")
            lines.extend(f"  {d}" for d in item.details)
        if self.outro:
            lines.append(self.outro)
        return "\n".join(lines)


@dataclass(frozen=True)
class Check:
    """One line of ``syncd doctor``."""

    name: str
    ok: bool
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    source: str
    request_counts: RequestCounts
    """Every HTTP request sent so far, by kind: what a cycle cost the tracker."""

    def sync(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        """Tasks changed since ``cursor`` (all in scope when None), complete with comments."""
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

    def doctor(self) -> list[Check]: ...

    def close(self) -> None: ...
