"""JSON shapes of the sandbox GitLab, key for key as GitLab's API documentation shows them
(``reference/gitlab/*.json``; ``tests/sandbox/test_gitlab_shapes.py`` holds them to it).

Every URL is built from the base URL the client used: python-gitlab warns (an error in our
tests) when a ``web_url`` or a ``Link`` points elsewhere.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from connectors.sandbox.gitlab.state import (
    GROUP_ID,
    GROUP_PATH,
    GitLabState,
    Issue,
    Note,
    Project,
    User,
)

__all__ = [
    "VERSION",
    "current_user_json",
    "group_json",
    "issue_json",
    "label_event_json",
    "member_json",
    "note_json",
    "project_json",
    "state_event_json",
    "ts",
]

VERSION = {
    "version": "18.6.1-ee",
    "revision": "5a1b2c3d4e5",
    "kas": {"enabled": False, "externalUrl": None, "version": None},
    "enterprise": True,
}
_TASK_BOX = re.compile(r"^\s*[-*+] \[([ xX])\]", re.MULTILINE)


def ts(moment: datetime | None) -> str | None:
    """GitLab's timestamp form: UTC with milliseconds, ``2016-01-04T15:31:46.176Z``."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _basic_user(user: User, base: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": "active",
        "avatar_url": None,
        "web_url": f"{base}/{user.username}",
    }


def _note_author(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "name": user.name,
        "state": "active",
        "created_at": ts(user.created_at),
    }


def current_user_json(user: User, base: str) -> dict[str, Any]:
    return {
        **_basic_user(user, base),
        "locked": False,
        "bot": user.bot,
        "created_at": ts(user.created_at),
        "email": user.email,
        "public_email": None,
        "is_admin": False,
        "can_create_project": not user.bot,
        "two_factor_enabled": False,
        "external": False,
    }


def member_json(user: User, base: str, access_level: int) -> dict[str, Any]:
    return {**_basic_user(user, base), "access_level": access_level, "expires_at": None}


def group_json(base: str) -> dict[str, Any]:
    return {
        "id": GROUP_ID,
        "name": "Agency",
        "path": GROUP_PATH,
        "full_path": GROUP_PATH,
        "full_name": "Agency",
        "description": "",
        "visibility": "private",
        "parent_id": None,
        "web_url": f"{base}/groups/{GROUP_PATH}",
    }


def project_json(project: Project, base: str, access_level: int) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "path": project.path,
        "path_with_namespace": project.full_path,
        "name_with_namespace": f"Agency / {project.name}",
        "description": project.client,
        "namespace": {
            "id": GROUP_ID,
            "name": "Agency",
            "path": GROUP_PATH,
            "kind": "group",
            "full_path": GROUP_PATH,
        },
        "visibility": "private",
        "issues_enabled": True,
        "web_url": f"{base}/{project.full_path}",
        "permissions": {
            "project_access": None,
            "group_access": {"access_level": access_level, "notification_level": 3},
        },
    }


def issue_json(state: GitLabState, issue: Issue, base: str) -> dict[str, Any]:
    project = state.projects[issue.project_id]
    api = f"{base}/api/v4/projects/{project.id}"
    assignees = [_basic_user(state.users[i], base) for i in issue.assignee_ids]
    boxes = _TASK_BOX.findall(issue.description or "")
    done = sum(1 for b in boxes if b in "xX")
    closed_by = state.users.get(issue.closed_by_id) if issue.closed_by_id else None
    return {
        "project_id": project.id,
        "milestone": None,
        "author": _basic_user(state.users[issue.author_id], base),
        "description": issue.description,
        "state": issue.state,
        "iid": issue.iid,
        "assignees": assignees,
        "assignee": assignees[0] if assignees else None,
        "type": "ISSUE",
        "labels": list(issue.labels),
        "upvotes": 0,
        "downvotes": 0,
        "merge_requests_count": 0,
        "id": issue.id,
        "title": issue.title,
        "updated_at": ts(issue.updated_at),
        "created_at": ts(issue.created_at),
        "closed_at": ts(issue.closed_at),
        "closed_by": _basic_user(closed_by, base) if closed_by else None,
        "user_notes_count": sum(1 for n in issue.notes if not n.system),
        "due_date": issue.due_date.isoformat() if issue.due_date else None,
        "imported": False,
        "imported_from": "none",
        "web_url": f"{base}/{project.full_path}/-/issues/{issue.iid}",
        "references": {
            "short": f"#{issue.iid}",
            "relative": f"#{issue.iid}",
            "full": f"{project.full_path}#{issue.iid}",
        },
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": None,
            "human_total_time_spent": None,
        },
        "has_tasks": bool(boxes),
        "task_status": f"{done} of {len(boxes)} tasks completed" if boxes else "",
        "confidential": False,
        "discussion_locked": False,
        "issue_type": "issue",
        "severity": "UNKNOWN",
        "_links": {
            "self": f"{api}/issues/{issue.iid}",
            "notes": f"{api}/issues/{issue.iid}/notes",
            "award_emoji": f"{api}/issues/{issue.iid}/award_emoji",
            "project": api,
            "closed_as_duplicate_of": None,
        },
        "task_completion_status": {"count": len(boxes), "completed_count": done},
        # GitLab Premium answers ``weight`` (null when unset); Free leaves it out. The
        # sandbox keeps Free's shape until a weight is set (its weight events are Premium).
        **({"weight": issue.weight} if issue.weight is not None else {}),
    }


def note_json(state: GitLabState, issue: Issue, note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "body": note.body,
        "attachment": None,
        "author": _note_author(state.users[note.author_id]),
        "created_at": ts(note.created_at),
        "updated_at": ts(note.updated_at),
        "system": note.system,
        "noteable_id": issue.id,
        "noteable_type": "Issue",
        "project_id": issue.project_id,
        "noteable_iid": issue.iid,
        "resolvable": False,
        "confidential": note.internal,
        "internal": note.internal,
        "imported": False,
        "imported_from": "none",
    }


def label_event_json(state: GitLabState, issue: Issue, event: Any, base: str) -> dict[str, Any]:
    label = next(lb for lb in state.labels.values() if lb.id == event.label_id)
    return {
        "id": event.id,
        "user": _basic_user(state.users[event.user_id], base),
        "created_at": ts(event.created_at),
        "resource_type": "Issue",
        "resource_id": issue.id,
        "label": {
            "id": label.id,
            "name": label.name,
            "color": label.color,
            "description": label.description,
        },
        "action": event.action,
    }


def state_event_json(state: GitLabState, issue: Issue, event: Any, base: str) -> dict[str, Any]:
    return {
        "id": event.id,
        "user": _basic_user(state.users[event.user_id], base),
        "created_at": ts(event.created_at),
        "resource_type": "Issue",
        "resource_id": issue.id,
        "state": event.state,
    }


def weight_event_json(state: GitLabState, issue: Issue, event: Any, base: str) -> dict[str, Any]:
    """GitLab's resource weight event (Premium): the issue id, not a resource pair."""
    return {
        "id": event.id,
        "user": _basic_user(state.users[event.user_id], base),
        "created_at": ts(event.created_at),
        "issue_id": issue.id,
        "weight": event.weight,
    }
