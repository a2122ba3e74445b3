from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from config import Settings, resolve_secret
from syncd.core.errors import ConfigError
from syncd.policy_file import read_policy_text

GOOD = """
sources:
  - name: agency-jira
    type: jira
    url: https://agency.atlassian.net
    auth: {kind: basic, user: bot@agency.example, secret: JIRA_TOKEN}
    scope: {jql: "project = SHOP"}
    poll_interval: 5m
managers:
  - name: Ольга
    timezone: Europe/Moscow
    language: ru
    owns: [{source: agency-jira}]
"""

THREE_MISTAKES = """\
sources:
  - name: agency-jira
    type: jira
    url: https://agency.atlassian.net
    auth: {kind: basic, user: bot@agency.example, secret: JIRA_TOKEN}
    scope: {jql: "project = SHOP"}
  - name: agency-gitlab
    type: gitlub
    url: https://gitlab.example
    auth: {kind: private_token, secret: GL_TOKEN}
    scope: {group: agency}
managers:
  - name: Ольга
    timezone: Europe/Mowscow
    owns: [{source: agency-jira}]
    languag: ru
"""


def test_good_policy_loads_with_durations() -> None:
    policy = read_policy_text(GOOD)
    assert policy.sources[0].poll_interval == 300
    assert policy.managers[0].language == "ru"
    assert policy.sources[0].enforce is False  # report-only until confirmed


def test_three_mistakes_reported_together_with_path_and_line() -> None:
    with pytest.raises(ConfigError) as info:
        read_policy_text(THREE_MISTAKES, "policy.yaml")
    issues = {i.path: i for i in info.value.issues}
    assert "sources[1].type" in issues
    assert issues["sources[1].type"].line == 8
    assert "'jira'" in issues["sources[1].type"].message
    assert "managers[0].timezone" in issues
    assert "Europe/Mowscow" in issues["managers[0].timezone"].message
    assert issues["managers[0].timezone"].line == 14
    assert "managers[0].languag" in issues
    assert "unknown key" in issues["managers[0].languag"].message
    assert all(i.file == "policy.yaml" for i in info.value.issues)


def test_validate_command_prints_all_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(THREE_MISTAKES, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "config", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith(str(bad))]
    assert len(lines) == 3, proc.stderr
    assert any(":8: sources[1].type" in ln for ln in lines)


BAD_CRON = (
    GOOD
    + """\
    schedules:
      daily: "0 9 * *"
      weekly: "at nine on mondays"
"""
)


def test_bad_cron_is_reported_on_load_with_path_and_line() -> None:
    with pytest.raises(ConfigError) as info:
        read_policy_text(BAD_CRON, "policy.yaml")
    issues = {i.path: i for i in info.value.issues}
    assert set(issues) == {"managers[0].schedules.daily", "managers[0].schedules.weekly"}
    daily = issues["managers[0].schedules.daily"]
    assert (daily.file, daily.line) == ("policy.yaml", 15)
    assert "'0 9 * *' is not a cron expression" in daily.message
    assert issues["managers[0].schedules.weekly"].line == 16


def test_validate_command_names_a_bad_cron(tmp_path: Path) -> None:
    bad = tmp_path / "cron.yaml"
    bad.write_text(BAD_CRON, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "config", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert f"{bad}:15: managers[0].schedules.daily" in proc.stderr, proc.stderr


def test_yaml_syntax_error_names_line() -> None:
    with pytest.raises(ConfigError) as info:
        read_policy_text("sources:\n  - name: [unclosed\n", "p.yaml")
    assert info.value.issues[0].line is not None
    assert "not valid YAML" in str(info.value)


def test_scope_must_fit_type() -> None:
    text = GOOD.replace('{jql: "project = SHOP"}', "{project: agency/shop}")
    with pytest.raises(ConfigError, match=r"sources\[0\]: .*scope.jql"):
        read_policy_text(text)


def test_manager_owning_unknown_source_is_named() -> None:
    text = GOOD.replace("owns: [{source: agency-jira}]", "owns: [{source: nope}]")
    with pytest.raises(ConfigError, match="unknown source 'nope'"):
        read_policy_text(text)


def test_schema_is_json_schema() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "config", "schema"],
        capture_output=True,
        text=True,
        check=True,
    )
    schema = json.loads(proc.stdout)
    assert "sources" in schema["properties"]
    assert schema["title"] == "syncd policy"


def test_secret_from_env_and_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "tok"
    secret_file.write_text("s3cret\n", encoding="utf-8")
    assert resolve_secret("T", {"T": "abc"}).get_secret_value() == "abc"
    assert resolve_secret("T", {"T_FILE": str(secret_file)}).get_secret_value() == "s3cret"
    with pytest.raises(ConfigError, match="T_FILE"):
        resolve_secret("T", {})


def test_settings_secret_file_and_repr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "hook"
    secret_file.write_text("hook-secret", encoding="utf-8")
    monkeypatch.setenv("SYNCD_WEBHOOK_SECRET_FILE", str(secret_file))
    monkeypatch.setenv("SYNCD_DATA_DIR", str(tmp_path))
    settings = Settings.load()
    assert isinstance(settings.webhook_secret, SecretStr)
    assert settings.webhook_secret.get_secret_value() == "hook-secret"
    assert "hook-secret" not in repr(settings)
    assert settings.resolved_state_url().endswith("syncd.db")


def test_a_list_whose_every_item_fails_reports_the_items_only() -> None:
    text = GOOD.replace("type: jira", "type: jirra")
    with pytest.raises(ConfigError) as info:
        read_policy_text(text)
    assert [i.path for i in info.value.issues] == ["sources[0].type"]


def test_auth_kind_must_fit_the_tracker() -> None:
    text = GOOD.replace("kind: basic, user: bot@agency.example", "kind: private_token")
    with pytest.raises(ConfigError, match=r"sources\[0\]: .*takes auth.kind basic or bearer"):
        read_policy_text(text)


def test_calendar_mistakes_are_caught_when_the_file_is_validated() -> None:
    text = GOOD.replace(
        "    poll_interval: 5m\n",
        "    poll_interval: 5m\n    calendar:\n      country: XX\n"
        "      working_hours: {start: '19:00', end: '09:00'}\n",
    )
    with pytest.raises(ConfigError) as info:
        read_policy_text(text, "p.yaml")
    messages = {i.path: i.message for i in info.value.issues}
    assert "no public holidays known for 'XX'" in messages["sources[0].calendar.country"]
    week = GOOD.replace(
        "    poll_interval: 5m\n",
        "    poll_interval: 5m\n    calendar: {weekend: [0, 1, 2, 3, 4, 5, 6]}\n",
    )
    with pytest.raises(ConfigError, match="at least one day of the week must be a workday"):
        read_policy_text(week)
    hours = GOOD.replace(
        "    poll_interval: 5m\n",
        "    poll_interval: 5m\n    calendar: {working_hours: {start: '19:00', end: '09:00'}}\n",
    )
    with pytest.raises(ConfigError, match="start must be before end"):
        read_policy_text(hours)
