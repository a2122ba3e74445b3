"""The daemon's scheduling with small real runners: isolation, backoff, logging, digests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from syncd.core.clock import FrozenClock
from syncd.core.errors import AuthError, ConfigError, ConfigIssue, RateLimitedError, RetriableError
from syncd.core.models import Finding, Severity
from syncd.daemon import (
    BACKOFF_CAP,
    MAX_PENDING,
    Daemon,
    Wiring,
    backoff_delay,
    digest_outcomes,
)
from syncd.digest.dispatch import SentDigest
from syncd.store import Store
from tests.runtime.support import Gauge, ScriptedRunner, wait_for

Factory = Callable[..., Daemon]


def events(
    logs: list[MutableMapping[str, Any]], name: str, source: str | None = None
) -> list[MutableMapping[str, Any]]:
    return [e for e in logs if e["event"] == name and (source is None or e.get("source") == source)]


def test_failing_and_slow_sources_do_not_block_a_healthy_one(
    daemon_factory: Factory, store: Store
) -> None:
    release = threading.Event()

    def stuck(_call: int) -> None:
        release.wait(60)  # until the end of the test, however loaded the machine is

    broken = ScriptedRunner("broken", 0.05, lambda _n: RetriableError("down", source="broken"))
    slow = ScriptedRunner("slow", 0.05, stuck)
    healthy = ScriptedRunner("healthy", 0.05)
    daemon_factory([broken, slow, healthy])

    try:
        wait_for(lambda: healthy.calls >= 6, timeout=30, what="healthy source to keep polling")
        assert slow.calls == 1  # still inside its first, endless cycle
    finally:
        release.set()
    assert broken.calls >= 2  # retried, not given up
    rows = {r.source: r for r in store.source_rows()}
    assert rows["healthy"].last_success is not None
    assert rows["healthy"].last_error is None
    assert rows["broken"].last_success is None
    assert rows["broken"].last_error == "[broken] down"


def test_parallelism_is_bounded_by_settings(daemon_factory: Factory) -> None:
    gauge = Gauge()
    runners = [ScriptedRunner(f"s{i}", 0.01, delay=0.05, gauge=gauge) for i in range(4)]
    daemon_factory(runners, settings={"max_parallel_sources": 2})
    wait_for(lambda: all(r.calls >= 3 for r in runners), what="every source to poll")
    assert gauge.peak == 2


def test_expected_failures_logged_once_per_streak_and_recovery(daemon_factory: Factory) -> None:
    # cycles 1-4 fail, 5-6 succeed, 7-9 fail (auth), then succeed again
    def script(n: int) -> BaseException | None:
        if n <= 4:
            return RetriableError("timeout", source="flaky")
        if 7 <= n <= 9:
            return AuthError("token rejected", source="flaky", status=401)
        return None

    runner = ScriptedRunner("flaky", 0.02, script)
    with capture_logs() as logs:
        daemon = daemon_factory([runner])
        wait_for(lambda: runner.calls >= 11, what="two failure streaks")
        daemon.stop()
    failing = events(logs, "source.failing", "flaky")
    assert [e["error"] for e in failing] == [
        "[flaky] timeout",
        "[flaky] token rejected (HTTP 401)",
    ]
    assert all(e["log_level"] == "warning" and "exc_info" not in e for e in failing)
    recovered = events(logs, "source.recovered", "flaky")
    assert [e["failed_polls"] for e in recovered] == [4, 3]


def test_unexpected_error_logged_with_traceback_and_retried(daemon_factory: Factory) -> None:
    runner = ScriptedRunner("buggy", 0.02, lambda n: KeyError("boom") if n <= 2 else None)
    with capture_logs() as logs:
        daemon = daemon_factory([runner])
        wait_for(lambda: runner.calls >= 3, what="retries after a bug")
        daemon.stop()
    crashed = events(logs, "cycle.crashed", "buggy")
    assert len(crashed) == 2
    assert all(e["exc_info"] is True and e["log_level"] == "error" for e in crashed)
    assert crashed[0]["error"] == "KeyError: 'boom'"
    assert events(logs, "source.recovered", "buggy")[0]["failed_polls"] == 2


def test_rate_limit_retry_after_is_honoured(daemon_factory: Factory) -> None:
    def script(n: int) -> BaseException | None:
        return RateLimitedError("slow down", retry_after=0.6, source="rl") if n == 1 else None

    runner = ScriptedRunner("rl", 0.01, script)
    daemon_factory([runner])
    wait_for(lambda: runner.calls >= 2, what="the retry")
    assert runner.call_times[1] - runner.call_times[0] >= 0.6


def test_backoff_grows_is_capped_and_respects_retry_after() -> None:
    delays = [backoff_delay(60, n) for n in range(1, 10)]
    assert 5.4 <= delays[0] <= 6.6  # a tenth of the interval, ±10 %
    assert delays[3] > delays[2] > delays[1] > delays[0]
    assert max(delays) <= 60 * BACKOFF_CAP * 1.1
    assert backoff_delay(60, 1, retry_after=120) >= 120


def test_cycles_get_the_clock_time_and_poll_is_recorded(
    daemon_factory: Factory, store: Store
) -> None:
    at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    runner = ScriptedRunner("jira", 0.02)
    daemon = daemon_factory([runner], clock=FrozenClock(at))
    wait_for(lambda: runner.calls >= 1)
    daemon.stop()
    assert runner.seen_now[0] == at
    (row,) = store.source_rows()
    assert row.last_success == at.replace(tzinfo=None) or row.last_success == at
    assert row.cycles == runner.calls


def test_readiness_follows_three_intervals(daemon_factory: Factory) -> None:
    clock = FrozenClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    runner = ScriptedRunner("jira", 10.0)
    daemon = daemon_factory([runner], clock=clock)
    wait_for(lambda: runner.calls >= 1)
    wait_for(lambda: daemon.readiness()[0], what="ready after the first poll")
    clock.advance(timedelta(seconds=29))
    assert daemon.readiness()[0]
    clock.advance(timedelta(seconds=2))
    ready, detail = daemon.readiness()
    assert not ready
    assert detail["sources"]["jira"]["seconds_since_success"] == 31.0
    daemon.stop()
    assert not daemon.readiness()[0]


def test_stop_closes_runners_and_waits_for_the_running_cycle(daemon_factory: Factory) -> None:
    gauge = Gauge()
    runner = ScriptedRunner("slow", 0.02, delay=0.4, gauge=gauge)
    daemon = daemon_factory([runner])
    wait_for(lambda: runner.calls >= 1)
    assert daemon.stop(timeout=30) is True  # how long it takes: make bench (bench_stop)
    assert gauge.now == 0  # the running cycle ended before stop returned
    assert runner.closed
    assert runner.calls == 1


def test_stop_abandons_a_stuck_cycle_after_the_timeout(daemon_factory: Factory) -> None:
    release, gauge = threading.Event(), Gauge()

    def stuck(_call: int) -> None:
        # Stuck until released, not for a number of seconds: the outcome cannot depend on load.
        release.wait(60)

    runner = ScriptedRunner("stuck", 0.02, stuck, gauge=gauge)
    daemon = daemon_factory([runner])
    wait_for(lambda: runner.calls >= 1)
    try:
        with capture_logs() as logs:
            assert daemon.stop(timeout=0.3) is False
        assert gauge.now == 1  # stop returned while the cycle was still running
        assert not runner.closed  # never closed under a running thread
        assert events(logs, "source.abandoned", "stuck")
    finally:
        release.set()


def test_webhook_hints_are_coalesced_and_reach_the_runner(daemon_factory: Factory) -> None:
    runner = ScriptedRunner("jira", 0.05, delay=0.8)
    daemon = daemon_factory([runner])
    wait_for(lambda: runner.calls >= 1)  # inside a 0.8 s cycle: hints queue up
    for key in ["SHOP-1", "SHOP-2", "SHOP-1", "SHOP-1"]:
        assert daemon.hint("jira", "SHOP", key) == ["jira"]
    assert daemon.pending_refreshes() == {"jira": ["SHOP-1", "SHOP-2"]}
    wait_for(lambda: len(runner.refreshed) >= 2)
    time.sleep(0.1)
    assert runner.refreshed == ["SHOP-1", "SHOP-2"]


def test_open_findings_published_by_rule(daemon_factory: Factory) -> None:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    found = [
        Finding(rule=rule, source="jira", task_key=key, severity=Severity.WARNING, message="m",
                fingerprint=f"{rule}:{key}", detected_at=now)
        for rule, key in [("due-date", "A-1"), ("due-date", "A-2"), ("single-assignee", "A-1")]
    ]  # fmt: skip
    runner = ScriptedRunner("jira", 0.05, findings=found)
    daemon = daemon_factory([runner])
    wait_for(lambda: runner.calls >= 1)
    daemon.stop()
    g = daemon.metrics.registry.get_sample_value
    assert g("syncd_open_findings", {"source": "jira", "rule": "due-date"}) == 2
    assert g("syncd_open_findings", {"source": "jira", "rule": "single-assignee"}) == 1
    assert g("syncd_actions_total", {"source": "jira", "outcome": "posted"}) == runner.calls


def test_queued_reminders_are_a_gauge_not_a_growing_counter(daemon_factory: Factory) -> None:
    # The same reminder waits for working hours cycle after cycle: the metric must say
    # "1 waiting", not count it again every night cycle.
    runner = ScriptedRunner("jira", 0.02)
    daemon = daemon_factory([runner])
    wait_for(lambda: runner.calls >= 5, what="five cycles")
    daemon.stop()
    g = daemon.metrics.registry.get_sample_value
    assert g("syncd_reminders_queued", {"source": "jira"}) == 1
    assert g("syncd_actions_total", {"source": "jira", "outcome": "queued"}) is None
    daemon.metrics.forget_source("jira")
    assert g("syncd_reminders_queued", {"source": "jira"}) is None


class Digests:
    """A digest service that records when it ran and reports one sent, one failed."""

    def __init__(self) -> None:
        self.runs: list[datetime] = []

    def run_due(self, now: datetime) -> list[Any]:
        self.runs.append(now)
        return [
            SentDigest("olga", "daily", "daily:2026-11-02", ("slack",)),
            SentDigest("olga", "weekly", "weekly:2026-W45", ("slack",), error="down"),
            SentDigest("olga", "x", "x", (), empty=True, skipped=True),
        ]

    def next_due(self, now: datetime) -> datetime | None:
        return None  # no schedule: only the periodic runs


def test_digests_run_after_cycles_at_most_once_per_period(daemon_factory: Factory) -> None:
    digests = Digests()
    runner = ScriptedRunner("jira", 0.02)
    daemon = daemon_factory([runner], digests=digests, digest_every=0.5)
    wait_for(lambda: len(digests.runs) >= 1, what="the first digest run")
    time.sleep(1.2)
    daemon.stop()
    assert runner.calls > 20
    assert 2 <= len(digests.runs) <= 4  # ~1 per 0.5 s despite dozens of cycles
    g = daemon.metrics.registry.get_sample_value
    assert g("syncd_digests_total", {"kind": "daily", "outcome": "sent"}) == len(digests.runs)
    assert g("syncd_digests_total", {"kind": "weekly", "outcome": "failed"}) == len(digests.runs)
    assert g("syncd_digests_total", {"kind": "x", "outcome": "sent"}) is None


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (SentDigest("o", "daily", "p", ("smtp",), error="smtp down"), [("daily", "failed")]),
        (SentDigest("o", "monthly", "p", ("smtp",)), [("monthly", "sent")]),
        (SentDigest("o", "weekly", "p", (), empty=True, skipped=True), []),
        (SentDigest("o", "daily", "p", ("smtp",), dry_run=True), []),
        (
            SentDigest("o", "daily", "p", ("slack:X",), unknown=("slack:X",)),
            [("daily", "unknown"), ("daily", "sent")],
        ),
    ],
)
def test_digest_outcomes_by_status(item: SentDigest, expected: list[tuple[str, str]]) -> None:
    assert digest_outcomes([item]) == expected


def test_reload_swaps_sources_and_a_bad_policy_keeps_the_old_ones(daemon_factory: Factory) -> None:
    old, new = ScriptedRunner("old", 0.02), ScriptedRunner("new", 0.02)
    answers: list[Wiring | ConfigError] = [
        ConfigError([ConfigIssue("policy.yaml", "sources[0].type", "unknown type", line=4)]),
        Wiring([new]),
    ]

    def reload() -> Wiring:
        answer = answers.pop(0)
        if isinstance(answer, ConfigError):
            raise answer
        return answer

    daemon = daemon_factory([old], reload_policy=reload)
    wait_for(lambda: old.calls >= 1)
    with capture_logs() as logs:
        assert daemon.reload() is False
    (failed,) = events(logs, "policy.reload_failed")
    assert failed["problems"] == ["policy.yaml:4: sources[0].type: unknown type"]
    calls = old.calls
    wait_for(lambda: old.calls > calls, what="the old source to keep polling")
    assert not old.closed

    assert daemon.reload() is True
    wait_for(lambda: old.closed, what="the replaced runner to be closed")
    wait_for(lambda: new.calls >= 1)
    assert [s.source for s in daemon.states()] == ["new"]
    g = daemon.metrics.registry.get_sample_value
    assert g("syncd_source_poll_interval_seconds", {"source": "old"}) is None
    assert g("syncd_source_poll_interval_seconds", {"source": "new"}) == 0.02


def test_reload_waits_for_the_running_cycle_before_polling_with_the_new_runner(
    daemon_factory: Factory,
) -> None:
    gauge = Gauge()
    old = ScriptedRunner("jira", 0.02, delay=0.5, gauge=gauge)
    new = ScriptedRunner("jira", 0.02, delay=0.05, gauge=gauge)
    daemon = daemon_factory([old], reload_policy=lambda: Wiring([new]))
    wait_for(lambda: old.calls >= 1)
    assert daemon.reload() is True  # returns at once, the old cycle still running
    assert not old.closed
    wait_for(lambda: new.calls >= 2, what="the new runner to take over")
    assert old.calls == 1
    assert old.closed
    assert gauge.peak == 1  # never the same source twice at once
    assert new.call_times[0] >= old.call_times[0] + 0.5


def test_reload_that_shortens_the_interval_polls_by_the_new_one(daemon_factory: Factory) -> None:
    """10 minutes → 0.3 s: the next poll comes no later than the new interval after the
    last one, not at the old schedule (by then /readyz, judging by the new interval, would
    have called the source stale for minutes)."""
    old = ScriptedRunner("jira", 600)
    new = ScriptedRunner("jira", 0.3)
    daemon = daemon_factory([old], reload_policy=lambda: Wiring([new]))
    wait_for(lambda: daemon.readiness()[0], what="the first poll")
    assert daemon.reload() is True
    # A hang guard, not a timing: under the old schedule this waits ten minutes.
    wait_for(lambda: new.calls >= 3, timeout=30, what="polls at the new interval")
    assert old.calls == 1
    assert daemon.readiness()[0]
    assert daemon.readiness()[1]["sources"]["jira"]["interval"] == 0.3


def test_reload_that_lengthens_the_interval_keeps_the_schedule(daemon_factory: Factory) -> None:
    old = ScriptedRunner("jira", 0.2)
    new = ScriptedRunner("jira", 600)
    daemon = daemon_factory([old], reload_policy=lambda: Wiring([new]))
    wait_for(lambda: old.calls >= 2, what="polls at the old interval")
    assert daemon.reload() is True
    wait_for(lambda: new.calls >= 1, what="the first poll of the new runner (the old schedule)")
    time.sleep(0.5)  # would be two more polls at the old interval
    assert new.calls == 1


def test_refresh_queue_is_bounded_and_drops_are_counted(daemon_factory: Factory) -> None:
    runner = ScriptedRunner("jira", 600, delay=1.0)  # busy in its first cycle meanwhile
    daemon = daemon_factory([runner])
    wait_for(lambda: runner.calls == 1, what="the first cycle to start")
    assert all(daemon.refresh("jira", f"SHOP-{i}") for i in range(MAX_PENDING))
    assert daemon.refresh("jira", "SHOP-1") is True  # already waiting: coalesced, kept
    assert daemon.refresh("jira", "LATE-1") is False  # the queue is full: dropped
    g = daemon.metrics.registry.get_sample_value
    labels = {"source": "jira"}
    assert g("syncd_webhook_hints_total", {**labels, "outcome": "queued"}) == MAX_PENDING
    assert g("syncd_webhook_hints_total", {**labels, "outcome": "coalesced"}) == 1
    assert g("syncd_webhook_hints_total", {**labels, "outcome": "dropped"}) == 1
    wait_for(lambda: len(runner.refreshed) == MAX_PENDING, timeout=30, what="the queue drained")
    assert "LATE-1" not in runner.refreshed
