"""The connector contract, written once and run against every tracker's sandbox.

HOW TO ADD A TRACKER: write ``tests/connectors/test_contract_<tracker>.py`` that does
``from tests.connectors.contract import *  # noqa: F403`` and defines a pytest fixture named
``harness`` returning an object satisfying ``Harness`` below (usually a ``SandboxHarness``
with the three tracker-specific callables). Every ``test_*`` function here is then
collected in your module and runs against your harness.

The ``Harness`` protocol:

- ``name``: e.g. ``"jira-cloud"``, ``"jira-dc"``, ``"gitlab"`` (shown in failures).
- ``connector``: the production connector under test, connected to the sandbox over real
  HTTP as the seed's bot user, scoped to every project of the seed.
- ``seed``: the ``connectors.sandbox.common.seed.Seed`` the sandbox was loaded with.
- ``task_key(seed_task) -> str``: the ``Task.key`` the connector reports for a seed task
  (``SHOP-1`` on Jira, ``agency/shop#1`` on GitLab).
- ``person_id(seed_user) -> str``: the ``Person.id`` the connector reports for a seed user
  (accountId on Jira Cloud, username on Jira DC, numeric id on GitLab).
- ``act(payload: dict) -> dict``: act as a human through ``POST /_sandbox/act`` (payload as in
  ``connectors/sandbox/common/control.py``: ``{"action": "comment", "task": "SHOP-1",
  "author": "olga", "body": "…"}``, ``{"action": "update", "task": …, "as": …,
  "fields": {"due": "2026-12-01"}}``, ``{"action": "transition", …, "status": "done"}``).
- ``requests() -> list[dict]`` / ``clear_requests()``: the sandbox's request log
  (``method``, ``path``, ``query``, ``status``) — API traffic only.
- ``is_search(entry: dict) -> bool``: whether a logged request is the tracker's list/search
  call that a quiet incremental sync must make exactly once.

Tests compare what the connector returns with the seed itself, so no expected value is
written down twice.
"""

from __future__ import annotations

import dataclasses
import json
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from connectors.base import Connector
from connectors.sandbox.common.seed import Seed, SeedTask, SeedUser
from syncd.core.models import Reminder, ReminderItem, Task

__all__ = [
    "Harness",
    "SandboxHarness",
    "full_sync",
    "test_bot_comment_is_marked_is_bot",
    "test_fetch_task_rereads_one_task_and_none_for_unknown",
    "test_first_sync_returns_every_task_complete",
    "test_human_changes_show_up_on_the_next_sync",
    "test_labels_add_and_remove",
    "test_open_keys_are_the_open_tasks_in_scope",
    "test_post_reminder_then_find_marker",
    "test_quiet_sync_returns_nothing_for_one_search",
]


class Harness(Protocol):
    name: str
    connector: Connector
    seed: Seed

    def task_key(self, task: SeedTask) -> str: ...

    def person_id(self, user: SeedUser) -> str: ...

    def act(self, payload: dict[str, Any]) -> dict[str, Any]: ...

    def requests(self) -> list[dict[str, Any]]: ...

    def clear_requests(self) -> None: ...

    def is_search(self, entry: dict[str, Any]) -> bool: ...


@dataclass
class SandboxHarness:
    """A ``Harness`` over a running ``SandboxServer`` (its URL) — the control endpoints are
    shared by every sandbox tracker, so only three callables differ per tracker."""

    name: str
    connector: Connector
    seed: Seed
    url: str
    key_of: Callable[[SeedTask], str]
    id_of: Callable[[SeedUser], str]
    search_check: Callable[[dict[str, Any]], bool]

    def task_key(self, task: SeedTask) -> str:
        return self.key_of(task)

    def person_id(self, user: SeedUser) -> str:
        return self.id_of(user)

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def act(self, payload: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/_sandbox/act", payload)
        return result

    def requests(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._call("GET", "/_sandbox/requests")
        return entries

    def clear_requests(self) -> None:
        self._call("DELETE", "/_sandbox/requests")

    def is_search(self, entry: dict[str, Any]) -> bool:
        return self.search_check(entry)


def full_sync(
    connector: Connector, cursor: dict[str, Any] | None
) -> tuple[list[Task], dict[str, Any] | None]:
    """Run one sync to the end: every task yielded and the last cursor (input if none)."""
    tasks: list[Task] = []
    for page in connector.sync(cursor):
        tasks.extend(page.tasks)
        cursor = page.cursor
    return tasks, cursor


def _by_key(harness: Harness, tasks: list[Task]) -> dict[str, Task]:
    out: dict[str, Task] = {}
    for task in tasks:
        out[task.key] = task  # a later version of the same task replaces an earlier one
    return out


def _open_task_with_assignee(harness: Harness) -> SeedTask:
    return next(t for t in harness.seed.tasks if t.status != "done" and t.assignees)


# -- the contract ------------------------------------------------------------------------


def test_first_sync_returns_every_task_complete(harness: Harness) -> None:
    tasks, cursor = full_sync(harness.connector, None)
    assert cursor, f"{harness.name}: a first sync must leave a cursor"
    got = _by_key(harness, tasks)
    assert len(got) == len(tasks), f"{harness.name}: a task came twice in one first sync"
    expected = {harness.task_key(t): t for t in harness.seed.tasks}
    assert set(got) == set(expected)
    for key, seed_task in expected.items():
        task = got[key]
        assert task.title == seed_task.title, key
        assert task.due == seed_task.due, key
        assert {p.id for p in task.assignees} == {
            harness.person_id(harness.seed.user(u)) for u in seed_task.assignees
        }, key
        assert [c.author.id for c in task.comments] == [
            harness.person_id(harness.seed.user(c.author)) for c in seed_task.comments
        ], f"{key}: comments incomplete or out of order"
        assert (task.status_category.value) == seed_task.status, key
        seed_text = (seed_task.description.markdown or "") if seed_task.description else ""
        if "Goal" in seed_text or "Цель" in seed_text:
            assert task.section("goal") is not None, f"{key}: goal section not found"
    # A long discussion is complete even where the tracker embeds only the first comments.
    longest = max(harness.seed.tasks, key=lambda t: len(t.comments))
    assert len(got[harness.task_key(longest)].comments) == len(longest.comments)


def test_quiet_sync_returns_nothing_for_one_search(harness: Harness) -> None:
    _, cursor = full_sync(harness.connector, None)
    harness.clear_requests()
    tasks, _ = full_sync(harness.connector, cursor)
    log = harness.requests()
    assert tasks == []
    assert sum(1 for e in log if harness.is_search(e)) == 1, log
    assert len(log) == 1, f"{harness.name}: a quiet sync made more than its search: {log}"


def test_human_changes_show_up_on_the_next_sync(harness: Harness) -> None:
    _, cursor = full_sync(harness.connector, None)
    target = _open_task_with_assignee(harness)
    key = harness.task_key(target)
    human = next(u for u in harness.seed.users if not u.bot and u.id != target.assignees[0])
    harness.act(
        {"action": "comment", "task": target.key, "author": human.id, "body": "Status: on track"}
    )
    new_due = (target.due or date(2026, 12, 1)) + timedelta(days=7)
    harness.act(
        {
            "action": "update",
            "task": target.key,
            "as": human.id,
            "fields": {"due": new_due.isoformat()},
        }
    )
    tasks, cursor2 = full_sync(harness.connector, cursor)
    got = _by_key(harness, tasks)
    assert set(got) == {key}, f"{harness.name}: only the changed task comes back"
    task = got[key]
    assert task.due == new_due
    last = task.comments[-1]
    assert last.author.id == harness.person_id(human)
    assert "Status: on track" in last.body
    assert not last.is_bot
    again, _ = full_sync(harness.connector, cursor2)
    assert again == []


def _reminder(harness: Harness, marker: str) -> tuple[SeedTask, Reminder]:
    target = _open_task_with_assignee(harness)
    assignee = harness.seed.user(target.assignees[0])
    task = harness.connector.fetch_task(harness.task_key(target))
    assert task is not None
    mention = task.assignees[0]
    assert mention.id == harness.person_id(assignee)
    return target, Reminder(
        marker=marker,
        intro="this task needs attention:",
        items=(ReminderItem(title="No checkpoint yet", details=("Write «Checkpoint: …»",)),),
        mention=mention,
    )


def test_post_reminder_then_find_marker(harness: Harness) -> None:
    target, reminder = _reminder(harness, f"contract-{harness.name}-1")
    key = harness.task_key(target)
    assert harness.connector.find_marker(key, reminder.marker) is None
    comment_id = harness.connector.post_reminder(key, reminder)
    assert harness.connector.find_marker(key, reminder.marker) == comment_id
    assert harness.connector.find_marker(key, "some-other-marker") is None


def test_bot_comment_is_marked_is_bot(harness: Harness) -> None:
    _, cursor = full_sync(harness.connector, None)
    target, reminder = _reminder(harness, f"contract-{harness.name}-2")
    comment_id = harness.connector.post_reminder(harness.task_key(target), reminder)
    tasks, _ = full_sync(harness.connector, cursor)
    task = _by_key(harness, tasks)[harness.task_key(target)]
    mine = [c for c in task.comments if c.id == comment_id]
    assert len(mine) == 1
    assert mine[0].is_bot
    bot_id = harness.connector.bot().id
    assert mine[0].author.id == bot_id
    for comment in task.comments:  # people's comments stay people's
        assert comment.is_bot == (comment.author.id == bot_id or "syncd:" in comment.body)


def test_labels_add_and_remove(harness: Harness) -> None:
    target = next(t for t in harness.seed.tasks if t.labels)
    key = harness.task_key(target)
    harness.connector.set_labels(key, add=("syncd-at-risk",), remove=(target.labels[0],))
    task = harness.connector.fetch_task(key)
    assert task is not None
    assert "syncd-at-risk" in task.labels
    assert target.labels[0] not in task.labels
    assert set(task.labels) == (set(target.labels) - {target.labels[0]}) | {"syncd-at-risk"}
    harness.connector.set_labels(key, add=(), remove=("syncd-at-risk",))
    task = harness.connector.fetch_task(key)
    assert task is not None
    assert "syncd-at-risk" not in task.labels


def test_fetch_task_rereads_one_task_and_none_for_unknown(harness: Harness) -> None:
    target = harness.seed.tasks[0]
    task = harness.connector.fetch_task(harness.task_key(target))
    assert task is not None
    assert task.title == target.title
    unknown = dataclasses.replace(target, number=9999)
    assert harness.connector.fetch_task(harness.task_key(unknown)) is None


def test_open_keys_are_the_open_tasks_in_scope(harness: Harness) -> None:
    expected = {harness.task_key(t) for t in harness.seed.tasks if t.status != "done"}
    assert harness.connector.open_keys() == expected
    target = next(t for t in harness.seed.tasks if t.status != "done")
    human = next(u for u in harness.seed.users if not u.bot)
    harness.act({"action": "transition", "task": target.key, "as": human.id, "status": "done"})
    assert harness.connector.open_keys() == expected - {harness.task_key(target)}
