"""Write endpoints of the sandbox Jira — issue edits (fields and label operations), comments
(v3 bodies validated against the ADF schema, ``properties`` stored atomically with the
comment), issue and comment entity properties — and ``/_sandbox/act``.

Every write that Jira would count as a change bumps the issue's ``updated`` (the store
does it) so incremental sync sees it."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from connectors.sandbox.common.control import Act, ActError
from connectors.sandbox.common.docconv import validate_adf
from connectors.sandbox.common.seed import Document, SeedUser
from connectors.sandbox.jira.base import PROPERTY_LIMIT, JiraBase, error
from connectors.sandbox.jira.render import (
    START_DATE_FIELD,
    Renderer,
)
from connectors.sandbox.jira.store import JiraIssue, StoreError

__all__ = ["WriteEndpoints"]

_NOT_SETTABLE = "Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
_TOO_LONG = f"The property value is too long. Maximum length is {PROPERTY_LIMIT} characters."


class WriteEndpoints(JiraBase):
    def _user_ref(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise StoreError("expected a user object", status=400)
        if self.cloud:
            return self.store.user_for(account_id=value.get("accountId") or value.get("id")).id
        return self.store.user_for(username=value.get("name")).id

    def _doc(self, value: Any, version: str, field: str) -> Document | None:
        if value is None:
            return None
        if version == "3":
            if not isinstance(value, dict) or not validate_adf(value):
                raise _Invalid(field, f"{field.capitalize()} is not valid ADF.")
            return Document(adf=value)
        if not isinstance(value, str):
            raise _Invalid(field, f"Operation value must be a string for {field}.")
        return Document(wiki=value)

    async def put_issue(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        issue = self.store.issue(request.path_params["key"])
        data = await self.body(request) or {}
        changes: dict[str, Any] = {}
        new_comments: list[Document] = []
        try:
            for name, value in (data.get("fields") or {}).items():
                changes.update(self._field_change(issue, name, value, r.version))
            for name, ops in (data.get("update") or {}).items():
                if name == "comment":  # update.comment: [{"add": {"body": …}}]
                    for op in ops:
                        body = self._doc((op.get("add") or {}).get("body"), r.version, "comment")
                        if body is None:
                            raise _Invalid("comment", "Comment body is not valid!")
                        new_comments.append(body)
                    continue
                if name != "labels":
                    raise _Invalid(name, _NOT_SETTABLE.format(name=name))
                labels = list(changes.get("labels", issue.labels))
                for op in ops:
                    if "add" in op and op["add"] not in labels:
                        labels.append(op["add"])
                    elif "remove" in op and op["remove"] in labels:
                        labels.remove(op["remove"])
                    elif "set" in op:
                        labels = list(op["set"])
                changes["labels"] = labels
        except _Invalid as exc:
            return error(400, errors={exc.field: exc.message})
        if any(" " in label for label in changes.get("labels", [])):
            return error(400, errors={"labels": "The label contains spaces which is invalid."})
        self.store.set_fields(issue, user.id, changes)
        for body in new_comments:
            self.store.add_comment(issue, user.id, body)
        return Response(status_code=204)

    def _field_change(
        self, issue: JiraIssue, name: str, value: Any, version: str
    ) -> dict[str, Any]:
        if name == "summary":
            return {"summary": str(value)}
        if name == "labels":
            return {"labels": list(value or [])}
        if name == "duedate":
            return {"due": _date(value, name)}
        if name == START_DATE_FIELD[self.flavour]:
            return {"start_date": _date(value, name)}
        if name == "assignee":
            return {"assignee": self._user_ref(value)}
        if name == "priority":
            return {"priority": None if value is None else value.get("name")}
        if name == "description":
            return {"description": self._doc(value, version, name)}
        if name == "components":
            return {"components": [c.get("name") for c in value or []]}
        raise _Invalid(name, _NOT_SETTABLE.format(name=name))

    async def rank(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        """Jira Software's ``PUT /rest/agile/1.0/issue/rank``: move issues before or after
        another on boards and backlogs. The sandbox keeps no order; it answers 204 and
        writes the "Rank" changelog item Jira writes ("Ranked higher"/"Ranked lower") and
        bumps ``updated``, so an incremental sync reads the issue again."""
        data = await self.body(request)
        if not isinstance(data, dict) or not isinstance(data.get("issues"), list):
            return error(400, "issues: a list of issue keys or ids is required")
        before, after = data.get("rankBeforeIssue"), data.get("rankAfterIssue")
        if (before is None) == (after is None):
            return error(400, "Exactly one of rankBeforeIssue and rankAfterIssue is required.")
        if not 1 <= len(data["issues"]) <= 50:
            return error(400, "Between 1 and 50 issues can be ranked at once.")
        anchor = self.store.issue(str(before or after))
        moved = [self.store.issue(str(key)) for key in data["issues"]]
        # Without an order to compare, "before another" reads as higher, "after" as lower.
        word = "Ranked higher" if before is not None else "Ranked lower"
        for issue in moved:
            if issue.id != anchor.id:
                self.store.record(issue, user.id, [("Rank", "", "", "", word)])
        return Response(status_code=204)

    async def add_comment(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        issue = self.store.issue(request.path_params["key"])
        data = await self.body(request)
        if not isinstance(data, dict):
            return error(400, "Can not deserialize the request body.")
        body = data.get("body")
        if r.version == "3":
            if not isinstance(body, dict) or not validate_adf(body):
                return error(400, errors={"comment": "Comment body is not valid!"})
            doc = Document(adf=body)
        else:
            if not isinstance(body, str) or not body.strip():
                return error(400, errors={"comment": "Comment body can not be empty!"})
            doc = Document(wiki=body)
        properties: dict[str, Any] = {}
        for prop in data.get("properties") or []:
            if not isinstance(prop, dict) or not isinstance(prop.get("key"), str):
                return error(400, "Property key must be a string.")
            if len(json.dumps(prop.get("value"))) > PROPERTY_LIMIT:
                return error(
                    400,
                    _TOO_LONG,
                )
            properties[prop["key"]] = prop.get("value")
        if self.drop_comment_properties:
            properties = {}
        comment = self.store.add_comment(issue, user.id, doc, properties)
        return JSONResponse(r.comment(issue, comment), status_code=201)

    # ------------------------------------------------------------------ properties

    def _holder(self, request: Request) -> dict[str, Any]:
        if "cid" in request.path_params:
            return self.store.comment(request.path_params["cid"])[1].properties
        return self.store.issue(request.path_params["key"]).properties

    async def property_keys(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        holder = self._holder(request)
        base = str(request.url).split("?")[0].rstrip("/")
        return JSONResponse({"keys": [{"self": f"{base}/{k}", "key": k} for k in holder]})

    async def get_property(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        holder, key = self._holder(request), request.path_params["prop"]
        if key not in holder:
            return error(404, f"The property with key '{key}' does not exist.")
        return JSONResponse({"key": key, "value": holder[key]})

    async def put_property(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        holder, key = self._holder(request), request.path_params["prop"]
        raw = await request.body()
        if len(raw) > PROPERTY_LIMIT:
            return error(
                400,
                _TOO_LONG,
            )
        value = await self.body(request)
        with self.store.lock:
            existed = key in holder
            holder[key] = value
        return Response(status_code=200 if existed else 201)

    async def delete_property(self, request: Request, user: SeedUser, r: Renderer) -> Response:
        holder, key = self._holder(request), request.path_params["prop"]
        with self.store.lock:
            if holder.pop(key, _MISSING) is _MISSING:
                return error(404, f"The property with key '{key}' does not exist.")
        return Response(status_code=204)

    # ------------------------------------------------------------------ acting as a human

    def act(self, act: Act) -> dict[str, Any]:
        try:
            issue = self.store.issue(act.key)
        except StoreError:
            raise ActError(f"task: no issue {act.key}", status=404) from None
        if act.user not in self.store.users:
            raise ActError(f"unknown seed user {act.user!r}", status=404)
        result: dict[str, Any] = {"key": issue.key}
        if act.action == "comment":
            assert act.body is not None
            result["comment_id"] = str(self.store.add_comment(issue, act.user, act.body).id)
        elif act.action == "transition":
            assert act.status is not None
            self.store.transition(issue, act.user, act.status)
        else:
            self.store.set_fields(issue, act.user, self._act_fields(act.fields))
        result["updated"] = issue.updated.isoformat()
        return result

    def _act_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name, value in fields.items():
            if name == "title":
                changes["summary"] = str(value)
            elif name == "assignees":
                users = list(value or [])
                if len(users) > 1:
                    raise ActError("fields.assignees: Jira takes at most one assignee")
                for u in users:
                    if u not in self.store.users:
                        raise ActError(f"fields.assignees: unknown seed user {u!r}", status=404)
                changes["assignee"] = users[0] if users else None
            elif name in ("due", "start_date"):
                try:
                    changes[name] = None if value is None else date.fromisoformat(value)
                except (TypeError, ValueError):
                    raise ActError(f"fields.{name}: expected YYYY-MM-DD or null") from None
            elif name in ("labels", "components"):
                changes[name] = list(value or [])
            else:
                changes[name] = value
        return changes


_MISSING = object()


class _Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _date(value: Any, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _Invalid(field, f"Error parsing date string: {value}") from None
