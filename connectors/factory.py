"""Build the connector a source config asks for. Imports lazily so a GitLab-only
deployment never imports the jira library and vice versa."""

from __future__ import annotations

from collections.abc import Mapping

from config.policy import SourceConfig
from config.settings import resolve_secret
from connectors.base import Connector

__all__ = ["create_connector"]


def create_connector(source: SourceConfig, env: Mapping[str, str] | None = None) -> Connector:
    token = resolve_secret(source.auth.secret, dict(env) if env is not None else None)
    if source.type == "jira":
        from connectors.jira import JiraConnector

        return JiraConnector(source, token)
    from connectors.gitlab import GitLabConnector

    return GitLabConnector(source, token)
