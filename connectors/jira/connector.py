"""``JiraConnector``: one Jira source (Cloud or Data Center) behind ``connectors.base.Connector``.

The daemon owns the cycle; this class only answers its questions. Site facts that do not
change between polls — the bot account and its profile time zone, the start-date field id,
status categories — are read once, lazily, and kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr

from config.policy import SourceConfig
from connectors.base import DoctorCheck, Page, PostedReminder, Previous
from connectors.http.reread_keys import ISSUE_ERRORS, SOURCE_ERRORS, Skip, log_skipped, skip_of
from connectors.http.retry import RetryPolicy
from connectors.http.tracker_clock import TrackerClock
from connectors.jira.client import Site, auth_options, connect
from connectors.jira.cursor import Cursor, Poll
from connectors.jira.errors import jira_errors
from connectors.jira.mapping import BASE_FIELDS, map_issue
from connectors.jira.paging import all_comments, all_histories, embedded_complete
from connectors.jira.search import (
    KEY_PAGE_CLOUD,
    KEY_PAGE_DC,
    SEARCH_PAGE,
    in_scope,
    incremental_jql,
    search_pages,
    strip_order_by,
)
from connectors.jira.session import DEFAULT_TIMEOUT
from connectors.jira.values import CATEGORY_KEYS, JiraContext, parse_ts, person
from connectors.jira.writes import Writer
from connectors.keys import is_jira_issue, shown_key
from rules.documents.sections import merge_aliases
from syncd.core.errors import ConnectorError, FatalError
from syncd.core.logs import get_logger
from syncd.core.models import Person, Reminder, StatusCategory, Task

__all__ = ["JiraConnector"]


class JiraConnector:
    """Sync, read and write one Jira source. Construct once per source; ``close()`` it."""

    def __init__(
        self,
        config: SourceConfig,
        token: SecretStr,
        *,
        page_size: int = SEARCH_PAGE,
        overlap: timedelta = timedelta(minutes=2),
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        api_version: str | None = None,
    ) -> None:
        if config.type != "jira" or not config.scope.jql:
            raise FatalError("JiraConnector needs a jira source with scope.jql", source=config.name)
        self.source = config.name
        self.config = config
        self.page_size = page_size
        self.overlap = overlap
        # The tracker's time, from its answers: watermarks never use the host's clock.
        self.tracker_clock = TrackerClock()
        # Section headings: the built-in Russian/English ones plus the source's own.
        self.aliases = merge_aliases(config.section_aliases)
        self.log = get_logger("syncd.jira", source=config.name)
        auth_options(config, token)  # a wrong auth.kind fails here, before any request
        self._token = token
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._api_version = api_version
        self._site: Site | None = None
        self._myself: dict[str, Any] | None = None
        self._ctx: JiraContext | None = None
        self._writer: Writer | None = None
        self._properties_kept = False
        self._skips: list[Skip] = []  # since the last page yielded (``Page.skipped``)

    # -- site facts -------------------------------------------------------------------
    @property
    def site(self) -> Site:
        """The library client, connected on first use: constructing a connector makes no
        request, so a tracker that is down at start-up fails a cycle, not the daemon."""
        if self._site is None:
            self._site = connect(
                self.config,
                self._token,
                policy=self._retry,
                timeout=self._timeout,
                api_version=self._api_version,
            )
            self.tracker_clock.attach(self._site.session)
        return self._site

    def myself(self) -> dict[str, Any]:
        if self._myself is None:
            with jira_errors("myself", self.source):
                self._myself = dict(self.site.client.myself())
        return self._myself

    def bot(self) -> Person:
        found = person(self.myself(), self.site.cloud)
        if found is None:
            raise FatalError("Jira /myself has no account id or name", source=self.source)
        return found

    def profile_zone(self) -> ZoneInfo:
        """The bot's profile zone: Jira reads JQL date literals in it, not in UTC."""
        name = self.myself().get("timeZone") or "UTC"
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError):
            raise FatalError(
                f"Jira /myself has an unknown timeZone {name!r}", source=self.source
            ) from None

    def start_field(self) -> str | None:
        """Id of the start-date field, looked up by its NAME (ids differ per site)."""
        wanted = (self.config.start_date_field or "").strip().lower()
        if not wanted:
            return None
        with jira_errors("fields", self.source):
            fields = self.site.client.fields()
        for f in fields:
            if str(f.get("name", "")).strip().lower() == wanted:
                return str(f["id"])
        return None

    def _status_categories(self) -> dict[str, StatusCategory]:
        try:
            with jira_errors("statuses", self.source):
                statuses = self.site.get("status")
        except FatalError:
            return {}  # the changelog names then fall back to Jira's default names
        known: dict[str, StatusCategory] = {}
        for status in statuses or ():
            category = CATEGORY_KEYS.get(str((status.get("statusCategory") or {}).get("key")))
            if category is None:
                continue
            known[str(status.get("id"))] = category
            known[str(status.get("name", "")).lower()] = category
        return known

    def context(self) -> JiraContext:
        if self._ctx is None:
            self._ctx = JiraContext(
                source=self.source,
                server=self.config.url,
                cloud=self.site.cloud,
                body_format=self.site.body_format,
                bot=self.bot(),
                start_field=self.start_field(),
                zone=ZoneInfo(self.config.calendar.timezone),
                status_categories=self._status_categories(),
                aliases=self.aliases,
            )
        return self._ctx

    def fields(self) -> list[str]:
        ctx = self.context()
        return [*BASE_FIELDS, *([ctx.start_field] if ctx.start_field else [])]

    # -- reading ----------------------------------------------------------------------
    def sync(
        self, cursor: dict[str, Any] | None, previous: Previous | None = None
    ) -> Iterator[Page]:
        """Pages of changed tasks (``previous`` is not needed: a search page embeds each
        issue's comments and changelog, so a changed issue costs no read of its own). One
        issue that cannot be read or mapped is logged with its key and kept in the cursor's
        retry list (``connectors.http.reread_keys``); it never stops the others. Only a failure
        about the whole site (a rate limit, no connection: ``SOURCE_ERRORS``) ends the
        sync; the pages already yielded stay stored."""
        self._skips = []  # what an aborted earlier sync had noted was never yielded
        ctx = self.context()
        zone = self.profile_zone()
        state = Cursor.from_dict(cursor, source=self.source)
        if state.properties_kept:
            self._properties_kept = True
        poll = Poll(state, started=None, overlap=self.overlap)
        jql = incremental_jql(
            self.config.scope.jql or "",
            poll.lower,
            zone,
            done_within_days=self.config.backfill_done_days,
        )
        last = cursor or Cursor().to_dict()
        before = self.site.session.attempts
        carried = self._retry_failed(poll, ctx)
        self.tracker_clock.latest = None
        for page in search_pages(
            self.site, jql, self.fields(), page_size=self.page_size, source=self.source
        ):
            if poll.started is None:
                poll.started = self.tracker_clock.after_latest()
            poll.note_total(page.total)
            tasks, carried = carried, []
            for raw in page.issues:
                task = self._take(raw, poll, ctx)
                if task is not None:
                    tasks.append(task)
            ended = poll.end_page(last=page.last)
            new_cursor = replace(ended, properties_kept=self.properties_kept()).to_dict()
            spent = self.site.session.attempts - before
            before = self.site.session.attempts
            skipped, self._skips = tuple(self._skips), []
            if tasks or skipped or new_cursor != last:
                yield Page(tasks=tasks, cursor=new_cursor, requests=spent, skipped=skipped)
                last = new_cursor
        if poll.shift_suspected:
            self.log.info("jira.results_moved_while_paging", watermark=last.get("watermark"))

    def _take(self, raw: dict[str, Any], poll: Poll, ctx: JiraContext) -> Task | None:
        """One search hit: mapped if it is a version not processed yet. Recorded as done
        only once mapped; a failure goes to the retry list and the watermark moves on."""
        key = str(raw.get("key"))
        try:
            updated = parse_ts((raw.get("fields") or {}).get("updated"), f"issue {key}")
        except FatalError as exc:
            self._skipped(key, exc, poll.failed(key))
            return None
        issue_id = str(raw.get("id"))
        if not poll.check(issue_id, updated):
            return None
        try:
            task = self._complete(raw, ctx)
        except SOURCE_ERRORS:
            raise
        except (ConnectorError, *ISSUE_ERRORS) as exc:
            if isinstance(exc, ConnectorError) and exc.status == 404:
                poll.record(issue_id, updated, key)  # deleted while we read it
                return None
            self._skipped(key, exc, poll.failed(key, updated))
            return None
        poll.record(issue_id, updated, key)
        return task

    def _retry_failed(self, poll: Poll, ctx: JiraContext) -> list[Task]:
        """Read again the issues an earlier sync could not; they join the first page."""
        tasks: list[Task] = []
        for key in poll.retry.waiting():
            try:
                task = self._read(key, ctx)
            except SOURCE_ERRORS:
                raise
            except (ConnectorError, *ISSUE_ERRORS) as exc:
                self._skipped(key, exc, poll.failed(key))
                continue
            if task is None:  # gone or out of scope now
                poll.retry.succeeded(key)
                continue
            poll.record(task.id, task.updated, key)
            tasks.append(task)
        return tasks

    def _skipped(self, key: str, exc: BaseException, given_up: str | None) -> None:
        log_skipped(self.log, key, exc, given_up)
        self._skips.append(skip_of(key, exc))

    def _complete(self, raw: dict[str, Any], ctx: JiraContext) -> Task:
        """Map one issue, paging its comments/changelog only if the embed is partial.
        Raises ``ConnectorError`` or one of ``ISSUE_ERRORS``; callers decide per issue."""
        key = str(raw.get("key"))
        fields = raw.get("fields") or {}
        embedded = fields.get("comment")
        if embedded_complete(embedded, "comments"):
            comments = list((embedded or {}).get("comments") or [])
        else:
            comments = all_comments(self.site, key, self.source, expand="properties")
        changelog = raw.get("changelog")
        if embedded_complete(changelog, "histories"):
            histories = list((changelog or {}).get("histories") or [])
        else:
            histories = all_histories(self.site, key, self.source)
        return map_issue(raw, ctx, comments, histories)

    def _read(self, key: str, ctx: JiraContext) -> Task | None:
        """The issue as it is now, or None if it is gone or outside the scope JQL."""
        try:
            with jira_errors(f"issue {key}", self.source):
                raw = self.site.get(
                    f"issue/{key}",
                    params={"fields": ",".join(self.fields()), "expand": "changelog"},
                )
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        if not in_scope(
            self.site, self.config.scope.jql or "", str(raw.get("id")), source=self.source
        ):
            return None
        return self._complete(raw, ctx)

    def fetch_task(self, key: str) -> Task | None:
        """Re-read one issue (a webhook hint): None if it is gone or out of scope (another
        project, or excluded by the JQL). Two requests: the issue, then the scope check.
        A key that is not a Jira key or id never reaches the request path (it may come from
        a webhook body)."""
        if not is_jira_issue(key):
            raise FatalError(f"not a Jira issue key: {shown_key(key)}", source=self.source)
        try:
            return self._read(key, self.context())
        except ISSUE_ERRORS as exc:
            raise FatalError(
                f"issue {key}: cannot be mapped: {type(exc).__name__}: {exc}", source=self.source
            ) from None

    def open_keys(self) -> set[str]:
        jql = f"({strip_order_by(self.config.scope.jql or '')}) AND statusCategory != Done"
        keys: set[str] = set()
        size = KEY_PAGE_CLOUD if self.site.cloud else KEY_PAGE_DC
        for page in search_pages(
            self.site, jql, ["key"], page_size=size, source=self.source, expand=None
        ):
            keys.update(str(issue["key"]) for issue in page.issues if issue.get("key"))
        return keys

    # -- writing ----------------------------------------------------------------------
    def writer(self) -> Writer:
        if self._writer is None:
            self._writer = Writer(self.site, self.source, self.bot())
            if self._properties_kept:
                self._writer.properties_kept = True
        return self._writer

    def properties_kept(self) -> bool:
        """Known (from the cursor or a post) that the server keeps comment properties."""
        return self._properties_kept or (
            self._writer is not None and self._writer.properties_kept is True
        )

    def find_marker(self, task_key: str, marker: str) -> str | None:
        return self.writer().find_marker(task_key, marker)

    def posted_reminders(self, task_key: str) -> list[PostedReminder]:
        return self.writer().posted_reminders(task_key)

    def post_reminder(self, task_key: str, reminder: Reminder) -> str:
        return self.writer().post(task_key, reminder)

    def set_labels(self, task_key: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        self.writer().set_labels(task_key, add, remove)

    def doctor(self) -> list[DoctorCheck]:
        from connectors.jira.doctor import run_checks

        return run_checks(self)

    def close(self) -> None:
        if self._site is not None:
            self._site.close()
            self._site = None
