"""SIGTERM while a step hangs in a tracker call: seconds from the signal to the process's
exit, against ``SYNCD_SHUTDOWN_TIMEOUT`` (the runtime test asserts the order of events;
the time is measured here).

    python -m tests.bench.bench_shutdown
"""

from __future__ import annotations

import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.runtime.process import start_syncd

POLICY = (
    "sources:\n  - {name: alpha, type: jira, url: https://alpha.example,"
    " scope: {jql: 'project = X'}, auth: {kind: bearer, secret: TOKEN}}\n"
)


def exit_after_sigterm(tmp: Path, timeout: float) -> float:
    config = tmp / "policy.yaml"
    config.write_text(POLICY, encoding="utf-8")
    env = {"RUNNER_DELAY": "600", "SYNCD_SHUTDOWN_TIMEOUT": str(timeout)}
    argv = [sys.executable, "-m", "tests.runtime.daemon_main"]
    with start_syncd(config, data_dir=tmp, env=env, argv=argv) as proc:
        proc.wait_until("/healthz", 200)
        proc.wait_until("/readyz", 503)  # the first cycle is running (and hangs)
        sent = time.monotonic()
        proc.send(signal.SIGTERM)
        proc.proc.wait(timeout + 30)
        return time.monotonic() - sent


def main() -> None:
    for timeout in (1.0, 3.0):
        runs = []
        for _ in range(3):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(exit_after_sigterm(Path(tmp), timeout))
        print(
            f"shutdown_timeout {timeout:.0f}s, step hung: exit after "
            f"median {statistics.median(runs):.2f}s, max {max(runs):.2f}s"
        )


if __name__ == "__main__":
    main()
