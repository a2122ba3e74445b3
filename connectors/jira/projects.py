"""The projects of a Jira site with their categories and leads, and the start-date field —
what ``syncd init`` proposes a policy from.

Cloud pages projects through ``GET /project/search`` (``isLast``; ``GET /project`` is
deprecated there); Data Center lists them all at once with ``GET /project``. Both give the
lead only with ``expand=lead`` and in the short user form, so each lead's time zone and
locale come from ``GET /user`` (Cloud by ``accountId``, Data Center by ``username``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.jira.errors import jira_errors
from connectors.projects import ProjectLead, TrackerProject
from syncd.core.errors import SyncdError

if TYPE_CHECKING:
    from connectors.jira.connector import JiraConnector

__all__ = ["START_DATE_NAMES", "find_start_date_field", "list_projects"]

START_DATE_NAMES = ("Start date", "Дата начала")
"""The start-date field's name on English and Russian sites (``start_date_field`` is looked
up by name: ids differ per site)."""
_PAGE = 50
_MAX_PAGES = 200  # 10,000 projects: a bound against a server whose isLast never comes


def list_projects(conn: JiraConnector) -> list[TrackerProject]:
    raw = _cloud_projects(conn) if conn.site.cloud else _dc_projects(conn)
    leads: dict[str, ProjectLead | None] = {}
    projects = []
    for item in raw:
        lead_ref = item.get("lead") or {}
        ref = str(lead_ref.get("accountId" if conn.site.cloud else "name") or "")
        if ref and ref not in leads:
            leads[ref] = _lead(conn, ref, lead_ref)
        category = item.get("projectCategory") or {}
        projects.append(
            TrackerProject(
                key=str(item["key"]),
                name=str(item.get("name") or item["key"]),
                client=str(category["name"]) if category.get("name") else None,
                lead=leads.get(ref) if ref else None,
            )
        )
    return sorted(projects, key=lambda p: p.key)


def _cloud_projects(conn: JiraConnector) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    with jira_errors("list projects", conn.source):
        for _ in range(_MAX_PAGES):
            page = conn.site.get(
                "project/search",
                params={"startAt": len(found), "maxResults": _PAGE, "expand": "lead"},
            )
            values = page.get("values") or []
            found.extend(values)
            if page.get("isLast", True) or not values:
                break
    return found


def _dc_projects(conn: JiraConnector) -> list[dict[str, Any]]:
    with jira_errors("list projects", conn.source):
        data = conn.site.get("project", params={"expand": "lead"})
    return list(data) if isinstance(data, list) else []


def _lead(conn: JiraConnector, ref: str, short: dict[str, Any]) -> ProjectLead:
    """The lead with profile time zone and locale; the short form alone if the full user
    cannot be read (a privacy setting, a deleted account)."""
    params = {"accountId": ref} if conn.site.cloud else {"username": ref}
    name = str(short.get("displayName") or ref)
    try:
        with jira_errors("read user", conn.source):
            user = conn.site.get("user", params=params)
    except SyncdError:  # the lead is still proposed, without zone and locale
        return ProjectLead(id=ref, name=name)
    return ProjectLead(
        id=ref,
        name=str(user.get("displayName") or name),
        time_zone=user.get("timeZone") or None,
        locale=user.get("locale") or None,
    )


def find_start_date_field(conn: JiraConnector) -> str | None:
    """The name of the site's start-date field as the site spells it, if it has one."""
    wanted = {n.lower() for n in START_DATE_NAMES}
    with jira_errors("fields", conn.source):
        fields = conn.site.client.fields()
    for field in fields:
        name = str(field.get("name", "")).strip()
        if name.lower() in wanted:
            return name
    return None
