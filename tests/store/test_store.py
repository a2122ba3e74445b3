"""The store's contract, run on both backends (``store_url``: SQLite file, PostgreSQL)."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from syncd.core.errors import StoreError
from syncd.core.models import Finding, Severity, StatusCategory, Task
from syncd.store import open_store
from syncd.store.migrate import alembic_config

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HEAD = "0006"


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


def test_migrates_from_empty_and_reopens(store_url: str) -> None:
    with open_store(store_url) as store:
        assert store.schema_version() == HEAD
        store.upsert_tasks([_task("P-1"), _task("P-2", done=True)])
        store.set_cursor("s", {"watermark": "2026-11-23T09:00:00+00:00"}, NOW)
    with open_store(store_url) as again:
        assert again.get_cursor("s") == {"watermark": "2026-11-23T09:00:00+00:00"}
        assert [t.key for t in again.iter_tasks("s", open_only=True)] == ["P-1"]
        assert again.get_task("s", "P-2") == _task("P-2", done=True)
        assert again.count_tasks("s") == 2


def test_upgrade_from_0001_keeps_data(store_url: str) -> None:
    with open_store(store_url, migrate=False) as store:
        cfg = alembic_config()
        with store.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
            conn.execute(
                sa.text("INSERT INTO leases (source, owner, expires_at) VALUES ('s', 'r1', :at)"),
                {"at": NOW},
            )
        assert store.schema_version() == "0001"
    with open_store(store_url) as store:
        assert store.schema_version() == HEAD
        assert store.lease_owners() == {"s": ("r1", NOW)}


def test_upserts_update_in_place(store_url: str) -> None:
    with open_store(store_url) as store:
        store.upsert_tasks([_task("P-1")])
        store.upsert_tasks([_task("P-1", done=True), _task("P-2")])
        assert store.count_tasks() == 2
        assert [t.key for t in store.iter_tasks(open_only=True)] == ["P-2"]
        store.set_cursor("s", {"n": 1}, NOW)
        store.set_cursor("s", {"n": 2}, NOW)
        assert store.get_cursor("s") == {"n": 2}
        store.record_poll("s", NOW)
        store.record_poll("s", NOW + timedelta(minutes=1), error="boom")
        (row,) = store.source_rows()
        assert (row.cycles, row.last_success, row.last_error) == (2, NOW, "boom")


def test_datetimes_come_back_aware_utc(store_url: str) -> None:
    moscow = datetime(2026, 11, 23, 12, 0, tzinfo=timezone(timedelta(hours=3)))
    with open_store(store_url) as store:
        store.record_poll("s", moscow)
        (row,) = store.source_rows()
        assert row.last_success == NOW
        assert row.last_success.tzinfo is UTC
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            store.record_poll("s", datetime(2026, 11, 23, 9, 0))


def test_newer_schema_is_refused(store_url: str) -> None:
    with open_store(store_url) as store, store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer than this syncd"):
        open_store(store_url)


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "syncd.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot"):
        open_store(f"sqlite:///{tmp_path}/syncd.db")


def test_claimed_action_survives_restart_and_is_claimed_once(store_url: str) -> None:
    kwargs: dict[str, Any] = {
        "source": "s",
        "task_key": "P-1",
        "kind": "comment",
        "payload": {"body": "x"},
        "owner": "a",
        "now": NOW,
    }
    with open_store(store_url) as store:
        assert store.claim_action("m1", **kwargs) is True
        assert store.claim_action("m1", **kwargs) is False
    with open_store(store_url) as reopened:
        pending = reopened.actions("s", state="claimed")
        assert [a.marker for a in pending] == ["m1"]
        assert pending[0].payload == {"body": "x"}
        assert [r.pending for r in reopened.status_rows(["s"])] == [1]
        reopened.confirm_action("m1", "10001", NOW)
        assert reopened.get_action("m1").state == "done"  # type: ignore[union-attr]
        assert [r.pending for r in reopened.status_rows(["s"])] == [0]


def test_findings_ledger_lifecycle(store_url: str) -> None:
    finding = Finding(
        rule="due-date",
        source="s",
        task_key="P-1",
        severity=Severity.ERROR,
        message="no due date",
        fingerprint="fp",
        detected_at=NOW,
    )
    with open_store(store_url) as store:
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
        # It comes back: reopened, history kept.
        store.record_findings("s", [finding], NOW + timedelta(hours=3))
        (again,) = store.findings("s")
        assert (again.first_seen, again.times_notified, again.resolved_at) == (NOW, 1, None)
        # ...and may be reminded about again (after the cool-down, judged by notified_at).
        assert again.notified_marker is None
        assert again.notified_at == NOW
        # A finding still open keeps its marker when seen again.
        store.mark_notified("s", "P-1", [("due-date", "fp")], "mk2", NOW + timedelta(hours=4))
        store.record_findings("s", [finding], NOW + timedelta(hours=5))
        assert store.findings("s")[0].notified_marker == "mk2"


def test_digest_claimed_once_and_stale_claim_taken_over(store_url: str) -> None:
    with open_store(store_url) as store:
        assert store.claim_digest("olga", "daily", "2026-11-23", "a", NOW)
        later = NOW + timedelta(minutes=1)
        assert not store.claim_digest("olga", "daily", "2026-11-23", "b", later)
        later = NOW + timedelta(minutes=11)
        assert store.claim_digest("olga", "daily", "2026-11-23", "b", later)
        store.confirm_digest("olga", "daily", "2026-11-23", {"open": 3}, NOW)
        later = NOW + timedelta(days=1)
        assert not store.claim_digest("olga", "daily", "2026-11-23", "c", later)
        assert store.digests("olga")[0].stats == {"open": 3}
        assert store.digests("olga")[0].owner == "b"


def _writer(url: str, prefix: str, n: int) -> None:
    with open_store(url) as store:
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
                f"shared-{i % 10}",
                source="s",
                task_key="X",
                kind="comment",
                payload={},
                owner=prefix,
                now=NOW,
            )
            store.record_poll("s", NOW)
            store.claim_digest("olga", "daily", f"day-{i % 10}", prefix, NOW)


def test_two_processes_write_concurrently_without_corruption(store_url: str) -> None:
    open_store(store_url).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(store_url, p, 100)) for p in ("A", "B")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with open_store(store_url) as store:
        assert store.count_tasks("s") == 200
        # 200 own + exactly one winner of each of the 10 shared markers
        shared = [a for a in store.actions("s") if a.marker.startswith("shared-")]
        assert len(store.actions("s")) == 210
        assert len({a.marker for a in shared}) == 10
        assert len(store.digests("olga")) == 10
        assert store.source_rows()[0].cycles == 200
        if store.backend == "sqlite":
            with store.engine.connect() as conn:
                assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"


def _opener(url: str, start: Any) -> None:
    start.wait(60)  # all processes are up and imported: open at the same moment
    open_store(url).close()


def test_replicas_starting_together_migrate_once(store_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(3)
    procs = [ctx.Process(target=_opener, args=(store_url, start)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with open_store(store_url, migrate=False) as store:
        assert store.schema_version() == HEAD


def test_claimed_action_is_resumed_by_its_owner_or_after_it_went_stale(store_url: str) -> None:
    claim: dict[str, Any] = {"source": "s", "task_key": "P-1", "kind": "comment", "payload": {}}
    with open_store(store_url) as store:
        assert store.claim_action("m1", owner="a", now=NOW, **claim)
        soon = NOW + timedelta(minutes=1)
        assert store.resume_action("m1", "a", soon)  # a retries its own claim
        assert not store.resume_action("m1", "b", soon + timedelta(minutes=1))  # a is alive
        later = soon + timedelta(minutes=11)
        assert store.resume_action("m1", "b", later)  # a's claim went stale: b finishes it
        assert not store.resume_action("m1", "a", later)  # and a may not any more
        assert store.get_action("m1").owner == "b"  # type: ignore[union-attr]
        store.confirm_action("m1", "c-1", later)
        assert not store.resume_action("m1", "b", later)  # done is done
        assert not store.resume_action("unknown", "b", later)
