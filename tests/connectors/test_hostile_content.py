"""Tracker content that once stopped a whole source: a search page nested deeper than
Python's JSON decoder goes, and text carrying lone surrogates and control characters.
Real HTTP against the sandbox trackers, the real ``jira``/``python-gitlab`` libraries; the
hostile answers are the sandbox's own, altered as text (``tests.connectors.poison``)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.jira import JiraConnector
from connectors.sandbox.common.seed import Seed
from connectors.sandbox.gitlab.fixtures import BOT_TOKEN, gitlab_source
from connectors.sandbox.server import SandboxServer
from syncd.core.models import Task
from syncd.store import open_store
from tests.connectors.conftest import clear_log, logged
from tests.connectors.contract import full_sync
from tests.connectors.poison import PLACEHOLDER, deep_adf, real_answer, serve_text, with_raw

Start = Callable[..., tuple[SandboxServer, Seed]]
Connect = Callable[..., JiraConnector]

HOSTILE = "Готово \\ud800 почти\\u0000 \\u001b[31mкрасный \\ud83d\\ude00 \\u202eRTL"
"""As JSON text: a lone surrogate, NUL, ESC, an escaped surrogate pair, an RTL override."""
CLEAN = "Готово \ufffd почти [31mкрасный 😀 \u202eRTL"


def _jira_auth(seed: Seed) -> dict[str, str]:
    bot = seed.bot()
    assert bot is not None
    assert bot.token
    pair = base64.b64encode(f"{bot.email}:{bot.token}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def _first_text_node(node: Any) -> dict[str, Any]:
    """The first ADF text node (depth-first) of a comment body."""
    stack = [node]
    while stack:
        current = stack.pop(0)
        if isinstance(current, dict):
            if current.get("type") == "text":
                return current
            stack = list(current.get("content") or []) + stack
    raise AssertionError("no text node")


def _cloud_search(
    server: SandboxServer, seed: Seed, connector: JiraConnector
) -> tuple[list[Task], dict[str, Any], dict[str, Any]]:
    """A first full sync (the reference), the search request it made and its answer."""
    connector.context()
    clear_log(server)
    reference, _ = full_sync(connector, None)
    search = next(e for e in logged(server) if str(e["path"]).endswith("/search/jql"))
    page = real_answer(server, search["path"], search["query"], _jira_auth(seed))
    assert page.get("isLast") is True or not page.get("nextPageToken")  # one page: all of it
    return reference, search, page


def test_deeply_nested_adf_in_a_cloud_search_page_does_not_stop_the_sync(
    jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox("cloud")
    connector = jira_connector(server, seed, "cloud")
    reference, search, page = _cloud_search(server, seed, connector)
    victim = page["issues"][0]
    victim["fields"]["description"] = PLACEHOLDER
    # 300 lists inside lists: 1,200 JSON levels, past the standard decoder's recursion.
    serve_text(server, search["path"] + "$", with_raw(page, deep_adf(300)))
    with capture_logs() as logs:
        tasks, cursor = full_sync(connector, None)
    assert sorted(t.key for t in tasks) == sorted(t.key for t in reference)
    assert cursor is not None
    assert "retry" not in cursor
    deep = next(t for t in tasks if t.key == victim["key"])
    assert deep.description_format == "adf"
    assert deep.title == next(t.title for t in reference if t.key == victim["key"])
    warned = [e for e in logs if "nested too deeply" in e["event"]]
    assert [e["path"] for e in warned] == [search["path"]]


@pytest.mark.parametrize("where", ["comment", "summary"])
def test_lone_surrogates_and_controls_from_jira_never_reach_the_store(
    where: str, jira_sandbox: Start, jira_connector: Connect, tmp_path: Path
) -> None:
    server, seed = jira_sandbox("cloud")
    connector = jira_connector(server, seed, "cloud")
    reference, search, page = _cloud_search(server, seed, connector)
    victim = next(i for i in page["issues"] if (i["fields"].get("comment") or {}).get("comments"))
    if where == "comment":
        _first_text_node(victim["fields"]["comment"]["comments"][0]["body"])["text"] = PLACEHOLDER
    else:
        victim["fields"]["summary"] = PLACEHOLDER
    serve_text(server, search["path"] + "$", with_raw(page, f'"{HOSTILE}"'))
    tasks, _ = full_sync(connector, None)
    assert sorted(t.key for t in tasks) == sorted(t.key for t in reference)
    task = next(t for t in tasks if t.key == victim["key"])
    text = task.comments[0].body if where == "comment" else task.title
    assert text == CLEAN
    store = open_store(f"sqlite:///{tmp_path}/state.db")
    try:
        assert store.upsert_tasks(tasks) == len(tasks)
        stored = store.get_task(task.source, task.key)
        assert stored == task
    finally:
        store.close()


def test_lone_surrogates_and_controls_in_a_gitlab_note_never_reach_the_store(
    gitlab_server: SandboxServer, tmp_path: Path
) -> None:
    config = gitlab_source(gitlab_server.url)
    conn = GitLabConnector(config, SecretStr(BOT_TOKEN), retry=RetryPolicy(sleep=lambda _: None))
    conn.graphql_notes = False  # the REST notes answer is the one made hostile here
    try:
        clear_log(gitlab_server)
        reference, _ = full_sync(conn, None)
        notes_reads = [e for e in logged(gitlab_server) if str(e["path"]).endswith("/notes")]
        target = notes_reads[0]
        notes = real_answer(
            gitlab_server, target["path"], target["query"], {"PRIVATE-TOKEN": BOT_TOKEN}
        )
        human = next(n for n in notes if not n.get("system"))
        human["body"] = PLACEHOLDER
        serve_text(gitlab_server, target["path"] + "$", with_raw(notes, f'"{HOSTILE}"'))
        tasks, _ = full_sync(conn, None)
    finally:
        conn.close()
    assert sorted(t.key for t in tasks) == sorted(t.key for t in reference)
    body = next(c.body for t in tasks for c in t.comments if c.body.startswith("Готово"))
    # Markdown itself turns NUL into U+FFFD (CommonMark); the rest as on Jira.
    assert body in (CLEAN, CLEAN.replace("почти", "почти\ufffd"))
    store = open_store(f"sqlite:///{tmp_path}/state.db")
    try:
        assert store.upsert_tasks(tasks) == len(tasks)
    finally:
        store.close()
