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

from connectors.http_errors import error_for_status, error_for_transport
from connectors.retry import retry_after_seconds
from syncd.errors import ConnectorError, RetriableError

__all__ = ["APP_LIMIT_WAIT", "gitlab_errors", "map_gitlab_error", "wait_from_headers"]

APP_LIMIT_WAIT = 60.0


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
    if isinstance(exc, gitlab.GitlabParsingError):
        return RetriableError(f"GitLab {operation}: answer was not JSON", source=source)
    if isinstance(exc, gitlab.GitlabError):
        return error_for_status(
            "GitLab",
            operation,
            source,
            exc.response_code,
            str(exc.error_message or ""),
            wait=wait_from_headers(headers or {}),
            default_wait=APP_LIMIT_WAIT,
        )
    return error_for_transport("GitLab", operation, source, exc)


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
