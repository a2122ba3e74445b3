"""The daemon with source leases: two in-process replicas sharing one real store (both
backends) and a real ``LeaseKeeper`` each; the runners are small real ones that count."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from syncd.core.clock import SystemClock
from syncd.daemon import Daemon, Wiring
from syncd.metrics import Metrics
from syncd.store import Store, open_store
from syncd.store.lease_keeper import LeaseKeeper
from tests.runtime.support import ScriptedRunner, make_settings, wait_for

SOURCES = [f"src-{i}" for i in range(6)]
TTL = timedelta(seconds=1.5)  # claims every 0.5 s


class Replica:
    """One daemon, its keeper and its runners (one per source)."""

    def __init__(self, name: str, store: Store, tmp: Path, **daemon_kw: Any) -> None:
        self.name = name
        self.runners = {s: ScriptedRunner(s, 0.05) for s in SOURCES}
        self._daemon: Daemon | None = None  # the keeper exists first and may call back early
        self.keeper = LeaseKeeper(store, name, SOURCES, ttl=TTL, on_change=self._changed)
        self._daemon = Daemon(
            list(self.runners.values()),
            daemon_kw.pop("digests", None),
            store,
            SystemClock(),
            make_settings(tmp, replica_id=name),
            metrics=Metrics(),
            leases=self.keeper,
            **daemon_kw,
        )

    @property
    def daemon(self) -> Daemon:
        assert self._daemon is not None
        return self._daemon

    def _changed(self, gained: frozenset[str], lost: frozenset[str]) -> None:
        if self._daemon is not None:
            self._daemon.leases_changed(gained, lost)

    def calls(self) -> dict[str, int]:
        return {s: r.calls for s, r in self.runners.items()}


@pytest.fixture
def shared(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as store:
        yield store


def _balanced(store: Store, a: Replica, b: Replica) -> bool:
    held_a, held_b = a.keeper.held(), b.keeper.held()
    owners = {s: o for s, (o, _exp) in store.lease_owners().items()}
    return (
        len(held_a) == len(held_b) == 3
        and held_a | held_b == set(SOURCES)
        and all(owners[s] == a.name for s in held_a)
    )


def test_each_source_is_polled_by_its_lease_holder_and_taken_over_on_stop(
    shared: Store, tmp_path: Path
) -> None:
    a, b = Replica("a", shared, tmp_path), Replica("b", shared, tmp_path)
    a.daemon.start()
    b.daemon.start()
    try:
        wait_for(lambda: _balanced(shared, a, b), timeout=30, what="an even split")
        wait_for(lambda: a.daemon.readiness()[0], what="a ready")
        wait_for(lambda: b.daemon.readiness()[0], what="b ready")
        # Over a window of steady ownership each source advances on its holder only.
        before_a, before_b = a.calls(), b.calls()
        time.sleep(0.6)
        held_a, held_b = a.keeper.held(), b.keeper.held()
        after_a, after_b = a.calls(), b.calls()
        for source in SOURCES:
            ran_a = after_a[source] > before_a[source]
            ran_b = after_b[source] > before_b[source]
            assert ran_a != ran_b, (source, ran_a, ran_b)
            assert ran_a == (source in held_a), source
            assert ran_b == (source in held_b), source
        readiness = a.daemon.readiness()[1]["sources"]
        assert {s for s, d in readiness.items() if d["held"]} == held_a

        # A clean stop hands its leases back (released, not left to expire): at a moment
        # when a's heartbeat and leases were still valid, a is no longer a live replica,
        # and none of its leases is left. Then b takes them all over.
        while_a_was_alive = datetime.now(UTC)
        assert a.daemon.stop(timeout=30)
        assert "a" not in shared.live_replicas(while_a_was_alive)
        assert "a" not in {o for o, _exp in shared.lease_owners().values()}
        frozen = a.calls()
        wait_for(lambda: b.keeper.held() == set(SOURCES), timeout=30, what="b holds all")
        moved = set(SOURCES) - held_b
        marks = b.calls()
        wait_for(
            lambda: all(b.runners[s].calls > marks[s] for s in moved),
            timeout=30,
            what="b polls the sources it took over",
        )
        assert a.calls() == frozen
        assert {o for o, _exp in shared.lease_owners().values()} == {"b"}
        assert shared.live_replicas(datetime.now(UTC)) == ["b"]
    finally:
        for replica in (a, b):
            replica.daemon.stop(timeout=3)


class Digests:
    def __init__(self) -> None:
        self.runs: list[datetime] = []

    def run_due(self, now: datetime) -> list[Any]:
        self.runs.append(now)
        return []

    def next_due(self, now: datetime) -> datetime | None:
        return None


def test_digests_start_once_the_held_sources_were_tried(shared: Store, tmp_path: Path) -> None:
    # Another replica ("other") holds half the sources and never polls: this replica's
    # first digest run must not wait for sources it does not serve.
    shared.claim_leases("other", SOURCES[:3], datetime.now(UTC), timedelta(minutes=5))
    digests = Digests()
    mine = Replica("mine", shared, tmp_path, digests=digests, digest_every=30.0)
    mine.daemon.start()
    try:
        wait_for(lambda: len(mine.keeper.held()) == 3, what="half the sources")
        wait_for(lambda: len(digests.runs) == 1, timeout=30, what="the first digest run")
        not_held = set(SOURCES) - mine.keeper.held()
        assert all(mine.runners[s].calls == 0 for s in not_held)
    finally:
        mine.daemon.stop(timeout=3)
        shared.release_leases("other")


def test_reload_hands_back_the_leases_of_removed_sources(shared: Store, tmp_path: Path) -> None:
    kept = SOURCES[:2]
    replica = Replica(
        "solo",
        shared,
        tmp_path,
        reload_policy=lambda: Wiring([ScriptedRunner(s, 0.05) for s in kept]),
    )
    replica.daemon.start()
    try:
        wait_for(lambda: replica.keeper.held() == set(SOURCES), what="every source held")
        assert replica.daemon.reload()
        assert replica.keeper.held() == set(kept)
        assert sorted(shared.lease_owners()) == kept
        assert replica.daemon.readiness()[1]["sources"].keys() == set(kept)
    finally:
        replica.daemon.stop(timeout=3)


def test_not_ready_once_the_leases_can_no_longer_be_renewed(shared: Store, tmp_path: Path) -> None:
    a = Replica("a", shared, tmp_path)
    a.daemon.start()
    try:
        wait_for(lambda: a.daemon.readiness()[0], timeout=30, what="ready")
        assert a.daemon.readiness()[1]["leases_current"] is True
        # The database goes away under the keeper: claims fail from now on.
        a.keeper.store = _unreachable(tmp_path)
        wait_for(lambda: not a.daemon.readiness()[0], timeout=30, what="unready")
        assert a.daemon.readiness()[1]["leases_current"] is False
    finally:
        a.daemon.stop(10)
        a.keeper.store.close()


def _unreachable(tmp: Path) -> Store:
    """A store whose every claim fails (a file that is not a database)."""
    bad = tmp / "not-a-db.sqlite"
    bad.write_bytes(b"not a database" * 64)
    return open_store(f"sqlite:///{bad}", migrate=False)
