"""Faults over real HTTP: the sandbox answers 429 (both Retry-After forms), 503, drops the
connection or loses a POST's response. The waits are recorded by an injected sleep."""

from __future__ import annotations

import traceback
from collections.abc import Callable

import pytest

from connectors.http.retry import RetryPolicy
from connectors.jira import JiraConnector
from connectors.sandbox.common.faults import Fault
from connectors.sandbox.common.seed import Seed
from connectors.sandbox.server import SandboxServer
from syncd.core.errors import AuthError, FatalError, RateLimitedError, RetriableError
from syncd.core.models import Reminder, ReminderItem
from tests.connectors.conftest import RecordingSleep, jira_source, logged
from tests.connectors.contract import full_sync

Start = Callable[..., tuple[SandboxServer, Seed]]
Connect = Callable[..., JiraConnector]
SEARCH = r"/search(/jql)?$"

pytestmark = pytest.mark.parametrize("flavour", ["cloud", "dc"])


def test_429_retry_after_seconds_is_waited_exactly(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    sleep = RecordingSleep()
    connector = jira_connector(server, seed, flavour, sleep=sleep)
    connector.context()
    server.faults.add(Fault(kind="status", status=429, path=SEARCH, retry_after=7))
    tasks, _ = full_sync(connector, None)
    assert len(tasks) == len(seed.tasks)
    assert sleep == [7.0]
    statuses = [
        e["status"] for e in logged(server) if e["path"].endswith(("/search/jql", "/search"))
    ]
    assert statuses[:2] == [429, 200]


def test_429_retry_after_http_date_is_never_shortened(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    sleep = RecordingSleep()
    connector = jira_connector(server, seed, flavour, sleep=sleep)
    connector.context()
    server.faults.add(
        Fault(
            kind="status", status=429, path=SEARCH, retry_after=30, retry_after_format="http-date"
        )
    )
    full_sync(connector, None)
    assert len(sleep) == 1
    # An HTTP date has whole seconds: the wait is until that moment, i.e. 29 < wait <= 30.
    assert 29.0 < sleep[0] <= 30.0


def test_503_and_dropped_connection_are_retried(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    sleep = RecordingSleep()
    connector = jira_connector(server, seed, flavour, sleep=sleep)
    connector.context()
    server.faults.add(Fault(kind="status", status=503, path=SEARCH))
    server.faults.add(Fault(kind="drop", path=SEARCH))
    tasks, _ = full_sync(connector, None)
    assert len(tasks) == len(seed.tasks)
    assert len(sleep) == 2  # backoff after the 503 and after the drop
    assert all(0 < s <= 5 for s in sleep)


def test_asking_longer_than_the_cap_raises_rate_limited_without_waiting(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    sleep = RecordingSleep()
    connector = jira_connector(server, seed, flavour, retry=RetryPolicy(sleep=sleep, max_wait=60))
    connector.context()
    server.faults.add(Fault(kind="status", status=429, path=SEARCH, retry_after=600))
    with pytest.raises(RateLimitedError) as caught:
        full_sync(connector, None)
    assert caught.value.retry_after == 600
    assert sleep == []


def test_lost_post_response_is_not_retried_and_find_marker_prevents_a_duplicate(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    sleep = RecordingSleep()
    connector = jira_connector(server, seed, flavour, sleep=sleep)
    target = next(t for t in seed.tasks if t.status != "done")
    reminder = Reminder(marker="lost-1", intro="please check", items=(ReminderItem(title="x"),))
    server.faults.add(Fault(kind="lost_response", method="POST", path=r"/comment$"))
    with pytest.raises(RetriableError):
        connector.post_reminder(target.key, reminder)
    posts = [e for e in logged(server) if e["method"] == "POST" and e["path"].endswith("/comment")]
    assert len(posts) == 1, "a POST must never be retried blindly"
    assert sleep == []
    # What the daemon does next: look for the marker before posting again.
    found = connector.find_marker(target.key, "lost-1")
    assert found is not None
    task = connector.fetch_task(target.key)
    assert task is not None
    assert sum(1 for c in task.comments if c.id == found) == 1
    assert len(task.comments) == len(target.comments) + 1


def test_503_on_post_is_not_retried(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    sleep = RecordingSleep()
    connector = jira_connector(server, seed, flavour, sleep=sleep)
    target = next(t for t in seed.tasks if t.status != "done")
    server.faults.add(
        Fault(kind="status", status=503, method="POST", path=r"/comment$", retry_after=1)
    )
    with pytest.raises(RetriableError):
        connector.post_reminder(target.key, Reminder(marker="m503", intro="x", items=()))
    assert sleep == []
    assert connector.find_marker(target.key, "m503") is None


def test_slow_answer_hits_the_read_timeout_and_is_retried(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    sleep = RecordingSleep()
    connector = jira_connector(server, seed, flavour, sleep=sleep, timeout=(5.0, 0.3))
    connector.context()
    server.faults.add(Fault(kind="delay", path=SEARCH, seconds=1.0))
    tasks, _ = full_sync(connector, None)
    assert len(tasks) == len(seed.tasks)
    assert server.faults.pending() == []  # the held search answer timed out…
    # …and was retried: at least that once (a loaded machine may time out another answer
    # at 0.3 s too, so the count is not exact).
    assert len(sleep) >= 1


def test_wrong_token_is_an_auth_error_without_the_token(flavour: str, jira_sandbox: Start) -> None:
    from pydantic import SecretStr

    server, seed = jira_sandbox(flavour)
    config, _ = jira_source(server.url, seed, flavour)
    secret = "wrong-token-SHOULD-NOT-LEAK"
    connector = JiraConnector(config, SecretStr(secret), retry=RetryPolicy(sleep=RecordingSleep()))
    try:
        with pytest.raises(AuthError) as caught:
            connector.bot()
    finally:
        connector.close()
    assert caught.value.status == 401
    rendered = "".join(traceback.format_exception(caught.value))
    assert secret not in rendered
    assert "Authorization" not in rendered


def test_invalid_jql_is_fatal_and_says_why(
    flavour: str, jira_sandbox: Start, jira_connector: Connect
) -> None:
    server, seed = jira_sandbox(flavour)
    connector = jira_connector(server, seed, flavour, source={"scope": {"jql": "projekt = SHOP"}})
    with pytest.raises(FatalError) as caught:
        full_sync(connector, None)
    assert caught.value.status == 400
    assert "search" in str(caught.value)
