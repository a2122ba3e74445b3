"""The shipped example policies load, and build a working rule engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.engine import Engine
from syncd.policy_file import read_policy

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "config" / "examples").glob("*.yaml"))


def test_there_are_jira_and_gitlab_examples() -> None:
    assert {p.stem for p in EXAMPLES} >= {"jira", "gitlab"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_loads_and_builds_engine(path: Path) -> None:
    policy = read_policy(path)
    engine = Engine.from_policy(policy)
    assert engine.rules_for(policy.sources[0].name)
    assert policy.sources[0].enforce is False  # examples start report-only
