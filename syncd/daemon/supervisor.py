"""The Daemon: starts a coordinator per source and the digest thread
(``syncd.daemon.digest_thread``), handles signals, reloads the wiring on SIGHUP, routes webhook
hints, answers readiness.

With ``leases`` (PostgreSQL, several replicas) the daemon claims its share of the sources
on start, polls only the ones it holds, re-announces the source list on SIGHUP and hands
its leases back on a clean stop, so the other replicas take them over at once instead of
after the lease expiry. The digest thread runs on every replica: the digest ledger's
unique (manager, kind, period) key lets exactly one of them send each digest."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from types import FrameType
from typing import Any

from config.policy import SourceConfig
from config.settings import Settings
from syncd.core.clock import Clock
from syncd.core.errors import ConfigError
from syncd.daemon.contracts import DigestRunner, Leases, Runner, Wiring
from syncd.daemon.coordinator import Coordinator
from syncd.daemon.digest_thread import DigestLoop, DigestView
from syncd.daemon.source_state import REREAD_WINDOW, SourceState, error_text
from syncd.daemon.source_state import log as _log
from syncd.incoming_webhooks import route_hint
from syncd.metrics import Metrics, default_metrics
from syncd.store import Store

__all__ = ["Daemon", "exit_reserve"]


def exit_reserve(timeout: float) -> float:
    """The part of the shutdown timeout kept for stopping the HTTP server and leaving the
    process after the steps were waited for: a tenth of it, between 0.25 s (uvicorn looks
    at its exit flag every 0.1 s) and 1 s, and never more than half."""
    return min(1.0, max(0.25, timeout / 10), timeout / 2)


class Daemon:
    """Runs every source's coordinator and the digest service until a signal stops it."""

    def __init__(  # noqa: PLR0917 - the wiring's positional signature, kept stable
        self,
        runners: Sequence[Runner],
        digest_service: DigestRunner | None,
        store: Store,
        clock: Clock,
        settings: Settings,
        reload_policy: Callable[[], Wiring] | None = None,
        *,
        sources: Sequence[SourceConfig] = (),
        metrics: Metrics | None = None,
        digest_every: float = 60.0,
        leases: Leases | None = None,
        reread_window: float = REREAD_WINDOW,
    ) -> None:
        self.store, self.clock, self.settings = store, clock, settings
        self.metrics = metrics or default_metrics()
        self._reload_policy = reload_policy
        self.leases = leases
        self._digest_every = digest_every
        self._reread_window = reread_window
        self._slots = threading.BoundedSemaphore(max(1, settings.max_parallel_sources))
        self._lock = threading.Lock()
        self._wiring = Wiring(list(runners), digest_service, tuple(sources))
        self._coords: dict[str, Coordinator] = {}
        self._stop_flag = False  # plain flags: safe to set from a signal handler
        self._stop_asked: float | None = None  # monotonic moment of the first SIGTERM
        self.abandoned: list[str] = []  # sources still inside a step when the time was up
        self._reload_flag = False
        self._stopping = threading.Event()
        self._cycles_done = 0
        self._digest_thread: threading.Thread | None = None
        self._started = False

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.leases is not None:
            self.leases.start()  # claims once before the coordinators ask what is held
        self._start_coordinators(self._wiring.runners, {})
        loop = DigestLoop(self, self._stopping, self._digest_every)
        self._digest_thread = threading.Thread(target=loop.run, name="syncd-digests", daemon=True)
        self._digest_thread.start()
        _log().info("daemon.started", sources=[r.source for r in self._wiring.runners])

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT (or :meth:`request_stop`); return the exit code."""
        previous = self._install_signals()
        try:
            self.start()
            while not self._stop_flag:
                time.sleep(0.1)
                if self._reload_flag:
                    self._reload_flag = False
                    self.reload()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stop()
        return 0

    def request_stop(self) -> None:
        """Ask :meth:`run` to stop; only sets flags, so safe from a signal handler. The
        shutdown timeout counts from here."""
        if self._stop_asked is None:
            self._stop_asked = time.monotonic()
        self._stop_flag = True

    def time_left(self) -> float:
        """Seconds until the process must be gone: the shutdown timeout after the stop was
        asked (all of it while nobody asked)."""
        timeout = self.settings.shutdown_timeout
        if self._stop_asked is None:
            return timeout
        return max(0.0, self._stop_asked + timeout - time.monotonic())

    def request_reload(self) -> None:
        """Ask :meth:`run` to reload the policy; only sets a flag (signal-handler safe)."""
        self._reload_flag = True

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop starting steps, wait for running ones; True when all finished in time.

        Without ``timeout``, the shutdown timeout counts from the signal, and the steps get
        all of it but ``exit_reserve``: what the HTTP server and the process exit need, so
        that the process is gone within ``shutdown_timeout`` even when a tracker call
        hangs (the caller then leaves at once: ``syncd.commands.run.leave``)."""
        if timeout is None:
            timeout = self.settings.shutdown_timeout
            wait = max(0.0, self.time_left() - exit_reserve(timeout))
        else:
            wait = timeout
        _log().info("daemon.stopping", timeout=timeout)
        self._stopping.set()
        with self._lock:
            coords = list(self._coords.values())
            self._coords.clear()
        # Coordinators replaced by a reload may still be finishing their last step.
        coords += [c.predecessor for c in coords if c.predecessor is not None]
        deadline = time.monotonic() + wait
        clean = self._join(coords, deadline)
        if self._digest_thread is not None:
            self._digest_thread.join(max(0.0, deadline - time.monotonic()))
            if self._digest_thread.is_alive():
                self.abandoned.append("digests")
                clean = False
        if self.leases is not None:
            # After the steps ended, so a successor never overlaps them. A step abandoned
            # mid-flight may still be writing: then let the leases run out instead.
            self.leases.stop(release=clean)
        if not clean:
            _log().warning(
                "daemon.shutdown_timed_out", timeout=timeout, abandoned=self.abandoned or None
            )
        _log().info("daemon.stopped", clean=clean)
        return clean

    # -- SIGHUP -------------------------------------------------------------------------
    def reload(self) -> bool:
        """Rebuild the wiring from the policy; on any problem keep the running one."""
        if self._reload_policy is None:
            _log().warning("policy.reload_unsupported")
            return False
        try:
            wiring = self._reload_policy()
        except ConfigError as exc:
            _log().error("policy.reload_failed", problems=[str(i) for i in exc.issues])
            return False
        except Exception as exc:
            _log().exception("policy.reload_failed", error=error_text(exc))
            return False
        with self._lock:
            old = dict(self._coords)
            self._coords.clear()
            self._wiring = Wiring(list(wiring.runners), wiring.digest_service, wiring.sources)
        for coord in old.values():
            coord.stop()  # each finishes its step, closes its runner, hands over its slot
        for name in old.keys() - {r.source for r in self._wiring.runners}:
            self.metrics.forget_source(name)
        if self.leases is not None:
            try:
                self.leases.set_sources(r.source for r in self._wiring.runners)
            except Exception as exc:  # the claim thread keeps trying with the new list
                _log().warning("leases.update_failed", error=error_text(exc))
        self._start_coordinators(self._wiring.runners, old)
        _log().info("policy.reloaded", sources=[r.source for r in self._wiring.runners])
        return True

    # -- webhooks -----------------------------------------------------------------------
    def hint(self, tracker: str, project: str | None, key: str) -> list[str]:
        """Queue an early re-read of ``key`` on the sources it may belong to."""
        with self._lock:
            names = list(self._coords)
            sources = list(self._wiring.sources)
        targets = route_hint(tracker, project, key, names=names, sources=sources, knows=self._knows)
        for name in targets:
            self.refresh(name, key)
        return targets

    def refresh(self, source: str, key: str) -> bool:
        with self._lock:
            coord = self._coords.get(source)
        if coord is None or self.stopping:
            return False
        return coord.enqueue(key)

    def pending_refreshes(self) -> dict[str, list[str]]:
        with self._lock:
            return {name: c.pending() for name, c in self._coords.items()}

    # -- readiness ----------------------------------------------------------------------
    def states(self) -> list[SourceState]:
        with self._lock:
            return [c.state for c in self._coords.values()]

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready when every source this replica serves polled successfully within 3 × its
        interval (sources leased to other replicas are theirs to answer for)."""
        now = self.clock.now()
        detail = {
            s.source: {**s.describe(now), "held": self.holds(s.source)} for s in self.states()
        }
        # With leases, holding nothing because the database is out of reach is not "all
        # held sources are fine": it is a replica that cannot work.
        leases_current = self.leases is None or self.leases.current()
        ready = (
            self._started
            and not self.stopping
            and leases_current
            and all(d["ready"] for d in detail.values() if d["held"])
        )
        return ready, {
            "ready": ready,
            "started": self._started,
            "stopping": self.stopping,
            "leases_current": leases_current,
            "sources": detail,
        }

    # -- helpers used by the coordinators -----------------------------------------------
    def acquire_slot(self, stopped: Callable[[], bool]) -> bool:
        while not (stopped() or self.stopping):
            if self._slots.acquire(timeout=0.2):
                if stopped() or self.stopping:
                    self._slots.release()
                    return False
                return True
        return False

    def release_slot(self) -> None:
        self._slots.release()

    @property
    def lease_recheck(self) -> float:
        return self.leases.interval if self.leases is not None else 1.0

    @property
    def reread_window(self) -> float:
        return self._reread_window

    def holds(self, source: str) -> bool:
        return self.leases is None or self.leases.holds(source)

    def leases_changed(self, gained: frozenset[str], lost: frozenset[str]) -> None:
        """The lease keeper's ``on_change``: poll newly gained sources right away."""
        del lost  # their coordinators notice before their next cycle
        with self._lock:
            coords = [c for name, c in self._coords.items() if name in gained]
        for coord in coords:
            coord.wake()

    def cycle_finished(self) -> None:
        with self._lock:
            self._cycles_done += 1

    def record_poll(self, source: str, at: datetime, error: str | None) -> None:
        try:
            self.store.record_poll(source, at, error)
        except Exception as exc:
            _log(source=source).error("store.record_poll_failed", error=error_text(exc))

    def digest_view(self) -> DigestView:
        """The digest thread's snapshot: current service, cycles so far, and whether every
        source this replica holds was tried (others are polled by their own replicas)."""
        with self._lock:
            return DigestView(
                self._wiring.digest_service,
                self._cycles_done,
                all(c.state.attempts > 0 for name, c in self._coords.items() if self.holds(name)),
            )

    def _knows(self, source: str, key: str) -> bool:
        try:
            return self.store.get_task(source, key) is not None
        except Exception:
            return False

    def _start_coordinators(
        self, runners: Sequence[Runner], previous: dict[str, Coordinator]
    ) -> None:
        now = time.monotonic()
        self.metrics.declare_sources((r.source, r.interval) for r in runners)
        with self._lock:
            for runner in runners:
                before = previous.get(runner.source)
                state = before.state if before else SourceState(runner.source, runner.interval)
                state.interval = runner.interval
                coord = Coordinator(self, runner, state, now, predecessor=before)
                self._coords[runner.source] = coord
                coord.start()

    def _join(self, coords: list[Coordinator], deadline: float) -> bool:
        """Stop and wait for ``coords``; abandon those still busy at ``deadline``."""
        for coord in coords:
            coord.stop()
        clean = True
        for coord in coords:
            coord.join(max(0.0, deadline - time.monotonic()))
            if coord.is_alive():
                # Still inside a tracker call: abandon it (the ledger makes that safe) and
                # leave its connector open rather than close it under the running thread.
                coord.abandon()
                self.abandoned.append(coord.runner.source)
                _log(source=coord.runner.source).warning("source.abandoned")
                clean = False
        return clean

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def on_stop(_sig: int, _frame: FrameType | None) -> None:
            self.request_stop()

        def on_reload(_sig: int, _frame: FrameType | None) -> None:
            self.request_reload()

        previous: dict[int, Any] = {}
        for sig, handler in ((signal.SIGTERM, on_stop), (signal.SIGINT, on_stop)):
            previous[sig] = signal.signal(sig, handler)
        if hasattr(signal, "SIGHUP"):
            previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, on_reload)
        return previous
