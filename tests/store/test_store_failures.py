"""A state file that cannot be used is one clear line naming the file and the cause (exit 2
from commands), never a driver traceback; a state file cut to 0 bytes is said out loud.

Real SQLite throughout: a read-only open (``mode=ro``), a page limit that makes SQLite
answer "database or disk is full" exactly as a full disk does, a path under a file."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
from sqlalchemy import event

from syncd.core.errors import StoreError
from syncd.core.logs import configure_logging
from syncd.store import Store, open_store
from tests.runtime.process import run_syncd

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POLICY = """\
sources:
  - name: agency
    type: jira
    url: https://agency.atlassian.net
    auth: {kind: bearer, secret: JIRA_TOKEN}
    scope: {jql: "project = SHOP"}
"""


def _syncd(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    policy = tmp / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    return run_syncd(*args, env={"SYNCD_CONFIG": str(policy), "SYNCD_LOG_FORMAT": "json", **env})


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A state file with a schema and one recorded poll, closed."""
    path = tmp_path / "data" / "syncd.db"
    with open_store(f"sqlite:///{path.as_posix()}") as store:
        store.record_poll("agency", NOW)
    return path


def test_a_data_directory_that_cannot_be_created_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(StoreError, match=r"cannot create the data directory .*not-a-dir/sub"):
        open_store(f"sqlite:///{(blocker / 'sub' / 'syncd.db').as_posix()}")

    proc = _syncd(tmp_path, "status", SYNCD_DATA_DIR=str(blocker / "sub"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    # The command checks the state directory before opening the store (the same check a
    # container's /data gets): one line naming the path and the cause.
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"error: state directory {blocker / 'sub'} cannot be written")
    assert "Not a directory" in line
    assert "SYNCD_DATA_DIR" in line


def test_a_read_only_state_file_names_the_file_and_the_cause(state: Path) -> None:
    with open_store(f"sqlite:///file:{state.as_posix()}?mode=ro&uri=true") as store:
        assert [r.source for r in store.source_rows()] == ["agency"]  # reading still works
        with pytest.raises(StoreError) as info:
            store.record_poll("agency", NOW, "boom")
    message = str(info.value)
    assert message.startswith(f"state database {state} cannot be used: ")
    assert "read-only" in message


def _fill_up(store: Store) -> None:
    """Let SQLite use no page beyond those it has: the next growth fails as on a full disk."""
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def no_room(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")


def _write_until_it_fails(store: Store) -> None:
    for n in range(1000):
        store.record_poll(f"source-{n}-" + "x" * 500, NOW, "e" * 4000)


def test_a_full_disk_names_the_file_and_the_cause(state: Path) -> None:
    with open_store(f"sqlite:///{state.as_posix()}") as store:
        _fill_up(store)
        with pytest.raises(StoreError) as info:
            _write_until_it_fails(store)
    assert str(info.value).startswith(f"state database {state} cannot be used: the disk is full")


def test_a_file_that_is_not_a_database_is_one_line_and_exit_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "syncd.db").write_bytes(b"this is not a database; " * 100)
    proc = _syncd(tmp_path, "status", SYNCD_DATA_DIR=str(data))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: state database {data / 'syncd.db'} cannot be used: ")
    assert "not a SQLite database" in proc.stderr


def test_a_state_file_truncated_to_zero_bytes_is_said_out_loud(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state.write_bytes(b"")
    for suffix in ("-wal", "-shm"):
        state.with_name(state.name + suffix).unlink(missing_ok=True)
    configure_logging("info", "json")
    try:
        with open_store(f"sqlite:///{state.as_posix()}") as store:
            assert store.source_rows() == []  # a new, empty ledger: the old one is gone
    finally:
        structlog.reset_defaults()
    (line,) = [json.loads(x) for x in capsys.readouterr().err.splitlines() if "ledger_lost" in x]
    assert line["level"] == "warning"
    assert line["path"] == str(state)
    assert "ledger of posted reminders and sent digests is lost" in line["message"]
    assert "carry syncd's marker and are not posted again" in line["message"]


def test_a_new_state_file_is_not_reported_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("info", "json")
    try:
        with open_store(f"sqlite:///{(tmp_path / 'fresh' / 'syncd.db').as_posix()}"):
            pass
    finally:
        structlog.reset_defaults()
    assert "ledger_lost" not in capsys.readouterr().err
