"""What the daemon runs, as Protocols: ``syncd.cycle.SourceRunner`` and the digest
service are the production implementations; tests use small real ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from config.policy import SourceConfig

__all__ = ["CycleReportLike", "DigestRunner", "Runner", "Wiring"]


class CycleReportLike(Protocol):
    """What the daemon reads from ``syncd.cycle.CycleReport``."""

    @property
    def synced(self) -> int: ...
    @property
    def posted(self) -> int: ...
    @property
    def queued(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def duration(self) -> float: ...


class Runner(Protocol):
    """One source: sync → evaluate → reconcile. Called from one thread only."""

    @property
    def source(self) -> str: ...
    @property
    def interval(self) -> float: ...
    def run_cycle(self, now: datetime) -> CycleReportLike: ...
    def refresh(self, task_key: str) -> None: ...
    def close(self) -> None: ...


class DigestRunner(Protocol):
    def run_due(self, now: datetime) -> Sequence[Any]: ...


@dataclass
class Wiring:
    """What the SIGHUP callback returns: everything built from one policy file."""

    runners: Sequence[Runner]
    digest_service: DigestRunner | None = None
    sources: Sequence[SourceConfig] = ()
