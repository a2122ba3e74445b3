"""The policy file as the application reads it: the config layer's loader together with
the rules layer's parameter check (config sits below rules and cannot import them)."""

from __future__ import annotations

from pathlib import Path

from config.loader import load_policy, load_policy_text
from config.policy import Policy
from rules.registry import validate_params

__all__ = ["read_policy", "read_policy_text"]


def read_policy(path: str | Path) -> Policy:
    """The policy at ``path``, rule parameters included in the check (``ConfigError``)."""
    return load_policy(path, check_rule_params=validate_params)


def read_policy_text(text: str, file: str = "<policy>") -> Policy:
    return load_policy_text(text, file, check_rule_params=validate_params)
