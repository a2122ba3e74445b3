"""``syncd once`` at scale: a summary per rule instead of every would-be comment, every
comment on request (``--verbose``, ``--output``), and progress while it works.

A generated seed of a few hundred tasks on the sandbox Jira Cloud, one report-only source
(``enforce: false``), ``syncd`` run as a process off a terminal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox.common.generator import generate_seed
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import SandboxServer, create_app
from tests.e2e.scenario import policy_for

N_TASKS = 300
CLOCK = "2026-11-24T11:00+03:00"  # a Tuesday in working hours
RULE_LINE = re.compile(r"^    ([\w-]+): (\d+) — ")
COMMENT_HEADER = "--- report-only, not posted: comment on "


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    seed = generate_seed(N_TASKS, n_projects=3)
    server = SandboxServer(create_app("jira-cloud", load_seed(seed, flavour="jira-cloud")))
    server.start()
    data = policy_for(server.url).model_dump(mode="json")
    source = data["sources"][0]
    source["enforce"] = False  # report-only: findings are shown, nothing is posted
    source["auth"]["user"] = "syncd@agency.example"  # the generated seed's bot
    source["scope"] = {"jql": "project in (P0, P1, P2)"}
    source["backfill_done_days"] = None  # every generated task, old done ones included
    path = tmp_path_factory.mktemp("policy") / "policy.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    yield path
    server.stop()


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "E2E_"))}
    env.update(SYNCD_DATA_DIR=str(data), SYNCD_CLOCK_START=CLOCK, E2E_TOKEN="bot-token", **extra)
    return env


def _syncd(policy: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "syncd", "--config", str(policy), *args],
        env=_env(data, SYNCD_LOG_FORMAT="json"),
        cwd=data.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: check found errors
    return done


def _check_counts(policy: Path, data: Path) -> tuple[Counter[str], set[str]]:
    """Findings per rule and the flagged tasks, from ``check --json`` on the same store."""
    check = _syncd(policy, data, "check", "--json", "--no-sync", "--at", CLOCK)
    rows = [json.loads(line) for line in check.stdout.splitlines()]
    return Counter(r["rule"] for r in rows), {r["key"] for r in rows}


def _summary_counts(stdout: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in stdout.splitlines():
        found = RULE_LINE.match(line)
        if found:
            counts[found.group(1)] = int(found.group(2))
    return counts


def test_report_only_prints_a_bounded_summary_matching_check(policy: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    once = _syncd(policy, data, "once")
    lines = once.stdout.splitlines()
    rules, flagged = _check_counts(policy, data)
    assert len(flagged) > 100  # the seed really is a broken backlog
    # One line for the source, one heading, one per rule: not one block per comment.
    assert len(lines) <= 2 + len(rules), once.stdout
    assert _summary_counts(once.stdout) == rules
    assert COMMENT_HEADER not in once.stdout
    for line in lines:
        if RULE_LINE.match(line):
            assert line.count("; ") <= 3  # three examples and "and N more"


def test_verbose_and_output_give_every_would_be_comment(policy: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    verbose = _syncd(policy, data, "once", "--verbose")
    _, flagged = _check_counts(policy, data)
    shown = {
        line.removeprefix(COMMENT_HEADER).split(" ", 1)[0]
        for line in verbose.stdout.splitlines()
        if line.startswith(COMMENT_HEADER)
    }
    assert shown == flagged
    out = tmp_path / "comments.txt"
    quiet = _syncd(policy, data, "once", "--output", str(out))
    written = out.read_text(encoding="utf-8")
    assert written.count(COMMENT_HEADER) == len(flagged)
    assert COMMENT_HEADER not in quiet.stdout
    assert f"written to {out}" in quiet.stdout


def _progress_events(stderr: str) -> list[dict[str, Any]]:
    events = []
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "sync.progress":
            events.append(event)
    return events


def test_off_a_terminal_progress_is_logged(policy: Path, tmp_path: Path) -> None:
    once = _syncd(policy, tmp_path / "data", "once", "--progress-every", "0")
    events = _progress_events(once.stderr)
    assert events, once.stderr
    last = events[-1]
    assert {"source", "phase", "issues", "pages", "requests", "rate"} <= set(last)
    assert max(e["issues"] for e in events) == N_TASKS
    assert max(e["pages"] for e in events) >= 2
    # The default interval (5 s) keeps a short cycle quiet.
    again = _syncd(policy, tmp_path / "data2", "once")
    assert len(_progress_events(again.stderr)) <= len(events) // 10


def test_on_a_terminal_a_live_progress_line_is_drawn(policy: Path, tmp_path: Path) -> None:
    """stderr is a pseudo-terminal: rich draws the line there; stdout keeps the summary."""
    import pty
    import threading

    master, slave = pty.openpty()
    drawn = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        once = subprocess.run(
            [sys.executable, "-m", "syncd", "--config", str(policy), "once"],
            env=_env(tmp_path / "data", TERM="xterm", COLUMNS="160"),
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        os.close(slave)
        reader.join(timeout=30)
        os.close(master)
    assert once.returncode == 0, once.stdout
    screen = drawn.decode("utf-8", "replace")
    assert "issues/s" in screen  # the live line: issues, pages, requests, rate
    assert "agency  sync" in screen
    assert "issues/s" not in once.stdout
    assert once.stdout.startswith("agency: 300 task(s) synced")


def test_a_second_run_reading_kept_results_prints_the_same_summary(
    policy: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = _syncd(policy, data, "once").stdout.splitlines()
    second = _syncd(policy, data, "once").stdout.splitlines()
    assert first[0].startswith("agency: 300 task(s) synced")
    assert second[0].startswith("agency: 0 task(s) synced")  # nothing changed, nothing read
    assert first[1:] == second[1:]  # per rule: the same counts and the same examples
    verbose = _syncd(policy, data, "once", "--verbose").stdout
    _, flagged = _check_counts(policy, data)
    assert f", {len(flagged)} comment(s) would be posted" in verbose
    assert verbose.count(COMMENT_HEADER) == len(flagged)
