"""Prometheus metrics of one syncd process, in one registry.

Labels are limited to names an operator chose (source names from the policy, rule names,
digest kinds) and HTTP status codes: never URLs, keys, user names or anything that could
carry a token. The registry is an instance, not the library's global one, so tests (and
``syncd demo``) can build a fresh ``Metrics`` and read exact values back.

Who records what:
- the cycle (``syncd.source_cycle``): tasks skipped, by reason;
- the daemon: cycles, cycle duration, last success, failure streaks, actions posted and
  failed, reminders queued/deferred (gauges set each cycle), digests, open findings by rule
  (counted from each cycle's findings), webhook re-read requests queued, coalesced or
  dropped; actions count the reminders of webhook re-reads too;
- the connectors' HTTP sessions: API requests by source and status (``error`` when no
  response came back), through the retry policy's ``observe`` callback, which
  ``syncd.source_cycle`` binds to :meth:`Metrics.api_request` — every attempt, retries included.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# ``*_created`` series double every counter and mean nothing on a dashboard.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "default_metrics"]

_DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class Metrics:
    """All of syncd's metrics. Thread-safe: prometheus-client metrics are."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.cycles = Counter(
            "syncd_cycles",
            "Poll cycles by source and outcome (ok, error).",
            ["source", "outcome"],
            registry=r,
        )
        self.cycle_duration = Histogram(
            "syncd_cycle_duration_seconds",
            "Duration of successful poll cycles.",
            ["source"],
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self.tasks_synced = Counter(
            "syncd_tasks_synced", "Tasks read from the tracker.", ["source"], registry=r
        )
        self.tasks_skipped = Counter(
            "syncd_tasks_skipped",
            "Tasks a cycle could not take, by reason (read_failed, malformed, too_deep, "
            "bad_text, store_failed); each is retried by later cycles.",
            ["source", "reason"],
            registry=r,
        )
        self.api_requests = Counter(
            "syncd_api_requests",
            "Tracker API requests by source and HTTP status ('error' when no response arrived).",
            ["source", "status"],
            registry=r,
        )
        self.open_findings = Gauge(
            "syncd_open_findings",
            "Open findings by source and rule after the last cycle.",
            ["source", "rule"],
            registry=r,
        )
        self.actions = Counter(
            "syncd_actions",
            "Tracker actions (reminder comments, labels) by outcome: posted, failed.",
            ["source", "outcome"],
            registry=r,
        )
        # Gauges, not counters: the same reminders wait cycle after cycle (all night for
        # working hours), so counting them each cycle would grow without anything happening.
        self.reminders_queued = Gauge(
            "syncd_reminders_queued",
            "Reminders held for the team's working hours after the last cycle.",
            ["source"],
            registry=r,
        )
        self.reminders_deferred = Gauge(
            "syncd_reminders_deferred",
            "Reminders put off to the next cycle by the action budget in the last cycle.",
            ["source"],
            registry=r,
        )
        self.digests = Counter(
            "syncd_digests",
            "Digests by kind (daily, weekly, monthly) and outcome (sent, failed; unknown: "
            "a channel a crashed attempt may have reached, not resent).",
            ["kind", "outcome"],
            registry=r,
        )
        self.last_success = Gauge(
            "syncd_source_last_success_timestamp_seconds",
            "Unix time of the last successful poll of the source.",
            ["source"],
            registry=r,
        )
        self.poll_interval = Gauge(
            "syncd_source_poll_interval_seconds",
            "Configured poll interval of the source.",
            ["source"],
            registry=r,
        )
        self.failures = Gauge(
            "syncd_source_consecutive_failures",
            "Failed polls in a row (0 when healthy).",
            ["source"],
            registry=r,
        )
        self.webhooks = Counter(
            "syncd_webhooks",
            "Webhook deliveries by tracker and outcome "
            "(accepted, duplicate, ignored, unauthorized, too_large, bad_request).",
            ["tracker", "outcome"],
            registry=r,
        )
        self.webhook_hints = Counter(
            "syncd_webhook_hints",
            "Webhook re-read requests by source and outcome: queued, coalesced (that task "
            "was already waiting), dropped (the source's queue was full).",
            ["source", "outcome"],
            registry=r,
        )
        self._rules_seen: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    # -- recording helpers --------------------------------------------------------------
    def api_request(self, source: str, status: int | str) -> None:
        self.api_requests.labels(source=source, status=str(status)).inc()

    def set_open_findings(self, source: str, by_rule: Mapping[str, int]) -> None:
        """Replace the source's open-findings gauges; rules that no longer have findings
        drop to 0 rather than keep their last value."""
        with self._lock:
            seen = self._rules_seen.setdefault(source, set())
            for rule in seen - by_rule.keys():
                self.open_findings.labels(source=source, rule=rule).set(0)
            for rule, count in by_rule.items():
                self.open_findings.labels(source=source, rule=rule).set(count)
            seen.update(by_rule)

    def declare_sources(self, sources: Iterable[tuple[str, float]]) -> None:
        """Publish the poll interval of each source (the stale-source alert divides by it)."""
        for name, interval in sources:
            self.poll_interval.labels(source=name).set(interval)
            self.failures.labels(source=name).set(0)

    def forget_source(self, name: str) -> None:
        """Drop a source removed from the policy, so alerts do not fire on its old values."""
        for gauge in (
            self.poll_interval,
            self.failures,
            self.last_success,
            self.reminders_queued,
            self.reminders_deferred,
        ):
            gauge.remove(name)  # a no-op for label sets never set
        with self._lock:
            for rule in self._rules_seen.pop(name, set()):
                self.open_findings.remove(name, rule)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


_default: Metrics | None = None
_default_lock = threading.Lock()


def default_metrics() -> Metrics:
    """The process-wide instance ``syncd run`` serves on ``/metrics``."""
    global _default  # noqa: PLW0603 - one registry per process, created lazily
    with _default_lock:
        if _default is None:
            _default = Metrics()
        return _default
