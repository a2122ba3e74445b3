"""The built wheel carries every data file the code reads at run time (templates, seeds,
schemas, migrations, examples), not only what an editable install happens to see."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_contains_runtime_data(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("syncd-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = [
        "connectors/sandbox/seeds/demo.json",
        "connectors/sandbox/schemas/adf-schema-v1-full.json",
        "syncd/store/migrations/script.py.mako",
        "syncd/store/migrations/versions/0001_initial.py",
        "config/examples/jira.yaml",
        "config/examples/gitlab.yaml",
        "syncd/py.typed",
    ]
    for name in expected:
        assert name in names, name
    for folder in ("syncd/digest/templates/", "syncd/digest/translations/"):
        shipped = {n for n in names if n.startswith(folder)}
        on_disk = {f"{folder}{p.name}" for p in (REPO / folder).iterdir() if p.is_file()}
        assert shipped == on_disk, folder
    assert not any(n.startswith("tests/") for n in names)
