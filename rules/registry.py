"""Name → rule class registry. Placeholder until the rules engine lands."""

from __future__ import annotations

from typing import Any

from syncd.errors import RuleError

__all__ = ["validate_params"]


def validate_params(name: str, params: dict[str, Any]) -> None:
    raise RuleError(f"unknown rule {name!r}")
