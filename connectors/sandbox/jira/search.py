"""Search for the sandbox Jira: Cloud's ``/search/jql`` (token paging) and Data Center's
``/search`` (``startAt``/``total``).

Cloud tokens are keyset cursors — they carry the sort values of the last issue returned —
so an issue updated while a client pages through ``ORDER BY updated`` shows up again on a
later page (as on real Cloud) and no issue is skipped. ``short_pages`` makes every other
Cloud page come back shorter than ``maxResults`` while more follow, which real Cloud is
allowed to do: a client that stops on a short page loses issues.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Any

from connectors.sandbox.jira.jql import (
    JqlContext,
    JqlError,
    Query,
    compare_values,
    compile_query,
    parse_jql,
    sort_values,
)
from connectors.sandbox.jira.store import JiraIssue

__all__ = ["CloudPage", "DcPage", "parse_fields", "search_cloud", "search_dc"]

UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
DEFAULT_ORDER: tuple[tuple[str, bool], ...] = (("key", True),)
RICH_PAGE_CAP = 100
"""Cloud returns at most this many issues per page when fields beyond ``id``/``key`` are asked."""
ID_PAGE_CAP = 5000


def parse_fields(
    values: list[str], default: set[str] | None, all_fields: set[str]
) -> set[str] | None:
    """``fields`` parameters (repeated and/or comma-separated) → a set, or None for all."""
    items = [f.strip() for v in values for f in v.split(",") if f.strip()]
    if not items:
        return default
    wanted: set[str] = set()
    everything = False
    excluded: set[str] = set()
    for item in items:
        if item in ("*all", "*navigable"):
            everything = True
        elif item.startswith("-"):
            excluded.add(item[1:])
        else:
            wanted.add(item)
    if everything:
        return None if not excluded else (all_fields - excluded) | {"id", "key"}
    if excluded and not wanted:
        return (all_fields - excluded) | {"id", "key"}
    return wanted


def _matching(
    jql: str, ctx: JqlContext, *, bounded: bool
) -> tuple[Query, list[JiraIssue], list[list[Any]]]:
    query = parse_jql(jql)
    if bounded and query.where is None:
        raise JqlError(UNBOUNDED)
    predicate = compile_query(query, ctx)
    order = query.order or DEFAULT_ORDER
    store = ctx.store
    with store.lock:
        issues = store.issues
        if store.lag and ctx.cloud:  # eventual consistency: searches lag behind writes
            at = ctx.now - store.lag
            issues = [i if i.id in ctx.reconcile else store.as_seen(i, at) for i in issues]
        found = [(sort_values(i, order), i) for i in issues if predicate(i)]

    def cmp(a: tuple[list[Any], JiraIssue], b: tuple[list[Any], JiraIssue]) -> int:
        return compare_values(a[0], b[0], order)

    found.sort(key=cmp_to_key(cmp))
    return query, [i for _v, i in found], [v for v, _i in found]


@dataclass
class CloudPage:
    issues: list[JiraIssue]
    next_token: str | None


def _fingerprint(jql: str) -> str:
    return hashlib.sha1(jql.encode()).hexdigest()[:12]  # noqa: S324


def search_cloud(
    jql: str, ctx: JqlContext, *, token: str | None, max_results: int, rich: bool, short_pages: bool
) -> CloudPage:
    query, issues, values = _matching(jql, ctx, bounded=True)
    order = query.order or DEFAULT_ORDER
    page_no = 0
    start = 0
    if token:
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode()))
            if state["q"] != _fingerprint(jql):
                raise ValueError("token for another query")
            after, page_no = state["after"], int(state["n"])
        except (ValueError, KeyError, TypeError):
            raise JqlError("The provided next page token is invalid or expired.") from None
        while start < len(values) and compare_values(values[start], after, order) <= 0:
            start += 1
    size = max(1, min(max_results, RICH_PAGE_CAP if rich else ID_PAGE_CAP))
    if short_pages and page_no % 2 == 1 and size > 1:
        size = max(1, size // 2)
    page = issues[start : start + size]
    next_token = None
    if start + size < len(issues) and page:
        state = {"q": _fingerprint(jql), "after": values[start + len(page) - 1], "n": page_no + 1}
        next_token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
    return CloudPage(page, next_token)


@dataclass
class DcPage:
    issues: list[JiraIssue]
    start_at: int
    max_results: int
    total: int


def search_dc(jql: str, ctx: JqlContext, *, start_at: int, max_results: int) -> DcPage:
    _query, issues, _values = _matching(jql, ctx, bounded=False)
    size = max(0, min(max_results, 1000))
    return DcPage(issues[start_at : start_at + size], start_at, size, len(issues))
