"""Small real implementations of the daemon's collaborators, shared by the runtime tests.

``ScriptedRunner`` is a genuine ``syncd.daemon.Runner``: it does no tracker I/O, but it
keeps real state (calls, refreshes, concurrency) and fails or stalls on cue, which is what
the daemon's scheduling, backoff and shutdown logic must cope with.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from config.settings import Settings
from syncd.core.models import Finding
from syncd.source_cycle import CycleReport

__all__ = ["Gauge", "ScriptedRunner", "make_settings", "wait_for"]


@dataclass
class Gauge:
    """Counts how many runners are inside ``run_cycle`` at once, across runners."""

    now: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


class ScriptedRunner:
    """A runner whose n-th cycle does what ``script(n)`` says: return a report or raise."""

    def __init__(
        self,
        source: str,
        interval: float,
        script: Callable[[int], BaseException | None] | None = None,
        *,
        delay: float = 0.0,
        gauge: Gauge | None = None,
        findings: list[Finding] | None = None,
    ) -> None:
        self.source, self.interval = source, interval
        self.script = script or (lambda _n: None)
        self.delay, self.gauge = delay, gauge
        self.findings = findings or []  # what every cycle's evaluation finds
        self.calls = 0
        self.call_times: list[float] = []
        self.seen_now: list[datetime] = []
        self.refreshed: list[str] = []
        self.closed = False
        self.fail: BaseException | None = None  # set by a test to fail from now on

    def run_cycle(self, now: datetime) -> CycleReport:
        self.calls += 1
        self.call_times.append(time.monotonic())
        self.seen_now.append(now)
        if self.gauge:
            self.gauge.enter()
        try:
            if self.delay:
                time.sleep(self.delay)
            outcome = self.fail or self.script(self.calls)
            if outcome is not None:
                raise outcome
            return CycleReport(
                self.source,
                synced=2,
                posted=1,
                queued=1,
                duration=self.delay,
                findings_list=list(self.findings),
            )
        finally:
            if self.gauge:
                self.gauge.leave()

    def refresh(self, task_key: str) -> None:
        self.refreshed.append(task_key)

    def close(self) -> None:
        self.closed = True


def make_settings(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp,
        "max_parallel_sources": 4,
        "shutdown_timeout": 3.0,
        "http_host": "127.0.0.1",
        "http_port": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Until ``predicate`` holds; ``timeout`` is a hang guard, generous on purpose (a loaded
    2-core machine), never a claim about speed: times are measured in ``make bench``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(0.01)
