"""JQL search, one page per request, for both flavours.

- Cloud: ``enhanced_search_issues`` (``/search/jql``) one page at a time with our own
  ``nextPageToken`` loop; a short page does not mean the end, only a missing token (or
  ``isLast``) does. The removed ``/search`` answers 410 and is never called.
- Data Center: ``search_issues`` (``/search``) with ``startAt``; ``total`` is passed on so
  the cursor can notice a result set that changed while we paged.

Fields are always listed explicitly: Cloud returns only ``id`` by default. The changelog is
embedded (``expand=changelog``) so most issues need no further request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from connectors.jira.client import Site
from connectors.jira.cursor import jql_literal
from connectors.jira.errors import jira_errors

__all__ = [
    "KEY_PAGE_CLOUD",
    "KEY_PAGE_DC",
    "SEARCH_PAGE",
    "SearchPage",
    "in_scope",
    "incremental_jql",
    "search_pages",
    "strip_order_by",
]

SEARCH_PAGE = 100
"""Issues asked for per search page. Jira Cloud's ``/search/jql`` serves up to 100 when
fields beyond ``id``/``key`` are asked (fewer when many fields or ``expand=changelog``
make a page heavy: a short page is followed by its ``nextPageToken`` like any other);
Data Center's default cap (``jira.search.views.default.max``) is 1,000."""
KEY_PAGE_CLOUD = 5000
"""Cloud's documented maximum page of a search asking only for ``id``/``key``."""
KEY_PAGE_DC = 1000
"""Data Center's default maximum page (``jira.search.views.default.max``); a site set
lower answers fewer, and ``startAt``/``total`` page on."""

_ORDER_BY = re.compile(r"order\s+by\b", re.IGNORECASE)


def strip_order_by(jql: str) -> str:
    """``jql`` without its ``ORDER BY`` clause. Only an ``order by`` outside quotes counts:
    ``summary ~ "order by phone"`` is a condition, not the sort (JQL strings take ``"`` or
    ``'`` with backslash escapes)."""
    quote: str | None = None
    i = 0
    while i < len(jql):
        ch = jql[i]
        if quote is not None:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif (i == 0 or not (jql[i - 1].isalnum() or jql[i - 1] == "_")) and _ORDER_BY.match(
            jql, i
        ):
            return jql[:i].strip()
        i += 1
    return jql.strip()


def incremental_jql(
    scope: str, lower: datetime | None, zone: tzinfo, *, done_within_days: int | None = None
) -> str:
    """The scope JQL narrowed to ``updated >= lower`` (written in the bot's profile zone)
    and ordered so that paging is stable: ``ORDER BY updated ASC, key ASC``.

    A full sync (no ``lower``) with ``done_within_days`` leaves out done issues not updated
    for that long: a done issue's resolution is its last update or earlier, so every issue
    resolved within the window is kept (also on workflows that set no resolution date)."""
    base = strip_order_by(scope)
    if not base:
        raise ValueError("empty JQL scope")
    clause = f"({base})"
    if lower is not None:
        clause += f' AND updated >= "{jql_literal(lower, zone)}"'
    elif done_within_days is not None:
        clause += f" AND (statusCategory != Done OR updated >= -{int(done_within_days)}d)"
    return f"{clause} ORDER BY updated ASC, key ASC"


@dataclass(frozen=True)
class SearchPage:
    issues: list[dict[str, Any]]
    total: int | None
    """Data Center only: the size of the whole result."""
    last: bool = False
    """No page follows this one."""


def search_pages(
    site: Site,
    jql: str,
    fields: Sequence[str],
    *,
    page_size: int,
    source: str,
    expand: str | None = "changelog",
) -> Iterator[SearchPage]:
    pages = _cloud_pages if site.cloud else _dc_pages
    yield from pages(site, jql, fields, page_size=page_size, source=source, expand=expand)


def _cloud_pages(
    site: Site, jql: str, fields: Sequence[str], *, page_size: int, source: str, expand: str | None
) -> Iterator[SearchPage]:
    token: str | None = None
    while True:
        with jira_errors("search", source):
            data = site.client.enhanced_search_issues(
                jql,
                nextPageToken=token,
                maxResults=page_size,
                fields=list(fields),
                expand=expand,
                json_result=True,
            )
        token = data.get("nextPageToken")
        last = not token or data.get("isLast") is True
        yield SearchPage(issues=list(data.get("issues") or []), total=None, last=last)
        if last:
            return


def _dc_pages(
    site: Site, jql: str, fields: Sequence[str], *, page_size: int, source: str, expand: str | None
) -> Iterator[SearchPage]:
    start = 0
    while True:
        with jira_errors("search", source):
            data = site.client.search_issues(
                jql,
                startAt=start,
                maxResults=page_size,
                fields=list(fields),
                expand=expand,
                json_result=True,
            )
        issues = list(data.get("issues") or [])
        total = int(data["total"]) if data.get("total") is not None else None
        start += len(issues)
        last = not issues or (total is not None and start >= total)
        yield SearchPage(issues=issues, total=total, last=last)
        if last:
            return


def in_scope(site: Site, scope: str, issue_id: str, *, source: str) -> bool:
    """True if the issue matches the source's JQL: ``(<scope>) AND id = <id>``. On Cloud the
    id goes into ``reconcileIssues`` too, so a change just made (the webhook that made us
    ask) is seen despite the eventually consistent search index."""
    jql = f"({strip_order_by(scope)}) AND id = {int(issue_id)}"
    with jira_errors("scope check", source):
        if site.cloud:
            data = site.client.enhanced_search_issues(
                jql,
                maxResults=1,
                fields=["id"],
                reconcileIssues=[int(issue_id)],
                json_result=True,
            )
        else:
            data = site.client.search_issues(jql, maxResults=1, fields=["id"], json_result=True)
    return any(str(i.get("id")) == str(issue_id) for i in data.get("issues") or ())
