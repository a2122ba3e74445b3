"""A stand-in ``syncd run`` for the signal tests: the real Daemon, HTTP server, settings,
logging, store and policy loader, with ScriptedRunners instead of tracker connectors.

    python -m tests.runtime.daemon_main     (env: SYNCD_*, RUNNER_DELAY, RUNNER_INTERVAL)
"""

from __future__ import annotations

import os
import sys

from config.settings import Settings
from syncd.commands.run import leave
from syncd.core.clock import SystemClock
from syncd.core.logs import configure_logging
from syncd.daemon import Daemon, Wiring
from syncd.http_server import serve
from syncd.metrics import default_metrics
from syncd.policy_file import read_policy
from syncd.store import open_store
from tests.runtime.support import ScriptedRunner


def main() -> int:
    settings = Settings.load()
    configure_logging(settings.log_level, settings.log_format)
    delay = float(os.environ.get("RUNNER_DELAY", "0"))
    interval = float(os.environ.get("RUNNER_INTERVAL", "0.2"))
    assert settings.config is not None
    path = settings.config

    def wiring() -> Wiring:
        policy = read_policy(path)
        runners = [ScriptedRunner(s.name, interval, delay=delay) for s in policy.sources]
        return Wiring(runners, None, policy.sources)

    first = wiring()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(settings.resolved_state_url())
    daemon = Daemon(first.runners, None, store, SystemClock(), settings, wiring,
                    sources=first.sources)  # fmt: skip
    code = 1
    try:
        code = serve(daemon, settings, default_metrics())
    finally:
        leave(daemon, code, store.close)  # as ``syncd run`` leaves
    return code


if __name__ == "__main__":
    sys.exit(main())
