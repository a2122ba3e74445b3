"""The HTTP session under the ``jira`` library: our retry policy instead of its own.

``jira.ResilientSession`` retries 429/503/connection errors on its own terms: it waits
2 × Retry-After capped at 60 s times a random 0.5–1.0 (so it can wait *less* than asked),
crashes on an HTTP-date Retry-After, retries POSTs (a lost response becomes a duplicate
comment) and has no default timeout. ``RetryingSession`` keeps the library's interface
(it still raises ``JIRAError`` for a non-2xx answer, which the library expects) but sends
every request through ``connectors.http.retry``: explicit timeouts, idempotent methods only,
``Retry-After`` honoured in both forms and never shortened. Answers are
``tracker_json.TrackerResponse``s: no nesting depth makes decoding them fail.
"""

from __future__ import annotations

from typing import Any

import requests
from jira.resilientsession import ResilientSession, raise_on_error

from connectors.http.retry import RetryPolicy, is_idempotent
from connectors.http.tracker_json import adopt

__all__ = ["DEFAULT_TIMEOUT", "RetryingSession"]

DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
"""(connect, read) seconds: a hung tracker must not hang the daemon's cycle."""


class RetryingSession(ResilientSession):
    """A ``ResilientSession`` whose ``request`` is one call through ``RetryPolicy``."""

    def __init__(
        self, policy: RetryPolicy, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT
    ) -> None:
        super().__init__(timeout=timeout, max_retries=0)
        self.policy = policy
        self.attempts = 0
        """HTTP requests actually sent (retries included), for benchmarks and tests."""

    @classmethod
    def replacing(cls, old: requests.Session, policy: RetryPolicy, timeout: Any) -> RetryingSession:
        """A new session carrying ``old``'s auth, headers, cookies and TLS settings."""
        new = cls(policy, timeout)
        new.auth = old.auth
        new.headers.update(old.headers)
        new.cookies.update(old.cookies)
        new.verify = old.verify
        new.cert = old.cert
        new.proxies = old.proxies
        return new

    def request(  # type: ignore[override]
        self, method: str, url: str | bytes, _prepare_retry_class: Any = None, **kwargs: Any
    ) -> requests.Response:
        prepared = self._jira_prepare(**kwargs)
        prepared.pop("timeout", None)

        def send() -> requests.Response:
            self.attempts += 1
            return adopt(
                requests.Session.request(self, method, url, timeout=self.timeout, **prepared)
            )

        response: requests.Response = self.policy.retrying(idempotent=is_idempotent(method))(
            self.policy.counted(send)
        )
        raise_on_error(response, **prepared)
        return response
