"""Run syncd as a real subprocess and talk to it over HTTP: for end-to-end tests.

``start_syncd(config, env=...)`` starts ``syncd run`` (or any argv that serves syncd's HTTP
endpoints) with its own data directory and a free port, and ``wait_ready()`` blocks until
``/readyz`` answers 200. Output goes to files, not pipes, so a chatty process can never
block on a full pipe; ``log()`` returns it for assertions and failure messages.

    with start_syncd(policy, env={"JIRA_TOKEN": "t"}, data_dir=tmp_path) as proc:
        proc.wait_ready()
        proc.client.post("/webhooks/jira", ...)
        assert proc.terminate() == 0
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

__all__ = ["REPO_ROOT", "SyncdProcess", "free_port", "run_syncd", "start_syncd"]

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SyncdProcess:
    """One running syncd process; use as a context manager so it is always stopped."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], port: int, logdir: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        logdir.mkdir(parents=True, exist_ok=True)
        self._out_path = logdir / f"syncd-{port}.log"
        self._out = self._out_path.open("wb")
        self.proc = subprocess.Popen(
            list(argv), env=dict(env), cwd=REPO_ROOT, stdout=self._out, stderr=subprocess.STDOUT
        )
        self.client = httpx.Client(base_url=self.url, timeout=5)

    def log(self) -> str:
        return self._out_path.read_text(encoding="utf-8", errors="replace")

    def _get(self, path: str) -> httpx.Response | None:
        try:
            return self.client.get(path)
        except httpx.TransportError:
            return None

    def wait_until(self, path: str, status: int, timeout: float = 20.0) -> httpx.Response:
        """Poll ``path`` until it answers ``status``; fail with the log if the process dies."""
        deadline = time.monotonic() + timeout
        last: httpx.Response | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"syncd exited with {self.proc.returncode} before {path} answered "
                    f"{status}:\n{self.log()}"
                )
            last = self._get(path)
            if last is not None and last.status_code == status:
                return last
            time.sleep(0.05)
        seen = "no answer" if last is None else f"{last.status_code} {last.text[:500]}"
        raise AssertionError(
            f"{path} did not answer {status} in {timeout}s ({seen}):\n{self.log()}"
        )

    def wait_ready(self, timeout: float = 20.0) -> httpx.Response:
        return self.wait_until("/readyz", 200, timeout)

    def wait_log(self, text: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged in {timeout}s:\n{self.log()}")
            time.sleep(0.05)

    def send(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def terminate(self, timeout: float = 30.0, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send ``sig`` and wait for the exit code (kill and fail past ``timeout``)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                f"syncd did not exit {timeout}s after {sig.name}:\n{self.log()}"
            ) from None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.client.close()
        self._out.close()

    def __enter__(self) -> SyncdProcess:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()


def log_events(proc: SyncdProcess, name: str | None) -> list[dict[str, Any]]:
    """The process's JSON log events named ``name`` (all of them for None)."""
    out = []
    for line in proc.log().splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if name is None or event.get("event") == name:
                out.append(event)
    return out


def start_syncd(
    config: Path | None,
    *,
    data_dir: Path,
    env: Mapping[str, str] | None = None,
    argv: Sequence[str] | None = None,
    port: int | None = None,
) -> SyncdProcess:
    """Start ``python -m syncd run`` (or ``argv``) with SYNCD_CONFIG, SYNCD_DATA_DIR, a
    free SYNCD_HTTP_PORT on 127.0.0.1 and JSON logs; extra ``env`` wins."""
    port = port or free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    full.update(
        SYNCD_DATA_DIR=str(data_dir),
        SYNCD_HTTP_HOST="127.0.0.1",
        SYNCD_HTTP_PORT=str(port),
        SYNCD_LOG_FORMAT="json",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
    )
    if config is not None:
        full["SYNCD_CONFIG"] = str(config)
    full.update(env or {})
    return SyncdProcess(
        argv or [sys.executable, "-m", "syncd", "run"], full, port, data_dir / "logs"
    )


def run_syncd(
    *args: str, env: Mapping[str, str], timeout: float = 180, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one ``python -m syncd`` command to completion (in ``cwd``), with the ``SYNCD_*``
    and ``E2E_*`` variables of this process replaced by ``env``; its output is captured as
    text."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "E2E_"))}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        env=full,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
