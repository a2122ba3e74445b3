"""Mapping ``jira``/``requests`` failures to ``syncd.core.errors`` at the connector boundary.

``JIRAError.__str__`` prints the request headers — the ``Authorization`` header included —
so the original exception is never chained (``from None``) and messages are built only
from the operation, the status code and the server's error text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from jira.exceptions import JIRAError

from connectors.http.retry import retry_after_seconds
from connectors.http.status_errors import error_for_status, error_for_transport
from syncd.core.errors import ConnectorError

__all__ = ["jira_errors", "map_jira_error"]


def map_jira_error(exc: BaseException, operation: str, source: str) -> ConnectorError:
    """The ``syncd.core.errors`` exception for a failure of ``operation`` (e.g. ``search``)."""
    if isinstance(exc, JIRAError):
        headers = exc.response.headers if exc.response is not None else {}
        return error_for_status(
            "Jira",
            operation,
            source,
            exc.status_code,
            str(exc.text or ""),
            wait=retry_after_seconds(headers),
            default_wait=60.0,
        )
    return error_for_transport("Jira", operation, source, exc)


@contextmanager
def jira_errors(operation: str, source: str) -> Iterator[None]:
    """``with jira_errors("search", source): ...`` — raise only ``syncd.core.errors``."""
    try:
        yield
    except (JIRAError, requests.RequestException) as exc:
        raise map_jira_error(exc, operation, source) from None
