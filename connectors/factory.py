"""Build the connector a source config asks for. Imports lazily so a GitLab-only
deployment never imports the jira library and vice versa."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta

from config.policy import SourceConfig
from config.settings import resolve_secret
from connectors.base import Connector
from connectors.http.retry import RetryPolicy

__all__ = ["create_connector"]


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

    return GitLabConnector(source, token, policy=retry)
