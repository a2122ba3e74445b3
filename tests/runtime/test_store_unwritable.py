"""A state store that cannot be written (read-only volume, full disk) makes a source unready
with the reason in ``/readyz`` and one warning per streak — not a driver traceback on every
poll. The failure is a real one: a write to a SQLite file opened read-only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from syncd.core.errors import StoreError
from syncd.daemon import Daemon
from syncd.store import Store, open_store
from tests.runtime.support import ScriptedRunner, wait_for

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "ro" / "syncd.db"
    open_store(f"sqlite:///{path.as_posix()}").close()
    store = open_store(f"sqlite:///file:{path.as_posix()}?mode=ro&uri=true")
    yield store
    store.close()


def test_an_unwritable_store_is_the_reason_in_readyz_not_a_crash(
    daemon_factory: Callable[..., Daemon], read_only_store: Store
) -> None:
    def cycle_writing_state(_n: int) -> BaseException | None:
        try:
            read_only_store.record_poll("agency", NOW)  # what a real cycle does at its end
        except StoreError as exc:
            return exc
        return None

    runner = ScriptedRunner("agency", 0.05, cycle_writing_state)
    with capture_logs() as logs:
        daemon = daemon_factory([runner])
        wait_for(lambda: runner.calls >= 3, what="several failing polls")
        ready, detail = daemon.readiness()
        daemon.stop()
    assert not ready
    reason = detail["sources"]["agency"]["last_error"]
    assert reason.startswith("state database ")
    assert "read-only" in reason
    failing = [e for e in logs if e["event"] == "source.failing"]
    assert len(failing) == 1  # once per streak
    assert "exc_info" not in failing[0]
    assert not [e for e in logs if e["event"] == "cycle.crashed"]
