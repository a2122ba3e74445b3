"""Cycle throughput of 1 vs 3 ``syncd run`` replicas on 20 sources (one PostgreSQL, one
sandbox Jira over real HTTP).

Run: ``python -m tests.bench.bench_replicas [--window S] [--poll S ...]``. For each poll
interval and replica count it starts a fresh database and sandbox, waits until the replicas
are ready, the leases are split and the first reminders are out, then counts the cycles
(``sources.cycles`` in the shared store) and tracker requests over a fixed window. A short
poll interval saturates the replicas (capacity); a realistic one shows whether one replica
keeps up. CPU seconds per process are printed too: the sandbox runs in this process, on one
core (GIL), and can be the limit before syncd is. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from syncd.store import Store, open_store
from tests.e2e.fleet import Fleet, fleet, lease_split
from tests.runtime.process import SyncdProcess
from tests.support.postgres import PostgresServer

SOURCES = 20
TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


def _polled(proc: SyncdProcess) -> bool:
    response = proc._get("/readyz")  # None while the port is not open yet
    if response is None:
        return False
    body = response.json()
    sources = body.get("sources", {}).values()
    return bool(body.get("started")) and all(
        s.get("last_success") for s in sources if s.get("held", True)
    )


def _cycles(store: Store) -> int:
    return sum(row.cycles for row in store.status_rows())


def measure(server: PostgresServer, replicas: int, poll: float, window: float) -> str:
    with (
        tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp,
        server.new_database("bench") as url,
        fleet(Path(tmp), url, projects=SOURCES, managers=0, poll=poll, lease_ttl=6.0) as f,
    ):
        procs = [f.start(f"replica-{i}") for i in range(replicas)]
        store = open_store(url)
        try:
            return _measure(f, store, procs, replicas, poll, window)
        finally:
            for proc in procs:
                proc.terminate()
            store.close()


def _measure(
    f: Fleet, store: Store, procs: list[SyncdProcess], replicas: int, poll: float, window: float
) -> str:
    for proc in procs:
        # Not /readyz 200: at a capacity-saturating poll interval a source's last success is
        # always older than the three intervals readiness allows; started and polled is
        # what the measurement needs.
        _wait(partial(_polled, proc), 60, "every replica's first polls")
    expected = sorted(
        SOURCES // replicas + (1 if i < SOURCES % replicas else 0) for i in range(replicas)
    )

    def balanced() -> bool:
        split = lease_split(store)
        return len(split) == SOURCES and sorted(Counter(split.values()).values()) == expected

    _wait(balanced, 30, "an even lease split")
    _wait(lambda: len(store.actions(state="done")) == SOURCES, 60, "the first reminders")
    c0, r0, t0 = _cycles(store), len(f.sandbox.log.entries()), time.monotonic()
    cpu0 = [_cpu(p.proc.pid) for p in procs]
    own0 = time.process_time()
    time.sleep(window)
    c1, r1, t1 = _cycles(store), len(f.sandbox.log.entries()), time.monotonic()
    cpu = [_cpu(p.proc.pid) - before for p, before in zip(procs, cpu0, strict=True)]
    own = time.process_time() - own0
    elapsed = t1 - t0
    ideal = SOURCES / poll
    return (
        f"{replicas} replica(s), poll {poll:g}s: {(c1 - c0) / elapsed:7.1f} cycles/s "
        f"(schedule asks {ideal:g}/s), {(r1 - r0) / elapsed:7.1f} tracker requests/s; "
        f"CPU over {elapsed:.0f}s: syncd {' + '.join(f'{c:.1f}' for c in cpu)} s, "
        f"sandbox+bench {own:.1f} s"
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``argv`` defaults to none: ``make bench`` calls every benchmark's ``main()`` bare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=15.0, help="seconds measured")
    parser.add_argument(
        "--poll", type=float, nargs="+", default=[0.05, 1.0], help="poll intervals (s)"
    )
    args = parser.parse_args(list(argv or []))
    print(f"{SOURCES} sources, sandbox Jira, PostgreSQL; {os.cpu_count()} CPU(s) on this machine")
    with PostgresServer() as server:
        for poll in args.poll:
            for replicas in (1, 3):
                print(measure(server, replicas, poll, args.window), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
