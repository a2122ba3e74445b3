"""Jira's outgoing webhooks for the sandbox: ``jira:issue_updated`` and ``comment_created``
payloads (the shapes admin webhooks send), signed like Jira's admin webhooks with a secret:
``X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>``; every delivery carries
``X-Atlassian-Webhook-Identifier`` (the same on a repeated delivery).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from connectors.sandbox.common.outgoing_webhooks import WebhookHub
from connectors.sandbox.jira.render import Renderer
from connectors.sandbox.jira.store import History, JiraComment, JiraIssue, JiraStore

__all__ = ["JiraWebhooks", "sign_jira"]

_ISSUE_FIELDS = {
    "summary",
    "status",
    "updated",
    "created",
    "assignee",
    "project",
    "issuetype",
    "duedate",
    "labels",
}


def sign_jira(body: bytes, secret: str | None, delivery_id: str) -> dict[str, str]:
    headers = {"X-Atlassian-Webhook-Identifier": delivery_id}
    if secret:
        digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature"] = f"sha256={digest}"
    return headers


class JiraWebhooks:
    """Turns store changes into webhook deliveries (nothing happens without receivers)."""

    def __init__(self, store: JiraStore, flavour: str) -> None:
        self.store = store
        self.flavour = flavour
        self.hub = WebhookHub(sign_jira)
        store.listener = self.changed

    def changed(
        self, event: str, issue: JiraIssue, author: str, subject: JiraComment | History
    ) -> None:
        if not self.hub.active:
            return
        viewer = self.store.seed.bot() or self.store.users[author]
        r = Renderer(self.store, self.flavour, "2", self.hub.base_url, viewer)
        payload: dict[str, Any] = {
            "timestamp": int(self.store.now().timestamp() * 1000),
            "webhookEvent": event,
            "user": r.user(author),
            "issue": r.issue(issue, _ISSUE_FIELDS),
        }
        if isinstance(subject, JiraComment):
            payload["comment"] = r.comment(issue, subject)
        else:
            payload["issue_event_type_name"] = (
                "issue_generic" if subject.items[0][0] == "status" else "issue_updated"
            )
            payload["changelog"] = {"id": str(subject.id), "items": r.history(subject)["items"]}
        self.hub.emit(event, payload)
