"""The HTTP layer under python-gitlab: our one retry policy instead of the library's.

python-gitlab retries on its own terms: ``obey_rate_limit=True`` (the default of every
request) re-sends 429s — POSTs too — sleeping ``int(Retry-After)``, which crashes on an
HTTP-date ``Retry-After``; ``retry_transient_errors=True`` re-sends a note POST whose
response was lost, which duplicates the note. So:

- ``SyncdGitlab`` forces both off on every request, whatever a call site passes;
- ``RetryingSession`` (a ``requests.Session`` handed to python-gitlab) sends each request
  through ``connectors.http.retry``: idempotent methods only, ``Retry-After`` honoured in both
  forms and never shortened, explicit timeouts. After the last attempt the final answer goes
  back to python-gitlab, which raises; ``last_headers`` keeps that answer's headers so the
  error mapping can tell the daemon how long to wait. A throttle answer carrying only
  ``RateLimit-Reset`` gets the equivalent ``Retry-After`` so the policy honours it too.
- Answers are ``tracker_json.TrackerResponse``s: no nesting depth makes decoding fail.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import gitlab
import requests

from connectors.http.retry import RetryPolicy, is_idempotent
from connectors.http.tracker_json import adopt

__all__ = ["DEFAULT_TIMEOUT", "RetryingSession", "SyncdGitlab", "retry_after_from_reset"]

DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
"""(connect, read) seconds: a hung GitLab must not hang the daemon's cycle."""


class RetryingSession(requests.Session):
    def __init__(
        self, policy: RetryPolicy, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    ) -> None:
        super().__init__()
        self.policy = policy
        self.timeout = timeout
        self.attempts = 0
        """HTTP requests actually sent (retries included), for benchmarks and tests."""
        self.last_status: int | None = None
        self.last_headers: Mapping[str, str] = {}

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        verb = method.decode() if isinstance(method, bytes) else method
        kwargs["timeout"] = self.timeout

        def send() -> requests.Response:
            self.attempts += 1
            self.last_status, self.last_headers = None, {}
            response = adopt(super(RetryingSession, self).request(verb, url, *args, **kwargs))
            retry_after_from_reset(response)
            self.last_status, self.last_headers = response.status_code, response.headers
            return response

        response: requests.Response = self.policy.retrying(idempotent=is_idempotent(verb))(
            self.policy.counted(send)
        )
        return response


def retry_after_from_reset(response: requests.Response) -> None:
    """GitLab's throttles may say when the window resets (``RateLimit-Reset``, epoch
    seconds) without a ``Retry-After``; the one retry policy reads ``Retry-After``, so the
    reset moment is translated into it (rounded up: never wait less than asked)."""
    if response.status_code not in (429, 503) or "Retry-After" in response.headers:
        return
    reset = response.headers.get("RateLimit-Reset")
    try:
        wait = math.ceil(float(reset) - time.time()) if reset else None
    except ValueError:
        return
    if wait is not None:
        response.headers["Retry-After"] = str(max(wait, 0))


class SyncdGitlab(gitlab.Gitlab):
    """``gitlab.Gitlab`` that never retries by itself (see the module docstring)."""

    def http_request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["obey_rate_limit"] = False
        kwargs["retry_transient_errors"] = False
        return super().http_request(*args, **kwargs)
