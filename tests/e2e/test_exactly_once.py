"""Exactly-once reminders across crashes: claim → find marker → post → confirm.

A crash is made at each step: a dropped connection before the POST is processed (claimed,
nothing posted), a lost response after it was processed (posted, not confirmed), and a real
SIGKILL of a ``syncd once`` process while its POST is in flight.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.scenario import Scenario, policy_yaml, scenario

TUESDAY_11 = datetime(2026, 11, 24, 11, 0, tzinfo=ZoneInfo("Europe/Moscow"))
COMMENT_POST = r"/issue/[^/]+/comment$"


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path)


def _actions(sc: Scenario, state: str) -> list[str]:
    assert sc.store is not None
    return [a.task_key for a in sc.store.actions("agency", state=state)]


def test_connection_dropped_before_post_is_retried_once(sc: Scenario) -> None:
    sc.server.faults.add(kind="drop", method="POST", path=COMMENT_POST)
    first = sc.cycle(TUESDAY_11)
    assert first.posted == 0
    assert first.failed == 1
    assert _actions(sc, "claimed") == ["SHOP-1"]
    assert sc.bot_comments("SHOP-1") == []
    sc.restart()
    second = sc.cycle(TUESDAY_11 + timedelta(minutes=5))
    assert second.posted == 1
    assert _actions(sc, "done") == ["SHOP-1"]
    assert len(sc.bot_comments("SHOP-1")) == 1


def test_lost_response_after_post_is_confirmed_not_reposted(sc: Scenario) -> None:
    sc.server.faults.add(kind="lost_response", method="POST", path=COMMENT_POST)
    first = sc.cycle(TUESDAY_11)
    assert first.failed == 1
    assert len(sc.bot_comments("SHOP-1")) == 1  # the tracker has it; syncd did not hear back
    sc.restart()
    sc.cycle(TUESDAY_11 + timedelta(minutes=5))
    assert _actions(sc, "done") == ["SHOP-1"]
    assert len(sc.bot_comments("SHOP-1")) == 1
    # The combined comment kept every finding it was claimed with.
    assert sc.store is not None
    notified = {r.rule for r in sc.store.findings("agency") if r.notified_marker}
    assert notified == {"required-sections", "overdue", "checkpoint"}


def _claimed(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM actions").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_sigkill_while_posting_then_restart_posts_exactly_once(tmp_path: Path) -> None:
    gen = scenario(tmp_path / "a", working_hours=("00:00", "23:59"), weekend=())
    sc = next(gen)
    try:
        sc.shutdown_syncd()
        policy = tmp_path / "policy.yaml"
        policy.write_text(
            policy_yaml(sc.server.url, working_hours=("00:00", "23:59"), weekend=()),
            encoding="utf-8",
        )
        db = tmp_path / "state.db"
        env = {
            **os.environ,
            "E2E_TOKEN": "bot-token",
            "SYNCD_STATE_URL": f"sqlite:///{db}",
            "SYNCD_LOG_FORMAT": "json",
        }
        cmd = [sys.executable, "-m", "syncd", "--config", str(policy), "once"]
        # The comment POST hangs long enough for the kill to land in the middle of it.
        sc.server.faults.add(kind="delay", method="POST", path=COMMENT_POST, seconds=3.0)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while _claimed(db) == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        time.sleep(0.5)  # past find-marker, inside the delayed POST
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        time.sleep(3.5)  # let the sandbox finish whatever the killed request started

        again = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert again.returncode == 0, again.stderr
        sc.restart()
        with sqlite3.connect(db) as conn:
            states = dict(conn.execute("SELECT task_key, state FROM actions").fetchall())
        assert states["SHOP-1"] == "done"
        assert set(states.values()) == {"done"}
        for key in states:  # at the real "now" SHOP-2 may be due a reminder too
            assert len(sc.bot_comments(key)) == 1, key
    finally:
        gen.close()
