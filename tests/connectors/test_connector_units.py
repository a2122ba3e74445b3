"""Shared connector pieces on plain data: the start-of-spell rule both trackers agree on,
timestamp parsing, the retry list, JQL ORDER BY stripping, URL errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from connectors.gitlab.mapping import work_start
from connectors.http.reread_keys import MAX_ATTEMPTS, MAX_KEYS, RetryKeys
from connectors.http.status_errors import error_for_transport
from connectors.http.timestamps import parse_timestamp
from connectors.jira.history import start_of
from connectors.jira.search import incremental_jql, strip_order_by
from syncd.core.errors import FatalError, RetriableError
from tests.connectors.test_jira_mapping import ctx, status_move

DOING = ("Doing",)


def day(n: int) -> datetime:
    return datetime(2026, 11, n, 10, tzinfo=UTC)


def jira(n: int, frm: str, to: str) -> dict[str, Any]:
    return status_move(f"2026-11-{n:02d}T10:00:00.000+0000", frm, to)


def label(n: int, action: str, name: str = "Doing") -> dict[str, Any]:
    return {
        "id": n,
        "created_at": f"2026-11-{n:02d}T10:00:00Z",
        "label": {"name": name},
        "action": action,
    }


def state(n: int, what: str) -> dict[str, Any]:
    return {"id": n, "created_at": f"2026-11-{n:02d}T10:00:00Z", "state": what}


def test_reopened_then_doing_later_starts_when_doing_begins_on_both_trackers() -> None:
    # Worked 10th–14th, done on the 14th, reopened on the 20th, Doing again on the 25th.
    histories = [
        jira(10, "To Do", "In Progress"),
        jira(14, "In Progress", "Done"),
        jira(20, "Done", "To Do"),
        jira(25, "To Do", "In Progress"),
    ]
    assert start_of(histories, ctx(True)) == day(25)
    labels = [label(10, "add"), label(14, "remove"), label(25, "add")]
    states = [state(14, "closed"), state(20, "reopened")]
    assert work_start(labels, states, DOING) == day(25)


def test_reopened_and_never_doing_again_has_no_start_on_both_trackers() -> None:
    histories = [jira(10, "To Do", "In Progress"), jira(14, "In Progress", "Done")]
    histories.append(jira(20, "Done", "To Do"))
    assert start_of(histories, ctx(True)) is None
    labels = [label(10, "add"), label(14, "remove")]
    states = [state(14, "closed"), state(20, "reopened")]
    assert work_start(labels, states, DOING) is None


def test_reopened_straight_into_doing_starts_at_the_reopen_on_both_trackers() -> None:
    histories = [jira(10, "To Do", "In Progress"), jira(14, "In Progress", "Done")]
    histories.append(jira(20, "Done", "In Progress"))
    assert start_of(histories, ctx(True)) == day(20)
    # GitLab: closed with Doing still on, so the reopen is straight back into Doing.
    labels = [label(10, "add"), label(12, "add", "email")]
    assert work_start(labels, [state(14, "closed"), state(20, "reopened")], DOING) == day(20)


def test_never_reopened_starts_at_the_first_doing_on_both_trackers() -> None:
    histories = [jira(10, "To Do", "In Progress"), jira(11, "In Progress", "To Do")]
    histories.append(jira(12, "To Do", "In Progress"))
    assert start_of(histories, ctx(True)) == day(10)
    labels = [label(10, "add"), label(11, "remove"), label(12, "add")]
    assert work_start(labels, [], DOING) == day(10)
    assert work_start([], [], DOING) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T10:15:30.123+0300", datetime(2026, 11, 20, 7, 15, 30, 123000, tzinfo=UTC)),
        ("2026-11-20T07:15:30.123Z", datetime(2026, 11, 20, 7, 15, 30, 123000, tzinfo=UTC)),
        ("2026-11-20T10:15:30+03:00", datetime(2026, 11, 20, 7, 15, 30, tzinfo=UTC)),
    ],
)
def test_one_timestamp_parser_for_every_tracker(text: str, expected: datetime) -> None:
    assert parse_timestamp(text, "x") == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-11-20T10:15:30", "without offset"), ("yesterday", "unreadable"), (5, "got int")],
)
def test_timestamp_errors_name_the_place(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^issue SHOP-1\.fields\.updated: .*{message}"):
        parse_timestamp(value, "issue SHOP-1.fields.updated")


def test_retry_keys_are_bounded_in_number_and_attempts() -> None:
    keys = RetryKeys()
    for _ in range(MAX_ATTEMPTS):
        assert keys.failed("A-1") is None
    assert keys.failed("A-1") == "A-1"  # given up: its next change brings it back
    assert keys.waiting() == []
    for n in range(MAX_KEYS):
        assert keys.failed(f"K-{n}") is None
    assert keys.failed("K-new") == "K-0"  # the oldest makes room
    assert len(keys.waiting()) == MAX_KEYS
    keys.succeeded("K-new")
    again = RetryKeys.from_json(keys.to_json())
    assert again.pending == keys.pending
    with pytest.raises(ValueError, match=r"retry\[0\]"):
        RetryKeys.from_json([["only-a-key"]])


@pytest.mark.parametrize(
    ("scope", "base"),
    [
        ("project = SHOP ORDER BY created DESC", "project = SHOP"),
        (
            'summary ~ "order by phone" AND project = SHOP',
            'summary ~ "order by phone" AND project = SHOP',
        ),
        ("summary ~ 'sort: order by date' order by key", "summary ~ 'sort: order by date'"),
        ('summary ~ "say \\"order by\\" now"', 'summary ~ "say \\"order by\\" now"'),
        ("labels = reorder", "labels = reorder"),
    ],
)
def test_only_a_trailing_order_by_outside_quotes_is_stripped(scope: str, base: str) -> None:
    assert strip_order_by(scope) == base
    jql = incremental_jql(scope, None, UTC)
    assert jql == f"({base}) ORDER BY updated ASC, key ASC"


@pytest.mark.parametrize(
    ("exc", "problem"),
    [
        (requests.exceptions.InvalidURL("Invalid URL 'http://': No host supplied"), "invalid"),
        (requests.exceptions.MissingSchema("Invalid URL 'x.example'"), "no scheme"),
        (requests.exceptions.InvalidSchema("No connection adapters for 'ftp://u:pw@x'"), "scheme"),
    ],
)
def test_an_unusable_url_is_fatal_and_names_the_problem_not_the_url(
    exc: Exception, problem: str
) -> None:
    error = error_for_transport("Jira", "server info", "acme", exc)
    assert isinstance(error, FatalError)
    assert not isinstance(error, RetriableError)
    assert problem in str(error)
    assert "check the source's url" in str(error)
    assert "pw" not in str(error)
    assert str(exc) not in str(error)  # the library's text quotes the URL


def test_a_refused_connection_stays_retriable() -> None:
    error = error_for_transport("GitLab", "list issues", "g", requests.ConnectionError("refused"))
    assert isinstance(error, RetriableError)


def test_factory_passes_the_policy_overlap_to_jira() -> None:
    from datetime import timedelta

    from config.policy import SourceConfig
    from connectors.factory import create_connector

    source = SourceConfig.model_validate(
        {
            "name": "j",
            "type": "jira",
            "url": "https://jira.example",
            "sync_overlap": "5m",
            "auth": {"kind": "bearer", "secret": "T"},
            "scope": {"jql": "project = SHOP"},
        }
    )
    connector = create_connector(source, {"T": "token"})
    try:
        assert connector.overlap == timedelta(minutes=5)  # type: ignore[attr-defined]
    finally:
        connector.close()
