"""What one evaluation of a large source holds: findings and flagged tasks, compactly.

A broken 100,000-task backlog has some 200,000 findings on some 70,000 flagged tasks, and
reconciliation needs them all at once (which findings are new, which cleared). A pydantic
``Finding`` or ``Task`` carries a per-object dict and a fields-set beside its values; held
here as plain tuples they take a fraction of that. Objects are rebuilt on the way out,
without re-validation: they were valid when they went in.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, overload

from syncd.core.models import Finding, Person, Severity, Task

__all__ = [
    "CycleFindings",
    "FindingList",
    "FindingsSummary",
    "FlaggedTasks",
    "decode_findings",
    "encode_findings",
    "finding_keys",
    "ledger_hash",
    "natural_key",
]

_SEVERITIES = {s.value: s for s in Severity}
_PrintedFields = tuple[str, str, str, Severity, str, str, datetime, dict[str, str]]
_FindingRow = tuple[str, str, str, Severity, str, str, datetime, tuple[str, ...], tuple[str, ...]]


class FindingList(Sequence[Finding]):
    """A list of findings stored as tuples; iterating or indexing yields ``Finding``s.

    A finding's ``data`` is kept as its keys (one shared tuple per rule's set of facts)
    and its values, interned: dates, states and section names repeat across thousands of
    findings."""

    __slots__ = ("_data_keys", "_rows")

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self._rows: list[_FindingRow] = []
        self._data_keys: dict[tuple[str, ...], tuple[str, ...]] = {}
        for f in findings:
            self.append(f)

    def append(self, f: Finding) -> None:
        keys = tuple(f.data)
        keys = self._data_keys.setdefault(keys, keys)
        self._rows.append(
            (
                f.rule,
                sys.intern(f.source),
                # Interned, as the findings ledger's rows are: reconciliation holds both,
                # and the same finding's strings are then one object.
                sys.intern(f.task_key),
                f.severity,
                sys.intern(f.message),
                sys.intern(f.fingerprint),
                f.detected_at,
                keys,
                tuple(sys.intern(v) for v in f.data.values()),
            )
        )

    def append_encoded(self, source: str, task_key: str, detected: datetime, encoded: str) -> int:
        """Append one task's findings as ``encode_findings`` keeps them, building no
        ``Finding``; returns how many have error severity."""
        errors = 0
        source = sys.intern(source)
        task_key = sys.intern(task_key)
        data_keys = self._data_keys
        for rule, severity, message, fp, data in json.loads(encoded):
            keys = tuple(data)
            keys = data_keys.setdefault(keys, keys)
            level = _SEVERITIES[severity]
            errors += level is Severity.ERROR
            self._rows.append(
                (
                    rule,
                    source,
                    task_key,
                    level,
                    sys.intern(message),
                    sys.intern(fp),
                    detected,
                    keys,
                    tuple(sys.intern(v) for v in data.values()),
                )
            )
        return errors

    def fields(
        self,
    ) -> Iterator[tuple[str, str, str, Severity, str, str, datetime, dict[str, str]]]:
        """(rule, source, task key, severity, message, fingerprint, detected at, data) of
        each finding, with no model built (what printing them needs)."""
        for rule, source, key, severity, message, fp, detected, keys, values in self._rows:
            yield (
                rule,
                source,
                key,
                severity,
                message,
                fp,
                detected,
                dict(zip(keys, values, strict=True)),
            )

    @staticmethod
    def _finding(row: _FindingRow) -> Finding:
        rule, source, key, severity, message, fp, detected, data_keys, data_values = row
        return Finding.model_construct(
            rule=rule,
            source=source,
            task_key=key,
            severity=severity,
            message=message,
            fingerprint=fp,
            detected_at=detected,
            data=dict(zip(data_keys, data_values, strict=True)),
        )

    def sort_by_place(self) -> None:
        """Sort (stably) by source, rule and task key: the order ``check`` prints in."""
        self._rows.sort(key=lambda r: (r[1], r[0], r[2]))

    def ledger_fields(self) -> Iterator[tuple[str, str, str, Severity, str]]:
        """(task key, rule, fingerprint, severity, message) of each finding: what the
        findings ledger records, with no model built."""
        return ((r[2], r[0], r[5], r[3], r[4]) for r in self._rows)

    def keys(self) -> Iterator[tuple[str, str, str]]:
        """(task key, rule, fingerprint) of each finding, with no model built."""
        return ((r[2], r[0], r[5]) for r in self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Finding]:
        return map(self._finding, self._rows)

    @overload
    def __getitem__(self, index: int) -> Finding: ...
    @overload
    def __getitem__(self, index: slice) -> list[Finding]: ...
    def __getitem__(self, index: int | slice) -> Finding | list[Finding]:
        if isinstance(index, slice):
            return [self._finding(r) for r in self._rows[index]]
        return self._finding(self._rows[index])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FindingList):
            return self._rows == other._rows
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list


def finding_keys(findings: Iterable[Finding]) -> set[tuple[str, str, str]]:
    """(task key, rule, fingerprint) of every finding: the ledger's identity of each."""
    if isinstance(findings, FindingList):
        return set(findings.keys())  # no Finding built just to read three fields
    return {(f.task_key, f.rule, f.fingerprint) for f in findings}


# What reminders and their planning read of a flagged task is the task's identity and its
# people; comments, activity, description and sections are left out, as they always were.
_KEPT = tuple(
    name
    for name in Task.model_fields
    if name not in {"comments", "activity", "description_text", "description_source", "sections"}
)
_ASSIGNEES = _KEPT.index("assignees")
_REPORTER = _KEPT.index("reporter")
_FEW_VALUES = tuple(
    _KEPT.index(name)
    for name in ("source", "project", "description_format", "status", "priority", "issue_type")
)


class FlaggedTasks(Mapping[str, Task]):
    """Task key → the flagged task without its history and description (``_KEPT``)."""

    __slots__ = ("_people", "_rows")

    def __init__(self) -> None:
        self._rows: dict[str, tuple[Any, ...]] = {}
        # A team has dozens of people and a backlog tens of thousands of tasks: one object
        # per person, not one per task that names them.
        self._people: dict[Person, Person] = {}

    def _person(self, person: Person) -> Person:
        return self._people.setdefault(person, person)

    def add(self, task: Task) -> None:
        values = task.__dict__
        row = [values[name] for name in _KEPT]
        row[_ASSIGNEES] = tuple(self._person(p) for p in task.assignees)
        if task.reporter is not None:
            row[_REPORTER] = self._person(task.reporter)
        for i in _FEW_VALUES:  # project, status, type…: a handful of values each
            if isinstance(row[i], str):
                row[i] = sys.intern(row[i])
        self._rows[task.key] = tuple(row)

    def __getitem__(self, key: str) -> Task:
        return Task.model_construct(**dict(zip(_KEPT, self._rows[key], strict=True)))

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


def encode_findings(findings: Iterable[Finding]) -> str:
    """One task's findings as compact JSON (``kept_results.findings``): what varies
    between findings, in order; the source, task and detection moment are the reader's."""
    return json.dumps(
        [[f.rule, f.severity.value, f.message, f.fingerprint, f.data] for f in findings],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode_findings(text: str, source: str, task_key: str, now: datetime) -> list[Finding]:
    """The findings ``encode_findings`` kept, detected at ``now`` (as evaluating the same
    task at ``now`` would have them)."""
    return [
        Finding.model_construct(
            rule=rule,
            source=source,
            task_key=task_key,
            severity=Severity(severity),
            message=message,
            fingerprint=fp,
            detected_at=now,
            data=data,
        )
        for rule, severity, message, fp, data in json.loads(text)
    ]


def ledger_hash(findings: Iterable[Finding]) -> str:
    """A digest of what the findings ledger records of one task's findings (rule,
    fingerprint, severity, message), in any order: equal digests, nothing to reconcile."""
    fields = sorted((f.rule, f.fingerprint, f.severity.value, f.message) for f in findings)
    return hashlib.blake2b(json.dumps(fields).encode(), digest_size=16).hexdigest()


_DIGITS = re.compile(r"(\d+)")


def natural_key(key: str) -> tuple[tuple[int, int | str], ...]:
    """``SHOP-2`` before ``SHOP-10``: numbers compare as numbers."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _DIGITS.split(key) if p)


class FindingsSummary:
    """Counts of a source's findings per rule, with the first few (by natural task key) of
    each as examples: what a summary prints, built as findings stream by, never holding
    them."""

    def __init__(self, examples: int = 3) -> None:
        self.examples = examples
        self.total = 0
        self.tasks = 0
        self.by_rule: dict[str, int] = {}
        self._first: dict[str, list[tuple[Any, str, str]]] = {}

    def add(self, findings: Sequence[Finding]) -> None:
        """The findings of one task."""
        if findings:
            self.tasks += 1
            place = natural_key(findings[0].task_key)
            for f in findings:
                self._count(place, f.task_key, f.rule, f.message)

    def add_encoded(self, task_key: str, encoded: str) -> int:
        """The findings of one task as ``encode_findings`` keeps them (none decoded);
        returns how many there are."""
        rows = json.loads(encoded)
        if rows:
            self.tasks += 1
            place = natural_key(task_key)
            for rule, _severity, message, _fp, _data in rows:
                self._count(place, task_key, rule, message)
        return len(rows)

    def _count(self, place: Any, task_key: str, rule: str, message: str) -> None:
        self.total += 1
        self.by_rule[rule] = self.by_rule.get(rule, 0) + 1
        first = self._first.setdefault(rule, [])
        if len(first) < self.examples or place < first[-1][0]:
            bisect.insort(first, (place, task_key, message))  # sorted, at most `examples`
            del first[self.examples :]

    def first(self, rule: str) -> list[tuple[str, str]]:
        """(task key, message) of the first findings of ``rule`` by natural task key."""
        return [(key, message) for _, key, message in self._first.get(rule, ())]

    @classmethod
    def of(cls, findings: Iterable[Finding], examples: int = 3) -> FindingsSummary:
        """The summary of findings held elsewhere (grouped by task as they come)."""
        summary = cls(examples)
        by_task: dict[str, list[Finding]] = {}
        for f in findings:
            by_task.setdefault(f.task_key, []).append(f)
        for group in by_task.values():
            summary.add(group)
        return summary


class CycleFindings(Sequence[Finding]):
    """Every finding of one source's cycle, held per task as ``encode_findings`` keeps
    them and decoded only when read: the cycle itself needs only their summary; a reader
    (``syncd demo``, the tests) may still go through them all."""

    __slots__ = ("_detected_at", "_source", "_tasks", "_total")

    def __init__(self, source: str, detected_at: datetime) -> None:
        self._source = source
        self._detected_at = detected_at
        self._tasks: list[tuple[str, str]] = []
        self._total = 0

    def add(self, task_key: str, encoded: str, count: int) -> None:
        if count:
            self._tasks.append((sys.intern(task_key), encoded))
            self._total += count

    def __len__(self) -> int:
        return self._total

    def __iter__(self) -> Iterator[Finding]:
        for key, encoded in self._tasks:
            yield from decode_findings(encoded, self._source, key, self._detected_at)

    @overload
    def __getitem__(self, index: int) -> Finding: ...
    @overload
    def __getitem__(self, index: slice) -> list[Finding]: ...
    def __getitem__(self, index: int | slice) -> Finding | list[Finding]:
        return list(self)[index]
