"""Health, readiness and metrics over real HTTP against the uvicorn thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from syncd.core.clock import FrozenClock
from syncd.core.errors import RetriableError
from syncd.daemon import Daemon
from syncd.http_server import HttpServer, build_app
from syncd.metrics import Metrics
from tests.runtime.support import ScriptedRunner, make_settings, wait_for

Factory = Callable[..., Daemon]
SECRET = "hook-secret-do-not-leak"


@pytest.fixture
def serve() -> Iterator[Callable[[Daemon], httpx.Client]]:
    servers: list[HttpServer] = []
    clients: list[httpx.Client] = []

    def start(daemon: Daemon) -> httpx.Client:
        server = HttpServer(build_app(daemon, daemon.metrics, daemon.settings), "127.0.0.1", 0)
        server.start()
        servers.append(server)
        client = httpx.Client(base_url=server.url, timeout=5)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


def test_healthz_answers_even_before_any_poll(
    daemon_factory: Factory, serve: Callable[[Daemon], httpx.Client]
) -> None:
    daemon = daemon_factory([ScriptedRunner("jira", 60, delay=2)])
    client = serve(daemon)
    assert client.get("/healthz").json() == {"status": "alive"}
    response = client.get("/readyz")  # first cycle still running
    assert response.status_code == 503
    assert response.json()["sources"]["jira"]["last_success"] is None


def test_readyz_turns_unready_and_ready_again(
    daemon_factory: Factory, serve: Callable[[Daemon], httpx.Client]
) -> None:
    clock = FrozenClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    runner = ScriptedRunner("jira", 0.05)
    other = ScriptedRunner("gitlab", 0.05)
    client = serve(daemon_factory([runner, other], clock=clock))

    wait_for(lambda: client.get("/readyz").status_code == 200, what="ready")
    body = client.get("/readyz").json()
    assert body["ready"] is True
    assert set(body["sources"]) == {"jira", "gitlab"}

    runner.fail = RetriableError("connection refused", source="jira")
    calls = runner.calls
    wait_for(lambda: runner.calls > calls + 1, what="a failed poll")
    clock.advance(timedelta(seconds=1))  # 20 intervals: only a fresh success would help

    def jira_alone_unready() -> bool:
        response = client.get("/readyz")
        sources = response.json()["sources"]
        return response.status_code == 503 and sources["gitlab"]["ready"]

    wait_for(jira_alone_unready, what="jira unready, gitlab (polled after the jump) ready")
    detail = client.get("/readyz").json()["sources"]
    assert detail["jira"]["ready"] is False
    assert detail["jira"]["last_error"] == "[jira] connection refused"
    assert detail["jira"]["consecutive_failures"] >= 1

    runner.fail = None
    wait_for(lambda: client.get("/readyz").status_code == 200, what="ready again")


def test_metrics_exposition(
    daemon_factory: Factory, serve: Callable[[Daemon], httpx.Client]
) -> None:
    runner = ScriptedRunner("agency-jira", 0.02, lambda n: RetriableError("x") if n == 2 else None)
    daemon = daemon_factory([runner], settings={"webhook_secret": SecretStr(SECRET)})
    client = serve(daemon)
    wait_for(lambda: runner.calls >= 4)
    daemon.metrics.api_request("agency-jira", 429)  # as the retry policy's observe does
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    for line in [
        'syncd_cycles_total{outcome="error",source="agency-jira"} 1.0',
        'syncd_api_requests_total{source="agency-jira",status="429"} 1.0',
        'syncd_source_poll_interval_seconds{source="agency-jira"} 0.02',
    ]:
        assert line in text
    for name in [
        'syncd_cycle_duration_seconds_bucket{le="0.1",source="agency-jira"}',
        'syncd_source_last_success_timestamp_seconds{source="agency-jira"}',
        'syncd_actions_total{outcome="posted",source="agency-jira"}',
    ]:
        assert name in text
    assert SECRET not in text
    assert "http://" not in text


def test_a_crashing_endpoint_answers_json_and_logs_one_json_event(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A bug behind an endpoint: a JSON 500 and syncd's own log event with the traceback,
    not uvicorn's plain-text traceback in the middle of the JSON log stream."""

    class Broken:  # a daemon whose readiness has a bug
        def readiness(self) -> tuple[bool, dict[str, object]]:
            raise KeyError("boom")

        def hint(self, tracker: str, project: str | None, key: str) -> list[str]:
            return []

    settings = make_settings(tmp_path)
    server = HttpServer(build_app(Broken(), Metrics(), settings), "127.0.0.1", 0)
    server.start()
    try:
        with capture_logs() as logs, httpx.Client(base_url=server.url, timeout=5) as client:
            response = client.get("/readyz")
            assert client.get("/healthz").status_code == 200  # still serving
    finally:
        server.stop()
    assert response.status_code == 500
    assert response.json() == {"error": "internal error"}
    (crash,) = [e for e in logs if e["event"] == "http.crashed"]
    assert crash["path"] == "/readyz"
    assert crash["log_level"] == "error"
    assert "Traceback" not in capfd.readouterr().err
