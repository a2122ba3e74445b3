"""One cycle for one source: sync → evaluate → reconcile.

The daemon (``syncd.daemon``) decides *when* each source runs; this module decides *what*
a run does. Everything a cycle needs is passed in, so ``syncd once``, ``syncd demo`` and the
tests run exactly the code the daemon runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from config.policy import Policy, SourceConfig
from config.settings import Settings
from connectors.base import Connector
from connectors.factory import create_connector
from rules.engine import Engine
from syncd.core.clock import Clock, SystemClock
from syncd.core.errors import FatalError, SyncdError
from syncd.core.logs import get_logger
from syncd.core.models import Finding, Task, fingerprint
from syncd.metrics import Metrics
from syncd.reconcile import Evaluation, Reconciler, ReconcileResult
from syncd.reminders import ATTENTION_LABEL
from syncd.replica import default_owner
from syncd.store import Store
from syncd.task_skips import TaskSkips
from syncd.working_set import FindingList, FlaggedTasks

__all__ = [
    "CycleReport",
    "SourceRunner",
    "UnavailableRunner",
    "build_runners",
    "evaluate_source",
    "failure_text",
    "iter_source_findings",
]

log = get_logger("syncd.source_cycle")


@dataclass
class CycleReport:
    source: str
    synced: int = 0
    findings: int = 0
    posted: int = 0
    queued: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0
    """Tasks set aside this cycle (``syncd.task_skips``); the others were processed."""
    requests: int = 0
    duration: float = 0.0
    findings_list: Sequence[Finding] = field(default_factory=list)
    reconcile: ReconcileResult | None = None


def iter_source_findings(
    store: Store, engine: Engine, source: str, now: datetime
) -> Iterator[Finding]:
    """The findings of every stored open task of ``source`` at ``now``, streamed: nothing
    of a task is kept once its findings are out (``check`` needs no task, only findings)."""
    return engine.iter_findings(store.iter_tasks(source, open_only=True), now)


def evaluate_source(
    store: Store,
    engine: Engine,
    source: str,
    now: datetime,
    tasks: Iterable[Task] | None = None,
) -> Evaluation:
    """Findings over every open task of ``source`` (or ``tasks``) at ``now``. Pure over the
    stored state: it reads no tracker, so ``check --no-sync`` and ``--at`` use it as is.

    Tasks are streamed from the store and only those with findings are kept: a
    100,000-task source does not sit in memory whole. The engine yields a task's findings
    while that task is the current one (task order), so the task is at hand.
    """
    current: list[Task] = []
    labelled: set[str] = set()

    def stream() -> Iterator[Task]:
        for task in store.iter_tasks(source, open_only=True) if tasks is None else tasks:
            current[:] = [task]
            if ATTENTION_LABEL in task.labels:
                labelled.add(task.key)
            yield task

    # Held compactly (``syncd.working_set``): on a broken backlog most tasks are flagged.
    flagged = FlaggedTasks()
    findings = FindingList()
    failures: list[tuple[str, str]] = []
    for finding in engine.iter_findings(stream(), now, failures):
        task = current[0]  # the engine yields a task's findings while it is current
        if task.key not in flagged:
            # Reminders need who to mention, not the task's history: its comments would
            # be most of the memory.
            flagged.add(task)
        findings.append(finding)
    return Evaluation(tasks=flagged, findings=findings, failed=set(failures), labelled=labelled)


def failure_text(exc: Exception) -> str:
    """One line for a source whose cycle failed: syncd's own errors as they are, anything
    else (a bug that some tracker content ran into) by type and message — never a
    traceback on a command's output; the log has it at debug level."""
    if isinstance(exc, SyncdError):
        return str(exc)
    log.debug("cycle failed unexpectedly", exc_info=exc)
    return f"unexpected {type(exc).__name__}: {exc}"[:300]


class SourceRunner:
    """Owns one source's connector and runs its cycles."""

    def __init__(
        self,
        source: SourceConfig,
        connector: Connector,
        store: Store,
        engine: Engine,
        *,
        owner: str,
        clock: Clock | None = None,
        dry_run: bool = False,
        echo: Callable[[str], None] | None = None,
        stale_after: timedelta = timedelta(minutes=10),
        metrics: Metrics | None = None,
    ) -> None:
        self.config = source
        self.source = source.name
        self.interval = source.poll_interval
        self.connector = connector
        self.store = store
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.skips = TaskSkips(source.name, store, self.clock, metrics)
        self.reconciler = Reconciler(
            source,
            connector,
            store,
            engine.calendar(source.name),
            owner=owner,
            dry_run=dry_run,
            echo=echo,
            stale_after=stale_after,
        )

    def sync(self, now: datetime | None = None) -> tuple[int, int]:
        """Pull changed tasks; returns (tasks stored, API requests).

        The stored cursor remembers the scope it was made for: a changed JQL, project or
        group starts a full sync, and a completed full sync forgets stored tasks it did not
        see (moved, deleted, or out of the new scope) so they stop being flagged — what a
        scope sweep does, so it is recorded as one at ``now`` (the cycle's moment): no
        sweep follows right after a full sync. A task that cannot be read or stored is set aside
        (``syncd.task_skips``), never the page."""
        stored = self.store.get_cursor(self.source) or {}
        scope = self._scope_id()
        cursor = stored.get("connector") if stored.get("scope") == scope else None
        full = cursor is None
        seen: set[str] = set()
        synced = requests = 0
        self.skips.begin()
        wrapped: dict[str, object] | None = None
        previous = partial(self.store.tasks_by_key, self.source)
        for page in self.connector.sync(cursor, previous):
            taken, refused = self.skips.store_tasks(page.tasks)
            self.skips.note(taken, page.skipped, refused)
            synced += len(taken)
            requests += page.requests
            if full:
                seen.update(task.key for task in page.tasks)
                # Issues that failed to read this time are not gone: they are retried.
                seen.update(str(item[0]) for item in page.cursor.get("retry", ()))
            # The page is stored: now, and only now, the cursor may move past it.
            wrapped = {"scope": scope, "connector": page.cursor}
            if not full and stored.get("swept_at"):
                wrapped["swept_at"] = stored["swept_at"]
            self.store.set_cursor(self.source, wrapped, self.clock.now())
        synced += len(self.skips.retry_refused(self.connector))
        if full:
            gone = self.store.task_keys(self.source) - seen
            if gone:
                self.store.forget_tasks(self.source, gone)
                log.info("tasks no longer in scope forgotten", source=self.source, count=len(gone))
            if wrapped is not None:
                at = now or self.clock.now()
                self.store.set_cursor(self.source, {**wrapped, "swept_at": at.isoformat()}, at)
        return synced, requests

    def sweep(self, now: datetime) -> int:
        """Forget stored open tasks the tracker no longer lists as open in scope (deleted,
        moved, excluded by the scope) — an incremental sync never returns those. Each is
        re-read first, so a listing that lags behind cannot make syncd forget a live task.
        Runs every ``scope_sweep_every``; returns how many tasks were forgotten."""
        stored = self.store.get_cursor(self.source) or {}
        swept = stored.get("swept_at")
        if swept and (now - datetime.fromisoformat(swept)).total_seconds() < (
            self.config.scope_sweep_every
        ):
            return 0
        listed = self.connector.open_keys()
        self.skips.forget_closed(listed)
        forgotten = []
        for key in sorted(self.store.open_task_keys(self.source) - listed):
            task = self.connector.fetch_task(key)
            if task is None:
                forgotten.append(key)
            else:
                self.store.upsert_tasks([task])
        self.store.forget_tasks(self.source, forgotten)
        if forgotten:
            log.info(
                "tasks gone from the tracker forgotten", source=self.source, count=len(forgotten)
            )
        if stored:
            stored = {**stored, "swept_at": now.isoformat()}
            self.store.set_cursor(self.source, stored, now)
        return len(forgotten)

    def _scope_id(self) -> str:
        c = self.config
        return fingerprint(c.type, c.url, c.scope.jql, c.scope.project, c.scope.group)

    def evaluate(self, now: datetime, tasks: Iterable[Task] | None = None) -> Evaluation:
        return evaluate_source(self.store, self.engine, self.source, now, tasks)

    def run_cycle(self, now: datetime) -> CycleReport:
        started = time.monotonic()
        bound = log.bind(source=self.source)
        synced, requests = self.sync(now)
        self.sweep(now)
        ev = self.evaluate(now)
        result = self.reconciler.reconcile(ev, now)
        findings = ev.findings
        report = CycleReport(
            source=self.source,
            synced=synced,
            findings=len(findings),
            posted=len(result.posted),
            queued=len(result.queued_until),
            failed=result.failed,
            deferred=result.deferred,
            skipped=self.skips.noted,
            requests=requests,
            duration=time.monotonic() - started,
            findings_list=findings,
            reconcile=result,
        )
        bound.info(
            "cycle done",
            synced=synced,
            findings=len(findings),
            posted=report.posted,
            queued=report.queued,
            deferred=report.deferred,
            skipped=report.skipped,
            requests=requests,
            seconds=round(report.duration, 3),
        )
        return report

    def refresh(self, task_key: str) -> ReconcileResult | None:
        """A webhook's hint: re-read one task now and act on it without waiting for the
        next poll (evaluation is over the stored state, so this costs one issue read).
        Returns what was done, for the daemon's action counters."""
        try:
            task = self.connector.fetch_task(task_key)
        except FatalError as exc:  # unreadable now (malformed fields): polling will tell
            log.warning("webhook re-read failed", source=self.source, task=task_key, error=str(exc))
            return None
        if task is None:  # deleted, moved or out of scope: stop flagging it
            self.store.forget_tasks(self.source, [task_key])
        else:
            self.store.upsert_tasks([task])
        now = self.clock.now()
        # Only this task: its findings are settled, nobody else's are touched.
        open_now = [task] if task is not None and task.is_open else []
        return self.reconciler.reconcile(self.evaluate(now, open_now), now, only={task_key})

    def close(self) -> None:
        self.connector.close()


class UnavailableRunner:
    """Stands in for a source that cannot be set up (its token variable is missing, say):
    every cycle fails with the reason, so the daemon reports it once per streak, /readyz
    shows that source unready, and every other source is served as usual."""

    def __init__(self, source: SourceConfig, reason: str) -> None:
        self.config = source
        self.source = source.name
        self.interval = source.poll_interval
        self.reason = reason

    def run_cycle(self, now: datetime) -> CycleReport:
        raise FatalError(f"source cannot be set up: {self.reason}", source=self.source)

    def refresh(self, task_key: str) -> None:
        del task_key  # nothing to re-read without a connector

    def close(self) -> None:
        pass


def build_runners(
    policy: Policy,
    settings: Settings,
    store: Store,
    clock: Clock,
    *,
    env: Mapping[str, str] | None = None,
    echo: Callable[[str], None] | None = None,
    only: set[str] | None = None,
    metrics: Metrics | None = None,
    errors: dict[str, str] | None = None,
    interactive: bool = False,
    engine: Engine | None = None,
) -> list[SourceRunner]:
    """One runner per configured source (or the ``only`` subset).

    With ``errors`` given, a source that cannot be set up (its token variable is not set,
    say) is reported there and the others still get runners; without it, the error is
    raised. ``engine``: the policy's rule engine when the caller built it already (the
    daemon shares one with the digest service)."""
    engine = engine or Engine.from_policy(policy)
    owner = settings.replica_id or default_owner()
    # With leases (PostgreSQL) a source changes hands only after its lease expired, so a
    # claim older than that belongs to a replica that is gone.
    leased = store.backend == "postgresql"
    stale_after = timedelta(seconds=settings.lease_ttl) if leased else timedelta(minutes=10)
    if echo is None and settings.dry_run:
        echo = print  # dry-run's whole point: show exactly what would be written
    runners = []
    for source in policy.sources:
        if only is not None and source.name not in only:
            continue
        observe = None if metrics is None else partial(metrics.api_request, source.name)
        try:
            connector = create_connector(source, env, observe=observe, interactive=interactive)
        except SyncdError as exc:
            if errors is None:
                raise
            errors[source.name] = str(exc)
            log.error(
                "source cannot be set up; the others go on", source=source.name, error=str(exc)
            )
            continue
        runners.append(
            SourceRunner(
                source,
                connector,
                store,
                engine,
                owner=owner,
                clock=clock,
                dry_run=settings.dry_run,
                echo=echo,
                stale_after=stale_after,
                metrics=metrics,
            )
        )
    return runners
