"""Source leases on both backends: one owner per source, even spread, take-over on expiry."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from typing import Any

from syncd.store import open_store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)
SOURCES = [f"src-{i:02d}" for i in range(10)]


def test_two_owners_split_sources_evenly(store_url: str) -> None:
    with open_store(store_url) as store:
        assert store.claim_leases("a", SOURCES, NOW, TTL) == SOURCES  # alone: takes all
        # b joins: nothing is free yet; a gives back its excess next cycle; b takes it.
        assert store.claim_leases("b", SOURCES, NOW, TTL) == []
        assert store.live_replicas(NOW) == ["a", "b"]
        a = store.claim_leases("a", SOURCES, NOW + timedelta(seconds=10), TTL)
        b = store.claim_leases("b", SOURCES, NOW + timedelta(seconds=10), TTL)
        assert len(a) == len(b) == 5
        assert sorted(a + b) == SOURCES
        owners = store.lease_owners()
        assert {s: o for s, (o, _) in owners.items()} == {
            **dict.fromkeys(a, "a"),
            **dict.fromkeys(b, "b"),
        }
        assert owners[a[0]][1] == NOW + timedelta(seconds=10) + TTL
        # Steady state: renewing changes nothing.
        assert store.claim_leases("a", SOURCES, NOW + timedelta(seconds=20), TTL) == a
        assert store.claim_leases("b", SOURCES, NOW + timedelta(seconds=20), TTL) == b


def test_expired_lease_is_taken_over_live_one_is_not(store_url: str) -> None:
    with open_store(store_url) as store:
        assert store.claim_leases("a", SOURCES[:2], NOW, TTL) == SOURCES[:2]
        # b wants everything but a's leases are live: b gets nothing.
        half = NOW + TTL / 2
        assert store.claim_leases("b", SOURCES[:2], half, TTL, fair_share=2) == []
        assert not store.renew_lease("b", SOURCES[0], half, TTL)
        # a dies (stops renewing); once its lease has expired b takes over.
        later = NOW + TTL + timedelta(seconds=1)
        assert store.claim_leases("b", SOURCES[:2], later, TTL) == SOURCES[:2]
        assert {o for o, _ in store.lease_owners().values()} == {"b"}
        assert store.live_replicas(later) == ["b"]
        # a comes back: its rows are gone, its renewal fails, it must re-claim.
        assert not store.renew_lease("a", SOURCES[0], later, TTL)
        assert store.renew_lease("b", SOURCES[0], later, TTL)


def test_own_expired_lease_is_renewed_if_nobody_took_it(store_url: str) -> None:
    with open_store(store_url) as store:
        store.claim_leases("a", SOURCES[:3], NOW, TTL)
        late = NOW + 3 * TTL  # a was stuck, nobody else around
        assert store.claim_leases("a", SOURCES[:3], late, TTL) == SOURCES[:3]
        assert store.lease_owners()[SOURCES[0]] == ("a", late + TTL)


def test_release_hands_sources_over_at_once(store_url: str) -> None:
    with open_store(store_url) as store:
        store.claim_leases("a", SOURCES, NOW, TTL)
        store.claim_leases("b", SOURCES, NOW, TTL)
        assert store.release_leases("a", SOURCES[:2]) == 2
        assert store.claim_leases("b", SOURCES, NOW, TTL, fair_share=2) == SOURCES[:2]
        assert store.release_leases("a") == 8  # shutdown: all of them, and a retires
        assert store.live_replicas(NOW) == ["b"]
        assert store.claim_leases("b", SOURCES, NOW, TTL) == SOURCES
        assert store.lease_owners().keys() == set(SOURCES)


def test_fair_share_caps_and_sources_outside_the_list_are_left_alone(store_url: str) -> None:
    with open_store(store_url) as store:
        first = store.claim_leases("a", SOURCES, NOW, TTL, fair_share=3)
        assert len(first) == 3
        assert set(first) <= set(SOURCES)
        assert store.claim_leases("a", ["other"], NOW, TTL) == ["other"]
        assert len(store.lease_owners()) == 4
        assert store.claim_leases("a", [], NOW, TTL) == []


def _replica(url: str, owner: str, rounds: int, start: Any, results: Any) -> None:
    sources = [f"src-{i:02d}" for i in range(20)]
    with open_store(url, migrate=False) as store:
        held: list[str] = []
        for r in range(rounds):
            start.wait(60)  # every round, all replicas claim at the same moment
            held = store.claim_leases(owner, sources, NOW + timedelta(seconds=5 * r), TTL)
        results.put((owner, held))


def test_three_processes_claiming_at_once_converge_to_an_even_split(store_url: str) -> None:
    open_store(store_url).close()
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(3), ctx.Queue()
    procs = [
        ctx.Process(target=_replica, args=(store_url, name, 5, start, results))
        for name in ("r1", "r2", "r3")
    ]
    for p in procs:
        p.start()
    held = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    results.close()
    results.join_thread()
    assert sorted(len(v) for v in held.values()) == [6, 7, 7]
    everything = [s for v in held.values() for s in v]
    assert sorted(everything) == [f"src-{i:02d}" for i in range(20)]  # disjoint, complete
    with open_store(store_url) as store:
        assert {s: o for s, (o, _) in store.lease_owners().items()} == {
            s: owner for owner, v in held.items() for s in v
        }
