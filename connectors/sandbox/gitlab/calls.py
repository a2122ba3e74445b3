"""The plumbing of the sandbox GitLab's endpoints: one request (``Call``), its answer
(``Reply``), API errors in GitLab's shapes, the note-creation limiter, the app's options and
the lookups every endpoint shares (project by id or path, issue by iid, typed parameters)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from connectors.sandbox.gitlab.paging import COUNT_LIMIT, MAX_OFFSET, PageError
from connectors.sandbox.gitlab.state import GROUP_ID, GROUP_PATH, GitLabState, Issue, Project, User

__all__ = [
    "ACCESS_LEVEL",
    "MAX_NOTE",
    "ApiError",
    "Call",
    "Options",
    "RateLimiter",
    "Reply",
    "check_group",
    "issue_of",
    "list_param",
    "page_error",
    "project_of",
    "time_param",
]

ACCESS_LEVEL = 30  # Developer: may comment, label and close.
MAX_NOTE = 1_000_000


@dataclass(frozen=True)
class Options:
    """How this sandbox behaves where GitLab versions or limits differ."""

    notes_per_minute: int = 60
    keyset_issues: bool = True
    """Project issues page by keyset (GitLab 18.3+); False: ``pagination=keyset`` is
    ignored there, as older GitLab does."""
    count_limit: int = COUNT_LIMIT
    max_offset: int = MAX_OFFSET


@dataclass
class Call:
    request: Request
    state: GitLabState
    user: User
    args: dict[str, str]
    params: dict[str, Any]
    base: str
    limiter: RateLimiter
    options: Options = field(default_factory=Options)


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    def __init__(self, status: int, message: Any) -> None:
        super().__init__(str(message))
        self.status = status
        self.message = message


class RateLimiter:
    """Note creations per user per minute, on the sandbox clock (tests advance it). Like
    GitLab's application limiter every attempt counts, and the 429 carries no headers."""

    def __init__(self, per_minute: int, now: Callable[[], datetime]) -> None:
        self.per_minute = per_minute
        self._now = now
        self._hits: dict[int, list[datetime]] = {}

    def allow(self, user_id: int) -> bool:
        now = self._now()
        hits = [t for t in self._hits.get(user_id, []) if (now - t).total_seconds() < 60]
        hits.append(now)
        self._hits[user_id] = hits
        return len(hits) <= self.per_minute


def project_of(call: Call) -> Project:
    project = call.state.project(call.args["project"])
    if project is None:
        raise ApiError(404, "404 Project Not Found")
    return project


def check_group(call: Call) -> None:
    if call.args["group"] not in (str(GROUP_ID), GROUP_PATH):
        raise ApiError(404, "404 Group Not Found")


def issue_of(call: Call) -> Issue:
    project = project_of(call)
    iid = call.args["iid"]
    issue = call.state.issues.get((project.id, int(iid))) if iid.isdigit() else None
    if issue is None:
        raise ApiError(404, "404 Not found")
    return issue


def time_param(call: Call, name: str) -> datetime | None:
    raw = call.params.get(name)
    if raw in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, {"error": f"{name} is invalid"}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def list_param(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def page_error(exc: PageError) -> ApiError:
    return ApiError(exc.status, exc.message)
