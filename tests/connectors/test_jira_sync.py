"""Incremental sync over real HTTP against the sandbox Jira: pages, equal timestamps,
issues changing while we page, complete comments, the request budget."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from connectors.jira import JiraConnector
from connectors.sandbox.common.seed import Seed
from connectors.sandbox.server import SandboxServer
from tests.connectors.conftest import bulk_seed, clear_log, logged, sandbox_act, sandbox_clock
from tests.connectors.contract import full_sync

Start = Callable[..., tuple[SandboxServer, Seed]]
Connect = Callable[..., JiraConnector]


def is_search(entry: dict[str, Any]) -> bool:
    return str(entry["path"]).endswith(("/search/jql", "/search"))


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_150_issues_sharing_one_minute_sync_without_stall_or_repeat(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour, bulk_seed(150))
    connector = jira_connector(server, seed, flavour, page_size=50)
    pages = list(connector.sync(None))
    keys = [t.key for p in pages for t in p.tasks]
    assert sorted(keys) == sorted(t.key for t in seed.tasks)
    assert len(keys) == len(set(keys))
    assert len(pages) >= 3
    # Every page carries a cursor the daemon may persist, and it only moves forward.
    marks = [p.cursor["watermark"] for p in pages]
    assert marks == sorted(marks)
    clear_log(server)
    again, _ = full_sync(connector, pages[-1].cursor)
    assert again == []
    log = logged(server)
    assert len(log) == 1
    assert is_search(log[0])


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_150_issues_with_the_very_same_updated_instant_near_the_watermark(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    """The sandbox clock is frozen, so 150 human comments give 150 issues one identical
    ``updated``; they fill three pages, then sit at the watermark minute and are re-read
    (and recognised) by the next poll."""
    from datetime import UTC, datetime, timedelta

    server, seed = jira_sandbox(flavour, bulk_seed(150))
    connector = jira_connector(server, seed, flavour, page_size=50)
    _, cursor = full_sync(connector, None)
    frozen = datetime.now(UTC) - timedelta(seconds=20)
    sandbox_clock(server, frozen)
    for task in seed.tasks:
        sandbox_act(
            server, {"action": "comment", "task": task.key, "author": "am", "body": "Status: ok"}
        )
    clear_log(server)
    pages = list(connector.sync(cursor))
    changed = [t for p in pages for t in p.tasks]
    assert sorted(t.key for t in changed) == sorted(t.key for t in seed.tasks)
    assert {t.updated for t in changed} == {
        frozen.replace(microsecond=frozen.microsecond // 1000 * 1000)
    }
    assert sum(is_search(e) for e in logged(server)) == 3
    clear_log(server)
    again, _ = full_sync(connector, pages[-1].cursor)
    assert again == []
    assert sum(is_search(e) for e in logged(server)) == 3  # the watermark minute, all seen


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_issue_changed_while_paging_is_neither_lost_nor_processed_twice(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour, bulk_seed(120))
    connector = jira_connector(server, seed, flavour, page_size=40)
    seen: list[tuple[str, Any]] = []
    newest: dict[str, Any] = {}
    cursor: dict[str, Any] | None = None
    pages = connector.sync(None)
    first = next(pages)
    seen += [(t.key, t.updated) for t in first.tasks]
    newest.update((t.key, t) for t in first.tasks)
    moved = first.tasks[3].key
    sandbox_act(
        server, {"action": "comment", "task": moved, "author": "am", "body": "Status: moved"}
    )
    for page in pages:
        seen += [(t.key, t.updated) for t in page.tasks]
        newest.update((t.key, t) for t in page.tasks)
        cursor = page.cursor
    second, _ = full_sync(connector, cursor)
    seen += [(t.key, t.updated) for t in second]
    newest.update((t.key, t) for t in second)
    versions = Counter(seen)
    assert max(versions.values()) == 1, "a version of an issue was processed twice"
    keys = {k for k, _ in seen}
    assert keys == {t.key for t in seed.tasks}, "an issue was skipped"
    moved_versions = sorted(u for k, u in seen if k == moved)
    assert len(moved_versions) == 2  # the seed version and the commented one
    assert newest[moved].updated == moved_versions[-1]
    assert newest[moved].comments[-1].body == "Status: moved"


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_comments_beyond_the_embedded_twenty_are_paged_only_when_needed(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    seed_data = bulk_seed(3, comments=2)
    seed_data["tasks"][1]["comments"] = [
        {"author": "am", "created": f"2026-11-20T10:{m:02d}:00+03:00", "body": f"note {m}"}
        for m in range(45)
    ]
    server, seed = jira_sandbox(flavour, seed_data)
    connector = jira_connector(server, seed, flavour)
    connector.context()  # site facts (myself, fields, statuses) are read once, not counted
    clear_log(server)
    tasks, _ = full_sync(connector, None)
    by_key = {t.key: t for t in tasks}
    assert [c.body for c in by_key["BULK-2"].comments] == [f"note {m}" for m in range(45)]
    assert len(by_key["BULK-1"].comments) == 2
    comment_gets = [e["path"] for e in logged(server) if e["path"].endswith("/comment")]
    assert [p.split("/")[-2] for p in comment_gets] == ["BULK-2"]  # 45 comments: one page


def test_short_cloud_pages_are_followed_to_the_last_token(
    jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox("cloud", bulk_seed(90), short_pages=True)
    connector = jira_connector(server, seed, "cloud", page_size=20)
    pages = list(connector.sync(None))
    sizes = [len(p.tasks) for p in pages]
    assert sorted(t.key for p in pages for t in p.tasks) == sorted(t.key for t in seed.tasks)
    assert any(0 < n < 20 for n in sizes[:-1]), f"no short page before the end: {sizes}"


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_jql_literal_is_written_in_the_bots_profile_zone(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    """The bot's profile zone in the seed is Europe/Moscow: the quiet poll's lower bound must
    be the watermark minute in Moscow time, minus the overlap."""
    from datetime import UTC, datetime

    server, seed = jira_sandbox(flavour, bulk_seed(5))
    # The tracker's clock: 07:30 UTC = 10:30 in Moscow, a quarter of an hour after the
    # seed's changes (the watermark is the tracker's time, whatever ours says).
    sandbox_clock(server, datetime(2026, 11, 20, 7, 30, tzinfo=UTC))
    connector = jira_connector(server, seed, flavour)
    _, cursor = full_sync(connector, None)
    clear_log(server)
    full_sync(connector, cursor)
    (entry,) = logged(server)
    from urllib.parse import parse_qs

    jql = parse_qs(entry["query"])["jql"][0]
    # The first poll read everything, so its watermark is its start, 10:30; the next asks
    # from that minute minus the 2-minute overlap in *Moscow* time (07:28 would be UTC).
    assert 'updated >= "2026/11/20 10:28"' in jql


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_reopened_task_starts_a_new_spell_and_human_changes_are_activity(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    from datetime import UTC, datetime, timedelta

    from connectors.jira.paging import all_histories

    server, seed = jira_sandbox(flavour)
    connector = jira_connector(server, seed, flavour, source={"start_date_field": None})
    done = next(t for t in seed.tasks if t.status == "done" and t.started is not None)
    before, cursor = full_sync(connector, None)
    old = next(t for t in before if t.key == done.key)
    assert old.start == done.started  # the spell that ended in done
    reopen_at = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    sandbox_clock(server, reopen_at)
    sandbox_act(
        server, {"action": "transition", "task": done.key, "as": "olga", "status": "in_progress"}
    )
    sandbox_clock(server, None)
    (task,) = [t for t in full_sync(connector, cursor)[0] if t.key == done.key]
    assert task.start == reopen_at
    last = task.activity[-1]
    assert (last.field, last.is_bot, last.at) == ("status", False, reopen_at)
    assert last.author is not None
    assert last.author.id == (
        seed.user("olga").account_id if flavour == "cloud" else seed.user("olga").username
    )
    # The paged changelog endpoint (Cloud) / full issue changelog (DC) agrees with the embed.
    assert len(all_histories(connector.site, done.key, "agency")) == len(
        [a for a in task.activity if a.field == "status"]
    )


def test_constructing_makes_no_request_and_a_dead_tracker_fails_the_sync_retriably() -> None:
    import socket

    from pydantic import SecretStr

    from config.policy import AuthConfig, SourceConfig, SourceScope
    from connectors.http.retry import RetryPolicy
    from syncd.core.errors import RetriableError
    from tests.connectors.conftest import RecordingSleep

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = SourceConfig(
        name="down",
        type="jira",
        url=f"http://127.0.0.1:{port}",
        auth=AuthConfig(kind="bearer", secret="T"),
        scope=SourceScope(jql="project = SHOP"),
    )
    sleep = RecordingSleep()
    connector = JiraConnector(
        config, SecretStr("t"), retry=RetryPolicy(sleep=sleep, max_attempts=3)
    )
    try:
        with pytest.raises(RetriableError, match="connection failed"):
            full_sync(connector, None)
    finally:
        connector.close()
    assert len(sleep) == 2
