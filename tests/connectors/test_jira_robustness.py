"""One bad issue never stops a Jira source, and a webhook hint never brings in an issue
outside the scope JQL. Real HTTP against the sandbox Jira with the real ``jira`` library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from structlog.testing import capture_logs

from connectors.jira import JiraConnector
from connectors.sandbox.common.faults import Fault
from connectors.sandbox.common.seed import Document, Seed
from connectors.sandbox.server import SandboxServer
from tests.connectors.conftest import clear_log, logged
from tests.connectors.contract import full_sync

Start = Callable[..., tuple[SandboxServer, Seed]]
Connect = Callable[..., JiraConnector]
PAGED = "FIT-6"  # 24 comments: more than a search embeds, so they are paged separately


def store(server: SandboxServer) -> Any:
    return server.app.state.jira.store  # type: ignore[attr-defined]


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_fetch_task_returns_none_outside_the_scope_jql(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    connector = jira_connector(
        server, seed, flavour, source={"scope": {"jql": "project = SHOP AND issuetype != Copy"}}
    )
    assert connector.fetch_task("NOVA-1") is None  # another project
    assert connector.fetch_task("SHOP-3") is None  # a Copy task: excluded by the JQL
    assert connector.fetch_task("SHOP-99") is None  # no such issue
    inside = connector.fetch_task("SHOP-1")
    assert inside is not None
    assert inside.key == "SHOP-1"
    assert inside.comments  # complete, as from a sync


def test_fetch_task_on_cloud_reconciles_the_issue_it_asks_about(
    jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox("cloud")
    connector = jira_connector(server, seed, "cloud")
    connector.context()
    clear_log(server)
    assert connector.fetch_task("SHOP-1") is not None
    searches = [e for e in logged(server) if str(e["path"]).endswith("/search/jql")]
    assert len(searches) == 1
    issue_id = str(store(server).issue("SHOP-1").id)
    assert f"reconcileIssues={issue_id}" in str(searches[0]["query"])


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
@pytest.mark.parametrize("status", [500, 403])
def test_one_issue_whose_comments_fail_does_not_stop_the_others_and_is_retried(
    flavour: str, status: int, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    connector = jira_connector(server, seed, flavour)
    connector.context()
    server.faults.add(Fault(kind="status", status=status, method="GET", path=rf"/{PAGED}/comment$"))
    with capture_logs() as logs:
        tasks, cursor = full_sync(connector, None)
    assert sorted(t.key for t in tasks) == sorted(t.key for t in seed.tasks if t.key != PAGED)
    assert cursor is not None
    assert cursor["retry"] == [[PAGED, 1]]
    assert any(e["event"] == "issue skipped" and e["key"] == PAGED for e in logs)
    # The next sync reads it first, although nothing changed in the tracker.
    again, after = full_sync(connector, cursor)
    assert [t.key for t in again] == [PAGED]
    assert len(again[0].comments) == 24
    assert after is not None
    assert "retry" not in after
    clear_log(server)
    quiet, _ = full_sync(connector, after)
    assert quiet == []
    assert len(logged(server)) == 1  # back to one search per quiet sync


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_a_failure_is_not_taken_for_a_processed_version(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    """The failed version is not in ``seen``: had it been marked seen before mapping, a
    re-read in the overlap window would skip it."""
    server, seed = jira_sandbox(flavour)
    connector = jira_connector(server, seed, flavour)
    connector.context()
    issue_id = str(store(server).issue(PAGED).id)
    server.faults.add(Fault(kind="status", status=500, method="GET", path=rf"/{PAGED}/comment$"))
    _, cursor = full_sync(connector, None)
    assert cursor is not None
    assert issue_id not in {pair[0] for pair in cursor["seen"]}


def test_issue_with_malformed_adf_is_skipped_and_the_others_come_through(
    jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox("cloud")
    connector = jira_connector(server, seed, "cloud")
    broken = store(server).issue("SHOP-2")
    broken.description = Document(adf=["not", "an", "ADF", "document"])  # type: ignore[arg-type]
    with capture_logs() as logs:
        tasks, cursor = full_sync(connector, None)
    assert sorted(t.key for t in tasks) == sorted(t.key for t in seed.tasks if t.key != "SHOP-2")
    assert cursor is not None
    assert cursor["retry"] == [["SHOP-2", 1]]
    skipped = [e for e in logs if e["event"] == "issue skipped"]
    assert [e["key"] for e in skipped] == ["SHOP-2"]
    assert "TypeError" in skipped[0]["error"]
    # Still broken next sync: tried again, counted; fixed: it comes through.
    _, cursor = full_sync(connector, cursor)
    assert cursor is not None
    assert cursor["retry"] == [["SHOP-2", 2]]
    broken.description = Document(markdown="## Goal\nMore sign-ups from the audit.")
    fixed, cursor = full_sync(connector, cursor)
    assert [t.key for t in fixed] == ["SHOP-2"]
    assert cursor is not None
    assert "retry" not in cursor


def test_fetch_task_of_a_malformed_issue_is_a_clear_error(
    jira_sandbox: Start, jira_connector: Connect
) -> None:
    from syncd.core.errors import FatalError

    server, seed = jira_sandbox("cloud")
    connector = jira_connector(server, seed, "cloud")
    store(server).issue("SHOP-2").description = Document(adf=["x"])  # type: ignore[arg-type]
    with pytest.raises(FatalError, match=r"issue SHOP-2: cannot be mapped: TypeError"):
        connector.fetch_task("SHOP-2")


@pytest.mark.parametrize("flavour", ["cloud", "dc"])
def test_section_aliases_of_the_source_are_used(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    store(server).issue("SHOP-2").description = Document(
        markdown="## Бизнес-цель\nРост продаж на 15 % к марту."
    )
    plain = jira_connector(server, seed, flavour)
    task = plain.fetch_task("SHOP-2")
    assert task is not None
    assert task.section("goal") is None
    aliased = jira_connector(
        server, seed, flavour, source={"section_aliases": {"goal": ["Бизнес-цель"]}}
    )
    task = aliased.fetch_task("SHOP-2")
    assert task is not None
    goal = task.section("goal")
    assert goal is not None
    assert "15 %" in goal.text
    assert task.section("acceptance") is None  # the built-in names still apply, no more


def test_no_connection_ends_the_sync_instead_of_setting_issues_aside(
    jira_sandbox: Start, jira_connector: Connect
) -> None:
    """A tracker that went away mid-sync is not one bad issue: the sync stops (the pages
    already yielded stay stored) rather than fill the bounded retry list with every issue."""
    from syncd.core.errors import RetriableError

    server, seed = jira_sandbox("dc")
    connector = jira_connector(server, seed, "dc")
    connector.context()
    server.faults.add(Fault(kind="drop", method="GET", path=rf"/{PAGED}/comment$", times=None))
    with pytest.raises(RetriableError, match="connection failed"):
        full_sync(connector, None)
