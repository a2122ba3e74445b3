"""The seed format (``syncd-seed/1``): one description of tracker content for every sandbox.

The format is specified in ``reference/seed-format.md`` (shared with the other projects).
``load_seed`` is the only loader: it is strict — an unknown key, a bad reference, a duplicate
task number, a second assignee on a Jira flavour, an in-progress task without ``started`` or
a done task without ``resolved`` raises ``SeedError`` naming the path (``tasks[3].started``)
and nothing is loaded. ``shift_seed`` moves a seed by whole weeks so a scenario written once
stays "current" (weekdays and times of day are kept, so checkpoint and due-date arithmetic
gives the same answers).

Stable tracker ids: a user's Jira Cloud ``accountId`` and GitLab numeric id are derived from
the user's position in ``users`` (``SeedUser.account_id`` / ``SeedUser.gitlab_id``), so the
same seed always yields the same ids.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from config.bounded_yaml import DocumentError, load_yaml, read_text
from connectors.sandbox.common.seed_parse import ParseError, parse_seed

__all__ = [
    "FORMAT",
    "Document",
    "Flavour",
    "Seed",
    "SeedComment",
    "SeedError",
    "SeedProject",
    "SeedTask",
    "SeedUser",
    "gc_paused",
    "load_seed",
    "shift_seed",
]

FORMAT = "syncd-seed/1"
MAX_SEED_BYTES = 1024 * 1024 * 1024
"""Generated benchmark seeds reach hundreds of MB; the bound only stops a wrong path
(``/dev/zero``, a FIFO) from being read forever."""
Flavour = Literal["jira-cloud", "jira-dc", "gitlab"]
Status = Literal["new", "in_progress", "done"]


class SeedError(ValueError):
    """A seed that breaks the format. ``path`` names the place (``tasks[3].started``);
    ``source`` the file, when the seed came from one."""

    def __init__(self, path: str, message: str, source: str | None = None) -> None:
        self.path = path
        self.source = source
        self.reason = message
        where = f"{source}: {path}" if source else path
        super().__init__(f"{where}: {message}" if path else f"{source or 'seed'}: {message}")


@dataclass(frozen=True)
class Document:
    """A description or comment body in up to three forms; missing forms derive from
    ``markdown`` (see ``docconv``)."""

    markdown: str | None = None
    wiki: str | None = None
    adf: dict[str, Any] | None = None

    def as_markdown(self) -> str:
        if self.markdown is not None:
            return self.markdown
        if self.wiki is not None:
            return self.wiki
        from connectors.sandbox.jira.markup import adf_to_text

        return adf_to_text(self.adf or {})

    def as_wiki(self) -> str:
        if self.wiki is not None:
            return self.wiki
        return self._derived_wiki

    def as_adf(self) -> dict[str, Any]:
        if self.adf is not None:
            return self.adf
        return self._derived_adf

    @cached_property
    def _derived_wiki(self) -> str:
        if self.markdown is None and self.adf is not None:
            from connectors.sandbox.jira.markup import adf_to_wiki

            return adf_to_wiki(self.adf)
        from connectors.sandbox.common.docconv import markdown_to_wiki

        return markdown_to_wiki(self.as_markdown())

    @cached_property
    def _derived_adf(self) -> dict[str, Any]:
        if self.markdown is None and self.wiki is not None:
            from connectors.sandbox.jira.markup import wiki_to_adf

            return wiki_to_adf(self.wiki)
        from connectors.sandbox.common.docconv import markdown_to_adf

        return markdown_to_adf(self.as_markdown())


@dataclass(frozen=True, slots=True)
class SeedUser:
    id: str
    name: str
    username: str
    email: str
    time_zone: str
    bot: bool = False
    token: str | None = None
    index: int = 0
    """Position in ``users`` (0-based): the source of the stable tracker ids."""

    @property
    def account_id(self) -> str:
        """Jira Cloud accountId: 24 hex digits like Atlassian's, stable per position."""
        digest = hashlib.sha1(f"syncd-seed-user-{self.index}".encode()).hexdigest()  # noqa: S324
        return "5f" + digest[:22]

    @property
    def locale(self) -> str:
        """Jira's user ``locale``: the seed has none, so a Moscow profile reads Russian
        (``ru_RU``) and every other one English (``en_US``) — stable for a given seed."""
        return "ru_RU" if self.time_zone.startswith("Europe/Moscow") else "en_US"

    @property
    def gitlab_id(self) -> int:
        """GitLab numeric user id (1 is GitLab's root; seed users start at 101)."""
        return 101 + self.index


@dataclass(frozen=True, slots=True)
class SeedProject:
    key: str
    name: str
    client: str


@dataclass(frozen=True, slots=True)
class SeedComment:
    author: str
    created: datetime
    body: Document
    internal: bool = False


@dataclass(frozen=True, slots=True)
class SeedTask:
    project: str
    number: int
    title: str
    type: str
    status: Status
    assignees: list[str]
    reporter: str
    priority: str | None
    labels: list[str]
    components: list[str]
    created: datetime
    updated: datetime
    started: datetime | None
    start_date: date | None
    due: date | None
    resolved: datetime | None
    description: Document | None
    comments: list[SeedComment] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.project}-{self.number}"


@dataclass(frozen=True)
class Seed:
    format: str
    now: datetime | None
    users: list[SeedUser]
    projects: list[SeedProject]
    tasks: list[SeedTask]

    @cached_property
    def _users(self) -> dict[str, SeedUser]:
        return {u.id: u for u in self.users}

    @cached_property
    def _projects(self) -> dict[str, SeedProject]:
        return {p.key: p for p in self.projects}

    def user(self, id: str) -> SeedUser:
        return self._users[id]

    def project(self, key: str) -> SeedProject:
        return self._projects[key]

    def project_lead(self, key: str) -> SeedUser | None:
        """The project's lead (Jira project lead, GitLab project creator). The seed names
        none, so it is the person who reported most of the project's tasks (ties: the
        earlier user in ``users``); a project without a person's task has no lead."""
        return self._project_leads.get(key)

    @cached_property
    def _project_leads(self) -> dict[str, SeedUser]:
        # One pass over the tasks for every project (a pass per project cost 0.6 s at
        # 100,000 tasks and 20 projects).
        counts: dict[str, dict[str, int]] = {}
        for task in self.tasks:
            per_reporter = counts.setdefault(task.project, {})
            per_reporter[task.reporter] = per_reporter.get(task.reporter, 0) + 1
        leads: dict[str, SeedUser] = {}
        for project, per_reporter in counts.items():
            people = [uid for uid in per_reporter if not self.user(uid).bot]
            if people:
                best = max(people, key=lambda uid: (per_reporter[uid], -self.user(uid).index))
                leads[project] = self.user(best)
        return leads

    def bot(self) -> SeedUser | None:
        """The first user marked ``bot`` (the daemon's account), if any."""
        return next((u for u in self.users if u.bot), None)


def load_seed(
    source: Path | str | Mapping[str, Any],
    *,
    flavour: Flavour | None = None,
    shift: bool = False,
    now: datetime | None = None,
) -> Seed:
    """Load and check a seed. ``source``: a file path (JSON, or YAML by suffix), JSON text
    (a string starting with ``{``), or already-parsed data. ``flavour`` adds that tracker's
    rules (Jira takes at most one assignee). ``shift`` moves the seed to ``now`` (default:
    the current time)."""
    name: str | None = None
    data: Any
    with gc_paused():
        # Only ``json.loads`` answers are known to hold nothing but JSON values (YAML has
        # dates; a caller's Mapping may hold tuples) and to be the loader's own.
        if isinstance(source, Mapping):
            data, from_json = source, False
        elif isinstance(source, str) and source.lstrip().startswith("{"):
            data, from_json = _decode_json(source, None), True
        else:
            path = Path(source)
            name = str(path)
            data, from_json = _read(path), not _is_yaml(path)
        try:
            raw = parse_seed(
                data,
                jira=flavour in ("jira-cloud", "jira-dc"),
                make_doc=Document,
                decoded_json=from_json,
            )
        except ParseError as exc:
            raise SeedError(exc.path, exc.reason, name) from None
        del data  # the checked copy is all that is needed from here on
        seed = Seed(
            format=FORMAT,
            now=raw.now,
            users=[SeedUser(**u) for u in raw.users],
            projects=[SeedProject(**p) for p in raw.projects],
            tasks=[_task(t) for t in raw.tasks],
        )
        del raw
        if shift:
            seed = shift_seed(seed, now or datetime.now(UTC))
    return seed


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while building millions of acyclic objects (a
    seed, a tracker's state from it): each collection would walk every object built so far,
    which cost more than the JSON parse itself (7 s instead of 1.5 s for 100,000 tasks).
    Nothing built here holds a cycle, so nothing is left for the collector to find; the
    state before is restored, so nested use is harmless.

    Switched back on, the collector would find everything built in its youngest generation
    and walk it in each generation in turn (2.5 s at 100,000 tasks). Freezing and unfreezing
    moves every object to the oldest generation without walking any (CPython's documented
    ``gc.unfreeze``), where it waits for the next full collection. Skipped when something
    else froze objects: unfreezing would hand those back too."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def _read(path: Path) -> Any:
    """The parsed content of a seed file (its text is dropped on return: for a generated
    seed that is hundreds of MB that the load no longer needs)."""
    name = str(path)
    try:
        text = read_text(path, what="seed file", limit=MAX_SEED_BYTES)
        # YAML within the same bounds as the policy file (aliases, depth).
        return load_yaml(text)[0] if _is_yaml(path) else _decode_json(text, name)
    except DocumentError as exc:
        reason = exc.message.replace("cannot read:", "cannot read seed file:")
        where = f"{name}:{exc.line}" if exc.line else name
        raise SeedError("", reason, where) from None


def _decode_json(text: str, name: str | None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SeedError("", f"not valid JSON: {exc}", name) from exc
    except RecursionError:
        raise SeedError("", "not valid JSON: nested too deeply", name) from None


def _task(t: dict[str, Any]) -> SeedTask:
    t["comments"] = [SeedComment(**c) for c in t["comments"]]
    return SeedTask(**t)


def shift_seed(seed: Seed, now: datetime) -> Seed:
    """Move every timestamp and date by the whole number of weeks that brings ``seed.now``
    closest to ``now``. A seed without ``now`` is anchored at its latest ``updated``."""
    anchor = seed.now or max((t.updated for t in seed.tasks), default=None)
    if anchor is None:
        return seed
    weeks = round((now - anchor) / timedelta(weeks=1))
    if weeks == 0:
        return seed
    d = timedelta(weeks=weeks)

    def ts(v: datetime | None) -> datetime | None:
        return None if v is None else v + d

    def day(v: date | None) -> date | None:
        return None if v is None else v + d

    tasks = [
        dataclasses.replace(
            t,
            created=t.created + d,
            updated=t.updated + d,
            started=ts(t.started),
            resolved=ts(t.resolved),
            start_date=day(t.start_date),
            due=day(t.due),
            comments=[dataclasses.replace(c, created=c.created + d) for c in t.comments],
        )
        for t in seed.tasks
    ]
    return Seed(
        format=seed.format,
        now=ts(seed.now),
        users=seed.users,
        projects=seed.projects,
        tasks=tasks,
    )
