"""The command line answers consistently: one clock for every command, "not read" instead
of "all in order" for a tracker it could not read, exit 2 for a missing secret from every
command. Real ``syncd`` processes against a sandbox tracker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.scenario import Scenario, policy_for, scenario
from tests.e2e.test_cli import _syncd, _two_source_policy
from tests.runtime.process import free_port


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path / "sandbox")


def _policy(tmp: Path, url: str, secret: str = "E2E_TOKEN") -> Path:
    data = policy_for(url).model_dump(mode="json")
    data["sources"][0]["auth"]["secret"] = secret
    path = tmp / "policy.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_check_without_at_follows_syncd_clock_start(sc: Scenario, tmp_path: Path) -> None:
    """SHOP-2 is due on 4 Dec 2026: overdue by the real clock of today's machines, not on
    the rehearsed morning of 24 Nov."""
    policy = _policy(tmp_path, sc.server.url)
    check = _syncd(
        tmp_path,
        "--config",
        str(policy),
        "check",
        "--json",
        E2E_TOKEN="bot-token",
        SYNCD_CLOCK_START="2026-11-24T09:30+03:00",
    )
    assert check.returncode in (0, 1), check.stderr
    found = {(r["key"], r["rule"]) for r in map(json.loads, check.stdout.splitlines())}
    assert ("SHOP-1", "overdue") in found  # due on 23 Nov: overdue on the 24th
    assert ("SHOP-2", "overdue") not in found


def test_check_of_an_unreadable_tracker_does_not_say_all_is_in_order(tmp_path: Path) -> None:
    policy = _policy(tmp_path, f"http://127.0.0.1:{free_port()}")
    check = _syncd(tmp_path, "--config", str(policy), "check", E2E_TOKEN="bot-token")
    assert check.returncode == 3, check.stderr
    assert "in order" not in check.stdout
    assert "Not read: agency" in check.stdout


def test_a_missing_secret_is_exit_2_from_every_command(sc: Scenario, tmp_path: Path) -> None:
    policy = _two_source_policy(
        tmp_path, sc.server.url, second_url=sc.server.url, second_secret="NOT_SET_ANYWHERE"
    )
    for command in (["check"], ["--dry-run", "once"], ["doctor"]):
        done = _syncd(tmp_path, "--config", str(policy), *command, E2E_TOKEN="bot-token")
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert "NOT_SET_ANYWHERE" in done.stdout + done.stderr
        assert "Traceback" not in done.stderr
