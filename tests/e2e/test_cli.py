"""The command line against a sandbox tracker: one broken source never hides the others,
exit codes tell a CI what happened, `check --no-sync` needs no tracker and no secret."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.scenario import Scenario, policy_for, scenario
from tests.runtime.process import free_port, run_syncd


@pytest.fixture
def sc(tmp_path: Path) -> Iterator[Scenario]:
    yield from scenario(tmp_path / "sandbox")


def _two_source_policy(tmp: Path, url: str, *, second_url: str, second_secret: str) -> Path:
    data = policy_for(url).model_dump(mode="json")
    other = json.loads(json.dumps(data["sources"][0]))
    other.update(name="other", url=second_url)
    other["auth"]["secret"] = second_secret
    data["sources"].append(other)
    path = tmp / "policy.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _syncd(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {"SYNCD_DATA_DIR": str(tmp / "data"), "SYNCD_LOG_FORMAT": "json", **env}
    return run_syncd(*args, env=full, cwd=tmp)


def test_unreachable_source_is_reported_and_the_other_still_checked(
    sc: Scenario, tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    policy = _two_source_policy(tmp_path, sc.server.url, second_url=dead, second_secret="E2E_TOKEN")
    check = _syncd(tmp_path, "--config", str(policy), "check", "--json", E2E_TOKEN="bot-token")
    assert check.returncode == 3, check.stderr
    keys = {json.loads(line)["key"] for line in check.stdout.splitlines()}
    assert "SHOP-1" in keys
    assert "other: not read" in check.stderr

    doctor = _syncd(tmp_path, "--config", str(policy), "doctor", E2E_TOKEN="bot-token")
    assert doctor.returncode == 1
    assert "agency (jira" in doctor.stdout
    assert "other (jira" in doctor.stdout
    assert "FAIL" in doctor.stdout.split("other (jira", 1)[1]


def test_missing_secret_of_one_source_does_not_stop_the_other(sc: Scenario, tmp_path: Path) -> None:
    policy = _two_source_policy(
        tmp_path, sc.server.url, second_url=sc.server.url, second_secret="NOT_SET_ANYWHERE"
    )
    once = _syncd(tmp_path, "--config", str(policy), "--dry-run", "once", E2E_TOKEN="bot-token")
    assert once.returncode == 2, once.stderr  # a configuration mistake, as from every command
    assert "other: not run: secret NOT_SET_ANYWHERE is not set" in once.stdout
    assert "  dry-run: " in once.stdout  # the good source's summary, SHOP-1 an example
    assert "SHOP-1: " in once.stdout.split("  dry-run: ", 1)[1]
    assert sc.bot_comments("SHOP-1") == []  # dry-run wrote nothing


def test_check_no_sync_uses_the_store_without_secrets_and_rejects_unknown_sources(
    sc: Scenario, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        json.dumps(policy_for(sc.server.url).model_dump(mode="json")), encoding="utf-8"
    )
    at = "2026-11-24T11:00+03:00"
    first = _syncd(
        tmp_path, "--config", str(policy), "check", "--json", "--at", at, E2E_TOKEN="bot-token"
    )
    assert first.returncode == 1  # error-severity findings
    offline = _syncd(tmp_path, "--config", str(policy), "check", "--json", "--no-sync", "--at", at)
    assert offline.returncode == 1, offline.stderr
    assert offline.stdout == first.stdout  # same state, same moment semantics, same rows
    unknown = _syncd(tmp_path, "--config", str(policy), "check", "--source", "nope", "--no-sync")
    assert unknown.returncode == 2
    assert "unknown source nope" in unknown.stderr


def test_settings_errors_and_version_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    assert _syncd(tmp_path, "--version").stdout.startswith("syncd ")
    policy = tmp_path / "p.yaml"
    policy.write_text(json.dumps(policy_for("http://127.0.0.1:1").model_dump(mode="json")))
    bad = _syncd(tmp_path, "--config", str(policy), "check", "--no-sync", SYNCD_LOG_LEVEL="loud")
    assert bad.returncode == 2
    assert "SYNCD_LOG_LEVEL" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_missing_secret_in_check_is_a_configuration_error(sc: Scenario, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(json.dumps(policy_for(sc.server.url).model_dump(mode="json")))
    check = _syncd(tmp_path, "--config", str(policy), "check")  # E2E_TOKEN not set
    assert check.returncode == 2
    assert "secret E2E_TOKEN is not set" in check.stderr


def test_once_exits_1_when_a_digest_could_not_be_delivered(sc: Scenario, tmp_path: Path) -> None:
    data = policy_for(sc.server.url).model_dump(mode="json")
    data["managers"] = [
        {
            "name": "Ольга",
            "timezone": "Europe/Moscow",
            "language": "ru",
            "owns": [{"source": "agency"}],
            "channels": [{"type": "webhook", "url_secret": "HOOK", "timeout": 1}],
            "schedules": {"daily": "0 9 * * *"},
        }
    ]
    policy = tmp_path / "policy.yaml"
    policy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    once = _syncd(
        tmp_path,
        "--config",
        str(policy),
        "once",
        E2E_TOKEN="bot-token",
        HOOK=f"http://127.0.0.1:{free_port()}/hook",
        SYNCD_CLOCK_START="2026-11-24T09:30+03:00",
    )
    assert once.returncode == 1, once.stdout + once.stderr
    assert "1 failed" in once.stdout
    preview = _syncd(
        tmp_path,
        "--config",
        str(policy),
        "digest",
        "preview",
        "--manager",
        "Ольга",
        "--kind",
        "weekly",
        "--format",
        "webhook",
        "--at",
        "2026-11-24T09:30+03:00",
    )
    assert preview.returncode == 0, preview.stderr
    assert json.loads(preview.stdout)["kind"] == "weekly"
    report = _syncd(
        tmp_path,
        "--config",
        str(policy),
        "report",
        "--month",
        "2026-11",
        "--client",
        "Смартфон-маркет",  # no clients: entry, so the project's name (not the key SHOP)
        "--out",
        "r.html",
    )
    assert report.returncode == 0, report.stderr
    assert (
        (tmp_path / "r.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype")
    )
