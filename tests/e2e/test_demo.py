"""`make demo` runs `syncd demo`: a real cycle against the in-process sandbox, findings,
the reminders read back from the tracker, and a digest written as HTML and Markdown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_demo_runs_a_cycle_and_writes_the_digest(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    done = subprocess.run(
        [sys.executable, "-m", "syncd", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "== Findings ==" in text
    assert "required-sections" in text
    assert "(not found on the tracker!)" not in text
    posted = text.split("== Reminder comments posted (read back from the tracker) ==", 1)[1]
    assert posted.count("--- ") >= 3  # reminders really are on the sandbox tracker
    assert "Привет!" in posted  # in the source's language (ru)
    html = (out / "digest.html").read_text(encoding="utf-8")
    md = (out / "digest.md").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "Загрузка команды" in md
    assert "Просрочено" in md
