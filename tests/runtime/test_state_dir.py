"""A state directory syncd cannot write is a one-line error naming it, before SQLite's
"unable to open database file". As root (CI) permission bits do not stop a write, so the
unwritable directory here lies under a regular file; the container image test
(tests/image) covers a volume owned by another uid."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.core.errors import StoreError
from syncd.wiring import check_state_dir
from tests.runtime.process import REPO_ROOT


def test_a_state_directory_under_a_file_is_named_in_the_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(
        StoreError, match=re.escape(f"state directory {blocker / 'data'} cannot be written")
    ):
        check_state_dir(f"sqlite:///{blocker}/data/syncd.db")


def test_a_writable_directory_is_created_and_left_empty(tmp_path: Path) -> None:
    check_state_dir(f"sqlite:///{tmp_path}/new/syncd.db")
    assert list((tmp_path / "new").iterdir()) == []


def test_syncd_check_exits_2_with_the_message_and_no_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    env["SYNCD_DATA_DIR"] = str(blocker / "data")
    policy = REPO_ROOT / "config" / "examples" / "jira.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "syncd", "--config", str(policy), "check", "--no-sync"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"state directory {blocker / 'data'} cannot be written" in done.stderr
    assert "Traceback" not in done.stderr
