"""Issues to read again next sync: the ones whose comments, changelog or mapping failed.

One issue whose comments endpoint answers 500, or whose fields have an odd shape, must not
stop the whole source (before, every cycle aborted on it; on GitLab the cursor never moved
again). A sync therefore logs the failure with the issue key, keeps the key here — stored
in the cursor — and moves on; the next sync reads those keys first.

Bounded both ways so a broken issue cannot make the steady state expensive: at most
``MAX_KEYS`` keys (the oldest is dropped, with a warning, to make room) and at most
``MAX_ATTEMPTS`` tries per key (then it waits for its next change in the tracker, which
brings it back through the normal search).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.http.status_errors import NoConnection
from syncd.core.errors import ConnectorError, RateLimitedError

__all__ = [
    "ISSUE_ERRORS",
    "MAX_ATTEMPTS",
    "MAX_KEYS",
    "SOURCE_ERRORS",
    "RetryKeys",
    "Skip",
    "log_skipped",
    "skip_of",
]

MAX_KEYS = 50
MAX_ATTEMPTS = 5

SOURCE_ERRORS = (RateLimitedError, NoConnection)
"""Failures that are about the tracker, not one issue: they end the sync (re-raised)."""

ISSUE_ERRORS = (AttributeError, TypeError, KeyError, ValueError, RecursionError)
"""What odd field shapes raise while mapping one issue (a status that is a string, a
changelog item that is not an object, malformed ADF, content nested past what a parser
follows...). Caught per issue, never per sync."""

_MAX_ERROR = 300


@dataclass(frozen=True)
class Skip:
    """A task a sync could not take this time, for the daemon to show and count
    (``Page.skipped``). The connector itself retries it (``RetryKeys``)."""

    key: str
    reason: str
    """One of a few fixed words (a metric label): ``read_failed`` (the tracker answered an
    error for this issue), ``malformed`` (a field syncd cannot read), ``too_deep``,
    ``bad_text``; the daemon adds ``store_failed``."""
    error: str


def skip_of(key: str, exc: BaseException) -> Skip:
    """The ``Skip`` for ``exc`` raised while reading or mapping issue ``key``."""
    if isinstance(exc, ConnectorError) and exc.status is not None:
        reason = "read_failed"
    elif isinstance(exc, RecursionError):
        reason = "too_deep"
    elif isinstance(exc, UnicodeError):
        reason = "bad_text"
    else:
        reason = "malformed"
    return Skip(key, reason, f"{type(exc).__name__}: {exc}"[:_MAX_ERROR])


@dataclass
class RetryKeys:
    """Issue key → failed attempts so far, oldest failure first."""

    pending: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> RetryKeys:
        """From the cursor's ``retry`` list of ``[key, attempts]``; raises ``ValueError``."""
        if data is None:
            return cls()
        if not isinstance(data, list):
            raise ValueError("retry: expected a list")
        pending: dict[str, int] = {}
        for n, pair in enumerate(data):
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError(f"retry[{n}]: expected [key, attempts]")
            pending[str(pair[0])] = int(pair[1])
        return cls(pending)

    def to_json(self) -> list[list[Any]]:
        return [[key, attempts] for key, attempts in self.pending.items()]

    def waiting(self) -> list[str]:
        return list(self.pending)

    def failed(self, key: str) -> str | None:
        """Count a failure of ``key``. Returns a key that is no longer kept (given up after
        ``MAX_ATTEMPTS`` or pushed out by ``MAX_KEYS``), for the caller to log."""
        attempts = self.pending.pop(key, 0) + 1
        if attempts > MAX_ATTEMPTS:
            return key
        self.pending[key] = attempts
        if len(self.pending) > MAX_KEYS:
            oldest = next(iter(self.pending))
            del self.pending[oldest]
            return oldest
        return None

    def succeeded(self, key: str) -> None:
        self.pending.pop(key, None)

    def copy(self) -> RetryKeys:
        return RetryKeys(dict(self.pending))


def log_skipped(log: Any, key: str, exc: BaseException, given_up: str | None) -> None:
    """One line per skipped issue, naming it; a second when a key drops out of the retries."""
    log.warning(
        "issue skipped",
        key=key,
        reason=skip_of(key, exc).reason,
        error=f"{type(exc).__name__}: {exc}",
        retry=given_up != key,
    )
    if given_up is not None:
        log.warning("issue no longer retried", key=given_up)
