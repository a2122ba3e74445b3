"""Mapping python-gitlab and ``requests`` failures to ``syncd.core.errors`` at the boundary.

python-gitlab raises ``GitlabHttpError`` subclasses carrying the status and GitLab's
``message``; the headers of that answer come from the session, which has already turned a
``RateLimit-Reset`` into the equivalent ``Retry-After`` (``session.retry_after_from_reset``,
the one place that header is read). gitlab.com's application limits (e.g. 60 note
creations a minute) answer 429 with only a JSON message and no headers: we then ask the
daemon to wait a whole minute, the window those limits count in. Messages hold the
operation, status and GitLab's text only — never a token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import gitlab
import requests

from connectors.http.retry import retry_after_seconds
from connectors.http.status_errors import error_for_status, error_for_transport
from syncd.core.errors import ConnectorError, RetriableError

__all__ = ["APP_LIMIT_WAIT", "gitlab_errors", "map_gitlab_error"]

APP_LIMIT_WAIT = 60.0


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
            wait=retry_after_seconds(headers or {}),
            default_wait=APP_LIMIT_WAIT,
        )
    return error_for_transport("GitLab", operation, source, exc)


@contextmanager
def gitlab_errors(
    operation: str, source: str, headers: Callable[[], Mapping[str, str]] | None = None
) -> Iterator[None]:
    """``with gitlab_errors("list issues", source, lambda: session.last_headers): ...`` —
    raise only ``syncd.core.errors``; ``headers`` is asked for the failed answer's headers."""
    try:
        yield
    except (gitlab.GitlabError, requests.RequestException) as exc:
        raise map_gitlab_error(exc, operation, source, headers() if headers else None) from None
