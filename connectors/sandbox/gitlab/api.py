"""The sandbox GitLab's ``/api/v4`` endpoints (routing and auth live in ``gitlab_app``).

Each handler takes a ``Call`` (the authenticated user, path parameters, merged query/body
parameters) and returns a ``Reply``. Bad parameters answer 400 as GitLab does — never
silently ignored — so a client bug shows up in tests instead of in production.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from connectors.sandbox.gitlab import render
from connectors.sandbox.gitlab.calls import (
    ACCESS_LEVEL,
    MAX_NOTE,
    ApiError,
    Call,
    Reply,
    check_group,
    issue_of,
    list_param,
    project_of,
    time_param,
)
from connectors.sandbox.gitlab.paging import keyset_page, offset_page
from connectors.sandbox.gitlab.state import Issue
from connectors.sandbox.gitlab.writes import UNSET, Changes, apply_changes, create_note, edit_note

__all__ = ["handlers"]

_ORDER: dict[str, Callable[[Issue], Any]] = {
    "created_at": lambda i: i.created_at,
    "updated_at": lambda i: i.updated_at,
    "due_date": lambda i: i.due_date or date.max,
    "title": lambda i: i.title,
}


_KEYSET_ORDERS = ("created_at", "updated_at", "due_date", "title")


def _issues(call: Call, issues: list[Issue], *, project: bool) -> Reply:
    p = call.params
    state = p.get("state", "all")
    if state not in ("opened", "closed", "all"):
        raise ApiError(400, {"error": "state does not have a valid value"})
    order_by, sort = p.get("order_by", "created_at"), p.get("sort", "desc")
    if order_by not in _ORDER:
        raise ApiError(400, {"error": "order_by does not have a valid value"})
    if sort not in ("asc", "desc"):
        raise ApiError(400, {"error": "sort does not have a valid value"})
    bounds = {
        n: time_param(call, n)
        for n in ("updated_after", "updated_before", "created_after", "created_before")
    }
    labels = list_param(p.get("labels"))
    rows = [i for i in issues if state in ("all", i.state)]
    if bounds["updated_after"]:
        rows = [i for i in rows if i.updated_at >= bounds["updated_after"]]
    if bounds["updated_before"]:
        rows = [i for i in rows if i.updated_at <= bounds["updated_before"]]
    if bounds["created_after"]:
        rows = [i for i in rows if i.created_at >= bounds["created_after"]]
    if bounds["created_before"]:
        rows = [i for i in rows if i.created_at <= bounds["created_before"]]
    if labels == ["None"]:
        rows = [i for i in rows if not i.labels]
    elif labels == ["Any"]:
        rows = [i for i in rows if i.labels]
    elif labels:
        rows = [i for i in rows if all(n in i.labels for n in labels)]
    if "assignee_id" in p:
        wanted = str(p["assignee_id"])
        rows = [i for i in rows if str(i.assignee_ids[0] if i.assignee_ids else "None") == wanted]
    key = _ORDER[order_by]
    rows.sort(key=lambda i: (key(i), i.id), reverse=sort == "desc")
    keyset_capable = project and call.options.keyset_issues
    if p.get("pagination") == "keyset" and not project:
        raise ApiError(405, "Keyset pagination is not yet available for this type of request")
    if p.get("pagination") == "keyset" and keyset_capable and order_by in _KEYSET_ORDERS:
        chunk, headers = keyset_page(
            call.request, rows, lambda i: _sort_key(key(i)), lambda i: i.id, sort == "desc"
        )
    else:  # older GitLab ignores pagination=keyset; 18.3+ falls back for other orders
        chunk, headers = offset_page(
            call.request,
            rows,
            keyset_capable=keyset_capable,
            count_limit=call.options.count_limit,
            max_offset=call.options.max_offset,
        )
    return Reply([render.issue_json(call.state, i, call.base) for i in chunk], headers=headers)


def _sort_key(value: Any) -> Any:
    """A JSON-able keyset key: timestamps as GitLab's text (sorts like the moment)."""
    if isinstance(value, datetime):
        return render.ts(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def project_issues(call: Call) -> Reply:
    return _issues(call, call.state.project_issues(project_of(call).id), project=True)


def group_issues(call: Call) -> Reply:
    check_group(call)
    return _issues(call, call.state.all_issues(), project=False)


def get_issue(call: Call) -> Reply:
    return Reply(render.issue_json(call.state, issue_of(call), call.base))


def _due(value: Any) -> Any:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ApiError(400, {"error": "due_date is invalid"}) from None


def _weight(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        weight = int(value)
    except (TypeError, ValueError):
        raise ApiError(400, {"error": "weight is invalid"}) from None
    if weight < 0:
        raise ApiError(400, {"error": "weight does not have a valid value"})
    return weight


def put_issue(call: Call) -> Reply:
    issue, p = issue_of(call), call.params
    changes = Changes()
    for name in ("title", "description"):
        if name in p:
            setattr(changes, name, p[name])
    if p.get("state_event") not in (None, "close", "reopen"):
        raise ApiError(400, {"error": "state_event does not have a valid value"})
    changes.state_event = p.get("state_event")
    if "labels" in p:
        changes.labels = list_param(p["labels"])
    changes.add_labels = list_param(p.get("add_labels"))
    changes.remove_labels = list_param(p.get("remove_labels"))
    changes.due_date = _due(p["due_date"]) if "due_date" in p else UNSET
    if "assignee_ids" in p:
        changes.assignee_ids = [int(v) for v in list_param(p["assignee_ids"]) if v != "0"]
    elif "assignee_id" in p:
        changes.assignee_ids = (
            [int(p["assignee_id"])] if str(p["assignee_id"]) not in ("0", "") else []
        )
    if "weight" in p:
        changes.weight = _weight(p["weight"])
    unknown = [i for i in changes.assignee_ids or [] if i not in call.state.users]
    if unknown:
        raise ApiError(400, {"error": f"assignee_ids: unknown users {unknown}"})
    apply_changes(call.state, issue, call.user, changes)
    return Reply(render.issue_json(call.state, issue, call.base))


def list_notes(call: Call) -> Reply:
    issue, p = issue_of(call), call.params
    order_by, sort = p.get("order_by", "created_at"), p.get("sort", "desc")
    if order_by not in ("created_at", "updated_at") or sort not in ("asc", "desc"):
        raise ApiError(400, {"error": "order_by/sort does not have a valid value"})
    rows = sorted(issue.notes, key=lambda n: (getattr(n, order_by), n.id), reverse=sort == "desc")
    chunk, headers = offset_page(call.request, rows, count_limit=call.options.count_limit)
    visible = [n for n in chunk if not n.hidden]  # filtered after paging: short pages
    return Reply([render.note_json(call.state, issue, n) for n in visible], headers=headers)


def _note_of(call: Call, issue: Issue) -> Any:
    note_id = call.args["note"]
    note = next((n for n in issue.notes if str(n.id) == note_id and not n.hidden), None)
    if note is None:
        raise ApiError(404, "404 Note Not Found")
    return note


def get_note(call: Call) -> Reply:
    issue = issue_of(call)
    return Reply(render.note_json(call.state, issue, _note_of(call, issue)))


def post_note(call: Call) -> Reply:
    issue, body = issue_of(call), call.params.get("body")
    if not isinstance(body, str) or not body.strip():
        raise ApiError(400, {"error": "body is missing"})
    if len(body) > MAX_NOTE:
        raise ApiError(400, {"note": ["is too long (maximum is 1000000 characters)"]})
    if not call.limiter.allow(call.user.id):
        raise ApiError(429, "This endpoint has been requested too many times. Try again later.")
    internal = str(call.params.get("internal", "false")).lower() in ("true", "1")
    outcome = create_note(call.state, issue, call.user, body, internal=internal)
    if outcome.note is None:
        return Reply(
            {"commands_changes": outcome.commands_changes, "summary": outcome.summary}, status=202
        )
    return Reply(render.note_json(call.state, issue, outcome.note), status=201)


def put_note(call: Call) -> Reply:
    issue = issue_of(call)
    note = _note_of(call, issue)
    if note.author_id != call.user.id:
        raise ApiError(403, "403 Forbidden")
    body = call.params.get("body")
    if not isinstance(body, str) or not body.strip():
        raise ApiError(400, {"error": "body is missing"})
    edit_note(call.state, issue, note, body)
    return Reply(render.note_json(call.state, issue, note))


def _events(call: Call, kind: str, shape: Callable[..., dict[str, Any]]) -> Reply:
    """One page of an issue's resource events of ``kind`` (oldest first, by id)."""
    issue = issue_of(call)
    events = sorted(getattr(issue, kind), key=lambda e: e.id)
    chunk, headers = offset_page(call.request, events)
    return Reply([shape(call.state, issue, e, call.base) for e in chunk], headers=headers)


def label_events(call: Call) -> Reply:
    return _events(call, "label_events", render.label_event_json)


def state_events(call: Call) -> Reply:
    return _events(call, "state_events", render.state_event_json)


def weight_events(call: Call) -> Reply:
    return _events(call, "weight_events", render.weight_event_json)


def no_events(call: Call) -> Reply:
    """Milestone and iteration events: the sandbox has neither milestones nor iterations,
    so every issue has an empty, one-page list (as GitLab answers for an issue without)."""
    issue_of(call)
    nothing: list[Any] = []
    chunk, headers = offset_page(call.request, nothing)
    return Reply(chunk, headers=headers)


def get_project(call: Call) -> Reply:
    return Reply(render.project_json(project_of(call), call.base, ACCESS_LEVEL))


def get_group(call: Call) -> Reply:
    check_group(call)
    return Reply(render.group_json(call.base))


def member(call: Call) -> Reply:
    if "project" in call.args:
        project_of(call)
    else:
        check_group(call)
    uid = call.args["user"]
    user = call.state.users.get(int(uid)) if uid.isdigit() else None
    if user is None:
        raise ApiError(404, "404 Not found")
    return Reply(render.member_json(user, call.base, ACCESS_LEVEL))


def current_user(call: Call) -> Reply:
    return Reply(render.current_user_json(call.user, call.base))


def token_self(call: Call) -> Reply:
    return Reply(
        {
            "id": 9000 + call.user.id,
            "name": "syncd" if call.user.bot else f"{call.user.username} token",
            "revoked": False,
            "created_at": render.ts(call.user.created_at),
            "description": "",
            "scopes": ["api"],
            "user_id": call.user.id,
            "last_used_at": render.ts(call.state.now()),
            "active": True,
            "expires_at": None,
        }
    )


def version(call: Call) -> Reply:
    return Reply(dict(render.VERSION))


P, G, IID, N = ":project", ":group", ":iid", ":note"
handlers: list[tuple[str, tuple[str, ...], Callable[[Call], Reply]]] = [
    ("GET", ("version",), version),
    ("GET", ("user",), current_user),
    ("GET", ("personal_access_tokens", "self"), token_self),
    ("GET", ("projects", P), get_project),
    ("GET", ("projects", P, "members", "all", ":user"), member),
    ("GET", ("groups", G), get_group),
    ("GET", ("groups", G, "members", "all", ":user"), member),
    ("GET", ("groups", G, "issues"), group_issues),
    ("GET", ("projects", P, "issues"), project_issues),
    ("GET", ("projects", P, "issues", IID), get_issue),
    ("PUT", ("projects", P, "issues", IID), put_issue),
    ("GET", ("projects", P, "issues", IID, "notes"), list_notes),
    ("POST", ("projects", P, "issues", IID, "notes"), post_note),
    ("GET", ("projects", P, "issues", IID, "notes", N), get_note),
    ("PUT", ("projects", P, "issues", IID, "notes", N), put_note),
    ("GET", ("projects", P, "issues", IID, "resource_label_events"), label_events),
    ("GET", ("projects", P, "issues", IID, "resource_state_events"), state_events),
    ("GET", ("projects", P, "issues", IID, "resource_weight_events"), weight_events),
    ("GET", ("projects", P, "issues", IID, "resource_milestone_events"), no_events),
    ("GET", ("projects", P, "issues", IID, "resource_iteration_events"), no_events),
]
