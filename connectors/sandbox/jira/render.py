"""JSON shapes of the sandbox Jira: users, issues, comments, changelogs, fields.

One ``Renderer`` per request: it knows the flavour (Cloud identifies people by accountId
and hides other people's e-mail; Data Center by username), the REST version (v3 bodies are
ADF, v2 wiki markup), the base URL for ``self`` links (the ``jira`` library PUTs to an
issue's ``self``), and the requesting user's zone, in which timestamps are rendered the
way Jira does: ``2026-11-20T10:15:00.000+0300``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.sandbox.common.seed import Document, SeedUser
from connectors.sandbox.jira.store import STATUSES, History, JiraComment, JiraIssue, JiraStore

__all__ = [
    "FIELDS",
    "RANK_FIELD",
    "START_DATE_FIELD",
    "TARGET_START_FIELD",
    "Renderer",
    "jira_time",
    "target_start",
]

START_DATE_FIELD = {"cloud": "customfield_10461", "dc": "customfield_11302"}
"""Where "Start date" lives: deliberately not the id one would guess."""
TARGET_START_FIELD = {"cloud": "customfield_10015", "dc": "customfield_10100"}
RANK_FIELD = {"cloud": "customfield_10019", "dc": "customfield_10005"}
"""Jira Software's "Rank" (a LexoRank): the ``jira`` library's ``rank()`` finds it by name
and schema in ``GET /field``; board re-ordering writes a "Rank" changelog item."""
"""A decoy date field ("Target start") at the id many Cloud sites use for Start date."""

_ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
_PRIORITY_IDS = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}
_TYPE_IDS = {
    "Epic": "10000",
    "Task": "10001",
    "Story": "10002",
    "Bug": "10003",
    "Sub-task": "10004",
}
_CATEGORY_COLOURS = {"new": "blue-gray", "indeterminate": "yellow", "done": "green"}

# (id, name, schema type, clause names); custom fields are added per flavour.
FIELDS: list[tuple[str, str, str, list[str]]] = [
    ("summary", "Summary", "string", ["summary"]),
    ("issuetype", "Issue Type", "issuetype", ["issuetype", "type"]),
    ("status", "Status", "status", ["status"]),
    ("priority", "Priority", "priority", ["priority"]),
    ("labels", "Labels", "array", ["labels"]),
    ("components", "Components", "array", ["component"]),
    ("assignee", "Assignee", "user", ["assignee"]),
    ("reporter", "Reporter", "user", ["reporter"]),
    ("created", "Created", "datetime", ["created", "createdDate"]),
    ("updated", "Updated", "datetime", ["updated", "updatedDate"]),
    ("duedate", "Due date", "date", ["due", "duedate"]),
    ("resolutiondate", "Resolved", "datetime", ["resolutiondate", "resolved"]),
    ("resolution", "Resolution", "resolution", ["resolution"]),
    ("description", "Description", "string", ["description"]),
    ("comment", "Comment", "comments-page", ["comment"]),
    ("project", "Project", "project", ["project"]),
    (
        "statuscategorychangedate",
        "Status Category Changed",
        "datetime",
        ["statusCategoryChangedDate"],
    ),
]


def target_start(start: date | None) -> date | None:
    """The decoy "Target start" value: close to, but not, the start date."""
    return start - timedelta(days=3) if start else None


def jira_time(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}"
        + local.strftime("%z")
    )


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class Renderer:
    store: JiraStore
    flavour: str  # cloud | dc
    version: str  # 2 | 3
    base: str
    viewer: SeedUser

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.viewer.time_zone)

    def api(self, path: str) -> str:
        return f"{self.base}/rest/api/{self.version}/{path}"

    def time(self, moment: datetime | None) -> str | None:
        return None if moment is None else jira_time(moment, self.zone)

    def body(self, doc: Document | None) -> Any:
        if doc is None:
            return None
        return doc.as_adf() if self.version == "3" else doc.as_wiki()

    # ------------------------------------------------------------------ people

    def user(self, user_id: str | None, *, full: bool = False) -> dict[str, Any] | None:
        if user_id is None:
            return None
        u = self.store.users[user_id]
        avatars = {
            s: f"{self.base}/secure/useravatar?size={n}&ownerId={u.username}"
            for s, n in (
                ("48x48", "large"),
                ("24x24", "small"),
                ("16x16", "xsmall"),
                ("32x32", "medium"),
            )
        }
        if self.flavour == "cloud":
            data: dict[str, Any] = {
                "self": self.api(f"user?accountId={u.account_id}"),
                "accountId": u.account_id,
                "accountType": "atlassian",
                "avatarUrls": avatars,
                "displayName": u.name,
                "active": True,
                "timeZone": u.time_zone,
            }
            # Cloud hides other people's e-mail by default.
            if u.id == self.viewer.id:
                data["emailAddress"] = u.email
        else:
            data = {
                "self": self.api(f"user?username={u.username}"),
                "name": u.username,
                "key": f"JIRAUSER{10100 + u.index}",
                "emailAddress": u.email,
                "avatarUrls": avatars,
                "displayName": u.name,
                "active": True,
                "timeZone": u.time_zone,
            }
        if full:
            data["locale"] = u.locale
            data["groups"] = {"size": 1, "items": []}
            data["applicationRoles"] = {"size": 1, "items": []}
            data["expand"] = "groups,applicationRoles"
        return data

    def listed_project(self, key: str, expand: set[str]) -> dict[str, Any]:
        """A project as ``/project/search`` (Cloud) and ``/project`` list it: the category
        when it has one, the lead (a short user) only with ``expand=lead``, as Jira does."""
        data: dict[str, Any] = {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            **self.project(key),
            "style": "classic",
            "isPrivate": False,
        }
        if "lead" in expand:
            lead = self.user(self.store.project_leads.get(key))
            if lead is not None:
                lead.pop("timeZone", None)  # a project's lead is the short user form
                data["lead"] = lead
        return data

    # ------------------------------------------------------------------ issues

    def status(self, status: str) -> dict[str, Any]:
        name, sid, cat_key, cat_id, cat_name = STATUSES[status]
        return {
            "self": self.api(f"status/{sid}"),
            "description": "",
            "iconUrl": f"{self.base}/images/icons/statuses/generic.png",
            "name": name,
            "id": sid,
            "statusCategory": {
                "self": self.api(f"statuscategory/{cat_id}"),
                "id": cat_id,
                "key": cat_key,
                "colorName": _CATEGORY_COLOURS[cat_key],
                "name": cat_name,
            },
        }

    def project(self, key: str) -> dict[str, Any]:
        """A project as an issue's ``project`` field and ``GET /project/{key}`` show it. The
        seed's client is the project's category, as agencies group client projects in Jira;
        a project whose client is its own name has none (Jira omits the key then)."""
        project = self.store.projects[key]
        pid = self.store.project_ids[key]
        data: dict[str, Any] = {
            "self": self.api(f"project/{pid}"),
            "id": str(pid),
            "key": key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
        }
        if project.client != project.name:
            cid = self.store.category_ids[project.client]
            data["projectCategory"] = {
                "self": self.api(f"projectCategory/{cid}"),
                "id": str(cid),
                "name": project.client,
                "description": "",
            }
        return data

    def fields(self, issue: JiraIssue, *, comment_cap: int | None) -> dict[str, Any]:
        type_id = _TYPE_IDS.get(issue.type, str(10010 + sum(map(ord, issue.type)) % 900))
        comments = issue.comments if comment_cap is None else issue.comments[:comment_cap]
        status_changed = next(
            (h.created for h in reversed(issue.changelog) if h.items[0][0] == "status"),
            issue.created,
        )
        target = target_start(issue.start_date)
        return {
            "summary": issue.summary,
            "issuetype": {
                "self": self.api(f"issuetype/{type_id}"),
                "id": type_id,
                "name": issue.type,
                "subtask": False,
                "description": "",
            },
            "status": self.status(issue.status),
            "priority": {
                "self": self.api(f"priority/{_PRIORITY_IDS.get(issue.priority, '10000')}"),
                "name": issue.priority,
                "id": _PRIORITY_IDS.get(issue.priority, "10000"),
            }
            if issue.priority
            else None,
            "labels": list(issue.labels),
            "components": [
                {"self": self.api(f"component/{10000 + i}"), "id": str(10000 + i), "name": c}
                for i, c in enumerate(issue.components)
            ],
            "assignee": self.user(issue.assignee),
            "reporter": self.user(issue.reporter),
            "creator": self.user(issue.reporter),
            "created": self.time(issue.created),
            "updated": self.time(issue.updated),
            "duedate": _day(issue.due),
            "resolutiondate": self.time(issue.resolved),
            "resolution": {
                "self": self.api("resolution/10000"),
                "id": "10000",
                "name": "Done",
                "description": "",
            }
            if issue.status == "done"
            else None,
            "statuscategorychangedate": self.time(status_changed),
            "description": self.body(issue.description),
            "project": self.project(issue.project),
            "comment": {
                "comments": [self.comment(issue, c) for c in comments],
                "self": self.api(f"issue/{issue.id}/comment"),
                "maxResults": len(comments),
                "total": len(issue.comments),
                "startAt": 0,
            },
            START_DATE_FIELD[self.flavour]: _day(issue.start_date),
            TARGET_START_FIELD[self.flavour]: _day(target),
        }

    def issue(
        self,
        issue: JiraIssue,
        wanted: set[str] | None,
        *,
        comment_cap: int | None = None,
        expand: set[str] = frozenset(),  # type: ignore[assignment]
        properties: list[str] | None = None,
    ) -> dict[str, Any]:
        """``wanted`` None = all fields; an empty set = id only (Cloud's search default)."""
        if wanted is not None and wanted <= {"id"}:
            return {"id": str(issue.id)}
        data: dict[str, Any] = {
            "expand": _ISSUE_EXPAND,
            "id": str(issue.id),
            "self": self.api(f"issue/{issue.id}"),
            "key": issue.key,
        }
        if wanted is None or wanted - {"id", "key"}:
            skip_comments = wanted is not None and "comment" not in wanted
            fields = self.fields(issue, comment_cap=0 if skip_comments else comment_cap)
            data["fields"] = (
                fields if wanted is None else {k: v for k, v in fields.items() if k in wanted}
            )
        else:
            data["fields"] = {}
        if "changelog" in expand:
            # Search results embed at most ``comment_cap`` histories, like comments.
            kept = issue.changelog if comment_cap is None else issue.changelog[:comment_cap]
            histories = [self.history(h) for h in kept]
            data["changelog"] = {
                "startAt": 0,
                "maxResults": len(histories),
                "total": len(issue.changelog),
                "histories": histories,
            }
        if "names" in expand:
            names = {f[0]: f[1] for f in FIELDS}
            names[START_DATE_FIELD[self.flavour]] = "Start date"
            names[TARGET_START_FIELD[self.flavour]] = "Target start"
            data["names"] = {k: v for k, v in names.items() if k in data["fields"]}
        if properties:
            data["properties"] = {
                k: v for k, v in issue.properties.items() if "*all" in properties or k in properties
            }
        return data

    def comment(
        self, issue: JiraIssue, c: JiraComment, *, with_properties: bool = False
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "self": self.api(f"issue/{issue.id}/comment/{c.id}"),
            "id": str(c.id),
            "author": self.user(c.author),
            "body": self.body(c.body),
            "updateAuthor": self.user(c.author),
            "created": self.time(c.created),
            "updated": self.time(c.updated),
        }
        if self.flavour == "cloud":
            data["jsdPublic"] = True
        if with_properties:
            data["properties"] = [{"key": k, "value": v} for k, v in c.properties.items()]
        return data

    def history(self, h: History) -> dict[str, Any]:
        items = []
        for field, old, old_s, new, new_s in h.items:
            custom = field.startswith("Start") or field == "Rank"
            item: dict[str, Any] = {"field": field, "fieldtype": "custom" if custom else "jira"}
            if self.flavour == "cloud" and field == "Rank":
                item["fieldId"] = RANK_FIELD["cloud"]
            if self.flavour == "cloud" and field in (
                "status",
                "resolution",
                "labels",
                "duedate",
                "assignee",
                "summary",
                "priority",
                "description",
            ):
                item["fieldId"] = field
            # The spec declares these non-nullable strings: absent rather than null.
            values = {"from": old, "fromString": old_s, "to": new, "toString": new_s}
            item.update({k: v for k, v in values.items() if v is not None})
            items.append(item)
        return {
            "id": str(h.id),
            "author": self.user(h.author),
            "created": self.time(h.created),
            "items": items,
        }

    def field_list(self) -> list[dict[str, Any]]:
        out = [
            {
                "id": fid,
                "key": fid,
                "name": name,
                "custom": False,
                "orderable": fid not in ("created", "updated", "status", "resolutiondate"),
                "navigable": True,
                "searchable": True,
                "clauseNames": clauses,
                "schema": {"type": kind, "system": fid},
            }
            for fid, name, kind, clauses in FIELDS
        ]
        for fid, name, kind, plugin in (
            (
                TARGET_START_FIELD[self.flavour],
                "Target start",
                "date",
                "com.atlassian.jpo:jpo-custom-field-baseline-start",
            ),
            (
                START_DATE_FIELD[self.flavour],
                "Start date",
                "date",
                "com.atlassian.jira.plugin.system.customfieldtypes:datepicker",
            ),
            (RANK_FIELD[self.flavour], "Rank", "any", "com.pyxis.greenhopper.jira:gh-lexo-rank"),
        ):
            number = int(fid.rsplit("_", 1)[1])
            out.append(
                {
                    "id": fid,
                    "key": fid,
                    "name": name,
                    "custom": True,
                    "orderable": True,
                    "navigable": True,
                    "searchable": True,
                    "clauseNames": [f"cf[{number}]", name],
                    "schema": {"type": kind, "custom": plugin, "customId": number},
                }
            )
        return out
