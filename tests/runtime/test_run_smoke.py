"""``run_daemon`` (what ``syncd run`` calls) as a real process against the sandbox Jira:
ready after the first poll, a signed webhook re-reads the issue at once, an unsigned one is
refused, SIGTERM exits 0. The lead's end-to-end suite goes further (changes, outages)."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import DEMO_SEED, SandboxServer, create_app
from tests.runtime.process import log_events, start_syncd

SECRET = "smoke-hook-secret"
RUN = [
    sys.executable,
    "-c",
    "import sys; from syncd.wiring import load_app; from syncd.commands.run import run_daemon;"
    " sys.exit(run_daemon(load_app(None)))",
]


@pytest.fixture
def jira() -> Iterator[SandboxServer]:
    seed = load_seed(DEMO_SEED, flavour="jira-cloud", shift=True)
    with SandboxServer(create_app("jira-cloud", seed)) as server:  # started on enter
        yield server


def requests_for(server: SandboxServer, key: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(server.url + "/_sandbox/requests", timeout=10) as response:
        entries: list[dict[str, Any]] = json.loads(response.read())
    return [e for e in entries if key in str(e.get("path", "")) + str(e.get("query", ""))]


def poll_searches(server: SandboxServer) -> int:
    """How many JQL searches of a poll the tracker has answered (not counting the scope
    check of one re-read issue, ``… AND id = N``)."""
    jqls = [
        parse_qs(str(e.get("query"))).get("jql", [""])[0]
        for e in requests_for(server, "/search")
        if "/search" in str(e.get("path"))
    ]
    return sum(1 for jql in jqls if " AND id = " not in jql)


def test_run_daemon_against_the_sandbox(jira: SandboxServer, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "sources:\n"
        f"  - {{name: agency-jira, type: jira, url: '{jira.url}', poll_interval: 30s,\n"
        "     auth: {kind: basic, user: syncd@agency.example, secret: JIRA_TOKEN},\n"
        "     scope: {jql: 'project in (SHOP, NOVA, FIT)'}}\n",
        encoding="utf-8",
    )
    env = {
        "JIRA_TOKEN": "bot-token-1",
        "SYNCD_WEBHOOK_SECRET": SECRET,
        "SYNCD_PROGRESS_EVERY": "0.001",  # every step of the (short) backfill is "long"
    }
    with start_syncd(policy, data_dir=tmp_path, env=env, argv=RUN) as proc:
        ready = proc.wait_ready(timeout=60).json()
        assert ready["sources"]["agency-jira"]["ready"] is True
        progress = log_events(proc, "sync.progress")
        assert progress, proc.log()  # the daemon tells how far a backfill got
        assert {p["source"] for p in progress} == {"agency-jira"}
        assert max(p["issues"] for p in progress) > 0
        frozen = log_events(proc, "process.frozen")
        # Start-up objects are out of the collector's way (gc.freeze) before serving.
        assert len(frozen) == 1
        assert frozen[0]["objects"] > 10_000

        body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": "SHOP-1"}})
        assert proc.client.post("/webhooks/jira", content=body).status_code == 401
        before = len(requests_for(jira, "SHOP-1"))
        polls = poll_searches(jira)
        signature = "sha256=" + hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
        sent = time.monotonic()
        response = proc.client.post(
            "/webhooks/jira", content=body, headers={"X-Hub-Signature": signature}
        )
        assert response.status_code == 202
        while len(requests_for(jira, "SHOP-1")) == before:
            assert time.monotonic() - sent < 120, proc.log()  # a hang guard only
            time.sleep(0.05)
        # The webhook did it, not the next poll: no search ran between the two.
        assert poll_searches(jira) == polls
        print(f"webhook → sandbox re-read of SHOP-1: {time.monotonic() - sent:.3f}s")

        metrics = proc.client.get("/metrics").text
        assert 'syncd_cycles_total{outcome="ok",source="agency-jira"}' in metrics
        assert "bot-token-1" not in metrics
        assert SECRET not in proc.log()
        assert proc.terminate(timeout=30) == 0
