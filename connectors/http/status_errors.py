"""From an HTTP status (or a transport failure) to the ``syncd.core.errors`` class, for every
tracker. Each connector only extracts status, text and wait from its library's exception.

Messages carry the tracker, the operation and the server's own error text (trimmed): never
request headers, URLs with credentials or tokens. The server's text is where a credential
can come back (a proxy quoting the ``Authorization`` header), so it is masked here, before
it is trimmed (a cut must not leave half a token behind): see ``syncd.core.secrets_mask``.
"""

from __future__ import annotations

import requests

from syncd.core.errors import (
    AuthError,
    ConnectorError,
    FatalError,
    RateLimitedError,
    RetriableError,
)
from syncd.core.secrets_mask import mask_secrets

__all__ = ["MAX_TEXT", "NoConnection", "error_for_status", "error_for_transport"]

MAX_TEXT = 300


class NoConnection(RetriableError):
    """The tracker could not be reached at all (refused, dropped, no connect in time).
    Never about one issue: a sync stops on it instead of setting issues aside one by one
    (``connectors.http.reread_keys``), which would push real failures out of the bounded list."""


_BAD_URL = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)
_BAD_URL_PROBLEMS = {
    "InvalidURL": "is invalid (no host, or a malformed host or port)",
    "InvalidProxyURL": "goes through an invalid proxy URL",
    "MissingSchema": "has no scheme (http:// or https://)",
    "InvalidSchema": "has a scheme requests cannot send to (http:// or https:// only)",
}


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
    detail = " ".join(mask_secrets(text).split())[:MAX_TEXT] or "no details"
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
    """No answer (or no usable one): worth trying again later — except a URL requests
    cannot even send to (no host, no or an unknown scheme), which no retry will fix: that is
    the source's ``url`` setting. The message names the kind of problem, never the URL
    itself (it may carry credentials)."""
    if isinstance(exc, _BAD_URL):
        problem = _BAD_URL_PROBLEMS.get(type(exc).__name__, "is not a usable URL")
        return FatalError(
            f"{tracker} {operation}: the request URL {problem}; check the source's url "
            f"({type(exc).__name__})",
            source=source,
        )
    if isinstance(exc, requests.ConnectTimeout):
        return NoConnection(f"{tracker} {operation}: connection failed (timed out)", source=source)
    if isinstance(exc, requests.Timeout):
        return RetriableError(f"{tracker} {operation} timed out", source=source)
    if isinstance(exc, requests.ConnectionError):
        return NoConnection(f"{tracker} {operation}: connection failed", source=source)
    # Other transport trouble (a body that is not JSON, too many redirects, ...).
    return RetriableError(f"{tracker} {operation}: {type(exc).__name__}", source=source)
