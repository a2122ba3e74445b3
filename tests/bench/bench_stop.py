"""The times the runtime tests no longer assert (they flake on a loaded machine): how long
stopping takes, how soon a clean stop's leases move, how soon a slow channel's digest is
given up.

Run: ``python -m tests.bench.bench_stop [--rounds N]``. Each figure is the median and the
worst of N rounds:

- ``Daemon.stop`` waiting for a running 0.4 s cycle (ideal: the rest of that cycle);
- ``Daemon.stop(timeout=0.3)`` abandoning a stuck cycle (ideal: 0.3 s);
- ``syncd run`` (the test daemon process) exiting on SIGTERM with a stuck cycle and
  ``SYNCD_SHUTDOWN_TIMEOUT=1`` (ideal: 1 s plus interpreter teardown);
- a replica's sources taken over by the other after a clean stop (SQLite, lease TTL 1.5 s:
  a release makes it one claim round, 0.5 s, instead of the TTL);
- a webhook digest to a channel that never answers, 0.2 s read timeout (ideal: 0.2 s, one
  attempt, delivery unknown).

Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from syncd.core.clock import SystemClock
from syncd.core.logs import configure_logging
from syncd.daemon import Daemon
from syncd.metrics import Metrics
from syncd.store import open_store
from tests.runtime.support import ScriptedRunner, make_settings, wait_for


def _figure(name: str, samples: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(samples):.3f} s,"
        f" worst {max(samples):.3f} s ({len(samples)} rounds)"
    )


def _daemon(tmp: Path, runner: ScriptedRunner) -> Daemon:
    store = open_store(f"sqlite:///{tmp / 'state.db'}")
    daemon = Daemon([runner], None, store, SystemClock(), make_settings(tmp), metrics=Metrics())
    daemon.start()
    wait_for(lambda: runner.calls >= 1, what="the first cycle")
    return daemon


def stop_waiting_for_a_cycle() -> float:
    with tempfile.TemporaryDirectory(prefix="bench-stop-") as tmp:
        daemon = _daemon(Path(tmp), ScriptedRunner("slow", 0.02, delay=0.4))
        started = time.monotonic()
        daemon.stop(timeout=30)
        return time.monotonic() - started


def stop_abandoning_a_stuck_cycle() -> float:
    release = threading.Event()

    def stuck(_call: int) -> None:
        release.wait(60)

    with tempfile.TemporaryDirectory(prefix="bench-stop-") as tmp:
        daemon = _daemon(Path(tmp), ScriptedRunner("stuck", 0.02, stuck))
        started = time.monotonic()
        daemon.stop(timeout=0.3)
        took = time.monotonic() - started
        release.set()
        return took


def sigterm_with_a_stuck_cycle() -> float:
    from tests.runtime.test_signals import policy, start

    with tempfile.TemporaryDirectory(prefix="bench-sigterm-") as tmp:
        proc, _ = start(Path(tmp), policy("alpha"), RUNNER_DELAY="60", SYNCD_SHUTDOWN_TIMEOUT="1")
        with proc:
            proc.wait_until("/healthz", 200)
            proc.wait_until("/readyz", 503)
            started = time.monotonic()
            proc.terminate(timeout=60)
            return time.monotonic() - started


def lease_takeover_after_a_clean_stop() -> float:
    from tests.runtime.test_daemon_leases import SOURCES, Replica

    with tempfile.TemporaryDirectory(prefix="bench-leases-") as tmp:
        store = open_store(f"sqlite:///{tmp}/shared.db")
        a, b = Replica("a", store, Path(tmp)), Replica("b", store, Path(tmp))
        a.daemon.start()
        b.daemon.start()
        try:
            wait_for(lambda: len(a.keeper.held()) == len(b.keeper.held()) == 3, what="a split")
            a.daemon.stop(timeout=3)
            started = time.monotonic()
            wait_for(lambda: b.keeper.held() == set(SOURCES), what="b holds all")
            return time.monotonic() - started
        finally:
            a.daemon.stop(timeout=3)
            b.daemon.stop(timeout=3)
            store.close()


def digest_to_a_channel_that_never_answers() -> float:
    from config.policy import ChannelConfig
    from connectors.http.retry import RetryPolicy
    from syncd.channels import build_sender
    from syncd.core.errors import DeliveryUnknownError
    from syncd.digest.content import build_digest
    from tests.channels.slow_server import slow_server
    from tests.digest import fixtures

    policy = fixtures.policy()
    digest = build_digest(
        policy,
        policy.managers[1],
        fixtures.tasks(),
        fixtures.findings(),
        fixtures.NOW,
        "daily",
        None,
        None,
    )
    with slow_server(hold=1_000_000) as server:
        config = ChannelConfig(type="webhook", url_secret="HOOK", timeout=0.2)
        retry = RetryPolicy(max_attempts=4, sleep=lambda s: None)
        sender = build_sender(config, env={"HOOK": server.url}, retry=retry)
        started = time.monotonic()
        with contextlib.suppress(DeliveryUnknownError):  # the expected outcome
            sender.send(digest)
        return time.monotonic() - started


CASES: list[tuple[str, Callable[[], float]]] = [
    ("Daemon.stop, running 0.4 s cycle", stop_waiting_for_a_cycle),
    ("Daemon.stop(timeout=0.3), stuck cycle", stop_abandoning_a_stuck_cycle),
    ("SIGTERM exit, stuck cycle, shutdown timeout 1 s", sigterm_with_a_stuck_cycle),
    ("lease takeover after a clean stop (TTL 1.5 s)", lease_takeover_after_a_clean_stop),
    ("digest to a silent channel, 0.2 s timeout", digest_to_a_channel_that_never_answers),
]


def main(argv: Sequence[str] | None = None) -> None:
    """``argv`` defaults to none: ``make bench`` calls every benchmark's ``main()`` bare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(list(argv or []))
    configure_logging("error")  # the daemons' own log lines would bury the figures
    for name, case in CASES:
        print(_figure(name, [case() for _ in range(args.rounds)]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
