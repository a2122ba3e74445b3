"""Each stored open task's findings at ``now``: kept from an earlier evaluation while they
hold, evaluated (and kept) otherwise.

The engine says until when a task's findings stay the same (``TaskResult.valid_until``);
``syncd.store.kept_results`` holds them with the task content and the engine they were
computed from. ``iter_verdicts`` streams every open task of a source in key order, in one
store query: the tasks that need evaluation come with their snapshot and are evaluated,
the others with their kept findings, which are exactly what evaluating them at ``now``
would give (``detected_at`` is ``now`` either way). ``check`` and the cycle both read
findings this way; ``keep=False`` evaluates everything (the reference they are tested
against).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from rules.engine import Engine
from syncd.core.errors import StoreError
from syncd.core.logs import get_logger
from syncd.core.models import Finding, Task
from syncd.reminders import ATTENTION_LABEL
from syncd.store import Store
from syncd.store.base import BATCH
from syncd.working_set import decode_findings, encode_findings, ledger_hash

__all__ = ["ENCODING", "TaskVerdict", "iter_verdicts"]

log = get_logger("syncd.evaluation")

ENCODING = "f2"
"""The version of ``syncd.working_set.encode_findings``' format and of the ``check`` lines
kept beside it (``syncd.check_lines``), part of each kept row's engine identity."""


class TaskVerdict:
    """One open task's findings at ``now``. Kept findings are decoded when first asked
    for: a cycle that only counts them never builds a ``Finding``."""

    __slots__ = (
        "_findings",
        "attention",
        "detected_at",
        "encoded",
        "failed",
        "findings_hash",
        "key",
        "ledger_hash",
        "source",
        "task",
    )

    def __init__(
        self,
        source: str,
        key: str,
        detected_at: datetime,
        *,
        findings: list[Finding] | None = None,
        encoded: str | None = None,
        task: Task | None = None,
        failed: tuple[str, ...] = (),
        attention: bool,
        findings_hash: str,
        ledger_hash: str | None,
    ) -> None:
        self.source = source
        self.key = key
        self.detected_at = detected_at
        self._findings = findings
        self.encoded = encoded
        """The kept findings as stored (``syncd.working_set.encode_findings``), if kept."""
        self.task = task
        """The task, when it was evaluated (its snapshot was read); None when kept."""
        self.failed = failed
        """Rules that crashed on it this time (their findings are unknown, not absent)."""
        self.attention = attention
        """The task carries the attention label."""
        self.findings_hash = findings_hash
        """``syncd.working_set.ledger_hash`` of the findings."""
        self.ledger_hash = ledger_hash
        """The same digest of what the findings ledger holds open for the task (None: not
        known). Equal to ``findings_hash``: the ledger has nothing to learn about it."""

    @property
    def findings(self) -> list[Finding]:
        if self._findings is None:
            assert self.encoded is not None
            self._findings = decode_findings(self.encoded, self.source, self.key, self.detected_at)
        return self._findings

    @property
    def evaluated(self) -> bool:
        return self.task is not None

    @property
    def settled(self) -> bool:
        """The findings ledger already holds exactly these findings for the task."""
        return not self.failed and self.findings_hash == self.ledger_hash


class _Keeper:
    """Kept rows written back in batches while the stream goes on; a store that refuses
    them (read-only file, full disk) only costs the next run an evaluation."""

    def __init__(self, store: Store, source: str, enabled: bool) -> None:
        self.store = store
        self.source = source
        self.enabled = enabled
        self.rows: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        if self.enabled:
            self.rows.append(row)
            if len(self.rows) >= BATCH:
                self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        try:
            self.store.keep_results(self.source, rows)
        except (StoreError, sa.exc.DBAPIError) as exc:
            self.enabled = False
            log.warning("results not kept; the next run evaluates again", error=str(exc))


def iter_verdicts(
    store: Store,
    engine: Engine,
    source: str,
    now: datetime,
    *,
    keep: bool = True,
    stale_only: bool = False,
) -> Iterator[TaskVerdict]:
    """Every stored open task of ``source`` at ``now``, by key. Tasks whose kept result
    does not hold are evaluated and their result kept when the engine says until when it
    holds; ``keep=False``: every task is evaluated and nothing is kept. ``stale_only``:
    only the tasks evaluated (``check`` reads the others' kept lines itself)."""
    # The engine, and how its findings are kept: a syncd that encodes them otherwise
    # must not read another's rows (``ENCODING`` changes with ``encode_findings``).
    fingerprint = f"{ENCODING}:{engine.fingerprint()}"
    ctx = engine.context(source, now)  # built once per stream, not once per task
    detected = ctx.now  # what the rules stamp findings with
    keeper = _Keeper(store, source, keep)
    states = store.iter_open_states(source, fingerprint, now, keep=keep, stale_only=stale_only)
    for state in states:
        if state.snapshot is None:
            assert state.findings is not None
            assert state.findings_hash is not None
            yield TaskVerdict(
                source,
                state.key,
                detected,
                encoded=state.findings,
                attention=state.attention,
                findings_hash=state.findings_hash,
                ledger_hash=state.ledger_hash,
            )
            continue
        task = Task.model_validate_json(state.snapshot)
        result = engine.result(task, ctx)
        findings = list(result.findings)
        digest = ledger_hash(findings)
        attention = ATTENTION_LABEL in task.labels
        until = result.valid_until
        if state.content is not None and until is not None and until > now and not result.failed:
            keeper.add(
                {
                    "task_key": task.key,
                    "content": state.content,
                    "engine": fingerprint,
                    "evaluated_at": now,
                    "valid_until": until,
                    "attention": attention,
                    "findings_hash": digest,
                    "findings": encode_findings(findings),
                }
            )
        yield TaskVerdict(
            source,
            task.key,
            detected,
            findings=findings,
            task=task,
            failed=result.failed,
            attention=attention,
            findings_hash=digest,
            ledger_hash=state.ledger_hash,
        )
    keeper.flush()
