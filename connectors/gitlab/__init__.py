"""The GitLab connector (python-gitlab). See ``connector.py`` for the read/write paths,
``cursor.py`` for incremental sync, ``render.py`` for quick-action-safe notes,
``webhooks.py`` for incoming deliveries (pure).

``GitLabConnector`` is imported on first use: the webhook receiver reads ``webhooks``
without loading python-gitlab (a Jira-only deployment never imports it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.gitlab.connector import GitLabConnector

__all__ = ["GitLabConnector"]


def __getattr__(name: str) -> object:
    if name == "GitLabConnector":
        from connectors.gitlab.connector import GitLabConnector

        return GitLabConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
