"""LeaseKeeper over a real store (both backends): share, rebalance, take over, go stale."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest

from syncd.core.clock import FrozenClock
from syncd.store import open_store
from syncd.store.lease_keeper import LeaseKeeper

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)
SOURCES = [f"src-{i}" for i in range(6)]


def test_two_keepers_share_and_the_survivor_takes_over(store_url: str) -> None:
    clock = FrozenClock(NOW)
    changes: list[tuple[frozenset[str], frozenset[str]]] = []
    with open_store(store_url) as store:
        a = LeaseKeeper(store, "a", SOURCES, ttl=TTL, clock=clock)
        b = LeaseKeeper(
            store, "b", SOURCES, ttl=TTL, clock=clock, on_change=lambda *c: changes.append(c)
        )
        assert a.claim_now() == frozenset(SOURCES)
        b.claim_now()
        for _ in range(2):  # two rounds: a gives back its excess, b picks it up
            clock.advance(timedelta(seconds=10))
            a.claim_now()
            b.claim_now()
        assert len(a.held()) == len(b.held()) == 3
        assert a.held() | b.held() == frozenset(SOURCES)
        assert a.holds(sorted(a.held())[0])
        assert not b.holds(sorted(a.held())[0])
        assert changes == [(b.held(), frozenset())]
        # a crashes (no release). Its leases run out after ttl; b takes them over.
        clock.advance(TTL + timedelta(seconds=1))
        assert a.held() == frozenset()  # a would not trust stale claims either
        assert b.claim_now() == frozenset(SOURCES)
        assert {owner for owner, _ in store.lease_owners().values()} == {"b"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_stale_claims_are_not_trusted_when_the_store_is_unreachable(store_url: str) -> None:
    clock = FrozenClock(NOW)
    with open_store(store_url) as store:
        keeper = LeaseKeeper(store, "a", SOURCES, ttl=TTL, clock=clock)
        keeper.claim_now()
    # The database goes away: claims fail. The keeper holds on for one ttl, no longer.
    broken = open_store(f"postgresql://syncd@127.0.0.1:{_closed_port()}/syncd", migrate=False)
    keeper.store = broken
    clock.advance(TTL / 2)
    assert keeper.claim_now() == frozenset(SOURCES)
    assert keeper.current()
    clock.advance(TTL / 2)
    assert keeper.claim_now() == frozenset()
    assert not keeper.current()  # the daemon's /readyz turns unready on this
    broken.close()


def test_set_sources_hands_back_removed_ones(store_url: str) -> None:
    clock = FrozenClock(NOW)
    with open_store(store_url) as store:
        keeper = LeaseKeeper(store, "a", SOURCES, ttl=TTL, clock=clock)
        keeper.claim_now()
        keeper.set_sources(SOURCES[:2])
        assert keeper.held() == frozenset(SOURCES[:2])
        assert sorted(store.lease_owners()) == SOURCES[:2]


def test_thread_renews_and_stop_releases(store_url: str) -> None:
    with open_store(store_url) as store:
        keeper = LeaseKeeper(store, "a", SOURCES, ttl=timedelta(seconds=0.6))
        keeper.start()
        try:
            first = store.lease_owners()[SOURCES[0]][1]
            deadline = time.monotonic() + 10
            while store.lease_owners()[SOURCES[0]][1] == first:
                assert time.monotonic() < deadline, "lease never renewed"
                time.sleep(0.05)
            assert keeper.held() == frozenset(SOURCES)
        finally:
            keeper.stop()
        assert store.lease_owners() == {}
        assert store.live_replicas(datetime.now(UTC)) == []
        assert keeper.held() == frozenset()


def test_ttl_must_be_positive(store_url: str) -> None:
    with open_store(store_url) as store, pytest.raises(ValueError, match="positive"):
        LeaseKeeper(store, "a", SOURCES, ttl=timedelta(0))
