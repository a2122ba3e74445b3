"""Progress of a long cycle (a backfill of 20,000 issues takes minutes): issues read,
pages, requests and the rate, so ``syncd once`` is never silent while it works.

On a terminal a live line (``rich.progress``) on stderr, gone when the cycle ends; off a
terminal (CI, cron, a container) a ``sync.progress`` JSON log line at most every few
seconds — nothing for a cycle shorter than that. A ``SourceRunner`` with a ``progress``
tells it the phases, every page of tasks and (through ``RequestCounts.listeners``) every
request; the cycle itself does not depend on it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from connectors.request_counts import RequestCounts
from syncd.core.logs import get_logger

__all__ = ["BarProgress", "CycleProgress", "LogProgress", "for_terminal", "watching"]

DEFAULT_EVERY = 5.0
"""Seconds between two progress log lines."""

log = get_logger("syncd.progress")


class CycleProgress(Protocol):
    def begin(self, source: str) -> None: ...

    def phase(self, name: str) -> None:
        """``sync``, ``sweep``, ``evaluate``, ``reconcile``."""
        ...

    def page(self, tasks: int) -> None:
        """A page of ``tasks`` read and stored."""
        ...

    def request(self, kind: str) -> None: ...

    def end(self) -> None: ...


class _Tally:
    """What both reporters count, per cycle."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.source = ""
        self.stage = ""
        self.issues = self.pages = self.requests = 0
        self.started = clock()

    def begin(self, source: str) -> None:
        self.source, self.stage = source, "sync"
        self.issues = self.pages = self.requests = 0
        self.started = self.clock()

    def phase(self, name: str) -> None:
        self.stage = name
        self.changed()

    def page(self, tasks: int) -> None:
        self.issues += tasks
        self.pages += 1
        self.changed()

    def request(self, kind: str) -> None:
        del kind  # every kind counts the same here; the summary splits them
        self.requests += 1
        self.changed()

    def end(self) -> None:
        pass

    def changed(self) -> None:
        pass

    @property
    def rate(self) -> float:
        """Issues read per second so far."""
        elapsed = self.clock() - self.started
        return self.issues / elapsed if elapsed > 0 else 0.0


class LogProgress(_Tally):
    """A ``sync.progress`` log line at most every ``every`` seconds."""

    def __init__(
        self, every: float = DEFAULT_EVERY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(clock)
        self.every = every
        self.last = self.started

    def begin(self, source: str) -> None:
        super().begin(source)
        self.last = self.started

    def changed(self) -> None:
        now = self.clock()
        if now - self.last < self.every:
            return
        self.last = now
        log.info(
            "sync.progress",
            source=self.source,
            phase=self.stage,
            issues=self.issues,
            pages=self.pages,
            requests=self.requests,
            rate=round(self.rate, 1),
            seconds=round(now - self.started, 1),
        )


class BarProgress(_Tally):
    """A live line on the terminal: ``agency  sync  1,200 issues · 12 pages · 3,412
    requests · 85 issues/s``; transient, so the summary that follows stands alone."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock)
        self._bar: Any = None
        self._task: Any = None

    def begin(self, source: str) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        super().begin(source)
        self._bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task(self._text(), total=None)
        self._bar.start()  # drawn at once: a short cycle shows its line too

    def changed(self) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=self._text())

    def end(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _text(self) -> str:
        return (
            f"{self.source}  {self.stage}  {self.issues:,} issues · {self.pages:,} pages · "
            f"{self.requests:,} requests · {self.rate:,.0f} issues/s"
        )


def for_terminal(every: float = DEFAULT_EVERY) -> CycleProgress:
    """A live line when stderr is a terminal, progress log lines otherwise."""
    return BarProgress() if sys.stderr.isatty() else LogProgress(every)


@contextmanager
def watching(progress: CycleProgress | None, counts: RequestCounts, source: str) -> Iterator[None]:
    """Report one cycle of ``source`` to ``progress`` (nothing when None)."""
    if progress is None:
        yield
        return
    progress.begin(source)
    counts.listeners.append(progress.request)
    try:
        yield
    finally:
        counts.listeners.remove(progress.request)
        progress.end()
