"""The layers in ``.importlinter`` hold, and the check can fail: a copy of the packages with
one import against the architecture is refused by the same contracts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("syncd", "connectors", "rules", "config")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / ".importlinter"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_tree_keeps_every_contract(copy: Path) -> None:
    result = _lint(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("rules/texts.py", "import connectors.base", "Rules are pure"),
        ("config/policy.py", "import rules.registry", "Config does not import rules"),
        ("connectors/jira/mapping.py", "import syncd.reconcile", "Connectors do not reach"),
        ("syncd/core/models.py", "import config.policy", "The kernel"),
        ("rules/documents/sections.py", "import rules.engine", "Description documents"),
    ],
)
def test_an_import_against_the_layers_fails(
    copy: Path, module: str, bad_import: str, contract: str
) -> None:
    path = copy / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{bad_import}  # noqa\n")
    result = _lint(copy)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
