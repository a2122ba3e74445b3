"""The long-running service: one coordinator thread per source, a digest thread, signals.

Each source gets its own thread with its own poll interval (±10 % jitter), so a slow or
failing tracker only delays itself; a semaphore bounds how many sources talk to their
trackers at once (``settings.max_parallel_sources``). Expected failures (the
``ConnectorError`` family: connection, rate limit, auth) are logged once when a streak
starts and once when it ends, with exponential backoff in between; anything else is a bug
and is logged with its traceback every time, and the source is still retried.

Shutdown (SIGTERM/SIGINT) stops starting new steps and waits for the running ones; the
process is gone within ``settings.shutdown_timeout`` of the signal (the steps get all of it
but a small reserve for the HTTP server and the exit). A step abandoned after that is safe
to lose, because the action ledger makes every effect exactly-once. Webhook re-reads are
coalesced per task and bounded per source (``syncd.daemon.hints``). SIGHUP rebuilds the
wiring from the policy file through a callback; a bad file keeps the old wiring and logs
every problem.

The runner and digest objects are Protocols here so the daemon can be tested with small
real implementations; ``syncd.source_cycle.SourceRunner`` is the production runner.
"""

from syncd.daemon.contracts import CycleReportLike, DigestResult, DigestRunner, Runner, Wiring
from syncd.daemon.source_state import (
    BACKOFF_CAP,
    MAX_PENDING,
    SourceState,
    backoff_delay,
    digest_outcomes,
    error_text,
)
from syncd.daemon.supervisor import Daemon

__all__ = [
    "BACKOFF_CAP",
    "MAX_PENDING",
    "CycleReportLike",
    "Daemon",
    "DigestResult",
    "DigestRunner",
    "Runner",
    "SourceState",
    "Wiring",
    "backoff_delay",
    "digest_outcomes",
    "error_text",
]
