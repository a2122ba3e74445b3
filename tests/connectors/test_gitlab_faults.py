"""The GitLab connector under injected faults, over real HTTP with the real python-gitlab:
429 with ``Retry-After`` in seconds and as an HTTP date (waits never shorter than asked),
503, dropped connections, a POST whose answer is lost (no duplicate note), and proof that
python-gitlab's own retries are off (one retry layer)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from pydantic import SecretStr

from connectors.gitlab import GitLabConnector
from connectors.http.retry import RetryPolicy
from connectors.sandbox.gitlab.fixtures import (
    BOT_TOKEN,
    count_requests,
    gitlab_source,
)
from connectors.sandbox.gitlab.state import GitLabState
from connectors.sandbox.server import SandboxServer
from syncd.core.errors import RateLimitedError, RetriableError
from syncd.core.models import Reminder

LIST = r"^/api/v4/projects/agency/shop/issues$"
NOTES = r"/issues/2/notes$"


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def conn(gitlab_server: SandboxServer, waits: list[float]) -> Iterator[GitLabConnector]:
    policy = RetryPolicy(sleep=waits.append, max_attempts=4)
    connector = GitLabConnector(
        gitlab_source(gitlab_server.url), SecretStr(BOT_TOKEN), retry=policy, timeout=(2.0, 2.0)
    )
    yield connector
    connector.close()


def full_sync(conn: GitLabConnector) -> set[str]:
    return {t.key for page in conn.sync(None) for t in page.tasks}


def notes_on_shop_2(gitlab_server: SandboxServer) -> list[str]:
    state: GitLabState = gitlab_server.app.state.gitlab  # type: ignore[attr-defined]
    project = state.project("agency/shop")
    assert project is not None
    return [n.body for n in state.issues[(project.id, 2)].notes]


def test_429_retry_after_seconds_is_honoured(
    gitlab_server: SandboxServer, conn: GitLabConnector, waits: list[float]
) -> None:
    gitlab_server.faults.add(
        kind="status", method="GET", path=LIST, status=429, retry_after=7,
        headers={"RateLimit-Limit": "2000", "RateLimit-Remaining": "0"},
        body={"message": "Retry later"},
    )  # fmt: skip
    assert len(full_sync(conn)) == 3
    assert waits == [7.0]
    assert count_requests(gitlab_server, "GET", LIST) == 2


def test_429_retry_after_http_date_is_honoured(
    gitlab_server: SandboxServer, conn: GitLabConnector, waits: list[float]
) -> None:
    gitlab_server.faults.add(
        kind="status",
        method="GET",
        path=LIST,
        status=429,
        retry_after=30,
        retry_after_format="http-date",
    )
    assert len(full_sync(conn)) == 3
    assert len(waits) == 1
    assert 28.0 <= waits[0] <= 31.0  # an HTTP date has whole seconds; python-gitlab would crash


def test_429_asking_too_long_becomes_rate_limited_error(
    gitlab_server: SandboxServer, conn: GitLabConnector, waits: list[float]
) -> None:
    gitlab_server.faults.add(kind="status", method="GET", path=LIST, status=429, retry_after=900)
    with pytest.raises(RateLimitedError) as err:
        full_sync(conn)
    assert err.value.retry_after >= 899
    assert waits == []  # never waits less than asked: gives the wait back to the daemon


def test_503_and_dropped_connections_are_retried(
    gitlab_server: SandboxServer, conn: GitLabConnector, waits: list[float]
) -> None:
    conn.graphql_notes = False  # the REST notes read is the one retried here
    gitlab_server.faults.add(kind="status", method="GET", path=LIST, status=503)
    gitlab_server.faults.add(kind="drop", method="GET", path=r"/issues/1/notes$")
    assert len(full_sync(conn)) == 3
    assert len(waits) == 2


def test_persistent_503_ends_in_retriable_error(
    gitlab_server: SandboxServer, conn: GitLabConnector, waits: list[float]
) -> None:
    gitlab_server.faults.add(kind="status", method="GET", path=LIST, status=503, times=None)
    with pytest.raises(RetriableError) as err:
        full_sync(conn)
    assert err.value.status == 503
    assert count_requests(gitlab_server, "GET", LIST) == 4  # max_attempts of our one policy


def test_slow_answer_times_out_as_retriable(
    gitlab_server: SandboxServer, waits: list[float]
) -> None:
    policy = RetryPolicy(sleep=waits.append, max_attempts=2)
    conn = GitLabConnector(
        gitlab_source(gitlab_server.url), SecretStr(BOT_TOKEN), retry=policy, timeout=(0.3, 0.3)
    )
    gitlab_server.faults.add(kind="delay", method="GET", path=LIST, seconds=0.6, times=2)
    try:
        with pytest.raises(RetriableError, match="timed out"):
            full_sync(conn)
        assert len(waits) == 1
    finally:
        conn.close()


def test_lost_post_response_never_duplicates_the_note(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    reminder = Reminder(marker="SHOP-2:lost", intro="Please add a goal.", items=())
    gitlab_server.faults.add(kind="lost_response", method="POST", path=NOTES)
    with pytest.raises(RetriableError):
        conn.post_reminder("agency/shop#2", reminder)
    assert count_requests(gitlab_server, "POST", NOTES) == 1  # the POST itself is never re-sent
    found = conn.find_marker("agency/shop#2", "SHOP-2:lost")
    assert found is not None
    assert count_requests(gitlab_server, "POST", NOTES) == 1  # the caller found it: no second post
    assert sum("syncd:SHOP-2:lost" in body for body in notes_on_shop_2(gitlab_server)) == 1


def test_429_on_note_post_is_not_resent_by_python_gitlab(
    gitlab_server: SandboxServer, conn: GitLabConnector, waits: list[float]
) -> None:
    gitlab_server.faults.add(kind="status", method="POST", path=NOTES, status=429, retry_after=1)
    with pytest.raises(RateLimitedError) as err:
        conn.post_reminder("agency/shop#2", Reminder(marker="SHOP-2:r", intro="x", items=()))
    assert err.value.retry_after == 1
    assert count_requests(gitlab_server, "POST", NOTES) == 1
    assert waits == []
    conn.post_reminder("agency/shop#2", Reminder(marker="SHOP-2:r", intro="x", items=()))
    assert sum("syncd:SHOP-2:r " in body for body in notes_on_shop_2(gitlab_server)) == 1


def test_dropped_post_is_retriable_and_not_resent(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    gitlab_server.faults.add(kind="drop", method="POST", path=NOTES)
    with pytest.raises(RetriableError, match="connection"):
        conn.post_reminder("agency/shop#2", Reminder(marker="SHOP-2:d", intro="x", items=()))
    assert count_requests(gitlab_server, "POST", NOTES) == 1
    assert conn.find_marker("agency/shop#2", "SHOP-2:d") is None  # dropped before the write


def test_429_with_only_ratelimit_reset_waits_until_the_reset(
    gitlab_server: SandboxServer, conn: GitLabConnector, waits: list[float]
) -> None:
    reset = int(time.time()) + 20
    gitlab_server.faults.add(
        kind="status", method="GET", path=LIST, status=429, headers={"RateLimit-Reset": str(reset)}
    )
    assert len(full_sync(conn)) == 3
    assert len(waits) == 1
    assert 18.0 <= waits[0] <= 21.0


def test_a_malformed_issue_is_skipped_and_the_others_served(
    gitlab_server: SandboxServer, conn: GitLabConnector
) -> None:
    good = requests.get(
        f"{gitlab_server.url}/api/v4/projects/agency%2Fshop/issues/2",
        headers={"PRIVATE-TOKEN": BOT_TOKEN},
        timeout=10,
    ).json()
    broken = {**good, "id": 999, "iid": 99, "created_at": "not a date"}
    no_stamp = {"id": 998, "iid": 98}
    gitlab_server.faults.add(
        kind="status", method="GET", path=LIST, status=200, body=[no_stamp, broken, good]
    )
    tasks = [t for page in conn.sync(None) for t in page.tasks]
    assert [t.key for t in tasks] == ["agency/shop#2"]
