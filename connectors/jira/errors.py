"""Mapping ``jira``/``requests`` failures to ``syncd.errors`` at the connector boundary.

``JIRAError.__str__`` prints the request headers — the ``Authorization`` header included —
so the original exception is never chained (``from None``) and messages are built only
from the operation, the status code and the server's error text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests
from jira.exceptions import JIRAError

from connectors.retry import retry_after_seconds
from syncd.errors import (
    AuthError,
    ConnectorError,
    FatalError,
    RateLimitedError,
    RetriableError,
)

__all__ = ["jira_errors", "map_jira_error"]

_MAX_TEXT = 300


def map_jira_error(exc: BaseException, operation: str, source: str) -> ConnectorError:
    """The ``syncd.errors`` exception for a failure of ``operation`` (e.g. ``search``)."""
    if isinstance(exc, JIRAError):
        status = exc.status_code
        text = " ".join(str(exc.text or "").split())[:_MAX_TEXT] or "no details"
        message = f"Jira {operation} failed: {text}"
        headers = exc.response.headers if exc.response is not None else {}
        if status in (401, 403):
            return AuthError(message, source=source, status=status)
        if status == 429 or (status == 503 and "Retry-After" in headers):
            wait = retry_after_seconds(headers)
            return RateLimitedError(
                message,
                retry_after=wait if wait is not None else 60.0,
                source=source,
                status=status,
            )
        if status is None or status >= 500:
            return RetriableError(message, source=source, status=status)
        return FatalError(message, source=source, status=status)
    if isinstance(exc, requests.Timeout):
        return RetriableError(f"Jira {operation} timed out", source=source)
    if isinstance(exc, requests.ConnectionError):
        return RetriableError(f"Jira {operation}: connection failed", source=source)
    # Other transport trouble (a body that is not JSON, too many redirects, ...).
    return RetriableError(f"Jira {operation}: {type(exc).__name__}", source=source)


@contextmanager
def jira_errors(operation: str, source: str) -> Iterator[None]:
    """``with jira_errors("search", source): ...`` — raise only ``syncd.errors``."""
    try:
        yield
    except (JIRAError, requests.RequestException) as exc:
        raise map_jira_error(exc, operation, source) from None
