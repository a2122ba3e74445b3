"""Time to serve a generated 100,000-task seed with ADF descriptions and comments (the form a
Jira Cloud export has; issue 17: ≈ 47 min before shape-cached validation, 48 s after it,
target < 30 s on a shared 2-core machine).

Run: ``python -m tests.bench.bench_seed [N]``. Prints, asserts nothing:

- ``syncd sandbox jira-cloud --seed FILE`` as a person runs it: wall time until it answers
  its first request, and the process's CPU seconds and peak RSS (from ``wait4``, after an
  interrupt stops it — the work after the answer is the shutdown alone);
- in-process ``load_seed`` per flavour, and ``load_seed`` + ``create_jira_app`` (cloud);
- one incremental JQL search over the N issues.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from connectors.sandbox.common.seed import load_seed

BOT = ("syncd@agency.example", "bot-token")
"""The generated seed's bot (Jira Cloud basic auth: e-mail and token)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_process(seed: Path, flavour: str = "jira-cloud") -> str:
    """``syncd sandbox`` on ``seed``: seconds until its first answer, CPU, peak RSS."""
    port = _free_port()
    argv = [sys.executable, "-m", "syncd", "sandbox", flavour, "--seed", str(seed)]
    start = time.perf_counter()
    child = subprocess.Popen(
        [*argv, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/rest/api/3/myself"
    served = None
    try:
        while child.poll() is None:
            try:
                if httpx.get(url, auth=BOT, timeout=2).status_code == 200:
                    served = time.perf_counter() - start
                    break
            except httpx.TransportError:
                time.sleep(0.05)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
        _, _, usage = os.wait4(child.pid, 0)
    if served is None:
        return f"syncd sandbox {flavour}: exited with {child.returncode} before serving"
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak_mb = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024) / 1e6
    cpu = usage.ru_utime + usage.ru_stime
    return (
        f"syncd sandbox {flavour}: serving after {served:.1f} s "
        f"({cpu:.1f} s CPU), peak RSS {peak_mb:.0f} MB"
    )


WRITER = """
import json, sys
from connectors.sandbox.common.generator import generate_seed
data = generate_seed(int(sys.argv[2]), n_projects=20, n_users=50, documents="adf")
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(data, out, ensure_ascii=False)
"""
"""Generates in a child process: a sandbox started from a process that once held the
generated seed would report that process's peak RSS as its own (Linux keeps the larger
high-water mark across the fork and exec)."""


def main(n_tasks: int = 100_000) -> None:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seed.json"
        subprocess.run([sys.executable, "-c", WRITER, str(path), str(n_tasks)], check=True)
        size_mb = path.stat().st_size / 1e6
        t1 = time.perf_counter()
        print(f"generated {n_tasks} tasks ({size_mb:.1f} MB JSON) in {t1 - t0:.1f} s", flush=True)
        print(serve_process(path), flush=True)
        for flavour in ("jira-cloud", "gitlab"):
            start = time.perf_counter()
            seed = load_seed(path, flavour=flavour)  # type: ignore[arg-type]
            loaded = time.perf_counter()
            print(f"load_seed({flavour}): {len(seed.tasks)} tasks in {loaded - start:.2f} s")
        start = time.perf_counter()
        try:
            from connectors.sandbox.jira.app import create_jira_app
        except ImportError:
            return
        seed = load_seed(path, flavour="jira-cloud")
        app = create_jira_app(seed, "cloud")
        print(f"load_seed + create_jira_app(cloud): {time.perf_counter() - start:.2f} s")
        from connectors.sandbox.jira.jql import JqlContext
        from connectors.sandbox.jira.search import search_cloud

        store = app.state.jira.store
        bot = seed.bot() or seed.users[0]
        ctx = JqlContext(store, bot, store.now(), cloud=True)
        start = time.perf_counter()
        page = search_cloud(
            "project = P1 AND updated >= -15m ORDER BY updated ASC, key ASC",
            ctx,
            token=None,
            max_results=100,
            rich=False,
            short_pages=False,
        )
        elapsed = time.perf_counter() - start
        print(f"one incremental JQL search over {len(seed.tasks)} issues: {elapsed * 1000:.0f} ms")
        del page
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
