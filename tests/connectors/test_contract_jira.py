"""The connector contract (tests/connectors/contract.py) against the sandbox Jira, both
flavours, over real HTTP with the real ``jira`` library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from connectors.jira import JiraConnector
from connectors.sandbox.common.seed import Seed, SeedTask, SeedUser
from connectors.sandbox.server import SandboxServer
from tests.connectors.contract import *  # noqa: F403
from tests.connectors.contract import SandboxHarness


def _is_search(entry: dict[str, Any]) -> bool:
    return str(entry["path"]).rstrip("/").endswith(("/search/jql", "/search"))


@pytest.fixture(params=["cloud", "cloud-v2", "dc"])
def harness(
    request: pytest.FixtureRequest,
    jira_sandbox: Callable[..., tuple[SandboxServer, Seed]],
    jira_connector: Callable[..., JiraConnector],
) -> SandboxHarness:
    # cloud: REST v3 (ADF); cloud-v2: Cloud over REST v2 (wiki, [~accountid:…]); dc: v2.
    flavour, _, variant = str(request.param).partition("-")
    server, seed = jira_sandbox(flavour)
    connector = jira_connector(server, seed, flavour, api_version="2" if variant else None)

    def person_id(user: SeedUser) -> str:
        return user.account_id if flavour == "cloud" else user.username

    def task_key(task: SeedTask) -> str:
        return task.key

    return SandboxHarness(
        name=f"jira-{request.param}",
        connector=connector,
        seed=seed,
        url=server.url,
        key_of=task_key,
        id_of=person_id,
        search_check=_is_search,
    )
