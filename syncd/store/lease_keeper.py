"""The replica side of source leases: claim a fair share, keep renewing it, know what we hold.

The daemon asks ``keeper.holds(source)`` before each cycle of a source and skips sources
it does not hold. A background thread calls ``Store.claim_leases`` every ``ttl / 3`` — so
a lease survives two missed renewals — which also renews the replica's heartbeat,
rebalances when replicas come and go, and takes over sources of a replica that died.

If the database cannot be reached, the keeper stops believing in its leases once ``ttl``
has passed since the last successful claim: by then another replica may have taken them
over, and serving a source twice is exactly what leases exist to avoid. (Even then the
ledgers' unique keys keep effects exactly-once; leases keep the load and the API cost
single.)

With SQLite there is only one replica, which simply holds every source.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from syncd.core.clock import Clock, SystemClock
from syncd.core.logs import get_logger
from syncd.store.store import Store

__all__ = ["LeaseKeeper"]


class LeaseKeeper:
    """This replica's leases. Thread-safe; ``start``/``stop`` from the owning thread."""

    def __init__(
        self,
        store: Store,
        replica: str,
        sources: Iterable[str],
        *,
        ttl: timedelta = timedelta(seconds=60),
        clock: Clock | None = None,
        on_change: Callable[[frozenset[str], frozenset[str]], None] | None = None,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError("lease ttl must be positive")
        self.store, self.replica, self.ttl = store, replica, ttl
        self.clock = clock or SystemClock()
        self._on_change = on_change  # (gained, lost), called from the claiming thread
        self._lock = threading.Lock()
        self._sources = sorted(set(sources))
        self._held: frozenset[str] = frozenset()
        self._valid_until: datetime | None = None
        self._failing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        """Seconds between claims: a third of the ttl."""
        return self.ttl.total_seconds() / 3

    def set_sources(self, sources: Iterable[str]) -> None:
        """The configured sources changed (SIGHUP): hand back the removed ones, claim anew."""
        new = sorted(set(sources))
        with self._lock:
            removed = [s for s in self._sources if s not in new]
            self._sources = new
        if removed:
            self.store.release_leases(self.replica, removed)
        self.claim_now()

    def claim_now(self) -> frozenset[str]:
        """One claim round (the thread's loop body); returns what is held afterwards."""
        with self._lock:
            sources = list(self._sources)
        now = self.clock.now()
        log = get_logger("syncd.leases", replica=self.replica)
        try:
            held = frozenset(self.store.claim_leases(self.replica, sources, now, self.ttl))
        except Exception as exc:  # the database is down: keep trying, trust leases for ttl
            if not self._failing:
                log.warning("leases.claim_failed", error=f"{type(exc).__name__}: {exc}")
            self._failing = True
            return self.held()
        if self._failing:
            log.info("leases.claim_recovered")
        self._failing = False
        with self._lock:
            before, self._held, self._valid_until = self._held, held, now + self.ttl
        gained, lost = held - before, before - held
        if gained or lost:
            log.info("leases.changed", gained=sorted(gained), lost=sorted(lost), held=len(held))
            if self._on_change is not None:
                self._on_change(gained, lost)
        return held

    def held(self) -> frozenset[str]:
        """The sources this replica may serve now (none once its claims are stale)."""
        with self._lock:
            if self._valid_until is None or self.clock.now() >= self._valid_until:
                return frozenset()
            return self._held

    def holds(self, source: str) -> bool:
        return source in self.held()

    def current(self) -> bool:
        """Claims are fresh: a replica that cannot reach the database stops being current
        one lease lifetime after its last successful round (and then serves nothing)."""
        with self._lock:
            return self._valid_until is not None and self.clock.now() < self._valid_until

    def start(self) -> None:
        """Claim once right away (so the first cycles know their sources), then keep going."""
        if self._thread is not None:
            return
        self._stop.clear()
        self.claim_now()
        self._thread = threading.Thread(target=self._loop, name="syncd-leases", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.claim_now()

    def stop(self, *, release: bool = True) -> None:
        """Stop renewing; by default hand every lease back so others take over at once
        (``release=False`` is what a crash looks like: the leases run out after ttl)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
            self._thread = None
        with self._lock:
            self._held, self._valid_until = frozenset(), None
        if release:
            try:
                self.store.release_leases(self.replica)
            except Exception as exc:  # shutting down anyway; they expire after ttl
                get_logger("syncd.leases", replica=self.replica).warning(
                    "leases.release_failed", error=f"{type(exc).__name__}: {exc}"
                )
