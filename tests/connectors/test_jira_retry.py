"""The one retry policy (connectors.http.retry), with plain response objects and a recording
sleep: waits are measured, never timed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from connectors.http.retry import RetryPolicy, retry_after_seconds, wait_seconds

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def policy(sleeps: Sleeps, **kw: float) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps, now=lambda: NOW, **kw)  # type: ignore[arg-type]


def script(*answers: Answer | Exception):
    calls: list[int] = []

    def call() -> Answer:
        calls.append(1)
        item = answers[len(calls) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    return call, calls


def test_retry_after_seconds_and_http_date() -> None:
    assert retry_after_seconds({"Retry-After": "7"}, NOW) == 7.0
    assert retry_after_seconds({"retry-after": " 2.5 "}, NOW) == 2.5
    date = format_datetime(NOW + timedelta(seconds=42), usegmt=True)
    assert retry_after_seconds({"Retry-After": date}, NOW) == 42.0
    past = format_datetime(NOW - timedelta(seconds=42), usegmt=True)
    assert retry_after_seconds({"Retry-After": past}, NOW) == 0.0
    assert retry_after_seconds({"Retry-After": "soon"}, NOW) is None
    assert retry_after_seconds({"Retry-After": "nan"}, NOW) is None
    assert retry_after_seconds({}, NOW) is None


def test_wait_is_never_less_than_asked_and_backs_off_without_header() -> None:
    p = RetryPolicy(now=lambda: NOW, backoff_base=1.0, jitter=0.25)
    for attempt in range(1, 6):
        assert wait_seconds(429, {"Retry-After": "9"}, attempt, p) >= 9.0
    first = wait_seconds(503, {}, 1, p)
    third = wait_seconds(503, {}, 3, p)
    assert 1.0 <= first <= 1.25
    assert 4.0 <= third <= 5.0


def test_429_with_seconds_then_success_waits_exactly_what_was_asked() -> None:
    sleeps = Sleeps()
    call, calls = script(
        Answer(429, {"Retry-After": "3"}), Answer(429, {"Retry-After": "5"}), Answer(200)
    )
    result = policy(sleeps).retrying()(call)
    assert result.status_code == 200
    assert sleeps == [3.0, 5.0]
    assert len(calls) == 3


def test_http_date_retry_after_is_honoured() -> None:
    sleeps = Sleeps()
    when = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    call, _ = script(Answer(503, {"Retry-After": when}), Answer(200))
    assert policy(sleeps).retrying()(call).status_code == 200
    assert sleeps == [30.0]


def test_asking_more_than_the_cap_stops_instead_of_waiting_less() -> None:
    sleeps = Sleeps()
    call, calls = script(Answer(429, {"Retry-After": "600"}), Answer(200))
    result = policy(sleeps, max_wait=120).retrying()(call)
    assert result.status_code == 429  # handed back so the caller raises RateLimitedError
    assert sleeps == []
    assert len(calls) == 1


def test_total_deadline_is_respected() -> None:
    sleeps = Sleeps()
    call, calls = script(*[Answer(429, {"Retry-After": "40"})] * 5)
    result = policy(sleeps, deadline=100, max_attempts=10).retrying()(call)
    assert result.status_code == 429
    assert sleeps == [40.0, 40.0]  # a third wait would end past the deadline
    assert len(calls) == 3


def test_non_idempotent_call_is_tried_once() -> None:
    sleeps = Sleeps()
    call, calls = script(Answer(503, {"Retry-After": "1"}), Answer(201))
    assert policy(sleeps).retrying(idempotent=False)(call).status_code == 503
    lost, lost_calls = script(requests.ConnectionError("reset"), Answer(201))
    with pytest.raises(requests.ConnectionError):
        policy(sleeps).retrying(idempotent=False)(lost)
    assert len(calls) == 1
    assert len(lost_calls) == 1
    assert sleeps == []


def test_connection_errors_are_retried_then_reraised() -> None:
    sleeps = Sleeps()
    call, _calls = script(requests.ConnectionError("a"), requests.Timeout("b"), Answer(200))
    assert policy(sleeps).retrying()(call).status_code == 200
    assert len(sleeps) == 2
    failing, failing_calls = script(*[requests.ConnectionError("down")] * 3)
    with pytest.raises(requests.ConnectionError):
        policy(Sleeps(), max_attempts=3).retrying()(failing)
    assert len(failing_calls) == 3


def test_other_statuses_are_not_retried() -> None:
    for status in (400, 401, 404, 500):
        sleeps = Sleeps()
        call, calls = script(Answer(status), Answer(200))
        assert policy(sleeps).retrying()(call).status_code == status
        assert len(calls) == 1


def test_httpx_responses_work_too() -> None:
    import httpx

    sleeps = Sleeps()
    call, _ = script(
        httpx.Response(429, headers={"Retry-After": "2"}),  # type: ignore[arg-type]
        httpx.Response(200),  # type: ignore[arg-type]
    )
    assert policy(sleeps).retrying()(call).status_code == 200
    assert sleeps == [2.0]
