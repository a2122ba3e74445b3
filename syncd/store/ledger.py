"""Rows of the ledgers as typed values, so callers never handle SQLAlchemy rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["ActionRow", "DigestRow", "FindingRow", "SkippedRow", "SourceRow"]


@dataclass(frozen=True, slots=True)
class FindingRow:
    # slots: reconciliation holds every open finding of a source (200,000 on a large
    # broken backlog); a per-row dict would double their memory.
    source: str
    task_key: str
    rule: str
    fingerprint: str
    state: str
    severity: str
    message: str
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None
    notified_marker: str | None
    notified_at: datetime | None
    times_notified: int


@dataclass(frozen=True)
class ActionRow:
    marker: str
    source: str
    task_key: str
    kind: str
    state: str
    payload: dict[str, Any]
    owner: str
    claimed_at: datetime
    done_at: datetime | None
    result: str | None
    attempts: int


@dataclass(frozen=True)
class DigestRow:
    manager: str
    kind: str
    period: str
    state: str
    owner: str
    claimed_at: datetime
    sent_at: datetime | None
    stats: dict[str, Any] | None


@dataclass(frozen=True)
class SourceRow:
    source: str
    last_success: datetime | None
    last_attempt: datetime | None
    last_error: str | None
    cycles: int
    owner: str | None = None
    lease_expires: datetime | None = None
    cursor: dict[str, Any] | None = None
    pending: int = 0  # ledger entries claimed but not confirmed


@dataclass(frozen=True)
class SkippedRow:
    source: str
    key: str
    stage: str  # read (the connector retries it) | store (the cycle retries it)
    reason: str
    error: str
    attempts: int
    first_skipped: datetime
    last_skipped: datetime
