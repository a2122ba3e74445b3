"""The sandbox GitLab: a stateful ``/api/v4`` the real python-gitlab cannot tell from GitLab.

``create_gitlab_app(seed)`` returns a Starlette app serving the seed (mapping in
``gitlab_state``) with GitLab's auth (``PRIVATE-TOKEN`` or ``Authorization: Bearer``; a wrong
token answers 401 ``{"message": "401 Unauthorized"}``), paging (``gitlab_paging``), writes
(``gitlab_writes``) and the application rate limit on note creation: beyond
``notes_per_minute`` per user a header-less 429, as gitlab.com answers. Throttling with
``RateLimit-*``/``Retry-After`` headers is injected through the shared fault plan.

Routing works on the raw path: GitLab's ``:id`` is a number or a URL-encoded path
(``agency%2Fshop``), and ASGI servers decode ``%2F`` in ``scope["path"]``.

``POST /api/graphql`` serves the part of GitLab's GraphQL API syncd uses (``gitlab_graphql``);
``graphql=False`` answers it with a proxy's 404 page instead.

``app.state.sandbox_act`` acts as a seed user (``POST /_sandbox/act``, see README.md):
comments become notes (quick actions included), updates become system notes and label
events, transitions become ``Doing`` label and state events — all authored by that user.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox.common.control import Act, ActError, SandboxClock
from connectors.sandbox.common.seed import Seed
from connectors.sandbox.gitlab.api import handlers
from connectors.sandbox.gitlab.calls import ApiError, Call, Options, RateLimiter, page_error
from connectors.sandbox.gitlab.graphql import run_query
from connectors.sandbox.gitlab.paging import COUNT_LIMIT, MAX_OFFSET, PageError
from connectors.sandbox.gitlab.render import ts
from connectors.sandbox.gitlab.state import DOING, GitLabState, Issue, User
from connectors.sandbox.gitlab.writes import Changes, apply_changes, create_note

__all__ = ["create_gitlab_app"]

_PREFIX = "/api/v4/"
_SCOPED = ("type::", "priority::", "component::")


def _segments(request: Request) -> list[str]:
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.url.path
    path = path.split("?", 1)[0]
    return [unquote(s) for s in path[len(_PREFIX) :].split("/") if s]


def _match(method: str, segments: list[str]) -> tuple[Any, dict[str, str]] | None:
    for verb, pattern, handler in handlers:
        if verb != method or len(pattern) != len(segments):
            continue
        args: dict[str, str] = {}
        for want, got in zip(pattern, segments, strict=True):
            if want.startswith(":"):
                args[want[1:]] = got
            elif want != got:
                break
        else:
            return handler, args
    return None


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    raw = await request.body()
    if not raw:
        return params
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw)
        except ValueError:
            raise ApiError(400, {"error": "body is not valid JSON"}) from None
        if not isinstance(data, dict):
            raise ApiError(400, {"error": "body must be a JSON object"})
        params.update(data)
    else:
        params.update(parse_qsl(raw.decode(), keep_blank_values=True))
    return params


def _token(request: Request) -> str | None:
    if "private-token" in request.headers:
        return request.headers["private-token"]
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None


def create_gitlab_app(
    seed: Seed,
    *,
    notes_per_minute: int = 60,
    clock: SandboxClock | None = None,
    keyset_issues: bool = True,
    count_limit: int = COUNT_LIMIT,
    max_offset: int = MAX_OFFSET,
    client_subgroups: bool = False,
    graphql: bool = True,
) -> Starlette:
    """``keyset_issues=False`` behaves like GitLab before 18.3 (no keyset paging on project
    issues); ``count_limit``/``max_offset`` lower GitLab's 10,000/50,000 paging limits;
    ``client_subgroups`` puts client projects into subgroups (``GitLabState``);
    ``graphql=False``: no GraphQL endpoint (an older, locked-down or other GitLab API)."""
    clock = clock or SandboxClock()
    state = GitLabState(seed, now=clock.now, client_subgroups=client_subgroups)
    limiter = RateLimiter(notes_per_minute, state.now)
    options = Options(notes_per_minute, keyset_issues, count_limit, max_offset)

    async def api(request: Request) -> Response:
        try:
            found = _match(request.method, _segments(request))
            token = _token(request)
            user = state.user_by_token(token) if token else None
            if user is None:
                raise ApiError(401, "401 Unauthorized")
            if found is None:
                raise ApiError(404, "404 Not Found")
            handler, args = found
            params = await _params(request)
            base = f"{request.url.scheme}://{request.url.netloc}"
            with state.lock:
                reply = handler(Call(request, state, user, args, params, base, limiter, options))
        except PageError as exc:
            return _error(page_error(exc))
        except ApiError as exc:
            return _error(exc)
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)

    async def graphql_api(request: Request) -> Response:
        if not graphql:
            return HTMLResponse(_NOT_FOUND_PAGE, status_code=404)
        token = _token(request)
        user = state.user_by_token(token) if token else None
        if token and user is None:
            return JSONResponse({"errors": [{"message": "Invalid token"}]}, status_code=401)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"errors": [{"message": "Invalid JSON in request body"}]})
        return JSONResponse(run_query(state, user, body))

    app = Starlette(
        routes=[
            Route("/api/v4/{rest:path}", api, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/api/graphql", graphql_api, methods=["POST"]),
        ]
    )
    app.state.gitlab = state
    app.state.sandbox_clock = clock
    app.state.sandbox_act = lambda act: _act(state, act)
    app.state.note_limiter = limiter
    return app


_NOT_FOUND_PAGE = "<html><head><title>404 Not Found</title></head><body>Not Found</body></html>"


def _error(exc: ApiError) -> JSONResponse:
    body = exc.message if isinstance(exc.message, dict) else {"message": exc.message}
    return JSONResponse(body, status_code=exc.status)


def _act_issue(state: GitLabState, act: Act) -> tuple[Issue, User]:
    project = state.project_by_key(act.project)
    issue = state.issues.get((project.id, act.number)) if project else None
    if issue is None:
        raise ActError(f"task: no task {act.key}", 404)
    user = state.users_by_seed.get(act.user)
    if user is None:
        raise ActError(f"no seed user {act.user!r}")
    return issue, user


def _act(state: GitLabState, act: Act) -> dict[str, Any]:
    with state.lock:
        issue, user = _act_issue(state, act)
        result: dict[str, Any] = {
            "key": f"{state.projects[issue.project_id].full_path}#{issue.iid}"
        }
        if act.action == "comment":
            assert act.body is not None
            outcome = create_note(state, issue, user, act.body.as_markdown(), internal=act.internal)
            result["note_id"] = outcome.note.id if outcome.note else None
            result["summary"] = outcome.summary
        elif act.action == "transition":
            changes = Changes()
            if act.status == "done":
                changes.state_event, changes.remove_labels = "close", [DOING]
            else:
                changes.state_event = "reopen"
                changes.add_labels = [DOING] if act.status == "in_progress" else []
                changes.remove_labels = [DOING] if act.status == "new" else []
            apply_changes(state, issue, user, changes)
        else:
            apply_changes(state, issue, user, _act_changes(state, issue, act.fields))
        result["updated_at"] = ts(issue.updated_at)
        return result


def _act_changes(state: GitLabState, issue: Issue, fields: dict[str, Any]) -> Changes:
    """Seed-format field values → a GitLab update (scoped labels for type/priority/…)."""
    changes = Changes()
    labels = list(issue.labels)

    def replace(prefix: str | None, new: list[str]) -> None:
        nonlocal labels
        if prefix is None:  # plain labels: everything not scoped and not Doing
            keep = [n for n in labels if n.startswith(_SCOPED) or n == DOING]
        else:
            keep = [n for n in labels if not n.startswith(prefix)]
        labels = keep + new

    try:
        if "title" in fields:
            changes.title = str(fields["title"])
        if "description" in fields:
            doc = fields["description"]
            changes.description = None if doc is None else doc.as_markdown()
        if "labels" in fields:
            replace(None, [str(n) for n in fields["labels"]])
        if "type" in fields:
            kind = fields["type"]
            replace("type::", [f"type::{kind.lower()}"] if kind and kind != "Task" else [])
        if "priority" in fields:
            prio = fields["priority"]
            replace("priority::", [f"priority::{prio.lower()}"] if prio else [])
        if "components" in fields:
            replace("component::", [f"component::{c}" for c in fields["components"]])
        if "due" in fields:
            changes.due_date = date.fromisoformat(fields["due"]) if fields["due"] else None
        if "assignees" in fields:
            ids = []
            for uid in fields["assignees"]:
                if uid not in state.users_by_seed:
                    raise ActError(f"fields.assignees: no seed user {uid!r}")
                ids.append(state.users_by_seed[uid].id)
            changes.assignee_ids = ids
    except (TypeError, ValueError, AttributeError) as exc:
        raise ActError(f"fields: {exc}") from None
    if labels != issue.labels:
        changes.labels = labels
    return changes
