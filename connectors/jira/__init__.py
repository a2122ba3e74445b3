"""Jira connector (Cloud and Data Center) built on the ``jira`` library.

Modules: ``client`` (library set-up, flavour), ``session`` (the retry layer under the
library), ``errors`` (boundary mapping), ``cursor`` (watermark logic), ``search`` (JQL
paging), ``paging`` (complete comments/changelog), ``values``/``mapping``/``history``
(raw JSON → ``Task``), ``render`` (reminder → ADF/wiki), ``writes``, ``doctor``.
"""

from connectors.jira.connector import JiraConnector

__all__ = ["JiraConnector"]
