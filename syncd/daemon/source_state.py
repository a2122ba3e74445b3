"""Per-source state (what ``/readyz`` shows) and the small policies around it: retry
backoff, the one-line error text, reading digest results, the daemon's logger."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncd.core.errors import SyncdError
from syncd.core.logs import get_logger
from syncd.core.secrets_mask import mask_secrets
from syncd.daemon.contracts import DigestResult

__all__ = [
    "BACKOFF_CAP",
    "MAX_PENDING",
    "REREAD_WINDOW",
    "SourceState",
    "backoff_delay",
    "digest_outcomes",
    "error_text",
    "log",
]

BACKOFF_CAP = 4.0
"""A failing source is retried at most every ``BACKOFF_CAP`` × its interval."""
MAX_PENDING = 10_000
"""Queued re-reads per source; past that, hints are dropped (the next poll covers them)."""
REREAD_WINDOW = 5.0
"""Seconds between two webhook re-reads of one task: repeats within it are coalesced."""


@dataclass
class SourceState:
    """What the daemon knows about one source; read by ``/readyz``."""

    source: str
    interval: float
    last_success: datetime | None = None
    last_attempt: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    failing_since: datetime | None = None
    attempts: int = 0
    running: bool = False

    def describe(self, now: datetime) -> dict[str, Any]:
        age = (now - self.last_success).total_seconds() if self.last_success else None
        return {
            "ready": age is not None and age <= 3 * self.interval,
            "interval": self.interval,
            "last_success": self.last_success.isoformat() if self.last_success else None,
            "seconds_since_success": None if age is None else round(age, 3),
            "last_attempt": self.last_attempt.isoformat() if self.last_attempt else None,
            "last_error": self.last_error,
            "consecutive_failures": self.failures,
            "polling": self.running,
        }


def backoff_delay(interval: float, failures: int, retry_after: float | None = None) -> float:
    """Seconds before retrying a source after its ``failures``-th failure in a row.

    Starts at a tenth of the interval (at least a second, or the interval if shorter),
    doubles per failure, stops at ``BACKOFF_CAP`` × interval, ±10 % jitter so replicas
    and sources do not retry in step, and never less than the server's Retry-After.
    """
    base = max(interval / 10, min(interval, 1.0))
    delay = min(base * 2.0 ** max(0, failures - 1), interval * BACKOFF_CAP)
    delay *= random.uniform(0.9, 1.1)
    return max(delay, retry_after or 0.0)


def error_text(exc: BaseException) -> str:
    """One line for logs and ``sources.last_error``: connector errors already name their
    source and status (and are masked where they are made); anything else gets its type
    name, and is masked here: this text goes to ``/readyz`` and the store."""
    text = str(exc) if isinstance(exc, SyncdError) else f"{type(exc).__name__}: {exc}"
    text = mask_secrets(text)
    return text.splitlines()[0][:500] if text else type(exc).__name__


_OUTCOMES = {"sent": "sent", "failed": "failed"}
"""``SentDigest.status`` → the ``syncd_digests`` outcome; skipped and dry-run are left out."""


def digest_outcomes(results: Iterable[DigestResult]) -> list[tuple[str, str]]:
    """(kind, sent|failed) per digest the service tried, plus (kind, unknown) per channel
    whose earlier delivery could not be confirmed (settled without a resend); digests it
    skipped (nothing to report) or only printed (dry-run) are left out."""
    out: list[tuple[str, str]] = []
    for item in results:
        out.extend((item.kind, "unknown") for _channel in item.unknown)
        outcome = _OUTCOMES.get(item.status)
        if outcome is not None:
            out.append((item.kind, outcome))
    return out


def log(**context: Any) -> Any:
    """The daemon's logger bound to ``context``; looked up per call so structlog
    configuration changes (and tests capturing logs) take effect."""
    return get_logger("syncd.daemon", **context)
