"""GitLab reads only what changed: the sync compares each changed issue with the snapshot
the store holds (a real SQLite store) and reads notes and events only when they can have
changed. Real HTTP against the sandbox GitLab with the real python-gitlab; every request
is counted at the sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import gitlab
import pytest
import requests
from pydantic import SecretStr

from connectors.base import Reminder
from connectors.gitlab import GitLabConnector
from connectors.gitlab.reads import SYNCD_LABEL_PREFIX
from connectors.http.retry import RetryPolicy
from connectors.sandbox.gitlab.fixtures import (
    BOT_TOKEN,
    HUMAN_TOKEN,
    generated_seed,
    gitlab_source,
    scenario_seed,
    serve_gitlab,
    settled_log,
)
from connectors.sandbox.server import SandboxServer
from syncd.core.models import StatusCategory, Task
from syncd.reminders import ATTENTION_LABEL
from syncd.store import Store, open_store

_PER_ISSUE = re.compile(r"/issues/(\d+)/(\w+)$")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{(tmp_path / 'state.db').as_posix()}") as opened:
        yield opened


class Synced:
    """A connector and the store it syncs into, as the cycle does (``SourceRunner.sync``)."""

    def __init__(self, server: SandboxServer, store: Store, project: str) -> None:
        self.server = server
        self.store = store
        self.conn = GitLabConnector(
            gitlab_source(server.url, project=project),
            SecretStr(BOT_TOKEN),
            retry=RetryPolicy(sleep=lambda _: None),
        )
        self.cursor: dict[str, Any] | None = None

    def sync(self) -> dict[str, Task]:
        self.server.log.clear()
        tasks: dict[str, Task] = {}
        previous = partial(self.store.tasks_by_key, self.conn.source)
        for page in self.conn.sync(self.cursor, previous):
            self.store.upsert_tasks(page.tasks)
            tasks.update((t.key, t) for t in page.tasks)
            self.cursor = page.cursor
        return tasks

    def reads(self) -> list[tuple[int, str]]:
        """(iid, what) of every per-issue request of the last sync."""
        found = []
        for entry in settled_log(self.server):
            match = _PER_ISSUE.search(entry.path)
            if match:
                found.append((int(match.group(1)), match.group(2)))
        return sorted(found)

    def graphql(self) -> int:
        return sum(1 for e in settled_log(self.server) if e.path == "/api/graphql")

    def listings(self) -> int:
        return sum(1 for e in settled_log(self.server) if e.path.endswith("/issues"))

    def act(self, **payload: Any) -> None:
        answer = requests.post(f"{self.server.url}/_sandbox/act", json=payload, timeout=10)
        assert answer.status_code == 200, answer.text


@pytest.fixture
def bulk(store: Store) -> Iterator[Synced]:
    with serve_gitlab(generated_seed(12)) as server:
        synced = Synced(server, store, "agency/bulk")
        synced.sync()
        yield synced
        synced.conn.close()


@pytest.fixture
def shop(store: Store) -> Iterator[Synced]:
    with serve_gitlab(scenario_seed()) as server:
        synced = Synced(server, store, "agency/shop")
        yield synced
        synced.conn.close()


def test_a_churn_cycle_reads_notes_only_for_issues_whose_notes_changed(bulk: Synced) -> None:
    for n in (1, 2, 3):
        bulk.act(action="comment", task=f"BULK-{n}", author="dev", body=f"Checkpoint {n}: ok")
    for n in (4, 5):
        bulk.act(action="update", task=f"BULK-{n}", **{"as": "am"}, fields={"priority": "High"})
    for n in (6, 7):
        bulk.act(action="update", task=f"BULK-{n}", **{"as": "am"}, fields={"due": "2026-12-24"})

    tasks = bulk.sync()

    assert sorted(tasks) == [f"agency/bulk#{n}" for n in range(1, 8)]
    assert bulk.reads() == []  # the three commented issues' notes: one GraphQL request
    assert bulk.graphql() == 1
    assert bulk.listings() == 1
    assert tasks["agency/bulk#2"].comments[-1].body == "Checkpoint 2: ok"
    assert len(tasks["agency/bulk#2"].comments) == 2
    high = tasks["agency/bulk#4"]
    assert high.priority == "High"
    assert len(high.comments) == 1  # kept from the stored snapshot
    labels = [a for a in high.activity if a.field == "labels"]
    assert [(a.at, a.is_bot) for a in labels] == [(high.updated, False)]
    assert str(tasks["agency/bulk#6"].due) == "2026-12-24"


def test_no_events_are_read_for_a_due_date_change(bulk: Synced) -> None:
    bulk.act(action="update", task="BULK-9", **{"as": "am"}, fields={"due": "2026-12-01"})

    task = bulk.sync()["agency/bulk#9"]

    assert bulk.reads() == []  # neither events nor notes: the listing says it all
    assert str(task.due) == "2026-12-01"
    # The checkpoint counts from when the due date was set: that moment is known.
    due_set = [a for a in task.activity if a.field == "due"]
    assert [(a.at, a.is_bot) for a in due_set] == [(task.updated, False)]

    # Its system note names the person, and replaces the inferred entry, once notes are read.
    bulk.act(action="comment", task="BULK-9", author="dev", body="Ок")
    task = bulk.sync()["agency/bulk#9"]
    assert bulk.reads() == [(9, "notes")]
    due_set = [a for a in task.activity if a.field == "due"]
    assert [a.author.username if a.author else None for a in due_set] == ["o.smirnova"]


def test_closed_issues_cost_no_per_issue_reads_in_a_backfill(shop: Synced) -> None:
    tasks = shop.sync()

    read = {iid for iid, _ in shop.reads()}
    assert read == {1, 2}  # the open ones; #3 is closed
    done = tasks["agency/shop#3"]
    assert done.status_category is StatusCategory.DONE
    assert done.resolved == datetime(2026, 11, 12, 15, 0, tzinfo=UTC)


def test_an_issue_syncd_commented_on_is_not_read_again(shop: Synced) -> None:
    shop.sync()
    note_id = shop.conn.post_reminder(
        "agency/shop#2", Reminder(marker="SHOP-2:due", intro="Please set a due date.", items=())
    )

    task = shop.sync()["agency/shop#2"]

    assert shop.reads() == []
    assert [(c.id, c.is_bot) for c in task.comments] == [(note_id, True)]
    # A person's comment after that is read as usual, and both are there.
    shop.act(action="comment", task="SHOP-2", author="dev", body="Due date: Friday")
    task = shop.sync()["agency/shop#2"]
    assert shop.reads() == [(2, "notes")]
    assert task.comments[0].id == note_id
    assert task.comments[-1].body == "Due date: Friday"


def test_labels_syncd_set_are_its_own_activity_and_not_read_back(shop: Synced) -> None:
    shop.sync()
    shop.conn.set_labels("agency/shop#2", (ATTENTION_LABEL,), ())

    task = shop.sync()["agency/shop#2"]

    assert shop.reads() == []
    assert ATTENTION_LABEL in task.labels
    assert [(a.field, a.is_bot) for a in task.activity if a.field == "labels"] == [("labels", True)]


def test_syncd_labels_changed_elsewhere_are_read_to_tell_who(shop: Synced, store: Store) -> None:
    """Another process (a restart) set syncd's label: its events say it was syncd."""
    shop.sync()
    other = GitLabConnector(
        gitlab_source(shop.server.url), SecretStr(BOT_TOKEN), retry=RetryPolicy()
    )
    other.set_labels("agency/shop#2", (ATTENTION_LABEL,), ())
    other.close()

    task = shop.sync()["agency/shop#2"]

    assert shop.reads() == [(2, "resource_label_events")]
    assert [a.is_bot for a in task.activity if a.field == "labels"] == [True]
    assert ATTENTION_LABEL.startswith(SYNCD_LABEL_PREFIX)


def test_a_doing_label_reads_label_events_for_the_start_of_work(shop: Synced) -> None:
    shop.sync()
    shop.act(action="transition", task="SHOP-2", **{"as": "dev"}, status="in_progress")

    task = shop.sync()["agency/shop#2"]

    assert shop.reads() == [(2, "resource_label_events")]
    assert task.status_category is StatusCategory.IN_PROGRESS
    assert task.start == task.updated


def test_a_reopened_issue_is_read_in_full_and_starts_a_new_spell(shop: Synced) -> None:
    shop.sync()
    shop.act(action="transition", task="SHOP-3", **{"as": "am"}, status="in_progress")

    task = shop.sync()["agency/shop#3"]

    assert {what for iid, what in shop.reads() if iid == 3} >= {
        "notes",
        "resource_label_events",
        "resource_state_events",
    }
    assert task.status_category is StatusCategory.IN_PROGRESS
    assert task.start is not None
    assert task.start.year == datetime.now(UTC).year


def test_an_edited_comment_is_read_though_nothing_stored_changed(shop: Synced) -> None:
    shop.sync()
    with gitlab.Gitlab(shop.server.url, private_token=HUMAN_TOKEN) as gl:
        issue = gl.projects.get("agency/shop", lazy=True).issues.get(1, lazy=True)
        notes = issue.notes.list(iterator=True)
        note = next(n for n in notes if n.author["username"] == "o.smirnova")
        note.body = "Чекпоинт: клиент согласовал макет."
        note.save()

    task = shop.sync()["agency/shop#1"]

    assert shop.reads() == [(1, "notes")]
    assert task.comments[1].body == "Чекпоинт: клиент согласовал макет."


def test_a_closed_issue_keeps_what_was_stored_and_its_closer_is_activity(shop: Synced) -> None:
    before = shop.sync()["agency/shop#1"]
    shop.act(action="transition", task="SHOP-1", **{"as": "des"}, status="done")

    task = shop.sync()["agency/shop#1"]

    assert shop.reads() == []
    assert task.status_category is StatusCategory.DONE
    assert task.comments == before.comments
    assert task.start == before.start
    closes = [a for a in task.activity if a.field == "status"]
    assert closes[-1].author is not None
    assert closes[-1].author.username == "d.kovalev"
    assert closes[-1].at == task.resolved
