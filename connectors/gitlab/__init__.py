"""The GitLab connector (python-gitlab). See ``connector.py`` for the read/write paths,
``cursor.py`` for incremental sync, ``render.py`` for quick-action-safe notes."""

from connectors.gitlab.connector import GitLabConnector

__all__ = ["GitLabConnector"]
