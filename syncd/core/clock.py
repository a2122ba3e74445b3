"""The one source of "now". Rules take ``now`` as an argument; the daemon asks a Clock, so
tests (and ``syncd check --at``) can pin or move time without patching datetime."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FrozenClock", "StartedClock", "SystemClock", "process_clock"]


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to. Always timezone-aware."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, delta: timedelta) -> None:
        self._at += delta


class StartedClock:
    """Real time, but starting from a chosen moment: for rehearsals ("what does syncd do
    at 09:00 on Tuesday?", with ``--dry-run``) and end-to-end tests of a real process."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("StartedClock needs an aware datetime")
        self._start = start
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


def process_clock(start: datetime | None) -> Clock:
    """The clock of a ``syncd`` process: the system's, or one started at ``start``."""
    return SystemClock() if start is None else StartedClock(start)
