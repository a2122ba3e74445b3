"""Complete comment and changelog lists for one issue.

Search results embed at most ~20 comments and changelog entries; ``jira.comments()`` reads
one page and drops ``total``. So: use what the search embedded when it is complete
(``total <= len``, no request at all), otherwise page the issue's own endpoints:
``GET /issue/{key}/comment`` (``startAt``/``maxResults``/``total``) and, on Cloud,
``GET /issue/{key}/changelog`` (``values``/``isLast``). Data Center has no changelog
endpoint; its ``GET /issue/{key}?expand=changelog`` carries the whole changelog.
"""

from __future__ import annotations

from typing import Any

from connectors.jira.client import Site
from connectors.jira.errors import jira_errors

__all__ = ["COMMENT_PAGE", "all_comments", "all_histories", "embedded_complete"]

COMMENT_PAGE = 100


def embedded_complete(block: Any, items_key: str) -> bool:
    """True if an embedded ``{total, <items_key>: [...]}`` block holds every item."""
    if not isinstance(block, dict):
        return False
    items = block.get(items_key) or []
    total = block.get("total")
    return total is None or int(total) <= len(items)


def all_comments(
    site: Site, key: str, source: str, *, expand: str | None = None
) -> list[dict[str, Any]]:
    """Every comment of ``key``, oldest first, paging until ``total`` is reached."""
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        params: dict[str, Any] = {
            "startAt": start,
            "maxResults": COMMENT_PAGE,
            "orderBy": "created",
        }
        if expand:
            params["expand"] = expand
        with jira_errors(f"comments of {key}", source):
            page = site.get(f"issue/{key}/comment", params=params)
        comments = page.get("comments") or []
        out.extend(comments)
        start += len(comments)
        total = page.get("total")
        if not comments or (total is not None and start >= int(total)):
            return out
        if total is None and len(comments) < int(page.get("maxResults") or COMMENT_PAGE):
            return out


def all_histories(site: Site, key: str, source: str) -> list[dict[str, Any]]:
    """Every changelog entry of ``key`` (order as served; callers sort by time)."""
    if not site.cloud:
        with jira_errors(f"changelog of {key}", source):
            issue = site.get(f"issue/{key}", params={"expand": "changelog", "fields": "updated"})
        return list((issue.get("changelog") or {}).get("histories") or [])
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        with jira_errors(f"changelog of {key}", source):
            page = site.get(
                f"issue/{key}/changelog", params={"startAt": start, "maxResults": COMMENT_PAGE}
            )
        values = page.get("values") or []
        out.extend(values)
        start += len(values)
        total = page.get("total")
        if not values or page.get("isLast") or (total is not None and start >= int(total)):
            return out
