"""The shared reference folder (``../shared/reference`` beside the repository): vendor
OpenAPI specs, recorded GitLab payloads, the example seed. The contract tests read it.

A developer's clone may lack it: those tests skip. In CI (``CI=true``, which ``.ci/run``
sets) a missing reference fails them instead, so a green CI run always means the
sandbox was checked against the vendors' own documents — as the Node.js clients and
PostgreSQL already require. ``SYNCD_TEST_REFERENCE`` points elsewhere (the test of this
rule uses it to make the folder vanish).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = ["REFERENCE", "in_ci", "missing", "required"]

REPO = Path(__file__).resolve().parents[2]
REFERENCE = Path(os.environ.get("SYNCD_TEST_REFERENCE") or REPO.parent / "shared" / "reference")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(reason: str) -> NoReturn:
    """Skip on a developer's machine, fail in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the contract check must run)", pytrace=False)
    pytest.skip(reason)


def required(path: Path) -> Path:
    """``path`` (under :data:`REFERENCE`) if it exists; else skip, or fail in CI."""
    if not path.exists():
        missing(f"reference {path} not found (../shared/reference is absent)")
    return path
