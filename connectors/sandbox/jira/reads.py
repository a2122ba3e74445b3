"""Read endpoints of the sandbox Jira: server info, the current user, fields, search
(Cloud ``/search/jql``, Data Center ``/search``), issues, changelogs and comment pages."""

from __future__ import annotations

import dataclasses
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.sandbox.common.seed import SeedUser
from connectors.sandbox.jira.base import EMBEDDED_COMMENT_CAP, GONE, JiraBase, error
from connectors.sandbox.jira.render import (
    Renderer,
    jira_time,
)
from connectors.sandbox.jira.search import parse_fields, search_cloud, search_dc
from connectors.sandbox.jira.store import STATUSES

__all__ = ["ReadEndpoints"]


class ReadEndpoints(JiraBase):
    # ------------------------------------------------------------------ server, user, fields

    async def server_info(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        version, numbers = (
            ("1001.0.0-SNAPSHOT", [1001, 0, 0]) if self.cloud else ("9.12.15", [9, 12, 15])
        )
        return JSONResponse(
            {
                "baseUrl": base,
                "version": version,
                "versionNumbers": numbers,
                "deploymentType": "Cloud" if self.cloud else "Server",
                "buildNumber": 100289 if self.cloud else 9120015,
                "buildDate": "2026-11-01T00:00:00.000+0000",
                "serverTime": jira_time(self.clock.now(), ZoneInfo("UTC")),
                "scmInfo": "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6",
                "serverTitle": "Sandbox Jira",
            }
        )

    async def myself(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        data = r.user(user.id, full=True)
        assert data is not None
        data["emailAddress"] = user.email
        return JSONResponse(data)

    async def fields(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        return JSONResponse(r.field_list())

    async def statuses(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        """``GET /status``: every status with its category, as Jira lists them."""
        return JSONResponse([r.status(key) for key in STATUSES])

    async def permissions(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        keys = [
            k
            for k in request.query_params.get("permissions", "BROWSE_PROJECTS,ADD_COMMENTS").split(
                ","
            )
            if k
        ]
        return JSONResponse(
            {
                "permissions": {
                    k: {
                        "id": str(i),
                        "key": k,
                        "name": k.replace("_", " ").title(),
                        "type": "PROJECT",
                        "description": "",
                        "havePermission": True,
                    }
                    for i, k in enumerate(keys, 1)
                }
            }
        )

    # ------------------------------------------------------------------ search

    async def _search_args(self, request: Request) -> dict[str, Any]:
        if request.method == "POST":
            data = await self.body(request) or {}
            fields = data.get("fields") or []
            return {
                "jql": data.get("jql", ""),
                "fields": fields if isinstance(fields, list) else [fields],
                "maxResults": data.get("maxResults"),
                "startAt": data.get("startAt", 0),
                "nextPageToken": data.get("nextPageToken"),
                "expand": data.get("expand") or "",
                "properties": data.get("properties") or [],
                "reconcileIssues": data.get("reconcileIssues") or [],
            }
        q = request.query_params
        return {
            "jql": q.get("jql", ""),
            "fields": q.getlist("fields"),
            "maxResults": q.get("maxResults"),
            "startAt": q.get("startAt", "0"),
            "nextPageToken": q.get("nextPageToken"),
            "expand": ",".join(q.getlist("expand")),
            "properties": [p for v in q.getlist("properties") for p in v.split(",") if p],
            "reconcileIssues": [
                i for v in q.getlist("reconcileIssues") for i in v.split(",") if i.strip()
            ],
        }

    async def search_jql(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        args = await self._search_args(request)
        wanted = parse_fields(args["fields"], {"id"}, self.field_ids)
        max_results = self._int(args["maxResults"], "maxResults", 50)
        rich = wanted is None or bool(wanted - {"id", "key"})
        try:
            reconcile = frozenset(int(i) for i in args["reconcileIssues"])
        except (TypeError, ValueError):
            return error(400, "reconcileIssues: expected issue ids (numbers).")
        if len(reconcile) > 50:
            return error(400, "reconcileIssues: at most 50 issue ids.")
        ctx = dataclasses.replace(self.ctx(user), reconcile=reconcile)
        page = search_cloud(
            args["jql"],
            ctx,
            token=args["nextPageToken"],
            max_results=max_results,
            rich=rich,
            short_pages=self.short_pages,
        )
        expand = self._expand(args["expand"])
        issues = [
            r.issue(
                i,
                wanted,
                comment_cap=EMBEDDED_COMMENT_CAP,
                expand=expand,
                properties=args["properties"],
            )
            for i in page.issues
        ]
        data: dict[str, Any] = {"issues": issues, "isLast": page.next_token is None}
        if page.next_token:
            data["nextPageToken"] = page.next_token
        return JSONResponse(data)

    async def search_dc(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        if self.cloud:
            return error(410, GONE)
        args = await self._search_args(request)
        wanted = parse_fields(args["fields"], None, self.field_ids)
        start_at = self._int(args["startAt"], "startAt", 0)
        page = search_dc(
            args["jql"],
            self.ctx(user),
            start_at=start_at,
            max_results=self._int(args["maxResults"], "maxResults", 50),
        )
        expand = self._expand(args["expand"])
        return JSONResponse(
            {
                "expand": "schema,names",
                "startAt": page.start_at,
                "maxResults": page.max_results,
                "total": page.total,
                "issues": [
                    r.issue(
                        i,
                        wanted,
                        comment_cap=EMBEDDED_COMMENT_CAP,
                        expand=expand,
                        properties=args["properties"],
                    )
                    for i in page.issues
                ],
            }
        )

    async def approximate_count(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        data = await self.body(request) or {}
        page = search_dc(str(data.get("jql", "")), self.ctx(user), start_at=0, max_results=0)
        return JSONResponse({"count": page.total})

    # ------------------------------------------------------------------ issues

    async def get_issue(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        issue = self.store.issue(request.path_params["key"])
        q = request.query_params
        wanted = parse_fields(q.getlist("fields"), None, self.field_ids)
        props = [p for v in q.getlist("properties") for p in v.split(",") if p]
        with self.store.lock:
            return JSONResponse(
                r.issue(
                    issue,
                    wanted,
                    expand=self._expand(",".join(q.getlist("expand"))),
                    properties=props,
                )
            )

    async def changelog(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        issue = self.store.issue(request.path_params["key"])
        start = self._int(request.query_params.get("startAt"), "startAt", 0)
        size = max(
            1, min(self._int(request.query_params.get("maxResults"), "maxResults", 100), 100)
        )
        values = issue.changelog[start : start + size]
        data: dict[str, Any] = {
            "self": r.api(f"issue/{issue.key}/changelog?maxResults={size}&startAt={start}"),
            "maxResults": size,
            "startAt": start,
            "total": len(issue.changelog),
            "isLast": start + size >= len(issue.changelog),
            "values": [r.history(h) for h in values],
        }
        if not data["isLast"]:
            data["nextPage"] = r.api(
                f"issue/{issue.key}/changelog?maxResults={size}&startAt={start + size}"
            )
        return JSONResponse(data)

    # ------------------------------------------------------------------ comments

    async def list_comments(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        issue = self.store.issue(request.path_params["key"])
        q = request.query_params
        start = max(0, self._int(q.get("startAt"), "startAt", 0))
        size = max(0, min(self._int(q.get("maxResults"), "maxResults", 5000), 5000))
        order = q.get("orderBy", "created").strip()
        with self.store.lock:
            comments = list(issue.comments)
        if order.startswith("-"):
            comments.reverse()
        with_props = "properties" in self._expand(q.get("expand"))
        page = comments[start : start + size]
        return JSONResponse(
            {
                "startAt": start,
                "maxResults": size,
                "total": len(comments),
                "comments": [r.comment(issue, c, with_properties=with_props) for c in page],
            }
        )

    async def get_comment(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        issue = self.store.issue(request.path_params["key"])
        _owner, comment = self.store.comment(request.path_params["cid"])
        with_props = "properties" in self._expand(request.query_params.get("expand"))
        return JSONResponse(r.comment(issue, comment, with_properties=with_props))
