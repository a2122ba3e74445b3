"""The tracker's clock is the truth for what changed when: with the tracker's clock ten
minutes ahead of syncd's or behind it, no change is lost and a quiet poll does not keep
re-reading old changes. Real connectors over HTTP against the sandbox trackers, whose clock
is moved through their control API (``POST /_sandbox/clock {"advance": seconds}``) while
syncd's host clock stays the real one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from connectors.base import Connector
from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.http.timestamps import parse_timestamp
from connectors.jira import JiraConnector
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.gitlab.fixtures import gitlab_source
from connectors.sandbox.server import DEMO_SEED, SandboxServer, create_app
from tests.connectors.conftest import jira_source

SKEW = 600  # seconds: more than the default sync overlap (2 minutes)


@pytest.fixture(params=["jira-cloud", "jira-dc", "gitlab"])
def tracker(request: pytest.FixtureRequest) -> Iterator[tuple[SandboxServer, Connector]]:
    flavour = str(request.param)
    seed = load_seed(DEMO_SEED, flavour=flavour, shift=True)  # type: ignore[arg-type]
    with SandboxServer(create_app(flavour, seed)) as server:
        bot = seed.bot()
        assert bot is not None
        assert bot.token is not None
        retry = RetryPolicy(sleep=lambda _s: None)
        connector: Connector
        if flavour == "gitlab":
            config = gitlab_source(server.url, project="agency/shop")
            connector = GitLabConnector(config, SecretStr(bot.token), policy=retry)
        else:
            config, token = jira_source(server.url, seed, flavour.removeprefix("jira-"))
            connector = JiraConnector(config, token, retry=retry)
        try:
            yield server, connector
        finally:
            connector.close()


def _control(server: SandboxServer, path: str, payload: dict[str, Any]) -> Any:
    answer = requests.post(f"{server.url}/_sandbox/{path}", json=payload, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _sync(connector: Connector, cursor: dict[str, Any] | None) -> tuple[set[str], dict[str, Any]]:
    keys: set[str] = set()
    last = cursor or {}
    for page in connector.sync(cursor):
        keys.update(t.key for t in page.tasks)
        last = page.cursor
    return keys, last


def _watermark(cursor: dict[str, Any]) -> str:
    mark = cursor.get("watermark", cursor.get("updated_after"))
    assert mark is not None, cursor
    return str(mark)


@pytest.mark.parametrize("skew", [SKEW, -SKEW], ids=["tracker-ahead", "tracker-behind"])
def test_no_change_is_lost_and_none_is_read_again(
    tracker: tuple[SandboxServer, Connector], skew: int
) -> None:
    server, connector = tracker
    _control(server, "clock", {"advance": skew})
    _, cursor = _sync(connector, None)

    _control(
        server, "act", {"action": "comment", "task": "SHOP-2", "author": "olga", "body": "Done"}
    )
    key = "agency/shop#2" if isinstance(connector, GitLabConnector) else "SHOP-2"
    changed = connector.fetch_task(key)
    assert changed is not None

    keys, cursor = _sync(connector, cursor)
    assert key in keys  # not lost, though it was stamped by a clock ten minutes off ours
    # The watermark follows the tracker's clock: it is not left behind the change, so the
    # next polls do not read it again and again.
    assert parse_timestamp(_watermark(cursor), "watermark") >= changed.updated
    quiet, after_quiet = _sync(connector, cursor)
    assert quiet == set()
    assert parse_timestamp(_watermark(after_quiet), "watermark") >= changed.updated
