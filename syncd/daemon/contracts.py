"""What the daemon runs, as Protocols: ``syncd.source_cycle.SourceRunner`` and the digest
service are the production implementations; tests use small real ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from config.policy import SourceConfig
from syncd.core.models import Finding

__all__ = [
    "ActionsLike",
    "CycleReportLike",
    "DigestResult",
    "DigestRunner",
    "Leases",
    "Runner",
    "Wiring",
]


class CycleReportLike(Protocol):
    """What the daemon reads from ``syncd.source_cycle.CycleReport``."""

    @property
    def synced(self) -> int: ...
    @property
    def posted(self) -> int: ...
    @property
    def queued(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def deferred(self) -> int: ...
    @property
    def duration(self) -> float: ...
    @property
    def findings_list(self) -> Sequence[Finding]:
        """Every finding of the cycle's evaluation: the open findings of the source."""
        ...

    @property
    def rule_counts(self) -> Mapping[str, int]:
        """The open findings per rule, for ``syncd_open_findings``, without reading them
        again."""
        ...


class ActionsLike(Protocol):
    """What the daemon counts of a webhook re-read (``syncd.reminders.ReconcileResult``)."""

    @property
    def posted(self) -> Sequence[object]: ...
    @property
    def failed(self) -> int: ...


class Runner(Protocol):
    """One source: sync → evaluate → reconcile. Called from one thread only."""

    @property
    def source(self) -> str: ...
    @property
    def interval(self) -> float: ...
    def run_cycle(self, now: datetime) -> CycleReportLike: ...
    def refresh(self, task_key: str) -> ActionsLike | None:
        """Re-read one task now (a webhook hint) and act on it; what was posted, if known."""
        ...

    def close(self) -> None: ...


class Leases(Protocol):
    """Which sources this replica may serve: ``syncd.store.lease_keeper.LeaseKeeper`` on
    PostgreSQL. Without one (SQLite, a single replica) the daemon serves every source."""

    @property
    def interval(self) -> float:
        """Seconds between claim rounds: how soon a source not held now is looked at again."""
        ...

    def holds(self, source: str) -> bool: ...
    def current(self) -> bool:
        """The last claim round reached the database within the lease lifetime."""
        ...

    def set_sources(self, sources: Iterable[str]) -> None: ...
    def start(self) -> None: ...
    def stop(self, *, release: bool = True) -> None: ...


class DigestResult(Protocol):
    """``syncd.digest.dispatch.SentDigest``: one digest the service tried."""

    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str:
        """``sent``, ``failed``, ``skipped`` (nothing to report) or ``dry-run``."""
        ...

    @property
    def unknown(self) -> tuple[str, ...]:
        """Channels an earlier, crashed attempt may have reached (not resent)."""
        ...


class DigestRunner(Protocol):
    """``syncd.digest.dispatch.DigestService``."""

    def run_due(self, now: datetime) -> Sequence[DigestResult]: ...
    def next_due(self, now: datetime) -> datetime | None:
        """When the next schedule fires after ``now`` (None: no schedules): the daemon
        wakes at that moment instead of waiting for its next periodic run."""
        ...


@dataclass
class Wiring:
    """What the SIGHUP callback returns: everything built from one policy file."""

    runners: Sequence[Runner]
    digest_service: DigestRunner | None = None
    sources: Sequence[SourceConfig] = ()
