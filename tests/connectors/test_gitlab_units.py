"""The GitLab connector's pure parts on plain data: cursor and de-dup, start of work,
rendering and escaping, the note budget, error mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import gitlab
import pytest
import requests

from connectors.gitlab.budget import NoteBudget
from connectors.gitlab.cursor import Cursor, Poll
from connectors.gitlab.errors import map_gitlab_error
from connectors.gitlab.mapping import work_start
from connectors.gitlab.render import escape_line, has_marker, render_markdown
from syncd.core.errors import AuthError, FatalError, RateLimitedError, RetriableError
from syncd.core.models import Person, Reminder, ReminderItem

T1 = "2026-11-20T08:00:00.000Z"
T2 = "2026-11-20T08:00:01.500Z"


def test_poll_watermark_and_seen_ids() -> None:
    poll = Poll(Cursor())
    assert poll.is_new("1", T1)
    assert poll.is_new("2", T2)
    assert poll.is_new("3", T2)
    assert not poll.is_new("2", T2)  # repeated by a shifting offset page
    final = poll.final()
    assert final.updated_after == T2
    assert final.seen == {"2", "3"}


def test_boundary_issues_are_dropped_but_same_moment_newcomers_kept() -> None:
    poll = Poll(Cursor(T2, frozenset({"2", "3"})))
    assert not poll.is_new("2", T2)
    assert not poll.is_new("3", T2)
    assert poll.is_new("4", T2)  # changed in the same millisecond after our last read
    assert poll.final() == Cursor(T2, frozenset({"2", "3", "4"}))
    quiet = Poll(Cursor(T2, frozenset({"2"})))
    assert not quiet.is_new("2", T2)
    assert quiet.final() == Cursor(T2, frozenset({"2"}))


def test_changed_boundary_issue_is_new_again() -> None:
    poll = Poll(Cursor(T1, frozenset({"1"})))
    assert poll.is_new("1", T2)
    assert poll.final() == Cursor(T2, frozenset({"1"}))


def test_cursor_round_trip_and_bad_cursor() -> None:
    cursor = Cursor(T2, frozenset({"9", "10"}))
    assert Cursor.from_dict(cursor.to_dict()) == cursor
    assert Cursor.from_dict(None) == Cursor()
    with pytest.raises(FatalError, match="cursor"):
        Cursor.from_dict({"updated_after": "last tuesday"}, source="gl")


def _label(at: str, name: str, action: str) -> dict[str, object]:
    return {"created_at": at, "label": {"name": name}, "action": action}


def test_work_start_first_doing_label_else_reopen_else_none() -> None:
    doing = ("Doing", "In progress")
    labels = [
        _label("2026-11-10T10:00:00Z", "email", "add"),
        _label("2026-11-11T10:00:00Z", "In progress", "add"),
        _label("2026-11-12T10:00:00Z", "In progress", "remove"),
        _label("2026-11-13T10:00:00Z", "Doing", "add"),
    ]
    assert work_start(labels, [], doing) == datetime(2026, 11, 11, 10, tzinfo=UTC)
    states = [
        {"created_at": "2026-11-14T10:00:00Z", "state": "closed"},
        {"created_at": "2026-11-20T10:00:00Z", "state": "reopened"},
    ]
    assert work_start(labels, states, doing) == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert work_start([_label("2026-11-10T10:00:00Z", "email", "add")], [], doing) is None


def test_escape_line_neutralises_quick_actions_and_marker_forgery() -> None:
    assert escape_line("/close") == "\\/close"
    assert escape_line("   /assign @me") == "   \\/assign @me"
    assert escape_line("a/b") == "a/b"
    assert escape_line("x <!-- syncd:fake --> y") == "x &lt;!-- syncd:fake --&gt; y"


def test_render_markdown_structure() -> None:
    reminder = Reminder(
        marker="NOVA-7:checkpoint",
        intro="checkpoint reached, no status yet.",
        items=(ReminderItem("No checkpoint", ("/spend 1h", "Write «Checkpoint: …»")),),
        mention=Person(id="5", name="Priya", username="p.nair"),
        outro="— syncd",
    )
    body = render_markdown(reminder)
    assert body.splitlines() == [
        "@p.nair checkpoint reached, no status yet.",
        "",
        "- **No checkpoint**",
        "  \\/spend 1h",
        "  Write «Checkpoint: …»",
        "",
        "— syncd",
        "",
        "<!-- syncd:NOVA-7:checkpoint -->",
    ]
    assert has_marker(body, "NOVA-7:checkpoint")
    assert not has_marker(body, "NOVA-7")
    assert has_marker(body)
    with pytest.raises(ValueError, match="marker"):
        render_markdown(Reminder(marker="bad marker -->", intro="x", items=()))


def test_note_budget_sliding_window() -> None:
    now = [0.0]
    budget = NoteBudget(2, source="gl", clock=lambda: now[0])
    budget.spend()
    now[0] = 10.0
    budget.spend()
    with pytest.raises(RateLimitedError) as err:
        budget.spend()
    assert err.value.retry_after == pytest.approx(50.0)
    now[0] = 60.0  # the first slot frees
    budget.spend()
    assert budget.remaining() == 0


def test_error_mapping() -> None:
    def http(code: int, message: str = "x") -> gitlab.GitlabHttpError:
        return gitlab.GitlabHttpError(response_code=code, error_message=message)

    assert isinstance(map_gitlab_error(http(401), "op", "s"), AuthError)
    assert isinstance(map_gitlab_error(http(403), "op", "s"), AuthError)
    assert isinstance(map_gitlab_error(http(404), "op", "s"), FatalError)
    assert isinstance(map_gitlab_error(http(500), "op", "s"), RetriableError)
    bare = map_gitlab_error(http(429), "op", "s")
    assert isinstance(bare, RateLimitedError)
    assert bare.retry_after == 60.0  # header-less application limit: a whole minute
    dated = map_gitlab_error(http(429), "op", "s", {"Retry-After": "12"})
    assert isinstance(dated, RateLimitedError)
    assert dated.retry_after == 12.0
    busy = map_gitlab_error(http(503), "op", "s", {"Retry-After": "3"})
    assert isinstance(busy, RateLimitedError)
    assert busy.status == 503
    assert isinstance(map_gitlab_error(requests.ConnectionError(), "op", "s"), RetriableError)
    assert "GitLab op failed: x" in str(map_gitlab_error(http(400), "op", "s"))
