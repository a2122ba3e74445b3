"""Jira search pages at scale, counted at the sandbox over real HTTP with the real ``jira``
library: the connector the factory builds asks for 100 issues a page, follows a short
page to the end, and lists open keys in pages of Cloud's documented key-only maximum."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from connectors.factory import create_connector
from connectors.sandbox.common.generator import generate_seed
from connectors.sandbox.common.seed import Seed, load_seed
from connectors.sandbox.server import SandboxServer
from tests.connectors.conftest import jira_source, sandbox_act


def _searches(server: SandboxServer) -> list[dict[str, list[str]]]:
    return [parse_qs(e.query) for e in server.log.entries() if e.path.endswith("/search/jql")]


def _seed(n: int, now: datetime | None = None) -> Seed:
    data = generate_seed(n, n_projects=2, n_users=5, now=now)
    return load_seed(data, flavour="jira-cloud")


def test_a_short_page_is_followed_and_pages_are_of_100(
    jira_sandbox: Callable[..., tuple[SandboxServer, Seed]],
) -> None:
    server, seed = jira_sandbox("cloud", _seed(250), short_pages=True)
    config, _ = jira_source(server.url, seed, "cloud", backfill_done_days=None)
    connector = create_connector(config, {"JIRA_TOKEN": "bot-token"})
    try:
        server.log.clear()
        keys: set[str] = set()
        for page in connector.sync(None):
            keys.update(t.key for t in page.tasks)
    finally:
        connector.close()
    assert keys == {t.key for t in seed.tasks}
    searches = _searches(server)
    assert [q["maxResults"] for q in searches] == [["100"]] * 3  # 100, then 50 (short), 100
    assert all("nextPageToken" in q for q in searches[1:])


def test_open_keys_come_in_one_key_only_page(
    jira_sandbox: Callable[..., tuple[SandboxServer, Seed]],
) -> None:
    server, seed = jira_sandbox("cloud", _seed(400))
    config, _ = jira_source(server.url, seed, "cloud")
    connector: Any = create_connector(config, {"JIRA_TOKEN": "bot-token"})
    try:
        connector.context()  # site facts, read once per connector
        server.log.clear()
        keys = connector.open_keys()
    finally:
        connector.close()
    assert keys == {t.key for t in seed.tasks if t.status != "done"}
    searches = _searches(server)
    assert len(searches) == 1
    assert searches[0]["maxResults"] == ["5000"]
    assert searches[0]["fields"] == ["key"]


def test_a_backfill_reads_open_issues_and_those_done_within_the_window(
    jira_sandbox: Callable[..., tuple[SandboxServer, Seed]],
) -> None:
    now = datetime.now(UTC)
    server, seed = jira_sandbox("cloud", _seed(300, now=now))
    config, _ = jira_source(server.url, seed, "cloud", backfill_done_days=30)
    connector = create_connector(config, {"JIRA_TOKEN": "bot-token"})
    try:
        keys: set[str] = set()
        cursor = None
        for page in connector.sync(None):
            keys.update(t.key for t in page.tasks)
            cursor = page.cursor
        done = [t for t in seed.tasks if t.status == "done"]
        assert keys >= {t.key for t in seed.tasks if t.status != "done"}
        read = keys & {t.key for t in done}  # a day either side of the window's edge:
        assert read >= {t.key for t in done if t.updated >= now - timedelta(days=29)}
        assert read <= {t.key for t in done if t.updated >= now - timedelta(days=31)}
        assert {t.key for t in done} - keys  # older done issues were not read
        # A later change to an old done issue is read like any other change.
        old = next(t for t in done if t.key not in keys)
        sandbox_act(server, {"action": "comment", "task": old.key, "author": "u1", "body": "?"})
        changed = [t.key for page in connector.sync(cursor) for t in page.tasks]
    finally:
        connector.close()
    assert old.key in changed
