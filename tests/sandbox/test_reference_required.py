"""Contract checks against ``../shared/reference`` skip on a clone without the folder but
fail under ``CI=true``: a green CI run must have checked the sandbox against the vendors'
own documents. Runs pytest itself, with the reference folder pointed at nowhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONTRACT_CHECKS = [
    "tests/sandbox/test_gitlab_shapes.py::test_issue_matches_reference",
    "tests/sandbox/test_jira_contract.py::test_the_check_can_fail",
    "tests/sandbox/test_seed.py::test_defaults_and_derived_values",
    "tests/e2e/test_readme_example.py::test_shipped_example_seed_is_the_shared_one",
    "tests/runtime/test_webhooks.py::test_gitlab_issue_and_note_hooks_from_the_reference",
]


def run_without_reference(tmp_path: Path, ci: str | None) -> dict[str, int]:
    """pytest's outcome counts for the contract checks (``failed``, ``error``, ``skipped``…)."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["SYNCD_TEST_REFERENCE"] = str(tmp_path / "absent")
    if ci is not None:
        env["CI"] = ci
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *CONTRACT_CHECKS],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    summary = done.stdout.strip().splitlines()[-1]
    return {word.rstrip("s"): int(n) for n, word in re.findall(r"(\d+) (\w+)", summary)}


def test_a_missing_reference_fails_in_ci(tmp_path: Path) -> None:
    outcome = run_without_reference(tmp_path, "true")
    # A fixture that reads the reference fails in set-up: pytest counts that as an error.
    assert outcome.get("failed", 0) + outcome.get("error", 0) == len(CONTRACT_CHECKS), outcome
    assert "skipped" not in outcome
    assert "passed" not in outcome


def test_a_missing_reference_skips_on_a_developer_machine(tmp_path: Path) -> None:
    assert run_without_reference(tmp_path, None) == {"skipped": len(CONTRACT_CHECKS)}
