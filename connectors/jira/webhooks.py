"""What a Jira webhook delivery says, and whether it is genuine (pure: no I/O).

- Verification: ``X-Hub-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body with
  the shared secret (Jira Cloud's and Data Center's signed webhooks), compared in constant
  time.
- The issue is ``issue.key`` of an issue or comment event (``jira:issue_updated``,
  ``comment_created``…); ids are not keys (the store knows tasks by key), so a numeric
  ``key`` is refused. Jira sends no delivery id syncd relies on: repeats are coalesced by the
  daemon's re-read window instead.
- A source's scope names a project when its JQL mentions the project key as a whole word.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from config.policy import SourceConfig
from connectors.base import Headers, InvalidKey, WebhookFormat, WebhookHint
from connectors.keys import is_jira_issue

__all__ = ["FORMAT", "names_project", "parse", "verify"]


def verify(headers: Headers, body: bytes, secret: bytes) -> bool:
    given = headers.get("x-hub-signature", "")
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(given.strip().lower().encode(), expected.encode())


def parse(payload: Any) -> WebhookHint | None:
    """The issue of an issue or comment event; None for other events."""
    issue = payload.get("issue") if isinstance(payload, dict) else None
    if not isinstance(issue, dict) or "key" not in issue:
        return None
    key = issue["key"]
    if not isinstance(key, str) or key.isdigit() or not is_jira_issue(key):
        raise InvalidKey(key)
    return WebhookHint(project=key.rsplit("-", 1)[0], key=key)


def names_project(source: SourceConfig, project: str) -> bool:
    pattern = rf"(?<![\w-]){re.escape(project)}(?![\w-])"
    return bool(source.scope.jql and re.search(pattern, source.scope.jql, re.IGNORECASE))


FORMAT = WebhookFormat("jira", verify, "invalid or missing signature", parse, names_project)
"""No ``delivery_id``: Jira's retries are coalesced by the daemon's re-read window."""
