from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.errors import StoreError
from syncd.models import Finding, Severity, StatusCategory, Task
from syncd.store import open_store

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _task(key: str, *, done: bool = False) -> Task:
    return Task(
        source="s",
        key=key,
        id=key,
        url=f"https://x/{key}",
        project="P",
        title=f"Задача {key}",
        status_category=StatusCategory.DONE if done else StatusCategory.IN_PROGRESS,
        created=NOW - timedelta(days=3),
        updated=NOW,
    )


def test_migrates_from_empty_and_reopens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state/syncd.db"
    store = open_store(url)
    assert store.schema_version() == "0001"
    store.upsert_tasks([_task("P-1"), _task("P-2", done=True)])
    store.set_cursor("s", {"watermark": "2026-11-23T09:00:00+00:00"}, NOW)
    store.close()
    again = open_store(url)
    assert again.get_cursor("s") == {"watermark": "2026-11-23T09:00:00+00:00"}
    assert [t.key for t in again.iter_tasks("s", open_only=True)] == ["P-1"]
    assert again.get_task("s", "P-2") == _task("P-2", done=True)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/syncd.db"
    open_store(url).close()
    with sqlite3.connect(tmp_path / "syncd.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="newer than this syncd"):
        open_store(url)


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "syncd.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot"):
        open_store(f"sqlite:///{tmp_path}/syncd.db")


def test_claimed_action_survives_restart_and_is_claimed_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/syncd.db"
    store = open_store(url)
    kwargs = {
        "source": "s",
        "task_key": "P-1",
        "kind": "comment",
        "payload": {"body": "x"},
        "owner": "a",
        "now": NOW,
    }
    assert store.claim_action("m1", **kwargs) is True
    assert store.claim_action("m1", **kwargs) is False
    store.close()
    reopened = open_store(url)
    pending = reopened.actions("s", state="claimed")
    assert [a.marker for a in pending] == ["m1"]
    assert pending[0].payload == {"body": "x"}
    reopened.confirm_action("m1", "10001", NOW)
    assert reopened.get_action("m1").state == "done"  # type: ignore[union-attr]


def test_findings_ledger_lifecycle(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/syncd.db")
    finding = Finding(
        rule="due-date",
        source="s",
        task_key="P-1",
        severity=Severity.ERROR,
        message="no due date",
        fingerprint="fp",
        detected_at=NOW,
    )
    store.record_findings("s", [finding], NOW)
    store.record_findings("s", [finding], NOW + timedelta(hours=1))
    rows = store.findings("s")
    assert len(rows) == 1
    assert rows[0].first_seen == NOW
    assert rows[0].last_seen == NOW + timedelta(hours=1)
    store.mark_notified("s", "P-1", [("due-date", "fp")], "mk", NOW)
    store.resolve_findings("s", [("P-1", "due-date", "fp")], NOW + timedelta(hours=2))
    assert store.findings("s") == []
    resolved = store.findings("s", state="resolved")[0]
    assert resolved.times_notified == 1
    assert resolved.resolved_at is not None


def test_digest_claimed_once_and_stale_claim_taken_over(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/syncd.db")
    assert store.claim_digest("olga", "daily", "2026-11-23", "a", NOW)
    assert not store.claim_digest("olga", "daily", "2026-11-23", "b", NOW + timedelta(minutes=1))
    assert store.claim_digest("olga", "daily", "2026-11-23", "b", NOW + timedelta(minutes=11))
    store.confirm_digest("olga", "daily", "2026-11-23", {"open": 3}, NOW)
    assert not store.claim_digest("olga", "daily", "2026-11-23", "c", NOW + timedelta(days=1))
    assert store.digests("olga")[0].stats == {"open": 3}


def _writer(url: str, prefix: str, n: int) -> None:
    store = open_store(url)
    for i in range(n):
        store.upsert_tasks([_task(f"{prefix}-{i}")])
        store.claim_action(
            f"{prefix}-{i}",
            source="s",
            task_key=f"{prefix}-{i}",
            kind="comment",
            payload={},
            owner=prefix,
            now=NOW,
        )
        store.claim_action(
            "shared", source="s", task_key="X", kind="comment", payload={}, owner=prefix, now=NOW
        )


def test_two_processes_write_concurrently_without_corruption(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/syncd.db"
    open_store(url).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(url, p, 150)) for p in ("A", "B")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = open_store(url)
    assert store.count_tasks("s") == 300
    assert len(store.actions("s")) == 301  # 300 own + exactly one winner of "shared"
    with sqlite3.connect(tmp_path / "syncd.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
