"""``JiraConnector``: one Jira source (Cloud or Data Center) behind ``connectors.base.Connector``.

The daemon owns the cycle; this class only answers its questions. Site facts that do not
change between polls — the bot account and its profile time zone, the start-date field id,
status categories — are read once, lazily, and kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr

from config.policy import SourceConfig
from connectors.base import Check, Page, Reminder
from connectors.jira.client import Site, connect
from connectors.jira.cursor import Cursor, Poll
from connectors.jira.errors import jira_errors
from connectors.jira.mapping import BASE_FIELDS, map_issue
from connectors.jira.paging import all_comments, all_histories, embedded_complete
from connectors.jira.search import incremental_jql, search_pages
from connectors.jira.session import DEFAULT_TIMEOUT
from connectors.jira.values import CATEGORY_KEYS, JiraContext, parse_ts, person
from connectors.jira.writes import Writer
from connectors.retry import RetryPolicy
from syncd.clock import Clock, SystemClock
from syncd.errors import ConfigError, ConnectorError, FatalError
from syncd.logs import get_logger
from syncd.models import Person, StatusCategory, Task

__all__ = ["JiraConnector"]


class JiraConnector:
    """Sync, read and write one Jira source. Construct once per source; ``close()`` it."""

    def __init__(
        self,
        config: SourceConfig,
        token: SecretStr,
        *,
        page_size: int = 50,
        overlap: timedelta = timedelta(minutes=2),
        retry: RetryPolicy | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        clock: Clock | None = None,
        api_version: str | None = None,
        aliases: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        if config.type != "jira" or not config.scope.jql:
            raise FatalError("JiraConnector needs a jira source with scope.jql", source=config.name)
        self.source = config.name
        self.config = config
        self.page_size = page_size
        self.overlap = overlap
        self.clock: Clock = clock or SystemClock()
        self.aliases = aliases
        self.log = get_logger("syncd.jira", source=config.name)
        if config.auth.kind not in ("basic", "bearer"):
            raise ConfigError(
                f"source {config.name!r}: Jira needs auth.kind basic (Cloud e-mail + API token) "
                f"or bearer (Data Center PAT), not {config.auth.kind!r}"
            )
        self._token = token
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._api_version = api_version
        self._site: Site | None = None
        self._myself: dict[str, Any] | None = None
        self._ctx: JiraContext | None = None
        self._writer: Writer | None = None

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
        # Also fills the library's JQL-name cache, which it would otherwise fetch again.
        self.site.client._fields_cache_value = {
            name: f["id"] for f in fields for name in f.get("clauseNames") or ()
        }
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
    def sync(self, cursor: dict[str, Any] | None) -> Iterator[Page]:
        ctx = self.context()
        zone = self.profile_zone()
        state = Cursor.from_dict(cursor, source=self.source)
        poll = Poll(state, started=self.clock.now(), overlap=self.overlap)
        jql = incremental_jql(self.config.scope.jql or "", poll.lower, zone)
        last = cursor or Cursor().to_dict()
        before = self.site.session.attempts
        for page in search_pages(
            self.site, jql, self.fields(), page_size=self.page_size, source=self.source
        ):
            poll.note_total(page.total)
            tasks: list[Task] = []
            for raw in page.issues:
                key = str(raw.get("key"))
                try:
                    updated = parse_ts((raw.get("fields") or {}).get("updated"), f"issue {key}")
                except FatalError as exc:
                    self.log.warning("jira.issue_skipped", key=key, error=str(exc))
                    continue
                if not poll.is_new(str(raw.get("id")), updated):
                    continue
                task = self._complete(raw, ctx)
                if task is not None:
                    tasks.append(task)
            new_cursor = poll.end_page(last=page.last).to_dict()
            spent = self.site.session.attempts - before
            before = self.site.session.attempts
            if tasks or new_cursor != last:
                yield Page(tasks=tasks, cursor=new_cursor, requests=spent)
                last = new_cursor
        if poll.shift_suspected:
            self.log.info("jira.results_moved_while_paging", watermark=last.get("watermark"))

    def _complete(self, raw: dict[str, Any], ctx: JiraContext) -> Task | None:
        """Map one search hit, paging its comments/changelog only if the embed is partial."""
        key = str(raw.get("key"))
        fields = raw.get("fields") or {}
        try:
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
        except (FatalError, ValueError) as exc:  # ValueError: pydantic refused the data
            # Bad data or an issue deleted meanwhile: name it and keep serving the others.
            self.log.warning("jira.issue_skipped", key=key, error=str(exc))
            return None

    def fetch_task(self, key: str) -> Task | None:
        ctx = self.context()
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
        return self._complete(raw, ctx)

    # -- writing ----------------------------------------------------------------------
    def writer(self) -> Writer:
        if self._writer is None:
            self._writer = Writer(self.site, self.source, self.bot())
        return self._writer

    def find_marker(self, task_key: str, marker: str) -> str | None:
        return self.writer().find_marker(task_key, marker)

    def post_reminder(self, task_key: str, reminder: Reminder) -> str:
        return self.writer().post(task_key, reminder)

    def set_labels(self, task_key: str, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        self.writer().set_labels(task_key, add, remove)

    def doctor(self) -> list[Check]:
        from connectors.jira.doctor import run_checks

        return run_checks(self)

    def close(self) -> None:
        if self._site is not None:
            self._site.close()
            self._site = None
