"""GitLabConnector against the sandbox GitLab over real HTTP with the real python-gitlab:
mapping, incremental sync, activity and start of work, the write path and doctor."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import gitlab
import pytest
import requests
from pydantic import SecretStr

from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.sandbox.gitlab.fixtures import (
    BOT_TOKEN,
    HUMAN_TOKEN,
    count_requests,
    generated_seed,
    gitlab_source,
    scenario_seed,
    serve_gitlab,
    settled_log,
)
from connectors.sandbox.gitlab.state import GitLabState
from connectors.sandbox.gitlab.writes import create_note
from connectors.sandbox.server import SandboxServer
from syncd.core.errors import AuthError, FatalError, RateLimitedError
from syncd.core.models import Person, Reminder, ReminderItem, StatusCategory, Task

ISSUES = r"/issues$"


def connect(
    gitlab_server: SandboxServer, token: str = BOT_TOKEN, **overrides: Any
) -> GitLabConnector:
    waits: list[float] = []
    config = gitlab_source(gitlab_server.url, **overrides)
    conn = GitLabConnector(config, SecretStr(token), policy=RetryPolicy(sleep=waits.append))
    conn.waits = waits  # type: ignore[attr-defined]
    return conn


@pytest.fixture
def conn(gitlab_server: SandboxServer) -> Iterator[GitLabConnector]:
    connector = connect(gitlab_server)
    yield connector
    connector.close()


def act(gitlab_server: SandboxServer, **payload: Any) -> None:
    answer = requests.post(f"{gitlab_server.url}/_sandbox/act", json=payload, timeout=10)
    assert answer.status_code == 200, answer.text


def sync_all(
    conn: GitLabConnector, cursor: dict[str, Any] | None
) -> tuple[list[Task], dict[str, Any]]:
    tasks: list[Task] = []
    last: dict[str, Any] = {}
    for page in conn.sync(cursor):
        tasks += page.tasks
        last = page.cursor
    return tasks, last


def by_key(tasks: list[Task]) -> dict[str, Task]:
    return {t.key: t for t in tasks}


def test_full_sync_maps_issues(conn: GitLabConnector) -> None:
    tasks, cursor = sync_all(conn, None)
    found = by_key(tasks)
    assert set(found) == {"agency/shop#1", "agency/shop#2", "agency/shop#3"}
    one = found["agency/shop#1"]
    assert one.project == "agency/shop"
    assert one.url.endswith("/agency/shop/-/issues/1")
    assert one.status == "Doing"
    assert one.status_category is StatusCategory.IN_PROGRESS
    assert [a.username for a in one.assignees] == ["d.kovalev", "p.nair"]
    assert one.reporter is not None
    assert one.reporter.username == "o.smirnova"
    assert one.priority == "High"
    assert one.issue_type == "Design"
    assert one.components == ("Рассылки",)
    assert one.labels == ("email",)  # "Doing" is the status
    assert str(one.due) == "2026-11-27"
    assert one.description_format == "markdown"
    goal = one.section("goal")
    assert goal is not None
    assert "15 %" in goal.text
    assert one.start == datetime(2026, 11, 17, 8, 0, tzinfo=UTC)
    # comments: oldest first, the internal note included, the bot's note recognised
    assert [c.body for c in one.comments][:2] == [
        "Чекпоинт: первая версия макета готова.",
        "Внутреннее: клиент торопит.",
    ]
    assert [c.is_bot for c in one.comments] == [False, False, True]
    done = found["agency/shop#3"]
    assert done.status_category is StatusCategory.DONE
    assert done.resolved == datetime(2026, 11, 12, 15, 0, tzinfo=UTC)
    assert found["agency/shop#2"].start is None
    assert found["agency/shop#2"].status_category is StatusCategory.NEW
    assert cursor["updated_after"]


def test_steady_state_costs_one_list_request(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    _, cursor = sync_all(conn, None)
    gitlab_server.log.clear()
    tasks, again = sync_all(conn, cursor)
    assert tasks == []
    assert again == cursor
    assert [(e.method, e.path) for e in settled_log(gitlab_server)] == [
        ("GET", "/api/v4/projects/agency/shop/issues")
    ]
    query = parse_qs(settled_log(gitlab_server)[0].query)
    assert query["per_page"] == ["100"]
    assert "page" not in query  # never iterator=True with page= (python-gitlab 8.6.0 loops)
    assert query["order_by"] == ["updated_at"]
    assert query["updated_after"] == [cursor["updated_after"]]


def test_incremental_sync_returns_changed_issue_with_its_notes_only(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    _, cursor = sync_all(conn, None)
    act(gitlab_server, action="comment", task="SHOP-2", author="dev", body="Status: half done")
    gitlab_server.log.clear()
    pages = list(conn.sync(cursor))
    tasks = [t for p in pages for t in p.tasks]
    assert [t.key for t in tasks] == ["agency/shop#2"]
    assert tasks[0].comments[-1].body == "Status: half done"
    assert tasks[0].comments[-1].author.username == "p.nair"
    paths = [e.path for e in settled_log(gitlab_server)]
    assert paths.count("/api/v4/projects/agency/shop/issues") == 1
    assert all("/issues/2/" in p for p in paths if p != "/api/v4/projects/agency/shop/issues")
    assert sum(p.requests for p in pages) == len(paths)
    notes = next(e for e in settled_log(gitlab_server) if e.path.endswith("/notes"))
    assert parse_qs(notes.query)["sort"] == ["asc"]  # GitLab's default is newest first
    assert parse_qs(notes.query)["order_by"] == ["created_at"]
    _, after = sync_all(conn, pages[-1].cursor)
    assert after == pages[-1].cursor


def test_bot_notes_bump_updated_at_but_are_bot_comments(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    _, cursor = sync_all(conn, None)
    reminder = Reminder(marker="SHOP-2:due", intro="Please set a due date.", items=())
    conn.post_reminder("agency/shop#2", reminder)
    tasks, _ = sync_all(conn, cursor)
    assert [t.key for t in tasks] == ["agency/shop#2"]  # our own note changed updated_at
    assert tasks[0].comments[-1].is_bot


def test_system_notes_are_activity_not_comments(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    act(
        gitlab_server,
        action="update",
        task="SHOP-2",
        **{"as": "am"},
        fields={"due": "2026-12-10", "title": "Аудит сайта v2"},
    )
    act(gitlab_server, action="transition", task="SHOP-2", **{"as": "dev"}, status="in_progress")
    task = conn.fetch_task("agency/shop#2")
    assert task is not None
    assert task.comments == ()
    fields = [(a.field, a.author.username if a.author else None) for a in task.activity]
    assert ("due", "o.smirnova") in fields
    assert ("title", "o.smirnova") in fields
    assert ("labels", "p.nair") in fields
    assert not any(a.is_bot for a in task.activity)
    assert task.status_category is StatusCategory.IN_PROGRESS
    assert task.start is not None
    assert task.start == max(a.at for a in task.activity)


def test_reopen_starts_a_new_spell(gitlab_server: SandboxServer, conn: GitLabConnector) -> None:
    before = conn.fetch_task("agency/shop#3")
    assert before is not None
    assert before.start == datetime(2026, 11, 11, 7, 0, tzinfo=UTC)
    act(gitlab_server, action="transition", task="SHOP-3", **{"as": "am"}, status="in_progress")
    after = conn.fetch_task("agency/shop#3")
    assert after is not None
    assert after.status_category is StatusCategory.IN_PROGRESS
    assert after.start is not None
    assert after.start > before.start
    assert after.start.year == datetime.now(UTC).year
    assert after.resolved is None


def test_custom_doing_labels(gitlab_server: SandboxServer) -> None:
    conn = connect(gitlab_server, doing_labels=["In work"])
    try:
        task = conn.fetch_task("agency/shop#1")
        assert task is not None
        assert task.status_category is StatusCategory.NEW  # "Doing" is not configured
        assert task.start is None
    finally:
        conn.close()


def test_group_scope(gitlab_server: SandboxServer) -> None:
    conn = connect(gitlab_server, project=None, group="agency")
    try:
        tasks, cursor = sync_all(conn, None)
        assert {t.key for t in tasks} == {
            "agency/shop#1",
            "agency/shop#2",
            "agency/shop#3",
            "agency/nova#7",
        }
        nova = by_key(tasks)["agency/nova#7"]
        assert nova.comments[0].body == "Client sent the brand book."
        gitlab_server.log.clear()
        assert sync_all(conn, cursor)[0] == []
        assert [e.path for e in settled_log(gitlab_server)] == ["/api/v4/groups/agency/issues"]
    finally:
        conn.close()


def test_fetch_task_scope_and_missing(conn: GitLabConnector) -> None:
    assert conn.fetch_task("agency/nova#7") is None  # another project: out of scope
    assert conn.fetch_task("agency/shop#99") is None
    with pytest.raises(FatalError, match="not a GitLab task key"):
        conn.fetch_task("SHOP-1")


def test_post_reminder_renders_mention_marker_and_escapes_quick_actions(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    reminder = Reminder(
        marker="SHOP-2:sections",
        intro="This task needs a brief.",
        items=(
            ReminderItem(
                "/close the gaps: add a Goal",
                ("/label ~hacked", "  /assign @o.smirnova", "Fill in <!-- this -->"),
            ),
        ),
        mention=Person(id="104", name="Priya Nair", username="p.nair"),
        outro="/reopen",
    )
    note_id = conn.post_reminder("agency/shop#2", reminder)
    state: GitLabState = gitlab_server.app.state.gitlab  # type: ignore[attr-defined]
    issue = state.issues[(state.project("agency/shop").id, 2)]  # type: ignore[union-attr]
    note = next(n for n in issue.notes if str(n.id) == note_id)
    lines = note.body.splitlines()
    assert lines[0] == "@p.nair This task needs a brief."
    assert not any(line.lstrip().startswith("/") for line in lines)
    assert "\\/label ~hacked" in note.body
    assert note.body.endswith("<!-- syncd:SHOP-2:sections -->")
    assert note.body.count("<!--") == 1
    assert issue.state == "opened"
    assert "hacked" not in issue.labels
    assert issue.assignee_ids == [state.users_by_seed["dev"].id]


def test_post_is_idempotent_by_marker(gitlab_server: SandboxServer, conn: GitLabConnector) -> None:
    reminder = Reminder(marker="SHOP-2:overdue", intro="Overdue.", items=())
    first = conn.post_reminder("agency/shop#2", reminder)
    assert conn.find_marker("agency/shop#2", "SHOP-2:overdue") == first
    assert count_requests(gitlab_server, "POST", r"/notes$") == 1
    assert conn.find_marker("agency/shop#2", "SHOP-2:other") is None


def test_marker_in_a_human_note_is_not_ours(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    act(
        gitlab_server,
        action="comment",
        task="SHOP-2",
        author="am",
        body="copied <!-- syncd:SHOP-2:x -->",
    )
    assert conn.find_marker("agency/shop#2", "SHOP-2:x") is None


def test_202_no_note_answer_is_an_error_not_a_crash(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    gitlab_server.faults.add(
        kind="status",
        method="POST",
        path=r"/notes$",
        status=202,
        body={"commands_changes": {}, "summary": ["Closed this issue."]},
    )
    with pytest.raises(FatalError, match="no note") as err:
        conn.post_reminder("agency/shop#2", Reminder(marker="m1", intro="x", items=()))
    assert err.value.status == 202


def test_client_side_note_budget(gitlab_server: SandboxServer) -> None:
    conn = connect(gitlab_server, notes_per_minute=2)
    try:
        for i in range(2):
            conn.post_reminder("agency/shop#2", Reminder(marker=f"b{i}", intro="x", items=()))
        with pytest.raises(RateLimitedError) as err:
            conn.post_reminder("agency/shop#2", Reminder(marker="b2", intro="x", items=()))
        assert 0 < err.value.retry_after <= 60
        assert count_requests(gitlab_server, "POST", r"/notes$") == 2
    finally:
        conn.close()


def test_headerless_429_on_note_creation() -> None:
    with serve_gitlab(scenario_seed(), notes_per_minute=1) as gitlab_server:
        conn = connect(gitlab_server)  # its own budget (60) is above the server's (1)
        try:
            conn.post_reminder("agency/shop#2", Reminder(marker="h1", intro="x", items=()))
            with pytest.raises(RateLimitedError) as err:
                conn.post_reminder("agency/shop#2", Reminder(marker="h2", intro="x", items=()))
            assert err.value.retry_after == 60
            assert err.value.status == 429
            assert count_requests(gitlab_server, "POST", r"/notes$") == 2  # never re-sent by anyone
            assert conn.waits == []  # type: ignore[attr-defined]
        finally:
            conn.close()


def test_set_labels(gitlab_server: SandboxServer, conn: GitLabConnector) -> None:
    conn.set_labels("agency/shop#2", ("syncd::attention",), ())
    task = conn.fetch_task("agency/shop#2")
    assert task is not None
    assert "syncd::attention" in task.labels
    conn.set_labels("agency/shop#2", (), ("syncd::attention",))
    task = conn.fetch_task("agency/shop#2")
    assert task is not None
    assert "syncd::attention" not in task.labels
    assert any(a.field == "labels" and a.is_bot for a in task.activity)


def test_bot_and_doctor(gitlab_server: SandboxServer, conn: GitLabConnector) -> None:
    assert conn.bot().username == "syncd-bot"
    checks = {c.name: c for c in conn.doctor()}
    assert [c.name for c in checks.values()] == ["version", "auth", "scope", "notes"]
    assert all(c.ok for c in checks.values()), checks
    assert "18.6" in checks["version"].detail
    assert "bot user" in checks["auth"].detail
    assert "api" in checks["auth"].detail
    human = connect(gitlab_server, token=HUMAN_TOKEN, project="agency/missing")
    try:
        checks = {c.name: c for c in human.doctor()}
        assert "personal access token" in checks["auth"].detail
        assert checks["scope"].ok is False
        assert "notes" not in checks
    finally:
        human.close()


def test_wrong_token(gitlab_server: SandboxServer) -> None:
    conn = connect(gitlab_server, token="nope")
    try:
        with pytest.raises(AuthError) as err:
            list(conn.sync(None))
        assert err.value.status == 401
        assert "nope" not in str(err.value)
        checks = conn.doctor()
        assert [(c.name, c.ok) for c in checks] == [("version", False)]
    finally:
        conn.close()


@pytest.mark.parametrize("keyset", [True, False], ids=["keyset", "offset"])
def test_issues_changing_while_paging_are_neither_lost_nor_doubled(keyset: bool) -> None:
    with serve_gitlab(generated_seed(250), keyset_issues=keyset) as gitlab_server:
        conn = connect(gitlab_server, project="agency/bulk")
        state: GitLabState = gitlab_server.app.state.gitlab  # type: ignore[attr-defined]
        project = state.project("agency/bulk")
        assert project is not None
        fired: list[str] = []

        def change_during_paging(response: requests.Response, *args: Any, **kwargs: Any) -> None:
            if response.url.split("?")[0].endswith("/issues") and not fired:
                fired.append(response.url)
                with state.lock:  # a person comments on an unread (#10) and a read (#200) issue
                    for iid in (10, 200):
                        create_note(
                            state,
                            state.issues[(project.id, iid)],
                            state.users_by_seed["am"],
                            "moved",
                        )

        conn.session.hooks["response"].append(change_during_paging)
        try:
            first, cursor = sync_all(conn, None)
            keys = [t.key for t in first]
            assert fired
            assert len(keys) == len(set(keys)), "a task came twice in one pass"
            second, _ = sync_all(conn, cursor)
            lists = [e.query for e in settled_log(gitlab_server) if e.path.endswith("/bulk/issues")]
        finally:
            conn.close()
    assert len(lists) == 3 + 1  # 250 issues in pages of 100, then the second sync
    assert ("cursor=" in lists[1]) is keyset  # keyset where GitLab offers it
    seen = set(keys) | {t.key for t in second}
    assert seen == {f"agency/bulk#{i}" for i in range(1, 251)}  # nothing skipped
    assert {"agency/bulk#10", "agency/bulk#200"} <= {t.key for t in second}
    latest = {t.key: t for t in second}
    assert latest["agency/bulk#10"].comments[-1].body == "moved"


def test_paging_limits_keyset_beyond_offset_50000_and_no_totals_above_10000() -> None:
    # the limits lowered to 100: a keyset-capable project refuses offsets past them, and
    # above the count limit GitLab sends no totals; the connector needs neither
    with serve_gitlab(generated_seed(250), count_limit=100, max_offset=100) as gitlab_server:
        project = connect(gitlab_server, project="agency/bulk")
        group = connect(gitlab_server, project=None, group="agency")
        try:
            assert len(sync_all(project, None)[0]) == 250
            assert len(sync_all(group, None)[0]) == 250  # offsets (groups have no keyset)
        finally:
            project.close()
            group.close()
        with gitlab.Gitlab(gitlab_server.url, private_token=BOT_TOKEN) as raw:
            bulk = raw.projects.get("agency/bulk", lazy=True)
            listing = bulk.issues.list(iterator=True, per_page=100)
            assert len(listing) == 0  # python-gitlab's len() without X-Total
            with pytest.raises(gitlab.GitlabHttpError) as err:
                list(listing)  # offset paging past the limit
            assert err.value.response_code == 405


def test_keyset_refused_with_405_falls_back_to_offsets(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    gitlab_server.faults.add(
        kind="status",
        method="GET",
        path=r"/shop/issues$",
        status=405,
        body={"message": "405 Method Not Allowed"},
    )
    tasks, _ = sync_all(conn, None)
    assert len(tasks) == 3
    queries = [
        parse_qs(e.query) for e in settled_log(gitlab_server) if e.path.endswith("/shop/issues")
    ]
    assert queries[0]["pagination"] == ["keyset"]
    assert "pagination" not in queries[1]
    sync_all(conn, None)  # remembered: no second attempt at keyset
    queries = [
        parse_qs(e.query) for e in settled_log(gitlab_server) if e.path.endswith("/shop/issues")
    ]
    assert "pagination" not in queries[2]


def test_all_notes_despite_short_pages(gitlab_server: SandboxServer, conn: GitLabConnector) -> None:
    state: GitLabState = gitlab_server.app.state.gitlab  # type: ignore[attr-defined]
    with state.lock:
        issue = state.issues[(state.project("agency/shop").id, 2)]  # type: ignore[union-attr]
        author = state.users_by_seed["am"]
        for i in range(150):
            create_note(state, issue, author, f"note {i}")
        hidden = issue.notes[3]
        hidden.hidden = True  # unreadable: GitLab drops it after paging, the page comes short
    task = conn.fetch_task("agency/shop#2")
    assert task is not None
    assert len(task.comments) == 149
    assert [c.body for c in task.comments[:4]] == ["note 0", "note 1", "note 2", "note 4"]
    assert task.comments[-1].body == "note 149"
