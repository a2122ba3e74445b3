"""The one retry policy of syncd, shared by tracker connectors (``requests`` via the ``jira``
library) and digest channels (``httpx``).

What it promises, and why:

- Only *idempotent* requests are retried (GET, HEAD, OPTIONS, PUT, DELETE). A POST whose
  response was lost may well have been performed: retrying it blindly is how a reminder
  gets posted twice. Callers of a POST look for the marker before posting again.
- Retried outcomes: HTTP 429, 502, 503, 504 and transport errors (connection refused or
  dropped, timeouts). Everything else is final and mapped to ``syncd.core.errors`` by the caller.
- A *send* that must happen at most once but whose answered failures are worth repeating
  (a digest: ``RetryPolicy.retrying_send``) is retried only after errors that prove the
  request never left (``NOT_SENT_EXCEPTIONS``: connect refused or timed out, no pooled
  connection). A read or write timeout, a reset or a dropped connection *after* the
  request started (``ARRIVAL_UNKNOWN_EXCEPTIONS``) may mean it arrived: it is re-raised at
  once and the caller records "delivery unknown". Tracker reads keep retrying timeouts.
- ``Retry-After`` is honoured in both forms (delta-seconds and HTTP date) and the wait is
  **never shorter than asked**: the backoff only ever adds to it. If the server asks for
  more than ``max_wait`` or more than the rest of the ``deadline``, we stop instead of
  waiting less; the caller then raises ``RateLimitedError(retry_after=…)`` so the daemon
  can leave the source alone for that long.
- ``sleep`` is injectable so tests measure the waits instead of timing them.

Use ``RetryPolicy.retrying()`` for a ready ``tenacity.Retrying``; ``wait_seconds`` and
``retry_after_seconds`` are the building blocks for code that wants to decide itself.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import requests
import tenacity

_R = TypeVar("_R")

__all__ = [
    "ARRIVAL_UNKNOWN_EXCEPTIONS",
    "IDEMPOTENT_METHODS",
    "NOT_SENT_EXCEPTIONS",
    "RETRY_STATUSES",
    "TRANSIENT_EXCEPTIONS",
    "RetryPolicy",
    "arrival_unknown",
    "is_idempotent",
    "retry_after_seconds",
    "wait_seconds",
]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
TRANSIENT_EXCEPTIONS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    httpx.TransportError,
    ConnectionError,
    TimeoutError,
)

NOT_SENT_EXCEPTIONS: tuple[type[BaseException], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
"""Failures before a single byte of the request went out: safe to send again."""
ARRIVAL_UNKNOWN_EXCEPTIONS: tuple[type[BaseException], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
"""Failures after the request started: the server may have acted on it and its answer
was lost (a ``WriteTimeout`` too: the body may have been complete but for the last
flush). Never a reason to send a non-idempotent request again."""


def arrival_unknown(exc: BaseException) -> bool:
    """True when ``exc`` leaves open whether the request reached the server."""
    return isinstance(exc, ARRIVAL_UNKNOWN_EXCEPTIONS)


def is_idempotent(method: str) -> bool:
    return method.upper() in IDEMPOTENT_METHODS


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # requests and httpx headers are case-insensitive already; plain dicts in tests are not.
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name.lower():
                return candidate
    return value


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from ``Retry-After`` (seconds or HTTP date).

    None when there is no usable header. A date in the past means "now" (0 s)."""
    raw = _header(headers, "Retry-After")
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max((when - now).total_seconds(), 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to retry one request. Defaults suit a 5-minute poll."""

    max_attempts: int = 5
    max_wait: float = 120.0
    """Longest single wait; a server asking for more is not retried (we never wait less)."""
    deadline: float = 300.0
    """Total seconds one logical request may spend, waits included."""
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    jitter: float = 0.25
    """Up to this fraction is *added* to a backoff (never subtracted from a Retry-After)."""
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), compare=False)
    observe: Callable[[int | str], None] | None = field(default=None, compare=False)
    """Told the status of every HTTP attempt ("error" when none came back): metrics."""

    def counted(self, send: Callable[[], _R]) -> Callable[[], _R]:
        """``send`` reporting each attempt's outcome to ``observe``."""
        observe = self.observe
        if observe is None:
            return send

        def attempt() -> _R:
            try:
                response = send()
            except Exception:
                observe("error")
                raise
            observe(getattr(response, "status_code", "error"))
            return response

        return attempt

    def backoff(self, attempt: int) -> float:
        """Exponential backoff before retry number ``attempt`` (1-based), with added jitter."""
        base = min(self.backoff_max, self.backoff_base * 2 ** max(attempt - 1, 0))
        return float(base * (1.0 + random.uniform(0.0, self.jitter)))

    def retrying_send(self, *, statuses: Container[int] = RETRY_STATUSES) -> tenacity.Retrying:
        """A ``tenacity.Retrying`` for a send that must arrive at most once but may be
        repeated when the server *answered* that it failed (``statuses``) or when the
        request provably never left (``NOT_SENT_EXCEPTIONS``). Any other exception —
        above all a timeout after the request went out — is re-raised at once."""
        return self.retrying(idempotent=True, transient=NOT_SENT_EXCEPTIONS, statuses=statuses)

    def retrying(
        self,
        *,
        idempotent: bool = True,
        transient: tuple[type[BaseException], ...] = TRANSIENT_EXCEPTIONS,
        statuses: Container[int] = RETRY_STATUSES,
    ) -> tenacity.Retrying:
        """A ``tenacity.Retrying`` for a call that returns a response (``requests`` or
        ``httpx``: anything with ``status_code`` and ``headers``) or raises.

        When retries are exhausted the last response is *returned* (so the caller maps its
        status to an error with the right ``retry_after``) and the last exception re-raised.
        A non-idempotent call gets exactly one attempt. ``statuses``: the HTTP statuses
        worth another attempt (digest channels also retry a 500, see
        ``syncd.channels.http_client``)."""
        if not idempotent:
            return tenacity.Retrying(
                stop=tenacity.stop_after_attempt(1), reraise=True, sleep=self.sleep
            )

        def retry_response(result: Any) -> bool:
            return getattr(result, "status_code", None) in statuses

        return tenacity.Retrying(
            retry=(
                tenacity.retry_if_exception_type(transient)
                | tenacity.retry_if_result(retry_response)
            ),
            wait=_WaitRetryAfter(self),
            stop=_StopPolicy(self),
            sleep=self.sleep,
            reraise=True,
            retry_error_callback=_last_result,
        )


def wait_seconds(
    status: int | None,
    headers: Mapping[str, str],
    attempt: int,
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
) -> float:
    """The wait before retry ``attempt`` after an answer with ``status`` and ``headers``
    (status None = a transport error): at least ``Retry-After``, else exponential backoff."""
    policy = policy or RetryPolicy()
    backoff = policy.backoff(attempt)
    asked = retry_after_seconds(headers, now or policy.now()) if status is not None else None
    if asked is None:
        return backoff
    return asked  # exactly what was asked: adding backoff would only slow the poll down


def _outcome_status_headers(state: tenacity.RetryCallState) -> tuple[int | None, Mapping[str, str]]:
    outcome = state.outcome
    if outcome is None or outcome.failed:
        return None, {}
    result = outcome.result()
    return getattr(result, "status_code", None), getattr(result, "headers", {}) or {}


class _WaitRetryAfter(tenacity.wait.wait_base):
    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        status, headers = _outcome_status_headers(retry_state)
        return wait_seconds(status, headers, retry_state.attempt_number, self.policy)


class _StopPolicy(tenacity.stop.stop_base):
    """Stop after ``max_attempts``, or when the next wait exceeds ``max_wait`` or the time
    left before ``deadline`` — instead of waiting less than the server asked."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        if retry_state.attempt_number >= self.policy.max_attempts:
            return True
        upcoming = retry_state.upcoming_sleep
        if upcoming > self.policy.max_wait:
            return True
        # With a real sleep the elapsed time includes the waits; with an injected one only
        # ``idle_for`` does. The larger of the two is the honest figure either way.
        spent = max(retry_state.seconds_since_start or 0.0, retry_state.idle_for)
        return spent + upcoming > self.policy.deadline


def _last_result(retry_state: tenacity.RetryCallState) -> Any:
    assert retry_state.outcome is not None
    return retry_state.outcome.result()
