"""Kept results: each task's findings between evaluations, until they can change.

A row holds what an engine (``Engine.fingerprint()``) made of one task's stored content
(``tasks.content``) at ``evaluated_at``, valid until ``valid_until`` (exclusive). It may
stand in for an evaluation at ``now`` only when the content and the engine are the same
and ``evaluated_at <= now < valid_until``: a clock that went back never reuses a result.
Rows are derived data: losing one costs an evaluation, a stale one is simply not used.

``ledger_hash`` is a separate fact about the findings ledger: the digest
(``syncd.working_set.ledger_hash``) of the findings the ledger holds open for the task,
written by the cycle that recorded them. Where it equals ``findings_hash`` the ledger has
nothing to learn about the task.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syncd.check_lines import line_template
from syncd.store import schema as t
from syncd.store.base import BATCH as _BATCH
from syncd.store.base import StoreBase
from syncd.store.database import dialect_insert

__all__ = ["KeptLine", "KeptResultsMixin", "OpenTaskState"]

_K = t.kept_results
_F = t.kept_findings
_T = t.tasks

KeptLine = tuple[str, str, int, str, str, str]
"""(rule, task key, order within the task, severity, message, ``check`` line template) of
one kept finding: tuples compare in the order ``check`` prints."""


@dataclass(frozen=True, slots=True)
class OpenTaskState:
    """One stored open task as a cycle or ``check`` sees it: its snapshot when it needs
    evaluating, else the kept findings (compact JSON, ``syncd.working_set``)."""

    key: str
    content: str | None
    snapshot: str | None
    """The stored task (JSON) when no kept result holds at ``now``; None otherwise."""
    findings: str | None
    """The kept findings when a kept result holds at ``now``; None otherwise."""
    attention: bool
    """Kept: the task carries the attention label (meaningless when ``snapshot`` is set)."""
    findings_hash: str | None
    ledger_hash: str | None


class KeptResultsMixin(StoreBase):
    def iter_open_states(
        self,
        source: str,
        engine: str,
        now: datetime,
        *,
        keep: bool = True,
        stale_only: bool = False,
    ) -> Iterator[OpenTaskState]:
        """Every stored open task of ``source`` by key, streamed, in one query: which need
        evaluation under ``engine`` at ``now`` (their snapshot is read) and the kept
        findings of the others. ``keep=False``: every task needs evaluation;
        ``stale_only``: only the tasks that need evaluation (the others' findings are
        read by ``iter_kept_lines``)."""
        stale = _stale(engine, now)
        if not keep:
            stale = sa.true()
        query = (
            sa.select(
                _T.c.key,
                _T.c.content,
                # Only the tasks that need it: an idle cycle reads no snapshot at all.
                sa.case((stale, _T.c.snapshot), else_=sa.null()),
                sa.case((stale, sa.null()), else_=_K.c.findings),
                _K.c.attention,
                _K.c.findings_hash,
                _K.c.ledger_hash,
            )
            .select_from(
                _T.outerjoin(_K, sa.and_(_K.c.source == _T.c.source, _K.c.task_key == _T.c.key))
            )
            .where(_T.c.source == source, _T.c.is_open.is_(True))
            .order_by(_T.c.key)
        )
        if stale_only:
            query = query.where(stale)
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=1000).execute(query)
            for key, content, snapshot, findings, attention, f_hash, l_hash in result:
                yield OpenTaskState(
                    key, content, snapshot, findings, bool(attention), f_hash, l_hash
                )

    def keep_results(self, source: str, rows: Iterable[dict[str, Any]]) -> None:
        """Upsert kept results (``task_key, content, engine, evaluated_at, valid_until,
        attention, findings_hash, findings``), in batches, with each finding's ``check``
        line (``kept_findings``). The ledger's digest of a task is left as it was: writing
        a result tells nothing about the ledger."""
        iterator = iter(rows)
        batch = list(itertools.islice(iterator, _BATCH))
        if not batch:
            return
        with self._write() as conn:
            insert = dialect_insert(conn, _K)
            upsert = insert.on_conflict_do_update(
                index_elements=[_K.c.source, _K.c.task_key],
                set_={
                    name: getattr(insert.excluded, name)
                    for name in (
                        "content",
                        "engine",
                        "evaluated_at",
                        "valid_until",
                        "attention",
                        "findings_hash",
                        "findings",
                    )
                },
            )
            # Plain driver SQL for the 200,000 rows of a large backlog's first evaluation:
            # SQLAlchemy's per-row parameter processing would cost more than the writes.
            add_lines = _F.insert().compile(dialect=conn.dialect)
            names = [c.name for c in _F.columns]  # the order of `_lines`' tuples
            assert not add_lines.positional or add_lines.positiontup == names
            while batch:
                conn.execute(upsert, [{"source": source, "ledger_hash": None, **r} for r in batch])
                # A task's printed rows are replaced with its result, in the same transaction.
                keys = [r["task_key"] for r in batch]
                conn.execute(_F.delete().where(_F.c.source == source, _F.c.task_key.in_(keys)))
                lines = [line for r in batch for line in _lines(source, r)]
                if lines and add_lines.positional:
                    conn.exec_driver_sql(str(add_lines), lines)
                elif lines:  # named parameters (psycopg)
                    rows = [dict(zip(names, line, strict=True)) for line in lines]
                    conn.exec_driver_sql(str(add_lines), rows)
                batch = list(itertools.islice(iterator, _BATCH))

    def iter_kept_lines(self, source: str, stale: Collection[str]) -> Iterator[KeptLine]:
        """The kept findings of ``source``'s open tasks, in the order ``check`` prints them
        (rule, task key, order within the task; code point order, as Python compares
        strings), in one ordered scan of ``kept_findings`` and no join per finding.

        ``stale``: the open tasks whose kept result does not hold at the moment printed,
        as ``iter_open_states(..., stale_only=True)`` found them for it; their rows are
        left out (the caller evaluated them). Every other open task's rows are current:
        a task's rows are replaced with its kept result, in one transaction."""
        with self.engine.connect() as conn:
            # NOT IN a list, not NOT EXISTS per row: the open keys come from the covering
            # index alone, never from the rows holding the snapshots.
            open_keys = sa.select(_T.c.key).where(_T.c.source == source, _T.c.is_open.is_(True))
            closed = conn.execute(
                sa.select(_K.c.task_key).where(
                    _K.c.source == source, _K.c.task_key.not_in(open_keys)
                )
            )
            skip = {*stale, *closed.scalars()}  # kept once, since closed or forgotten
            rule: sa.ColumnElement[Any] = _F.c.rule
            key: sa.ColumnElement[Any] = _F.c.task_key
            if conn.dialect.name == "postgresql":  # the database's own collation may differ
                rule, key = rule.collate("C"), key.collate("C")
            query = (
                sa.select(
                    _F.c.rule, _F.c.task_key, _F.c.seq, _F.c.severity, _F.c.message, _F.c.line
                )
                .where(_F.c.source == source)
                .order_by(rule, key, _F.c.seq)
            )
            result = conn.execution_options(yield_per=2000).execute(query)
            for partition in result.partitions():
                if skip:
                    yield from (row for row in partition if row[1] not in skip)
                else:
                    yield from partition

    def count_open_tasks(self, source: str) -> int:
        query = (
            sa.select(sa.func.count())
            .select_from(_T)
            .where(_T.c.source == source, _T.c.is_open.is_(True))
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def note_ledger(self, source: str, hashes: Iterable[tuple[str, str | None]]) -> None:
        """Record, per (task key, digest), which findings the ledger now holds open for a
        task with a kept row (None: unknown, e.g. a rule failed and its old findings
        stay). Tasks without a row are evaluated and reconciled every cycle anyway."""
        rows = [{"k_task": key, "k_hash": digest} for key, digest in hashes]
        if not rows:
            return
        with self._write() as conn:
            conn.execute(
                _K.update()
                .where(_K.c.source == source, _K.c.task_key == sa.bindparam("k_task"))
                .values(ledger_hash=sa.bindparam("k_hash")),
                rows,
            )

    def count_kept_results(self, source: str) -> int:
        query = sa.select(sa.func.count()).select_from(_K).where(_K.c.source == source)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def unnotified_task_keys(self, source: str, severities: Iterable[str]) -> set[str]:
        """Tasks with an open finding of one of ``severities`` that no reminder covered yet
        (queued overnight, deferred, cooling down, report-only): their reminders are
        planned although nothing moved."""
        f = t.findings
        query = (
            sa.select(f.c.task_key)
            .distinct()
            .where(
                f.c.source == source,
                f.c.state == "open",
                f.c.notified_marker.is_(None),
                f.c.severity.in_(sorted(severities)),
            )
        )
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())

    def orphaned_task_keys(self, source: str) -> set[str]:
        """Tasks with open findings in the ledger that are not stored as open any more
        (closed, forgotten): their findings are resolved."""
        f = t.findings
        open_tasks = sa.select(_T.c.key).where(_T.c.source == source, _T.c.is_open.is_(True))
        query = (
            sa.select(f.c.task_key)
            .distinct()
            .where(f.c.source == source, f.c.state == "open", f.c.task_key.not_in(open_tasks))
        )
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars())


def _stale(engine: str, now: datetime) -> sa.ColumnElement[bool]:
    """A stored open task (``tasks`` outer-joined with ``kept_results``) whose kept result
    does not hold under ``engine`` at ``now``."""
    return sa.or_(
        _K.c.task_key.is_(None),
        _T.c.content.is_(None),
        _K.c.content != _T.c.content,
        _K.c.engine != engine,
        _K.c.valid_until.is_(None),
        _K.c.valid_until <= now,
        _K.c.evaluated_at > now,  # the clock went back: never reuse
    )


def _lines(source: str, row: dict[str, Any]) -> Iterator[tuple[str, str, str, int, str, str, str]]:
    """``kept_findings`` rows (in its columns' order) of one kept result (its
    ``findings``, as ``syncd.working_set.encode_findings`` writes them)."""
    key = row["task_key"]
    for seq, (rule, severity, message, fp, data) in enumerate(json.loads(row["findings"])):
        line = line_template(
            source, key, rule=rule, severity=severity, message=message, fingerprint=fp, data=data
        )
        yield (source, rule, key, seq, severity, message, line)
