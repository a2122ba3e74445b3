"""What a person reads when the policy file or the environment is wrong: plain words
naming the field, with the file, line and path kept — never pydantic's own phrasing."""

from __future__ import annotations

import pytest

from config import Settings
from syncd.core.errors import ConfigError
from syncd.policy_file import read_policy_text

MISTAKES = """\
sources:
  - name: agency-jira
    type: jira
    auth: {kind: basic, user: bot@agency.example, secret: JIRA_TOKEN}
    scope: {jql: "project = SHOP"}
rules:
  - rule: checkpoint
    params: {fraction: most}
managers:
  - name: Ольга
    timezone: Europe/Moscow
    owns: []
    channels:
      - {type: email, to: [olga@agency.example], smtp_host: mail, sender: s@agency.example,
         smtp_port: twenty-five, timeout: -1}
      - {type: slack}
"""

PYDANTIC_WORDING = (
    "Input should",
    "Field required",
    "should have at least",
    "after validation",
    "Value error",
    "unable to parse",
)


def test_policy_problems_are_plain_words_naming_the_field() -> None:
    with pytest.raises(ConfigError) as info:
        read_policy_text(MISTAKES, "policy.yaml")
    found = [(i.line, i.path, i.message) for i in info.value.issues]
    assert found == [
        (2, "sources[0].url", "url is required"),
        (8, "rules[0].params.fraction", "fraction must be a number"),
        (12, "managers[0].owns", "owns needs at least 1 item"),
        (15, "managers[0].channels[0].smtp_port", "smtp_port must be a whole number"),
        (15, "managers[0].channels[0].timeout", "must be more than 0 and at most 10m, got -1"),
        (16, "managers[0].channels[1]", "a slack channel needs url_secret"),
    ]
    printed = str(info.value)  # what `syncd config validate` prints
    assert "policy.yaml:12: managers[0].owns: owns needs at least 1 item" in printed
    assert [w for w in PYDANTIC_WORDING if w in printed] == []


def test_settings_problems_name_the_variable_in_plain_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SYNCD_MAX_PARALLEL_SOURCES", "four")
    monkeypatch.setenv("SYNCD_CLOCK_START", "2026-11-24")
    with pytest.raises(ConfigError) as info:
        Settings.load()
    assert sorted(str(i) for i in info.value.issues) == [
        "environment: SYNCD_CLOCK_START: clock_start must be a date and time with its UTC"
        " offset, such as 2026-11-24T09:00:00+03:00 (got '2026-11-24')",
        "environment: SYNCD_MAX_PARALLEL_SOURCES: max_parallel_sources must be a whole"
        " number (got 'four')",
    ]
