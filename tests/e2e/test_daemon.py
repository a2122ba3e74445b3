"""``syncd run`` as a real process against a sandbox tracker over HTTP (issue 7's done-when):
a change in the tracker is acted on by the next poll; a signed webhook makes it act at once,
an unsigned or wrongly signed one is refused and changes nothing; /readyz follows the
tracker going down and coming back; SIGTERM exits 0 within the timeout."""

from __future__ import annotations

import hashlib
import hmac
import json
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import SandboxServer, create_app
from tests.e2e.scenario import agency_seed, policy_for
from tests.runtime.process import SyncdProcess, start_syncd

SECRET = "e2e-hook-secret"
OPEN_HOURS = {"working_hours": ("00:00", "23:59"), "weekend": ()}

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    seed = load_seed(agency_seed(datetime.now(UTC)), flavour="jira-cloud")
    with SandboxServer(create_app("jira-cloud", seed)) as server:
        yield server


def _write_policy(tmp: Path, url: str, interval: str) -> Path:
    data = policy_for(url, **OPEN_HOURS).model_dump(mode="json")  # type: ignore[arg-type]
    data["sources"][0]["poll_interval"] = interval
    path = tmp / "policy.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _start(tmp: Path, policy: Path) -> SyncdProcess:
    return start_syncd(
        policy,
        data_dir=tmp,
        env={
            "E2E_TOKEN": "bot-token",
            "SYNCD_WEBHOOK_SECRET": SECRET,
            "SYNCD_SHUTDOWN_TIMEOUT": "10",
        },
    )


def _bot_comment_count(server: SandboxServer, key: str) -> int:
    import urllib.request

    url = f"{server.url}/rest/api/2/issue/{key}/comment?maxResults=100"
    request = urllib.request.Request(url, headers={"Authorization": "Basic " + _basic()})
    with urllib.request.urlopen(request, timeout=10) as response:
        comments = json.loads(response.read())["comments"]
    return sum(1 for c in comments if c["author"]["displayName"] == "syncd")


def _basic() -> str:
    import base64

    return base64.b64encode(b"olga@agency.example:olga-token").decode()


def _act(server: SandboxServer, payload: dict[str, object]) -> None:
    import urllib.request

    request = urllib.request.Request(
        server.url + "/_sandbox/act",
        method="POST",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()


def _wait(predicate: object, timeout: float, proc: SyncdProcess) -> float:
    started = time.monotonic()
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() - started < timeout, proc.log()[-4000:]
        time.sleep(0.05)
    return time.monotonic() - started


def test_change_is_acted_on_by_next_poll_and_readiness_follows_the_tracker(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    policy = _write_policy(tmp_path, sandbox.url, "1s")
    with _start(tmp_path, policy) as proc:
        proc.wait_ready(timeout=60)
        _wait(lambda: _bot_comment_count(sandbox, "SHOP-1") == 1, 20, proc)
        assert _bot_comment_count(sandbox, "SHOP-2") == 0

        # A person empties SHOP-2's goal: the next poll reminds them, once.
        _act(
            sandbox,
            {
                "action": "update",
                "task": "SHOP-2",
                "as": "olga",
                "fields": {"description": "## Критерии приёмки\n- макет 600 px\n"},
            },
        )
        _wait(lambda: _bot_comment_count(sandbox, "SHOP-2") == 1, 20, proc)

        # The tracker goes away: not ready after 3 × the interval; back: ready again.
        port = int(sandbox.url.rsplit(":", 1)[1])
        sandbox.stop()
        proc.wait_until("/readyz", 503, timeout=30)
        back = SandboxServer(sandbox.app, port=port)
        back.start()
        try:
            proc.wait_ready(timeout=60)
            assert _bot_comment_count(back, "SHOP-1") == 1  # the outage caused no repeat
            assert proc.terminate(timeout=20) == 0
        finally:
            back.stop()


def test_signed_webhook_acts_at_once_unsigned_is_refused_and_sigterm_exits_0(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    policy = _write_policy(tmp_path, sandbox.url, "10m")  # no poll will come to the rescue
    with _start(tmp_path, policy) as proc:
        proc.wait_ready(timeout=60)
        _wait(lambda: _bot_comment_count(sandbox, "SHOP-1") == 1, 20, proc)
        _act(
            sandbox,
            {
                "action": "update",
                "task": "SHOP-2",
                "as": "olga",
                "fields": {"description": "## Критерии приёмки\n- макет 600 px\n"},
            },
        )
        body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": "SHOP-2"}})

        for headers in ({}, {"X-Hub-Signature": "sha256=" + "0" * 64}):
            answer = proc.client.post("/webhooks/jira", content=body, headers=headers)
            assert answer.status_code == 401
        time.sleep(1.0)
        assert _bot_comment_count(sandbox, "SHOP-2") == 0  # nothing happened

        signature = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
        answer = proc.client.post(
            "/webhooks/jira", content=body, headers={"X-Hub-Signature": f"sha256={signature}"}
        )
        assert answer.status_code == 202
        # A hang guard only: with a 10-minute poll interval, a reminder within a minute can
        # only have come from the webhook. The latency is printed, not asserted.
        latency = _wait(lambda: _bot_comment_count(sandbox, "SHOP-2") == 1, 60, proc)
        print(f"signed webhook -> reminder on SHOP-2 in {latency:.3f}s")

        metrics = proc.client.get("/metrics").text
        assert 'syncd_api_requests_total{source="agency",status="200"}' in metrics
        assert "bot-token" not in metrics
        stopped = time.monotonic()
        assert proc.terminate(timeout=20, sig=signal.SIGTERM) == 0
        print(f"SIGTERM -> exit 0 in {time.monotonic() - stopped:.3f}s")


def test_a_source_that_cannot_be_set_up_does_not_stop_the_others(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    data = policy_for(sandbox.url, **OPEN_HOURS).model_dump(mode="json")  # type: ignore[arg-type]
    data["sources"][0]["poll_interval"] = "1s"
    other = json.loads(json.dumps(data["sources"][0]))
    other["name"] = "other"
    other["auth"]["secret"] = "NOT_SET_ANYWHERE"
    data["sources"].append(other)
    policy = tmp_path / "policy.yaml"
    policy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with _start(tmp_path, policy) as proc:
        _wait(lambda: _bot_comment_count(sandbox, "SHOP-1") == 1, 30, proc)  # served
        answer = proc.wait_until("/readyz", 503, timeout=10).json()
        assert answer["sources"]["agency"]["ready"] is True
        assert answer["sources"]["other"]["ready"] is False
        assert "NOT_SET_ANYWHERE" in proc.log()  # said why, naming the variable
        assert proc.terminate(timeout=20) == 0
