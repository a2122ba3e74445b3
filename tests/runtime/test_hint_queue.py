"""The per-source webhook re-read queue on its own, with plain numbers for time."""

from __future__ import annotations

from syncd.daemon.hints import HintQueue


def test_a_waiting_task_is_queued_once() -> None:
    q = HintQueue(window=5, limit=10)
    assert q.add("SHOP-1", 0.0) == "queued"
    assert [q.add("SHOP-1", 0.1) for _ in range(3)] == ["coalesced"] * 3
    assert q.add("SHOP-2", 0.2) == "queued"
    assert q.take(0.3) == ["SHOP-1", "SHOP-2"]
    assert q.take(0.3) == []
    assert len(q) == 0


def test_a_task_read_within_the_window_waits_for_it_and_is_not_lost() -> None:
    q = HintQueue(window=5, limit=10)
    q.add("SHOP-1", 0.0)
    assert q.take(0.0) == ["SHOP-1"]
    q.reading("SHOP-1", 1.0)
    assert q.add("SHOP-1", 2.0) == "queued"  # a change right after the read
    assert q.add("SHOP-1", 3.0) == "coalesced"
    assert q.next_at() == 6.0
    assert q.take(5.9) == []
    assert q.take(6.0) == ["SHOP-1"]
    q.reading("SHOP-1", 6.0)
    assert q.add("SHOP-1", 11.5) == "queued"  # the window has passed: at once
    assert q.take(11.5) == ["SHOP-1"]


def test_past_the_limit_new_tasks_are_dropped() -> None:
    q = HintQueue(window=5, limit=2)
    assert [q.add(k, 0.0) for k in ("A-1", "A-2", "A-3")] == ["queued", "queued", "dropped"]
    assert q.add("A-1", 0.0) == "coalesced"  # already waiting: still fine
    assert q.keys() == ["A-1", "A-2"]


def test_old_reads_are_forgotten() -> None:
    q = HintQueue(window=5, limit=10)
    for i in range(1000):
        q.reading(f"A-{i}", float(i))
    assert len(q._last_read) <= 6  # only the reads of the last window delay anything
