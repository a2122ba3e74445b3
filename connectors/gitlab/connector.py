"""``GitLabConnector``: one GitLab project or group behind ``connectors.base.Connector``.

Reads: changed issues newest first with ``updated_after`` (see ``cursor``; keyset pages for
a project where GitLab has them, offsets otherwise), always with
``iterator=True`` and never ``page=`` (python-gitlab 8.6.0 re-requests a given page forever
with ``iterator=True``; a bare ``list()`` silently stops at one page), ``per_page=100``;
then, for those issues only, their notes (oldest first: GitLab's default is newest first)
and label/state events. Writes: a note carrying a hidden marker, looked for before posting,
within the note budget; labels through ``add_labels``/``remove_labels``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from gitlab.v4.objects import ProjectIssue
from pydantic import SecretStr

from config.policy import SourceConfig
from connectors.base import Check, Page, Reminder
from connectors.gitlab.budget import NoteBudget
from connectors.gitlab.cursor import Cursor, Poll
from connectors.gitlab.errors import gitlab_errors
from connectors.gitlab.mapping import GitLabContext, map_issue, project_path
from connectors.gitlab.render import has_marker, render_markdown
from connectors.gitlab.session import DEFAULT_TIMEOUT, RetryingSession, SyncdGitlab
from connectors.retry import RetryPolicy
from syncd.errors import ConfigError, FatalError
from syncd.logs import get_logger
from syncd.models import Person, Task

__all__ = ["PAGE_SIZE", "GitLabConnector"]

PAGE_SIZE = 100
_log = get_logger("syncd.connectors.gitlab")


class GitLabConnector:
    def __init__(
        self,
        config: SourceConfig,
        token: SecretStr,
        *,
        policy: RetryPolicy | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        budget_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if config.type != "gitlab":
            raise ConfigError(f"source {config.name!r} is not a GitLab source")
        if config.auth.kind not in ("private_token", "bearer"):
            raise ConfigError(
                f"source {config.name!r}: GitLab auth.kind must be private_token or bearer"
            )
        self.source = config.name
        self.config = config
        self.session = RetryingSession(policy or RetryPolicy(), timeout)
        secret = token.get_secret_value()
        private = secret if config.auth.kind == "private_token" else None
        self.gl = SyncdGitlab(
            config.url.rstrip("/"),
            private_token=private,
            oauth_token=None if private else secret,
            session=self.session,
            timeout=timeout[1] if isinstance(timeout, tuple) else timeout,
            retry_transient_errors=False,
            keep_base_url=True,  # follow paging links even if GitLab's external_url differs
        )
        self.budget = NoteBudget(config.notes_per_minute, source=self.source, clock=budget_clock)
        self._bot: Person | None = None
        self._keyset = True

    def __repr__(self) -> str:  # never the token
        return f"GitLabConnector(source={self.source!r}, url={self.config.url!r})"

    # -- plumbing ----------------------------------------------------------------------------
    def errors(self, operation: str) -> AbstractContextManager[None]:
        """Context manager: python-gitlab/requests failures → ``syncd.errors``."""
        return gitlab_errors(operation, self.source, lambda: self.session.last_headers)

    def _context(self) -> GitLabContext:
        return GitLabContext(self.source, self.bot().id, self.config.doing_labels)

    def _issue_ref(self, key: str) -> tuple[str, int]:
        path, _, iid = key.rpartition("#")
        if not path or not iid.isdigit():
            raise FatalError(
                f"not a GitLab task key: {key!r} (expected group/project#iid)", source=self.source
            )
        return path, int(iid)

    def _in_scope(self, path: str) -> bool:
        scope = self.config.scope
        if scope.project:
            return scope.project.isdigit() or scope.project == path
        group = str(scope.group)
        return group.isdigit() or path.startswith(group + "/")

    def _lazy_issue(self, project: str | int, iid: int) -> ProjectIssue:
        return self.gl.projects.get(project, lazy=True).issues.get(iid, lazy=True)

    def _all(self, listing_of: Callable[[], Any], operation: str) -> list[dict[str, Any]]:
        """Every item of a python-gitlab iterator listing, as dicts (errors mapped)."""
        with self.errors(operation):
            return [item.attributes for item in listing_of()]

    def _task(self, issue: dict[str, Any]) -> Task:
        lazy = self._lazy_issue(issue["project_id"], issue["iid"])
        key = f"{project_path(issue)}#{issue['iid']}"
        notes = self._all(
            lambda: lazy.notes.list(
                iterator=True, per_page=PAGE_SIZE, sort="asc", order_by="created_at"
            ),
            f"list notes of {key}",
        )
        labels = self._all(
            lambda: lazy.resourcelabelevents.list(iterator=True, per_page=PAGE_SIZE),
            f"list label events of {key}",
        )
        states = self._all(
            lambda: lazy.resourcestateevents.list(iterator=True, per_page=PAGE_SIZE),
            f"list state events of {key}",
        )
        return map_issue(issue, notes, labels, states, self._context())

    # -- reads -------------------------------------------------------------------------------
    def sync(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        start = Cursor.from_dict(cursor, source=self.source)
        poll = Poll(start)
        spent = self.session.attempts
        batch: list[Task] = []
        for item in self._changed_issues(start):
            raw = item.attributes
            try:
                fresh = poll.is_new(str(raw["id"]), str(raw["updated_at"]))
            except (KeyError, ValueError) as exc:
                _log.warning(
                    "gitlab issue skipped", source=self.source, issue=raw.get("id"), error=repr(exc)
                )
                continue
            if not fresh:
                continue
            task = self._map_safely(raw)
            if task is not None:
                batch.append(task)
            if len(batch) == PAGE_SIZE:
                yield Page(batch, start.to_dict(), self.session.attempts - spent)
                batch, spent = [], self.session.attempts
        yield Page(batch, poll.final().to_dict(), self.session.attempts - spent)

    def _changed_issues(self, start: Cursor) -> Iterator[Any]:
        """Issues updated since ``start``, newest first (see ``cursor``). A project's issues
        page by keyset where GitLab offers it (18.3+: no 50,000-offset limit, stable while
        issues change); older GitLab ignores the parameter, and a 405 falls back to offsets."""
        scope = self.config.scope
        query: dict[str, Any] = {"order_by": "updated_at", "sort": "desc", "per_page": PAGE_SIZE}
        if start.updated_after:
            query["updated_after"] = start.updated_after
        if scope.project:
            owner: Any = self.gl.projects.get(scope.project, lazy=True)
            if self._keyset:
                query["pagination"] = "keyset"
        else:
            owner = self.gl.groups.get(str(scope.group), lazy=True)
        try:
            with self.errors("list issues"):
                listing = iter(owner.issues.list(iterator=True, **query))
        except FatalError as exc:
            if exc.status != 405 or "pagination" not in query:
                raise
            _log.info("gitlab keyset paging refused; using offsets", source=self.source)
            self._keyset = False
            yield from self._changed_issues(start)
            return
        while True:
            with self.errors("list issues"):
                item = next(listing, None)
            if item is None:
                return
            yield item

    def _map_safely(self, raw: dict[str, Any]) -> Task | None:
        """A malformed issue is reported with its key and skipped; the others go on."""
        key = str((raw.get("references") or {}).get("full") or raw.get("id"))
        try:
            return self._task(raw)
        except FatalError as exc:
            if exc.status == 404:  # deleted or moved while we read it
                _log.warning("gitlab issue vanished during sync", source=self.source, key=key)
                return None
            raise
        except (KeyError, TypeError, ValueError) as exc:
            _log.warning("gitlab issue skipped", source=self.source, key=key, error=repr(exc))
            return None

    def fetch_task(self, key: str) -> Task | None:
        path, iid = self._issue_ref(key)
        if not self._in_scope(path):
            return None
        try:
            with self.errors(f"get {key}"):
                issue = self.gl.projects.get(path, lazy=True).issues.get(iid).attributes
        except FatalError as exc:
            if exc.status == 404:
                return None
            raise
        scope = self.config.scope
        if scope.project and scope.project.isdigit() and str(issue["project_id"]) != scope.project:
            return None
        return self._task(issue)

    def bot(self) -> Person:
        if self._bot is None:
            with self.errors("get current user"):
                self.gl.auth()
            user = self.gl.user
            assert user is not None
            self._bot = Person(id=str(user.id), name=user.name, username=user.username)
        return self._bot

    # -- writes ------------------------------------------------------------------------------
    def find_marker(self, task_key: str, marker: str) -> str | None:
        path, iid = self._issue_ref(task_key)
        bot_id = self.bot().id
        notes = self._all(
            lambda: self._lazy_issue(path, iid).notes.list(
                iterator=True, per_page=PAGE_SIZE, sort="asc", order_by="created_at"
            ),
            f"list notes of {task_key}",
        )
        for note in notes:
            author = str((note.get("author") or {}).get("id"))
            if (
                not note.get("system")
                and author == bot_id
                and has_marker(str(note.get("body")), marker)
            ):
                return str(note["id"])
        return None

    def post_reminder(self, task_key: str, reminder: Reminder) -> str:
        """Looks for the marker first; never retried here (a lost answer is found by the
        marker next time). The note budget is spent before the POST goes out."""
        try:
            body = render_markdown(reminder)
        except ValueError as exc:
            raise FatalError(
                f"cannot render reminder for {task_key}: {exc}", source=self.source
            ) from None
        existing = self.find_marker(task_key, reminder.marker)
        if existing is not None:
            return existing
        path, iid = self._issue_ref(task_key)
        self.budget.spend()
        with self.errors(f"create note on {task_key}"):
            created = self._lazy_issue(path, iid).notes.create({"body": body})
        note_id = created.attributes.get("id")
        if note_id is None:  # 202: GitLab ran quick actions and created no note
            raise FatalError(
                f"GitLab created no note on {task_key}: the body was taken as quick actions "
                f"({created.attributes.get('summary')})",
                source=self.source,
                status=202,
            )
        return str(note_id)

    def set_labels(self, task_key: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        if not add and not remove:
            return
        path, iid = self._issue_ref(task_key)
        data = {"add_labels": ",".join(add), "remove_labels": ",".join(remove)}
        with self.errors(f"set labels on {task_key}"):
            self.gl.projects.get(path, lazy=True).issues.update(iid, data)

    def doctor(self) -> list[Check]:
        from connectors.gitlab.doctor import run_doctor

        return run_doctor(self)

    def close(self) -> None:
        self.session.close()
