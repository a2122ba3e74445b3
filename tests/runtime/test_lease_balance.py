"""Leases spread sources to within one of each other: ten sources on three replicas end
4/3/3, not 4/4/2, and stay put once there. The real lease code on both backends, claim
rounds run in a fixed order (the keepers' threads only repeat them every ttl/3)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from syncd.store import Store, open_store
from syncd.store.lease_keeper import LeaseKeeper

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TTL = timedelta(seconds=60)
SOURCES = [f"src-{i:02d}" for i in range(10)]


@pytest.fixture
def shared(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as store:
        yield store


def owners(store: Store) -> dict[str, str]:
    return {source: owner for source, (owner, _exp) in store.lease_owners().items()}


def spread(store: Store) -> list[int]:
    return sorted(Counter(owners(store).values()).values())


def test_a_third_replica_gets_its_fair_share_and_nothing_flaps(shared: Store) -> None:
    at = NOW
    names = ["a", "b"]
    for _ in range(3):  # two replicas settle at 5/5
        for name in names:
            shared.claim_leases(name, SOURCES, at, TTL)
        at += timedelta(seconds=10)
    assert spread(shared) == [5, 5]

    names.append("c")  # a third joins: ceil(10 / 3) = 4 each at most, 3 at least
    history = []
    for _ in range(8):
        for name in names:
            shared.claim_leases(name, SOURCES, at, TTL)
        history.append(owners(shared))
        at += timedelta(seconds=10)
    assert spread(shared) == [3, 3, 4]
    assert set(owners(shared)) == set(SOURCES)  # nothing left unserved
    # Settled within a few rounds, then not a single source changes hands.
    assert history[-4:] == [history[-1]] * 4
    # Each source moved at most once, and only to the newcomer: nothing went back and forth.
    moved: Counter[str] = Counter()
    for before, after in pairwise(history):
        for source in SOURCES:
            if before.get(source) != after.get(source):
                moved[source] += 1
                assert after.get(source) == "c", (source, before.get(source), after.get(source))
    assert all(n == 1 for n in moved.values()), moved


def test_replicas_below_their_share_are_filled_in_any_claim_order(shared: Store) -> None:
    at = NOW
    for order in (["a", "b", "c"], ["c", "b", "a"], ["b", "c", "a"], ["a", "c", "b"]) * 3:
        for name in order:
            shared.claim_leases(name, SOURCES, at, TTL)
        at += timedelta(seconds=10)
    assert spread(shared) == [3, 3, 4]
    assert len(owners(shared)) == len(SOURCES)


def test_keepers_converge_to_an_even_spread(shared: Store) -> None:
    keepers = [LeaseKeeper(shared, name, SOURCES, ttl=TTL) for name in ("k1", "k2")]
    for _ in range(3):
        for keeper in keepers:
            keeper.claim_now()
    keepers.append(LeaseKeeper(shared, "k3", SOURCES, ttl=TTL))
    for _ in range(6):
        for keeper in keepers:
            keeper.claim_now()
    held = [k.held() for k in keepers]
    assert sorted(len(h) for h in held) == [3, 3, 4]
    assert frozenset().union(*held) == set(SOURCES)
    # A replica stops cleanly: the two left take everything, 5/5.
    keepers.pop().stop()
    for _ in range(3):
        for keeper in keepers:
            keeper.claim_now()
    assert sorted(len(k.held()) for k in keepers) == [5, 5]
