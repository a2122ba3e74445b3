"""The digest thread: runs the digest service at each schedule's minute and every
``digest_every`` seconds, whatever the poll interval (a 300 s poll must not make a 09:00
digest late).

Only the first run waits for this replica's sources to have been tried once, so a digest
right after start-up is not built from an empty or stale store (at most five
``digest_every`` periods, in case the sources keep failing). Exactly-once is the digest
ledger's job, so running on every replica and every ``digest_every`` is safe."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from syncd.core.clock import Clock
from syncd.daemon.contracts import DigestRunner
from syncd.daemon.source_state import digest_outcomes, error_text
from syncd.daemon.source_state import log as _log
from syncd.metrics import Metrics

__all__ = ["DigestHost", "DigestLoop", "DigestView"]


@dataclass(frozen=True)
class DigestView:
    """What the digest thread needs to know of the daemon, read under its lock."""

    service: DigestRunner | None
    """The current wiring's service (a reload may replace it, with new schedules)."""
    cycles_done: int
    all_tried: bool
    """Every source this replica holds was polled at least once."""


class DigestHost(Protocol):
    """The daemon, as the digest thread uses it."""

    clock: Clock
    metrics: Metrics

    def digest_view(self) -> DigestView: ...


class DigestLoop:
    """The body of the ``syncd-digests`` thread; returns once ``stopping`` is set."""

    def __init__(self, host: DigestHost, stopping: threading.Event, every: float) -> None:
        self.host, self.stopping, self.every = host, stopping, every

    def run(self) -> None:
        started = time.monotonic()
        last_run = started
        first, failing = True, False
        tick = min(1.0, self.every / 4)
        next_slot: datetime | None = None
        slot_of: DigestRunner | None = None
        clock = self.host.clock
        while not self.stopping.wait(tick):
            view = self.host.digest_view()
            service = view.service
            if service is None:
                continue
            if service is not slot_of:  # a reload brought a new policy, new schedules
                slot_of, next_slot = service, self._next_slot(service, clock.now())
            mono = time.monotonic()
            if first:
                due = (view.cycles_done > 0 and view.all_tried) or (
                    mono - started >= 5 * self.every
                )
            else:
                due = mono - last_run >= self.every or (
                    next_slot is not None and clock.now() >= next_slot
                )
            if not due:
                continue
            first, last_run = False, mono
            at = clock.now()
            failing = self._run(service, at, failing)
            # From the run's start: a slot that fired while it ran is not skipped.
            next_slot = self._next_slot(service, at)

    def _next_slot(self, service: DigestRunner, after: datetime) -> datetime | None:
        """When ``service``'s next schedule after ``after`` fires (None: it cannot say)."""
        try:
            return service.next_due(after)
        except Exception as exc:
            _log().warning("digests.next_due_failed", error=error_text(exc))
            return None

    def _run(self, service: DigestRunner, at: datetime, failing: bool) -> bool:
        """One run of the service; True while it keeps crashing (logged once a streak)."""
        metrics = self.host.metrics
        try:
            results = service.run_due(at)
        except Exception as exc:
            metrics.digests.labels(kind="unknown", outcome="failed").inc()
            if not failing:
                _log().exception("digests.crashed", error=error_text(exc))
            return True
        for kind, outcome in digest_outcomes(results):
            metrics.digests.labels(kind=kind, outcome=outcome).inc()
        if failing:
            _log().info("digests.recovered")
        return False
