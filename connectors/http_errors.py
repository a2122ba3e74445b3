"""From an HTTP status (or a transport failure) to the ``syncd.errors`` class, for every
tracker. Each connector only extracts status, text and wait from its library's exception.

Messages carry the tracker, the operation and the server's own error text (trimmed): never
request headers, URLs with credentials or tokens.
"""

from __future__ import annotations

import requests

from syncd.errors import AuthError, ConnectorError, FatalError, RateLimitedError, RetriableError

__all__ = ["MAX_TEXT", "error_for_status", "error_for_transport"]

MAX_TEXT = 300


def error_for_status(
    tracker: str,
    operation: str,
    source: str,
    status: int | None,
    text: str,
    *,
    wait: float | None,
    default_wait: float,
) -> ConnectorError:
    """401/403 → auth; 429 (or 503 with a wait) → rate limited; 5xx or none → retriable;
    any other status → fatal (the request itself is wrong)."""
    detail = " ".join(text.split())[:MAX_TEXT] or "no details"
    message = f"{tracker} {operation} failed: {detail}"
    if status in (401, 403):
        return AuthError(message, source=source, status=status)
    if status == 429 or (status == 503 and wait is not None):
        return RateLimitedError(
            message,
            retry_after=wait if wait is not None else default_wait,
            source=source,
            status=status,
        )
    if status is None or status >= 500:
        return RetriableError(message, source=source, status=status)
    return FatalError(message, source=source, status=status)


def error_for_transport(
    tracker: str, operation: str, source: str, exc: BaseException
) -> ConnectorError:
    """No answer (or no usable one): always worth trying again later."""
    if isinstance(exc, requests.Timeout):
        return RetriableError(f"{tracker} {operation} timed out", source=source)
    if isinstance(exc, requests.ConnectionError):
        return RetriableError(f"{tracker} {operation}: connection failed", source=source)
    # Other transport trouble (a body that is not JSON, too many redirects, ...).
    return RetriableError(f"{tracker} {operation}: {type(exc).__name__}", source=source)
