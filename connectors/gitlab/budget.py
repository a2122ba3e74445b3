"""A client-side budget for note creation.

gitlab.com allows 60 note creations a minute per user (self-managed default 300) and
answers the next one with a header-less 429. syncd never asks for more than
``SourceConfig.notes_per_minute``: the budget counts the notes of the last 60 seconds and,
when full, raises ``RateLimitedError`` with the seconds until a slot frees, so the daemon
defers the rest of its reminders instead of hammering GitLab.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from syncd.core.errors import RateLimitedError

__all__ = ["NoteBudget"]

WINDOW = 60.0


class NoteBudget:
    def __init__(
        self, per_minute: int, *, source: str = "", clock: Callable[[], float] = time.monotonic
    ) -> None:
        if per_minute < 1:
            raise ValueError("notes_per_minute must be at least 1")
        self.per_minute = per_minute
        self.source = source
        self._clock = clock
        self._spent: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._spent and now - self._spent[0] >= WINDOW:
            self._spent.popleft()

    def remaining(self) -> int:
        self._expire(self._clock())
        return self.per_minute - len(self._spent)

    def spend(self) -> None:
        """Take one slot or raise ``RateLimitedError`` (nothing is taken then)."""
        now = self._clock()
        self._expire(now)
        if len(self._spent) >= self.per_minute:
            wait = WINDOW - (now - self._spent[0])
            raise RateLimitedError(
                f"note budget of {self.per_minute}/min spent", retry_after=wait, source=self.source
            )
        self._spent.append(now)
