"""What counts as a person's work on a GitLab issue, read over real HTTP from the sandbox
GitLab with the real python-gitlab and judged by the ``stale`` rule: a change a person
makes that GitLab records as a resource event (here the weight) is activity; the same
change by syncd's own account is not. A GitLab without Premium's event endpoints still
syncs, and is asked about them once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import gitlab
import pytest
import requests
from pydantic import SecretStr

from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.gitlab.fixtures import (
    BOT_TOKEN,
    HUMAN_TOKEN,
    gitlab_source,
    serve_gitlab,
    settled_log,
)
from connectors.sandbox.server import SandboxServer
from rules.base import Context
from rules.builtin.stale import Stale
from rules.calendar import BusinessCalendar
from syncd.core.models import Finding, Task
from tests.connectors.contract import full_sync


def _seed() -> Any:
    weeks_ago = (datetime.now(UTC) - timedelta(days=21)).isoformat(timespec="seconds")
    users = [
        {"id": "bot", "name": "syncd", "username": "syncd-bot", "email": "b@x.example",
         "time_zone": "UTC", "bot": True, "token": BOT_TOKEN},
        {"id": "am", "name": "Ольга", "username": "olga", "email": "o@x.example",
         "time_zone": "UTC", "token": HUMAN_TOKEN},
    ]  # fmt: skip
    task = {
        "project": "SHOP",
        "number": 1,
        "title": "Баннеры",
        "status": "in_progress",
        "assignees": ["am"],
        "reporter": "am",
        "created": weeks_ago,
        "started": weeks_ago,
    }
    return load_seed(
        {
            "format": "syncd-seed/1",
            "users": users,
            "projects": [{"key": "SHOP", "name": "Shop"}],
            "tasks": [task],
        },
        flavour="gitlab",
    )


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with serve_gitlab(_seed()) as srv:
        yield srv


@pytest.fixture
def conn(server: SandboxServer) -> Iterator[GitLabConnector]:
    connector = GitLabConnector(
        gitlab_source(server.url), SecretStr(BOT_TOKEN), policy=RetryPolicy(sleep=lambda _: None)
    )
    yield connector
    connector.close()


def _stale(conn: GitLabConnector, cursor: Any) -> tuple[Finding | None, Any, Task]:
    tasks, cursor = full_sync(conn, cursor)
    (task,) = tasks
    now = datetime.now(UTC)
    calendar = BusinessCalendar()
    return Stale().check(task, Context(now, calendar.local_date(now), calendar)), cursor, task


def _set_weight(server: SandboxServer, token: str, weight: int) -> None:
    with gitlab.Gitlab(server.url, private_token=token) as gl:
        issue = gl.projects.get("agency/shop", lazy=True).issues.get(1)
        issue.weight = weight
        issue.save()


def test_a_person_changing_the_weight_is_activity_the_bot_is_not(
    server: SandboxServer, conn: GitLabConnector
) -> None:
    finding, cursor, _ = _stale(conn, None)
    assert finding is not None  # three quiet weeks

    _set_weight(server, BOT_TOKEN, 2)
    finding, cursor, task = _stale(conn, cursor)
    assert [a.field for a in task.activity if a.is_bot] == ["weight"]
    assert finding is not None, "syncd's own change never counts"

    _set_weight(server, HUMAN_TOKEN, 5)
    finding, cursor, _ = _stale(conn, cursor)
    assert finding is None, "a person re-estimated the task today"


def test_a_gitlab_without_premium_events_syncs_and_is_asked_once(
    server: SandboxServer, conn: GitLabConnector
) -> None:
    """Weight events are read only when the weight changed; an instance answering 404
    for them is asked once, then never again."""
    answer = requests.post(
        f"{server.url}/_sandbox/faults",
        json={"kind": "status", "status": 404, "path": "resource_weight_events", "times": None},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    tasks, cursor = full_sync(conn, None)
    assert [t.key for t in tasks] == ["agency/shop#1"]
    for weight in (3, 5):
        _set_weight(server, HUMAN_TOKEN, weight)
        tasks, cursor = full_sync(conn, cursor)
        assert [t.key for t in tasks] == ["agency/shop#1"]
    asked = [e.path for e in settled_log(server) if "weight" in e.path or "iteration" in e.path]
    assert len(asked) == 1  # on the first weight change; never again
