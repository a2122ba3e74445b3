"""Mapping python-gitlab and ``requests`` failures to ``syncd.errors`` at the boundary.

python-gitlab raises ``GitlabHttpError`` subclasses carrying the status and GitLab's
``message``; the headers of that answer (``Retry-After``, ``RateLimit-Reset``) come from the
session. gitlab.com's application limits (e.g. 60 note creations a minute) answer 429 with
only a JSON message and no headers: we then ask the daemon to wait a whole minute, the
window those limits count in. Messages hold the operation, status and GitLab's text only —
never a token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import gitlab
import requests

from connectors.retry import retry_after_seconds
from syncd.errors import AuthError, ConnectorError, FatalError, RateLimitedError, RetriableError

__all__ = ["APP_LIMIT_WAIT", "gitlab_errors", "map_gitlab_error", "wait_from_headers"]

APP_LIMIT_WAIT = 60.0
_MAX_TEXT = 300


def wait_from_headers(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait: ``Retry-After`` (seconds or date), else ``RateLimit-Reset`` (epoch)."""
    asked = retry_after_seconds(headers)
    if asked is not None:
        return asked
    reset = next((v for k, v in headers.items() if k.lower() == "ratelimit-reset"), None)
    try:
        return max(float(reset) - time.time(), 0.0) if reset else None
    except ValueError:
        return None


def map_gitlab_error(
    exc: BaseException, operation: str, source: str, headers: Mapping[str, str] | None = None
) -> ConnectorError:
    if isinstance(exc, gitlab.GitlabError) and not isinstance(exc, gitlab.GitlabParsingError):
        status = exc.response_code
        text = " ".join(str(exc.error_message or "").split())[:_MAX_TEXT] or "no details"
        message = f"GitLab {operation} failed: {text}"
        headers = headers or {}
        if status in (401, 403):
            return AuthError(message, source=source, status=status)
        wait = wait_from_headers(headers)
        if status == 429 or (status == 503 and wait is not None):
            return RateLimitedError(
                message,
                retry_after=wait if wait is not None else APP_LIMIT_WAIT,
                source=source,
                status=status,
            )
        if status is None or status >= 500:
            return RetriableError(message, source=source, status=status)
        return FatalError(message, source=source, status=status)
    if isinstance(exc, gitlab.GitlabParsingError):
        return RetriableError(f"GitLab {operation}: answer was not JSON", source=source)
    if isinstance(exc, requests.Timeout):
        return RetriableError(f"GitLab {operation} timed out", source=source)
    if isinstance(exc, requests.ConnectionError):
        return RetriableError(f"GitLab {operation}: connection failed", source=source)
    return RetriableError(f"GitLab {operation}: {type(exc).__name__}", source=source)


@contextmanager
def gitlab_errors(
    operation: str, source: str, headers: Callable[[], Mapping[str, str]] | None = None
) -> Iterator[None]:
    """``with gitlab_errors("list issues", source, lambda: session.last_headers): ...`` —
    raise only ``syncd.errors``; ``headers`` is asked for the failed answer's headers."""
    try:
        yield
    except (gitlab.GitlabError, requests.RequestException) as exc:
        raise map_gitlab_error(exc, operation, source, headers() if headers else None) from None
