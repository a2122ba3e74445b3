"""Sandbox trackers: stateful Jira (Cloud, Data Center) and GitLab HTTP servers that load
one tracker-neutral seed format. Used by tests, benchmarks, ``syncd demo`` and
``syncd sandbox``. See ``README.md`` beside this file for the control endpoints."""

from connectors.sandbox.common.seed import Document, Seed, SeedError, load_seed, shift_seed

__all__ = ["Document", "Seed", "SeedError", "load_seed", "shift_seed"]
