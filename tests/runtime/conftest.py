from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from syncd.core.clock import SystemClock
from syncd.daemon import Daemon, Runner
from syncd.metrics import Metrics
from syncd.store import Store, open_store
from tests.runtime.support import make_settings


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{(tmp_path / 'state.db').as_posix()}")
    yield s
    s.close()


@pytest.fixture
def daemon_factory(tmp_path: Path, store: Store) -> Iterator[Callable[..., Daemon]]:
    """Build started daemons (fresh metrics each) and stop them after the test."""
    made: list[Daemon] = []

    def make(runners: Sequence[Runner], *, start: bool = True, **kw: Any) -> Daemon:
        settings = make_settings(tmp_path, **kw.pop("settings", {}))
        kw.setdefault("metrics", Metrics())
        daemon = Daemon(
            runners, kw.pop("digests", None), store, kw.pop("clock", SystemClock()),
            settings, kw.pop("reload_policy", None), **kw,
        )  # fmt: skip
        made.append(daemon)
        if start:
            daemon.start()
        return daemon

    yield make
    for daemon in made:
        daemon.stop(timeout=3)
