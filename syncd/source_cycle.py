"""One cycle for one source: sync → evaluate → reconcile.

The daemon (``syncd.daemon``) decides *when* each source runs; this module decides *what*
a run does. Everything a cycle needs is passed in, so ``syncd once``, ``syncd demo`` and the
tests run exactly the code the daemon runs.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from config.policy import Policy, SourceConfig
from config.settings import Settings
from connectors.base import Connector, DoctorCheck
from connectors.factory import create_connector
from rules.engine import Engine
from syncd.core.clock import Clock, SystemClock
from syncd.core.errors import ConfigError, FatalError, SyncdError
from syncd.core.logs import get_logger
from syncd.core.models import Finding, Task, fingerprint
from syncd.evaluation import iter_verdicts
from syncd.metrics import Metrics
from syncd.progress import CycleProgress, watching
from syncd.reconcile import Evaluation, Reconciler, ReconcileResult
from syncd.reminders import ATTENTION_LABEL
from syncd.replica import default_owner
from syncd.store import Store
from syncd.store.base import BATCH
from syncd.task_skips import TaskSkips
from syncd.working_set import (
    CycleFindings,
    FindingList,
    FindingsSummary,
    FlaggedTasks,
    encode_findings,
    ledger_hash,
)

__all__ = [
    "AnyRunner",
    "CycleReport",
    "SourceRunner",
    "SourceUnavailable",
    "UnavailableRunner",
    "build_runners",
    "evaluate_changes",
    "evaluate_source",
    "failure_text",
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
    evaluated: int | None = None
    """Open tasks the rules were run on (the others' kept results held); None: unknown."""
    reconciled: int | None = None
    """Tasks whose findings were reconciled with the ledger (moved, pending reminders,
    closed); None: unknown."""
    skipped: int = 0
    """Tasks set aside this cycle (``syncd.task_skips``); the others were processed."""
    requests: int = 0
    """Every HTTP request the cycle sent the tracker (sync, sweep, reconcile, writes)."""
    request_kinds: dict[str, int] = field(default_factory=dict)
    """``requests`` by kind (``connectors.request_counts.KINDS``)."""
    duration: float = 0.0
    findings_list: Sequence[Finding] = field(default_factory=list)
    reconcile: ReconcileResult | None = None
    summary: FindingsSummary | None = None
    """Findings per rule with examples (None: summarise ``findings_list``)."""

    @property
    def rule_counts(self) -> dict[str, int]:
        """Open findings per rule, without reading them again."""
        if self.summary is not None:
            return dict(self.summary.by_rule)
        return dict(Counter(f.rule for f in self.findings_list))


def evaluate_source(
    store: Store,
    engine: Engine,
    source: str,
    now: datetime,
    tasks: Iterable[Task] | None = None,
) -> Evaluation:
    """Findings over every open task of ``source`` (or ``tasks``) at ``now``, every one of
    them evaluated. Pure over the stored state: it reads no tracker.

    Tasks are streamed from the store and only those with findings are kept: a
    100,000-task source does not sit in memory whole.
    """
    source_tasks = store.iter_tasks(source, open_only=True) if tasks is None else tasks
    # Held compactly (``syncd.working_set``): on a broken backlog most tasks are flagged.
    flagged = FlaggedTasks()
    findings = FindingList()
    failed: set[tuple[str, str]] = set()
    labelled: set[str] = set()
    notes: list[tuple[str, str | None]] = []
    for result in engine.iter_results(source_tasks, now):
        task = result.task
        if ATTENTION_LABEL in task.labels:
            labelled.add(task.key)
        failed.update((task.key, rule) for rule in result.failed)
        notes.append((task.key, None if result.failed else ledger_hash(result.findings)))
        if result.findings:
            # Reminders need who to mention, not the task's history: its comments would
            # be most of the memory.
            flagged.add(task)
            for finding in result.findings:
                findings.append(finding)
    return Evaluation(
        tasks=flagged, findings=findings, failed=failed, labelled=labelled, ledger_notes=notes
    )


def evaluate_changes(
    store: Store,
    engine: Engine,
    source: str,
    now: datetime,
    *,
    pending: set[str],
    summary: FindingsSummary,
    found: CycleFindings,
    plans: bool = True,
) -> Evaluation:
    """What a cycle must reconcile at ``now``: the open tasks whose findings differ from
    what the findings ledger holds (kept results stand in for evaluations while they hold,
    ``syncd.evaluation``), the ``pending`` ones (un-notified findings, unfinished claims:
    their reminders are still due although nothing moved) and the tasks with open findings
    that are no longer stored open. Every task's findings are counted in ``summary`` and
    kept encoded in ``found``; only the scope's are held as findings. ``plans``: reminders
    will be planned, so the flagged tasks of the scope are held too (who to mention)."""
    flagged = FlaggedTasks()
    findings = FindingList()
    failed: set[tuple[str, str]] = set()
    labelled: set[str] = set()
    scope: set[str] = set()
    notes: list[tuple[str, str | None]] = []
    unread: list[str] = []  # in scope with findings, kept: their task is read afterwards
    evaluated = 0
    for verdict in iter_verdicts(store, engine, source, now):
        key = verdict.key
        settled = verdict.settled
        if verdict.encoded is not None and settled and key not in pending:
            # Kept and already in the ledger: counted, never decoded.
            found.add(key, verdict.encoded, summary.add_encoded(key, verdict.encoded))
            if verdict.attention and verdict.encoded == "[]":
                labelled.add(key)
            continue
        evaluated += verdict.evaluated
        summary.add(verdict.findings)
        found.add(key, verdict.encoded or encode_findings(verdict.findings), len(verdict.findings))
        if verdict.attention and not verdict.findings:
            labelled.add(key)  # what unlabelling needs: labelled tasks with no findings
        if settled and key not in pending:
            continue
        scope.add(key)
        failed.update((key, rule) for rule in verdict.failed)
        if not settled:
            notes.append((key, None if verdict.failed else verdict.findings_hash))
        if verdict.findings:
            for finding in verdict.findings:
                findings.append(finding)
            if plans and verdict.task is not None:
                flagged.add(verdict.task)
            elif plans:
                unread.append(key)
    for start in range(0, len(unread), BATCH):
        for task in store.tasks_by_key(source, unread[start : start + BATCH]).values():
            flagged.add(task)
    scope |= store.orphaned_task_keys(source)
    return Evaluation(
        tasks=flagged,
        findings=findings,
        failed=failed,
        labelled=labelled,
        scope=scope,
        evaluated=evaluated,
        ledger_notes=notes,
    )


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
        self.progress: CycleProgress | None = None
        """Told how a cycle advances (``syncd once`` sets it: a live line or log lines)."""

    def sync(self, now: datetime | None = None) -> int:
        """Pull changed tasks; returns how many were stored (the cycle counts the requests
        it sent at the connector's session, ``run_cycle``).

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
        synced = 0
        self.skips.begin()
        wrapped: dict[str, object] | None = None
        previous = partial(self.store.tasks_by_key, self.source)
        for page in self.connector.sync(cursor, previous):
            taken, refused = self.skips.store_tasks(page.tasks)
            self.skips.note(taken, page.skipped, refused)
            synced += len(taken)
            if self.progress is not None:
                self.progress.page(len(page.tasks))
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
        return synced

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
        counts = self.connector.request_counts
        before = counts.snapshot()  # the whole cycle's requests, writes included
        with watching(self.progress, counts, self.source):
            synced = self.sync(now)
            self._phase("sweep")
            self.sweep(now)
            self._phase("evaluate")
            summary = FindingsSummary()
            findings = CycleFindings(self.source, now.astimezone(UTC))
            ev = evaluate_changes(
                self.store,
                self.engine,
                self.source,
                now,
                pending=self.reconciler.pending_tasks(),
                summary=summary,
                found=findings,
                plans=self.reconciler.plans_reminders,
            )
            self._phase("reconcile")
            result = self.reconciler.reconcile(ev, now)
        kinds = counts.since(before)
        requests = sum(kinds.values())
        report = CycleReport(
            source=self.source,
            synced=synced,
            findings=len(findings),
            evaluated=ev.evaluated,
            reconciled=None if ev.scope is None else len(ev.scope),
            posted=len(result.posted),
            queued=len(result.queued_until),
            failed=result.failed,
            deferred=result.deferred,
            skipped=self.skips.noted,
            requests=requests,
            request_kinds=kinds,
            duration=time.monotonic() - started,
            findings_list=findings,
            reconcile=result,
            summary=summary,
        )
        bound.info(
            "cycle done",
            synced=synced,
            evaluated=ev.evaluated,
            reconciled=report.reconciled,
            findings=len(findings),
            posted=report.posted,
            queued=report.queued,
            deferred=report.deferred,
            skipped=report.skipped,
            requests=requests,
            request_kinds={k: n for k, n in kinds.items() if n},
            seconds=round(report.duration, 3),
        )
        return report

    def _phase(self, name: str) -> None:
        if self.progress is not None:
            self.progress.phase(name)

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

    def doctor(self) -> list[DoctorCheck]:
        """The connector's own checks (``syncd doctor``)."""
        return self.connector.doctor()

    def close(self) -> None:
        self.connector.close()


class SourceUnavailable(FatalError):
    """Raised by every call of an ``UnavailableRunner``: the source could not be set up.
    ``reason`` is the setup error's text; ``misconfigured``: it was a configuration mistake
    (a secret not set, a source of the wrong type), which every command exits 2 for."""

    def __init__(self, source: str, error: SyncdError) -> None:
        self.reason = str(error)
        self.misconfigured = isinstance(error, ConfigError)
        super().__init__(f"source cannot be set up: {self.reason}", source=source)


class UnavailableRunner:
    """Stands in for a source that cannot be set up (its token variable is missing, say):
    every call fails with the reason (``SourceUnavailable``), so the daemon reports it once
    per streak and /readyz shows that source unready, ``once`` and ``check`` report it and
    exit 2, ``doctor`` prints it as a failed setup line — and every other source is served
    as usual."""

    def __init__(self, source: SourceConfig, error: SyncdError) -> None:
        self.config = source
        self.source = source.name
        self.interval = source.poll_interval
        self.error = error

    @property
    def reason(self) -> str:
        return str(self.error)

    def unavailable(self) -> SourceUnavailable:
        return SourceUnavailable(self.source, self.error)

    def sync(self, now: datetime | None = None) -> int:
        del now
        raise self.unavailable()

    def run_cycle(self, now: datetime) -> CycleReport:
        del now
        raise self.unavailable()

    def doctor(self) -> list[DoctorCheck]:
        raise self.unavailable()

    def refresh(self, task_key: str) -> None:
        del task_key  # nothing to re-read without a connector: polling reports the reason

    def close(self) -> None:
        pass


AnyRunner = SourceRunner | UnavailableRunner
"""What ``build_runners`` gives for each source."""


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
    interactive: bool = False,
    engine: Engine | None = None,
    print_dry_run: bool = True,
) -> list[AnyRunner]:
    """One runner per configured source (or the ``only`` subset), in policy order.

    A source that cannot be set up (its token variable is not set, say) gets an
    ``UnavailableRunner``, which fails every call with the reason; the others run as usual.
    This is the one place that decides it, for every command and the daemon.
    ``engine``: the policy's rule engine when the caller built it already (the daemon
    shares one with the digest service). ``print_dry_run``: a dry run without ``echo``
    prints every would-be write (``syncd run --dry-run``); off, it goes nowhere (``syncd
    once`` prints a summary, and every comment only on request)."""
    engine = engine or Engine.from_policy(policy)
    owner = settings.replica_id or default_owner()
    # With leases (PostgreSQL) a source changes hands only after its lease expired, so a
    # claim older than that belongs to a replica that is gone.
    leased = store.backend == "postgresql"
    stale_after = timedelta(seconds=settings.lease_ttl) if leased else timedelta(minutes=10)
    if echo is None and settings.dry_run and print_dry_run:
        echo = print  # dry-run's whole point: show exactly what would be written
    runners: list[AnyRunner] = []
    for source in policy.sources:
        if only is not None and source.name not in only:
            continue
        observe = None if metrics is None else partial(metrics.api_request, source.name)
        try:
            connector = create_connector(source, env, observe=observe, interactive=interactive)
        except SyncdError as exc:
            log.error(
                "source cannot be set up; the others go on", source=source.name, error=str(exc)
            )
            runners.append(UnavailableRunner(source, exc))
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
