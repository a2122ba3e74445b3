"""One thread per source: waits for its (jittered) poll time or a webhook hint, takes a
slot of the shared parallelism budget, runs the step, and keeps the failure streak.

With source leases (several replicas on PostgreSQL) a coordinator runs for every
configured source, but polls only while this replica holds the source's lease; otherwise
it looks again every claim round (``Host.lease_recheck``), or at once when woken because
the lease was just gained. Webhook re-reads run either way: they only refresh the shared
store, which the owner's next cycle reads."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from syncd.core.clock import Clock
from syncd.core.errors import ConnectorError, RateLimitedError, StoreError
from syncd.daemon.contracts import CycleReportLike, Runner
from syncd.daemon.hints import HintQueue
from syncd.daemon.source_state import MAX_PENDING, SourceState, backoff_delay, error_text
from syncd.daemon.source_state import log as _log
from syncd.metrics import Metrics

__all__ = ["Coordinator", "Host"]


class Host(Protocol):
    """The daemon, as a coordinator uses it."""

    clock: Clock
    metrics: Metrics

    def acquire_slot(self, stopped: Callable[[], bool]) -> bool: ...
    def release_slot(self) -> None: ...
    @property
    def lease_recheck(self) -> float: ...
    @property
    def reread_window(self) -> float:
        """Seconds between two webhook re-reads of one task (``syncd.daemon.hints``)."""
        ...

    def holds(self, source: str) -> bool: ...
    def cycle_finished(self) -> None: ...
    def record_poll(self, source: str, at: datetime, error: str | None) -> None: ...


class Coordinator(threading.Thread):
    """Polls one source until told to stop; also runs its early re-reads (webhook hints)."""

    def __init__(
        self,
        daemon: Host,
        runner: Runner,
        state: SourceState,
        due: float,
        predecessor: Coordinator | None = None,
    ) -> None:
        super().__init__(name=f"syncd-source-{runner.source}", daemon=True)
        self.d, self.runner, self.state, self.next_due = daemon, runner, state, due
        # After a reload the old coordinator of the same source may still be inside a
        # cycle; this one starts only when that one has ended, so a source is never
        # polled twice at once and its schedule carries over.
        self.predecessor = predecessor
        self._cond = threading.Condition()
        self._hints = HintQueue(daemon.reread_window, MAX_PENDING)
        self.last_polled: float | None = None  # monotonic end of the last cycle
        self._stopped = False
        self._abandoned = False

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def abandon(self) -> None:
        """Shutdown gave up waiting: whatever the running step returns is dropped (the
        store may be closed by then) and the runner is left alone."""
        self._abandoned = True
        self.stop()

    def wake(self) -> None:
        """Poll now (this replica just gained the source's lease)."""
        with self._cond:
            self.next_due = min(self.next_due, time.monotonic())
            self._cond.notify_all()

    def enqueue(self, key: str) -> bool:
        """Queue an early re-read of ``key``; False when the queue is full (dropped)."""
        with self._cond:
            outcome = self._hints.add(key, time.monotonic())
            if outcome == "queued":
                self._cond.notify_all()
        self.d.metrics.webhook_hints.labels(source=self.runner.source, outcome=outcome).inc()
        return outcome != "dropped"

    def pending(self) -> list[str]:
        with self._cond:
            return self._hints.keys()

    def run(self) -> None:
        try:
            if self._follow_predecessor():
                self._loop()
        finally:
            if not self._abandoned:
                self._close()

    def _follow_predecessor(self) -> bool:
        before = self.predecessor
        if before is None:
            return True
        while before.is_alive() and not self._stopped:
            before.join(0.1)
        if before.is_alive():
            return False
        self.next_due, self.predecessor = before.next_due, None
        if before.last_polled is not None and self.state.failures == 0:
            # A reload that shortened the interval: the next poll comes no later than the
            # new interval after the last one (readiness already judges by the new one).
            # A failing source keeps its backoff.
            self.next_due = min(self.next_due, before.last_polled + self.runner.interval)
        self.last_polled = before.last_polled
        return not self._stopped

    def _close(self) -> None:
        try:
            self.runner.close()
        except Exception as exc:
            _log(source=self.runner.source).warning("close.failed", error=error_text(exc))

    def _loop(self) -> None:
        while True:
            with self._cond:
                work = self._next_work()
            if work is None:
                return
            keys, due = work
            if not self.d.acquire_slot(lambda: self._stopped):
                return
            try:
                for key in keys:
                    if self._stopped:
                        break
                    self._refresh(key)
                if due and not self._stopped and self.d.holds(self.runner.source):
                    self._cycle()
            finally:
                self.d.release_slot()

    def _next_work(self) -> tuple[list[str], bool] | None:
        """Wait (holding ``_cond``) until re-reads are ready or a poll is due: (keys to
        re-read, poll due); None once stopped."""
        while not self._stopped:
            now = time.monotonic()
            keys = self._hints.take(now)
            due = now >= self.next_due
            if due and not self.d.holds(self.runner.source):
                # Served by another replica (or nobody yet): look again next claim round.
                due, self.next_due = False, now + self.d.lease_recheck
            if keys or due:
                return keys, due
            wake = self.next_due
            hint_at = self._hints.next_at()
            if hint_at is not None:
                wake = min(wake, hint_at)
            self._cond.wait(max(0.0, wake - now))
        return None

    def _refresh(self, key: str) -> None:
        name = self.runner.source
        with self._cond:
            self._hints.reading(key, time.monotonic())
        try:
            result = self.runner.refresh(key)
            _log(source=name).debug("refreshed", task=key)
        except ConnectorError as exc:
            _log(source=name).warning("refresh.failed", task=key, error=str(exc))
            return
        except Exception:
            _log(source=name).exception("refresh.crashed", task=key)
            return
        if result is not None:  # reminders a webhook brought forward count like any other
            self.d.metrics.actions.labels(source=name, outcome="posted").inc(len(result.posted))
            self.d.metrics.actions.labels(source=name, outcome="failed").inc(result.failed)

    def _cycle(self) -> None:
        st = self.state
        started, t0 = self.d.clock.now(), time.monotonic()
        st.running = True
        try:
            report = self.runner.run_cycle(started)
        except Exception as exc:
            if not self._abandoned:
                # A store that cannot be written (full or read-only disk) is an expected
                # failure too: its reason goes to /readyz, without a driver traceback.
                expected = isinstance(exc, ConnectorError | StoreError)
                self._failed(started, exc, expected=expected)
        else:
            if not self._abandoned:
                self._succeeded(started, report, time.monotonic() - t0)
        finally:
            st.running = False
            st.attempts += 1
            self.last_polled = time.monotonic()
            self.d.cycle_finished()

    def _succeeded(self, started: datetime, report: CycleReportLike, took: float) -> None:
        st, name, m = self.state, self.runner.source, self.d.metrics
        if st.failures:
            _log(source=name).info(
                "source.recovered",
                failed_polls=st.failures,
                since=st.failing_since.isoformat() if st.failing_since else None,
            )
        st.failures, st.last_error, st.failing_since = 0, None, None
        st.last_success = st.last_attempt = started
        self.next_due = time.monotonic() + st.interval * random.uniform(0.9, 1.1)
        self.d.record_poll(name, started, None)
        m.cycles.labels(source=name, outcome="ok").inc()
        m.cycle_duration.labels(source=name).observe(report.duration or took)
        m.tasks_synced.labels(source=name).inc(report.synced)
        m.actions.labels(source=name, outcome="posted").inc(report.posted)
        m.actions.labels(source=name, outcome="failed").inc(report.failed)
        m.reminders_queued.labels(source=name).set(report.queued)
        m.reminders_deferred.labels(source=name).set(report.deferred)
        m.last_success.labels(source=name).set(started.timestamp())
        m.failures.labels(source=name).set(0)
        m.set_open_findings(name, report.rule_counts)
        _log(source=name).debug("cycle.done", synced=report.synced, took=round(took, 3))

    def _failed(self, started: datetime, exc: Exception, *, expected: bool) -> None:
        st, name = self.state, self.runner.source
        text = error_text(exc)
        if not expected:
            _log(source=name).exception("cycle.crashed", error=text, failed_polls=st.failures + 1)
        elif st.failures == 0:
            _log(source=name).warning("source.failing", error=text)
        if st.failures == 0:
            st.failing_since = started
        st.failures += 1
        st.last_error, st.last_attempt = text, started
        retry_after = exc.retry_after if isinstance(exc, RateLimitedError) else None
        self.next_due = time.monotonic() + backoff_delay(st.interval, st.failures, retry_after)
        self.d.record_poll(name, started, text)
        self.d.metrics.cycles.labels(source=name, outcome="error").inc()
        self.d.metrics.failures.labels(source=name).set(st.failures)
