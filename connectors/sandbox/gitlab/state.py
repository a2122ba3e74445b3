"""The sandbox GitLab's data: users, the ``agency`` group, projects, issues, notes and the
resource events GitLab records, built from a seed (``seed-format.md``).

Seed mapping (what a seed task becomes on GitLab):
- project ``KEY`` → ``agency/<key lowercased>``; task ``number`` → the issue ``iid``;
- ``type`` (unless ``Task``) → scoped label ``type::<type lowercased>``; ``priority`` →
  ``priority::<lowercased>``; each component → ``component::<name>``;
- ``in_progress`` → opened with label ``Doing``, added by a label event at ``started``;
- ``done`` → closed at ``resolved`` (a ``closed`` state event), and if the task had started,
  ``Doing`` added at ``started`` and removed at ``resolved``;
- ``new`` with a ``started`` (work began, then went back to the backlog) → ``Doing`` added at
  ``started`` and removed at ``updated``.

Ids: users take ``SeedUser.gitlab_id``; the group, projects, issues, notes and events take
ids from separate ranges so a test mixing them up fails instead of passing by accident.
Writes (``gitlab_writes``) bump ``updated_at`` strictly, so (id, updated_at) always changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from connectors.sandbox.common.seed import Seed, SeedTask

__all__ = [
    "DOING",
    "GROUP_ID",
    "GROUP_PATH",
    "GitLabState",
    "Issue",
    "Label",
    "LabelEvent",
    "Note",
    "Project",
    "StateEvent",
    "User",
    "WeightEvent",
    "seed_labels",
]

GROUP_ID = 9
GROUP_PATH = "agency"
DOING = "Doing"
_PALETTE = ("#6699cc", "#009966", "#cc338b", "#ed9121", "#8fbc8f", "#dc143c", "#5843ad")


@dataclass
class User:
    id: int
    name: str
    username: str
    email: str
    token: str | None
    bot: bool
    created_at: datetime


@dataclass
class Project:
    id: int
    key: str
    name: str
    client: str

    @property
    def path(self) -> str:
        return self.key.lower()

    @property
    def full_path(self) -> str:
        return f"{GROUP_PATH}/{self.path}"


@dataclass
class Label:
    id: int
    name: str
    color: str
    description: str = ""


@dataclass
class Note:
    id: int
    author_id: int
    body: str
    created_at: datetime
    updated_at: datetime
    system: bool = False
    internal: bool = False
    hidden: bool = False
    """Unreadable to API users (GitLab filters such notes after paging: short pages)."""


@dataclass
class LabelEvent:
    id: int
    user_id: int
    created_at: datetime
    label_id: int
    action: str  # "add" | "remove"


@dataclass
class StateEvent:
    id: int
    user_id: int
    created_at: datetime
    state: str  # "closed" | "reopened"


@dataclass
class WeightEvent:
    """A change of the issue's weight (GitLab Premium): ``weight`` None = removed."""

    id: int
    user_id: int
    created_at: datetime
    weight: int | None


@dataclass
class Issue:
    id: int
    iid: int
    project_id: int
    title: str
    description: str | None
    author_id: int
    created_at: datetime
    updated_at: datetime
    state: str = "opened"
    closed_at: datetime | None = None
    closed_by_id: int | None = None
    labels: list[str] = field(default_factory=list)
    assignee_ids: list[int] = field(default_factory=list)
    due_date: date | None = None
    notes: list[Note] = field(default_factory=list)
    label_events: list[LabelEvent] = field(default_factory=list)
    state_events: list[StateEvent] = field(default_factory=list)
    weight: int | None = None
    weight_events: list[WeightEvent] = field(default_factory=list)


def seed_labels(task: SeedTask) -> list[str]:
    """The GitLab labels a seed task carries (scoped labels for type/priority/component)."""
    labels = list(task.labels)
    if task.type and task.type != "Task":
        labels.append(f"type::{task.type.lower()}")
    if task.priority:
        labels.append(f"priority::{task.priority.lower()}")
    labels.extend(f"component::{c}" for c in task.components)
    if task.status == "in_progress":
        labels.append(DOING)
    return labels


class GitLabState:
    """Everything the sandbox serves. Guard mutations with ``lock`` (the server thread and a
    test thread may both touch it)."""

    def __init__(self, seed: Seed, now: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self._now = now or (lambda: datetime.now(UTC))
        self._next = {"issue": 1001, "note": 5001, "label": 301, "event": 7001}
        self.users: dict[int, User] = {}
        self.users_by_seed: dict[str, User] = {}
        self.projects: dict[int, Project] = {}
        self.labels: dict[str, Label] = {}
        self.issues: dict[tuple[int, int], Issue] = {}
        epoch = min((t.created for t in seed.tasks), default=self._now()) - timedelta(days=30)
        for su in seed.users:
            user = User(su.gitlab_id, su.name, su.username, su.email, su.token, su.bot, epoch)
            self.users[user.id] = user
            self.users_by_seed[su.id] = user
        for i, sp in enumerate(seed.projects):
            project = Project(201 + i, sp.key, sp.name, sp.client)
            self.projects[project.id] = project
        for task in seed.tasks:
            self._load_task(task)

    # -- ids, time, lookups ---------------------------------------------------------------
    def new_id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    def now(self) -> datetime:
        return self._now().astimezone(UTC)

    def tick(self, issue: Issue) -> datetime:
        """A write's moment: now, but always after the issue's last ``updated_at``."""
        moment = self.now()
        if moment <= issue.updated_at:
            moment = issue.updated_at + timedelta(milliseconds=1)
        return moment

    def label(self, name: str) -> Label:
        found = self.labels.get(name)
        if found is None:
            label_id = self.new_id("label")
            found = Label(label_id, name, _PALETTE[label_id % len(_PALETTE)])
            self.labels[name] = found
        return found

    def user_by_token(self, token: str) -> User | None:
        return next((u for u in self.users.values() if u.token and u.token == token), None)

    def user_by_username(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username == username), None)

    def project(self, ref: str) -> Project | None:
        """By numeric id or full path (``agency/shop``), as GitLab's ``:id`` accepts both."""
        if ref.isdigit():
            return self.projects.get(int(ref))
        return next((p for p in self.projects.values() if p.full_path == ref), None)

    def project_by_key(self, key: str) -> Project | None:
        return next((p for p in self.projects.values() if p.key == key), None)

    def project_issues(self, project_id: int) -> list[Issue]:
        return [i for (pid, _), i in self.issues.items() if pid == project_id]

    def all_issues(self) -> list[Issue]:
        return list(self.issues.values())

    # -- seeding ---------------------------------------------------------------------------
    def _load_task(self, task: SeedTask) -> None:
        project = self.project_by_key(task.project)
        assert project is not None  # the seed loader checked the reference
        author = self.users_by_seed[task.reporter]
        actor = self.users_by_seed[task.assignees[0]] if task.assignees else author
        utc = UTC
        issue = Issue(
            id=self.new_id("issue"),
            iid=task.number,
            project_id=project.id,
            title=task.title,
            description=task.description.as_markdown() if task.description else None,
            author_id=author.id,
            created_at=task.created.astimezone(utc),
            updated_at=task.updated.astimezone(utc),
            labels=seed_labels(task),
            assignee_ids=[self.users_by_seed[a].id for a in task.assignees],
            due_date=task.due,
        )
        for name in issue.labels:
            self.label(name)
        if task.started is not None:
            doing = self.label(DOING)
            issue.label_events.append(
                LabelEvent(
                    self.new_id("event"), actor.id, task.started.astimezone(utc), doing.id, "add"
                )
            )
        if task.status == "new" and task.started is not None:  # started, then moved back
            issue.label_events.append(
                LabelEvent(
                    self.new_id("event"), actor.id, issue.updated_at, self.label(DOING).id, "remove"
                )
            )
        if task.status == "done" and task.resolved is not None:
            resolved = task.resolved.astimezone(utc)
            if task.started is not None:
                issue.label_events.append(
                    LabelEvent(
                        self.new_id("event"), actor.id, resolved, self.label(DOING).id, "remove"
                    )
                )
            issue.state_events.append(
                StateEvent(self.new_id("event"), actor.id, resolved, "closed")
            )
            issue.state, issue.closed_at, issue.closed_by_id = "closed", resolved, actor.id
        for comment in task.comments:
            created = comment.created.astimezone(utc)
            issue.notes.append(
                Note(
                    id=self.new_id("note"),
                    author_id=self.users_by_seed[comment.author].id,
                    body=comment.body.as_markdown(),
                    created_at=created,
                    updated_at=created,
                    internal=comment.internal,
                )
            )
        self.issues[(project.id, issue.iid)] = issue
