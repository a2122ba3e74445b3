"""``syncd run``: wire the production runners and digest service into the Daemon and
serve until a signal. SIGHUP re-reads the policy file named at start.

On PostgreSQL several replicas may share the state, so each source is leased to one of
them (``syncd.store.lease_keeper``); on SQLite (one replica by construction) there are no
leases and the replica serves every source."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from datetime import timedelta

from config.policy import Policy
from syncd.core.clock import Clock, SystemClock
from syncd.core.logs import get_logger
from syncd.daemon.contracts import Wiring
from syncd.daemon.supervisor import Daemon
from syncd.desk.app import Desk, desk_enabled
from syncd.http_server import serve
from syncd.metrics import Metrics, default_metrics
from syncd.policy_file import read_policy
from syncd.replica import default_owner
from syncd.store.lease_keeper import LeaseKeeper
from syncd.wiring import App

__all__ = ["build_wiring", "lease_keeper", "leave", "run_daemon"]


def build_wiring(app: App, policy: Policy, clock: Clock, metrics: Metrics | None = None) -> Wiring:
    """Runners for every source and the digest service (when managers are configured).
    A source that cannot be set up (a token variable not set) gets a runner that reports
    why on every cycle (``UnavailableRunner``: reported, unready), so the other sources are
    served all the same."""
    from rules.engine import Engine
    from syncd.daemon.contracts import Runner
    from syncd.digest.dispatch import DigestService
    from syncd.progress import LogProgress
    from syncd.source_cycle import SourceRunner, build_runners

    # One engine (rules, calendars) for the runners and the digests: built once, and the
    # digest's "check today" sees the very rules the reminders apply.
    engine = Engine.from_policy(policy)
    runners: list[Runner] = list(
        build_runners(
            policy,
            app.settings,
            app.store,
            clock,
            metrics=metrics or default_metrics(),
            engine=engine,
        )
    )
    # A first backfill of a large backlog takes minutes: say how far it got, every few
    # seconds, instead of staying silent until the cycle's summary line.
    for runner in runners:
        if isinstance(runner, SourceRunner):
            runner.progress = LogProgress(app.settings.progress_every)
    digests = (
        DigestService(
            policy,
            app.store,
            engine=engine,
            dry_run=app.settings.dry_run,
            owner=app.settings.replica_id,
        )
        if policy.managers
        else None
    )
    return Wiring(runners, digests, policy.sources)


def lease_keeper(
    app: App,
    sources: list[str],
    clock: Clock,
    on_change: Callable[[frozenset[str], frozenset[str]], None] | None = None,
) -> LeaseKeeper | None:
    """The source leases of this replica, or None when the store has a single replica."""
    if app.store.backend != "postgresql":
        return None
    return LeaseKeeper(
        app.store,
        app.settings.replica_id or default_owner(),
        sources,
        ttl=timedelta(seconds=app.settings.lease_ttl),
        clock=clock,
        on_change=on_change,
    )


def run_daemon(app: App, *, clock: Clock | None = None, metrics: Metrics | None = None) -> int:
    """Serve until SIGTERM/SIGINT; the process exit code (0 after a clean or timed-out stop)."""
    clock = clock or SystemClock()
    metrics = metrics or default_metrics()
    first = build_wiring(app, app.policy, clock, metrics)

    policies = [app.policy]  # the desk reads the newest one at each request

    def reload() -> Wiring:
        policy = read_policy(app.policy_path)
        wiring = build_wiring(app, policy, clock, metrics)
        policies.append(policy)
        del policies[:-1]
        return wiring

    built: list[Daemon] = []  # the keeper is built first; it tells the daemon once it exists

    def leases_changed(gained: frozenset[str], lost: frozenset[str]) -> None:
        for daemon in built:
            daemon.leases_changed(gained, lost)

    leases = lease_keeper(app, [r.source for r in first.runners], clock, leases_changed)
    daemon = Daemon(first.runners, first.digest_service, app.store, clock, app.settings, reload,
                    sources=first.sources, metrics=metrics, leases=leases)  # fmt: skip
    built.append(daemon)
    desk = desk_of(app, lambda: policies[-1], clock)
    freeze_startup_objects()
    code = 1
    try:
        code = serve(daemon, app.settings, metrics, desk)
    finally:
        leave(daemon, code, app.store.close)
    return code


def freeze_startup_objects() -> None:
    """Move everything built so far (modules, the policy and rules, the store's metadata:
    it lives as long as the process) out of the collector's generations. A full collection
    then no longer walks those objects — they cannot be garbage — which takes ~50 ms off
    the desk's first page of 2,000 tasks (``python -m tests.bench.bench_desk``)."""
    gc.collect()
    gc.freeze()
    get_logger("syncd.daemon").info("process.frozen", objects=gc.get_freeze_count())


def desk_of(app: App, policy: Callable[[], Policy], clock: Clock) -> Desk | None:
    """The manager's desk when configured (a secret or a trusted proxy), else None."""
    if not desk_enabled(app.settings):
        return None
    return Desk(app.settings, policy, app.store, clock.now)


def leave(daemon: Daemon, code: int, close: Callable[[], None]) -> None:
    """After ``serve``: close the store — unless a step was abandoned at the shutdown
    timeout. Then that step's thread is still inside a tracker (or store) call: closing
    the store under it, or the interpreter's teardown waiting on it, would take the process
    past ``shutdown_timeout``. So the process ends here, at once, with ``code``; the ledger
    makes the abandoned step safe to lose, and the database rolls back its transaction."""
    if not daemon.abandoned:
        close()
        return
    get_logger("syncd.daemon").info("process.exit", code=code, abandoned=daemon.abandoned)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)
