"""The normalized task model: the only shapes rules, reconciliation and digests ever see,
and the tracker-neutral reminder comment they produce.

Connectors map tracker objects (``jira`` resources, ``python-gitlab`` objects) into these
at the boundary; nothing tracker-specific crosses it. The models are frozen pydantic models
so a snapshot stored in the state database round-trips exactly (``model_dump_json`` /
``model_validate_json``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Activity",
    "Comment",
    "Finding",
    "Person",
    "Reminder",
    "ReminderItem",
    "Section",
    "Severity",
    "StatusCategory",
    "Task",
    "fingerprint",
]


class StatusCategory(StrEnum):
    """The three status categories every tracker maps onto (Jira's statusCategory keys)."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Person(_Frozen):
    """A tracker user. ``id`` is the stable identity: Jira Cloud accountId, Jira DC user
    name/key, GitLab numeric id (as a string). E-mail is never used as identity because
    Jira Cloud hides it."""

    id: str
    name: str = ""
    username: str | None = None
    """What a mention needs: DC username, GitLab username; None on Jira Cloud."""


class Section(_Frozen):
    """A named part of a description, e.g. the Goal, recognised by an alias."""

    name: str
    """Canonical section name (``goal``, ``acceptance``, or a configured one)."""
    title: str
    """The heading or label as written in the description."""
    text: str
    """The section's content as plain text, one line per block/list item."""
    checklist_items: int = 0


class Comment(_Frozen):
    id: str
    author: Person
    created: datetime
    body: str
    """Plain text of the comment (ADF and wiki markup flattened)."""
    is_bot: bool = False
    """Written by syncd's own account or carrying syncd's marker: never counts as activity."""


class Activity(_Frozen):
    """A change of a field (any but ordering noise such as a board rank), from the Jira
    changelog or GitLab resource events and system notes; ``is_bot`` marks syncd's own."""

    author: Person | None
    at: datetime
    field: str
    is_bot: bool = False


class Task(_Frozen):
    source: str
    """Name of the configured source this task was read from."""
    key: str
    """Human key: ``SHOP-12`` on Jira, ``agency/shop#12`` on GitLab."""
    id: str
    """The tracker's immutable id (Jira issue id, GitLab global issue id)."""
    url: str
    project: str
    title: str
    description_text: str = ""
    description_format: str = "text"
    """``adf``, ``wiki``, ``markdown`` or ``text``: what the description was written in."""
    description_source: str = ""
    """The description as written, in ``description_format`` (ADF as JSON): what rules
    re-parse with other section aliases, since ``description_text`` has lost the markup.
    Empty in snapshots stored before it was kept."""
    sections: tuple[Section, ...] = ()
    status: str = ""
    status_category: StatusCategory = StatusCategory.NEW
    assignees: tuple[Person, ...] = ()
    reporter: Person | None = None
    priority: str | None = None
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    issue_type: str = "Task"
    created: datetime
    updated: datetime
    start: datetime | None = None
    """Start of the current spell of work: the first entry into in-progress after the task
    last left done; a start-date field wins unless the task was reopened after it; else
    None (rules fall back to created)."""
    due: date | None = None
    resolved: datetime | None = None
    comments: tuple[Comment, ...] = ()
    activity: tuple[Activity, ...] = ()
    tracker_fields: tuple[tuple[str, str], ...] = ()
    """The tracker's own values of what its connector compares on the next sync to tell
    what changed without reading the issue's notes and events again (GitLab: notes count,
    state, labels, due date, assignees, milestone, iteration, weight; title and
    description as hashes). Connector bookkeeping: rules and digests never read it."""

    @property
    def is_open(self) -> bool:
        return self.status_category is not StatusCategory.DONE

    @property
    def work_start(self) -> datetime:
        return self.start or self.created

    def section(self, name: str) -> Section | None:
        for section in self.sections:
            if section.name == name:
                return section
        return None


def fingerprint(*parts: object) -> str:
    """A short stable hash of what makes a finding the same finding across cycles."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return digest[:16]


class Finding(_Frozen):
    rule: str
    source: str
    task_key: str
    severity: Severity
    message: str
    """Human explanation, in English; reminders and digests localize from ``rule``/``data``."""
    fingerprint: str
    detected_at: datetime
    data: dict[str, str] = Field(default_factory=dict)
    """Rule-specific facts for templates, e.g. ``checkpoint_at``, ``missing``."""


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
