"""The sandbox Jira's state: issues, comments, changelogs and entity properties.

Built from a ``Seed`` and then changed by REST writes and ``/_sandbox/act``. Every change
goes through a method here, under one lock (the test thread may touch the store while
uvicorn serves from its own thread), and bumps ``updated`` as Jira does. Timestamps are
kept at millisecond precision, because that is what Jira shows: a connector comparing the
``updated`` it read with the one it stored must see the same value.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from connectors.sandbox.common.seed import Document, Seed, SeedTask, SeedUser, gc_paused

__all__ = ["STATUSES", "History", "JiraComment", "JiraIssue", "JiraStore", "StoreError", "ms"]

# status (seed) → (Jira status name, status id, category key, category id, category name)
STATUSES: dict[str, tuple[str, str, str, int, str]] = {
    "new": ("To Do", "10000", "new", 2, "To Do"),
    "in_progress": ("In Progress", "3", "indeterminate", 4, "In Progress"),
    "done": ("Done", "10001", "done", 3, "Done"),
}


def ms(moment: datetime) -> datetime:
    """Truncate to milliseconds (Jira's precision)."""
    micro = moment.microsecond
    if micro % 1000 == 0:  # already whole milliseconds (every seed timestamp in practice)
        return moment
    return moment.replace(microsecond=micro - micro % 1000)


class StoreError(LookupError):
    """An unknown issue, comment or user; the app answers 404 (or 400 for bad input)."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class JiraComment:
    id: int
    author: str
    created: datetime
    updated: datetime
    body: Document
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass
class History:
    """One changelog entry: ``items`` are (field, from, fromString, to, toString)."""

    id: int
    author: str
    created: datetime
    items: list[tuple[str, str | None, str | None, str | None, str | None]]


@dataclass
class JiraIssue:
    id: int
    project: str
    number: int
    summary: str
    type: str
    status: str
    assignee: str | None
    reporter: str
    priority: str | None
    labels: list[str]
    components: list[str]
    created: datetime
    updated: datetime
    resolved: datetime | None
    start_date: date | None
    due: date | None
    description: Document | None
    comments: list[JiraComment] = field(default_factory=list)
    changelog: list[History] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.project}-{self.number}"


Listener = Callable[[str, "JiraIssue", str, "JiraComment | History"], None]


class JiraStore:
    def __init__(self, seed: Seed, clock: Callable[[], datetime]) -> None:
        self.seed = seed
        self.clock = clock
        self.lock = threading.RLock()
        self.listener: Listener | None = None
        self.lag = timedelta(0)
        """Search lag (Cloud's eventual consistency): searches see issues as they were this
        long ago, unless reconciled. Zero = always consistent."""
        self._past: dict[int, list[tuple[datetime, JiraIssue]]] = {}
        """Told of every change (``comment_created`` / ``jira:issue_updated``): webhooks."""
        self.users: dict[str, SeedUser] = {u.id: u for u in seed.users}
        self.by_account = {u.account_id: u for u in seed.users}
        self.by_username = {u.username: u for u in seed.users}
        self.projects = {p.key: p for p in seed.projects}
        self.project_ids = {p.key: 10000 + i for i, p in enumerate(seed.projects)}
        clients = dict.fromkeys(p.client for p in seed.projects if p.client != p.name)
        self.category_ids = {name: 10000 + i for i, name in enumerate(clients)}
        """Project categories (the seed's clients), ids in order of first appearance."""
        lead = {p.key: seed.project_lead(p.key) for p in seed.projects}
        self.project_leads = {key: u.id for key, u in lead.items() if u is not None}
        self._next_comment = 10000
        self._next_history = 20000
        self.issues: list[JiraIssue] = []
        self.by_key: dict[str, JiraIssue] = {}
        self.by_id: dict[int, JiraIssue] = {}
        with gc_paused():  # hundreds of thousands of acyclic objects (see ``gc_paused``)
            for index, task in enumerate(seed.tasks):
                issue = self._from_seed(10001 + index, task)
                self.issues.append(issue)
                self.by_key[issue.key] = issue
                self.by_id[issue.id] = issue

    # ------------------------------------------------------------------ building

    def _from_seed(self, issue_id: int, t: SeedTask) -> JiraIssue:
        issue = JiraIssue(
            id=issue_id,
            project=t.project,
            number=t.number,
            summary=t.title,
            type=t.type,
            status=t.status,
            assignee=t.assignees[0] if t.assignees else None,
            reporter=t.reporter,
            priority=t.priority,
            labels=list(t.labels),
            components=list(t.components),
            created=ms(t.created),
            updated=ms(t.updated),
            resolved=ms(t.resolved) if t.resolved and t.status == "done" else None,
            start_date=t.start_date,
            due=t.due,
            description=t.description,
        )
        for c in t.comments:
            issue.comments.append(
                JiraComment(self._comment_id(), c.author, ms(c.created), ms(c.created), c.body)
            )
        actor = issue.assignee or issue.reporter
        if t.started is not None:
            issue.changelog.append(self._status_change(actor, ms(t.started), "new", "in_progress"))
        if t.resolved is not None and t.status == "done":
            before = "in_progress" if t.started is not None else "new"
            entry = self._status_change(actor, ms(t.resolved), before, "done")
            entry.items.append(("resolution", None, None, "10000", "Done"))
            issue.changelog.append(entry)
        issue.changelog.sort(key=lambda h: h.created)
        return issue

    def _comment_id(self) -> int:
        self._next_comment += 1
        return self._next_comment

    def _status_change(self, author: str, when: datetime, old: str, new: str) -> History:
        self._next_history += 1
        a, b = STATUSES[old], STATUSES[new]
        return History(self._next_history, author, when, [("status", a[1], a[0], b[1], b[0])])

    # ------------------------------------------------------------------ reading

    def issue(self, key_or_id: str) -> JiraIssue:
        found = (
            self.by_id.get(int(key_or_id))
            if key_or_id.isdigit()
            else self.by_key.get(key_or_id.upper())
        )
        if found is None:
            raise StoreError("Issue does not exist or you do not have permission to see it.")
        return found

    def comment(self, comment_id: str) -> tuple[JiraIssue, JiraComment]:
        if comment_id.isdigit():
            wanted = int(comment_id)
            for issue in self.issues:
                for c in issue.comments:
                    if c.id == wanted:
                        return issue, c
        raise StoreError(f"Can not find a comment for the id: {comment_id}.")

    def user_for(self, account_id: str | None = None, username: str | None = None) -> SeedUser:
        user = (
            self.by_account.get(account_id or "")
            if account_id
            else self.by_username.get(username or "")
        )
        if user is None:
            raise StoreError(f"User '{account_id or username}' does not exist.", status=400)
        return user

    def now(self) -> datetime:
        return ms(self.clock())

    # ------------------------------------------------------------------ writing

    def add_comment(
        self,
        issue: JiraIssue,
        author: str,
        body: Document,
        properties: dict[str, Any] | None = None,
    ) -> JiraComment:
        with self.lock:
            self._remember(issue)
            now = self.now()
            comment = JiraComment(
                self._comment_id(), author, now, now, body, dict(properties or {})
            )
            issue.comments.append(comment)
            issue.updated = now
        self._tell("comment_created", issue, author, comment)
        return comment

    def record(
        self,
        issue: JiraIssue,
        author: str,
        items: list[tuple[str, str | None, str | None, str | None, str | None]],
    ) -> None:
        """Add a changelog entry for a field change and bump ``updated`` (an edit that
        changes nothing changes nothing, as in Jira)."""
        if not items:
            return
        with self.lock:
            now = self.now()
            self._next_history += 1
            entry = History(self._next_history, author, now, items)
            issue.changelog.append(entry)
            issue.updated = now
        self._tell("jira:issue_updated", issue, author, entry)

    def transition(self, issue: JiraIssue, author: str, status: str) -> None:
        with self.lock:
            if status == issue.status:
                return
            self._remember(issue)
            now = self.now()
            entry = self._status_change(author, now, issue.status, status)
            if status == "done":
                entry.items.append(("resolution", None, None, "10000", "Done"))
                issue.resolved = now
            elif issue.status == "done":
                entry.items.append(("resolution", "10000", "Done", None, None))
                issue.resolved = None
            issue.status = status
            issue.changelog.append(entry)
            issue.updated = now
        self._tell("jira:issue_updated", issue, author, entry)

    def _remember(self, issue: JiraIssue) -> None:
        """Keep the state before a change while searches may still see it (lock held)."""
        if not self.lag:
            return
        now = self.now()
        past = [(t, s) for t, s in self._past.get(issue.id, []) if t >= now - self.lag]
        before = dataclasses.replace(
            issue,
            labels=list(issue.labels),
            components=list(issue.components),
            comments=list(issue.comments),
            changelog=list(issue.changelog),
            properties=dict(issue.properties),
        )
        past.append((now, before))
        self._past[issue.id] = past

    def as_seen(self, issue: JiraIssue, at: datetime) -> JiraIssue:
        """``issue`` as a lagging search sees it at ``at``: the state before the first
        change made after ``at``."""
        for changed_at, before in self._past.get(issue.id, ()):
            if changed_at > at:
                return before
        return issue

    def _tell(
        self, event: str, issue: JiraIssue, author: str, subject: JiraComment | History
    ) -> None:
        if self.listener is not None:
            self.listener(event, issue, author, subject)

    def set_fields(self, issue: JiraIssue, author: str, changes: dict[str, Any]) -> None:
        """Apply seed-format field values (``act`` and REST PUT both end here)."""
        with self.lock:
            items: list[tuple[str, str | None, str | None, str | None, str | None]] = []
            if any(getattr(issue, name) != value for name, value in changes.items()):
                self._remember(issue)
            for name, value in changes.items():
                old = getattr(issue, name)
                if old == value:
                    continue
                setattr(issue, name, value)
                items.append((_FIELD_NAMES.get(name, name), None, _text(old), None, _text(value)))
            self.record(issue, author, items)


_FIELD_NAMES = {
    "summary": "summary",
    "due": "duedate",
    "labels": "labels",
    "assignee": "assignee",
    "priority": "priority",
    "description": "description",
    "start_date": "Start date",
    "components": "Component",
    "type": "issuetype",
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, Document):
        return value.as_markdown()
    return str(value)
