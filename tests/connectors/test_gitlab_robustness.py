"""One bad issue never stops a GitLab source; webhook hints never bring in an issue from
outside the scope; the note budget is checked before any request. Real HTTP against the
sandbox GitLab with the real python-gitlab."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.sandbox.gitlab.fixtures import (
    BOT_TOKEN,
    gitlab_source,
    scenario_seed,
    serve_gitlab,
    settled_log,
)
from connectors.sandbox.gitlab.state import GROUP_ID, GitLabState, Issue, Project
from connectors.sandbox.server import SandboxServer
from syncd.core.errors import FatalError, RateLimitedError
from syncd.core.models import Reminder, Task

NOTES_OF_2 = r"/issues/2/notes$"


@pytest.fixture
def made() -> Iterator[list[GitLabConnector]]:
    connectors: list[GitLabConnector] = []
    yield connectors
    for conn in connectors:
        conn.close()


def connect(
    gitlab_server: SandboxServer, made: list[GitLabConnector], **overrides: Any
) -> GitLabConnector:
    config = gitlab_source(gitlab_server.url, **overrides)
    conn = GitLabConnector(config, SecretStr(BOT_TOKEN), retry=RetryPolicy(sleep=lambda _: None))
    made.append(conn)
    return conn


def sync_all(
    conn: GitLabConnector, cursor: dict[str, Any] | None
) -> tuple[list[Task], dict[str, Any]]:
    tasks: list[Task] = []
    last: dict[str, Any] = {}
    for page in conn.sync(cursor):
        tasks += page.tasks
        last = page.cursor
    return tasks, last


def state_of(gitlab_server: SandboxServer) -> GitLabState:
    return gitlab_server.app.state.gitlab  # type: ignore[attr-defined, no-any-return]


@dataclass
class ElsewhereProject(Project):
    """A project in another top-level group (the sandbox serves one group)."""

    @property
    def full_path(self) -> str:
        return f"agencyx/{self.path}"


def add_foreign_issue(gitlab_server: SandboxServer) -> str:
    state = state_of(gitlab_server)
    with state.lock:
        project = ElsewhereProject(max(state.projects) + 100, "SITE", "Foreign site", "Other")
        state.projects[project.id] = project
        now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
        author = state.users_by_seed["am"].id
        state.issues[(project.id, 1)] = Issue(
            state.new_id("issue"), 1, project.id, "Not ours", None, author, now, now
        )
    return "agencyx/site#1"


@pytest.mark.parametrize("group", [str(GROUP_ID), "agency"], ids=["numeric", "path"])
def test_group_scope_rejects_issues_of_other_groups(
    gitlab_server: SandboxServer, made: list[GitLabConnector], group: str
) -> None:
    foreign = add_foreign_issue(gitlab_server)
    conn = connect(gitlab_server, made, project=None, group=group)
    assert conn.fetch_task(foreign) is None
    inside = conn.fetch_task("agency/shop#1")
    assert inside is not None
    assert inside.key == "agency/shop#1"
    assert conn.fetch_task("agency/nova#7") is not None
    groups = [e for e in settled_log(gitlab_server) if e.path == f"/api/v4/groups/{group}"]
    assert len(groups) == (1 if group.isdigit() else 0)  # resolved once, then kept


def test_project_scope_rejects_other_projects(
    gitlab_server: SandboxServer, made: list[GitLabConnector]
) -> None:
    foreign = add_foreign_issue(gitlab_server)
    conn = connect(gitlab_server, made)
    assert conn.fetch_task(foreign) is None
    assert conn.fetch_task("agency/nova#7") is None
    assert conn.fetch_task("agency/shop#2") is not None


@pytest.mark.parametrize("status", [500, 403])
def test_one_issue_whose_notes_fail_does_not_stop_the_others_and_is_retried(
    gitlab_server: SandboxServer, made: list[GitLabConnector], status: int
) -> None:
    conn = connect(gitlab_server, made)
    conn.graphql_notes = False  # the REST notes read fails here (GraphQL: test_gitlab_graphql)
    gitlab_server.faults.add(kind="status", method="GET", path=NOTES_OF_2, status=status)
    with capture_logs() as logs:
        tasks, cursor = sync_all(conn, None)
    assert sorted(t.key for t in tasks) == ["agency/shop#1", "agency/shop#3"]
    assert cursor["retry"] == [["agency/shop#2", 1]]
    assert cursor["updated_after"]  # the cursor moved on all the same
    assert any(e["event"] == "issue skipped" and e["key"] == "agency/shop#2" for e in logs)
    again, after = sync_all(conn, cursor)
    assert [t.key for t in again] == ["agency/shop#2"]
    assert "retry" not in after
    assert after["updated_after"] == cursor["updated_after"]
    gitlab_server.log.clear()
    assert sync_all(conn, after)[0] == []
    assert len(settled_log(gitlab_server)) == 1


class OddDate:
    """Renders as a due date GitLab would never send."""

    def isoformat(self) -> str:
        return "next week"


def test_issue_with_an_odd_field_is_skipped_and_the_others_come_through(
    gitlab_server: SandboxServer, made: list[GitLabConnector]
) -> None:
    state = state_of(gitlab_server)
    project = state.project("agency/shop")
    assert project is not None
    broken = state.issues[(project.id, 1)]
    broken.due_date = OddDate()  # type: ignore[assignment]
    conn = connect(gitlab_server, made)
    with capture_logs() as logs:
        tasks, cursor = sync_all(conn, None)
    assert sorted(t.key for t in tasks) == ["agency/shop#2", "agency/shop#3"]
    assert cursor["retry"] == [["agency/shop#1", 1]]
    skipped = [e for e in logs if e["event"] == "issue skipped"]
    assert [e["key"] for e in skipped] == ["agency/shop#1"]
    assert "ValueError" in skipped[0]["error"]
    with pytest.raises(FatalError, match=r"issue agency/shop#1: cannot be mapped: ValueError"):
        conn.fetch_task("agency/shop#1")


def test_note_budget_is_checked_before_any_request(
    gitlab_server: SandboxServer, made: list[GitLabConnector]
) -> None:
    conn = connect(gitlab_server, made, notes_per_minute=1)
    conn.post_reminder("agency/shop#2", Reminder(marker="b1", intro="x", items=()))
    gitlab_server.log.clear()
    with pytest.raises(RateLimitedError):
        conn.post_reminder("agency/shop#2", Reminder(marker="b2", intro="x", items=()))
    assert settled_log(gitlab_server) == []  # not even a note listing


def test_post_reminder_leaves_find_marker_to_the_caller(
    gitlab_server: SandboxServer, made: list[GitLabConnector]
) -> None:
    conn = connect(gitlab_server, made)
    conn.bot()
    gitlab_server.log.clear()
    conn.post_reminder("agency/shop#2", Reminder(marker="once", intro="x", items=()))
    assert [(e.method, e.path.rsplit("/", 1)[-1]) for e in settled_log(gitlab_server)] == [
        ("POST", "notes")
    ]


def test_marker_in_a_persons_note_does_not_make_it_the_bots(
    gitlab_server: SandboxServer, made: list[GitLabConnector]
) -> None:
    import requests

    answer = requests.post(
        f"{gitlab_server.url}/_sandbox/act",
        json={
            "action": "comment",
            "task": "SHOP-2",
            "author": "am",
            "body": "Checkpoint: done.\n<!-- syncd:SHOP-2:x -->",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    conn = connect(gitlab_server, made)
    task = conn.fetch_task("agency/shop#2")
    assert task is not None
    assert [c.is_bot for c in task.comments] == [False]


def test_section_aliases_of_the_source_are_used(
    gitlab_server: SandboxServer, made: list[GitLabConnector]
) -> None:
    state = state_of(gitlab_server)
    project = state.project("agency/shop")
    assert project is not None
    state.issues[(project.id, 2)].description = "## Бизнес-цель\nРост продаж на 15 % к марту."
    plain = connect(gitlab_server, made).fetch_task("agency/shop#2")
    assert plain is not None
    assert plain.section("goal") is None
    aliased = connect(gitlab_server, made, section_aliases={"goal": ["Бизнес-цель"]})
    task = aliased.fetch_task("agency/shop#2")
    assert task is not None
    goal = task.section("goal")
    assert goal is not None
    assert "15 %" in goal.text


def test_doctor_on_an_unreachable_server_reports_one_failed_line(
    made: list[GitLabConnector],
) -> None:
    with serve_gitlab(scenario_seed()) as stopped:
        url = stopped.url
    config = gitlab_source(url)
    conn = GitLabConnector(config, SecretStr(BOT_TOKEN), retry=RetryPolicy(sleep=lambda _: None))
    made.append(conn)
    checks = conn.doctor()
    assert [(c.name, c.ok) for c in checks] == [("version", False)]
    assert "connection failed" in checks[0].detail


def test_a_malformed_url_is_fatal_not_retried(made: list[GitLabConnector]) -> None:
    waits: list[float] = []
    config = gitlab_source("http://gitlab:notaport")
    conn = GitLabConnector(config, SecretStr(BOT_TOKEN), retry=RetryPolicy(sleep=waits.append))
    made.append(conn)
    with pytest.raises(FatalError, match="check the source's url"):
        sync_all(conn, None)
    assert waits == []
    [check] = conn.doctor()
    assert check.ok is False
    assert "check the source's url" in check.detail
