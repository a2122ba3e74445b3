"""Webhooks driving the real cycle against the sandbox Jira over HTTP: replays of one signed
delivery cost a bounded number of issue reads (counted at the sandbox), and a reminder a
webhook brings forward is counted in ``syncd_actions_total`` like one a poll posts."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from syncd.daemon import Daemon
from syncd.http_server import HttpServer, build_app
from syncd.metrics import Metrics
from tests.connectors.conftest import clear_log, logged
from tests.e2e.scenario import Scenario, agency_seed
from tests.runtime.support import make_settings, wait_for

SECRET = "replay-hook-secret"
WINDOW = 1.0  # seconds between two re-reads of one task
OPEN_HOURS = {"working_hours": ("00:00", "23:59"), "weekend": ()}


@dataclass
class Live:
    scenario: Scenario
    daemon: Daemon
    client: httpx.Client

    def post(self, key: str) -> httpx.Response:
        body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": key}}).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        return self.client.post(
            "/webhooks/jira", content=body, headers={"X-Hub-Signature": signature}
        )

    def metric(self, name: str, **labels: str) -> float:
        value = self.daemon.metrics.registry.get_sample_value(name, labels)
        return value or 0.0

    def issue_reads(self, key: str) -> int:
        path = f"/rest/api/3/issue/{key}"
        return sum(1 for e in logged(self.scenario.server) if e["path"] == path)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    sc = Scenario(tmp_path, seed_data=agency_seed(datetime.now(UTC)), policy_kwargs=OPEN_HOURS)
    assert sc.store is not None
    # The policy's poll interval (5 min) is past the test: only the first poll and webhooks.
    daemon = Daemon(
        list(sc.runners), None, sc.store, sc.runner.clock,
        make_settings(tmp_path, webhook_secret=SecretStr(SECRET)),
        sources=sc.policy.sources, metrics=Metrics(), reread_window=WINDOW,
    )  # fmt: skip
    daemon.start()
    server = HttpServer(build_app(daemon, daemon.metrics, daemon.settings), "127.0.0.1", 0)
    server.start()
    client = httpx.Client(base_url=server.url, timeout=10)
    try:
        wait_for(lambda: daemon.readiness()[0], timeout=60, what="the first poll")
        yield Live(sc, daemon, client)
    finally:
        client.close()
        server.stop()
        daemon.stop(timeout=5)
        sc.runners = []  # the daemon closed them
        sc.close()


def test_two_hundred_replays_cost_a_bounded_number_of_reads(live: Live) -> None:
    clear_log(live.scenario.server)
    started = time.monotonic()
    for _ in range(200):
        assert live.post("SHOP-2").status_code == 202
    posting = time.monotonic() - started
    # Every delivery was coalesced into a waiting re-read or queued one: none is lost...
    outcomes = {
        o: live.metric("syncd_webhook_hints_total", source="agency", outcome=o)
        for o in ("queued", "coalesced", "dropped")
    }
    assert outcomes["queued"] + outcomes["coalesced"] == 200
    assert outcomes["dropped"] == 0
    # ...and the last one is read after the last post (the window's deferred read).
    wait_for(lambda: not live.daemon.pending_refreshes()["agency"], timeout=30, what="drained")
    reads = live.issue_reads("SHOP-2")
    # One read at once, then at most one per window while the posts kept coming, plus the
    # deferred one after them: bounded by the posting time, not by the number of posts.
    bound = 2 + int(posting / WINDOW)
    print(f"200 replays in {posting:.2f}s → {reads} reads of SHOP-2 (bound {bound}): {outcomes}")
    assert 1 <= reads <= bound
    assert outcomes["queued"] == reads


def test_reminder_posted_for_a_webhook_is_counted(live: Live) -> None:
    def posted() -> float:
        return live.metric("syncd_actions_total", source="agency", outcome="posted")

    # The first poll reminded SHOP-1 (counted just after the poll is marked successful).
    wait_for(lambda: posted() == 1, what="the first poll's reminder counted")
    assert not live.scenario.bot_comments("SHOP-2")
    # A person empties SHOP-2's goal; the webhook (not a poll) makes syncd act on it.
    live.scenario.act(
        {"action": "update", "task": "SHOP-2", "as": "olga",
         "fields": {"description": "## Критерии приёмки\n- макет 600 px\n"}}
    )  # fmt: skip
    assert live.post("SHOP-2").status_code == 202
    wait_for(lambda: len(live.scenario.bot_comments("SHOP-2")) == 1, timeout=30, what="reminder")
    wait_for(lambda: posted() == 2, timeout=10, what="the webhook's reminder counted")
    assert live.daemon.readiness()[1]["sources"]["agency"]["last_error"] is None
