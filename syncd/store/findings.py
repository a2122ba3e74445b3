"""The findings ledger: what is wrong with which task, and whether a reminder said so."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from syncd.core.models import Finding
from syncd.store import schema as t
from syncd.store.base import BATCH as _BATCH
from syncd.store.base import StoreBase
from syncd.store.database import dialect_insert
from syncd.store.ledger import FindingRow
from syncd.working_set import FindingList

__all__ = ["FindingsMixin", "mark_notified_rows"]


class FindingsMixin(StoreBase):
    # -- findings ledger --------------------------------------------------------------
    def findings(
        self,
        source: str | None = None,
        *,
        state: str | None = "open",
        task_keys: Iterable[str] | None = None,
    ) -> list[FindingRow]:
        """Ledger rows, oldest first; ``task_keys`` narrows to those tasks (any state when
        ``state`` is None)."""
        query = sa.select(t.findings).order_by(t.findings.c.id)
        if source is not None:
            query = query.where(t.findings.c.source == source)
        if state is not None:
            query = query.where(t.findings.c.state == state)
        keys = None if task_keys is None else sorted(set(task_keys))
        out: list[FindingRow] = []
        # Rows seen, notified or recorded by the same cycle share their moments: one
        # datetime object per distinct moment, not four per row.
        moments: dict[datetime, datetime] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(keys) if keys is not None else 1, _BATCH):
                batch = query
                if keys is not None:
                    batch = query.where(t.findings.c.task_key.in_(keys[start : start + _BATCH]))
                for r in conn.execute(batch).mappings():
                    out.append(_finding_row(r, moments))
        return out

    def record_findings(self, source: str, found: Iterable[Finding], now: datetime) -> None:
        """Upsert the findings of one evaluation: new ones open, known ones touched,
        resolved ones that came back reopened. A reopened finding loses its
        ``notified_marker`` (so it may be reminded about again) but keeps ``notified_at``,
        which the reconciler compares with its cool-down.

        Written in batches within one transaction: 200,000 findings of a large backlog
        are never all parameter dicts at once."""
        fields = (
            found.ledger_fields()  # held compactly: no Finding is built to be read once
            if isinstance(found, FindingList)
            else ((f.task_key, f.rule, f.fingerprint, f.severity, f.message) for f in found)
        )
        params = (
            {
                "source": source,
                "task_key": task_key,
                "rule": rule,
                "fingerprint": fp,
                "state": "open",
                "severity": severity.value,
                "message": message,
                "first_seen": now,
                "last_seen": now,
                "times_notified": 0,
            }
            for task_key, rule, fp, severity, message in fields
        )
        rows = list(itertools.islice(params, _BATCH))
        if not rows:
            return
        with self._write() as conn:
            insert = dialect_insert(conn, t.findings)
            upsert = insert.on_conflict_do_update(
                index_elements=[
                    t.findings.c.source,
                    t.findings.c.task_key,
                    t.findings.c.rule,
                    t.findings.c.fingerprint,
                ],
                set_={
                    "state": "open",
                    "last_seen": now,
                    "severity": insert.excluded.severity,
                    "message": insert.excluded.message,
                    "resolved_at": None,
                    # Right-hand sides see the old row: only a resolved one is reset.
                    "notified_marker": sa.case(
                        (t.findings.c.state == "resolved", sa.null()),
                        else_=t.findings.c.notified_marker,
                    ),
                },
            )
            while rows:
                conn.execute(upsert, rows)
                rows = list(itertools.islice(params, _BATCH))

    def resolve_findings(
        self, source: str, keys: Iterable[tuple[str, str, str]], now: datetime
    ) -> None:
        """Mark (task_key, rule, fingerprint) findings as resolved (one batched update)."""
        rows = [_key_params(source, task_key, rule, fp) for task_key, rule, fp in keys]
        if not rows:
            return
        with self._write() as conn:
            conn.execute(
                t.findings.update()
                .where(*_BY_KEY, t.findings.c.state == "open")
                .values(state="resolved", resolved_at=now),
                rows,
            )

    def mark_notified(
        self,
        source: str,
        task_key: str,
        keys: Iterable[tuple[str, str]],
        marker: str,
        now: datetime,
    ) -> None:
        """Record that the reminder ``marker`` covered these (rule, fingerprint) findings."""
        with self._write() as conn:
            mark_notified_rows(conn, source, task_key=task_key, keys=keys, marker=marker, now=now)


def _finding_row(r: Any, moments: dict[datetime, datetime]) -> FindingRow:
    def moment(value: datetime | None) -> datetime | None:
        return None if value is None else moments.setdefault(value, value)

    # Interned: the few distinct values (source, rule, state, severity) are one string
    # each, not one per row of a 200,000-row ledger; the key, fingerprint and message are
    # the same objects as those of this cycle's findings (``syncd.working_set``).
    return FindingRow(
        source=sys.intern(r["source"]),
        task_key=sys.intern(r["task_key"]),
        rule=sys.intern(r["rule"]),
        fingerprint=sys.intern(r["fingerprint"]),
        state=sys.intern(r["state"]),
        severity=sys.intern(r["severity"]),
        message=sys.intern(r["message"]),
        first_seen=moments.setdefault(r["first_seen"], r["first_seen"]),
        last_seen=moments.setdefault(r["last_seen"], r["last_seen"]),
        resolved_at=moment(r["resolved_at"]),
        notified_marker=r["notified_marker"],
        notified_at=moment(r["notified_at"]),
        times_notified=r["times_notified"],
    )


_BY_KEY = (
    t.findings.c.source == sa.bindparam("k_source"),
    t.findings.c.task_key == sa.bindparam("k_task"),
    t.findings.c.rule == sa.bindparam("k_rule"),
    t.findings.c.fingerprint == sa.bindparam("k_fp"),
)
"""A finding's unique key as bound parameters, for batched updates (executemany)."""


def _key_params(source: str, task_key: str, rule: str, fp: str) -> dict[str, str]:
    return {"k_source": source, "k_task": task_key, "k_rule": rule, "k_fp": fp}


def mark_notified_rows(
    conn: sa.Connection,
    source: str,
    *,
    task_key: str,
    keys: Iterable[tuple[str, str]],
    marker: str,
    now: datetime,
) -> None:
    rows = [_key_params(source, task_key, rule, fp) for rule, fp in keys]
    if not rows:
        return
    conn.execute(
        t.findings.update()
        .where(*_BY_KEY)
        .values(
            notified_marker=marker,
            notified_at=now,
            times_notified=t.findings.c.times_notified + 1,
        ),
        rows,
    )
