"""``run_sandbox`` (behind ``syncd sandbox``) in a real process: it prints the URL and the
seed users' credentials, serves the seed, and stops cleanly on Ctrl-C (SIGINT)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.sandbox.jira_helpers import EXAMPLE, LOCAL_EXAMPLE

REPO = Path(__file__).resolve().parents[2]


def start(flavour: str, seed: Path | None, shift: bool = False) -> subprocess.Popen[str]:
    path = f"Path({str(seed)!r})" if seed else "None"
    code = (
        "from pathlib import Path; from connectors.sandbox.server import run_sandbox; "
        f"run_sandbox({flavour!r}, {path}, {shift}, '127.0.0.1', 0)"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_banner(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    lines = []
    while True:
        line = proc.stdout.readline()
        if not line:
            stderr = proc.stderr.read() if proc.stderr else ""
            pytest.fail(f"sandbox exited early: {stderr}")
        lines.append(line.rstrip("\n"))
        if line.startswith("control endpoints"):
            return lines


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout=15)
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    return code


@pytest.mark.parametrize("flavour", ["jira-cloud", "jira-dc"])
def test_serves_the_example_seed_until_interrupted(flavour: str) -> None:
    seed = EXAMPLE if EXAMPLE.exists() else LOCAL_EXAMPLE
    proc = start(flavour, seed)
    try:
        banner = read_banner(proc)
        url = banner[0].rsplit(" at ", 1)[1]
        assert banner[0].startswith(f"syncd sandbox {flavour} serving 5 tasks at http://127.0.0.1:")
        creds = "\n".join(banner)
        if flavour == "jira-cloud":
            assert "syncd@agency.example / bot-token-1" in creds
            auth: dict[str, object] = {"auth": ("syncd@agency.example", "bot-token-1")}
        else:
            assert "Bearer PAT bot-token-1" in creds
            auth = {"headers": {"Authorization": "Bearer bot-token-1"}}
        assert "Дмитрий Ковалёв" not in creds  # no token, cannot sign in
        issue = requests.get(f"{url}/rest/api/2/issue/SHOP-1", timeout=5, **auth)  # type: ignore[arg-type]
        assert issue.json()["fields"]["summary"] == "Дизайн письма «Чёрная пятница»"
    finally:
        assert stop(proc) == 0


def test_demo_seed_by_default_and_shift() -> None:
    proc = start("jira-cloud", None, shift=True)
    try:
        banner = read_banner(proc)
        assert "serving 18 tasks" in banner[0]
        assert banner[1].endswith("(shifted)")
    finally:
        assert stop(proc) == 0


def test_busy_port_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "syncd", "sandbox", "gitlab", "--port", str(port)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,  # a hang guard: the answer is immediate
        )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"port {port} in use on 127.0.0.1: choose another with --port"
    ]
    assert done.stdout == ""
