"""Jira connector (Cloud and Data Center) built on the ``jira`` library.

Modules: ``client`` (library set-up, flavour), ``session`` (the retry layer under the
library), ``errors`` (boundary mapping), ``cursor`` (watermark logic), ``search`` (JQL
paging), ``paging`` (complete comments/changelog), ``values``/``mapping``/``history``
(raw JSON → ``Task``), ``render`` (reminder → ADF/wiki), ``writes``, ``doctor``,
``webhooks`` (incoming deliveries, pure).

``JiraConnector`` is imported on first use: the webhook receiver reads ``webhooks`` without
loading the ``jira`` library (a GitLab-only deployment never imports it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.jira.connector import JiraConnector

__all__ = ["JiraConnector"]


def __getattr__(name: str) -> object:
    if name == "JiraConnector":
        from connectors.jira.connector import JiraConnector

        return JiraConnector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
