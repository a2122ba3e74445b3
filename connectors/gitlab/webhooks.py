"""What a GitLab webhook delivery says, and whether it is genuine (pure: no I/O).

- Verification: ``X-Gitlab-Token`` is the shared secret itself, compared in constant time.
- ``Idempotency-Key`` stays the same across retries of one delivery (the receiver
  de-duplicates on it).
- Issue Hook → ``object_attributes.iid``, Note Hook on an issue → ``issue.iid`` (notes on
  merge requests, snippets or commits name no issue); the key is ``<project path>#<iid>``.
- A source's scope names a project when it is that project or a group above it.
"""

from __future__ import annotations

import hmac
from typing import Any

from config.policy import SourceConfig
from connectors.base import Headers, InvalidKey, WebhookFormat, WebhookHint
from connectors.keys import is_gitlab_project

__all__ = ["FORMAT", "delivery_id", "names_project", "parse", "verify"]


def verify(headers: Headers, body: bytes, secret: bytes) -> bool:
    del body  # GitLab signs nothing: the token is the secret
    return hmac.compare_digest(headers.get("x-gitlab-token", "").encode(), secret)


def delivery_id(headers: Headers) -> str | None:
    return headers.get("idempotency-key") or None


def parse(payload: Any) -> WebhookHint | None:
    """The issue of an Issue Hook or a Note Hook on an issue; None for other events.
    Raises ``InvalidKey`` for a project path or iid GitLab would not have."""
    if not isinstance(payload, dict):
        return None
    kind = payload.get("object_kind")
    holder = payload.get("object_attributes") if kind == "issue" else payload.get("issue")
    if kind not in {"issue", "note"} or not isinstance(holder, dict):
        return None
    project = payload.get("project")
    path = project.get("path_with_namespace") if isinstance(project, dict) else None
    iid = holder.get("iid")
    if not isinstance(path, str) or not is_gitlab_project(path) or path.isdigit():
        raise InvalidKey(path)
    if isinstance(iid, bool) or not isinstance(iid, int) or iid <= 0:
        raise InvalidKey(iid)
    return WebhookHint(project=path, key=f"{path}#{iid}")


def names_project(source: SourceConfig, project: str) -> bool:
    scope = source.scope
    if scope.project is not None and str(scope.project).strip("/") == project:
        return True
    group = str(scope.group).strip("/") if scope.group is not None else None
    return bool(group) and project.startswith(f"{group}/")


FORMAT = WebhookFormat(
    "gitlab", verify, "invalid or missing token", parse, names_project, delivery_id=delivery_id
)
