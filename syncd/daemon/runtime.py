"""``syncd run``: wire the production runners and digest service into the Daemon and
serve until a signal. SIGHUP re-reads the policy file named at start."""

from __future__ import annotations

from config.loader import load_policy
from config.policy import Policy
from syncd.app import App
from syncd.clock import Clock, SystemClock
from syncd.daemon.contracts import Wiring
from syncd.daemon.service import Daemon
from syncd.http import serve
from syncd.metrics import Metrics, default_metrics

__all__ = ["build_wiring", "run_daemon"]


def build_wiring(app: App, policy: Policy, clock: Clock) -> Wiring:
    """Runners for every source and the digest service (when managers are configured).
    Raises ConfigError (e.g. a token variable not set), which a reload reports and survives.
    """
    from syncd.cycle import build_runners
    from syncd.digest.service import DigestService

    runners = build_runners(policy, app.settings, app.store, clock)
    digests = (
        DigestService(
            policy, app.store, dry_run=app.settings.dry_run, owner=app.settings.replica_id
        )
        if policy.managers
        else None
    )
    return Wiring(runners, digests, policy.sources)


def run_daemon(app: App, *, clock: Clock | None = None, metrics: Metrics | None = None) -> int:
    """Serve until SIGTERM/SIGINT; the process exit code (0 after a clean or timed-out stop)."""
    clock = clock or SystemClock()
    metrics = metrics or default_metrics()
    first = build_wiring(app, app.policy, clock)

    def reload() -> Wiring:
        return build_wiring(app, load_policy(app.policy_path), clock)

    daemon = Daemon(first.runners, first.digest_service, app.store, clock, app.settings, reload,
                    sources=first.sources, metrics=metrics)  # fmt: skip
    try:
        return serve(daemon, app.settings, metrics)
    finally:
        app.store.close()
