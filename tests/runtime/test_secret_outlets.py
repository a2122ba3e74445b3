"""A tracker whose error page quotes the request's credentials (some proxies and plugins
echo the ``Authorization`` header back) must not carry them anywhere syncd writes: the JSON
log, ``/readyz``, ``check``/``doctor``/``status`` output and the store's ``last_error``.

Real processes against the sandbox Jira Cloud over HTTP, with the sandbox's
``echo_credentials`` fault answering 500 to every API request.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox.common.seed import load_seed
from connectors.sandbox.server import DEMO_SEED, SandboxServer, create_app
from syncd.core.secrets_mask import MASK
from tests.runtime.process import run_syncd, start_syncd

USER = "syncd@agency.example"
TOKEN = "bot-token-1"  # the demo seed's bot
LEAKS = (
    TOKEN,
    base64.b64encode(f"{USER}:{TOKEN}".encode()).decode(),  # what Basic auth sends
)


@pytest.fixture
def echoing_jira() -> Iterator[SandboxServer]:
    seed = load_seed(DEMO_SEED, flavour="jira-cloud", shift=True)
    with SandboxServer(create_app("jira-cloud", seed)) as server:
        server.faults.add(kind="echo_credentials", status=500, times=None)
        yield server


@pytest.fixture
def policy(echoing_jira: SandboxServer, tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(
        "sources:\n"
        f"  - {{name: agency-jira, type: jira, url: '{echoing_jira.url}', poll_interval: 1h,\n"
        f"     auth: {{kind: basic, user: {USER}, secret: JIRA_TOKEN}},\n"
        "     scope: {jql: 'project in (SHOP, NOVA, FIT)'}}\n",
        encoding="utf-8",
    )
    return path


def _assert_no_secret(text: str, where: str) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{where} carries a credential:\n{text}"


def _syncd(tmp: Path, policy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "SYNCD_DATA_DIR": str(tmp / "data"),
        "SYNCD_LOG_FORMAT": "json",
        "SYNCD_CONFIG": str(policy),
        "JIRA_TOKEN": TOKEN,
    }
    return run_syncd(*args, env=env)


def _readyz_error(body: dict[str, Any]) -> str | None:
    source = body.get("sources", {}).get("agency-jira", {})
    error: str | None = source.get("last_error")
    return error


def test_daemon_log_readyz_store_and_status_never_show_echoed_credentials(
    policy: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {"JIRA_TOKEN": TOKEN, "SYNCD_WEBHOOK_SECRET": "hook-secret-for-outlets"}
    with start_syncd(policy, data_dir=data, env=env) as proc:
        deadline = time.monotonic() + 120
        error = None
        while error is None:
            assert time.monotonic() < deadline, proc.log()
            assert proc.proc.poll() is None, proc.log()
            try:
                answer = proc.client.get("/readyz")
            except Exception:  # not listening yet
                time.sleep(0.1)
                continue
            error = _readyz_error(answer.json())
            if error is None:
                time.sleep(0.1)
        _assert_no_secret(answer.text, "/readyz")
        assert "HTTP 500" in error  # still says what happened
        assert MASK in error  # and shows where a credential was taken out
        proc.wait_log("source.failing")
        assert proc.terminate() == 0
        log = proc.log()
    _assert_no_secret(log, "the JSON log")
    failing = [json.loads(line) for line in log.splitlines() if '"source.failing"' in line]
    assert failing
    assert MASK in failing[0]["error"]

    with sqlite3.connect(data / "syncd.db") as db:
        (stored,) = db.execute(
            "select last_error from sources where source = 'agency-jira'"
        ).fetchone()
    assert stored
    _assert_no_secret(stored, "the store's last_error")
    assert MASK in stored

    status = _syncd(tmp_path, policy, "status")
    assert status.returncode == 0, status.stderr
    assert "failing" in status.stdout
    _assert_no_secret(status.stdout + status.stderr, "syncd status")


def test_check_and_doctor_never_show_echoed_credentials(policy: Path, tmp_path: Path) -> None:
    check = _syncd(tmp_path, policy, "check", "--json")
    assert check.returncode == 3, check.stderr
    assert "agency-jira: not read" in check.stderr
    assert MASK in check.stderr
    _assert_no_secret(check.stdout + check.stderr, "syncd check")

    doctor = _syncd(tmp_path, policy, "doctor")
    assert doctor.returncode == 1, doctor.stderr
    assert "FAIL" in doctor.stdout
    assert MASK in doctor.stdout
    _assert_no_secret(doctor.stdout + doctor.stderr, "syncd doctor")
