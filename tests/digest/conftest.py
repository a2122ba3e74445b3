from __future__ import annotations

from collections.abc import Callable

import pytest

from syncd.digest.content import build_digest
from syncd.digest.model import Digest
from syncd.digest.scope import manager_tasks
from tests.digest import fixtures


@pytest.fixture
def make_digest() -> Callable[..., Digest]:
    """A digest of the fixture agency for manager ``index`` (0 = Ольга/ru, 1 = Alice/en),
    over the tasks that manager owns, filtered as ``DigestService`` does."""

    def make(index: int = 0, **overrides: object) -> Digest:
        policy = fixtures.policy()
        args: dict[str, object] = {
            "tasks": fixtures.tasks(),
            "findings": fixtures.findings(),
            "now": fixtures.NOW,
            "kind": "daily",
            "previous_stats": {"clients": {"Shop & Co <b>": {"open": 3, "overdue": 2}}},
            "since": None,
        }
        args.update(overrides)
        manager = policy.managers[index]
        args["tasks"] = list(manager_tasks(manager, args["tasks"]))  # type: ignore[arg-type]
        return build_digest(policy, manager, **args)  # type: ignore[arg-type]

    return make
