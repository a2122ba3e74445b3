"""The connector contract (tests/connectors/contract.py) against the sandbox GitLab over real
HTTP with the real python-gitlab, scoped to the ``agency`` group (every project of the
seed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.sandbox.common.seed import SeedTask, SeedUser, load_seed
from connectors.sandbox.gitlab.app import create_gitlab_app
from connectors.sandbox.gitlab.fixtures import gitlab_source
from connectors.sandbox.server import DEMO_SEED, SandboxServer
from tests.connectors.contract import *  # noqa: F403
from tests.connectors.contract import SandboxHarness


def _is_search(entry: dict[str, Any]) -> bool:
    return str(entry["path"]) == "/api/v4/groups/agency/issues"


def _task_key(task: SeedTask) -> str:
    return f"agency/{task.project.lower()}#{task.number}"


def _person_id(user: SeedUser) -> str:
    return str(user.gitlab_id)


@pytest.fixture
def harness() -> Iterator[SandboxHarness]:
    seed = load_seed(DEMO_SEED, flavour="gitlab")
    bot = seed.bot()
    assert bot is not None
    assert bot.token
    with SandboxServer(create_gitlab_app(seed)) as server:
        config = gitlab_source(server.url, project=None, group="agency", name="agency")
        waits: list[float] = []
        connector = GitLabConnector(
            config, SecretStr(bot.token), policy=RetryPolicy(sleep=waits.append)
        )
        try:
            yield SandboxHarness(
                name="gitlab",
                connector=connector,
                seed=seed,
                url=server.url,
                key_of=_task_key,
                id_of=_person_id,
                search_check=_is_search,
            )
        finally:
            connector.close()
