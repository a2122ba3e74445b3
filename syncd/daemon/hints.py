"""Webhook re-reads waiting for one source: coalesced per task, spaced out, bounded.

A tracker repeats itself (retries, several events for one save) and anyone holding the
secret can replay a signed body: 200 copies of one delivery within a second must not cost
200 issue reads. So a task is queued at most once at a time, and read at most once per
``window``: a hint that arrives within ``window`` of the task's last re-read is kept, but
waits until the window has passed, so a change made right after a read is still picked up
(by one more read), never lost. Past ``limit`` waiting tasks new ones are dropped — the next
poll reads every change anyway — and the caller counts them.

Not thread-safe: the coordinator uses it under its own lock. Times are ``time.monotonic()``.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from typing import Literal

__all__ = ["HintOutcome", "HintQueue"]

HintOutcome = Literal["queued", "coalesced", "dropped"]


class HintQueue:
    """Task keys to re-read, each with the earliest moment it may be read."""

    def __init__(self, window: float, limit: int) -> None:
        self.window, self.limit = window, limit
        self._due: dict[str, float] = {}  # waiting key → when it may be read
        self._heap: list[tuple[float, str]] = []  # the same, ordered by time
        self._last_read: OrderedDict[str, float] = OrderedDict()  # oldest read first

    def add(self, key: str, now: float) -> HintOutcome:
        if key in self._due:
            return "coalesced"
        if len(self._due) >= self.limit:
            return "dropped"
        self._forget_reads(now)
        last = self._last_read.get(key)
        at = now if last is None else max(now, last + self.window)
        self._due[key] = at
        heapq.heappush(self._heap, (at, key))
        return "queued"

    def take(self, now: float) -> list[str]:
        """The keys whose time has come, removed from the queue (earliest first)."""
        ready = []
        while self._heap and self._heap[0][0] <= now:
            _at, key = heapq.heappop(self._heap)
            del self._due[key]
            ready.append(key)
        return ready

    def next_at(self) -> float | None:
        """When the earliest waiting key may be read (None: nothing waits)."""
        return self._heap[0][0] if self._heap else None

    def reading(self, key: str, now: float) -> None:
        """``key``'s re-read starts now: a hint arriving from here on waits for the window."""
        self._last_read[key] = now
        self._last_read.move_to_end(key)
        self._forget_reads(now)

    def keys(self) -> list[str]:
        return list(self._due)

    def __len__(self) -> int:
        return len(self._due)

    def _forget_reads(self, now: float) -> None:
        """Reads older than the window no longer delay anything (and memory stays bounded
        by the reads of one window)."""
        while self._last_read:
            key, at = next(iter(self._last_read.items()))
            if at > now - self.window:
                break
            del self._last_read[key]
