"""Links to the tracker for the items a long section does not show.

An e-mail digest of 80 items is a phone screen scrolled for a minute; past the first
:data:`SECTION_PREVIEW` items a section ends with "…and 24 more — open in Jira", linking
to a tracker view of what was left out. The tracker is read from each item's own URL (the
digest model carries no tracker type):

- Jira (``<site>/browse/KEY-1``): the issue navigator with ``key in (…)`` — exactly the
  hidden items, one link per site;
- GitLab (``<project>/-/issues/3`` or ``/-/work_items/3``): the project's issue list,
  open ones by due date (closed ones, most recent first, for the "done" section): GitLab's
  list takes no list of iids in its URL, so it shows the hidden items among their
  neighbours. One link per project.

Items whose URL fits neither are only counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from syncd.digest.model import DigestItem, SectionKind
from syncd.digest.render.links import safe_url

__all__ = ["SECTION_PREVIEW", "TrackerLink", "tracker_links"]

SECTION_PREVIEW = 10
"""Items shown per section in e-mail before the rest is collapsed into a link."""

_JIRA = re.compile(r"^(?P<site>https?://[^?#]+?)/browse/(?P<key>[A-Z][A-Z0-9_]*-\d+)/?$")
_GITLAB = re.compile(r"^(?P<project>https?://[^?#]+?)/-/(?:issues|work_items)/\d+/?$")


@dataclass(frozen=True)
class TrackerLink:
    tracker: str
    """"Jira" or "GitLab"."""
    where: str
    """The site's host (Jira) or the project's path (GitLab): tells two links apart."""
    url: str


def _jql(site: str, keys: list[str]) -> str:
    jql = f"key in ({', '.join(keys)}) ORDER BY duedate ASC"
    return f"{site}/issues/?jql={quote(jql, safe='')}"


def _gitlab(project: str, kind: SectionKind) -> str:
    query = (
        {"state": "closed", "sort": "updated_desc"}
        if kind == "done"
        else {"state": "opened", "sort": "due_date"}
    )
    return f"{project}/-/issues?{urlencode(query)}"


def tracker_links(items: Iterable[DigestItem], kind: SectionKind) -> list[TrackerLink]:
    """One link per Jira site and per GitLab project among ``items``, in first-seen
    order; every URL passed through ``safe_url``."""
    jira: dict[str, list[str]] = {}
    gitlab: list[str] = []
    for item in items:
        url = safe_url(item.url)
        if match := _JIRA.match(url):
            jira.setdefault(match["site"], []).append(match["key"])
        elif (match := _GITLAB.match(url)) and match["project"] not in gitlab:
            gitlab.append(match["project"])
    links = [
        TrackerLink("Jira", site.split("://", 1)[1], safe_url(_jql(site, keys)))
        for site, keys in jira.items()
    ]
    for project in gitlab:
        path = project.split("://", 1)[1].partition("/")[2]
        links.append(TrackerLink("GitLab", path, safe_url(_gitlab(project, kind))))
    return links
