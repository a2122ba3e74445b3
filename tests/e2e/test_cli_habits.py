"""Command-line habits (#20): global options after the command, debug logs that show,
``status`` on SQLite, a waiting ``once`` that says what it waits for."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.scenario import Scenario, policy_yaml, scenario
from tests.e2e.test_cli import _syncd
from tests.runtime.process import free_port


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path / "sandbox")


def _policy(tmp: Path, url: str) -> str:
    path = tmp / "policy.yaml"
    path.write_text(policy_yaml(url), encoding="utf-8")
    return str(path)


def test_config_is_accepted_before_and_after_the_command(tmp_path: Path) -> None:
    policy = _policy(tmp_path, f"http://127.0.0.1:{free_port()}")
    before = _syncd(tmp_path, "--config", policy, "check", "--no-sync", "--json")
    after = _syncd(tmp_path, "check", "--no-sync", "--config", policy, "--json")
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert before.stdout == after.stdout
    assert "No such option" not in after.stderr
    nested = _syncd(tmp_path, "digest", "preview", "--manager", "x", "--config", policy)
    assert "no policy file" not in nested.stderr  # the option reached the nested command
    assert "No such option" not in nested.stderr
    without = _syncd(tmp_path, "check", "--no-sync")
    assert without.returncode == 2
    assert "no policy file" in without.stderr


def test_dry_run_after_the_command_writes_nothing(sc: Scenario, tmp_path: Path) -> None:
    policy = _policy(tmp_path, sc.server.url)
    once = _syncd(
        tmp_path, "once", "--dry-run", "--config", policy, "--verbose", E2E_TOKEN="bot-token"
    )
    assert once.returncode == 0, once.stdout + once.stderr
    assert "would post: comment on SHOP-1" in once.stdout  # --verbose: every comment
    assert sc.bot_comments("SHOP-1") == []


def _levels(stderr: str) -> list[str]:
    return [json.loads(line).get("level") for line in stderr.splitlines() if line.startswith("{")]


def test_debug_level_shows_the_http_requests_and_never_the_token(
    sc: Scenario, tmp_path: Path
) -> None:
    policy = _policy(tmp_path, sc.server.url)
    debug = _syncd(
        tmp_path, "check", "--config", policy, E2E_TOKEN="bot-token", SYNCD_LOG_LEVEL="debug"
    )
    assert debug.returncode in (0, 1), debug.stderr
    assert "debug" in _levels(debug.stderr)
    assert "/rest/api/3/myself" in debug.stderr  # each request to the tracker, at debug
    assert "bot-token" not in debug.stderr
    info = _syncd(tmp_path, "check", "--config", policy, E2E_TOKEN="bot-token")
    assert "debug" not in _levels(info.stderr)
    assert "/rest/api/3/myself" not in info.stderr


def test_status_on_sqlite_speaks_of_one_replica(tmp_path: Path) -> None:
    policy = _policy(tmp_path, f"http://127.0.0.1:{free_port()}")
    status = _syncd(tmp_path, "status", "--config", policy)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith("backend: sqlite (one replica; sources are not leased)")
    assert "live replicas" not in status.stdout
