"""Build the connector a source config asks for, and name each tracker's webhook format.
Imports lazily so a GitLab-only deployment never imports the jira library and vice versa
(the ``webhooks`` modules load neither library)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

from config.policy import SourceConfig
from config.settings import resolve_secret
from connectors.base import Connector, WebhookFormat
from connectors.gitlab import webhooks as gitlab_webhooks
from connectors.http.retry import RetryPolicy
from connectors.jira import webhooks as jira_webhooks

__all__ = ["WEBHOOK_FORMATS", "create_connector"]

WEBHOOK_FORMATS: Mapping[str, WebhookFormat] = {
    f.tracker: f for f in (jira_webhooks.FORMAT, gitlab_webhooks.FORMAT)
}
"""Each tracker type's incoming webhook format, by ``SourceConfig.type``."""


def create_connector(
    source: SourceConfig,
    env: Mapping[str, str] | None = None,
    *,
    observe: Callable[[int | str], None] | None = None,
    interactive: bool = False,
) -> Connector:
    """``observe`` is told the status of every HTTP attempt (the API-requests metric).
    ``interactive``: a person is waiting (``check``, ``doctor``): give up on a dead tracker
    after two tries, where the daemon keeps trying with backoff for minutes."""
    token = resolve_secret(source.auth.secret, dict(env) if env is not None else None)
    retry = (
        RetryPolicy(observe=observe, max_attempts=2, deadline=30.0)
        if interactive
        else RetryPolicy(observe=observe)
    )
    if source.type == "jira":
        from connectors.jira import JiraConnector

        return JiraConnector(
            source, token, retry=retry, overlap=timedelta(seconds=source.sync_overlap)
        )
    from connectors.gitlab import GitLabConnector

    return GitLabConnector(source, token, retry=retry)
