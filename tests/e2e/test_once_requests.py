"""``syncd once`` tells the truth about a cycle: the API requests it reports are every
request the tracker received (split by kind), and a reminder left for the next cycle says
why — the tracker's rate limit or the action budget.

The request counts are checked against the sandbox's own request log over real HTTP.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syncd.commands.once import run_once
from syncd.core.clock import FrozenClock
from syncd.store import open_store
from syncd.wiring import App
from tests.e2e.scenario import Scenario, policy_yaml, scenario

MOSCOW = ZoneInfo("Europe/Moscow")
TUESDAY_11 = "2026-11-24T11:00+03:00"
REQUESTS = re.compile(r"(\d+) API request\(s\) \(([^)]*)\)")
CRITERIA_ONLY = "## Критерии приёмки\n- макет 600 px, тёмная и светлая тема\n"


def _once(sc: Scenario, tmp: Path) -> subprocess.CompletedProcess[str]:
    policy = tmp / "policy.yaml"
    policy.write_text(policy_yaml(sc.server.url, flavour=sc.flavour), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "E2E_"))}
    env.update(
        SYNCD_DATA_DIR=str(tmp / "data"),
        SYNCD_LOG_FORMAT="json",
        SYNCD_CLOCK_START=TUESDAY_11,  # working hours: reminders are posted
        E2E_TOKEN="bot-token",
    )
    return subprocess.run(
        [sys.executable, "-m", "syncd", "--config", str(policy), "once"],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _reported(stdout: str) -> tuple[int, dict[str, int]]:
    found = REQUESTS.search(stdout)
    assert found is not None, stdout
    split = {}
    for part in found.group(2).split(", "):
        number, kind = part.split(" ", 1)
        split[kind] = int(number)
    return int(found.group(1)), split


@pytest.mark.parametrize("flavour", ["jira-cloud", "gitlab"])
def test_reported_requests_are_every_request_the_tracker_received(
    tmp_path: Path, flavour: str
) -> None:
    for sc in scenario(tmp_path / "sandbox", flavour=flavour):
        sc.server.log.clear()
        once = _once(sc, tmp_path)
        assert once.returncode == 0, once.stdout + once.stderr
        total, split = _reported(once.stdout)
        received = sc.server.log.entries()
        assert total == len(received)  # sync, sweep, marker look-ups and writes alike
        assert sum(split.values()) == total
        assert split["writes"] == sum(
            1 for e in received if e.method in ("POST", "PUT") and "search" not in e.path
        )
        assert split["writes"] >= 1  # a reminder (and its label) really went out
        assert split["search/list"] >= 1
        assert "comments" in split  # the marker look-up before posting is counted too


@pytest.fixture
def sc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scenario]:
    monkeypatch.setenv("E2E_TOKEN", "bot-token")
    yield from scenario(tmp_path)


def _summary(sc: Scenario) -> str:
    """``syncd once``'s line about the source, run in-process at Tuesday 11:00."""
    sc.shutdown_syncd()
    store = open_store(sc.settings.resolved_state_url())
    lines: list[str] = []
    try:
        app = App(sc.settings, sc.policy, sc.tmp / "policy.yaml", store)
        run_once(app, FrozenClock(datetime(2026, 11, 24, 11, 0, tzinfo=MOSCOW)), echo=lines.append)
    finally:
        store.close()
    return next(line for line in lines if line.startswith("agency: "))


def _break_shop2(sc: Scenario) -> None:
    """SHOP-2 loses its goal: two tasks need a reminder now."""
    sc.act(
        {
            "action": "update",
            "task": "SHOP-2",
            "as": "olga",
            "fields": {"description": CRITERIA_ONLY},
        }
    )


def test_a_tracker_rate_limit_is_named_as_the_reason_for_deferral(sc: Scenario) -> None:
    _break_shop2(sc)
    sc.server.faults.add(
        kind="status", status=429, retry_after=42, method="POST", path=r"/issue/[^/]+/comment$"
    )
    line = _summary(sc)
    assert "1 deferred (1 rate-limited by the tracker (429, retry after 42 s))" in line
    assert "action budget" not in line


def test_the_action_budget_is_named_when_it_is_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("E2E_TOKEN", "bot-token")
    for sc in scenario(tmp_path, budget=1):
        _break_shop2(sc)
        line = _summary(sc)
        assert "1 deferred (1 by the action budget (max_actions_per_cycle: 1))" in line
        assert "rate-limited" not in line
