"""Every HTTP request a connector sends, counted by kind.

``syncd once`` reports what a cycle cost the tracker, and a number that counts only the
listing requests (4 reported where 116 were made) hides where the cost is: comments,
events and changelogs per changed issue, marker look-ups and writes. So each connector's
session records every request it sends — retries included, whatever the answer, also
when none came — and the cycle reports the difference between two snapshots.

Kinds, from the method and the path (Jira REST v2/v3, GitLab v4):

- ``search``: Jira ``/search``, ``/search/jql``, ``/search/approximate-count``; GitLab issue
  listings of a project, a group or the instance;
- ``issue``: one issue (and its entity properties);
- ``comments``: Jira comments (and comment properties), GitLab notes;
- ``events``: GitLab resource events (label, state, milestone, iteration, weight);
- ``changelog``: the Jira changelog endpoint;
- ``writes``: anything that is not a read (POST a comment, PUT labels…), searches aside;
- ``other``: site facts (server info, the bot account, fields, statuses, projects…).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

__all__ = ["KINDS", "RequestCounts", "request_kind"]

KINDS = ("search", "issue", "comments", "events", "changelog", "writes", "other")

_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_SEARCH = re.compile(
    r"/rest/api/[^/]+/search(/jql|/approximate-count)?/?$"
    r"|/api/v4/((projects|groups)/[^/]+/)?issues/?$"
)
_EVENTS = re.compile(r"/api/v4/projects/[^/]+/issues/\d+/resource_\w+_events(/\d+)?/?$")
_COMMENTS = re.compile(
    r"/rest/api/[^/]+/(issue/[^/]+/comment|comment/[^/]+/properties)(/.*)?$"
    r"|/api/v4/projects/[^/]+/issues/\d+/notes(/\d+)?/?$"
)
_CHANGELOG = re.compile(r"/rest/api/[^/]+/issue/[^/]+/changelog/?$")
_ISSUE = re.compile(
    r"/rest/api/[^/]+/issue/[^/]+(/properties(/.*)?)?/?$|/api/v4/projects/[^/]+/issues/\d+/?$"
)


def request_kind(method: str, url: str) -> str:
    """The kind (one of ``KINDS``) of a request, from its method and URL."""
    path = urlsplit(url).path
    if _SEARCH.search(path):
        return "search"  # Jira searches may be POSTs: still reads
    if method.upper() not in _READS:
        return "writes"
    for kind, pattern in (
        ("events", _EVENTS),
        ("comments", _COMMENTS),
        ("changelog", _CHANGELOG),
        ("issue", _ISSUE),
    ):
        if pattern.search(path):
            return kind
    return "other"


class RequestCounts:
    """Requests sent so far, by kind. Shared by a connector and its session(s); a lock
    keeps the counts exact if a webhook re-read runs beside a cycle."""

    def __init__(self) -> None:
        self._counts = dict.fromkeys(KINDS, 0)
        self._lock = threading.Lock()
        self.listeners: list[Callable[[str], None]] = []
        """Told the kind of every request as it is sent (progress reporting)."""

    def record(self, method: str | bytes, url: str | bytes) -> None:
        verb = method.decode() if isinstance(method, bytes) else method
        target = url.decode() if isinstance(url, bytes) else url
        kind = request_kind(verb, target)
        with self._lock:
            self._counts[kind] += 1
        for listener in list(self.listeners):
            listener(kind)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def since(self, before: Mapping[str, int]) -> dict[str, int]:
        """Requests sent after ``before`` (a ``snapshot``), by kind."""
        now = self.snapshot()
        return {kind: now[kind] - before.get(kind, 0) for kind in KINDS}

    @property
    def total(self) -> int:
        return sum(self.snapshot().values())
