"""``GitLabConnector``: one GitLab project or group behind ``connectors.base.Connector``.

Reads: changed issues newest first with ``updated_after`` (see ``cursor``; keyset pages for
a project where GitLab has them, offsets otherwise), always with
``iterator=True`` and never ``page=`` (python-gitlab 8.6.0 re-requests a given page forever
with ``iterator=True``; a bare ``list()`` silently stops at one page), ``per_page=100``;
then, for those issues only and only what can have changed since the stored snapshot
(``reads``), their notes (oldest first: GitLab's default is newest first) and label/state/
milestone/iteration/weight events (what a person changed: ``mapping``). The notes of the
issues of one listing page come in one GraphQL request (``graphql``) where GitLab answers
it, one REST read per issue otherwise.
One issue that cannot be read or mapped is logged with its key and
kept in the cursor's retry list (``connectors.http.reread_keys``); it never stops the others.
Writes: a note carrying a hidden marker within the note budget (the caller looks for the
marker first, per the contract); labels through ``add_labels``/``remove_labels``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import requests
from gitlab.v4.objects import ProjectIssue
from pydantic import SecretStr

from config.policy import SourceConfig
from connectors.base import DoctorCheck, Page, PostedReminder, Previous
from connectors.gitlab import writes
from connectors.gitlab.budget import NoteBudget
from connectors.gitlab.cursor import Cursor, Poll
from connectors.gitlab.errors import gitlab_errors
from connectors.gitlab.graphql import GraphQLFailed, GraphQLUnavailable, IssueRef, read_notes
from connectors.gitlab.mapping import GitLabContext, map_issue, project_path
from connectors.gitlab.reads import (
    OwnWrites,
    Plan,
    merge_activity,
    plan_reads,
    start_after,
    tracked,
)
from connectors.gitlab.session import DEFAULT_TIMEOUT, RetryingSession, SyncdGitlab
from connectors.http.reread_keys import ISSUE_ERRORS, SOURCE_ERRORS, Skip, log_skipped, skip_of
from connectors.http.retry import RetryPolicy
from connectors.http.tracker_clock import TrackerClock
from connectors.keys import shown_key, split_gitlab_key
from connectors.request_counts import RequestCounts
from connectors.text_sanitize import clean_text
from rules.documents.sections import merge_aliases
from syncd.core.errors import AuthError, ConfigError, ConnectorError, FatalError
from syncd.core.logs import get_logger
from syncd.core.models import Person, Reminder, Task
from syncd.core.secrets_mask import mask_secrets, register_secret

__all__ = ["FIELD_EVENTS", "GRAPHQL_MIN_ISSUES", "PAGE_SIZE", "GitLabConnector"]

PAGE_SIZE = 100
GRAPHQL_MIN_ISSUES = 2
"""A listing page's notes come over GraphQL when at least this many of its issues need
them: for one issue a REST read costs the same one request."""
GRAPHQL_FAILURES = 3
"""Passing GraphQL failures in a row (throttle, 5xx, connection) that count as no GraphQL."""
FIELD_EVENTS = (
    ("milestone", "resourcemilestoneevents"),
    ("iteration", "resource_iteration_events"),
    ("weight", "resource_weight_events"),
)
"""``Activity.field`` → python-gitlab's manager of that field's resource events (labels
and state have their own roles: status and the start of work)."""
PREMIUM_EVENTS = frozenset({"resource_iteration_events", "resource_weight_events"})
_EVENT_NAMES = {
    "resourcelabelevents": "label events",
    "resourcestateevents": "state events",
    "resourcemilestoneevents": "milestone events",
    "resource_iteration_events": "iteration events",
    "resource_weight_events": "weight events",
}
"""python-gitlab's manager → what an error message calls those events."""
_log = get_logger("syncd.connectors.gitlab")


class GitLabConnector:
    def __init__(
        self,
        config: SourceConfig,
        token: SecretStr,
        *,
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """The shape every connector's constructor has (``connectors.base``): the source,
        its token, then ``retry`` and ``timeout``; ``clock``: the monotonic clock the note
        budget (``notes_per_minute``) counts with."""
        if config.type != "gitlab":
            raise ConfigError(f"source {config.name!r} is not a GitLab source")
        if config.auth.kind not in ("private_token", "bearer"):
            raise ConfigError(
                f"source {config.name!r}: GitLab auth.kind must be private_token or bearer"
            )
        self.source = config.name
        self.config = config
        self.request_counts = RequestCounts()  # every request sent, by kind
        self.session = RetryingSession(retry or RetryPolicy(), timeout, self.request_counts)
        self.tracker_clock = TrackerClock()  # GitLab's time, from its answers' Date
        self.tracker_clock.attach(self.session)
        secret = token.get_secret_value()
        register_secret(secret)  # error pages quoting PRIVATE-TOKEN are masked
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
        self.budget = NoteBudget(config.notes_per_minute, source=self.source, clock=clock)
        self._bot: Person | None = None
        self._keyset = True
        self._group_path: str | None = None
        self._no_events: set[str] = set()
        self.own = OwnWrites()
        """Notes and labels this connector wrote: not read back as changes (``reads``)."""
        self._projects: dict[int, tuple[str | None, str | None]] = {}
        self.aliases = merge_aliases(config.section_aliases)
        self._skips: list[Skip] = []  # since the last page yielded (``Page.skipped``)
        self.graphql_notes = True
        """Read a page's notes over GraphQL; False after GitLab showed it cannot (logged
        once), or set by a caller to read them over REST only."""
        self._graphql_failures = 0
        self._graphql_url = f"{config.url.rstrip('/')}/api/graphql"
        header = "PRIVATE-TOKEN" if private else "Authorization"
        value = secret if private else f"Bearer {secret}"
        self._graphql_auth: Callable[[], dict[str, str]] = lambda: {header: value}

    def __repr__(self) -> str:  # never the token
        return f"GitLabConnector(source={self.source!r}, url={self.config.url!r})"

    # -- plumbing ----------------------------------------------------------------------------
    def errors(self, operation: str) -> AbstractContextManager[None]:
        """Context manager: python-gitlab/requests failures → ``syncd.core.errors``."""
        return gitlab_errors(operation, self.source, lambda: self.session.last_headers)

    def _context(self) -> GitLabContext:
        return GitLabContext(self.source, self.bot().id, self.config.doing_labels, self.aliases)

    def _issue_ref(self, key: str) -> tuple[str, int]:
        # Checked before any request: the key may come from a webhook body.
        ref = split_gitlab_key(key)
        if ref is None:
            raise FatalError(
                f"not a GitLab task key: {shown_key(key)} (expected group/project#iid)",
                source=self.source,
            )
        return ref

    def _in_scope(self, path: str) -> bool:
        """Whether ``group/project`` lies in the configured scope (a numeric project id is
        checked against the issue's ``project_id`` once it is read)."""
        scope = self.config.scope
        if scope.project:
            return scope.project.isdigit() or scope.project.lower() == path.lower()
        return path.lower().startswith(self.group_path().lower() + "/")

    def group_path(self) -> str:
        """The scope group's ``full_path``; a numeric id is resolved once (one request)."""
        if self._group_path is None:
            group = str(self.config.scope.group)
            if group.isdigit():
                with self.errors(f"get group {group}"):
                    group = str(self.gl.groups.get(group).attributes["full_path"])
            self._group_path = group.strip("/")
        return self._group_path

    def _lazy_issue(self, project: str | int, iid: int) -> ProjectIssue:
        return self.gl.projects.get(project, lazy=True).issues.get(iid, lazy=True)

    def _all(self, listing_of: Callable[[], Any], operation: str) -> list[dict[str, Any]]:
        """Every item of a python-gitlab iterator listing, as dicts (errors mapped)."""
        with self.errors(operation):
            return [item.attributes for item in listing_of()]

    def _notes(self, project: int | str, iid: int, key: str) -> list[dict[str, Any]]:
        """Every note of an issue, oldest first (GitLab's default is newest first)."""
        lazy = self._lazy_issue(project, iid)
        return self._all(
            lambda: lazy.notes.list(
                iterator=True, per_page=PAGE_SIZE, sort="asc", order_by="created_at"
            ),
            f"list notes of {key}",
        )

    def _plan(self, issue: dict[str, Any], prev: Task | None, *, everything: bool) -> Plan:
        """What to read of ``issue`` (``reads.plan_reads``); ``everything``: all of it."""
        if everything:
            fields = tuple(f for f, _ in FIELD_EVENTS if tracked(issue)[f])
            return Plan(full=True, notes=True, labels=True, states=True, fields=fields)
        key = f"{project_path(issue)}#{issue['iid']}"
        return plan_reads(
            issue, prev, self.own, key, doing=self.config.doing_labels, bot=self.bot()
        )

    def _task(
        self,
        issue: dict[str, Any],
        prev: Task | None,
        *,
        everything: bool = False,
        plan: Plan | None = None,
        notes_read: list[dict[str, Any]] | None = None,
    ) -> Task:
        """The issue with what ``reads.plan_reads`` says can have changed since ``prev``
        (the stored snapshot) read; ``everything``: read it all (a re-read by key).
        ``plan``: already made; ``notes_read``: the issue's notes, already read (GraphQL)."""
        key = f"{project_path(issue)}#{issue['iid']}"
        if plan is None:
            plan = self._plan(issue, prev, everything=everything)
        lazy = self._lazy_issue(issue["project_id"], issue["iid"])
        if not plan.notes:
            notes = list(plan.own_notes)
        elif notes_read is not None:
            notes = notes_read
        else:
            notes = self._notes(issue["project_id"], issue["iid"], key)
        labels = self._events(lazy, "resourcelabelevents", key) if plan.labels else []
        states = self._events(lazy, "resourcestateevents", key) if plan.states else []
        others = {
            name: self._events(lazy, manager, key)
            for name, manager in FIELD_EVENTS
            if name in plan.fields and manager not in self._no_events
        }
        task = map_issue(issue, notes, labels, states, self._context(), field_events=others)
        self.own.forget(key)
        start = task.start
        if not plan.full:
            start = prev.start if prev is not None else None
            if plan.start_from_labels and prev is not None:
                start = start_after(labels, self.config.doing_labels, prev.updated)
        comments = task.comments
        if prev is not None and not plan.notes:
            ids = {c.id for c in prev.comments}
            comments = prev.comments + tuple(c for c in task.comments if c.id not in ids)
        stored = prev.activity if prev is not None else ()
        activity = merge_activity(stored, task.activity, plan.inferred, plan.sources)
        name, subgroup = self._project_facts(int(issue["project_id"]))
        return task.model_copy(
            update={
                "project_name": name,
                "project_category": subgroup,
                "comments": comments,
                "activity": activity,
                "start": start,
                "tracker_fields": tuple(sorted(tracked(issue).items())),
            }
        )

    def _project_facts(self, project_id: int) -> tuple[str | None, str | None]:
        """The project's name and the subgroup holding it (the client, in agencies that
        keep a subgroup per client): read once per project and kept, never per issue. A
        project directly in a top-level group or user namespace, or directly in the scope
        group, has no subgroup that tells clients apart."""
        if project_id not in self._projects:
            try:
                with self.errors(f"get project {project_id}"):
                    attrs = self.gl.projects.get(project_id).attributes
            except SOURCE_ERRORS:
                raise
            except ConnectorError as exc:  # only the digest's grouping is lost: go on
                _log.warning("gitlab project unreadable", source=self.source, error=str(exc))
                if not isinstance(exc, FatalError | AuthError):
                    return None, None  # a passing outage: asked again for the next issue
                attrs = {}
            self._projects[project_id] = (
                _text(attrs.get("name")),
                self._subgroup_name(attrs.get("namespace")),
            )
        return self._projects[project_id]

    def _subgroup_name(self, namespace: Any) -> str | None:
        if not isinstance(namespace, dict) or namespace.get("kind") != "group":
            return None
        if namespace.get("parent_id") is None:  # a top-level group: the agency itself
            return None
        path = str(namespace.get("full_path") or "").strip("/").lower()
        if self.config.scope.group and path == self.group_path().lower():
            return None
        return _text(namespace.get("name"))

    def _events(self, lazy: ProjectIssue, manager: str, key: str) -> list[dict[str, Any]]:
        """One kind of resource event. Iteration and weight events are GitLab Premium: an
        instance without them answers 404 (or 403); that is remembered, so a Free instance
        pays for the question once, not once per issue."""
        try:
            return self._all(
                lambda: getattr(lazy, manager).list(iterator=True, per_page=PAGE_SIZE),
                f"list {_EVENT_NAMES.get(manager, manager)} of {key}",
            )
        except (FatalError, AuthError) as exc:
            if manager not in PREMIUM_EVENTS or exc.status not in (403, 404):
                raise
            _log.info("gitlab events not offered", source=self.source, events=manager)
            self._no_events.add(manager)
            return []

    # -- reads -------------------------------------------------------------------------------
    def sync(
        self, cursor: dict[str, Any] | None, previous: Previous | None = None
    ) -> Iterator[Page]:
        self._skips = []  # what an aborted earlier sync had noted was never yielded
        start = Cursor.from_dict(cursor, source=self.source)
        poll = Poll(start)
        spent = self.session.attempts
        batch: list[Task] = self._retry_failed(poll)
        pending: list[tuple[dict[str, Any], str]] = []
        self.tracker_clock.latest = None
        for item in self._changed_issues(start):
            if poll.limit is None:  # GitLab's time at its first listing answer
                poll.limit = self.tracker_clock.after_latest()
            raw = item.attributes
            try:
                fresh = poll.is_new(str(raw["id"]), str(raw["updated_at"]))
            except (KeyError, ValueError) as exc:
                _log.warning(
                    "issue skipped", source=self.source, issue=raw.get("id"), error=repr(exc)
                )
                self._skips.append(skip_of(self._key_of(raw), exc))
                continue
            if not fresh:
                continue
            pending.append((raw, self._key_of(raw)))
            if len(pending) >= PAGE_SIZE:  # one listing page: one look-up in the store
                batch += self._map_pending(pending, previous, poll)
                pending = []
                yield Page(batch, start.to_dict(), self.session.attempts - spent, self._drain())
                batch, spent = [], self.session.attempts
        batch += self._map_pending(pending, previous, poll)
        yield Page(batch, poll.final().to_dict(), self.session.attempts - spent, self._drain())

    def _drain(self) -> tuple[Skip, ...]:
        skipped, self._skips = tuple(self._skips), []
        return skipped

    def _map_pending(
        self, pending: list[tuple[dict[str, Any], str]], previous: Previous | None, poll: Poll
    ) -> list[Task]:
        stored = previous([key for _, key in pending]) if previous and pending else {}
        planned: list[tuple[dict[str, Any], str, Plan]] = []
        for raw, key in pending:
            try:
                planned.append((raw, key, self._plan(raw, stored.get(key), everything=False)))
            except SOURCE_ERRORS:
                raise
            except (ConnectorError, *ISSUE_ERRORS) as exc:
                self._skipped(key, exc, poll.retry.failed(key))
        notes = self._graphql_notes([raw for raw, _, plan in planned if plan.notes])
        tasks = []
        for raw, key, plan in planned:
            ref = _issue_ref_of(raw)
            read = notes.get(ref) if ref is not None else None
            task = self._map_safely(raw, key, poll, stored.get(key), plan=plan, notes_read=read)
            if task is not None:
                poll.retry.succeeded(key)
                tasks.append(task)
        return tasks

    def _graphql_notes(self, issues: list[dict[str, Any]]) -> dict[IssueRef, list[dict[str, Any]]]:
        """The notes of ``issues`` in one GraphQL request (a few for a group's many
        projects), or what part of them GitLab gave; the rest are read over REST. A GitLab
        without a usable GraphQL API is told once in the log and not asked again."""
        refs = [ref for ref in map(_issue_ref_of, issues) if ref is not None]
        if not self.graphql_notes or len(refs) < GRAPHQL_MIN_ISSUES:
            return {}
        try:
            found = read_notes(self._post_graphql, refs)
        except GraphQLFailed as exc:
            _log.info("gitlab graphql failed; notes over REST", source=self.source, error=str(exc))
            self._graphql_failed(f"{GRAPHQL_FAILURES} failures in a row, the last {exc}")
        except (GraphQLUnavailable, *ISSUE_ERRORS) as exc:
            self._graphql_failures = GRAPHQL_FAILURES - 1  # no use asking again
            self._graphql_failed(str(exc) or type(exc).__name__)
        else:
            if found:
                self._graphql_failures = 0
                return found
            # Not one issue asked about came back: projects GraphQL does not show this
            # token, or another API's idea of GraphQL. Tried again, given up on like a
            # passing failure that keeps coming back.
            self._graphql_failed(
                f"{GRAPHQL_FAILURES} answers in a row without any issue asked about"
            )
        return {}

    def _graphql_failed(self, reason: str) -> None:
        """Count a GraphQL failure; at ``GRAPHQL_FAILURES`` in a row stop asking, and say so
        once (the reason may quote GitLab's error page: masked)."""
        self._graphql_failures += 1
        if self._graphql_failures < GRAPHQL_FAILURES:
            return
        self.graphql_notes = False
        _log.warning(
            "gitlab graphql unusable; notes over REST from now on",
            source=self.source,
            reason=mask_secrets(reason),
        )

    def _post_graphql(self, body: dict[str, Any]) -> requests.Response:
        return self.session.post(self._graphql_url, json=body, headers=self._graphql_auth())

    def _retry_failed(self, poll: Poll) -> list[Task]:
        """Read again the issues an earlier sync could not; they join the first page."""
        tasks: list[Task] = []
        for key in poll.retry.waiting():
            try:
                task = self.fetch_task(key)
            except SOURCE_ERRORS:
                raise
            except (ConnectorError, *ISSUE_ERRORS) as exc:
                self._skipped(key, exc, poll.retry.failed(key))
                continue
            poll.retry.succeeded(key)
            if task is not None:  # None: gone or out of scope now
                poll.already_read(task.id)
                tasks.append(task)
        return tasks

    @staticmethod
    def _key_of(raw: dict[str, Any]) -> str:
        return str((raw.get("references") or {}).get("full") or raw.get("id"))

    def _skipped(self, key: str, exc: BaseException, given_up: str | None) -> None:
        log_skipped(_log.bind(source=self.source), key, exc, given_up)
        self._skips.append(skip_of(key, exc))

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

    def open_keys(self) -> set[str]:
        scope = self.config.scope
        owner: Any = (
            self.gl.projects.get(scope.project, lazy=True)
            if scope.project
            else self.gl.groups.get(str(scope.group), lazy=True)
        )
        keys: set[str] = set()
        with self.errors("list open issues"):
            for item in owner.issues.list(iterator=True, state="opened", per_page=PAGE_SIZE):
                raw = item.attributes
                path = project_path(raw)
                if self._in_scope(path):
                    keys.add(f"{path}#{raw['iid']}")
        return keys

    def _map_safely(
        self,
        raw: dict[str, Any],
        key: str,
        poll: Poll,
        prev: Task | None,
        *,
        plan: Plan | None = None,
        notes_read: list[dict[str, Any]] | None = None,
    ) -> Task | None:
        """One issue, its notes and events. A failure (a notes endpoint answering 500,
        a 403 on one issue, an odd field shape) is logged with the key and the key kept
        for the next sync; only a failure about the whole server (a rate limit, no
        connection: ``SOURCE_ERRORS``) ends the sync."""
        try:
            return self._task(raw, prev, plan=plan, notes_read=notes_read)
        except SOURCE_ERRORS:
            raise
        except FatalError as exc:
            if exc.status == 404:  # deleted or moved while we read it
                _log.warning("gitlab issue vanished during sync", source=self.source, key=key)
                return None
            self._skipped(key, exc, poll.retry.failed(key))
        except (ConnectorError, *ISSUE_ERRORS) as exc:
            self._skipped(key, exc, poll.retry.failed(key))
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
        try:
            return self._task(issue, None, everything=True)
        except ISSUE_ERRORS as exc:
            raise FatalError(
                f"issue {key}: cannot be mapped: {type(exc).__name__}: {exc}", source=self.source
            ) from None

    def bot(self) -> Person:
        if self._bot is None:
            with self.errors("get current user"):
                self.gl.auth()
            user = self.gl.user
            assert user is not None
            self._bot = Person(id=str(user.id), name=user.name, username=user.username)
        return self._bot

    # -- writes (``writes``) ------------------------------------------------------------------
    def find_marker(self, task_key: str, marker: str) -> str | None:
        return writes.find_marker(self, task_key, marker)

    def posted_reminders(self, task_key: str) -> list[PostedReminder]:
        return writes.posted_reminders(self, task_key)

    def post_reminder(self, task_key: str, reminder: Reminder) -> str:
        return writes.post_reminder(self, task_key, reminder)

    def set_labels(self, task_key: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        writes.set_labels(self, task_key, add, remove)

    def doctor(self) -> list[DoctorCheck]:
        from connectors.gitlab.doctor import run_doctor

        return run_doctor(self)

    def close(self) -> None:
        self.session.close()


def _issue_ref_of(raw: dict[str, Any]) -> IssueRef | None:
    """(project path, iid) of a listed issue; None for one whose iid is no number (its
    mapping reports it, naming the issue)."""
    try:
        return project_path(raw), int(raw["iid"])
    except (KeyError, TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    """A name as shown, made safe like every tracker text (``connectors.text_sanitize``)."""
    return (clean_text(value).strip() or None) if isinstance(value, str) else None
