"""The projects of a GitLab group (or the one project in scope) with the subgroup each sits
in and who created it, and the group's labels that mean "work started" — what ``syncd init``
proposes a policy from.

GitLab has no project lead and shows no user's time zone or locale to others: the lead
proposed is the project's creator (``creator_id``, read with ``GET /users/:id``), without
zone or locale. The client is the subgroup a project sits in (``agency/acme/site`` → the
``acme`` subgroup); a project directly in the group has none.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from connectors.projects import ProjectLead, TrackerProject
from syncd.core.errors import SyncdError

if TYPE_CHECKING:
    from connectors.gitlab.connector import GitLabConnector

__all__ = ["DOING_LABEL", "find_doing_labels", "list_projects"]

DOING_LABEL = re.compile(
    r"^(?:[\w -]+::\s*)?(doing|in[ _-]?progress|в\s+работе|wip|work in progress)$", re.I
)
"""Label names that say work has started: ``Doing``, ``In progress``,
``workflow::in progress``, ``В работе``."""


def _ref(value: str) -> str:
    return quote(value, safe="")


def _listing(conn: GitLabConnector, path: str, operation: str, **query: Any) -> list[Any]:
    with conn.errors(operation):
        items = conn.gl.http_list(path, query_data={"per_page": 100, **query}, iterator=True)
        return [dict(item) for item in items]


def list_projects(conn: GitLabConnector) -> list[TrackerProject]:
    scope = conn.config.scope
    if scope.project:
        with conn.errors(f"read project {scope.project}"):
            one = conn.gl.http_get(f"/projects/{_ref(scope.project)}")
        raw = [one] if isinstance(one, dict) else []
        group = str(raw[0].get("namespace", {}).get("full_path", "")) if raw else ""
    else:
        group = str(scope.group)
        raw = _listing(
            conn, f"/groups/{_ref(group)}/projects", "list projects", include_subgroups=True
        )
    leads: dict[int, ProjectLead | None] = {}
    projects = []
    for item in raw:
        creator = item.get("creator_id")
        if isinstance(creator, int) and creator not in leads:
            leads[creator] = _user(conn, creator)
        namespace = item.get("namespace") or {}
        nested = namespace.get("kind") == "group" and namespace.get("full_path") != group
        projects.append(
            TrackerProject(
                key=str(item["path_with_namespace"]),
                name=str(item.get("name") or item["path_with_namespace"]),
                client=str(namespace.get("name")) if nested else None,
                lead=leads.get(creator) if isinstance(creator, int) else None,
            )
        )
    return sorted(projects, key=lambda p: p.key)


def _user(conn: GitLabConnector, user_id: int) -> ProjectLead | None:
    try:
        with conn.errors("read user"):
            user = conn.gl.http_get(f"/users/{user_id}")
    except SyncdError:  # a blocked or deleted creator: no lead proposed for that project
        return None
    if not isinstance(user, dict) or user.get("bot"):
        return None
    return ProjectLead(id=str(user_id), name=str(user.get("name") or user.get("username")))


def find_doing_labels(conn: GitLabConnector) -> list[str]:
    """The group's labels whose names say work has started (the project's, when the scope
    is one project)."""
    scope = conn.config.scope
    owner = (
        f"/projects/{_ref(scope.project)}" if scope.project else f"/groups/{_ref(str(scope.group))}"
    )
    labels = _listing(conn, f"{owner}/labels", "list labels")
    return [str(lab["name"]) for lab in labels if DOING_LABEL.match(str(lab.get("name", "")))]
